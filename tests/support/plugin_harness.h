// plugin_harness.h: test and benchmark helper that loads a real plugin .so
// the way the host does (Boost.DLL, rtld_now | rtld_local), hands it a
// minimal host services table, creates an instance from a JSON config and
// drives it through the C ABI. Works for every plugin kind. Header-only; no
// test-framework dependency, so benchmarks can use it too.
//
//   sh_test::PluginLibrary lib(sh_test::plugin_path("replay"));
//   sh_test::HarnessHost host;
//   sh_test::PluginInstance inst(lib, host, {{"files", ...}});
//   REQUIRE(inst.ok());               // else inst.last_error()
//   auto events = inst.drain_events();
#ifndef SH_TESTS_SUPPORT_PLUGIN_HARNESS_H
#define SH_TESTS_SUPPORT_PLUGIN_HARNESS_H

#ifndef BOOST_DLL_USE_STD_FS
#define BOOST_DLL_USE_STD_FS 1
#endif
#include <boost/dll/shared_library.hpp>

#include <strategy_host/abi.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

namespace sh_test {

// A fresh directory under the system temp dir, removed with its contents on
// destruction. For tests that need generated input files.
class TempDir {
 public:
  TempDir() {
    static int seq = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("sh_test_" + std::to_string(::getpid()) + "_" + std::to_string(seq++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes content to name inside the directory; returns the file's path.
  std::string write(const std::string& name, const std::string& content) const {
    const std::filesystem::path p = path_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

// Path of a plugin built into SH_PLUGIN_DIR (lib<name>.so).
inline std::string plugin_path(const std::string& name) {
#ifdef SH_PLUGIN_DIR
  return std::string(SH_PLUGIN_DIR) + "/lib" + name + ".so";
#else
  return "lib" + name + ".so";
#endif
}

// Host services backed by plain containers: an intern table (ids from 1),
// a log captured line by line, and counters by name. One per test; not
// thread-safe. Must outlive every instance created with it (it is their
// host_ctx), and cannot move.
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

  // Value of a registered counter; 0 if never registered or never added to.
  int64_t counter(const std::string& name) const {
    const auto it = counter_ids_.find(name);
    return it == counter_ids_.end() ? 0 : counter_values_[it->second];
  }
  bool has_counter(const std::string& name) const { return counter_ids_.count(name) != 0; }
  // Every counter by name (sorted, for stable printing).
  std::map<std::string, int64_t> counters() const {
    std::map<std::string, int64_t> out;
    for (const auto& [name, id] : counter_ids_) out[name] = counter_values_[id];
    return out;
  }

  // The messages logged so far, in order.
  std::vector<std::string> logs() const {
    std::vector<std::string> out;
    for (const auto& l : log_lines) out.push_back(l.msg);
    return out;
  }
  // Number of log messages that contain text.
  size_t logs_containing(const std::string& text) const {
    size_t n = 0;
    for (const auto& l : log_lines) n += l.msg.find(text) != std::string::npos ? 1 : 0;
    return n;
  }
  // All log messages joined by newlines (for failure output).
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

// A loaded plugin library and its descriptor. Throws std::runtime_error when
// the library cannot be loaded, lacks the entry symbol, or has another ABI
// major. Keep it alive as long as any instance from it exists.
class PluginLibrary {
 public:
  explicit PluginLibrary(const std::string& path)
      : lib_(load(path)) {
    if (!lib_.has(SH_PLUGIN_ENTRY_SYMBOL))
      throw std::runtime_error(path + ": no " SH_PLUGIN_ENTRY_SYMBOL " symbol");
    const auto entry = lib_.get<const sh_plugin_descriptor*()>(SH_PLUGIN_ENTRY_SYMBOL);
    desc_ = entry();
    if (desc_ == nullptr) throw std::runtime_error(path + ": entry returned no descriptor");
    if (desc_->abi_major != SH_ABI_MAJOR || desc_->abi_minor > SH_ABI_MINOR)
      throw std::runtime_error(path + ": plugin ABI " + std::to_string(desc_->abi_major) + "." +
                               std::to_string(desc_->abi_minor) + ", harness ABI " +
                               std::to_string(SH_ABI_MAJOR) + "." + std::to_string(SH_ABI_MINOR));
  }
  const sh_plugin_descriptor& descriptor() const { return *desc_; }

 private:
  static boost::dll::shared_library load(const std::string& path) {
    try {
      return boost::dll::shared_library(
          path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
      throw std::runtime_error("cannot load " + path + ": " + e.what());
    }
  }

  boost::dll::shared_library lib_;
  const sh_plugin_descriptor* desc_ = nullptr;
};

// A detector hit with its class copied (the plugin's pointer is borrowed).
struct CollectedHit {
  sh_detector_hit hit;
  std::string hit_class;
};

// One plugin instance, destroyed with the object. Creation failure is not an
// exception: check ok(), status() and last_error().
class PluginInstance {
 public:
  PluginInstance(const PluginLibrary& lib, HarnessHost& host, const nlohmann::json& config)
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

  // --- provider ---
  // One poll through a raw sink (e.g. one that only counts).
  sh_status poll(const sh_event_sink& sink, uint32_t max_events) {
    return desc_.provider->poll(inst_, &sink, max_events);
  }
  // One poll; appends the emitted events to out.
  sh_status poll(std::vector<sh_market_event>& out, uint32_t max_events) {
    sh_event_sink sink{sizeof(sh_event_sink), &out, &append_events};
    return poll(sink, max_events);
  }
  // Polls until SH_END_OF_DATA or an error (returned in *final_status), at
  // most max_polls times.
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
  sh_status detect(const std::vector<sh_feature_row>& rows, const sh_market_context& ctx,
                   std::vector<CollectedHit>& hits, int64_t minute_ts_ns = 0) {
    const sh_feature_batch batch = make_batch(rows, minute_ts_ns);
    sh_hit_sink sink{sizeof(sh_hit_sink), &hits, &append_hits};
    return desc_.detector->detect(inst_, &batch, &ctx, &sink);
  }

  // --- expert --- out is resized to rows.size() and pre-filled (abstain, NaN).
  sh_status evaluate(const std::vector<sh_feature_row>& rows, const sh_market_context& ctx,
                     std::vector<sh_evidence>& out, int64_t minute_ts_ns = 0) {
    const sh_feature_batch batch = make_batch(rows, minute_ts_ns);
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
  static sh_feature_batch make_batch(const std::vector<sh_feature_row>& rows, int64_t minute_ts_ns) {
    return sh_feature_batch{sizeof(sh_feature_batch), sizeof(sh_feature_row),
                            static_cast<uint32_t>(rows.size()), 0, minute_ts_ns, rows.data()};
  }
  static sh_status append_events(void* ctx, const sh_market_event* events, uint32_t count,
                                 uint32_t item_size) {
    auto* out = static_cast<std::vector<sh_market_event>*>(ctx);
    const auto* p = reinterpret_cast<const unsigned char*>(events);
    for (uint32_t i = 0; i < count; ++i) {
      sh_market_event ev{};
      std::memcpy(&ev, p + static_cast<size_t>(i) * item_size,
                  item_size < sizeof(ev) ? item_size : sizeof(ev));
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
                  item_size < sizeof(h.hit) ? item_size : sizeof(h.hit));
      h.hit_class = h.hit.hit_class ? h.hit.hit_class : "";
      h.hit.hit_class = nullptr;  // borrowed pointer: use hit_class instead
      out->push_back(std::move(h));
    }
    return SH_OK;
  }

  const sh_plugin_descriptor& desc_;
  void* inst_ = nullptr;
  sh_status status_ = SH_ERR_INTERNAL;
};

}  // namespace sh_test

#endif  // SH_TESTS_SUPPORT_PLUGIN_HARNESS_H
