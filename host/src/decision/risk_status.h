// A risk component's part of the status snapshot (ops/status_snapshot.h):
// its durable state as last committed; a circuit breaker's open or closed;
// a kill switch's file and whether it exists (one stat, as the policy does).
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "decision/decision_component.h"
#include "ops/status_snapshot.h"

namespace sh::host {

class Broker;
class SymbolTable;

// The account, open positions, working orders and trading switches.
void describe_book(const Broker& broker, const SymbolTable& symbols, DecisionStatus* d);

// saved: component -> "<plugin>\n<bytes>" (DurableState::committed()).
void describe_risk_component(const DecisionComponent& c, const std::map<std::string, std::string>& saved,
                             const std::filesystem::path& config_dir, RiskComponentStatus* r);

}  // namespace sh::host
