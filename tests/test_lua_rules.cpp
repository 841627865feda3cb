// [lua] The shipped rules in scripts/lua/ give the documented results, and
// the three spike detectors match their C++ counterparts hit for hit.
#include <catch2/catch.hpp>

#include "../plugins/return_spike/return_spike_core.h"
#include "../plugins/spread_blowout/spread_blowout_core.h"
#include "../plugins/volume_spike/volume_spike_core.h"
#include "test_lua_support.h"

#include <random>

using namespace lua_test;
using sh::host::LuaRule;
using sh::host::RuleKind;

namespace {

std::unique_ptr<LuaRule> shipped(const std::string& name, RuleKind kind, const std::string& params = "") {
  auto cfg = detector_config(source_path("scripts/lua/" + name + ".lua"));
  cfg.name = name;
  cfg.kind = kind;
  cfg.params_json = params;
  std::string err;
  auto rule = LuaRule::load(cfg, &err);
  INFO(err);
  REQUIRE(rule);
  return rule;
}

// Rows around every threshold: nulls, exact boundaries, signs, huge values.
std::vector<sh_feature_row> crafted_rows() {
  std::mt19937_64 rng(20240601);
  const double picks[] = {kNaN, -12, -8, -4.0000001, -4, -3.9999999, -1, 0, 0.5, 0.95, 0.96,
                          1, 3.99, 4, 4.5, 6, 7.9, 8, 8.1, 12, 49.9, 50, 50.1, 75, 100, 1e6};
  const double rets[] = {kNaN, -0.01, -0.001, -0.0009999, 0, 0.0005, 0.001, 0.00100001, 0.05};
  auto pick = [&](const auto& arr) { return arr[rng() % (sizeof(arr) / sizeof(arr[0]))]; };
  std::vector<sh_feature_row> rows;
  for (uint32_t i = 0; i < 2000; ++i) {
    sh_feature_row r = row(i + 1);
    r.z_ret = pick(picks);
    r.log_ret = pick(rets);
    r.z_volume = pick(picks);
    r.q_volume = pick(picks);
    r.z_spread = pick(picks);
    r.spread_bps = pick(picks);
    r.dq = (rng() % 5 == 0) ? SH_DQ_STALE_BOOK : SH_DQ_OK;
    rows.push_back(r);
  }
  return rows;
}

std::vector<Hit> cpp_hits(const std::vector<sh_detector_hit>& out, uint32_t n) {
  std::vector<Hit> v;
  for (uint32_t i = 0; i < n; ++i) {
    v.push_back({out[i].symbol, out[i].minute_ts_ns, out[i].score, out[i].hit_class, out[i].value, out[i].threshold});
  }
  return v;
}

void require_same(const std::vector<Hit>& lua, const std::vector<Hit>& cpp) {
  REQUIRE(lua.size() == cpp.size());
  for (size_t i = 0; i < lua.size(); ++i) {
    INFO("hit " << i << " symbol " << cpp[i].symbol);
    CHECK(lua[i].symbol == cpp[i].symbol);
    CHECK(lua[i].minute_ts_ns == cpp[i].minute_ts_ns);
    CHECK(lua[i].score == cpp[i].score);  // bit-identical arithmetic
    CHECK(lua[i].cls == cpp[i].cls);
    CHECK(lua[i].value == cpp[i].value);
    CHECK(lua[i].threshold == cpp[i].threshold);
  }
}

}  // namespace

TEST_CASE("return_spike.lua gives the documented hits", "[lua]") {
  auto rule = shipped("return_spike", RuleKind::Detector);
  std::vector<sh_feature_row> rows = {row(1), row(2), row(3), row(4), row(5)};
  rows[0].z_ret = -6; rows[0].log_ret = -0.002;  // hit: score 50 + 50 * 2 / 4 = 75
  rows[1].z_ret = 9; rows[1].log_ret = 0.003;    // hit, capped at 100
  rows[2].z_ret = 6; rows[2].log_ret = 0.0005;   // 5 bps < 10 bps: no hit
  rows[3].z_ret = kNaN; rows[3].log_ret = 0.01;  // null z: no hit
  rows[4].z_ret = 4; rows[4].log_ret = 0.001;    // both exactly at threshold: score 50
  std::vector<Hit> hits;
  REQUIRE(run(*rule, rows, 5, &hits) == SH_OK);
  REQUIRE(hits.size() == 3);
  CHECK(hits[0].symbol == 1); CHECK(hits[0].score == 75); CHECK(hits[0].value == -6);
  CHECK(hits[0].threshold == 4); CHECK(hits[0].cls == "return_spike");
  CHECK(hits[1].symbol == 2); CHECK(hits[1].score == 100);
  CHECK(hits[2].symbol == 5); CHECK(hits[2].score == 50);

  auto tuned = shipped("return_spike", RuleKind::Detector, R"({"z_threshold": 8, "min_abs_ret_bps": 1})");
  REQUIRE(run(*tuned, rows, 5, &hits) == SH_OK);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].symbol == 2);
  CHECK(hits[0].score == 50 + 50 * (9.0 - 8) / 8);
}

