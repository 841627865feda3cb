// The risk chain: policies in configured order, SCALE composition, DENY
// stopping an intent, erroring and throwing policies failing closed with
// DENY POLICY_ERROR and counting towards safe mode, and the reason -> code
// table of the paper API (412 / 423 / 429 / 503).
#include <catch2/catch.hpp>

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "decision/consensus.h"
#include "decision/decision_log.h"
#include "decision/order_intent.h"
#include "decision/risk_chain.h"

using namespace sh::host;

namespace {

constexpr int64_t kT0 = 1704153600000000000;  // 2024-01-02T00:00:00Z

sh_order_intent intent(sh_symbol_id sym, double qty, double price, double conf = 0.8) {
  sh_order_intent in{};
  in.struct_size = sizeof in;
  in.symbol = sym;
  in.intent_id = sym;
  in.ts_ns = kT0;
  in.side = SH_SIDE_BUY;
  in.qty = qty;
  in.price = price;
  in.notional_usd = qty * price;
  in.confidence = conf;
  return in;
}

void set_verdict(sh_risk_verdict& v, sh_risk_action a, sh_risk_reason r, double scale,
                 const char* detail) {
  v.action = a;
  v.reason = r;
  v.scale = scale;
  std::snprintf(v.detail, sizeof v.detail, "%s", detail);
}

// A policy that applies `fn` to each intent and records what it saw.
struct Recorder {
  std::vector<std::vector<sh_order_intent>> seen;
};

RiskPolicy per_intent(std::string name, Recorder* rec,
                      std::function<void(const sh_order_intent&, sh_risk_verdict&)> fn) {
  RiskPolicy p;
  p.name = std::move(name);
  p.evaluate = [rec, fn](const sh_order_intent_batch& in, const sh_portfolio_state&,
                         sh_risk_verdict_batch& out) {
    if (rec != nullptr) rec->seen.emplace_back(in.items, in.items + in.count);
    for (uint32_t i = 0; i < in.count; ++i) fn(in.items[i], out.items[i]);
    return Status::Ok();
  };
  return p;
}

sh_portfolio_state empty_portfolio() {
  sh_portfolio_state s{};
  s.struct_size = sizeof s;
  s.position_size = sizeof(sh_position);
  return s;
}

RiskChainResult run(RiskChain& chain, const std::vector<sh_order_intent>& intents) {
  RiskChainResult r;
  chain.evaluate(intents.data(), intents.size(), empty_portfolio(), &r);
  return r;
}

// One policy denying every intent with `reason`; returns the final code.
int code_for(sh_risk_reason reason) {
  RiskChain chain({per_intent("p", nullptr, [reason](const sh_order_intent&, sh_risk_verdict& v) {
    set_verdict(v, SH_RISK_DENY, reason, 0.0, "denied");
  })});
  auto r = run(chain, {intent(1, 1, 100)});
  REQUIRE(r.outcomes[0].action == SH_RISK_DENY);
  return r.outcomes[0].http_code;
}

}  // namespace

