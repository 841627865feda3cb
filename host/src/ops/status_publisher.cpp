#include "ops/status_publisher.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "plugins/plugin_library.h"
#include "services/host_clock.h"

namespace sh::host {

void StatusPublisher::add_latency(const LatencySamples& samples) {
  for (; close_seen_ < samples.close_ns.size(); ++close_seen_) {
    close_.observe_ns(samples.close_ns[close_seen_]);
    slowest_close_ns_ = std::max(slowest_close_ns_, samples.close_ns[close_seen_]);
  }
  // The decision latency is the core's (experts .. risk chain), the figure
  // the circuit breaker trips on.
  for (; decision_seen_ < samples.decision_core_ns.size(); ++decision_seen_) {
    decision_.observe_ns(samples.decision_core_ns[decision_seen_]);
  }
}

void StatusPublisher::publish(const StageContext& ctx,
                              const std::vector<std::unique_ptr<Stage>>& stages,
                              std::vector<ProviderStatus> providers) {
  add_latency(ctx.latency);
  auto s = std::make_shared<StatusSnapshot>();
  s->mode = run_mode_name(ctx.config.mode);
  s->started_wall_ns = started_wall_ns_;
  s->published_wall_ns = HostClock::wall_ns();
  s->store_open = ctx.store != nullptr;
  s->warmup_minutes = ctx.config.conveyor.baseline_warmup;
  s->bar_interval_ns = ctx.config.conveyor.bar_interval_ns;
  s->last_minute_ts_ns = ctx.runtime.last_minute_ts_ns.load(std::memory_order_relaxed);
  s->summary = ctx.summary;
  s->summary.events_in = ctx.events_in.load(std::memory_order_acquire);
  s->close_latency = close_;
  s->decision_latency = decision_;
  s->providers = std::move(providers);
  for (const SwapSlot& slot : ctx.components.slots()) {
    ComponentStatus c;
    c.name = slot.component;
    c.kind = slot.provider ? "provider" : kind_name(slot.kind);
    c.plugin = slot.instance != nullptr ? slot.instance->library().name() : "lua";
    serving_version_label(slot, &c.version);
    c.config_version = slot.current.version;
    c.origin = slot.current.origin;
    s->components.push_back(std::move(c));
  }
  for (const auto& stage : stages) stage->describe(*s);
  if (!ctx.shadows.empty()) {
    s->shadow_trials_json =
        ctx.shadows.snapshot_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  const SymbolGate& gate = ctx.config.decision.governance;
  if (gate.enabled) {
    nlohmann::json g = {{"gate", true}, {"states", gate.states}};
    std::map<std::string, size_t> counts{{"ACTIVE", 0}, {"DEGRADED", 0}, {"QUARANTINED", 0}};
    for (const auto& [symbol, state] : gate.states) ++counts[state];
    g["counts"] = counts;
    s->governance_json = g.dump();
  }
  add_series_point(*s);
  board_.publish(std::move(s));
}

// A point per newly closed minute (publishes after swaps add none).
void StatusPublisher::add_series_point(StatusSnapshot& s) {
  if (s.last_minute_ts_ns != 0 && (series_.empty() || series_.back().minute_ts_ns != s.last_minute_ts_ns)) {
    series_.push_back({s.last_minute_ts_ns, s.decision.equity_usd, static_cast<double>(slowest_close_ns_) * 1e-6});
    slowest_close_ns_ = 0;
    if (series_.size() > kSeriesPoints) series_.pop_front();
  }
  s.series_minute_ts_ns.reserve(series_.size());
  s.series_equity_usd.reserve(series_.size());
  s.series_close_ms.reserve(series_.size());
  for (const SeriesPoint& p : series_) {
    s.series_minute_ts_ns.push_back(p.minute_ts_ns);
    s.series_equity_usd.push_back(p.equity_usd);
    s.series_close_ms.push_back(p.close_ms);
  }
}

}  // namespace sh::host
