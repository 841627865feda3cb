// plugins/: loading components: shared libraries (plugin_library, content
// addressing), live instances (plugin_instance), the catalog for
// --list-plugins, config entries to instances and Lua rules (component_loader).
//
// PluginInstance: RAII owner of one live plugin instance.
//
// Holds the library (shared, so its code stays mapped), the instance's host
// services, and the opaque instance pointer; the destructor calls the plugin's
// destroy(). The call wrappers are the pipeline's hot path: one indirect call
// plus a try/catch that costs nothing unless a raw C-ABI plugin lets an
// exception escape, which marks the instance faulted instead of terminating.
// All calls on one instance must come from one thread at a time.
#pragma once

#include <strategy_host/abi.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "isolation/isolation_options.h"
#include "isolation/plugin_call_scope.h"
#include "services/host_services.h"
#include "plugins/plugin_library.h"

namespace sh::host {

// "SH_OK", "SH_ERR_CONFIG", ... ("status N" for an unknown code).
std::string abi_status_name(sh_status status);

class PluginInstance {
 public:
  struct Created {
    std::unique_ptr<PluginInstance> instance;  // null on failure
    // One line naming the component, e.g. "component 'spike' (plugin
    // zscore_spike): create failed: threshold too high" or
    // "component 'spike' (plugin zscore_spike): config.threshold: expected number, got string".
    std::string error;
  };

  // Validates `config` against the plugin's schema, then creates the
  // instance. Never throws; a failed instance is destroyed before returning.
  // runtime must outlive the instance.
  // With isolation.process the plugin runs in a child process behind a proxy
  // that presents the same descriptor (isolation/isolated_plugin.h).
  static Created create(const std::string& component, std::shared_ptr<const PluginLibrary> library,
                        const nlohmann::json& config, HostRuntime& runtime,
                        const IsolationOptions& isolation = {});

  ~PluginInstance();
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  const std::string& component() const { return services_->component(); }
  const PluginLibrary& library() const { return *library_; }
  const std::shared_ptr<const PluginLibrary>& shared_library() const { return library_; }
  sh_plugin_kind kind() const { return library_->kind(); }
  // The config the instance currently runs with.
  const nlohmann::json& config() const { return config_; }
  // True when the plugin runs in a child process (isolation: process).
  bool isolated() const { return desc_ != &library_->descriptor(); }
  // True once an exception escaped one of the plugin's calls: the plugin broke
  // the ABI contract and its state is unknown; callers should stop using it.
  bool faulted() const { return faulted_; }

  // Provider: SH_OK, SH_WOULD_BLOCK, SH_END_OF_DATA or an error.
  sh_status poll(const sh_event_sink& sink, uint32_t max_events) noexcept {
    if (poll_ == nullptr) return SH_ERR_UNSUPPORTED;
    const PluginCallScope scope(component(), library_->name(), "poll");
    try {
      return poll_(instance_, &sink, max_events);
    } catch (...) {
      return escaped();
    }
  }
  // Provider, ABI 1.3: the receive clock (abi.h); -1 when the plugin is
  // not a clock source (older plugin, file replay, or isolated).
  int64_t clock_ns() noexcept {
    if (clock_ns_ == nullptr || faulted_) return -1;
    const PluginCallScope scope(component(), library_->name(), "clock_ns");
    try {
      return clock_ns_(instance_);
    } catch (...) {
      escaped();
      return -1;
    }
  }
  bool clock_source() const { return clock_ns_ != nullptr; }
  // Provider, ABI 1.5: provider_entitled() (SH_OK when the plugin declares
  // no entitlement check) and daily history (SH_ERR_UNSUPPORTED without).
  sh_status entitled() noexcept {
    if (entitled_ == nullptr) return SH_OK;
    const PluginCallScope scope(component(), library_->name(), "entitled");
    try {
      return entitled_(instance_);
    } catch (...) {
      return escaped();
    }
  }
  bool serves_history() const { return fetch_daily_ != nullptr; }
  sh_status fetch_daily(const char* symbol, int64_t from_day_ts_ns, int64_t to_day_ts_ns,
                        const sh_daily_bar_sink& sink) noexcept {
    if (fetch_daily_ == nullptr) return SH_ERR_UNSUPPORTED;
    const PluginCallScope scope(component(), library_->name(), "fetch_daily");
    try {
      return fetch_daily_(instance_, symbol, from_day_ts_ns, to_day_ts_ns, &sink);
    } catch (...) {
      return escaped();
    }
  }
  sh_status detect(const sh_feature_batch& rows, const sh_market_context& context,
                   const sh_hit_sink& sink) noexcept {
    if (detect_ == nullptr) return SH_ERR_UNSUPPORTED;
    const PluginCallScope scope(component(), library_->name(), "detect");
    try {
      return detect_(instance_, &rows, &context, &sink);
    } catch (...) {
      return escaped();
    }
  }
  sh_status evaluate_expert(const sh_feature_batch& rows, const sh_market_context& context,
                            sh_evidence_batch& out) noexcept {
    if (expert_ == nullptr) return SH_ERR_UNSUPPORTED;
    const PluginCallScope scope(component(), library_->name(), "evaluate");
    try {
      return expert_(instance_, &rows, &context, &out);
    } catch (...) {
      return escaped();
    }
  }
  sh_status evaluate_risk(const sh_order_intent_batch& intents, const sh_portfolio_state& portfolio,
                          sh_risk_verdict_batch& out) noexcept {
    if (risk_ == nullptr) return SH_ERR_UNSUPPORTED;
    const PluginCallScope scope(component(), library_->name(), "evaluate");
    try {
      return risk_(instance_, &intents, &portfolio, &out);
    } catch (...) {
      return escaped();
    }
  }