TEST_CASE("return_spike.lua matches the C++ detector hit for hit", "[lua]") {
  const auto rows = crafted_rows();
  for (bool dq : {false, true}) {
    auto rule = shipped("return_spike", RuleKind::Detector,
                        std::string("{\"require_dq_ok\": ") + (dq ? "true" : "false") + "}");
    std::vector<Hit> lua;
    REQUIRE(run(*rule, rows, 2000, &lua) == SH_OK);
    return_spike::Params p;
    p.require_dq_ok = dq;
    std::vector<sh_detector_hit> out(rows.size());
    uint32_t n = return_spike::detect_batch(sh::FeatureRows(rows.data(), rows.size(), sizeof(sh_feature_row)), p, out.data());
    REQUIRE(n > 10);
    require_same(lua, cpp_hits(out, n));
  }
}

TEST_CASE("volume_spike.lua matches the C++ detector hit for hit", "[lua]") {
  const auto rows = crafted_rows();
  auto rule = shipped("volume_spike", RuleKind::Detector);
  std::vector<Hit> lua;
  REQUIRE(run(*rule, rows, 2000, &lua) == SH_OK);
  volume_spike::Params p;
  std::vector<sh_detector_hit> out(rows.size());
  uint32_t n = volume_spike::detect_batch(sh::FeatureRows(rows.data(), rows.size(), sizeof(sh_feature_row)), p, out.data());
  REQUIRE(n > 10);
  require_same(lua, cpp_hits(out, n));
}

TEST_CASE("spread_blowout.lua matches the C++ detector hit for hit", "[lua]") {
  const auto rows = crafted_rows();
  auto rule = shipped("spread_blowout", RuleKind::Detector, R"({"z_threshold": 4, "max_spread_bps": 50})");
  std::vector<Hit> lua;
  REQUIRE(run(*rule, rows, 2000, &lua) == SH_OK);
  spread_blowout::Params p;
  std::vector<sh_detector_hit> out(rows.size());
  uint32_t n = spread_blowout::detect_batch(sh::FeatureRows(rows.data(), rows.size(), sizeof(sh_feature_row)), p, out.data());
  REQUIRE(n > 10);
  require_same(lua, cpp_hits(out, n));
}

TEST_CASE("rows are read with the batch stride, and short rows read as null", "[lua]") {
  auto rule = shipped("return_spike", RuleKind::Detector);
  // Stride larger than the struct (a newer producer appended fields).
  struct Wide { sh_feature_row r; double extra[3]; };
  std::vector<Wide> wide(3);
  for (uint32_t i = 0; i < 3; ++i) {
    wide[i].r = row(i + 1);
    wide[i].extra[0] = wide[i].extra[1] = wide[i].extra[2] = 1e9;
  }
  wide[1].r.z_ret = 8; wide[1].r.log_ret = 0.01;
  sh_feature_batch b;
  std::memset(&b, 0, sizeof b);
  b.struct_size = sizeof b;
  b.row_size = sizeof(Wide);
  b.count = 3;
  b.rows = &wide[0].r;
  HitCollector col;
  const sh_market_context ctx = context(3);
  const sh_hit_sink sink = col.sink();
  REQUIRE(rule->detect(b, ctx, sink) == SH_OK);
  REQUIRE(col.hits.size() == 1);
  CHECK(col.hits[0].symbol == 2);
  CHECK(col.hits[0].score == 100);

  // An older producer whose rows end before z_ret: the rule sees null there.
  std::vector<sh_feature_row> old = {row(7)};
  old[0].struct_size = offsetof(sh_feature_row, z_ret);
  old[0].z_ret = 8; old[0].log_ret = 0.01;  // beyond struct_size: must be ignored
  col.hits.clear();
  REQUIRE(rule->detect(batch(old), ctx, sink) == SH_OK);
  CHECK(col.hits.empty());
}

