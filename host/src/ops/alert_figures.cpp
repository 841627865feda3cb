#include "ops/alert_figures.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

namespace sh::host {
namespace {

std::string figure_text(const char* fmt, double a, double b = 0, double c = 0, double d = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, a, b, c, d);
  return buf;
}

constexpr const char* kDriftFields[3] = {"z_ret", "z_volume", "z_spread"};

double drift_field(const sh_feature_row& r, size_t i) {
  return i == 0 ? r.z_ret : i == 1 ? r.z_volume : r.z_spread;
}

}  // namespace

double RiskLimit::percent(const ComponentRegistry& registry) {
  if (slot_ == nullptr) {
    for (const SwapSlot& s : registry.slots()) {
      if (s.kind == SH_KIND_RISK && s.rule == nullptr && s.library && s.library->name() == plugin_) {
        slot_ = &s;
        break;
      }
    }
    if (slot_ == nullptr) return cached_;
  }
  // The pipeline thread writes these fields: it may read them unlocked.
  if (slot_->current.version == version_ && slot_->library.get() == library_) return cached_;
  version_ = slot_->current.version;
  library_ = slot_->library.get();
  cached_ = std::numeric_limits<double>::quiet_NaN();
  const nlohmann::json& cfg = slot_->current.config;
  if (cfg.is_object() && cfg.contains(key_) && cfg[key_].is_number()) {
    cached_ = cfg[key_].get<double>();
  } else if (slot_->library) {
    const auto schema = nlohmann::json::parse(slot_->library->identity().config_schema, nullptr, false);
    const nlohmann::json::json_pointer at("/properties/" + std::string(key_) + "/default");
    if (schema.is_object() && schema.contains(at) && schema[at].is_number()) cached_ = schema[at].get<double>();
  }
  if (!(cached_ > 0)) cached_ = std::numeric_limits<double>::quiet_NaN();
  return cached_;
}

AlertFigures::AlertFigures(const AlertConfig& config, const ComponentRegistry& registry,
                           const SymbolTable& symbols)
    : config_(config), registry_(registry), symbols_(symbols) {
  dq_.set_capacity(rule(AlertKind::kDq).window_minutes);
  drift_.set_capacity(rule(AlertKind::kBaselineDrift).window_minutes);
  gate_.set_capacity(rule(AlertKind::kSuppression).window_minutes);
  switches_.set_capacity(rule(AlertKind::kModelSwitches).window_minutes);
}

void AlertFigures::add_minute(const Minute& minute, const RunSummary& summary, int64_t bar_interval_ns) {
  for (AlertReading& r : readings_) r.known = false;
  read_portfolio(minute.decision);
  read_rows(*minute.close, bar_interval_ns);
  read_drift();
  read_gate(summary);
  read_finalize();
}

void AlertFigures::add_finalize_ms(double ms) {
  if (!std::isfinite(ms)) return;
  finalize_ms_.push_back(ms);
  if (finalize_ms_.size() > rule(AlertKind::kBarFinalize).window_minutes) finalize_ms_.pop_front();
}

void AlertFigures::read_portfolio(const DecisionFigures& d) {
  if (!d.valid) return;
  if (std::isfinite(d.var_pct)) {
    at(AlertKind::kVar) = {true, d.var_pct, figure_text("portfolio VaR %.3f%% of equity", d.var_pct)};
  }
  const double loss_limit = std::isfinite(rule(AlertKind::kDailyLoss).limit_pct)
                                ? rule(AlertKind::kDailyLoss).limit_pct
                                : daily_loss_limit_.percent(registry_);
  const double start = d.equity_usd - d.daily_pnl_usd;
  if (std::isfinite(loss_limit) && start > 0) {
    const double loss_pct = -d.daily_pnl_usd / start * 100.0;
    const double of_limit = loss_pct / loss_limit * 100.0;
    at(AlertKind::kDailyLoss) = {
        true, of_limit,
        figure_text("daily loss %.2f%% of the day's start equity (%.2f USD) is %.0f%% of the %.2f%% limit",
                    loss_pct, -d.daily_pnl_usd, of_limit, loss_limit)};
  }
  const double dd_limit = std::isfinite(rule(AlertKind::kDrawdown).limit_pct)
                              ? rule(AlertKind::kDrawdown).limit_pct
                              : drawdown_limit_.percent(registry_);
  if (std::isfinite(dd_limit) && std::isfinite(d.drawdown_pct)) {
    const double of_limit = d.drawdown_pct / dd_limit * 100.0;
    at(AlertKind::kDrawdown) = {
        true, of_limit,
        figure_text("drawdown %.2f%% from peak equity is %.0f%% of the %.2f%% limit", d.drawdown_pct,
                    of_limit, dd_limit)};
  }
  switches_.push({static_cast<double>(d.model_switches)});
  if (switches_.full()) {
    const double per_hour = switches_.sum()[0] * 60.0 / rule(AlertKind::kModelSwitches).window_minutes;
    at(AlertKind::kModelSwitches) = {
        true, per_hour,
        figure_text("%.0f model-router switches in the last %.0f minutes (%.1f per hour)",
                    switches_.sum()[0], rule(AlertKind::kModelSwitches).window_minutes, per_hour)};
  }
}

