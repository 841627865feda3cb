#include "ops/http_config.h"

#include <yaml-cpp/yaml.h>

#include <boost/asio/ip/address.hpp>

#include <cstdlib>
#include <fstream>

#include "config/config_keys.h"
#include "config/config_source.h"

namespace sh::host {
namespace {

// An integer host.http.<key> in [lo, hi], or `fallback` when absent.
int64_t http_integer(const HostConfig& cfg, const YAML::Node& s, const char* key, int64_t lo,
                     int64_t hi, int64_t fallback) {
  const YAML::Node n = s[key];
  if (!n) return fallback;
  const std::string text = n.IsScalar() ? n.Scalar() : std::string();
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < lo || v > hi) {
    throw ConfigError(cfg.message_at(n, std::string("host.http.") + key + ": expected an integer " +
                                            std::to_string(lo) + " to " + std::to_string(hi) +
                                            ", not '" + text + "'"));
  }
  return v;
}

std::string http_string(const HostConfig& cfg, const YAML::Node& s, const char* key,
                        const std::string& fallback) {
  const YAML::Node n = s[key];
  if (!n) return fallback;
  if (!n.IsScalar() || n.Scalar().empty()) {
    throw ConfigError(cfg.message_at(n, std::string("host.http.") + key + ": expected a non-empty string"));
  }
  return n.Scalar();
}

// The token: token_file when set (its first line), else token_env's value.
void read_token(const HostConfig& cfg, const YAML::Node& s, HttpConfig* out) {
  if (!out->token_file.empty()) {
    std::ifstream in(out->token_file);
    std::string line;
    if (!in || !std::getline(in, line)) {
      throw ConfigError(cfg.message_at(s["token_file"], "host.http.token_file: cannot read " +
                                                            out->token_file));
    }
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty()) {
      throw ConfigError(cfg.message_at(s["token_file"], "host.http.token_file: " + out->token_file +
                                                            " holds no token on its first line"));
    }
    out->token = line;
    out->token_source = "file " + out->token_file;
    return;
  }
  const char* v = std::getenv(out->token_env.c_str());
  if (v != nullptr && *v != '\0') {
    out->token = v;
    out->token_source = "env " + out->token_env;
  } else if (s && s["token_env"]) {
    // Named on purpose: a missing variable is a mistake, not "no token".
    throw ConfigError(cfg.message_at(s["token_env"], "host.http.token_env: environment variable " +
                                                         out->token_env + " is not set or empty"));
  }
}

}  // namespace

HttpConfig parse_http_config(const HostConfig& config) {
  HttpConfig out;
  const YAML::Node& root = config.root();
  if (!root.IsMap() || !root["host"] || !root["host"].IsMap()) return out;
  // Constructed, not assigned: assigning an absent (zombie) node throws.
  const YAML::Node s = root["host"]["http"];
  if (!s || s.IsNull()) return out;
  if (!s.IsMap()) throw ConfigError(config.message_at(s, "host.http: expected a mapping"));
  check_known_keys(s, config.source(), "host.http",
                   {"port", "bind", "token_env", "token_file", "allow_remote", "max_body_bytes",
                    "max_connections", "read_timeout_ms", "health_stall_ms"});
  out.port = static_cast<uint16_t>(http_integer(config, s, "port", 0, 65535, 0));
  out.bind = http_string(config, s, "bind", out.bind);
  boost::system::error_code ec;
  boost::asio::ip::make_address(out.bind, ec);
  if (ec) {
    throw ConfigError(config.message_at(s["bind"], "host.http.bind: '" + out.bind +
                                                       "' is not an IP address (127.0.0.1, ::1, 0.0.0.0)"));
  }
  out.token_env = http_string(config, s, "token_env", out.token_env);
  if (s["token_file"]) out.token_file = config.resolve(http_string(config, s, "token_file", "")).string();
  if (const YAML::Node r = s["allow_remote"]) {
    if (!r.IsScalar() || (r.Scalar() != "true" && r.Scalar() != "false")) {
      throw ConfigError(config.message_at(r, "host.http.allow_remote: expected true or false"));
    }
    out.allow_remote = r.Scalar() == "true";
  }
  out.max_body_bytes = static_cast<uint64_t>(http_integer(config, s, "max_body_bytes", 0, 1 << 20, 4096));
  out.max_connections = static_cast<uint32_t>(http_integer(config, s, "max_connections", 1, 4096, 32));
  out.read_timeout_ms = http_integer(config, s, "read_timeout_ms", 100, 600000, 5000);
  out.health_stall_ms = http_integer(config, s, "health_stall_ms", 100, 3600000, 5000);
  if (out.enabled()) read_token(config, s, &out);
  return out;
}

}  // namespace sh::host
