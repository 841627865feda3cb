// rule_watcher.h: notices changed .lua files in the rule directories (the
// reload trigger when no Redis is configured). It only reports; the pipeline
// thread decides when to call LuaRule::reload().
#ifndef SH_HOST_LUA_RULE_WATCHER_H
#define SH_HOST_LUA_RULE_WATCHER_H

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sh::host {

class RuleWatcher {
 public:
  enum class Mode { Auto, Inotify, Polling };

  // Watches every directory in `dirs` (not recursively) for .lua files that
  // are written, created, or moved in (editors often save by rename). Auto:
  // inotify when available, else polling of size + mtime + content hash.
  explicit RuleWatcher(std::vector<std::string> dirs, Mode mode = Mode::Auto);
  ~RuleWatcher();
  RuleWatcher(const RuleWatcher&) = delete;
  RuleWatcher& operator=(const RuleWatcher&) = delete;

  // Paths ("dir/name.lua", dir as given) changed since the last call, sorted
  // and without duplicates. Never blocks. A deleted file is not reported
  // (there is nothing to reload); a file whose content is unchanged after a
  // write is not reported either.
  std::vector<std::string> poll_changed();

  bool using_inotify() const { return inotify_fd_ >= 0; }
  // Directories that could not be watched, with the reason.
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  struct FileState {
    int64_t size = -1;
    int64_t mtime_ns = -1;
    std::string hash;  // content hash, so a touch without a change is silent
  };
  void scan(std::map<std::string, FileState>* out) const;

  std::vector<std::string> dirs_;
  int inotify_fd_ = -1;
  std::map<int, std::string> watch_dirs_;   // inotify watch descriptor -> dir
  std::map<std::string, FileState> known_;  // path -> last reported state
  std::vector<std::string> errors_;
};

}  // namespace sh::host

#endif  // SH_HOST_LUA_RULE_WATCHER_H