TEST_CASE("risk chain runs policies in order, SCALE composes, DENY stops the intent", "[risk]") {
  Recorder r1, r2, r3;
  RiskChain chain({
      per_intent("halve_all", &r1,
                 [](const sh_order_intent&, sh_risk_verdict& v) {
                   set_verdict(v, SH_RISK_SCALE, SH_REASON_VOL_TARGET, 0.5, "vol target");
                 }),
      per_intent("cap_symbol_2", &r2,
                 [](const sh_order_intent& in, sh_risk_verdict& v) {
                   if (in.symbol == 2) {
                     set_verdict(v, SH_RISK_DENY, SH_REASON_NOTIONAL_CAP, 0.0, "over cap");
                   } else {
                     set_verdict(v, SH_RISK_SCALE, SH_REASON_CONFIDENCE_SCALE, 0.25, "conf");
                   }
                 }),
      per_intent("allow_all", &r3, [](const sh_order_intent&, sh_risk_verdict&) {}),
  });
  const std::vector<sh_order_intent> in{intent(1, 8, 100), intent(2, 4, 50), intent(3, 2, 10)};
  const RiskChainResult r = run(chain, in);

  // Order, and what each policy saw: the second sees halved quantities, the
  // third no longer sees the denied symbol 2.
  REQUIRE(r1.seen.size() == 1);
  REQUIRE(r2.seen.size() == 1);
  REQUIRE(r3.seen.size() == 1);
  CHECK(r1.seen[0].size() == 3);
  CHECK(r1.seen[0][0].qty == 8);
  CHECK(r2.seen[0][0].qty == 4);
  CHECK(r2.seen[0][0].notional_usd == 400);
  REQUIRE(r3.seen[0].size() == 2);
  CHECK(r3.seen[0][0].symbol == 1);
  CHECK(r3.seen[0][1].symbol == 3);
  CHECK(r3.seen[0][0].qty == 1);  // 8 * 0.5 * 0.25

  CHECK(r.outcomes[0].action == SH_RISK_SCALE);
  CHECK(r.outcomes[0].scale == 0.125);
  CHECK(r.outcomes[0].http_code == 200);
  CHECK(r.final_intents[0].qty == 1);
  CHECK(r.final_intents[0].notional_usd == 100);

  CHECK(r.outcomes[1].action == SH_RISK_DENY);
  CHECK(r.outcomes[1].reason == SH_REASON_NOTIONAL_CAP);
  CHECK(r.outcomes[1].decided_by == 1);
  CHECK(r.outcomes[1].http_code == 412);
  CHECK(r.verdict(2, 1) == nullptr);  // allow_all never saw it
  REQUIRE(r.verdict(0, 1) != nullptr);
  CHECK(r.verdict(0, 1)->action == SH_RISK_SCALE);
  CHECK(std::string(r.verdict(1, 1)->detail) == "over cap");

  CHECK(r.final_intents[2].qty == 0.25);
  CHECK(chain.consecutive_errors() == 0);
}

TEST_CASE("an erroring policy fails closed with DENY POLICY_ERROR and counts errors", "[risk]") {
  Recorder after;
  bool fail = true;
  RiskPolicy broken;
  broken.name = "var_limit";
  broken.evaluate = [&fail](const sh_order_intent_batch& in, const sh_portfolio_state&,
                            sh_risk_verdict_batch& out) {
    // Writes an ALLOW first: an error must override whatever was written.
    for (uint32_t i = 0; i < in.count; ++i) out.items[i].action = SH_RISK_ALLOW;
    if (fail) return Status::Unavailable("covariance feed down");
    return Status::Ok();
  };
  RiskChain chain({broken, per_intent("later", &after, [](const sh_order_intent&,
                                                          sh_risk_verdict&) {})});
  const std::vector<sh_order_intent> in{intent(1, 1, 100), intent(2, 1, 100)};

  RiskChainResult r = run(chain, in);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(r.outcomes[i].action == SH_RISK_DENY);
    CHECK(r.outcomes[i].reason == SH_REASON_POLICY_ERROR);
    CHECK(r.outcomes[i].http_code == 503);
    CHECK(std::string(r.verdict(0, i)->detail).find("covariance feed down") != std::string::npos);
  }
  CHECK(after.seen.empty());  // nothing got through to later policies
  CHECK(r.any_error);
  CHECK(chain.consecutive_errors() == 1);
  run(chain, in);
  CHECK(chain.consecutive_errors() == 2);
  run(chain, {});  // no intents: the policies were not exercised, count unchanged
  CHECK(chain.consecutive_errors() == 2);

  fail = false;  // a clean cycle resets the count
  r = run(chain, in);
  CHECK(r.outcomes[0].action == SH_RISK_ALLOW);
  CHECK_FALSE(r.any_error);
  CHECK(chain.consecutive_errors() == 0);
}

