// [lua] The prelude's FFI declarations match strategy_host/abi.h (and the
// host-private records of rule_vm.h) field for field, and the risk reason
// names map onto sh_risk_reason.
#include <catch2/catch.hpp>

#include "lua/rule_prelude.h"
#include "lua/rule_vm.h"

#include <cstddef>
#include <string>

using sh::host::RuleVm;

namespace {

std::unique_ptr<RuleVm> vm() {
  sh::host::RuleVmOptions o;
  o.label = "layout";
  std::string err;
  auto v = RuleVm::create(o, &err);
  INFO(err);
  REQUIRE(v);
  return v;
}

}  // namespace

#define SH_SIZE(T) CHECK(v->ffi_layout(#T, "") == static_cast<long>(sizeof(T)))
#define SH_FIELD(T, f) \
  CHECK(v->ffi_layout(#T, #f) == static_cast<long>(offsetof(T, f)))
#define SH_FIELD_AS(C, T, f) \
  CHECK(v->ffi_layout(C, #f) == static_cast<long>(offsetof(T, f)))

TEST_CASE("FFI layout of the ABI records matches abi.h for every field", "[lua]") {
  auto v = vm();
  SH_SIZE(sh_feature_row);
  SH_FIELD(sh_feature_row, struct_size); SH_FIELD(sh_feature_row, symbol);
  SH_FIELD(sh_feature_row, minute_ts_ns); SH_FIELD(sh_feature_row, dq);
  SH_FIELD(sh_feature_row, late_events); SH_FIELD(sh_feature_row, open);
  SH_FIELD(sh_feature_row, high); SH_FIELD(sh_feature_row, low);
  SH_FIELD(sh_feature_row, close); SH_FIELD(sh_feature_row, volume);
  SH_FIELD(sh_feature_row, vwap); SH_FIELD(sh_feature_row, trade_count);
  SH_FIELD(sh_feature_row, log_ret); SH_FIELD(sh_feature_row, mom_20);
  SH_FIELD(sh_feature_row, rv_5); SH_FIELD(sh_feature_row, rsi_14);
  SH_FIELD(sh_feature_row, atr_14); SH_FIELD(sh_feature_row, ema_20);
  SH_FIELD(sh_feature_row, spread_bps); SH_FIELD(sh_feature_row, l2_imbalance);
  SH_FIELD(sh_feature_row, book_staleness_ms); SH_FIELD(sh_feature_row, ingest_lag_ms);
  SH_FIELD(sh_feature_row, z_ret); SH_FIELD(sh_feature_row, z_volume);
  SH_FIELD(sh_feature_row, z_spread); SH_FIELD(sh_feature_row, q_ret);
  SH_FIELD(sh_feature_row, q_volume); SH_FIELD(sh_feature_row, q_spread);
  SH_FIELD(sh_feature_row, rs_benchmark);

  SH_SIZE(sh_market_context);
  SH_FIELD(sh_market_context, struct_size); SH_FIELD(sh_market_context, symbol_count);
  SH_FIELD(sh_market_context, minute_ts_ns); SH_FIELD(sh_market_context, breadth);
  SH_FIELD(sh_market_context, leader); SH_FIELD(sh_market_context, benchmark);
  SH_FIELD(sh_market_context, leader_ret); SH_FIELD(sh_market_context, benchmark_ret);

  SH_SIZE(sh_evidence);
  SH_FIELD(sh_evidence, struct_size); SH_FIELD(sh_evidence, symbol); SH_FIELD(sh_evidence, flags);
  SH_FIELD(sh_evidence, reserved0); SH_FIELD(sh_evidence, prob_long);
  SH_FIELD(sh_evidence, prob_short); SH_FIELD(sh_evidence, confidence);

  SH_SIZE(sh_order_intent);
  SH_FIELD(sh_order_intent, struct_size); SH_FIELD(sh_order_intent, symbol);
  SH_FIELD(sh_order_intent, intent_id); SH_FIELD(sh_order_intent, ts_ns);
  SH_FIELD(sh_order_intent, side); SH_FIELD(sh_order_intent, reserved0);
  SH_FIELD(sh_order_intent, qty); SH_FIELD(sh_order_intent, price);
  SH_FIELD(sh_order_intent, notional_usd); SH_FIELD(sh_order_intent, confidence);
  SH_FIELD(sh_order_intent, prob_long); SH_FIELD(sh_order_intent, prob_short);

  SH_SIZE(sh_position);
  SH_FIELD(sh_position, struct_size); SH_FIELD(sh_position, symbol); SH_FIELD(sh_position, qty);
  SH_FIELD(sh_position, avg_price); SH_FIELD(sh_position, mark_price);
  SH_FIELD(sh_position, notional_usd); SH_FIELD(sh_position, unrealized_pnl_usd);

  SH_SIZE(sh_portfolio_state);
  SH_FIELD(sh_portfolio_state, struct_size); SH_FIELD(sh_portfolio_state, position_size);
  SH_FIELD(sh_portfolio_state, position_count); SH_FIELD(sh_portfolio_state, consecutive_errors);
  SH_FIELD(sh_portfolio_state, ts_ns); SH_FIELD(sh_portfolio_state, equity_usd);
  SH_FIELD(sh_portfolio_state, cash_usd); SH_FIELD(sh_portfolio_state, gross_exposure_usd);
  SH_FIELD(sh_portfolio_state, net_exposure_usd); SH_FIELD(sh_portfolio_state, daily_pnl_usd);
  SH_FIELD(sh_portfolio_state, peak_equity_usd); SH_FIELD(sh_portfolio_state, drawdown_pct);
  SH_FIELD(sh_portfolio_state, var_pct); SH_FIELD(sh_portfolio_state, decision_latency_ms);
  SH_FIELD(sh_portfolio_state, positions);

  SH_SIZE(sh_risk_verdict);
  SH_FIELD(sh_risk_verdict, struct_size); SH_FIELD(sh_risk_verdict, action);
  SH_FIELD(sh_risk_verdict, reason); SH_FIELD(sh_risk_verdict, reserved0);
  SH_FIELD(sh_risk_verdict, scale); SH_FIELD(sh_risk_verdict, detail);
}

TEST_CASE("FFI layout of the host-private records matches rule_vm.h", "[lua]") {
  using sh::host::LuaBudget;
  using sh::host::LuaHitOut;
  using sh::host::LuaPortfolio;
  using sh::host::LuaRouteOut;
  auto v = vm();
  CHECK(v->ffi_layout("sh_lua_budget", "") == static_cast<long>(sizeof(LuaBudget)));
  SH_FIELD_AS("sh_lua_budget", LuaBudget, ticks_left);
  SH_FIELD_AS("sh_lua_budget", LuaBudget, check_mark);
  SH_FIELD_AS("sh_lua_budget", LuaBudget, deadline_ns);
  SH_FIELD_AS("sh_lua_budget", LuaBudget, clock_every);
  SH_FIELD_AS("sh_lua_budget", LuaBudget, budget_ticks);
  SH_FIELD_AS("sh_lua_budget", LuaBudget, time_budget_ns);
  SH_FIELD_AS("sh_lua_budget", LuaBudget, memory_limit);
  SH_FIELD_AS("sh_lua_budget", LuaBudget, tripped);
  CHECK(v->ffi_layout("sh_lua_hit", "") == static_cast<long>(sizeof(LuaHitOut)));
  SH_FIELD_AS("sh_lua_hit", LuaHitOut, row);
  SH_FIELD_AS("sh_lua_hit", LuaHitOut, class_index);
  SH_FIELD_AS("sh_lua_hit", LuaHitOut, score);
  SH_FIELD_AS("sh_lua_hit", LuaHitOut, value);
  SH_FIELD_AS("sh_lua_hit", LuaHitOut, threshold);
  CHECK(v->ffi_layout("sh_lua_route", "") == static_cast<long>(sizeof(LuaRouteOut)));
  SH_FIELD_AS("sh_lua_route", LuaRouteOut, direction);
  SH_FIELD_AS("sh_lua_route", LuaRouteOut, confidence);
  CHECK(v->ffi_layout("sh_lua_portfolio", "") == static_cast<long>(sizeof(LuaPortfolio)));
  SH_FIELD_AS("sh_lua_portfolio", LuaPortfolio, ts_ns);
  SH_FIELD_AS("sh_lua_portfolio", LuaPortfolio, equity_usd);
  SH_FIELD_AS("sh_lua_portfolio", LuaPortfolio, decision_latency_ms);
  // The portfolio a rule sees is the ABI one minus the positions pointer.
  CHECK(offsetof(LuaPortfolio, decision_latency_ms) ==
        offsetof(sh_portfolio_state, decision_latency_ms));
  CHECK(v->ffi_layout("sh_feature_row", "no_such_field") == -1);
}

TEST_CASE("risk reason names cover sh_risk_reason in order", "[lua]") {
  REQUIRE(sh::host::kRiskReasonCount == 14);
  for (size_t i = 0; i < sh::host::kRiskReasonCount; ++i) {
    CHECK(sh::host::kRiskReasonNames[i].code == static_cast<sh_risk_reason>(i));
  }
  CHECK(std::string(sh::host::risk_reason_name(SH_REASON_LOW_CONFIDENCE)) == "LOW_CONFIDENCE");
  CHECK(std::string(sh::host::risk_reason_name(SH_REASON_POLICY_ERROR)) == "POLICY_ERROR");
  CHECK(std::string(sh::host::risk_reason_name(SH_REASON_SYMBOL_NOT_ACTIVE)) == "SYMBOL_NOT_ACTIVE");
  CHECK(sh::host::risk_reason_name(999) == nullptr);
}
