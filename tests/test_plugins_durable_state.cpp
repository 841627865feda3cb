// [abi][risk] ABI 1.1 durable state: the descriptor's save_state/load_state,
// a 1.0 plugin (no such fields) still loading, and the stateful risk
// policies carrying their state into a new instance: an open breaker, a
// latched drawdown lock, a day stopped by its loss limit, safe mode and rate
// windows survive a restart.
#include <catch2/catch.hpp>

#include <cstddef>

#include "plugins/plugin_library.h"
#include "test_host_support.h"
#include "test_plugins_risk_support.h"

using namespace sh_risk_test;

TEST_CASE("ABI 1.1 appends save_state and load_state after the 1.0 descriptor", "[abi]") {
  CHECK(offsetof(sh_plugin_descriptor, save_state) ==
        offsetof(sh_plugin_descriptor, risk) + sizeof(void*));
  CHECK(offsetof(sh_plugin_descriptor, load_state) ==
        offsetof(sh_plugin_descriptor, save_state) + sizeof(void*));
  CHECK(SH_ABI_MINOR >= 1);
}

TEST_CASE("ABI 1.2 appends detail_ext to the risk verdict, after the 1.1 fields", "[abi]") {
  CHECK(offsetof(sh_risk_verdict, detail_ext) ==
        offsetof(sh_risk_verdict, detail) + sizeof(sh_risk_verdict::detail));
  CHECK(SH_ABI_MINOR >= 2);
}

TEST_CASE("ABI 1.3 appends clock_ns to the provider table, after poll", "[abi]") {
  CHECK(offsetof(sh_provider_api, clock_ns) == offsetof(sh_provider_api, poll) + sizeof(void*));
  CHECK(SH_ABI_MINOR >= 3);
}

TEST_CASE("ABI 1.4 appends the venue table to the descriptor, after load_state", "[abi]") {
  CHECK(offsetof(sh_plugin_descriptor, venue) ==
        offsetof(sh_plugin_descriptor, load_state) + sizeof(void*));
  CHECK(SH_KIND_VENUE == 5);
  CHECK(offsetof(sh_venue_api, capabilities) == offsetof(sh_venue_api, struct_size) + sizeof(void*));
  CHECK(SH_ABI_MINOR >= 4);
}

TEST_CASE("ABI 1.5 appends capabilities, entitled and fetch_daily to the provider table, after clock_ns",
          "[abi]") {
  CHECK(offsetof(sh_provider_api, capabilities) == offsetof(sh_provider_api, clock_ns) + sizeof(void*));
  CHECK(offsetof(sh_provider_api, entitled) == offsetof(sh_provider_api, capabilities) + sizeof(void*));
  CHECK(offsetof(sh_provider_api, fetch_daily) == offsetof(sh_provider_api, entitled) + sizeof(void*));
  CHECK(SH_ERR_NOT_ENTITLED == 9);
  CHECK(SH_REASON_SYMBOL_NOT_ACTIVE == 13);
  CHECK(SH_ABI_MINOR >= 5);  // 1.5 or later: appended only
}

TEST_CASE("a plugin built for ABI 1.0 loads and keeps no durable state", "[abi][loader]") {
  auto opened = sh::host::PluginLibrary::open(sh_test::test_plugin("abi_1_0_detector"));
  REQUIRE(opened.status == "ok");
  CHECK(opened.identity.abi == "1.0");
  // Its descriptor ends before the 1.1 fields: whatever follows is not read.
  CHECK_FALSE(opened.library->supports_state());
  CHECK(opened.library->descriptor().save_state == nullptr);
}

TEST_CASE("save_state without load_state is an invalid descriptor", "[abi][loader]") {
  auto opened = sh::host::PluginLibrary::open(sh_test::test_plugin("half_state"));
  CHECK_FALSE(opened.ok());
  CHECK(opened.status == "invalid descriptor: save_state without load_state");
}

