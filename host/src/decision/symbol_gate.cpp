#include "decision/symbol_gate.h"

#include <cmath>
#include <cstring>

namespace sh::host {

namespace {

// The symbol's signed position in the portfolio (0 when none).
double gate_position_qty(const sh_portfolio_state& p, sh_symbol_id symbol) {
  const auto* base = reinterpret_cast<const unsigned char*>(p.positions);
  for (uint32_t i = 0; base != nullptr && i < p.position_count; ++i) {
    const auto* pos = reinterpret_cast<const sh_position*>(base + size_t{i} * p.position_size);
    if (pos->symbol == symbol) return pos->qty;
  }
  return 0.0;
}

void gate_deny(sh_risk_verdict* v, const std::string& text) {
  v->action = SH_RISK_DENY;
  v->reason = SH_REASON_SYMBOL_NOT_ACTIVE;
  v->scale = 0.0;
  const size_t n = std::min(text.size(), sizeof(v->detail) - 1);
  std::memcpy(v->detail, text.data(), n);
  v->detail[n] = '\0';
}

}  // namespace

RiskPolicy make_symbol_gate_policy(const SymbolGate* gate, const SymbolTable* symbols) {
  RiskPolicy p;
  p.name = "symbol_governance";
  p.evaluate = [gate, symbols](const sh_order_intent_batch& intents, const sh_portfolio_state& portfolio,
                               sh_risk_verdict_batch& out) -> Status {
    const auto* in = reinterpret_cast<const unsigned char*>(intents.items);
    auto* verdicts = reinterpret_cast<unsigned char*>(out.items);
    for (uint32_t i = 0; i < intents.count; ++i) {
      const auto& intent = *reinterpret_cast<const sh_order_intent*>(in + size_t{i} * intents.item_size);
      auto* v = reinterpret_cast<sh_risk_verdict*>(verdicts + size_t{i} * out.item_size);
      const char* name = symbols->name(intent.symbol);
      const std::string symbol = name ? name : "";
      const auto it = gate->states.find(symbol);
      const std::string state = it == gate->states.end() ? "NOT_IN_UNIVERSE" : it->second;
      if (state == "ACTIVE") continue;
      // Reducing an open position is not new exposure.
      const double pos = gate_position_qty(portfolio, intent.symbol);
      const double signed_qty = intent.side == SH_SIDE_SELL ? -intent.qty : intent.qty;
      const bool reduces = pos != 0 && std::signbit(pos) != std::signbit(signed_qty) &&
                           std::fabs(signed_qty) <= std::fabs(pos) + 1e-12;
      if (reduces) continue;
      gate_deny(v, symbol + " is " + state + ": no new exposure (run host history verify)");
    }
    return Status::Ok();
  };
  return p;
}

}  // namespace sh::host
