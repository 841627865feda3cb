// Helpers of the end-to-end reload tests (test_swap_e2e.cpp,
// test_swap_restart.cpp): the real host binary in the background, bounded
// waits, and the switch stream read back from Redis.
#ifndef SH_TESTS_TEST_SWAP_E2E_SUPPORT_H
#define SH_TESTS_TEST_SWAP_E2E_SUPPORT_H

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "events/redis_client.h"
#include "support/redis_server.h"
#include "test_host_support.h"

namespace sh_test::e2e {

using sh::host::RedisClient;
using sh::host::RedisReply;
using sh::test::RedisServer;
namespace fs = std::filesystem;


template <typename Pred>
inline bool eventually(Pred pred, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

inline size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

// The real host binary in the background: stdout and stderr to files, cwd
// `dir`. Dies with the test process (PR_SET_PDEATHSIG); killed (SIGKILL) in
// the destructor if still running, so a failed check never leaks it.
class BackgroundHost {
 public:
  BackgroundHost(const std::vector<std::string>& args, const fs::path& dir)
      : out_(dir / "host.out"), err_(dir / "host.err") {
    std::vector<std::string> argv_s = {SH_HOST_BIN};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int out_fd = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int err_fd = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(out_fd >= 0);
    REQUIRE(err_fd >= 0);
    const std::string cwd = dir.string();
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      // Child: async-signal-safe calls only until exec.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      if (::chdir(cwd.c_str()) != 0) ::_exit(126);
      ::dup2(null_fd, 0);
      ::dup2(out_fd, 1);
      ::dup2(err_fd, 2);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out_fd);
    ::close(err_fd);
    ::close(null_fd);
    pid_ = pid;
  }
  ~BackgroundHost() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }
  BackgroundHost(const BackgroundHost&) = delete;
  BackgroundHost& operator=(const BackgroundHost&) = delete;

  std::string err() const { return read_file(err_); }
  std::string out() const { return read_file(out_); }

  // False once the process has exited (reaped; exit_code() tells how).
  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      pid_ = -1;
      return false;
    }
    return true;
  }
  // Sends `sig` and waits up to timeout_ms for the exit. -1: still running.
  int signal_and_wait(int sig, int timeout_ms) {
    if (pid_ > 0) ::kill(pid_, sig);
    eventually([&] { return !running(); }, timeout_ms);
    return pid_ > 0 ? -1 : exit_code_;
  }
  int exit_code() const { return exit_code_; }
  // Waits (10 s at most) until the control listener has logged its
  // subscription `times` times in all (a reconnect subscribes again); false
  // if the host exited first or the time ran out.
  bool wait_subscribed(size_t times = 1) {
    eventually([&] { return count_of(err(), "control: subscribed to param.reload") >= times || !running(); },
               10000);
    return running() && count_of(err(), "control: subscribed to param.reload") >= times;
  }

 private:
  fs::path out_, err_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

using Fields = std::map<std::string, std::string>;

// XREVRANGE <stream> + - COUNT 10: newest first, each entry's fields.
inline std::vector<Fields> switch_log(const RedisServer& redis, const std::string& stream = "model.switch.log") {
  RedisClient c(redis.host(), redis.port());
  std::vector<Fields> out;
  if (!c.connect().ok()) return out;
  RedisReply r;
  if (!c.command({"XREVRANGE", stream, "+", "-", "COUNT", "10"}, &r).ok()) return out;
  for (const RedisReply& e : r.elements) {
    if (e.elements.size() != 2) continue;
    Fields f;
    const auto& kv = e.elements[1].elements;
    for (size_t i = 0; i + 1 < kv.size(); i += 2) f[kv[i].str] = kv[i + 1].str;
    out.push_back(std::move(f));
  }
  return out;
}

// The newest switch-log entry of `component` with applied == `applied`.
inline bool find_entry(const RedisServer& redis, const std::string& component, const std::string& applied,
                Fields* found) {
  for (const Fields& f : switch_log(redis)) {
    auto c = f.find("component");
    auto a = f.find("applied");
    if (c != f.end() && c->second == component && a != f.end() && a->second == applied) {
      *found = f;
      return true;
    }
  }
  return false;
}

// The head of a production host config against `redis` (state and out in
// the config's directory, process durability), then `control_flow` (a YAML
// flow map for control:); providers and the rest follow.
inline std::string production_head(const RedisServer& redis, const std::string& control_flow) {
  return "host:\n"
         "  mode: production\n"
         "  plugin_dirs: ['" SH_PLUGIN_DIR "']\n"
         "  state_dir: state\n"
         "  output_dir: out\n"
         "redis: {host: " + redis.host() + ", port: " + std::to_string(redis.port()) +
         ", timeout_ms: 1000}\n"
         "control: " + control_flow + "\n"
         "state: {durability: process}\n";
}

// A production host fed by the seeded synthetic provider, which emits as
// fast as the pipeline consumes (it runs until SIGTERM), with `detectors`
// (YAML list items) under detectors:.
inline std::string synthetic_production_yaml(const RedisServer& redis, const std::string& detectors) {
  return production_head(redis, "{reconnect_backoff_ms: {initial: 50, max: 400}}") +
         "providers:\n"
         "  - name: feed\n"
         "    plugin: synthetic\n"
         "    config: {symbol_count: 4, seed: 11, events_per_second: 50, events: 2000000000}\n"
         "conveyor: {poll_max_events: 256}\n"
         "detectors:\n" + detectors;
}

}  // namespace sh_test::e2e

#endif  // SH_TESTS_TEST_SWAP_E2E_SUPPORT_H
