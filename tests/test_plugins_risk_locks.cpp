// [plugins][risk] Locks and breakers: drawdown_lock (12 % default,
// RISK_LOCKED), daily_loss (3 %), circuit_breaker (every transition) and
// safe_mode (more than 5 errors, automatic exit after clean cycles).
#include <catch2/catch.hpp>

#include "test_plugins_risk_support.h"

#include <cmath>
#include <string>

using namespace sh_risk_test;

TEST_CASE("drawdown_lock latches at 12% drawdown and releases on recovery", "[plugins][risk]") {
  Policy dl("drawdown_lock", "{}");  // max 12, release 6
  REQUIRE(dl.create_rc() == SH_OK);
  auto pf = portfolio();
  const auto buy = intent(dl.btc, SH_SIDE_BUY, 1000);
  const std::vector<sh_position> long_btc = {position(dl.btc, 5000)};

  pf.drawdown_pct = 11.9;
  CHECK(dl.one(buy, pf).action == SH_RISK_ALLOW);
  pf.drawdown_pct = 12.0;
  auto v = dl.one(buy, pf);
  CHECK(v.action == SH_RISK_DENY);
  CHECK(v.reason == SH_REASON_RISK_LOCKED);
  CHECK(std::string(v.detail) == "drawdown 12.0% >= 12.0%");
  CHECK(dl.logged("drawdown 12.0% >= 12.0%: RISK_LOCKED"));
  pf.drawdown_pct = 13.1;
  CHECK(std::string(dl.one(buy, pf).detail) == "drawdown 13.1% >= 12.0%");
  // Selling out of a long while locked is allowed.
  CHECK(dl.one(intent(dl.btc, SH_SIDE_SELL, 1000), pf, long_btc).action == SH_RISK_ALLOW);
  // Recovering to 9 % is not enough: the latch holds until 6 %.
  pf.drawdown_pct = 9.0;
  v = dl.one(buy, pf);
  CHECK(v.action == SH_RISK_DENY);
  CHECK(std::string(v.detail) == "locked at drawdown 12.0%, now 9.0% > release 6.0%");
  pf.drawdown_pct = 6.0;
  CHECK(dl.one(buy, pf).action == SH_RISK_ALLOW);
  CHECK(dl.logged("lock released"));
}

TEST_CASE("drawdown_lock manual reset, derived drawdown and unknown drawdown",
          "[plugins][risk]") {
  Policy dl("drawdown_lock", R"({"max_drawdown_pct": 10, "release_drawdown_pct": 2})");
  REQUIRE(dl.create_rc() == SH_OK);
  auto pf = portfolio();
  const auto buy = intent(dl.btc, SH_SIDE_BUY, 1000);
  pf.drawdown_pct = 10.5;
  CHECK(dl.one(buy, pf).action == SH_RISK_DENY);
  pf.drawdown_pct = 8.0;
  CHECK(dl.one(buy, pf).action == SH_RISK_DENY);
  // {"reset": true} alone is a command: the latch clears, max 10 stays.
  REQUIRE(dl.set_config(R"({"reset": true})") == SH_OK);
  CHECK(dl.logged("drawdown lock reset by operator"));
  CHECK(dl.one(buy, pf).action == SH_RISK_ALLOW);
  pf.drawdown_pct = 10.5;
  CHECK(dl.one(buy, pf).reason == SH_REASON_RISK_LOCKED);  // the 10 % max is still in force

  // A null drawdown_pct is derived from peak and equity: 13 % here.
  Policy fresh("drawdown_lock", "{}");
  auto derived = portfolio();
  derived.drawdown_pct = std::nan("");
  derived.peak_equity_usd = 100000;
  derived.equity_usd = 87000;
  auto v = fresh.one(buy, derived);
  CHECK(v.reason == SH_REASON_RISK_LOCKED);
  CHECK(std::string(v.detail) == "drawdown 13.0% >= 12.0%");
  // Nothing to derive it from: fail closed.
  derived.peak_equity_usd = std::nan("");
  v = fresh.one(buy, derived);
  CHECK(v.action == SH_RISK_DENY);
  CHECK(v.reason == SH_REASON_POLICY_ERROR);

  CHECK(dl.set_config(R"({"max_drawdown_pct": 10, "release_drawdown_pct": 10})") == SH_ERR_CONFIG);
  CHECK(dl.set_config(R"({"reset": "yes"})") == SH_ERR_CONFIG);
  CHECK(dl.last_error() == "reset must be a boolean");
}

