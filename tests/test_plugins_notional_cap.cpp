// [plugins][risk] The notional_cap risk policy through the C ABI: a symbol's
// |position + intent| notional stays within its cap, by scaling or denying.
#include <catch2/catch.hpp>

#include "test_plugins_support.h"

#include <cstring>
#include <string>
#include <vector>

namespace {

sh_order_intent intent(sh_symbol_id symbol, sh_side side, double qty, double price) {
  sh_order_intent in{};
  in.struct_size = sizeof(in);
  in.symbol = symbol;
  in.intent_id = symbol * 100 + 1;
  in.side = side;
  in.qty = qty;
  in.price = price;
  in.notional_usd = qty * price;
  in.confidence = 0.8;
  return in;
}

sh_position position(sh_symbol_id symbol, double qty, double mark) {
  sh_position p{};
  p.struct_size = sizeof(p);
  p.symbol = symbol;
  p.qty = qty;
  p.avg_price = mark;
  p.mark_price = mark;
  p.notional_usd = qty * mark;
  return p;
}

std::vector<sh_risk_verdict> evaluate(const sh_test::LoadedPlugin& p,
                                      const sh_test::Instance& inst,
                                      const std::vector<sh_order_intent>& intents,
                                      const std::vector<sh_position>& positions) {
  std::vector<sh_risk_verdict> v(intents.size());
  for (auto& x : v) {
    x = sh_risk_verdict{};
    x.struct_size = sizeof(x);
    x.action = SH_RISK_ALLOW;
    x.scale = 1.0;
  }
  sh_order_intent_batch in{};
  in.struct_size = sizeof(in);
  in.item_size = sizeof(sh_order_intent);
  in.count = static_cast<uint32_t>(intents.size());
  in.items = intents.data();
  sh_portfolio_state pf{};
  pf.struct_size = sizeof(pf);
  pf.position_size = sizeof(sh_position);
  pf.position_count = static_cast<uint32_t>(positions.size());
  pf.positions = positions.empty() ? nullptr : positions.data();
  pf.equity_usd = 1e6;
  sh_risk_verdict_batch out{};
  out.struct_size = sizeof(out);
  out.item_size = sizeof(sh_risk_verdict);
  out.count = static_cast<uint32_t>(v.size());
  out.items = v.data();
  REQUIRE(p.desc().risk->evaluate(inst.get(), &in, &pf, &out) == SH_OK);
  return v;
}

}  // namespace

TEST_CASE("notional_cap allows within the cap and scales an intent to fit", "[plugins][risk]") {
  sh_test::TestHost host;
  const sh_symbol_id btc = host.intern("BTC");
  const sh_symbol_id eth = host.intern("ETH");
  sh_test::LoadedPlugin p(sh_test::plugin_path("notional_cap"));
  REQUIRE(p.desc().kind == SH_KIND_RISK);
  sh_test::Instance inst(p, host, "{}");
  REQUIRE(inst.create_rc() == SH_OK);

  // BTC: 40k long + buy 80k = 120k > 100k: scale to the 60k that fits.
  // ETH: flat, buy 50k: allowed untouched.
  const auto v = evaluate(p, inst,
                          {intent(btc, SH_SIDE_BUY, 2.0, 40000.0), intent(eth, SH_SIDE_BUY, 25, 2000)},
                          {position(btc, 1.0, 40000.0)});
  CHECK(v[0].action == SH_RISK_SCALE);
  CHECK(v[0].reason == SH_REASON_NOTIONAL_CAP);
  CHECK(v[0].scale == Approx(0.75));
  CHECK(std::string(v[0].detail) == "BTC notional 120000 > cap 100000");
  CHECK(v[1].action == SH_RISK_ALLOW);
  CHECK(v[1].reason == SH_REASON_NONE);
}

