// Helpers for the host tests: scratch directories, files, and running the
// real `host` binary with its output captured.
#ifndef SH_TESTS_TEST_HOST_SUPPORT_H
#define SH_TESTS_TEST_HOST_SUPPORT_H

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace sh_test {

namespace fs = std::filesystem;

// A fresh directory under the build tree, removed when the test ends. Tests
// run as separate processes in parallel, so the name includes the pid.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name)
      : path_(fs::path(SH_BINARY_DIR) / "test_scratch" /
              (name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& rel) const { return path_ / rel; }

 private:
  fs::path path_;
};

inline void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline fs::path test_plugin(const std::string& name) {
  return fs::path(SH_TEST_PLUGIN_DIR) / ("lib" + name + ".so");
}

struct HostRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs `program` (a path, or a name found on PATH) with args in `cwd`,
// capturing stdout and stderr (in files under the build tree, never in cwd:
// it may be the source tree).
inline HostRun run_program(const std::string& program, const std::vector<std::string>& args,
                           const fs::path& cwd) {
  static int runs = 0;
  const fs::path capture = fs::path(SH_BINARY_DIR) / "test_scratch" /
                           ("capture-" + std::to_string(::getpid()) + "-" + std::to_string(++runs));
  fs::create_directories(capture);
  const fs::path out = capture / "out";
  const fs::path err = capture / "err";
  std::string cmd = "cd " + shell_quote(cwd.string()) + " && " + shell_quote(program);
  for (const auto& a : args) cmd += " " + shell_quote(a);
  cmd += " >" + shell_quote(out.string()) + " 2>" + shell_quote(err.string()) + " </dev/null";
  const int status = std::system(cmd.c_str());
  HostRun r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(out);
  r.err = read_file(err);
  std::error_code ec;
  fs::remove_all(capture, ec);
  return r;
}

// Runs SH_HOST_BIN (the build tree's host) with args in `cwd`.
inline HostRun run_host(const std::vector<std::string>& args, const fs::path& cwd) {
  return run_program(SH_HOST_BIN, args, cwd);
}

// The providers: section that replays the shipped sample session
// (data/sample: trades, quotes and L2 of four symbols over six hours).
inline std::string sample_providers_yaml() {
  const std::string dir = std::string(SH_SOURCE_DIR) + "/data/sample";
  return "providers:\n"
         "  - name: sample\n"
         "    plugin: replay\n"
         "    config:\n"
         "      files:\n"
         "        - {path: '" + dir + "/trades.csv', type: trades}\n"
         "        - {path: '" + dir + "/quotes.csv', type: quotes}\n"
         "        - {path: '" + dir + "/l2.csv', type: l2}\n";
}

// config/default.yaml (the host's main job) with its paths made absolute and
// its state and output in dir; mode replaces its run mode.
inline std::string default_config_in(const fs::path& dir, const std::string& mode = "replay") {
  std::string text = read_file(fs::path(SH_SOURCE_DIR) / "config/default.yaml");
  auto replace_all = [&text](const std::string& from, const std::string& to) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
  };
  const std::string src = SH_SOURCE_DIR;
  replace_all("mode: replay ", "mode: " + mode + " ");
  replace_all("../scripts/lua", src + "/scripts/lua");
  replace_all("../state/default", (dir / "state").string());
  replace_all("../out", (dir / "out").string());
  replace_all("../data/sample", src + "/data/sample");
  replace_all("models/", src + "/config/models/");
  replace_all("../state/KILL_SWITCH", (dir / "KILL_SWITCH").string());
  return text;
}

inline std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (!l.empty()) out.push_back(l);
  }
  return out;
}

}  // namespace sh_test

#endif
