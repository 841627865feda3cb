// rule_prelude.h: the trusted Lua code loaded into every rule state before
// the rule: FFI declarations of the ABI records, the budget check, the
// sandbox environment and the per-kind batch loops.
#ifndef SH_HOST_LUA_RULE_PRELUDE_H
#define SH_HOST_LUA_RULE_PRELUDE_H

#include <strategy_host/abi.h>

#include <cstddef>
#include <string>

namespace sh::host {

struct RiskReasonName {
  const char* name;  // as rules spell it: "LOW_CONFIDENCE"
  sh_risk_reason code;
};
// Every sh_risk_reason, in enum order. The prelude's REASON table is
// generated from this, so the two cannot drift apart.
extern const RiskReasonName kRiskReasonNames[];
extern const size_t kRiskReasonCount;

// Chunk name of the prelude in Lua messages.
inline constexpr const char* kPreludeChunkName = "=[sh prelude]";

// The prelude's source. Called with (budget*, clock fn*, host log,
// host symbol_name) and returns its interface table:
//   install(chunk, kind, params, label) -> sandbox + run + required-function check
//   run_detect / run_route / run_check  -> the batch loops
//   classes                             -> class names a detector introduced (1-based)
//   layout(type, field), trace_count()  -> diagnostics for tests
const std::string& rule_prelude_source();

}  // namespace sh::host

#endif  // SH_HOST_LUA_RULE_PRELUDE_H
