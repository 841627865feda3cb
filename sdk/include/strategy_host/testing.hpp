// strategy_host/testing.hpp: test a plugin the way the host runs it.
//
// Loads the real plugin library (dlopen, RTLD_NOW | RTLD_LOCAL, as the host
// does), checks its descriptor with the host's rules, creates an instance
// from a JSON config (its "format": "path" fields resolved, as the host does),
// feeds it feature rows (built in code or read from a CSV fixture, e.g. the
// output of `host snapshot --format csv`), intents or polls, and checks what
// comes back with messages that say what was expected and what came instead:
//
//   SH_TEST("a z-score of 5 is a hit, 1 is not") {
//     sh::testing::Plugin plugin;                  // the plugin under test
//     auto detector = plugin.detector({{"threshold", 4.0}});
//     sh::testing::Rows rows;
//     rows.add("BTCUSDT", 12).set("z_ret", 5.0);   // minute 12
//     rows.add("ETHUSDT", 12).set("z_ret", 1.0);
//     auto hits = detector.run(rows);
//     hits.expect_hit("BTCUSDT", 12);
//     hits.expect_no_hit("ETHUSDT");
//   }
//   // -> "expected a hit on ETHUSDT, got 1: ETHUSDT 2024-01-01T00:12Z ..."
//
// sh_add_plugin_test(NAME PLUGIN target SOURCES ...) in the CMake package
// builds the test executable (its first source gets a main() that runs every
// SH_TEST), passes it the plugin's path and registers it with CTest. Every check throws
// sh::testing::Failure (a std::runtime_error), so the classes work inside
// other test frameworks too. Header-only; needs nlohmann_json and libdl.
//
// What the host does and this harness does not: validate the config against
// the schema (`host --validate-config` does), run the conveyor (rows here are
// exactly what you give).
#ifndef STRATEGY_HOST_TESTING_HPP
#define STRATEGY_HOST_TESTING_HPP

#include <strategy_host/abi.h>

#include <dlfcn.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace sh::testing {

using Json = nlohmann::json;

// What every failed check throws; what() is the whole message.
class Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline void expect(bool ok, const std::string& message) {
  if (!ok) throw Failure(message);
}

// ---------------------------------------------------------------- time ---

// Minute n of a test is kBaseNs + n minutes (2024-01-01T00:00Z + n).
constexpr int64_t kMinuteNs = 60'000'000'000;
constexpr int64_t kBaseNs = 1'704'067'200'000'000'000;
inline int64_t minute(int64_t n) { return kBaseNs + n * kMinuteNs; }

// "2024-01-01T00:12Z (minute 12)"; seconds appear when not zero.
inline std::string format_minute(int64_t ts_ns) {
  const int64_t secs = ts_ns / 1'000'000'000 - (ts_ns % 1'000'000'000 < 0 ? 1 : 0);
  int64_t z = secs / 86400 - (secs % 86400 < 0 ? 1 : 0);
  const int64_t sod = secs - z * 86400;
  z += 719468;  // civil_from_days (H. Hinnant)
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  char buf[160];  // room for any int64 fields: no -Wformat-truncation
  if (sod % 60 == 0)
    std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lldZ", (long long)y,
                  (long long)m, (long long)d, (long long)(sod / 3600), (long long)(sod / 60 % 60));
  else
    std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", (long long)y,
                  (long long)m, (long long)d, (long long)(sod / 3600), (long long)(sod / 60 % 60),
                  (long long)(sod % 60));
  std::string out = buf;
  const int64_t n = (ts_ns - kBaseNs) / kMinuteNs;
  if ((ts_ns - kBaseNs) % kMinuteNs == 0 && n >= 0 && n < 1000000)
    out += " (minute " + std::to_string(n) + ")";
  return out;
}

