// The governance gate (runbook 001, "BLOCK TRADING"): with history:
// configured, the decision layer denies new exposure on a symbol whose
// history state is not ACTIVE, reason SYMBOL_NOT_ACTIVE (412, runbook 004's
// family), in every mode. An intent that only reduces an open position
// passes (exits stay possible). A symbol the universe does not list is not
// ACTIVE. Evaluated first in the risk chain, as policy "symbol_governance".
#pragma once

#include <map>
#include <string>

#include "decision/risk_chain.h"
#include "services/symbol_table.h"

namespace sh::host {

struct SymbolGate {
  bool enabled = false;
  // symbol -> "ACTIVE" | "DEGRADED" | "QUARANTINED" (the last verify's), for
  // the universe's symbols only.
  std::map<std::string, std::string> states;
};

// The policy reads *gate and *symbols at call time; both must outlive it.
RiskPolicy make_symbol_gate_policy(const SymbolGate* gate, const SymbolTable* symbols);

}  // namespace sh::host
