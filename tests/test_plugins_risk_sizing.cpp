// [plugins][risk] Sizing: confidence_sizing (2000 USD at confidence 0.9 ->
// 1800), kelly_var (fractional Kelly, VaR limit 2 %, emergency 2.5 %) and
// vol_target (TARGET_ANN_VOL).
#include <catch2/catch.hpp>

#include "test_plugins_risk_support.h"

#include <cmath>
#include <string>

using namespace sh_risk_test;

TEST_CASE("confidence_sizing: 2000 USD asked at confidence 0.9 becomes 1800", "[plugins][risk]") {
  Policy cs("confidence_sizing", "{}");
  REQUIRE(cs.create_rc() == SH_OK);
  const auto v = cs.evaluate({intent(cs.btc, SH_SIDE_BUY, 2000, 0.9),
                              intent(cs.eth, SH_SIDE_SELL, 2000, 1.0),
                              intent(cs.eth, SH_SIDE_BUY, 2000, std::nan("")),
                              intent(cs.eth, SH_SIDE_BUY, 2000, 0.0),
                              intent(cs.btc, SH_SIDE_SELL, 2000, 0.3)},
                             portfolio(), {position(cs.btc, 5000)});
  CHECK(v[0].action == SH_RISK_SCALE);
  CHECK(v[0].reason == SH_REASON_CONFIDENCE_SCALE);
  CHECK(v[0].scale == Approx(0.9));
  CHECK(2000 * v[0].scale == Approx(1800));
  CHECK(std::string(v[0].detail) == "BTC 2000 USD x conf 0.90 -> 1800 USD");
  CHECK(v[1].action == SH_RISK_ALLOW);  // full confidence: full size
  CHECK(v[2].action == SH_RISK_DENY);   // NaN confidence sizes nothing
  CHECK(v[2].reason == SH_REASON_LOW_CONFIDENCE);
  CHECK(v[3].action == SH_RISK_DENY);
  CHECK(v[3].reason == SH_REASON_LOW_CONFIDENCE);
  CHECK(v[4].action == SH_RISK_ALLOW);  // reducing BTC is not sized down

  REQUIRE(cs.set_config(R"({"exponent": 2, "min_scale": 0.5})") == SH_OK);
  CHECK(cs.one(intent(cs.btc, SH_SIDE_BUY, 2000, 0.9), portfolio()).scale == Approx(0.81));
  CHECK(cs.one(intent(cs.btc, SH_SIDE_BUY, 2000, 0.3), portfolio()).scale == Approx(0.5));
  CHECK(cs.set_config(R"({"exponent": 0})") == SH_ERR_CONFIG);
  CHECK(cs.set_config(R"({"min_scale": 2})") == SH_ERR_CONFIG);
  CHECK(cs.last_error() == "min_scale must be within 0..1, got 2");  // the schema's range
}

TEST_CASE("kelly_var sizes to a fraction of the Kelly bet against equity", "[plugins][risk]") {
  Policy k("kelly_var", "{}");  // kelly 0.25, b 1, VaR limit 2.0, emergency 2.5
  REQUIRE(k.create_rc() == SH_OK);
  const auto pf = portfolio();  // equity 100k, VaR 1.0 %
  // confidence 0.2 -> prob 0.6 in the intent's direction: f* = 0.6 - 0.4 = 0.2,
  // target = 0.25 * 0.2 * 100000 = 5000 USD.
  auto v = k.one(intent(k.btc, SH_SIDE_BUY, 8000, 0.2), pf);
  CHECK(v.action == SH_RISK_SCALE);
  CHECK(v.reason == SH_REASON_CONFIDENCE_SCALE);
  CHECK(v.scale == Approx(5000.0 / 8000.0));
  CHECK(std::string(v.detail) == "BTC Kelly target 5000 USD (f* 0.200 x 0.25)");
  CHECK(k.one(intent(k.btc, SH_SIDE_BUY, 4000, 0.2), pf).action == SH_RISK_ALLOW);
  // A short uses prob_short; an existing position uses up the target.
  v = k.one(intent(k.eth, SH_SIDE_SELL, 4000, 0.2), pf, {position(k.eth, -3000)});
  CHECK(v.scale == Approx(0.5));
  v = k.one(intent(k.eth, SH_SIDE_SELL, 4000, 0.2), pf, {position(k.eth, -6000)});
  CHECK(v.action == SH_RISK_DENY);
  CHECK(v.reason == SH_REASON_LOW_CONFIDENCE);
  // No edge at all.
  v = k.one(intent(k.btc, SH_SIDE_BUY, 1000, 0.0), pf);
  CHECK(v.action == SH_RISK_DENY);
  CHECK(v.reason == SH_REASON_LOW_CONFIDENCE);
  CHECK_THAT(std::string(v.detail), Catch::Contains("no edge"));
  // A null probability is refused, never sized.
  auto bad = intent(k.btc, SH_SIDE_BUY, 1000, 0.5);
  bad.prob_long = std::nan("");
  CHECK(k.one(bad, pf).reason == SH_REASON_LOW_CONFIDENCE);
}

