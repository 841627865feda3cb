// stream_config.cpp: parse_stream_config, with the redis:// URL.
#include "stream_config.h"

#include <strategy_host/plugin.hpp>

#include <algorithm>
#include <cctype>

namespace redis_stream {

namespace {

constexpr const char* kKeys[] = {"url", "host", "port", "stream", "group", "consumer", "start_id",
                                 "block_ms", "count", "symbols", "ts_unit", "stop_after_entries",
                                 "stop_when_idle_ms", "connect_timeout_ms", "reconnect",
                                 "queue_capacity", "log_limit_per_reason"};

[[noreturn]] void fail(const std::string& msg) { throw sh::ConfigError("redis_stream: " + msg); }

template <typename T>
T get_or(const nlohmann::json& j, const char* key, T fallback) {
  const auto it = j.find(key);
  if (it == j.end()) return fallback;
  try {
    return it->get<T>();
  } catch (const std::exception&) {
    fail(std::string("'") + key + "' has the wrong type");
  }
}

int64_t integer(const nlohmann::json& j, const char* key, int64_t fallback, int64_t min, int64_t max) {
  const auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (!it->is_number_integer()) fail(std::string("'") + key + "' must be an integer");
  const int64_t v = it->get<int64_t>();
  if (v < min || v > max)
    fail(std::string("'") + key + "' must be within " + std::to_string(min) + ".." + std::to_string(max));
  return v;
}

std::string text(const nlohmann::json& j, const char* key, const std::string& fallback) {
  const auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (!it->is_string() || it->get<std::string>().empty())
    fail(std::string("'") + key + "' must be a non-empty string");
  return it->get<std::string>();
}

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
  if (!j.is_object()) fail("config must be an object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::find_if(std::begin(kKeys), std::end(kKeys), [&](const char* k) { return it.key() == k; }) ==
        std::end(kKeys)) {
      std::string known;
      for (const char* k : kKeys) known += std::string(known.empty() ? "" : ", ") + k;
      fail("unknown key '" + it.key() + "' (expected one of: " + known + ")");
    }
  }
  StreamConfig c;
  if (j.contains("url")) {
    if (j.contains("host") || j.contains("port")) fail("give either 'url' or 'host'/'port', not both");
    parse_url(text(j, "url", ""), c);
  } else {
    c.host = text(j, "host", c.host);
    c.port = static_cast<int>(integer(j, "port", c.port, 1, 65535));
  }
  if (!j.contains("stream")) fail("'stream' is required (the stream key to read)");
  c.stream = text(j, "stream", "");
  c.group = text(j, "group", "");
  c.consumer = text(j, "consumer", "");
  if (c.group.empty() != c.consumer.empty())
    fail("'group' and 'consumer' go together (XREADGROUP needs both)");
  c.start_id = text(j, "start_id", c.start_id);
  if (!valid_start_id(c.start_id))
    fail("'start_id' must be $, 0 or an entry id like 1700000000000-0, got '" + c.start_id + "'");
  c.block_ms = integer(j, "block_ms", c.block_ms, 1, 60000);
  c.count = static_cast<uint32_t>(integer(j, "count", c.count, 1, 100000));
  if (const auto s = j.find("symbols"); s != j.end()) {
    if (!s->is_array()) fail("'symbols' must be an array of symbol names");
    for (const auto& v : *s) {
      if (!v.is_string() || v.get<std::string>().empty()) fail("'symbols' entries must be non-empty strings");
      if (std::find(c.symbols.begin(), c.symbols.end(), v.get<std::string>()) != c.symbols.end())
        fail("symbol '" + v.get<std::string>() + "' listed twice");
      c.symbols.push_back(v.get<std::string>());
    }
  }
  const std::string unit = text(j, "ts_unit", "ns");
  if (unit == "ns") c.ts_unit_ns = 1;
  else if (unit == "us") c.ts_unit_ns = 1000;
  else if (unit == "ms") c.ts_unit_ns = 1000000;
  else if (unit == "s") c.ts_unit_ns = 1000000000;
  else fail("'ts_unit' must be one of ns, us, ms, s, got '" + unit + "'");
  c.stop_after_entries = static_cast<uint64_t>(integer(j, "stop_after_entries", 0, 0, INT64_MAX));
  c.stop_when_idle_ms = integer(j, "stop_when_idle_ms", 0, 0, INT64_MAX / 1000000);
  c.connect_timeout_ms = integer(j, "connect_timeout_ms", c.connect_timeout_ms, 10, 600000);
  if (const auto r = j.find("reconnect"); r != j.end()) {
    if (!r->is_object()) fail("'reconnect' must be an object");
    for (auto it = r->begin(); it != r->end(); ++it) {
      const std::string& k = it.key();
      if (k != "initial_ms" && k != "max_ms" && k != "multiplier" && k != "jitter")
        fail("unknown key 'reconnect." + k + "' (expected one of: initial_ms, max_ms, multiplier, jitter)");
    }
    c.backoff.initial_ms = integer(*r, "initial_ms", c.backoff.initial_ms, 1, 3600000);
    c.backoff.max_ms = integer(*r, "max_ms", c.backoff.max_ms, 1, 3600000);
    c.backoff.multiplier = get_or<double>(*r, "multiplier", c.backoff.multiplier);
    c.backoff.jitter = get_or<double>(*r, "jitter", c.backoff.jitter);
    if (c.backoff.multiplier < 1.0) fail("reconnect.multiplier must be >= 1");
    if (c.backoff.jitter < 0.0 || c.backoff.jitter > 1.0) fail("reconnect.jitter must be within 0..1");
    if (c.backoff.max_ms < c.backoff.initial_ms) fail("reconnect.max_ms must be >= reconnect.initial_ms");
  }
  c.queue_capacity = static_cast<uint32_t>(integer(j, "queue_capacity", c.queue_capacity, 16, 1 << 24));
  c.log_limit_per_reason = static_cast<uint32_t>(integer(j, "log_limit_per_reason", 20, 0, 1000000));
  return c;
}

}  // namespace redis_stream
