#include "decision/risk_status.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "config/config_paths.h"
#include "decision/broker.h"
#include "decision/durable_state.h"
#include "services/symbol_table.h"

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

}  // namespace

void describe_risk_component(const DecisionComponent& c, const std::map<std::string, std::string>& saved,
                             const std::filesystem::path& config_dir, RiskComponentStatus* r) {
  r->name = c.name;
  r->plugin = c.instance != nullptr ? c.instance->library().name() : "lua";
  const auto it = saved.find(c.name);
  std::string writer;
  std::string_view bytes;
  if (it != saved.end() && c.instance != nullptr &&
      component_state_bytes(it->second, *c.instance, &writer, &bytes)) {
    r->state_json = std::string(bytes);
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

// The account, open positions (by symbol), working orders and the trading
// switches, as the broker holds them.
void describe_book(const Broker& broker, const SymbolTable& symbols, DecisionStatus* d) {
  d->equity_usd = broker.equity_usd();
  d->cash_usd = broker.cash_usd();
  d->realized_pnl_usd = broker.realized_pnl_usd();
  d->unrealized_pnl_usd = broker.unrealized_pnl_usd();
  d->daily_pnl_usd = broker.daily_pnl_usd();
  d->drawdown_pct = broker.drawdown_pct();
  d->emergency_stop = broker.emergency_stopped();
  d->paused = broker.paused();
  d->working_orders = broker.pending_order_count();
  const sh_portfolio_state pf = broker.portfolio_state();
  const auto* base = reinterpret_cast<const unsigned char*>(pf.positions);
  for (uint32_t i = 0; i < pf.position_count && base != nullptr; ++i) {
    const auto* p = reinterpret_cast<const sh_position*>(base + size_t{i} * pf.position_size);
    if (p->qty == 0) continue;
    const char* name = symbols.name(p->symbol);
    d->positions.push_back({name ? name : "?", p->qty, p->avg_price, p->mark_price, p->notional_usd,
                           p->unrealized_pnl_usd});
  }
  std::sort(d->positions.begin(), d->positions.end(),
            [](const PositionStatus& a, const PositionStatus& b) { return a.symbol < b.symbol; });
}

}  // namespace sh::host