TEST_CASE("a throwing policy is contained as DENY POLICY_ERROR", "[risk]") {
  RiskPolicy thrower;
  thrower.name = "lua_rule";
  thrower.evaluate = [](const sh_order_intent_batch&, const sh_portfolio_state&,
                        sh_risk_verdict_batch&) -> Status {
    throw std::runtime_error("attempt to index a nil value");
  };
  RiskPolicy weird;
  weird.name = "weird";
  weird.evaluate = [](const sh_order_intent_batch&, const sh_portfolio_state&,
                      sh_risk_verdict_batch&) -> Status { throw 42; };
  for (const RiskPolicy& p : {thrower, weird}) {
    RiskChain chain({p});
    RiskChainResult r = run(chain, {intent(1, 1, 100)});
    CHECK(r.outcomes[0].action == SH_RISK_DENY);
    CHECK(r.outcomes[0].reason == SH_REASON_POLICY_ERROR);
    CHECK(r.outcomes[0].http_code == 503);
    CHECK(std::string(r.verdict(0, 0)->detail).find("threw") != std::string::npos);
    CHECK(chain.consecutive_errors() == 1);
  }
  // A policy without a function is an erroring policy too.
  RiskChain chain({RiskPolicy{"empty", nullptr}});
  CHECK(run(chain, {intent(1, 1, 100)}).outcomes[0].reason == SH_REASON_POLICY_ERROR);
}

TEST_CASE("malformed verdicts are contained", "[risk]") {
  RiskChain chain({per_intent("bad", nullptr, [](const sh_order_intent& in, sh_risk_verdict& v) {
    if (in.symbol == 1) set_verdict(v, SH_RISK_SCALE, SH_REASON_VAR_LIMIT, 1.5, "");
    if (in.symbol == 2) set_verdict(v, 77, SH_REASON_NONE, 1.0, "");
    if (in.symbol == 3) set_verdict(v, SH_RISK_SCALE, SH_REASON_VAR_LIMIT, 0.0, "to zero");
    if (in.symbol == 4) std::memset(v.detail, 'x', sizeof v.detail);  // no NUL
  })});
  auto r = run(chain, {intent(1, 1, 1), intent(2, 1, 1), intent(3, 1, 1), intent(4, 1, 1)});
  CHECK(r.outcomes[0].reason == SH_REASON_POLICY_ERROR);
  CHECK(r.outcomes[1].reason == SH_REASON_POLICY_ERROR);
  CHECK(r.outcomes[2].action == SH_RISK_DENY);  // scale 0 = deny with its reason
  CHECK(r.outcomes[2].reason == SH_REASON_VAR_LIMIT);
  CHECK(r.outcomes[2].http_code == 423);
  CHECK(r.outcomes[3].action == SH_RISK_ALLOW);
  CHECK(std::strlen(r.verdict(0, 3)->detail) == sizeof(r.verdict(0, 3)->detail) - 1);
  CHECK(chain.consecutive_errors() == 1);
}

TEST_CASE("412: low confidence and notional cap denials", "[risk]") {
  CHECK(code_for(SH_REASON_LOW_CONFIDENCE) == 412);
  CHECK(code_for(SH_REASON_NOTIONAL_CAP) == 412);
  CHECK(code_for(SH_REASON_CONFIDENCE_SCALE) == 412);
  CHECK(code_for(SH_REASON_VOL_TARGET) == 412);
}

TEST_CASE("423: kill switch, risk locked, daily loss, VaR limit denials", "[risk]") {
  CHECK(code_for(SH_REASON_KILL_SWITCH) == 423);
  CHECK(code_for(SH_REASON_RISK_LOCKED) == 423);
  CHECK(code_for(SH_REASON_DAILY_LOSS) == 423);
  CHECK(code_for(SH_REASON_VAR_LIMIT) == 423);
  CHECK(code_for(SH_REASON_SAFE_MODE) == 423);
}

TEST_CASE("429: rate limited denials", "[risk]") {
  CHECK(code_for(SH_REASON_RATE_LIMITED) == 429);
}

TEST_CASE("503: circuit open and policy error denials", "[risk]") {
  CHECK(code_for(SH_REASON_CIRCUIT_OPEN) == 503);
  CHECK(code_for(SH_REASON_POLICY_ERROR) == 503);
  CHECK(code_for(SH_REASON_NONE) == 503);
  CHECK(code_for(static_cast<sh_risk_reason>(999)) == 503);
  // ALLOW / SCALE are never an error code, whatever the reason.
  CHECK(risk_http_code(SH_RISK_SCALE, SH_REASON_NOTIONAL_CAP) == 200);
  CHECK(risk_http_code(SH_RISK_ALLOW, SH_REASON_NONE) == 200);
  CHECK(risk_reason_text(SH_REASON_POLICY_ERROR) == "POLICY_ERROR");
  CHECK(risk_reason_text(static_cast<sh_risk_reason>(999)) == "REASON_999");
}