TEST_CASE("an open circuit breaker is still open in a new instance given its state", "[risk]") {
  Policy a("circuit_breaker", "{}");
  auto pf = portfolio();
  const auto buy = intent(a.btc, SH_SIDE_BUY, 1000);
  pf.var_pct = 2.6;
  REQUIRE(a.one(buy, pf).action == SH_RISK_DENY);
  const std::string bytes = a.save_state();

  Policy b("circuit_breaker", "{}");
  REQUIRE(b.load_state(bytes) == SH_OK);
  CHECK(b.logged("circuit OPEN restored from the store (opened on VaR 2.60% > 2.50%)"));
  pf.var_pct = 1.0;  // healthy now, but only a person reopens the breaker
  const auto v = b.one(buy, pf);
  CHECK(v.action == SH_RISK_DENY);
  CHECK(v.reason == SH_REASON_CIRCUIT_OPEN);
  CHECK(std::string(v.detail) == "circuit OPEN: VaR 2.60% > 2.50%");
  REQUIRE(b.set_config(R"({"reset": true})") == SH_OK);
  CHECK(b.one(buy, pf).action == SH_RISK_SCALE);  // HALF_OPEN trial

  // Bytes it cannot read are refused with a reason; the instance stays clear.
  Policy c("circuit_breaker", "{}");
  CHECK(c.load_state("{\"state\": \"AJAR\", \"open_reason\": \"\", \"trial_batches\": 0}") != SH_OK);
  CHECK(c.last_error().find("unknown breaker state 'AJAR'") != std::string::npos);
  CHECK(c.load_state("not json") != SH_OK);
  CHECK(c.one(buy, pf).action == SH_RISK_ALLOW);
}

TEST_CASE("a latched drawdown lock and a stopped day stay so in a new instance", "[risk]") {
  auto pf = portfolio();
  pf.drawdown_pct = 13.0;
  Policy a("drawdown_lock", "{}");
  const auto buy = intent(a.btc, SH_SIDE_BUY, 1000);
  REQUIRE(a.one(buy, pf).reason == SH_REASON_RISK_LOCKED);
  Policy b("drawdown_lock", "{}");
  REQUIRE(b.load_state(a.save_state()) == SH_OK);
  pf.drawdown_pct = 8.0;  // above the release level (6 %): still latched
  CHECK(b.one(buy, pf).reason == SH_REASON_RISK_LOCKED);

  auto day = portfolio();
  day.daily_pnl_usd = -3500.0;  // 3.5 % of 100k
  Policy d("daily_loss", "{}");
  REQUIRE(d.one(buy, day).reason == SH_REASON_DAILY_LOSS);
  Policy e("daily_loss", "{}");
  REQUIRE(e.load_state(d.save_state()) == SH_OK);
  day.daily_pnl_usd = -1000.0;  // recovered within the same day: still stopped
  CHECK(e.one(buy, day).reason == SH_REASON_DAILY_LOSS);
}

TEST_CASE("rate windows and safe mode survive into a new instance", "[risk]") {
  Policy a("rate_limit", R"({"window_ms": 60000, "max_intents_per_symbol": 2})");
  auto pf = portfolio();
  const auto buy = intent(a.btc, SH_SIDE_BUY, 1000);
  REQUIRE(a.one(buy, pf).action == SH_RISK_ALLOW);
  REQUIRE(a.one(buy, pf).action == SH_RISK_ALLOW);
  REQUIRE(a.one(buy, pf).reason == SH_REASON_RATE_LIMITED);
  Policy b("rate_limit", R"({"window_ms": 60000, "max_intents_per_symbol": 2})");
  REQUIRE(b.load_state(a.save_state()) == SH_OK);
  CHECK(b.one(buy, pf).reason == SH_REASON_RATE_LIMITED);
  CHECK(b.one(intent(b.eth, SH_SIDE_BUY, 1000), pf).action == SH_RISK_ALLOW);

  Policy s("safe_mode", "{}");
  for (int i = 0; i < 6; ++i) {
    pf.consecutive_errors = static_cast<uint32_t>(i + 1);
    pf.ts_ns += kMinuteNs;
    (void)s.one(buy, pf);
  }
  pf.ts_ns += kMinuteNs;
  REQUIRE(s.one(buy, pf).reason == SH_REASON_SAFE_MODE);
  Policy t("safe_mode", "{}");
  REQUIRE(t.load_state(s.save_state()) == SH_OK);
  CHECK(t.logged("safe mode restored from the store"));
  pf.ts_ns += kMinuteNs;
  const auto v = t.one(buy, pf);
  CHECK(v.reason == SH_REASON_SAFE_MODE);
  CHECK(v.scale == Approx(0.1));
}
