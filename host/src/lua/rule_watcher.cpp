// rule_watcher.cpp: inotify (non-blocking) with a polling fallback; both
// confirm a change by content hash before reporting it.
#include "lua/rule_watcher.h"

#include "lua/lua_rule.h"

#include <dirent.h>
#include <errno.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>

namespace sh::host {
namespace {

bool is_lua_file(const std::string& name) {
  return name.size() > 4 && name.compare(name.size() - 4, 4, ".lua") == 0 && name[0] != '.';
}

std::string join(const std::string& dir, const std::string& name) {
  if (dir.empty() || dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

bool stat_file(const std::string& path, int64_t* size, int64_t* mtime_ns) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  *size = static_cast<int64_t>(st.st_size);
  *mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return true;
}

std::string hash_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return content_hash_fnv1a64(data);
}

}  // namespace

RuleWatcher::RuleWatcher(std::vector<std::string> dirs, Mode mode) : dirs_(std::move(dirs)) {
  if (mode != Mode::Polling) {
    inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (inotify_fd_ < 0) {
      errors_.push_back(std::string("inotify unavailable, polling instead: ") + std::strerror(errno));
    }
  }
  if (inotify_fd_ >= 0) {
    for (const std::string& d : dirs_) {
      const int wd = inotify_add_watch(inotify_fd_, d.c_str(),
                                       IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY);
      if (wd < 0) {
        errors_.push_back(d + ": cannot watch: " + std::strerror(errno));
      } else {
        watch_dirs_[wd] = d;
      }
    }
  }
  scan(&known_);  // files present now are the baseline, not changes
}

RuleWatcher::~RuleWatcher() {
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
}

void RuleWatcher::scan(std::map<std::string, FileState>* out) const {
  for (const std::string& d : dirs_) {
    DIR* dir = ::opendir(d.c_str());
    if (dir == nullptr) continue;
    while (dirent* e = ::readdir(dir)) {
      const std::string name = e->d_name;
      if (!is_lua_file(name)) continue;
      const std::string path = join(d, name);
      FileState st;
      if (!stat_file(path, &st.size, &st.mtime_ns)) continue;
      auto it = known_.find(path);
      // Unchanged size and mtime: reuse the hash instead of re-reading.
      if (it != known_.end() && it->second.size == st.size && it->second.mtime_ns == st.mtime_ns) {
        st.hash = it->second.hash;
      } else {
        st.hash = hash_file(path);
      }
      (*out)[path] = st;
    }
    ::closedir(dir);
  }
}

std::vector<std::string> RuleWatcher::poll_changed() {
  std::set<std::string> candidates;
  if (inotify_fd_ >= 0) {
    alignas(inotify_event) char buf[8192];
    while (true) {
      const ssize_t n = ::read(inotify_fd_, buf, sizeof buf);
      if (n <= 0) break;  // EAGAIN: drained
      for (ssize_t off = 0; off < n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
        off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
        if (ev->len == 0) continue;
        const std::string name = ev->name;
        auto wd = watch_dirs_.find(ev->wd);
        if (wd == watch_dirs_.end() || !is_lua_file(name)) continue;
        candidates.insert(join(wd->second, name));
      }
    }
  } else {
    std::map<std::string, FileState> now;
    scan(&now);
    for (const auto& [path, st] : now) candidates.insert(path);
  }
  std::vector<std::string> changed;
  for (const std::string& path : candidates) {
    FileState st;
    if (!stat_file(path, &st.size, &st.mtime_ns)) continue;  // deleted or moved away
    auto it = known_.find(path);
    if (it != known_.end() && it->second.size == st.size && it->second.mtime_ns == st.mtime_ns &&
        inotify_fd_ < 0) {
      continue;  // polling: untouched
    }
    st.hash = hash_file(path);
    if (st.hash.empty()) continue;
    const bool is_change = it == known_.end() || it->second.hash != st.hash;
    known_[path] = st;
    if (is_change) changed.push_back(path);
  }
  return changed;  // std::set order: sorted, unique
}

}  // namespace sh::host
