// Shadow trials of experts and risk policies (README "Shadow trials"): the
// candidate beside a serving expert evaluates the same rows and context;
// the candidate beside a serving risk policy judges the same intents (as
// the chain gave them to the serving version, scaled by the policies before
// it) against the same portfolio. Neither reaches consensus, the chain, the
// broker or a venue: their outputs and the serving version's go to
// Minute::shadow_outputs, which the shadow stage writes to out/shadow/ and
// adds to the ShadowBoard. They run after the decision's timed section.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "decision/decision_stage.h"
#include "store/time_format.h"

namespace sh::host {

namespace {

const char* evidence_direction(const sh_evidence& e) {
  if (e.prob_long > e.prob_short) return "long";
  if (e.prob_short > e.prob_long) return "short";
  return "flat";
}

bool abstains(const sh_evidence& e) { return (e.flags & SH_EVIDENCE_FLAG_ABSTAIN) != 0; }

std::string verdict_class(const sh_order_intent& intent, const sh_risk_verdict& v) {
  std::string c = std::string(order_side_name(intent.side)) + " " + risk_action_name(v.action);
  if (v.action != SH_RISK_ALLOW || v.reason != SH_REASON_NONE) c += ":" + risk_reason_text(v.reason);
  return c;
}

std::string dump_line(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void DecisionStage::capture_risk_input(size_t i, const sh_order_intent_batch& intents,
                                       const sh_portfolio_state& portfolio) {
  ShadowRiskInput& in = shadow_risk_in_[i];
  in.called = true;
  in.intents.assign(intents.count, sh_order_intent{});
  const auto* p = reinterpret_cast<const unsigned char*>(intents.items);
  const size_t stride = intents.item_size;
  for (size_t k = 0; k < intents.count; ++k) {
    std::memcpy(&in.intents[k], p + k * stride, std::min(stride, sizeof(sh_order_intent)));
  }
  in.positions.assign(portfolio.position_count, sh_position{});
  const auto* q = reinterpret_cast<const unsigned char*>(portfolio.positions);
  for (size_t k = 0; k < portfolio.position_count; ++k) {
    std::memcpy(&in.positions[k], q + k * portfolio.position_size,
                std::min<size_t>(portfolio.position_size, sizeof(sh_position)));
  }
  in.portfolio = portfolio;
  in.portfolio.position_size = sizeof(sh_position);
  in.portfolio.positions = in.positions.data();
}

void DecisionStage::run_shadow_candidates(Minute& minute) {
  for (size_t e = 0; e < experts_.size(); ++e) {
    if (expert_slots_[e]->shadow) shadow_expert(e, *expert_slots_[e]->shadow, minute);
  }
  for (size_t i = 0; i < risk_.size(); ++i) {
    if (risk_slots_[i]->shadow && shadow_risk_in_[i].called) {
      shadow_risk(i, *risk_slots_[i]->shadow, minute);
    }
    shadow_risk_in_[i].called = false;
  }
}

void DecisionStage::shadow_expert(size_t e, const ShadowCandidate& candidate, Minute& minute) {
  if (!candidate.instance) return;  // experts are plugins (Lua under experts: is a router rule)
  const MinuteClose& close = *minute.close;
  const size_t n = close.rows.size();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  shadow_evidence_.assign(n, sh_evidence{});
  for (size_t i = 0; i < n; ++i) {
    sh_evidence& ev = shadow_evidence_[i];
    ev.struct_size = sizeof(sh_evidence);
    ev.symbol = close.rows[i].symbol;
    ev.flags = SH_EVIDENCE_FLAG_ABSTAIN;
    ev.prob_long = ev.prob_short = ev.confidence = nan;
  }
  sh_evidence_batch out{sizeof(sh_evidence_batch), sizeof(sh_evidence), static_cast<uint32_t>(n), 0,
                        shadow_evidence_.data()};
  const sh_status st = candidate.instance->faulted()
                           ? SH_ERR_UNSUPPORTED
                           : candidate.instance->evaluate_expert(minute.batch, close.context, out);
  ShadowOutput o;
  o.component = expert_names_[e];
  const std::vector<sh_evidence>& serving = evidence_[e];
  const std::string iso = format_iso8601_utc(close.minute_ts_ns);
  for (size_t i = 0; i < n; ++i) {
    const char* name = ctx_->runtime.symbols.name(close.rows[i].symbol);
    const std::string symbol = name != nullptr ? name : std::to_string(close.rows[i].symbol);
    if (i < serving.size() && !abstains(serving[i])) {
      o.serving[{symbol, evidence_direction(serving[i])}] = serving[i].confidence;
    }
    if (st != SH_OK) continue;  // a failing candidate abstains, like a failing expert
    const sh_evidence& c = shadow_evidence_[i];
    if (abstains(c)) continue;
    o.candidate[{symbol, evidence_direction(c)}] = c.confidence;
    o.lines.push_back(dump_line({{"minute", iso},
                                 {"minute_ts_ns", close.minute_ts_ns},
                                 {"component", o.component},
                                 {"version", candidate.version},
                                 {"symbol", symbol},
                                 {"direction", evidence_direction(c)},
                                 {"prob_long", c.prob_long},
                                 {"prob_short", c.prob_short},
                                 {"confidence", c.confidence}}));
  }
  if (st != SH_OK && should_log(++shadow_errors_)) {
    spdlog::warn("shadow candidate {} of '{}' failed on minute {} ({}): {} [{} so far]",
                 candidate.version, o.component, iso, abi_status_name(st),
                 candidate.instance->faulted() ? "faulted" : candidate.instance->last_error(),
                 shadow_errors_);
  }
  minute.shadow_outputs.push_back(std::move(o));
}

void DecisionStage::shadow_risk(size_t i, const ShadowCandidate& candidate, Minute& minute) {
  ShadowRiskInput& in = shadow_risk_in_[i];
  RiskPolicy policy;
  policy.name = risk_[i].name + " (shadow " + candidate.version + ")";
  policy.evaluate = [&candidate](const sh_order_intent_batch& intents,
                                 const sh_portfolio_state& portfolio,
                                 sh_risk_verdict_batch& out) {
    return evaluate_risk_component(candidate.instance.get(), candidate.rule.get(), intents, portfolio, out);
  };
  const sh_order_intent_batch batch{sizeof(sh_order_intent_batch), sizeof(sh_order_intent),
                                    static_cast<uint32_t>(in.intents.size()), 0, in.intents.data()};
  shadow_details_.clear();
  if (!evaluate_policy_alone(policy, batch, in.portfolio, &shadow_verdicts_, &shadow_details_) &&
      should_log(++shadow_errors_)) {
    spdlog::warn("shadow candidate {} of '{}' failed on minute {}: {} [{} so far]", candidate.version,
                 risk_[i].name, format_iso8601_utc(minute.close->minute_ts_ns),
                 shadow_verdicts_.empty() ? std::string() : std::string(verdict_detail(shadow_verdicts_[0])),
                 shadow_errors_);
  }
  ShadowOutput o;
  o.component = risk_[i].name;
  const std::string iso = format_iso8601_utc(minute.close->minute_ts_ns);
  const size_t count = risk_result_.intent_count;
  for (size_t j = 0; j < in.intents.size(); ++j) {
    const sh_order_intent& intent = in.intents[j];
    const char* name = ctx_->runtime.symbols.name(intent.symbol);
    const std::string symbol = name != nullptr ? name : std::to_string(intent.symbol);
    const sh_risk_verdict& s = risk_result_.verdicts[i * count + j];  // the serving verdict
    const sh_risk_verdict& c = shadow_verdicts_[j];
    o.serving[{symbol, verdict_class(intent, s)}] = s.action == SH_RISK_DENY ? 0.0 : s.scale;
    o.candidate[{symbol, verdict_class(intent, c)}] = c.action == SH_RISK_DENY ? 0.0 : c.scale;
    o.lines.push_back(dump_line({{"minute", iso},
                                 {"minute_ts_ns", minute.close->minute_ts_ns},
                                 {"component", o.component},
                                 {"version", candidate.version},
                                 {"symbol", symbol},
                                 {"side", order_side_name(intent.side)},
                                 {"qty", intent.qty},
                                 {"notional_usd", intent.notional_usd},
                                 {"action", risk_action_name(c.action)},
                                 {"reason", risk_reason_text(c.reason)},
                                 {"scale", c.scale},
                                 {"detail", std::string(verdict_detail(c))},
                                 {"serving_action", risk_action_name(s.action)},
                                 {"serving_reason", risk_reason_text(s.reason)},
                                 {"serving_scale", s.scale}}));
  }
  minute.shadow_outputs.push_back(std::move(o));
}

}  // namespace sh::host