// "YYYY-MM-DDTHH:MM[:SS[.fff]]Z", or an integer minute index n (= minute(n)).
inline int64_t parse_time(const std::string& text) {
  const auto bad = [&] {
    return Failure("cannot read the time '" + text +
                   "': expected YYYY-MM-DDTHH:MM[:SS]Z or a minute number");
  };
  if (text.empty()) throw bad();
  if (text.find('-', 1) == std::string::npos) {
    size_t used = 0;
    long long n = 0;
    try {
      n = std::stoll(text, &used);
    } catch (const std::exception&) {
      throw bad();
    }
    if (used != text.size()) throw bad();
    return minute(n);
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, used = 0;
  double s = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &used) != 5)
    throw bad();
  const char* rest = text.c_str() + used;
  if (*rest == ':') {
    char* end = nullptr;
    s = std::strtod(rest + 1, &end);
    rest = end;
  }
  if (std::string(rest) != "Z" || mo < 1 || mo > 12 || d < 1 || d > 31) throw bad();
  const int64_t yy = y - (mo <= 2 ? 1 : 0);  // days_from_civil (H. Hinnant)
  const int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
  const int64_t yoe = yy - era * 400;
  const int64_t doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = era * 146097 + doe - 719468;
  return ((days * 86400 + h * 3600 + mi * 60) * 1'000'000'000) +
         static_cast<int64_t>(std::llround(s * 1e9));
}

// A minute in a check: a minute number (12) or a time ("2024-01-02T04:10Z").
struct When {
  int64_t ts_ns;
  When(int n) : ts_ns(minute(n)) {}
  When(long n) : ts_ns(minute(n)) {}
  When(long long n) : ts_ns(minute(n)) {}
  When(const char* iso) : ts_ns(parse_time(iso)) {}
  When(const std::string& iso) : ts_ns(parse_time(iso)) {}
};

// ------------------------------------------------------------ the host ---

// Host services backed by plain containers: an intern table (ids from 1), the
// log line by line, counters by name. Must outlive its instances; cannot move.
class HarnessHost {
 public:
  struct LogLine {
    sh_log_level level;
    std::string msg;
  };

  HarnessHost() {
    svc_.struct_size = sizeof(svc_);
    svc_.abi_major = SH_ABI_MAJOR;
    svc_.abi_minor = SH_ABI_MINOR;
    svc_.host_ctx = this;
    svc_.log = [](void* c, sh_log_level level, const char* msg) {
      static_cast<HarnessHost*>(c)->log_lines.push_back({level, msg ? msg : ""});
    };
    svc_.now_ns = [](void* c) { return static_cast<HarnessHost*>(c)->clock_ns; };
    svc_.intern_symbol = [](void* c, const char* name) {
      return static_cast<HarnessHost*>(c)->intern(name ? name : "");
    };
    svc_.symbol_name = [](void* c, sh_symbol_id id) -> const char* {
      const auto* h = static_cast<HarnessHost*>(c);
      return id >= 1 && id <= h->names_.size() ? h->names_[id - 1].c_str() : nullptr;
    };
    svc_.counter_register = [](void* c, const char* name) {
      return static_cast<HarnessHost*>(c)->register_counter(name ? name : "");
    };
    svc_.counter_add = [](void* c, uint32_t id, int64_t delta) {
      auto* h = static_cast<HarnessHost*>(c);
      if (id < h->counter_values_.size()) h->counter_values_[id] += delta;
    };
  }
  HarnessHost(const HarnessHost&) = delete;
  HarnessHost& operator=(const HarnessHost&) = delete;

  const sh_host_services* services() const { return &svc_; }

  sh_symbol_id intern(const std::string& name) {
    if (name.empty()) return SH_INVALID_SYMBOL;
    const auto it = ids_.find(name);
    if (it != ids_.end()) return it->second;
    names_.push_back(name);
    const auto id = static_cast<sh_symbol_id>(names_.size());
    ids_.emplace(name, id);
    return id;
  }
  // Name of an interned id, "" if unknown.
  std::string symbol_name(sh_symbol_id id) const {
    return id >= 1 && id <= names_.size() ? names_[id - 1] : std::string();
  }

  // A registered counter's value; 0 if never registered or added to.
  int64_t counter(const std::string& name) const {
    const auto it = counter_ids_.find(name);
    return it == counter_ids_.end() ? 0 : counter_values_[it->second];
  }
  bool has_counter(const std::string& name) const { return counter_ids_.count(name) != 0; }
  std::map<std::string, int64_t> counters() const {
    std::map<std::string, int64_t> out;
    for (const auto& [name, id] : counter_ids_) out[name] = counter_values_[id];
    return out;
  }

