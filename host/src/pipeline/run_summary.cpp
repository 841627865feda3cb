#include "pipeline/run_summary.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <ostream>

namespace sh::host {

void set_latency_figures(const LatencySamples& samples, RunSummary* summary) {
  // p50, p99 and max in us of a list of ns samples; zeros when empty.
  auto percentiles = [](std::vector<int64_t> v, double* p50, double* p99, double* max) {
    if (v.empty()) return;
    std::sort(v.begin(), v.end());
    auto pct = [&v](double p) {
      return static_cast<double>(v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))]) / 1e3;
    };
    *p50 = pct(0.50);
    *p99 = pct(0.99);
    if (max != nullptr) *max = static_cast<double>(v.back()) / 1e3;
  };
  percentiles(samples.close_ns, &summary->close_p50_us, &summary->close_p99_us,
              &summary->close_max_us);
  percentiles(samples.conveyor_close_ns, &summary->conveyor_close_p50_us, &summary->conveyor_close_p99_us,
              nullptr);
  percentiles(samples.commit_ns, &summary->commit_p50_us, &summary->commit_p99_us, nullptr);
  percentiles(samples.decision_ns, &summary->decision_p50_us, &summary->decision_p99_us,
              &summary->decision_max_us);
  percentiles(samples.decision_core_ns, &summary->decision_core_p50_us, &summary->decision_core_p99_us,
              &summary->decision_core_max_us);
}

namespace {

void print_decision_figures(std::ostream& out, const RunSummary& s) {
  out << "  order intents      " << s.intents << "\n";
  out << "  orders accepted    " << s.orders_accepted;
  if (s.orders_duplicate) out << "  (duplicate " << s.orders_duplicate << ")";
  if (s.orders_refused) out << "  (refused " << s.orders_refused << ")";
  if (s.orders_not_submitted) out << "  (dry-run, not submitted " << s.orders_not_submitted << ")";
  out << "\n";
  uint64_t total_denied = 0;
  for (const auto& kv : s.denied) total_denied += kv.second;
  out << "  orders denied      " << total_denied;
  if (!s.denied.empty()) {
    out << "  (";
    bool first = true;
    for (const auto& [k, v] : s.denied) {
      out << (first ? "" : ", ") << k << "=" << v;
      first = false;
    }
    out << ")";
  }
  out << "\n";
  out << "  fills              " << s.fills << "\n";
  if (s.router_enabled) out << "  model switches     " << s.model_switches << "\n";
  if (s.expert_errors) out << "  expert errors      " << s.expert_errors << "\n";
  if (s.router_rule_errors) out << "  router rule errors " << s.router_rule_errors << "\n";
  if (s.operator_commands) out << "  operator commands  " << s.operator_commands << "\n";
  if (s.var_pct_max > 0) out << "  var pct max        " << s.var_pct_max << "\n";
  if (s.var_reduce_minutes) {
    out << "  emergency reduce   " << s.var_reduce_minutes << " minutes, " << s.var_reduce_orders
        << " reducing orders\n";
  }
  if (s.reconcile_mismatches) out << "  reconcile mismatch " << s.reconcile_mismatches << "\n";
  if (s.venue_unknown_reports) out << "  unknown reports    " << s.venue_unknown_reports << "\n";
  if (s.ack_timeouts) out << "  ack timeouts       " << s.ack_timeouts << "\n";
  if (s.late_fills) out << "  late fills         " << s.late_fills << "\n";
  if (s.orders_canary_capped) out << "  canary capped      " << s.orders_canary_capped << "\n";
  out << "  equity usd         " << s.equity_usd << " (cash " << s.cash_usd << ", realized pnl "
      << s.realized_pnl_usd;
  if (s.fees_usd != 0.0) out << ", fees " << s.fees_usd;
  out << ")\n";
}

// "a=1, b=2" in key order.
std::string counts_by_key(const std::map<std::string, uint64_t>& counts) {
  std::string by;
  for (const auto& [k, v] : counts) by += (by.empty() ? "" : ", ") + k + "=" + std::to_string(v);
  return by;
}

void print_alert_figures(std::ostream& out, const RunSummary& s) {
  uint64_t raised = 0;
  for (const auto& kv : s.alerts_raised) raised += kv.second;
  out << "  alerts raised      " << raised;
  if (raised) out << "  (" << counts_by_key(s.alerts_raised) << ")";
  for (size_t i = 0; i < s.alerts_active.size(); ++i) out << (i ? ", " : "; still raised: ") << s.alerts_active[i];
  out << "\n";
}

}  // namespace

