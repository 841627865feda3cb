// A raw-socket HTTP/1.1 client for tests of a running host's HTTP server
// (raw, so that malformed and oversized requests can be sent as bytes); the
// port to give the host: support/free_port.h.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "free_port.h"

namespace sh_test {

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

}  // namespace sh_test
