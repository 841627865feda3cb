// Test fixture: a real redis-server on a free loopback port, in its own
// temporary directory, with persistence off (--save "" --appendonly no).
//
//   sh::test::RedisServer redis;          // started; PING answers
//   client.connect(redis.host(), redis.port());
//   redis.stop();                         // Redis "goes away" (SIGKILL)
//   redis.start();                        // back on the same port, empty
//
// The server dies with the test process (PR_SET_PDEATHSIG) and is killed and
// its directory removed in the destructor. The binary is $SH_REDIS_SERVER or
// /usr/bin/redis-server. Failures to start throw std::runtime_error with the
// tail of the server's log, which Catch2 reports as a test failure.
#ifndef SH_TESTS_SUPPORT_REDIS_SERVER_H
#define SH_TESTS_SUPPORT_REDIS_SERVER_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "free_port.h"

namespace sh::test {

class RedisServer {
 public:
  RedisServer() {
    char tmpl[] = "/tmp/sh_redis_XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("RedisServer: mkdtemp failed");
    dir_ = tmpl;
    // A port found free can be taken before redis binds it: retry a few.
    for (int attempt = 0;; ++attempt) {
      port_ = ::sh_test::free_tcp_port();
      try {
        start();
        return;
      } catch (const std::runtime_error&) {
        if (attempt == 4) {
          cleanup_dir();
          throw;
        }
      }
    }
  }

  ~RedisServer() {
    stop();
    cleanup_dir();
  }

  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  std::string endpoint() const { return host_ + ":" + std::to_string(port_); }
  const std::string& dir() const { return dir_; }
  bool running() const { return pid_ > 0; }

  // Starts the server on port() (again, after stop()) and waits until PING
  // answers PONG. The data set starts empty (no persistence).
  void start() {
    if (pid_ > 0) return;
    const std::string bin = binary();
    const std::string port = std::to_string(port_);
    const std::string log = dir_ + "/redis.log";
    std::vector<std::string> args = {bin,         "--port",       port,  "--bind",
                                     host_,       "--save",       "",    "--appendonly",
                                     "no",        "--dir",        dir_,  "--logfile",
                                     log,         "--daemonize",  "no",  "--protected-mode",
                                     "no"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("RedisServer: fork failed");
    if (pid == 0) {
      // Child: only async-signal-safe calls until exec.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      const int devnull = ::open("/dev/null", O_RDWR);
      if (devnull >= 0) {
        ::dup2(devnull, 0);
        ::dup2(devnull, 1);
        ::dup2(devnull, 2);
      }
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    pid_ = pid;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("RedisServer: " + bin + " exited at start on port " + port +
                                 ": " + log_tail());
      }
      if (ping()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop();
    throw std::runtime_error("RedisServer: no PONG within 10 s on port " + port + ": " +
                             log_tail());
  }

  // Kills the server (SIGKILL by default: Redis vanishes without goodbye;
  // pass SIGTERM for a clean shutdown) and waits for it to exit.
  void stop(int signal_number = SIGKILL) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal_number);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

  // True if PING on a fresh connection answers PONG.
  bool ping() const {
    timeval tv{0, 200000};
    redisContext* c = redisConnectWithTimeout(host_.c_str(), port_, tv);
    if (c == nullptr) return false;
    bool ok = false;
    if (c->err == 0) {
      auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
      ok = r != nullptr && r->type == REDIS_REPLY_STATUS && std::string(r->str, r->len) == "PONG";
      if (r != nullptr) freeReplyObject(r);
    }
    redisFree(c);
    return ok;
  }

 private:
  static std::string binary() {
    const char* env = std::getenv("SH_REDIS_SERVER");
    std::string bin = env != nullptr && *env != '\0' ? env : "/usr/bin/redis-server";
    if (::access(bin.c_str(), X_OK) != 0) {
      throw std::runtime_error("RedisServer: " + bin +
                               " not found or not executable (set SH_REDIS_SERVER)");
    }
    return bin;
  }

  std::string log_tail() const {
    std::ifstream in(dir_ + "/redis.log");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    return s.size() > 800 ? s.substr(s.size() - 800) : s;
  }

  void cleanup_dir() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  std::string host_ = "127.0.0.1";
  int port_ = 0;
  pid_t pid_ = -1;
  std::string dir_;
};

}  // namespace sh::test

#endif  // SH_TESTS_SUPPORT_REDIS_SERVER_H