TEST_CASE("notional_cap denies when nothing fits, in deny mode, and never blocks a reduction",
          "[plugins][risk]") {
  sh_test::TestHost host;
  const sh_symbol_id btc = host.intern("BTC");
  sh_test::LoadedPlugin p(sh_test::plugin_path("notional_cap"));
  sh_test::Instance scale(p, host, R"({"max_notional_usd": 100000})");
  sh_test::Instance deny(p, host, R"({"max_notional_usd": 100000, "mode": "deny"})");
  REQUIRE(scale.create_rc() == SH_OK);
  REQUIRE(deny.create_rc() == SH_OK);

  const std::vector<sh_position> full = {position(btc, 2.5, 40000.0)};  // 100k long
  auto v = evaluate(p, scale, {intent(btc, SH_SIDE_BUY, 0.5, 40000.0)}, full);
  CHECK(v[0].action == SH_RISK_DENY);
  CHECK(v[0].reason == SH_REASON_NOTIONAL_CAP);
  CHECK_THAT(std::string(v[0].detail), Catch::StartsWith("BTC notional 120000 > cap 100000"));

  v = evaluate(p, deny, {intent(btc, SH_SIDE_BUY, 2.0, 40000.0)}, {position(btc, 1.0, 40000.0)});
  CHECK(v[0].action == SH_RISK_DENY);
  CHECK(v[0].reason == SH_REASON_NOTIONAL_CAP);
  CHECK(std::string(v[0].detail) == "BTC notional 120000 > cap 100000");

  // Selling out of a position over the cap reduces risk: allowed.
  v = evaluate(p, deny, {intent(btc, SH_SIDE_SELL, 1.0, 40000.0)}, {position(btc, 4.0, 40000.0)});
  CHECK(v[0].action == SH_RISK_ALLOW);

  // Flipping from 40k long to 160k short: scaled to reach -100k at most.
  v = evaluate(p, scale, {intent(btc, SH_SIDE_SELL, 5.0, 40000.0)}, {position(btc, 1.0, 40000.0)});
  CHECK(v[0].action == SH_RISK_SCALE);
  CHECK(v[0].scale == Approx(140000.0 / 200000.0));
  CHECK(std::string(v[0].detail) == "BTC notional 160000 > cap 100000");
}

TEST_CASE("notional_cap per-symbol caps override the default and reload live",
          "[plugins][risk]") {
  sh_test::TestHost host;
  const sh_symbol_id btc = host.intern("BTC");
  const sh_symbol_id doge = host.intern("DOGE");
  sh_test::LoadedPlugin p(sh_test::plugin_path("notional_cap"));
  sh_test::Instance inst(p, host, R"({"per_symbol": {"DOGE": 10000}})");
  REQUIRE(inst.create_rc() == SH_OK);
  const std::vector<sh_order_intent> intents = {intent(doge, SH_SIDE_BUY, 200000, 0.1),
                                                intent(btc, SH_SIDE_BUY, 1.0, 50000)};
  auto v = evaluate(p, inst, intents, {});
  CHECK(v[0].action == SH_RISK_SCALE);
  CHECK(v[0].scale == Approx(0.5));
  CHECK(std::string(v[0].detail) == "DOGE notional 20000 > cap 10000");
  CHECK(v[1].action == SH_RISK_ALLOW);

  REQUIRE(inst.set_config(R"({"max_notional_usd": 25000, "mode": "deny"})") == SH_OK);
  v = evaluate(p, inst, intents, {});
  CHECK(v[0].action == SH_RISK_ALLOW);  // DOGE's override is gone: 20k < 25k
  CHECK(v[1].action == SH_RISK_DENY);
  CHECK(std::string(v[1].detail) == "BTC notional 50000 > cap 25000");

  CHECK(inst.set_config(R"({"max_notional_usd": 1, "mode": "halve"})") == SH_ERR_CONFIG);
  CHECK(inst.set_config(R"({"per_symbol": {"BTC": -5}})") == SH_ERR_CONFIG);
  v = evaluate(p, inst, intents, {});
  CHECK(v[0].action == SH_RISK_ALLOW);
  CHECK(v[1].action == SH_RISK_DENY);
}