  std::vector<std::string> logs() const {
    std::vector<std::string> out;
    for (const auto& l : log_lines) out.push_back(l.msg);
    return out;
  }
  size_t logs_containing(const std::string& text) const {
    size_t n = 0;
    for (const auto& l : log_lines) n += l.msg.find(text) != std::string::npos ? 1 : 0;
    return n;
  }
  std::string log_text() const {
    std::string s;
    for (const auto& l : log_lines) s += l.msg + "\n";
    return s;
  }

  std::vector<LogLine> log_lines;
  int64_t clock_ns = 0;  // what now_ns() returns

 private:
  uint32_t register_counter(const std::string& name) {
    const auto it = counter_ids_.find(name);
    if (it != counter_ids_.end()) return it->second;
    const auto id = static_cast<uint32_t>(counter_values_.size());
    counter_ids_.emplace(name, id);
    counter_values_.push_back(0);
    return id;
  }

  sh_host_services svc_{};
  std::deque<std::string> names_;  // stable c_str() for symbol_name
  std::map<std::string, sh_symbol_id> ids_;
  std::map<std::string, uint32_t> counter_ids_;
  std::vector<int64_t> counter_values_;
};

inline const char* kind_name(sh_plugin_kind kind) {
  switch (kind) {
    case SH_KIND_PROVIDER: return "provider";
    case SH_KIND_DETECTOR: return "detector";
    case SH_KIND_EXPERT: return "expert";
    case SH_KIND_RISK: return "risk";
    case SH_KIND_VENUE: return "venue";
    default: return "";
  }
}

// The host's checks of a descriptor (ABI 1.x); "" when valid.
inline std::string check_descriptor(const sh_plugin_descriptor& d) {
  const size_t size_1_0 = offsetof(sh_plugin_descriptor, risk) + sizeof(d.risk);
  if (d.struct_size < size_1_0)
    return "struct_size " + std::to_string(d.struct_size) + " is smaller than ABI 1.0's " +
           std::to_string(size_1_0);
  if (d.name == nullptr || *d.name == '\0') return "missing name";
  for (const char* c = d.name; *c; ++c)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
      return "name '" + std::string(d.name) + "' is not [a-z0-9_]+";
  if (d.version == nullptr || *d.version == '\0') return "missing version";
  if (d.description == nullptr) return "missing description";
  if (d.config_schema == nullptr) return "missing config_schema";
  if (!d.create || !d.destroy || !d.last_error) return "missing create, destroy or last_error";
  if ((d.save_state == nullptr) != (d.load_state == nullptr))
    return "save_state and load_state must both be set or both NULL";
  const bool has_venue = d.struct_size >= offsetof(sh_plugin_descriptor, venue) + sizeof(d.venue);
  const int tables = (d.provider != nullptr) + (d.detector != nullptr) + (d.expert != nullptr) +
                     (d.risk != nullptr) + (has_venue && d.venue != nullptr);
  const std::string kind = kind_name(d.kind);
  if (kind.empty()) return "unknown kind " + std::to_string(d.kind);
  if (tables != 1) return "kind " + kind + " needs exactly one function table";
  const bool fn = (d.kind == SH_KIND_PROVIDER && d.provider && d.provider->poll) ||
                  (d.kind == SH_KIND_DETECTOR && d.detector && d.detector->detect) ||
                  (d.kind == SH_KIND_EXPERT && d.expert && d.expert->evaluate) ||
                  (d.kind == SH_KIND_RISK && d.risk && d.risk->evaluate) ||
                  (d.kind == SH_KIND_VENUE && has_venue && d.venue && d.venue->capabilities &&
                   d.venue->submit && d.venue->cancel && d.venue->query_orders &&
                   d.venue->query_positions);
  return fn ? "" : "missing " + kind + " table or its function";
}

