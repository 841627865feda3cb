#include "decision/risk_chain.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>

#include "lua/lua_rule.h"

namespace sh::host {

namespace {

// The fixed field gets what fits; a longer text is kept whole in `store`.
void set_detail(sh_risk_verdict* v, std::string_view text, std::deque<std::string>* store) {
  const size_t n = std::min(text.size(), sizeof(v->detail) - 1);
  std::memcpy(v->detail, text.data(), n);
  v->detail[n] = '\0';
  v->detail_ext = nullptr;
  if (n < text.size()) {
    store->emplace_back(text);
    v->detail_ext = store->back().c_str();
  }
}

void deny_policy_error(sh_risk_verdict* v, std::string_view detail, std::deque<std::string>* store) {
  v->struct_size = sizeof(sh_risk_verdict);
  v->action = SH_RISK_DENY;
  v->reason = SH_REASON_POLICY_ERROR;
  v->scale = 0.0;
  set_detail(v, detail, store);
}

}  // namespace

int risk_http_code(sh_risk_action action, sh_risk_reason reason) {
  if (action != SH_RISK_DENY) return 200;
  switch (reason) {
    case SH_REASON_LOW_CONFIDENCE:
    case SH_REASON_NOTIONAL_CAP:
    case SH_REASON_CONFIDENCE_SCALE:
    case SH_REASON_VOL_TARGET:
    case SH_REASON_SYMBOL_NOT_ACTIVE:
      return 412;
    case SH_REASON_KILL_SWITCH:
    case SH_REASON_RISK_LOCKED:
    case SH_REASON_DAILY_LOSS:
    case SH_REASON_VAR_LIMIT:
    case SH_REASON_SAFE_MODE:
      return 423;
    case SH_REASON_RATE_LIMITED:
      return 429;
    case SH_REASON_CIRCUIT_OPEN:
    case SH_REASON_POLICY_ERROR:
    default:
      return 503;
  }
}

std::string risk_reason_text(sh_risk_reason reason) {
  if (reason == SH_REASON_NONE) return "NONE";
  if (const char* name = risk_reason_name(reason)) return name;
  return "REASON_" + std::to_string(reason);
}

const char* risk_action_name(sh_risk_action action) {
  switch (action) {
    case SH_RISK_ALLOW: return "allow";
    case SH_RISK_SCALE: return "scale";
    case SH_RISK_DENY: return "deny";
    default: break;
  }
  return "unknown";
}

namespace {

// Every verdict starts as ALLOW, scale 1, no detail: what a policy that
// writes nothing for an intent says.
void reset_verdicts(sh_risk_verdict* vs, size_t n) {
  for (size_t j = 0; j < n; ++j) {
    sh_risk_verdict& v = vs[j];
    v.struct_size = sizeof(sh_risk_verdict);
    v.action = SH_RISK_ALLOW;
    v.reason = SH_REASON_NONE;
    v.reserved0 = 0;
    v.scale = 1.0;
    v.detail[0] = '\0';
    v.detail_ext = nullptr;
  }
}

// Calls one policy; "" or why it failed (the whole batch is then denied).
std::string call_policy(const RiskPolicy& policy, const sh_order_intent_batch& in,
                        const sh_portfolio_state& portfolio, sh_risk_verdict_batch& out) {
  std::string failure;
  try {
    if (!policy.evaluate) {
      failure = "policy '" + policy.name + "' has no evaluate function";
    } else {
      Status st = policy.evaluate(in, portfolio, out);
      if (!st.ok()) failure = "policy '" + policy.name + "' failed: " + st.message();
    }
  } catch (const std::exception& e) {
    failure = "policy '" + policy.name + "' threw: " + e.what();
  } catch (...) {
    failure = "policy '" + policy.name + "' threw a non-standard exception";
  }
  return failure;
}

// Normalizes a policy's verdict (SCALE 0 is DENY); a failed call or an
// invalid verdict becomes DENY POLICY_ERROR. A detail_ext the plugin gave
// is copied into *long_details (its text lives only until its next call).
// False: the policy erred.
bool check_verdict(const std::string& policy, const std::string& failure, sh_risk_verdict* v,
                   std::deque<std::string>* long_details) {
  bool ok = true;
  if (!failure.empty()) {
    deny_policy_error(v, failure, long_details);
    ok = false;
  } else if (v->action == SH_RISK_SCALE && v->scale == 0.0) {
    v->action = SH_RISK_DENY;
  } else if (v->action == SH_RISK_SCALE && !(v->scale > 0.0 && v->scale <= 1.0)) {
    deny_policy_error(v, "policy '" + policy + "' gave SCALE with a scale outside (0, 1]",
                      long_details);
    ok = false;
  } else if (v->action != SH_RISK_ALLOW && v->action != SH_RISK_SCALE &&
             v->action != SH_RISK_DENY) {
    deny_policy_error(v, "policy '" + policy + "' gave an unknown action " + std::to_string(v->action),
                      long_details);
    ok = false;
  }
  v->detail[sizeof(v->detail) - 1] = '\0';  // a plugin may have filled all 96 bytes
  if (v->detail_ext != nullptr && failure.empty()) {
    // The plugin's text is valid only until its next call: keep a copy.
    long_details->emplace_back(v->detail_ext);
    v->detail_ext = long_details->back().c_str();
  }
  return ok;
}

}  // namespace

bool evaluate_policy_alone(const RiskPolicy& policy, const sh_order_intent_batch& intents,
                           const sh_portfolio_state& portfolio, std::vector<sh_risk_verdict>* verdicts,
                           std::deque<std::string>* long_details) {
  const size_t n = intents.count;
  verdicts->resize(n);
  reset_verdicts(verdicts->data(), n);
  sh_risk_verdict_batch out{};
  out.struct_size = sizeof out;
  out.item_size = sizeof(sh_risk_verdict);
  out.count = static_cast<uint32_t>(n);
  out.items = verdicts->data();
  const std::string failure = call_policy(policy, intents, portfolio, out);
  bool ok = true;
  for (sh_risk_verdict& v : *verdicts) ok = check_verdict(policy.name, failure, &v, long_details) && ok;
  return ok;
}

void RiskChain::evaluate(const sh_order_intent* intents, size_t count,
                         const sh_portfolio_state& portfolio, RiskChainResult* r) {
  const size_t n_pol = policies_.size();
  r->intent_count = count;
  r->policy_count = n_pol;
  r->final_intents.resize(count);
  r->outcomes.assign(count, IntentOutcome{});
  r->verdicts.resize(n_pol * count);
  r->slot.assign(n_pol * count, -1);
  r->any_error = false;
  r->long_details.clear();

  batch_.assign(intents, intents + count);
  batch_index_.resize(count);
  for (size_t i = 0; i < count; ++i) batch_index_[i] = i;
  bool called = false;

  for (size_t p = 0; p < n_pol && !batch_.empty(); ++p) {
    const RiskPolicy& policy = policies_[p];
    const size_t n = batch_.size();
    sh_risk_verdict* vs = r->verdicts.data() + p * count;
    reset_verdicts(vs, n);
    sh_order_intent_batch in{};
    in.struct_size = sizeof in;
    in.item_size = sizeof(sh_order_intent);
    in.count = static_cast<uint32_t>(n);
    in.items = batch_.data();
    sh_risk_verdict_batch out{};
    out.struct_size = sizeof out;
    out.item_size = sizeof(sh_risk_verdict);
    out.count = static_cast<uint32_t>(n);
    out.items = vs;

    called = true;
    const std::string failure = call_policy(policy, in, portfolio, out);

    size_t kept = 0;
    for (size_t j = 0; j < n; ++j) {
      sh_risk_verdict& v = vs[j];
      if (!check_verdict(policy.name, failure, &v, &r->long_details)) r->any_error = true;
      const size_t i = batch_index_[j];
      r->slot[p * count + i] = static_cast<int32_t>(j);
      IntentOutcome& o = r->outcomes[i];
      if (v.action == SH_RISK_DENY) {
        o.action = SH_RISK_DENY;
        o.reason = v.reason;
        o.http_code = risk_http_code(SH_RISK_DENY, v.reason);
        o.decided_by = static_cast<int32_t>(p);
        r->final_intents[i] = batch_[j];
        continue;  // stops here: later policies do not see it
      }
      if (v.action == SH_RISK_SCALE && v.scale < 1.0) {
        batch_[j].qty *= v.scale;
        batch_[j].notional_usd *= v.scale;
        o.scale *= v.scale;
        o.action = SH_RISK_SCALE;
        o.reason = v.reason;
        o.decided_by = static_cast<int32_t>(p);
      }
      if (kept != j) {
        batch_[kept] = batch_[j];
        batch_index_[kept] = i;
      }
      ++kept;
    }
    batch_.resize(kept);
    batch_index_.resize(kept);
  }
  for (size_t j = 0; j < batch_.size(); ++j) r->final_intents[batch_index_[j]] = batch_[j];

  if (r->any_error) {
    ++consecutive_errors_;
  } else if (called) {
    consecutive_errors_ = 0;
  }
}

}  // namespace sh::host