TEST_CASE("kelly_var shrinks above the 2% VaR limit and denies above the 2.5% emergency level",
          "[plugins][risk]") {
  Policy k("kelly_var", "{}");
  REQUIRE(k.create_rc() == SH_OK);
  auto pf = portfolio();
  pf.var_pct = 2.0;  // at the limit: not above it
  CHECK(k.one(intent(k.btc, SH_SIDE_BUY, 8000, 0.2), pf).reason == SH_REASON_CONFIDENCE_SCALE);

  pf.var_pct = 2.2;  // k = 0.25 * 2.0 / 2.2, target 4545 USD
  auto v = k.one(intent(k.btc, SH_SIDE_BUY, 8000, 0.2), pf);
  CHECK(v.action == SH_RISK_SCALE);
  CHECK(v.reason == SH_REASON_VAR_LIMIT);
  CHECK(v.scale == Approx(0.25 * 2.0 / 2.2 * 0.2 * 100000 / 8000));
  CHECK(std::string(v.detail) == "BTC VaR 2.20% > 2.00%: Kelly target 4545 USD");

  pf.var_pct = 2.6;  // emergency reduce
  const auto w = k.evaluate({intent(k.btc, SH_SIDE_BUY, 1000, 0.9), intent(k.eth, SH_SIDE_SELL, 1000, 0.9)},
                            pf, {position(k.eth, 3000)});
  CHECK(w[0].action == SH_RISK_DENY);
  CHECK(w[0].reason == SH_REASON_VAR_LIMIT);
  CHECK(std::string(w[0].detail) == "VaR 2.60% > emergency 2.50%: reduce only");
  CHECK(w[1].action == SH_RISK_ALLOW);  // selling out of the ETH long reduces risk
  CHECK(k.logged("emergency level: VaR 2.60% > 2.50%"));

  pf.var_pct = std::nan("");  // VaR unknown: fail closed
  v = k.one(intent(k.btc, SH_SIDE_BUY, 1000, 0.9), pf);
  CHECK(v.action == SH_RISK_DENY);
  CHECK(v.reason == SH_REASON_POLICY_ERROR);

  REQUIRE(k.set_config(R"({"kelly_fraction": 0.5, "var_limit_pct": 3, "var_emergency_pct": 4})") == SH_OK);
  pf.var_pct = 2.6;
  CHECK(k.one(intent(k.btc, SH_SIDE_BUY, 8000, 0.2), pf).action == SH_RISK_ALLOW);  // target 10000
  CHECK(k.set_config(R"({"var_limit_pct": 3, "var_emergency_pct": 2})") == SH_ERR_CONFIG);
  CHECK(k.set_config(R"({"kelly_fraction": 0})") == SH_ERR_CONFIG);
  CHECK(k.last_error() == "kelly_fraction must be within (0, 1], got 0");
}

TEST_CASE("vol_target caps each position at equity * TARGET_ANN_VOL / symbol vol",
          "[plugins][risk]") {
  Policy vt("vol_target", R"({"target_ann_vol": 0.10, "default_ann_vol": 0.8, "ann_vol": {"ETH": 0.4}})");
  REQUIRE(vt.create_rc() == SH_OK);
  const auto pf = portfolio();
  // BTC at 80 % vol: max 100000 * 0.10 / 0.8 = 12500 USD.
  auto v = vt.one(intent(vt.btc, SH_SIDE_BUY, 20000), pf);
  CHECK(v.action == SH_RISK_SCALE);
  CHECK(v.reason == SH_REASON_VOL_TARGET);
  CHECK(v.scale == Approx(12500.0 / 20000.0));
  CHECK(std::string(v.detail) == "BTC vol 80%: max 12500 USD for 10.0% target");
  // ETH at 40 %: max 25000, 20000 fits.
  CHECK(vt.one(intent(vt.eth, SH_SIDE_BUY, 20000), pf).action == SH_RISK_ALLOW);
  // Full already: deny; reducing: allow.
  v = vt.one(intent(vt.btc, SH_SIDE_BUY, 1000), pf, {position(vt.btc, 12500)});
  CHECK(v.action == SH_RISK_DENY);
  CHECK(v.reason == SH_REASON_VOL_TARGET);
  CHECK(vt.one(intent(vt.btc, SH_SIDE_SELL, 1000), pf, {position(vt.btc, 20000)}).action ==
        SH_RISK_ALLOW);

  auto broke = pf;
  broke.equity_usd = std::nan("");
  CHECK(vt.one(intent(vt.btc, SH_SIDE_BUY, 1000), broke).reason == SH_REASON_POLICY_ERROR);

  REQUIRE(vt.set_config(R"({"target_ann_vol": 0.2})") == SH_OK);  // 25000 for BTC now
  CHECK(vt.one(intent(vt.btc, SH_SIDE_BUY, 20000), pf).action == SH_RISK_ALLOW);
  CHECK(vt.set_config(R"({"ann_vol": {"BTC": 0}})") == SH_ERR_CONFIG);
  CHECK(vt.last_error() == "ann_vol.BTC must be within (0, 100], got 0");
  CHECK(vt.set_config(R"({"target_vol": 0.1})") == SH_ERR_CONFIG);
}