TEST_CASE("detector classes, clamping, log and symbol names", "[lua]") {
  auto cfg = detector_config(fixture("classes.lua"));
  std::vector<std::string> lines;
  cfg.log = [&](sh_log_level, const std::string& l) { lines.push_back(l); };
  cfg.symbol_name = [](sh_symbol_id id) -> const char* { return id == 3 ? "ETH" : nullptr; };
  std::string err;
  auto rule = LuaRule::load(cfg, &err);
  INFO(err);
  REQUIRE(rule);
  lines.clear();  // drop the dry run's lines
  std::vector<Hit> hits;
  REQUIRE(run(*rule, {row(1), row(2), row(3), row(4)}, 4, &hits) == SH_OK);
  REQUIRE(hits.size() == 3);
  CHECK(hits[0].cls == "classes"); CHECK(hits[0].score == 100); CHECK(std::isnan(hits[0].value));
  CHECK(hits[1].cls == "dip"); CHECK(hits[1].score == 20); CHECK(hits[1].value == 0.3);
  CHECK(hits[1].threshold == -3);
  CHECK(hits[2].cls == "dip"); CHECK(hits[2].score == 0);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == fixture("classes.lua") + ": saw ETH");
}

TEST_CASE("confidence_gate.lua denies low confidence, fail-closed on error", "[lua]") {
  auto rule = shipped("confidence_gate", RuleKind::Risk, R"({"min_confidence": 0.6})");
  std::vector<sh_order_intent> intents(3);
  for (uint32_t i = 0; i < 3; ++i) {
    std::memset(&intents[i], 0, sizeof intents[i]);
    intents[i].struct_size = sizeof(sh_order_intent);
    intents[i].symbol = i + 1;
    intents[i].qty = 1;
    intents[i].price = 100;
  }
  intents[0].confidence = 0.9;
  intents[1].confidence = 0.2;
  intents[2].confidence = kNaN;
  sh_order_intent_batch in{sizeof(sh_order_intent_batch), sizeof(sh_order_intent), 3, 0, intents.data()};
  // A verdict stride larger than the struct: items written with item_size.
  struct WideVerdict { sh_risk_verdict v; char pad[24]; };
  std::vector<WideVerdict> outv(3);
  sh_risk_verdict_batch out{sizeof(sh_risk_verdict_batch), sizeof(WideVerdict), 3, 0, &outv[0].v};
  sh_portfolio_state pf;
  std::memset(&pf, 0, sizeof pf);
  pf.struct_size = sizeof pf;
  REQUIRE(rule->check(in, pf, &out) == SH_OK);
  CHECK(outv[0].v.action == SH_RISK_ALLOW);
  CHECK(outv[1].v.action == SH_RISK_DENY);
  CHECK(outv[1].v.reason == SH_REASON_LOW_CONFIDENCE);
  CHECK(std::string(outv[1].v.detail) == "confidence 0.200 < 0.600");
  CHECK(outv[2].v.action == SH_RISK_DENY);
  CHECK(std::string(outv[2].v.detail) == "confidence is null");

  // A risk rule that fails denies everything with POLICY_ERROR.
  TempDir dir;
  auto cfg = detector_config(dir.write("broken_risk.lua",
      "function check(intent, pf)\n  if intent.symbol == 7 then return 'deny', 'NO_SUCH_REASON' end\n  return 'allow'\nend\n"));
  cfg.kind = RuleKind::Risk;
  std::string err;
  auto broken = LuaRule::load(cfg, &err);
  INFO(err);
  REQUIRE(broken);
  intents[1].symbol = 7;  // the sample rows of the dry run have no symbol 7
  REQUIRE(broken->check(in, pf, &out) == SH_ERR_INTERNAL);
  for (const auto& w : outv) {
    CHECK(w.v.action == SH_RISK_DENY);
    CHECK(w.v.reason == SH_REASON_POLICY_ERROR);
  }
  CHECK(contains(broken->last_error(), "check() returned \"NO_SUCH_REASON\" as its reason for intent 1 (symbol 7)"));
}

