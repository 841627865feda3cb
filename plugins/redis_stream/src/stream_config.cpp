// stream_config.cpp: parse_stream_config, with the redis:// URL.
#include "stream_config.h"

#include "stream_config_schema.h"

#include <strategy_host/plugin.hpp>

#include <algorithm>
#include <cctype>

namespace redis_stream {

namespace {

[[noreturn]] void fail(const std::string& msg) { throw sh::ConfigError("redis_stream: " + msg); }

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool valid_start_id(const std::string& s) {
  if (s == "$") return true;
  const size_t dash = s.find('-');
  if (dash == std::string::npos) return all_digits(s) && s.size() <= 20;
  return all_digits(s.substr(0, dash)) && all_digits(s.substr(dash + 1)) && s.size() <= 41;
}

// redis://[[user]:password@]host[:port][/db]
void parse_url(const std::string& url, StreamConfig& c) {
  const std::string scheme = "redis://";
  if (url.rfind(scheme, 0) != 0) fail("url '" + url + "': only redis:// URLs are supported");
  std::string rest = url.substr(scheme.size());
  const size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    const std::string db = rest.substr(slash + 1);
    rest.resize(slash);
    if (!db.empty()) {
      if (!all_digits(db) || db.size() > 5) fail("url '" + url + "': the database must be a number");
      c.db = std::stoi(db);
    }
  }
  const size_t at = rest.rfind('@');
  if (at != std::string::npos) {
    const std::string auth = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = auth.find(':');
    if (colon == std::string::npos) fail("url '" + url + "': credentials must be [user]:password");
    c.user = auth.substr(0, colon);
    c.password = auth.substr(colon + 1);
  }
  const size_t colon = rest.rfind(':');
  if (colon != std::string::npos) {
    const std::string port = rest.substr(colon + 1);
    if (!all_digits(port) || port.size() > 5 || std::stoi(port) < 1 || std::stoi(port) > 65535)
      fail("url '" + url + "': bad port '" + port + "'");
    c.port = std::stoi(port);
    rest.resize(colon);
  }
  if (rest.empty()) fail("url '" + url + "': no host");
  c.host = rest;
}

}  // namespace

StreamConfig parse_stream_config(const nlohmann::json& j) {
  const sh::config::Reader r(j, kStreamConfigSchema, "redis_stream: ");
  StreamConfig c;
  if (r.has("url")) {
    if (r.has("host") || r.has("port")) fail("give either 'url' or 'host'/'port', not both");
    parse_url(r.string("url"), c);
  } else {
    c.host = r.string("host");
    c.port = static_cast<int>(r.integer("port"));
  }
  c.stream = r.string("stream");  // required
  if (r.has("group")) c.group = r.string("group");
  if (r.has("consumer")) c.consumer = r.string("consumer");
  if (c.group.empty() != c.consumer.empty())
    fail("'group' and 'consumer' go together (XREADGROUP needs both)");
  c.start_id = r.string("start_id");
  if (!valid_start_id(c.start_id))
    fail("'start_id' must be $, 0 or an entry id like 1700000000000-0, got '" + c.start_id + "'");
  c.block_ms = r.integer("block_ms");
  c.count = static_cast<uint32_t>(r.integer("count"));
  if (r.has("symbols")) c.symbols = r.string_list("symbols");
  c.ts_unit_ns = r.choice<int64_t>("ts_unit", {{"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}});
  c.stop_after_entries = static_cast<uint64_t>(r.integer("stop_after_entries"));
  c.stop_when_idle_ms = r.integer("stop_when_idle_ms");
  c.connect_timeout_ms = r.integer("connect_timeout_ms");
  const sh::config::Reader rc = r.object("reconnect");
  c.backoff.initial_ms = rc.integer("initial_ms");
  c.backoff.max_ms = rc.integer("max_ms");
  c.backoff.multiplier = rc.number("multiplier");
  c.backoff.jitter = rc.number("jitter");
  if (c.backoff.max_ms < c.backoff.initial_ms) fail("reconnect.max_ms must be >= reconnect.initial_ms");
  c.queue_capacity = static_cast<uint32_t>(r.integer("queue_capacity"));
  c.log_limit_per_reason = static_cast<uint32_t>(r.integer("log_limit_per_reason"));
  return c;
}

}  // namespace redis_stream
