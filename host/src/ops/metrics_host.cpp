#include "ops/metrics_host.h"

#include <unistd.h>

#include <cmath>
#include <fstream>
#include <map>

namespace sh::host {
namespace {

double seconds(int64_t ns) { return static_cast<double>(ns) * 1e-9; }
double num(uint64_t v) { return static_cast<double>(v); }

// A counter family with one label, from a map of label value -> count.
void labelled_counter(MetricsWriter& w, const char* name, const char* help, const char* label,
                      const std::map<std::string, uint64_t>& values) {
  if (!w.family(name, "counter", help)) return;
  for (const auto& [value, n] : values) w.sample({{label, value}}, num(n));
}

void write_run(const StatusSnapshot& s, MetricsWriter& w) {
  const RunSummary& r = s.summary;
  if (w.family("sh_host_info", "gauge", "The host: its run mode and version (value 1)")) {
    w.sample({{"mode", s.mode}, {"version", SH_HOST_VERSION}}, 1);
  }
  w.single("sh_host_start_time_seconds", "gauge", "When the host started, Unix time",
           seconds(s.started_wall_ns));
  w.single("sh_status_timestamp_seconds", "gauge",
           "When the pipeline published the status these figures come from, Unix time",
           seconds(s.published_wall_ns));
  w.single("sh_events_total", "counter", "Market events consumed by the pipeline", num(r.events_in));
  w.single("sh_events_rejected_total", "counter", "Market events the guard or the conveyor rejected",
           num(r.rejected_events));
  w.single("sh_events_late_total", "counter", "Market events that arrived after their minute closed",
           num(r.late_events));
  labelled_counter(w, "sh_events_quarantined_total", "Market events the guard held back, by reason",
                   "reason", r.quarantined);
  w.single("sh_minute_closes_total", "counter", "Minutes closed and committed", num(r.minutes_closed));
  w.single("sh_last_closed_minute_timestamp_seconds", "gauge",
           "Start of the last committed minute, Unix time (0: none yet)", seconds(s.last_minute_ts_ns));
  labelled_counter(w, "sh_snapshot_rows_total", "Feature rows committed, by data-quality status", "dq",
                   r.dq_rows);
  uint64_t rows = 0;
  for (const auto& [dq, n] : r.dq_rows) rows += n;
  const auto ok = r.dq_rows.find("ok");
  w.single("sh_dq_ok_ratio", "gauge", "Share of committed feature rows with data quality ok (NaN: none)",
           rows == 0 ? std::nan("") : num(ok == r.dq_rows.end() ? 0 : ok->second) / num(rows));
  w.single("sh_detector_hits_total", "counter", "Detector hits", num(r.detector_hits));
  w.single("sh_detector_errors_total", "counter", "Detector calls that failed", num(r.detector_errors));
  w.single("sh_events_published_total", "counter", "Events published to the main sinks", num(r.published));
  labelled_counter(w, "sh_events_suppressed_total", "Events the gate suppressed, by reason", "reason",
                   r.suppressed);
  w.single("sh_provider_errors_total", "counter", "Providers stopped by an error", num(r.provider_errors));
  if (w.family("sh_provider_connected", "gauge", "1 when the provider has delivered data, else 0")) {
    for (const ProviderStatus& p : s.providers) w.sample({{"provider", p.name}}, p.connected && !p.failed);
  }
  if (w.family("sh_provider_events_total", "counter", "Market events emitted, by provider")) {
    for (const ProviderStatus& p : s.providers) w.sample({{"provider", p.name}}, num(p.events));
  }
  w.single("sh_swaps_applied_total", "counter", "Config, plugin and rule swaps applied", num(r.swaps_applied));
  w.single("sh_swaps_refused_total", "counter", "Swaps refused", num(r.swaps_refused));
  w.single("sh_rule_reloads_total", "counter", "Lua rule reloads swapped in", num(r.rule_reloads_ok));
}

void write_book(const StatusSnapshot& s, MetricsWriter& w) {
  const RunSummary& r = s.summary;
  const DecisionStatus& d = s.decision;
  w.single("sh_order_intents_total", "counter", "Order intents made from consensus records", num(r.intents));
  w.single("sh_orders_accepted_total", "counter", "Orders accepted by the broker", num(r.orders_accepted));
  w.single("sh_orders_refused_total", "counter", "Orders the broker refused (stopped, paused)",
           num(r.orders_refused));
  labelled_counter(w, "sh_orders_denied_total", "Intents the risk chain denied, by reason code", "reason",
                   r.denied);
  w.single("sh_fills_total", "counter", "Fills booked", num(r.fills));
  w.single("sh_operator_commands_total", "counter", "Operator commands applied (host trade, POST /api/...)",
           num(r.operator_commands));
  w.single("sh_model_switches_total", "counter", "Model router switches", num(r.model_switches));
  w.single("sh_equity_usd", "gauge", "Account equity, USD (NaN: no decision layer)", d.equity_usd);
  w.single("sh_cash_usd", "gauge", "Account cash, USD", d.cash_usd);
  w.single("sh_realized_pnl_usd", "gauge", "Realized PnL of the book, USD", d.realized_pnl_usd);
  w.single("sh_unrealized_pnl_usd", "gauge", "Unrealized PnL of the open positions, USD", d.unrealized_pnl_usd);
  w.single("sh_daily_pnl_usd", "gauge", "PnL since the UTC day began, USD", d.daily_pnl_usd);
  w.single("sh_drawdown_ratio", "gauge", "Drawdown from the equity peak, ratio", d.drawdown_pct / 100.0);
  w.single("sh_portfolio_var_ratio", "gauge", "Portfolio VaR the risk chain saw last, ratio of equity",
           d.var_pct / 100.0);
  w.single("sh_open_positions", "gauge", "Symbols with an open position", num(d.positions.size()));
  w.single("sh_working_orders", "gauge", "Orders working at the venue", num(d.working_orders));
  w.single("sh_trading_stopped", "gauge", "1 after an emergency stop (host trade stop), else 0", d.emergency_stop);
  w.single("sh_trading_paused", "gauge", "1 while trading is paused, else 0", d.paused);
  w.single("sh_emergency_reduce_active", "gauge", "1 while emergency reduce is on, else 0", d.emergency_reduce);
  if (w.family("sh_circuit_breaker_open", "gauge", "1 while the circuit breaker is not CLOSED, by component")) {
    for (const RiskComponentStatus& c : d.risk) {
      if (c.breaker) w.sample({{"component", c.name}}, c.open);
    }
  }
  if (w.family("sh_kill_switch_engaged", "gauge", "1 while the kill-switch file exists, by component")) {
    for (const RiskComponentStatus& c : d.risk) {
      if (c.kill_switch) w.sample({{"component", c.name}}, c.engaged);
    }
  }
  if (w.family("sh_alerts_active", "gauge", "Active alerts, by code and severity")) {
    for (const ActiveAlert& a : s.alerts) {
      w.sample({{"code", a.code}, {"severity", alert_severity_name(a.severity)}}, 1);
    }
  }
  if (w.family("sh_alerts_raised_total", "counter", "Alerts raised, by code (the store's totals)")) {
    for (const AlertCount& c : s.alert_counts) w.sample({{"code", c.code}}, static_cast<double>(c.raised));
  }
  if (w.family("sh_alerts_cleared_total", "counter", "Alerts cleared, by code (the store's totals)")) {
    for (const AlertCount& c : s.alert_counts) w.sample({{"code", c.code}}, static_cast<double>(c.cleared));
  }
}

}  // namespace

void write_status_metrics(const StatusSnapshot& s, MetricsWriter& w) {
  write_run(s, w);
  write_book(s, w);
  if (w.family("sh_component_info", "gauge", "Every swappable component and its serving version (value 1)")) {
    for (const ComponentStatus& c : s.components) {
      w.sample({{"component", c.name}, {"kind", c.kind}, {"plugin", c.plugin}, {"version", c.version}}, 1);
    }
  }
  w.histogram("sh_minute_close_duration_seconds",
              "Minute close: conveyor close, detectors, decision, store transaction, sinks", s.close_latency);
  w.histogram("sh_decision_duration_seconds", "Decision core per minute: experts, router, consensus, risk chain",
              s.decision_latency);
  w.histogram("sh_swap_duration_seconds", "Reload swaps: queued to serving (or refused)", s.swap_latency);
}

void write_counter_metrics(const CounterRegistry& counters, MetricsWriter& w) {
  // family -> component -> value; std::map: a stable order.
  std::map<std::string, std::map<std::string, double>> families;
  for (const auto& [name, value] : counters.snapshot()) {
    const size_t dot = name.find('.');
    const std::string component = dot == std::string::npos ? "" : name.substr(0, dot);
    const std::string counter = dot == std::string::npos ? name : name.substr(dot + 1);
    families["sh_plugin_" + sanitize_metric_name(counter) + "_total"][component] +=
        static_cast<double>(value);
  }
  for (const auto& [family, by_component] : families) {
    if (!w.family(family, "counter", "A host or plugin counter, by component")) continue;
    for (const auto& [component, value] : by_component) w.sample({{"component", component}}, value);
  }
}

void write_server_metrics(const HttpServerStats& stats, MetricsWriter& w) {
  w.single("sh_http_connections_open", "gauge", "HTTP connections open", num(stats.connections_open.load()));
  w.single("sh_http_connections_total", "counter", "HTTP connections accepted",
           num(stats.connections_accepted.load()));
  w.single("sh_http_connections_refused_total", "counter", "HTTP connections closed at once (over max_connections)",
           num(stats.connections_refused.load()));
  w.single("sh_http_connections_timed_out_total", "counter", "HTTP connections dropped for a slow request",
           num(stats.connections_timed_out.load()));
  w.single("sh_http_bad_requests_total", "counter", "Requests refused by the parser (400, 413, 431)",
           num(stats.requests_bad.load()));
  // Resident memory from /proc/self/statm (pages).
  std::ifstream statm("/proc/self/statm");
  uint64_t size_pages = 0, resident_pages = 0;
  if (statm >> size_pages >> resident_pages) {
    w.single("process_resident_memory_bytes", "gauge", "Resident memory size in bytes",
             num(resident_pages) * static_cast<double>(::sysconf(_SC_PAGESIZE)));
  }
}

}  // namespace sh::host