TEST_CASE("decisions log line carries evidence, consensus, every verdict and the final code",
          "[risk]") {
  ConsensusConfig cfg;
  cfg.weights = {{"fsm", 0.5}, {"anomaly", 0.5}};
  std::unique_ptr<Consensus> c;
  REQUIRE(Consensus::create(cfg, &c).ok());
  const sh_symbol_id sym = 5;
  sh_evidence a{sizeof(sh_evidence), sym, 0, 0, 0.75, 0.25, 0.75};
  sh_evidence b{sizeof(sh_evidence), sym, SH_EVIDENCE_FLAG_ABSTAIN, 0, 0.5, 0.5, 0.5};
  std::vector<ExpertEvidence> ex(2);
  ex[0].name = "fsm";
  ex[0].items = &a;
  ex[0].count = 1;
  ex[1].name = "anomaly";
  ex[1].items = &b;
  ex[1].count = 1;
  std::vector<ConsensusRecord> recs;
  REQUIRE(c->fuse(&sym, 1, ex, nullptr, &recs).ok());
  REQUIRE(recs[0].allow);

  const std::string key = make_idempotency_key("ETHUSDT", kT0, SH_SIDE_BUY);
  CHECK(key == "ETHUSDT/2024-01-02T00:00:00Z/buy");
  const sh_order_intent in = make_order_intent(recs[0], kT0, 2000.0, 1000.0, intent_id_for_key(key));
  CHECK(in.side == SH_SIDE_BUY);
  CHECK(in.qty == 0.5);

  RiskChain chain({per_intent("notional_cap", nullptr,
                              [](const sh_order_intent&, sh_risk_verdict& v) {
                                set_verdict(v, SH_RISK_SCALE, SH_REASON_NOTIONAL_CAP, 0.5, "cap");
                              }),
                   per_intent("kill_switch", nullptr,
                              [](const sh_order_intent&, sh_risk_verdict& v) {
                                set_verdict(v, SH_RISK_DENY, SH_REASON_KILL_SWITCH, 0, "halt");
                              })});
  RiskChainResult r;
  chain.evaluate(&in, 1, empty_portfolio(), &r);

  DecisionView v;
  v.minute_ts_ns = kT0;
  v.symbol = "ETHUSDT";
  v.experts = &ex;
  v.consensus = &recs[0];
  v.intent = &in;
  v.chain = &chain;
  v.risk = &r;
  v.idempotency_key = key;
  CHECK(format_decision_json(v) ==
        "{\"minute\":\"2024-01-02T00:00:00Z\",\"minute_ts_ns\":1704153600000000000,"
        "\"symbol\":\"ETHUSDT\",\"evidence\":["
        "{\"expert\":\"fsm\",\"used\":true,\"abstain\":false,\"prob_long\":0.75,"
        "\"prob_short\":0.25,\"confidence\":0.75},"
        "{\"expert\":\"anomaly\",\"used\":false,\"abstain\":true,\"prob_long\":0.5,"
        "\"prob_short\":0.5,\"confidence\":0.5}],"
        "\"consensus\":{\"symbol\":\"ETHUSDT\",\"signal\":\"long\",\"prob_long\":0.75,"
        "\"prob_short\":0.25,\"confidence\":0.75,\"model_version\":\"consensus\","
        "\"allow\":true,\"threshold\":0.55},"
        "\"intent\":{\"side\":\"buy\",\"qty\":0.5,\"price\":2000,\"notional_usd\":1000,"
        "\"confidence\":0.75},"
        "\"risk\":[{\"policy\":\"notional_cap\",\"action\":\"scale\",\"reason\":\"NOTIONAL_CAP\","
        "\"code\":200,\"scale\":0.5,\"detail\":\"cap\"},"
        "{\"policy\":\"kill_switch\",\"action\":\"deny\",\"reason\":\"KILL_SWITCH\","
        "\"code\":423,\"scale\":0,\"detail\":\"halt\"}],"
        "\"final\":{\"status\":\"denied\",\"code\":423,\"reason\":\"KILL_SWITCH\","
        "\"qty\":null,\"notional_usd\":null,"
        "\"idempotency_key\":\"ETHUSDT/2024-01-02T00:00:00Z/buy\"}}");
}