TEST_CASE("risk rules see the portfolio and positions, and can scale", "[lua]") {
  TempDir dir;
  auto cfg = detector_config(dir.write("exposure.lua", R"(
function check(intent, pf)
  local p = position(intent.symbol)
  if p and p.notional_usd + intent.notional_usd > 0.2 * pf.equity_usd then
    return "scale", 0.5, "NOTIONAL_CAP", "held " .. p.notional_usd
  end
  return "allow"
end
)"));
  cfg.kind = RuleKind::Risk;
  std::string err;
  auto rule = LuaRule::load(cfg, &err);
  INFO(err);
  REQUIRE(rule);
  std::vector<sh_order_intent> intents(2);
  for (uint32_t i = 0; i < 2; ++i) {
    std::memset(&intents[i], 0, sizeof intents[i]);
    intents[i].struct_size = sizeof(sh_order_intent);
    intents[i].symbol = i + 1;
    intents[i].notional_usd = 1000;
  }
  std::vector<sh_position> pos(1);
  std::memset(&pos[0], 0, sizeof pos[0]);
  pos[0].struct_size = sizeof(sh_position);
  pos[0].symbol = 1;
  pos[0].notional_usd = 1500;
  sh_portfolio_state pf;
  std::memset(&pf, 0, sizeof pf);
  pf.struct_size = sizeof pf;
  pf.equity_usd = 10000;
  pf.position_size = sizeof(sh_position);
  pf.position_count = 1;
  pf.positions = pos.data();
  std::vector<sh_risk_verdict> outv(2);
  sh_order_intent_batch in{sizeof(sh_order_intent_batch), sizeof(sh_order_intent), 2, 0, intents.data()};
  sh_risk_verdict_batch out{sizeof(sh_risk_verdict_batch), sizeof(sh_risk_verdict), 2, 0, outv.data()};
  REQUIRE(rule->check(in, pf, &out) == SH_OK);
  CHECK(outv[0].action == SH_RISK_SCALE);
  CHECK(outv[0].scale == 0.5);
  CHECK(outv[0].reason == SH_REASON_NOTIONAL_CAP);
  CHECK(std::string(outv[0].detail) == "held 1500");
  CHECK(outv[1].action == SH_RISK_ALLOW);
}

TEST_CASE("router_threshold.lua routes by edge and confidence", "[lua]") {
  auto rule = shipped("router_threshold", RuleKind::Router);
  std::vector<sh_evidence> ev(4);
  for (uint32_t i = 0; i < 4; ++i) {
    std::memset(&ev[i], 0, sizeof ev[i]);
    ev[i].struct_size = sizeof(sh_evidence);
    ev[i].symbol = 10 + i;
  }
  ev[0].prob_long = 0.7; ev[0].prob_short = 0.2; ev[0].confidence = 0.8;
  ev[1].prob_long = 0.1; ev[1].prob_short = 0.85; ev[1].confidence = 0.9;
  ev[2].prob_long = 0.5; ev[2].prob_short = 0.45; ev[2].confidence = 0.9;  // no edge
  ev[3].prob_long = kNaN; ev[3].prob_short = kNaN; ev[3].confidence = kNaN;
  sh_evidence_batch in{sizeof(sh_evidence_batch), sizeof(sh_evidence), 4, 0, ev.data()};
  std::vector<sh::host::RouteDecision> out(4);
  REQUIRE(rule->route(in, context(4), out.data()) == SH_OK);
  CHECK(out[0].symbol == 10);
  CHECK(out[0].direction == sh::host::RouteDirection::Long);
  CHECK(out[0].confidence == 0.8);
  CHECK(out[1].direction == sh::host::RouteDirection::Short);
  CHECK(out[2].direction == sh::host::RouteDirection::Flat);
  CHECK(out[3].direction == sh::host::RouteDirection::Flat);
  CHECK(out[3].confidence == 0);
}

TEST_CASE("the example rule loads and fires against the market", "[lua]") {
  auto cfg = detector_config(source_path("examples/lua/my_first_rule.lua"));
  std::string err;
  auto rule = LuaRule::load(cfg, &err);
  INFO(err);
  REQUIRE(rule);
  std::vector<sh_feature_row> rows = {row(1), row(2)};
  rows[1].z_ret = 4;
  sh_market_context ctx = context(2);
  ctx.breadth = 0.2;
  HitCollector col;
  const sh_hit_sink sink = col.sink();
  REQUIRE(rule->detect(batch(rows), ctx, sink) == SH_OK);
  REQUIRE(col.hits.size() == 1);
  CHECK(col.hits[0].symbol == 2);
  CHECK(col.hits[0].cls == "against_the_market");
  CHECK(col.hits[0].score == 60);
}