void AlertFigures::read_rows(const MinuteClose& close, int64_t bar_interval_ns) {
  std::array<double, 9> z{};
  double ok = 0;
  for (const sh_feature_row& r : close.rows) {
    ok += r.dq == SH_DQ_OK;
    for (size_t i = 0; i < 3; ++i) {
      const double v = drift_field(r, i);
      if (!std::isfinite(v)) continue;
      z[i * 3] += 1;
      z[i * 3 + 1] += v;
      z[i * 3 + 2] += v * v;
    }
  }
  drift_.push(z);
  dq_.push({ok, static_cast<double>(close.rows.size())});
  if (dq_.full() && dq_.sum()[1] > 0) {
    const double share = dq_.sum()[0] / dq_.sum()[1] * 100.0;
    at(AlertKind::kDq) = {true, share,
                          figure_text("%.1f%% of rows dq ok over the last %.0f minutes (%.0f of %.0f)", share,
                                      rule(AlertKind::kDq).window_minutes, dq_.sum()[0], dq_.sum()[1])};
  }
  if (close.stalest_symbol != SH_INVALID_SYMBOL) {
    const int64_t end = close.minute_ts_ns + bar_interval_ns;
    const double age_s = std::max<double>(0.0, static_cast<double>(end - close.stalest_event_ns) / 1e9);
    const char* name = symbols_.name(close.stalest_symbol);
    at(AlertKind::kFeedStale) = {true, age_s,
                                 std::string(name ? name : "?") +
                                     figure_text(": no market data for %.1f s at the minute's end", age_s)};
  }
}

void AlertFigures::read_drift() {
  const AlertRuleConfig& r = rule(AlertKind::kBaselineDrift);
  if (!drift_.full()) return;
  const auto& s = drift_.sum();
  double worst = -1;
  for (size_t i = 0; i < 3; ++i) {
    const double n = s[i * 3];
    if (n < static_cast<double>(r.min_samples) || n < 2) continue;
    const double mean = s[i * 3 + 1] / n;
    const double var = std::max(0.0, (s[i * 3 + 2] - n * mean * mean) / (n - 1));
    const double sd = std::sqrt(var);
    const double ratio = std::max({std::fabs(mean) / r.max_abs_mean, sd / r.max_std,
                                   sd > 0 ? r.min_std / sd : std::numeric_limits<double>::infinity()});
    if (ratio <= worst) continue;
    worst = ratio;
    at(AlertKind::kBaselineDrift) = {
        true, ratio,
        std::string(kDriftFields[i]) +
            figure_text(" mean %.3f, std %.3f over %.0f values (green: |mean| <= %g", mean, sd, n,
                        r.max_abs_mean) +
            figure_text(", std in [%g, %g]): %.2f x the band", r.min_std, r.max_std, ratio)};
  }
}

void AlertFigures::read_gate(const RunSummary& summary) {
  uint64_t suppressed = 0;
  for (const auto& [reason, n] : summary.suppressed) suppressed += n;
  const uint64_t passed = summary.published + summary.shadowed;
  const double new_suppressed = static_cast<double>(suppressed - seen_suppressed_);
  const double new_passed = static_cast<double>(passed - seen_passed_);
  seen_suppressed_ = suppressed;
  seen_passed_ = passed;
  gate_.push({new_suppressed, new_suppressed + new_passed});
  const AlertRuleConfig& r = rule(AlertKind::kSuppression);
  if (!gate_.full() || gate_.sum()[1] < static_cast<double>(r.min_samples)) return;
  const double share = gate_.sum()[0] / gate_.sum()[1] * 100.0;
  at(AlertKind::kSuppression) = {
      true, share,
      figure_text("%.1f%% of events suppressed by the gate over the last %.0f minutes (%.0f of %.0f)", share,
                  r.window_minutes, gate_.sum()[0], gate_.sum()[1])};
}

void AlertFigures::read_finalize() {
  const uint32_t window = rule(AlertKind::kBarFinalize).window_minutes;
  if (finalize_ms_.size() < window || window == 0) return;
  std::vector<double> v(finalize_ms_.begin(), finalize_ms_.end());
  const size_t rank = static_cast<size_t>(std::ceil(0.95 * static_cast<double>(v.size()))) - 1;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank), v.end());
  at(AlertKind::kBarFinalize) = {
      true, v[rank],
      figure_text("bar finalize p95 %.0f ms over the last %.0f live minutes", v[rank], window)};
}

}  // namespace sh::host