TEST_CASE("daily_loss stops new exposure at a 3% loss for the rest of the UTC day",
          "[plugins][risk]") {
  Policy d("daily_loss", "{}");
  REQUIRE(d.create_rc() == SH_OK);
  const int64_t day = 20000 * kDayNs;
  const auto buy = intent(d.btc, SH_SIDE_BUY, 1000);
  auto pf = portfolio(day + 60 * kMinuteNs);
  pf.equity_usd = 97100;
  pf.daily_pnl_usd = -2900;  // 2.9 % of the 100000 the day started with
  CHECK(d.one(buy, pf).action == SH_RISK_ALLOW);

  pf.equity_usd = 97000;
  pf.daily_pnl_usd = -3000;  // 3.0 %
  auto v = d.one(buy, pf);
  CHECK(v.action == SH_RISK_DENY);
  CHECK(v.reason == SH_REASON_DAILY_LOSS);
  CHECK(std::string(v.detail) == "daily loss 3.0% >= 3.0%");
  CHECK(d.logged("daily loss 3.0% >= 3.0% (-3000 USD): latched"));
  CHECK(d.one(intent(d.btc, SH_SIDE_SELL, 1000), pf, {position(d.btc, 4000)}).action ==
        SH_RISK_ALLOW);

  // Recovering intraday does not lift it.
  pf.ts_ns += 60 * kMinuteNs;
  pf.equity_usd = 99000;
  pf.daily_pnl_usd = -1000;
  v = d.one(buy, pf);
  CHECK(v.action == SH_RISK_DENY);
  CHECK(std::string(v.detail) == "daily loss limit 3.0% hit today (now 1.0%)");

  // A new UTC day does.
  pf.ts_ns = day + kDayNs + kMinuteNs;
  pf.daily_pnl_usd = 0;
  CHECK(d.one(buy, pf).action == SH_RISK_ALLOW);

  // An operator reset clears the latch; unknown P&L fails closed.
  pf.daily_pnl_usd = -3500;
  CHECK(d.one(buy, pf).action == SH_RISK_DENY);
  pf.daily_pnl_usd = -100;
  REQUIRE(d.set_config(R"({"reset": true})") == SH_OK);
  CHECK(d.one(buy, pf).action == SH_RISK_ALLOW);
  pf.daily_pnl_usd = std::nan("");
  CHECK(d.one(buy, pf).reason == SH_REASON_POLICY_ERROR);
  REQUIRE(d.set_config(R"({"daily_loss_pct": 5})") == SH_OK);
  pf.daily_pnl_usd = -4000;
  CHECK(d.one(buy, pf).action == SH_RISK_ALLOW);
  CHECK(d.set_config(R"({"daily_loss_pct": 0})") == SH_ERR_CONFIG);
}

TEST_CASE("circuit_breaker: CLOSED -> OPEN on VaR, OPEN -> HALF_OPEN on reset, HALF_OPEN -> CLOSED",
          "[plugins][risk]") {
  Policy cb("circuit_breaker", "{}");  // VaR 2.5 %, latency 100 ms, trial x0.5 for 1 batch
  REQUIRE(cb.create_rc() == SH_OK);
  auto pf = portfolio();
  const auto buy = intent(cb.btc, SH_SIDE_BUY, 1000);

  pf.var_pct = 2.5;  // at the trip level: not above it
  CHECK(cb.one(buy, pf).action == SH_RISK_ALLOW);
  pf.var_pct = 2.6;
  auto v = cb.one(buy, pf);
  CHECK(v.action == SH_RISK_DENY);
  CHECK(v.reason == SH_REASON_CIRCUIT_OPEN);
  CHECK(std::string(v.detail) == "circuit OPEN: VaR 2.60% > 2.50%");
  CHECK(cb.logged("circuit CLOSED -> OPEN: VaR 2.60% > 2.50%"));
  CHECK(cb.host.counter("trips") == 1);

  // OPEN does not heal by itself; reductions still pass.
  pf.var_pct = 1.0;
  CHECK(cb.one(buy, pf).action == SH_RISK_DENY);
  CHECK(cb.one(intent(cb.btc, SH_SIDE_SELL, 1000), pf, {position(cb.btc, 3000)}).action ==
        SH_RISK_ALLOW);

  REQUIRE(cb.set_config(R"({"reset": true})") == SH_OK);
  CHECK(cb.logged("circuit OPEN -> HALF_OPEN: manual reset"));
  v = cb.one(buy, pf);  // the trial batch: limited
  CHECK(v.action == SH_RISK_SCALE);
  CHECK(v.reason == SH_REASON_CIRCUIT_OPEN);
  CHECK(v.scale == Approx(0.5));
  CHECK(std::string(v.detail) == "circuit HALF_OPEN: trial 1/1 at x0.50");
  v = cb.one(buy, pf);  // healthy after the trial: closed
  CHECK(v.action == SH_RISK_ALLOW);
  CHECK(cb.logged("circuit HALF_OPEN -> CLOSED: healthy after trial"));

  // A reset while CLOSED changes nothing.
  REQUIRE(cb.set_config(R"({"reset": true})") == SH_OK);
  CHECK(cb.logged("circuit reset ignored: breaker is CLOSED"));
  CHECK(cb.one(buy, pf).action == SH_RISK_ALLOW);
}

