#include "ops/status_json.h"

#include <cmath>

#include "store/time_format.h"

namespace sh::host {
namespace {

nlohmann::json finite_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

nlohmann::json iso_or_null(int64_t ns) { return ns > 0 ? nlohmann::json(format_iso8601_utc(ns)) : nlohmann::json(); }

nlohmann::json decision_json(const DecisionStatus& d) {
  nlohmann::json j = {{"enabled", d.enabled},
                      {"equity_usd", finite_or_null(d.equity_usd)},
                      {"cash_usd", finite_or_null(d.cash_usd)},
                      {"realized_pnl_usd", finite_or_null(d.realized_pnl_usd)},
                      {"unrealized_pnl_usd", finite_or_null(d.unrealized_pnl_usd)},
                      {"daily_pnl_usd", finite_or_null(d.daily_pnl_usd)},
                      {"drawdown_pct", finite_or_null(d.drawdown_pct)},
                      {"var_pct", finite_or_null(d.var_pct)},
                      {"emergency_stop", d.emergency_stop},
                      {"paused", d.paused},
                      {"emergency_reduce", d.emergency_reduce},
                      {"working_orders", d.working_orders}};
  j["positions"] = nlohmann::json::array();
  for (const PositionStatus& p : d.positions) {
    j["positions"].push_back({{"symbol", p.symbol},
                              {"qty", p.qty},
                              {"avg_price", finite_or_null(p.avg_price)},
                              {"mark_price", finite_or_null(p.mark_price)},
                              {"notional_usd", finite_or_null(p.notional_usd)},
                              {"unrealized_pnl_usd", finite_or_null(p.unrealized_pnl_usd)}});
  }
  j["risk"] = nlohmann::json::array();
  for (const RiskComponentStatus& r : d.risk) {
    nlohmann::json c = {{"component", r.name}, {"plugin", r.plugin}};
    const auto state = nlohmann::json::parse(r.state_json, nullptr, false);
    c["state"] = r.state_json.empty() ? nlohmann::json() : state.is_discarded() ? nlohmann::json(r.state_json) : state;
    if (r.breaker) c["breaker_open"] = r.open;
    if (r.kill_switch) {
      c["kill_switch_engaged"] = r.engaged;
      c["path"] = r.path;
    }
    j["risk"].push_back(std::move(c));
  }
  return j;
}

nlohmann::json run_json(const StatusSnapshot& s, int64_t now_wall_ns) {
  const RunSummary& r = s.summary;
  uint64_t rows = 0;
  for (const auto& [dq, n] : r.dq_rows) rows += n;
  const auto ok = r.dq_rows.find("ok");
  const double ok_share = rows == 0 ? NAN : double(ok == r.dq_rows.end() ? 0 : ok->second) / double(rows);
  // Lags: how old the last committed minute's end is, and the status itself.
  const int64_t minute_end = s.last_minute_ts_ns > 0 ? s.last_minute_ts_ns + s.bar_interval_ns : 0;
  return {{"events_in", r.events_in},
          {"minutes_closed", r.minutes_closed},
          {"last_minute", iso_or_null(s.last_minute_ts_ns)},
          {"last_minute_ts_ns", s.last_minute_ts_ns},
          {"lags", {{"minute_end_age_s", minute_end > 0 ? nlohmann::json((now_wall_ns - minute_end) * 1e-9)
                                                        : nlohmann::json()},
                    {"status_age_s", (now_wall_ns - s.published_wall_ns) * 1e-9},
                    {"clock_offset_ms", finite_or_null(r.clock_offset_ms)}}},
          {"dq", {{"rows", r.dq_rows}, {"ok_share", finite_or_null(ok_share)}}},
          {"detector_hits", r.detector_hits},
          {"published", r.published},
          {"suppressed", r.suppressed},
          {"intents", r.intents},
          {"orders_accepted", r.orders_accepted},
          {"denied", r.denied},
          {"fills", r.fills},
          {"operator_commands", r.operator_commands}};
}

}  // namespace

nlohmann::json status_to_json(const StatusSnapshot& s, int64_t now_wall_ns) {
  nlohmann::json j = {{"mode", s.mode},
                      {"started", iso_or_null(s.started_wall_ns)},
                      {"uptime_s", (now_wall_ns - s.started_wall_ns) * 1e-9},
                      {"published", iso_or_null(s.published_wall_ns)},
                      {"run", run_json(s, now_wall_ns)},
                      {"decision", decision_json(s.decision)}};
  j["components"] = nlohmann::json::array();
  for (const ComponentStatus& c : s.components) {
    j["components"].push_back({{"name", c.name}, {"kind", c.kind}, {"plugin", c.plugin},
                               {"version", c.version}, {"config_version", c.config_version},
                               {"origin", c.origin}});
  }
  j["providers"] = nlohmann::json::array();
  for (const ProviderStatus& p : s.providers) {
    j["providers"].push_back({{"name", p.name}, {"connected", p.connected}, {"finished", p.finished},
                              {"failed", p.failed}, {"events", p.events}});
  }
  j["reloads"] = nlohmann::json::array();
  for (const SwapStatus& w : s.swaps) {
    j["reloads"].push_back({{"at", iso_or_null(w.wall_ns)}, {"component", w.component},
                            {"applied", w.applied}, {"config_version", w.config_version},
                            {"label", w.label}, {"reason", w.reason},
                            {"effective_seq", w.effective_seq}, {"duration_s", w.duration_seconds}});
  }
  nlohmann::json equity = nlohmann::json::array(), close_ms = nlohmann::json::array(),
                 minutes = nlohmann::json::array();
  for (size_t i = 0; i < s.series_minute_ts_ns.size(); ++i) {
    minutes.push_back(iso_or_null(s.series_minute_ts_ns[i]));
    equity.push_back(finite_or_null(s.series_equity_usd[i]));
    close_ms.push_back(finite_or_null(s.series_close_ms[i]));
  }
  j["series"] = {{"minutes", std::move(minutes)}, {"equity_usd", std::move(equity)},
                 {"close_ms", std::move(close_ms)}};
  auto report = [](const std::string& text) {
    return text.empty() ? nlohmann::json() : nlohmann::json::parse(text, nullptr, false);
  };
  j["daily_report"] = {{"today", report(s.daily_today_json)}, {"last", report(s.daily_last_json)}};
  j["shadow_trials"] = s.shadow_trials_json.empty() ? nlohmann::json::array() : report(s.shadow_trials_json);
  if (!s.governance_json.empty()) j["governance"] = report(s.governance_json);
  j["alerts"] = nlohmann::json::array();
  for (const ActiveAlert& a : s.alerts) {
    j["alerts"].push_back({{"code", a.code}, {"severity", alert_severity_name(a.severity)},
                           {"message", a.message}, {"raised", iso_or_null(a.raised_ts_ns)},
                           {"value", finite_or_null(a.value)}, {"threshold", finite_or_null(a.threshold)}});
  }
  return j;
}

}  // namespace sh::host
