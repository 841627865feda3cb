// DecisionStage::describe(): the decision layer's part of the status
// snapshot (ops/status_snapshot.h): account, open positions, working orders,
// the trading switches, and each risk component's state (a circuit
// breaker's durable state; a kill switch's file).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "config/config_paths.h"
#include "decision/decision_stage.h"

namespace sh::host {
namespace {

// The file a kill_switch policy watches, resolved as the plugin gets it.
std::string kill_switch_path(const PluginInstance& inst, const std::filesystem::path& config_dir) {
  const auto schema =
      nlohmann::json::parse(inst.library().identity().config_schema, nullptr, false);
  if (schema.is_discarded()) return "";
  const nlohmann::json wire = resolve_config_paths(schema, inst.config(), config_dir);
  return wire.value("path", std::string());
}

void describe_risk(const DecisionComponent& c, const std::map<std::string, std::string>& saved,
                   const std::filesystem::path& config_dir, RiskComponentStatus* r) {
  r->name = c.name;
  r->plugin = c.instance != nullptr ? c.instance->library().name() : "lua";
  const auto it = saved.find(c.name);
  if (it != saved.end()) {
    const size_t nl = it->second.find('\n');
    r->state_json = nl == std::string::npos ? std::string() : it->second.substr(nl + 1);
  }
  if (r->plugin == "circuit_breaker") {
    r->breaker = true;
    const auto j = nlohmann::json::parse(r->state_json, nullptr, false);
    r->open = j.is_object() && j.value("state", "CLOSED") != "CLOSED";
  } else if (r->plugin == "kill_switch" && c.instance != nullptr) {
    r->kill_switch = true;
    r->path = kill_switch_path(*c.instance, config_dir);
    std::error_code ec;
    // As the policy decides: present, or not checkable, is engaged.
    r->engaged = !r->path.empty() && (std::filesystem::exists(r->path, ec) || ec);
  }
}

}  // namespace

void DecisionStage::describe(StatusSnapshot& status) const {
  DecisionStatus& d = status.decision;
  d.enabled = broker_ != nullptr;
  if (!broker_) return;
  d.equity_usd = broker_->equity_usd();
  d.cash_usd = broker_->cash_usd();
  d.realized_pnl_usd = broker_->realized_pnl_usd();
  d.unrealized_pnl_usd = broker_->unrealized_pnl_usd();
  d.daily_pnl_usd = broker_->daily_pnl_usd();
  d.drawdown_pct = broker_->drawdown_pct();
  d.var_pct = var_pct_;
  d.emergency_stop = broker_->emergency_stopped();
  d.paused = broker_->paused();
  d.emergency_reduce = reduce_ && reduce_->active();
  d.working_orders = broker_->pending_order_count();
  const sh_portfolio_state pf = broker_->portfolio_state();
  const auto* base = reinterpret_cast<const unsigned char*>(pf.positions);
  for (uint32_t i = 0; i < pf.position_count && base != nullptr; ++i) {
    const auto* p = reinterpret_cast<const sh_position*>(base + size_t{i} * pf.position_size);
    if (p->qty == 0) continue;
    const char* name = ctx_->runtime.symbols.name(p->symbol);
    d.positions.push_back({name ? name : "?", p->qty, p->avg_price, p->mark_price, p->notional_usd,
                           p->unrealized_pnl_usd});
  }
  std::sort(d.positions.begin(), d.positions.end(),
            [](const PositionStatus& a, const PositionStatus& b) { return a.symbol < b.symbol; });
  d.risk.resize(risk_.size());
  for (size_t i = 0; i < risk_.size(); ++i) {
    describe_risk(risk_[i], durable_.committed(), ctx_->runtime.config_dir, &d.risk[i]);
  }
}

}  // namespace sh::host
