// HttpConfig: `host.http`, the host's HTTP server (ops/http_server.h).
// Off unless a port is configured: the default run opens no socket.
//
//   host:
//     http:
//       port: 8080               # 0 (default) = off
//       bind: 127.0.0.1          # an IPv4 or IPv6 address
//       token_env: SH_HTTP_TOKEN # bearer token for the POST commands, or
//       token_file: secrets/http_token  # a file holding it (first line)
//       allow_remote: false      # POST from a non-loopback peer: 403 unless true
//       max_body_bytes: 4096     # larger request bodies: 413
//       max_connections: 32      # more at once: closed on accept
//       read_timeout_ms: 5000    # a request not read whole by then: dropped
//       health_stall_ms: 5000    # /health 503 when the pipeline loop has not
//                                # turned for this long
// Errors are ConfigError lines "FILE:LINE:COL: host.http.<key>: ...".
#pragma once

#include <cstdint>
#include <string>

#include "config/host_config.h"

namespace sh::host {

struct HttpConfig {
  uint16_t port = 0;  // 0 = off
  std::string bind = "127.0.0.1";
  std::string token_env = "SH_HTTP_TOKEN";
  std::string token_file;  // absolute, "" = none
  // The token itself, read at startup ("" = none: POST commands are refused).
  std::string token;
  std::string token_source;  // "env SH_HTTP_TOKEN", "file /x/y", "" = none
  bool allow_remote = false;
  uint64_t max_body_bytes = 4096;
  uint32_t max_connections = 32;
  int64_t read_timeout_ms = 5000;
  int64_t health_stall_ms = 5000;
  static constexpr uint32_t kMaxHeaderBytes = 8192;  // larger header block: 431

  bool enabled() const { return port != 0; }
};

// Reads host.http (defaults when absent). Throws ConfigError.
HttpConfig parse_http_config(const HostConfig& config);

}  // namespace sh::host