// A loaded plugin library and a copy of its descriptor (only the struct_size
// bytes the plugin declares; later fields read as NULL, as in the host).
// Throws Failure when the library does not load, has no entry symbol, an ABI
// the current SDK does not accept, or a descriptor the host would refuse.
class PluginLibrary {
 public:
  explicit PluginLibrary(const std::string& path) : path_(path) {
    handle_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) {
      const char* why = ::dlerror();
      throw Failure("cannot load " + path + ": " + (why ? why : "dlopen failed"));
    }
    void* sym = ::dlsym(handle_, SH_PLUGIN_ENTRY_SYMBOL);
    if (sym == nullptr) fail("no " SH_PLUGIN_ENTRY_SYMBOL " symbol");
    sh_plugin_entry_fn entry = nullptr;
    std::memcpy(&entry, &sym, sizeof entry);
    const sh_plugin_descriptor* raw = entry();
    if (raw == nullptr) fail("entry returned no descriptor");
    if (raw->abi_major != SH_ABI_MAJOR || raw->abi_minor > SH_ABI_MINOR)
      fail("plugin ABI " + std::to_string(raw->abi_major) + "." + std::to_string(raw->abi_minor) +
           ", host ABI " + std::to_string(SH_ABI_MAJOR) + "." + std::to_string(SH_ABI_MINOR));
    std::memcpy(&desc_, raw, std::min<size_t>(raw->struct_size, sizeof desc_));
    const std::string problem = check_descriptor(desc_);
    if (!problem.empty()) fail("invalid descriptor: " + problem);
    try {
      schema_ = Json::parse(desc_.config_schema);
    } catch (const std::exception& e) {
      fail(std::string("invalid descriptor: config_schema is not valid JSON: ") + e.what());
    }
  }
  ~PluginLibrary() {
    if (handle_ != nullptr) ::dlclose(handle_);
  }
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  const sh_plugin_descriptor& descriptor() const { return desc_; }
  const std::string& path() const { return path_; }
  const Json& config_schema() const { return schema_; }

 private:
  [[noreturn]] void fail(const std::string& why) {
    ::dlclose(handle_);
    handle_ = nullptr;
    throw Failure(path_ + ": " + why);
  }
  std::string path_;
  void* handle_ = nullptr;
  sh_plugin_descriptor desc_{};
  Json schema_;
};

// Configured feature columns (config `features:`, ABI 1.6) for one batch:
// the names in column order and row-major values, rows x names (NaN = null).
struct FeatureColumns {
  std::vector<std::string> names;
  std::vector<double> values;
};

// A detector hit with its class copied (the plugin's pointer is borrowed).
struct CollectedHit {
  sh_detector_hit hit;
  std::string hit_class;
};

// One instance through the raw C calls, destroyed with the object. Creation
// failure is not an exception: check ok(), status() and last_error().
class PluginInstance {
 public:
  PluginInstance(const PluginLibrary& lib, HarnessHost& host, const Json& config)
      : desc_(lib.descriptor()) {
    const std::string text = config.dump();
    inst_ = desc_.create(host.services(), text.c_str(), &status_);
  }
  ~PluginInstance() {
    if (inst_ != nullptr) desc_.destroy(inst_);
  }
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  bool ok() const { return status_ == SH_OK && inst_ != nullptr; }
  sh_status status() const { return status_; }
  std::string last_error() const {
    const char* e = inst_ != nullptr ? desc_.last_error(inst_) : nullptr;
    return e ? e : "";
  }
  void* raw() const { return inst_; }
  const sh_plugin_descriptor& descriptor() const { return desc_; }

  sh_status set_config(const Json& config) {
    if (desc_.set_config == nullptr) return SH_ERR_UNSUPPORTED;
    return desc_.set_config(inst_, config.dump().c_str());
  }

  // --- provider ---
  sh_status poll(const sh_event_sink& sink, uint32_t max_events) {
    return desc_.provider->poll(inst_, &sink, max_events);
  }
  sh_status poll(std::vector<sh_market_event>& out, uint32_t max_events) {
    sh_event_sink sink{sizeof(sh_event_sink), &out, &append_events};
    return poll(sink, max_events);
  }
  // Polls until SH_END_OF_DATA or an error (in *final_status), at most max_polls times.
  std::vector<sh_market_event> drain_events(uint32_t max_events_per_poll = 1000,
                                            sh_status* final_status = nullptr,
                                            size_t max_polls = 100000000) {
    std::vector<sh_market_event> out;
    sh_status st = SH_OK;
    for (size_t i = 0; i < max_polls; ++i) {
      st = poll(out, max_events_per_poll);
      if (st != SH_OK && st != SH_WOULD_BLOCK) break;
    }
    if (final_status) *final_status = st;
    return out;
  }