void print_run_summary(std::ostream& out, const RunSummary& s, RunMode mode,
                       const CounterRegistry& counters) {
  out << "run summary (" << run_mode_name(mode) << ")\n";
  out << "  events in          " << s.events_in << "\n";
  out << "  rejected events    " << s.rejected_events << "\n";
  if (!s.quarantined.empty()) {
    uint64_t total = 0;
    for (const auto& kv : s.quarantined) total += kv.second;
    out << "  quarantined events " << total << "  (" << counts_by_key(s.quarantined) << ")\n";
  }
  out << "  late events        " << s.late_events << "\n";
  out << "  minutes closed     " << s.minutes_closed;
  if (s.minutes_closed_on_clock > 0) out << "  (" << s.minutes_closed_on_clock << " on the receive clock)";
  out << "\n";
  if (s.feed_gaps > 0) out << "  feed gaps          " << s.feed_gaps << "  (rows marked dq gap)\n";
  out << "  snapshot rows      " << s.snapshot_rows;
  if (!s.dq_rows.empty()) {
    out << "  (dq:";
    for (const auto& [k, v] : s.dq_rows) out << " " << k << "=" << v;
    out << ")";
  }
  out << "\n";
  out << "  detector hits      " << s.detector_hits << "\n";
  if (s.alerts_enabled) print_alert_figures(out, s);
  if (s.detector_errors) out << "  detector errors    " << s.detector_errors << "\n";
  if (s.rules_in_use) {
    out << "  rule reloads       ok " << s.rule_reloads_ok << ", refused " << s.rule_reloads_refused
        << "\n";
  }
  if (s.swaps_applied || s.swaps_refused) {
    out << "  config swaps       applied " << s.swaps_applied << ", refused " << s.swaps_refused
        << "\n";
  }
  if (s.reload_messages.enabled) {
    const ReloadMessageFigures& r = s.reload_messages;
    out << "  reload messages    received " << r.received << ", applied " << r.applied << ", refused "
        << r.refused;
    if (!r.refused_by_reason.empty()) out << "  (" << counts_by_key(r.refused_by_reason) << ")";
    out << "\n";
  }
  if (s.provider_errors) out << "  provider errors    " << s.provider_errors << "\n";
  if (mode == RunMode::kDryRun) out << "  candidates logged  " << s.candidates << "\n";
  out << "  events published   " << s.published << "\n";
  if (s.shadowed) out << "  events shadowed    " << s.shadowed << "\n";
  uint64_t total_suppressed = 0;
  for (const auto& kv : s.suppressed) total_suppressed += kv.second;
  out << "  events suppressed  " << total_suppressed;
  if (!s.suppressed.empty()) {
    out << "  (";
    bool first = true;
    for (const auto& [k, v] : s.suppressed) {
      out << (first ? "" : ", ") << k << "=" << v;
      first = false;
    }
    out << ")";
  }
  out << "\n";
  if (s.decision_enabled) print_decision_figures(out, s);
  for (const auto& [name, value] : counters.snapshot()) {
    if (value != 0) out << "  " << name << " " << value << "\n";
  }
  const double rate = s.wall_seconds > 0 ? static_cast<double>(s.events_in) / s.wall_seconds : 0;
  if (s.minutes_closed) {
    out << "  minute close       p50 " << s.close_p50_us << " us, p99 " << s.close_p99_us
        << " us, max " << s.close_max_us << " us\n";
    out << "    conveyor part    p50 " << s.conveyor_close_p50_us << " us, p99 "
        << s.conveyor_close_p99_us << " us\n";
    if (s.commit_p50_us > 0) {
      out << "    commit (writer)  p50 " << s.commit_p50_us << " us, p99 " << s.commit_p99_us
          << " us, on the minute writer's thread\n";
    }
    if (s.decision_enabled) {
      out << "    decision stage   p50 " << s.decision_p50_us << " us, p99 " << s.decision_p99_us
          << " us, max " << s.decision_max_us << " us\n";
      out << "      experts..risk  p50 " << s.decision_core_p50_us << " us, p99 "
          << s.decision_core_p99_us << " us, max " << s.decision_core_max_us << " us\n";
    }
  }
  out << "  wall time          " << s.wall_seconds << " s (" << static_cast<uint64_t>(rate)
      << " events/s)\n";
  out << "digest sha256:" << s.digest << "\n";
}

