// RiskChain: the configured risk policies, evaluated in order on one batch of
// order intents per minute close.
//
//   - Each policy sees only the intents still alive, as scaled by the
//     policies before it (qty and notional_usd multiplied by every SCALE).
//   - DENY stops that intent: later policies do not see it.
//   - SCALE with 0 < scale <= 1 multiplies; scale == 0 is a DENY with the
//     policy's reason; any other scale (NaN, < 0, > 1) or an unknown action
//     is a malformed verdict: DENY POLICY_ERROR for that intent.
//   - A policy that returns an error Status or throws fails CLOSED: its
//     verdict for every intent of its batch is DENY POLICY_ERROR (detail =
//     the error), and the cycle counts as an erroring one.
// consecutive_errors(): cycles in a row with at least one erroring policy or
// malformed verdict; reset to 0 by a clean cycle. The pipeline copies it into
// sh_portfolio_state.consecutive_errors (safe mode).
//
// Reason -> HTTP-like code of the paper API (runbook 004), for a DENY:
//   412 Precondition Failed  LOW_CONFIDENCE, NOTIONAL_CAP, CONFIDENCE_SCALE, VOL_TARGET,
//                            SYMBOL_NOT_ACTIVE (the governance gate, decision/symbol_gate.h)
//   423 Locked               KILL_SWITCH, RISK_LOCKED, DAILY_LOSS, VAR_LIMIT, SAFE_MODE
//   429 Too Many Requests    RATE_LIMITED
//   503 Service Unavailable  CIRCUIT_OPEN, POLICY_ERROR, NONE and unknown codes
// ALLOW and SCALE are 200. Each reason maps to exactly one code.
#ifndef SH_HOST_DECISION_RISK_CHAIN_H
#define SH_HOST_DECISION_RISK_CHAIN_H

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <strategy_host/abi.h>

#include "store/status.h"

namespace sh::host {

// A verdict's whole reason: detail_ext when set, else the fixed field.
inline std::string_view verdict_detail(const sh_risk_verdict& v) {
  return v.detail_ext != nullptr ? std::string_view(v.detail_ext) : std::string_view(v.detail);
}

// Code of a final verdict (see the table above).
int risk_http_code(sh_risk_action action, sh_risk_reason reason);
// "KILL_SWITCH", ..., "NONE"; "REASON_<n>" for a code this host does not know.
std::string risk_reason_text(sh_risk_reason reason);
const char* risk_action_name(sh_risk_action action);  // "allow" | "scale" | "deny"

// One policy. evaluate writes one verdict per intent into out (pre-filled
// with ALLOW, scale 1, empty detail; out.count == intents.count). Adapters
// wrap PluginInstance::evaluate_risk (sh_status + last_error -> Status) and
// Lua risk rules.
struct RiskPolicy {
  std::string name;
  std::function<Status(const sh_order_intent_batch& intents, const sh_portfolio_state& portfolio,
                       sh_risk_verdict_batch& out)>
      evaluate;
};

// What the chain decided for one intent.
struct IntentOutcome {
  sh_risk_action action = SH_RISK_ALLOW;  // ALLOW, SCALE (net scale < 1) or DENY
  sh_risk_reason reason = SH_REASON_NONE;  // the denying (or last scaling) reason
  int http_code = 200;
  int32_t decided_by = -1;  // policy index that denied (or last scaled); -1 none
  double scale = 1.0;       // product of all SCALE verdicts it went through
};

// Result of one cycle, reused across cycles (no allocation once warm).
struct RiskChainResult {
  size_t intent_count = 0;
  size_t policy_count = 0;
  std::vector<sh_order_intent> final_intents;  // as scaled; meaningful where not DENY
  std::vector<IntentOutcome> outcomes;
  // Policy p's verdicts in the order of the batch it was given:
  // verdicts[p * intent_count + j], j < the batch size. slot[p * intent_count
  // + i] is intent i's j in that batch, -1 when policy p never saw intent i
  // (denied earlier). Use verdict().
  std::vector<sh_risk_verdict> verdicts;
  std::vector<int32_t> slot;
  bool any_error = false;  // a policy errored or gave a malformed verdict
  // Every detail longer than sh_risk_verdict::detail, copied from the
  // plugin (or composed by the chain) this cycle; a verdict's detail_ext
  // points here. Read details through verdict_detail().
  std::deque<std::string> long_details;

  const sh_risk_verdict* verdict(size_t policy, size_t intent) const {
    const int32_t j = slot[policy * intent_count + intent];
    return j >= 0 ? &verdicts[policy * intent_count + static_cast<size_t>(j)] : nullptr;
  }
};

// One call of `policy` outside the chain (a shadow trial's candidate): the
// verdicts it gives `intents`, normalised as the chain normalises them
// (SCALE 0 is DENY; a failure or a malformed verdict is DENY POLICY_ERROR).
// False when the policy erred. Long details are kept in *long_details.
bool evaluate_policy_alone(const RiskPolicy& policy, const sh_order_intent_batch& intents,
                           const sh_portfolio_state& portfolio, std::vector<sh_risk_verdict>* verdicts,
                           std::deque<std::string>* long_details);

class RiskChain {
 public:
  RiskChain() = default;
  explicit RiskChain(std::vector<RiskPolicy> policies) : policies_(std::move(policies)) {}

  const std::vector<RiskPolicy>& policies() const { return policies_; }
  // Replaces the chain between cycles (a swap); keeps consecutive_errors.
  void set_policies(std::vector<RiskPolicy> policies) { policies_ = std::move(policies); }

  // Evaluates intents[0..count). An empty chain allows everything. Never
  // fails: errors are contained into verdicts (see above).
  void evaluate(const sh_order_intent* intents, size_t count, const sh_portfolio_state& portfolio,
                RiskChainResult* result);

  uint32_t consecutive_errors() const { return consecutive_errors_; }
  // Restore after a restart (e.g. from the store); 0 clears.
  void set_consecutive_errors(uint32_t n) { consecutive_errors_ = n; }

 private:
  std::vector<RiskPolicy> policies_;
  uint32_t consecutive_errors_ = 0;
  // Scratch, reused: the alive intents (as scaled so far), compacted in
  // place when a policy denies, and their indices into the input.
  std::vector<sh_order_intent> batch_;
  std::vector<size_t> batch_index_;
};

}  // namespace sh::host

#endif  // SH_HOST_DECISION_RISK_CHAIN_H