  // Venue (ABI 1.4; abi.h "Execution venues"). SH_ERR_UNSUPPORTED when the
  // instance is not a venue or the venue leaves the call NULL.
  sh_status venue_capabilities(sh_venue_capabilities& out) noexcept {
    return venue_call("capabilities", venue_ ? venue_->capabilities : nullptr, &out);
  }
  sh_status venue_submit(const sh_venue_order& order, const sh_venue_sink& sink) noexcept {
    return venue_call("submit", venue_ ? venue_->submit : nullptr, &order, &sink);
  }
  sh_status venue_cancel(const char* client_order_id, const sh_venue_sink& sink) noexcept {
    return venue_call("cancel", venue_ ? venue_->cancel : nullptr, client_order_id, &sink);
  }
  sh_status venue_on_bars(const sh_venue_bar_batch& bars, const sh_venue_sink& sink) noexcept {
    return venue_call("on_bars", venue_ ? venue_->on_bars : nullptr, &bars, &sink);
  }
  sh_status venue_on_events(const sh_market_event* events, uint32_t count, uint32_t item_size,
                            const sh_venue_sink& sink) noexcept {
    return venue_call("on_events", venue_ ? venue_->on_events : nullptr, events, count, item_size,
                      &sink);
  }
  sh_status venue_poll(const sh_venue_sink& sink) noexcept {
    return venue_call("poll", venue_ ? venue_->poll : nullptr, &sink);
  }
  sh_status venue_query_orders(const sh_venue_sink& sink) noexcept {
    return venue_call("query_orders", venue_ ? venue_->query_orders : nullptr, &sink);
  }
  sh_status venue_query_positions(const sh_position_sink& sink) noexcept {
    return venue_call("query_positions", venue_ ? venue_->query_positions : nullptr, &sink);
  }

  // Applies new parameters to the live instance, all-or-nothing. Validates
  // against the schema first. "" on success, else one line: the schema error,
  // "plugin 'p' does not support set_config", or "set_config failed: <last_error>".
  std::string set_config(const nlohmann::json& config);
  // The same call for a one-shot command the plugin documents (e.g.
  // {"reset": true}): config() keeps the serving parameters.
  std::string send_command(const nlohmann::json& command);

  // Durable state (ABI 1.1; library().supports_state()). "" on success, else
  // one line naming the plugin's error. save_state copies the bytes.
  std::string save_state(std::string* out);
  std::string load_state(const std::string& bytes);

  // The plugin's last error for this instance ("" if none); valid until the
  // next call on the instance.
  const char* last_error() const;

 private:
  PluginInstance(std::shared_ptr<const PluginLibrary> library,
                 std::unique_ptr<InstanceServices> services);
  sh_status escaped() noexcept;
  template <typename Fn, typename... Args>
  sh_status venue_call(const char* what, Fn fn, Args... args) noexcept {
    if (fn == nullptr) return SH_ERR_UNSUPPORTED;
    const PluginCallScope scope(component(), library_->name(), what);
    try {
      return fn(instance_, args...);
    } catch (...) {
      return escaped();
    }
  }
  // Routes every descriptor call to a child process (isolation: process).
  void use_proxy();
  // Runs one descriptor call (a status-returning lambda): "" on SH_OK, else
  // "<what> failed: <last_error or status>"; an escaping exception faults.
  template <typename Call>
  std::string guarded_call(const char* what, Call&& call);
  // set_config / send_command: validate, resolve paths, call set_config.
  std::string send(const nlohmann::json& config, bool fill_defaults);
  // The config as the plugin gets it (config/config_paths.h).
  nlohmann::json wire_config(const nlohmann::json& config, bool fill_defaults) const;

  // Declared first so it is released last: the instance's code lives in it.
  std::shared_ptr<const PluginLibrary> library_;
  std::unique_ptr<InstanceServices> services_;
  // The descriptor calls go through: the library's, or proxy_desc_ when isolated.
  const sh_plugin_descriptor* desc_ = nullptr;
  sh_plugin_descriptor proxy_desc_{};
  void* instance_ = nullptr;
  nlohmann::json config_;
  bool faulted_ = false;

  decltype(sh_provider_api::poll) poll_ = nullptr;
  decltype(sh_provider_api::clock_ns) clock_ns_ = nullptr;
  decltype(sh_provider_api::entitled) entitled_ = nullptr;
  decltype(sh_provider_api::fetch_daily) fetch_daily_ = nullptr;
  decltype(sh_detector_api::detect) detect_ = nullptr;
  decltype(sh_expert_api::evaluate) expert_ = nullptr;
  decltype(sh_risk_api::evaluate) risk_ = nullptr;
  const sh_venue_api* venue_ = nullptr;  // in-process only (isolation refuses venues)
};

}  // namespace sh::host
