// RouterRules: the Lua router rules (experts: entries with lua:) over the
// consensus's fused records, in config order. A router rule sees each
// symbol's fused record as one evidence record (prob_long, prob_short,
// confidence; NaN where no expert voted) and decides the signal: its
// direction and confidence replace the consensus's, and allow = direction !=
// flat. Each rule runs on the previous one's output. A failing rule leaves
// every record flat for the minute (no orders; LuaRule's fail-safe) and is
// counted.
#pragma once

#include <cstdint>
#include <vector>

#include "conveyor/conveyor.h"
#include "decision/consensus.h"
#include "decision/decision_component.h"

namespace sh::host {

class RouterRules {
 public:
  // Appends a rule (before the run); returns its index.
  size_t add(DecisionComponent rule);
  size_t size() const { return rules_.size(); }
  bool empty() const { return rules_.empty(); }
  // Runs every rule over `records`; *errors += the rules that failed.
  void apply(const MinuteClose& minute, std::vector<ConsensusRecord>& records, uint64_t* errors);

 private:
  std::vector<DecisionComponent> rules_;
  std::vector<uint64_t> error_counts_;  // per rule, for the log
  std::vector<sh_evidence> route_in_;
  std::vector<RouteDecision> route_out_;
};

}  // namespace sh::host