  // --- detector ---
  // columns: the configured feature columns the host would pass (none: null).
  sh_status detect(const std::vector<sh_feature_row>& rows, const sh_market_context& ctx,
                   std::vector<CollectedHit>& hits, int64_t minute_ts_ns = 0,
                   const FeatureColumns* columns = nullptr) {
    const sh_feature_batch batch = make_batch(rows, minute_ts_ns, columns);
    sh_hit_sink sink{sizeof(sh_hit_sink), &hits, &append_hits};
    return desc_.detector->detect(inst_, &batch, &ctx, &sink);
  }

  // --- expert --- out is resized to rows.size() and pre-filled (abstain, NaN).
  sh_status evaluate(const std::vector<sh_feature_row>& rows, const sh_market_context& ctx,
                     std::vector<sh_evidence>& out, int64_t minute_ts_ns = 0,
                     const FeatureColumns* columns = nullptr) {
    const sh_feature_batch batch = make_batch(rows, minute_ts_ns, columns);
    out.assign(rows.size(), sh_evidence{});
    for (size_t i = 0; i < rows.size(); ++i) {
      out[i].struct_size = sizeof(sh_evidence);
      out[i].symbol = rows[i].symbol;
      out[i].flags = SH_EVIDENCE_FLAG_ABSTAIN;
      out[i].prob_long = out[i].prob_short = out[i].confidence = std::nan("");
    }
    sh_evidence_batch eb{sizeof(sh_evidence_batch), sizeof(sh_evidence),
                         static_cast<uint32_t>(out.size()), 0, out.data()};
    return desc_.expert->evaluate(inst_, &batch, &ctx, &eb);
  }

  // --- risk --- out is resized to intents.size() and pre-filled with ALLOW.
  sh_status evaluate_risk(const std::vector<sh_order_intent>& intents,
                          const sh_portfolio_state& portfolio, std::vector<sh_risk_verdict>& out) {
    out.assign(intents.size(), sh_risk_verdict{});
    for (auto& v : out) {
      v.struct_size = sizeof(sh_risk_verdict);
      v.action = SH_RISK_ALLOW;
      v.scale = 1.0;
    }
    const sh_order_intent_batch ib{sizeof(sh_order_intent_batch), sizeof(sh_order_intent),
                                   static_cast<uint32_t>(intents.size()), 0, intents.data()};
    sh_risk_verdict_batch vb{sizeof(sh_risk_verdict_batch), sizeof(sh_risk_verdict),
                             static_cast<uint32_t>(out.size()), 0, out.data()};
    return desc_.risk->evaluate(inst_, &ib, &portfolio, &vb);
  }

 private:
  sh_feature_batch make_batch(const std::vector<sh_feature_row>& rows, int64_t minute_ts_ns,
                              const FeatureColumns* columns) {
    sh_feature_batch b{sizeof(sh_feature_batch), sizeof(sh_feature_row),
                       static_cast<uint32_t>(rows.size()), 0, minute_ts_ns, rows.data(),
                       0, 0, nullptr, nullptr};
    if (columns == nullptr || columns->names.empty()) return b;
    if (columns->values.size() != rows.size() * columns->names.size())
      throw Failure(std::to_string(columns->values.size()) + " column values for " +
                    std::to_string(rows.size()) + " rows x " + std::to_string(columns->names.size()) +
                    " columns");
    column_names_.clear();
    for (const std::string& n : columns->names) column_names_.push_back(n.c_str());
    b.column_count = static_cast<uint32_t>(column_names_.size());
    b.column_names = column_names_.data();
    b.columns = columns->values.data();
    return b;
  }
  std::vector<const char*> column_names_;  // the batch's names, valid for the call
  static sh_status append_events(void* ctx, const sh_market_event* events, uint32_t count,
                                 uint32_t item_size) {
    auto* out = static_cast<std::vector<sh_market_event>*>(ctx);
    const auto* p = reinterpret_cast<const unsigned char*>(events);
    for (uint32_t i = 0; i < count; ++i) {
      sh_market_event ev{};
      std::memcpy(&ev, p + static_cast<size_t>(i) * item_size, std::min<size_t>(item_size, sizeof ev));
      out->push_back(ev);
    }
    return SH_OK;
  }
  static sh_status append_hits(void* ctx, const sh_detector_hit* hits, uint32_t count,
                               uint32_t item_size) {
    auto* out = static_cast<std::vector<CollectedHit>*>(ctx);
    const auto* p = reinterpret_cast<const unsigned char*>(hits);
    for (uint32_t i = 0; i < count; ++i) {
      CollectedHit h{};
      std::memcpy(&h.hit, p + static_cast<size_t>(i) * item_size,
                  std::min<size_t>(item_size, sizeof h.hit));
      h.hit_class = h.hit.hit_class ? h.hit.hit_class : "";
      h.hit.hit_class = nullptr;  // borrowed pointer: use hit_class instead
      out->push_back(std::move(h));
    }
    return SH_OK;
  }