std::string run_summary_json(const RunSummary& s, RunMode mode, const CounterRegistry& counters,
                             const OutputDigest& digest) {
  nlohmann::json j;
  j["mode"] = run_mode_name(mode);
  j["events_in"] = s.events_in;
  j["rejected_events"] = s.rejected_events;
  j["quarantined"] = s.quarantined;
  j["late_events"] = s.late_events;
  j["minutes_closed"] = s.minutes_closed;
  j["minutes_closed_on_clock"] = s.minutes_closed_on_clock;
  j["feed_gaps"] = s.feed_gaps;
  if (s.clock_offset_ms == s.clock_offset_ms) j["clock_offset_ms"] = s.clock_offset_ms;
  j["snapshot_rows"] = s.snapshot_rows;
  j["dq_rows"] = s.dq_rows;
  j["detector_hits"] = s.detector_hits;
  j["detector_errors"] = s.detector_errors;
  j["provider_errors"] = s.provider_errors;
  j["candidates"] = s.candidates;
  j["published"] = s.published;
  j["shadowed"] = s.shadowed;
  j["suppressed"] = s.suppressed;
  if (s.alerts_enabled) {
    j["alerts"] = {{"raised", s.alerts_raised}, {"cleared", s.alerts_cleared}, {"active", s.alerts_active}};
  }
  j["rule_reloads"] = {{"ok", s.rule_reloads_ok}, {"refused", s.rule_reloads_refused}};
  j["config_swaps"] = {{"applied", s.swaps_applied}, {"refused", s.swaps_refused}};
  if (s.reload_messages.enabled) {
    j["reload_messages"] = {{"received", s.reload_messages.received},
                            {"applied", s.reload_messages.applied},
                            {"refused", s.reload_messages.refused},
                            {"refused_by_reason", s.reload_messages.refused_by_reason}};
  }
  if (s.decision_enabled) {
    j["decision"] = {{"intents", s.intents},
                     {"orders_accepted", s.orders_accepted},
                     {"orders_duplicate", s.orders_duplicate},
                     {"orders_refused", s.orders_refused},
                     {"orders_not_submitted", s.orders_not_submitted},
                     {"denied", s.denied},
                     {"fills", s.fills},
                     {"model_switches", s.model_switches},
                     {"expert_errors", s.expert_errors},
                     {"router_rule_errors", s.router_rule_errors},
                     {"operator_commands", s.operator_commands},
                     {"var_pct_max", s.var_pct_max},
                     {"var_reduce_minutes", s.var_reduce_minutes},
                     {"var_reduce_orders", s.var_reduce_orders},
                     {"reconciliations", s.reconciliations},
                     {"reconcile_mismatches", s.reconcile_mismatches},
                     {"venue_unknown_reports", s.venue_unknown_reports},
                     {"fees_usd", s.fees_usd},
                     {"ack_timeouts", s.ack_timeouts},
                     {"late_fills", s.late_fills},
                     {"orders_canary_capped", s.orders_canary_capped},
                     {"equity_usd", s.equity_usd},
                     {"cash_usd", s.cash_usd},
                     {"realized_pnl_usd", s.realized_pnl_usd},
                     {"latency_us",
                      {{"p50", s.decision_p50_us}, {"p99", s.decision_p99_us}, {"max", s.decision_max_us}}},
                     {"core_latency_us",
                      {{"p50", s.decision_core_p50_us},
                       {"p99", s.decision_core_p99_us},
                       {"max", s.decision_core_max_us}}}};
  }
  nlohmann::json counter_values = nlohmann::json::object();
  for (const auto& [name, value] : counters.snapshot()) counter_values[name] = value;
  j["counters"] = counter_values;
  j["wall_seconds"] = s.wall_seconds;
  j["close_latency_us"] = {{"p50", s.close_p50_us}, {"p99", s.close_p99_us}, {"max", s.close_max_us}};
  j["conveyor_close_latency_us"] = {{"p50", s.conveyor_close_p50_us}, {"p99", s.conveyor_close_p99_us}};
  j["commit_latency_us"] = {{"p50", s.commit_p50_us}, {"p99", s.commit_p99_us}};
  j["digest"] = s.digest;
  nlohmann::json streams = nlohmann::json::array();
  for (const auto& info : digest.streams()) {
    streams.push_back({{"name", info.name}, {"bytes", info.bytes}, {"sha256", info.hex_digest}});
  }
  j["streams"] = streams;
  return j.dump(2);
}

}  // namespace sh::host
