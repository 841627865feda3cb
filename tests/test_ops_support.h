// Helpers for the HTTP tests of a running host (tests/test_ops_*.cpp): a
// free loopback port, a raw-socket HTTP client (raw, so that malformed and
// oversized requests can be sent as bytes), and the config of a live-ish
// host: production mode over an endless synthetic feed replayed at full
// speed (minutes close constantly), the decision layer with a circuit
// breaker and a kill switch, and host.http on the given port.
#ifndef SH_TESTS_TEST_OPS_SUPPORT_H
#define SH_TESTS_TEST_OPS_SUPPORT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "test_run_decision_support.h"

namespace sh_test {

inline int free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("free_tcp_port: no port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A connected socket to 127.0.0.1:port, or -1.
inline int connect_loopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
  if (fd >= 0) ::close(fd);
  return -1;
}

inline bool send_all(int fd, const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Reads until the peer closes or timeout_ms pass; *closed says which.
inline std::string read_until_close(int fd, int timeout_ms, bool* closed = nullptr) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  if (closed) *closed = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return out;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) return out;
    char buf[65536];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (closed) *closed = true;
      return out;
    }
    out.append(buf, static_cast<size_t>(n));
  }
}

struct HttpReply {
  int status = 0;  // 0: no reply (connection refused or closed first)
  std::string head;
  std::string body;
};

inline HttpReply parse_reply(const std::string& raw) {
  HttpReply r;
  const size_t end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) return r;
  r.status = std::stoi(raw.substr(9, 3));
  r.head = raw.substr(0, end);
  r.body = raw.substr(end + 4);
  return r;
}

// Sends `raw` on a new connection and reads the reply until the server closes.
inline HttpReply http_raw(int port, const std::string& raw, int timeout_ms = 5000) {
  const int fd = connect_loopback(port);
  if (fd < 0) return {};
  send_all(fd, raw);
  const std::string got = read_until_close(fd, timeout_ms);
  ::close(fd);
  return parse_reply(got);
}

inline HttpReply http_request(int port, const std::string& method, const std::string& path,
                              const std::string& extra_headers = "", const std::string& body = "") {
  return http_raw(port, method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" +
                            extra_headers + "Content-Length: " + std::to_string(body.size()) +
                            "\r\n\r\n" + body);
}

inline HttpReply http_get(int port, const std::string& path) { return http_request(port, "GET", path); }

// Waits up to timeout_s for pred(); false on a timeout or when the host exits.
template <typename Pred>
bool wait_for(Pred pred, pid_t host_pid, int timeout_s = 8) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    if (host_pid > 0 && ::waitpid(host_pid, nullptr, WNOHANG) == host_pid) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// A live-ish host with host.http on `port`; http_extra adds keys to host.http.
inline std::string ops_host_yaml(int port, const std::string& http_extra = "") {
  return "host:\n"
         "  mode: production\n"
         "  plugin_dirs: ['" SH_PLUGIN_DIR "']\n"
         "  state_dir: state\n"
         "  output_dir: out\n"
         "  heartbeat_ms: 0\n"
         "  log: {level: warn}\n"
         "  http: {port: " + std::to_string(port) + http_extra + "}\n"
         "providers:\n"
         "  - name: synth\n"
         "    plugin: synthetic\n"
         "    config: {symbols: [AAA, BBB], events_per_second: 200, events: 1000000000}\n"
         "conveyor: {baseline_warmup: 5}\n"
         "state: {durability: process}\n"
         "detectors:\n"
         "  - {name: return_spike, plugin: return_spike, config: {}}\n"
         "experts:\n"
         "  - {name: momentum, plugin: momentum, config: {}}\n"
         "  - {name: anomaly, plugin: anomaly, config: {}}\n"
         "risk:\n"
         "  - {name: breaker, plugin: circuit_breaker, config: {}}\n"
         "  - {name: kill, plugin: kill_switch, config: {}}\n"
         "consensus: {weights: {momentum: 0.5, anomaly: 0.5}, threshold: 0.55, min_confidence: 0.1}\n"
         "execution: {mode: paper, order_notional_usd: 2000, initial_cash_usd: 100000}\n";
}

// Starts a host on dir/host.yaml and waits until its /health answers.
inline BackgroundHost start_ops_host(const ScratchDir& dir, int port, const std::string& tag = "ops") {
  BackgroundHost h = start_host({"--config", (dir / "host.yaml").string()}, dir.path(), tag);
  wait_for([&] { return http_get(port, "/health").status != 0; }, h.pid);
  return h;
}

// The same with operator commands that take `token` (host.http.token_file).
inline BackgroundHost start_token_host(const ScratchDir& dir, int port, const std::string& token,
                                       const std::string& http_extra = "") {
  write_file(dir / "token", token + "\n");
  write_file(dir / "host.yaml", ops_host_yaml(port, ", token_file: token" + http_extra));
  return start_ops_host(dir, port);
}

// Kills the host if a failed REQUIRE left it running.
struct HostGuard {
  BackgroundHost& h;
  ~HostGuard() {
    if (h.pid > 0) {
      ::kill(h.pid, SIGKILL);
      ::waitpid(h.pid, nullptr, 0);
    }
  }
};

// SIGTERM and wait; the exit code.
inline int stop_host(BackgroundHost& h) {
  if (h.pid > 0) ::kill(h.pid, SIGTERM);
  return wait_host(h, std::chrono::seconds(20));
}

}  // namespace sh_test

#endif  // SH_TESTS_TEST_OPS_SUPPORT_H