  sh_plugin_descriptor desc_;
  void* inst_ = nullptr;
  sh_status status_ = SH_ERR_INTERNAL;
};

inline const char* status_name(sh_status s) {
  static const char* const names[] = {"SH_OK", "SH_ERR_INVALID_ARGUMENT", "SH_ERR_CONFIG",
                                      "SH_ERR_INTERNAL", "SH_ERR_UNSUPPORTED", "SH_END_OF_DATA",
                                      "SH_WOULD_BLOCK", "SH_ERR_EXCEPTION", "SH_ERR_HOST"};
  return s >= 0 && s <= 8 ? names[s] : "unknown status";
}

namespace detail {
inline const Json* deref(const Json& root, const Json* node) {
  for (int hops = 0; node && node->is_object() && node->contains("$ref") && hops < 16; ++hops) {
    const Json& ref = (*node)["$ref"];
    if (!ref.is_string() || ref.get<std::string>().rfind("#", 0) != 0) return node;
    try {
      node = &root.at(Json::json_pointer(ref.get<std::string>().substr(1)));
    } catch (const std::exception&) {
      return nullptr;
    }
  }
  return node;
}
inline bool is_path(const Json* s) {
  return s && s->is_object() && s->contains("format") && (*s)["format"] == "path";
}
inline std::string resolved(const std::string& v, const std::filesystem::path& base) {
  if (v.empty() || std::filesystem::path(v).is_absolute()) return v;
  return (base / v).lexically_normal().string();
}
inline void walk(const Json& root, const Json* schema, Json& value,
                 const std::filesystem::path& base, int depth) {
  schema = deref(root, schema);
  if (schema == nullptr || !schema->is_object() || depth > 64) return;
  if (value.is_string()) {
    if (is_path(schema)) value = resolved(value.get<std::string>(), base);
  } else if (value.is_array()) {
    const auto items = schema->find("items");
    if (items != schema->end() && items->is_object())
      for (Json& item : value) walk(root, &*items, item, base, depth + 1);
  } else if (value.is_object()) {
    const auto props = schema->find("properties");
    const bool has_props = props != schema->end() && props->is_object();
    const auto add = schema->find("additionalProperties");
    const Json* additional = add != schema->end() && add->is_object() ? &*add : nullptr;
    if (has_props)
      for (auto it = props->begin(); it != props->end(); ++it) {
        const Json* s = deref(root, &it.value());
        if (!value.contains(it.key()) && is_path(s) && s->contains("default") &&
            (*s)["default"].is_string())
          value[it.key()] = resolved((*s)["default"].get<std::string>(), base);
      }
    for (auto it = value.begin(); it != value.end(); ++it) {
      const Json* sub = additional;
      if (has_props && props->contains(it.key())) sub = &(*props)[it.key()];
      if (sub != nullptr) walk(root, sub, it.value(), base, depth + 1);
    }
  }
}
}  // namespace detail

// The config as the host passes it to create() and set_config(): as written,
// except that every string the schema marks "format": "path" is resolved
// against base_dir when relative (the host uses the config file's
// directory), and an absent path field with a string "default" is added,
// resolved the same way. Other defaults are the plugin's to apply.
inline Json wire_config(const Json& schema, const Json& config, const std::filesystem::path& base_dir) {
  Json out = config;
  detail::walk(schema, &schema, out, base_dir, 0);
  return out;
}

}  // namespace sh::testing

#include <strategy_host/testing_kinds.hpp>

#endif  // STRATEGY_HOST_TESTING_HPP