TEST_CASE("circuit_breaker: CLOSED -> OPEN on latency, HALF_OPEN -> OPEN when still unhealthy",
          "[plugins][risk]") {
  Policy cb("circuit_breaker", "{}");
  REQUIRE(cb.create_rc() == SH_OK);
  auto pf = portfolio();
  const auto buy = intent(cb.btc, SH_SIDE_BUY, 1000);
  pf.decision_latency_ms = 100.0;
  CHECK(cb.one(buy, pf).action == SH_RISK_ALLOW);
  pf.decision_latency_ms = 150.0;
  auto v = cb.one(buy, pf);
  CHECK(v.action == SH_RISK_DENY);
  CHECK(std::string(v.detail) == "circuit OPEN: latency 150ms > 100ms");
  CHECK(cb.logged("circuit CLOSED -> OPEN: latency 150ms > 100ms"));

  REQUIRE(cb.set_config(R"({"reset": true})") == SH_OK);
  pf.decision_latency_ms = 120.0;  // still slow when the trial starts
  v = cb.one(buy, pf);
  CHECK(v.action == SH_RISK_DENY);
  CHECK(v.reason == SH_REASON_CIRCUIT_OPEN);
  CHECK(cb.logged("circuit HALF_OPEN -> OPEN: latency 120ms > 100ms"));

  // A trial that makes things worse reopens on the next batch.
  REQUIRE(cb.set_config(R"({"reset": true})") == SH_OK);
  pf.decision_latency_ms = 30.0;
  CHECK(cb.one(buy, pf).action == SH_RISK_SCALE);
  pf.var_pct = 3.0;
  CHECK(cb.one(buy, pf).action == SH_RISK_DENY);
  CHECK(cb.host.counter("trips") == 3);

  // Live config keeps the state; reset + new params in one message.
  REQUIRE(cb.set_config(R"({"var_trip_pct": 4.0, "half_open_scale": 1.0, "reset": true})") == SH_OK);
  CHECK(cb.one(buy, pf).action == SH_RISK_ALLOW);  // trial at x1: no verdict needed
  CHECK(cb.one(buy, pf).action == SH_RISK_ALLOW);  // VaR 3.0 < 4.0: closed
  CHECK(cb.set_config(R"({"half_open_batches": 0})") == SH_ERR_CONFIG);
  CHECK(cb.set_config(R"({"latency_trip_ms": -1})") == SH_ERR_CONFIG);
}

TEST_CASE("safe_mode scales exposure by 0.1 after more than 5 errors and leaves after 3 clean cycles",
          "[plugins][risk]") {
  Policy sm("safe_mode", "{}");
  REQUIRE(sm.create_rc() == SH_OK);
  const auto buy = intent(sm.btc, SH_SIDE_BUY, 2000);
  int64_t t = 100 * kMinuteNs;
  auto cycle = [&](uint32_t errors) {
    auto pf = portfolio(t += kMinuteNs);
    pf.consecutive_errors = errors;
    return sm.one(buy, pf);
  };
  CHECK(cycle(5).action == SH_RISK_ALLOW);  // 5 is not more than 5
  auto v = cycle(6);
  CHECK(v.action == SH_RISK_SCALE);
  CHECK(v.reason == SH_REASON_SAFE_MODE);
  CHECK(v.scale == Approx(0.1));
  CHECK(std::string(v.detail) == "safe mode: 6 consecutive errors > 5, exposure x0.10");
  CHECK(sm.logged("safe mode entered: 6 consecutive errors > 5"));

  v = cycle(0);
  CHECK(v.action == SH_RISK_SCALE);
  CHECK(std::string(v.detail) == "safe mode: 1/3 clean cycles, exposure x0.10");
  CHECK(cycle(0).action == SH_RISK_SCALE);  // 2/3
  CHECK(cycle(1).action == SH_RISK_SCALE);  // an error restarts the count
  CHECK(cycle(0).action == SH_RISK_SCALE);  // 1/3
  // The same decision cycle seen twice counts once.
  auto same = portfolio(t);
  CHECK(sm.one(buy, same).action == SH_RISK_SCALE);
  CHECK(cycle(0).action == SH_RISK_SCALE);  // 2/3
  CHECK(cycle(0).action == SH_RISK_ALLOW);  // 3/3: left, this cycle is unscaled
  CHECK(sm.logged("safe mode left after 3 clean cycles"));
  CHECK(cycle(0).action == SH_RISK_ALLOW);

  // Reductions are never scaled; state survives set_config.
  cycle(7);
  auto pf = portfolio(t += kMinuteNs);
  pf.consecutive_errors = 7;
  CHECK(sm.one(intent(sm.btc, SH_SIDE_SELL, 1000), pf, {position(sm.btc, 5000)}).action ==
        SH_RISK_ALLOW);
  REQUIRE(sm.set_config(R"({"clean_cycles": 1, "exposure_scale": 0.25})") == SH_OK);
  pf = portfolio(t += kMinuteNs);
  pf.consecutive_errors = 7;
  CHECK(sm.one(buy, pf).scale == Approx(0.25));
  CHECK(cycle(0).action == SH_RISK_ALLOW);  // one clean cycle is enough now
  CHECK(sm.set_config(R"({"exposure_scale": 0})") == SH_ERR_CONFIG);
  CHECK(sm.set_config(R"({"clean_cycles": 0})") == SH_ERR_CONFIG);
  CHECK(sm.last_error() == "clean_cycles must be within 1..1000000, got 0");
}
