// The example risk policy's test (strategy_host/testing.hpp, run by ctest).
#include <strategy_host/testing.hpp>

#include <string>

using sh::testing::Intent;

SH_TEST("denies intents below min_confidence and allows the rest") {
  sh::testing::Plugin plugin;
  auto risk = plugin.risk({{"min_confidence", 0.6}});
  const auto verdicts = risk.run({Intent("BTC", SH_SIDE_BUY, 0.05, 40000).confidence(0.9),
                                  Intent("ETH", SH_SIDE_SELL, 1.0, 2500).confidence(0.4),
                                  Intent("SOL", SH_SIDE_BUY, 10, 100).confidence(0.6)});
  verdicts.expect_allow(0);
  verdicts.expect_deny(1, SH_REASON_LOW_CONFIDENCE);
  verdicts.expect_allow(2);  // at the threshold: allowed
  // The reason names the symbol, for the operator reading the decision log.
  const std::string detail = verdicts[1].detail;
  sh::testing::expect(detail.find("ETH confidence 0.40") != std::string::npos,
                      "detail: " + detail);
}

SH_TEST("a non-numeric min_confidence is refused") {
  sh::testing::Plugin plugin;
  plugin.expect_config_refused({{"min_confidence", "high"}});
}
