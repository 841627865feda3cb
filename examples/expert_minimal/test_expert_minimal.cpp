// The example expert's test (strategy_host/testing.hpp, run by ctest).
#include <strategy_host/testing.hpp>

#include <cmath>

using sh::testing::Rows;

SH_TEST("leans with the sign of mom_20 and abstains without it") {
  sh::testing::Plugin plugin;
  auto expert = plugin.expert({{"lean", 0.2}});
  Rows rows;
  rows.add("BTC", 30).set("mom_20", 0.02);
  rows.add("ETH", 30).set("mom_20", -0.01);
  rows.add("SOL", 30);  // mom_20 null: not warm
  const auto evidence = expert.run(rows);
  const auto& btc = evidence.expect_long("BTC", 30);
  sh::testing::expect(std::fabs(btc.e.prob_long - 0.7) < 1e-12, "lean 0.2: " + btc.describe());
  evidence.expect_short("ETH", 30);
  evidence.expect_abstain("SOL", 30);
}

SH_TEST("leans on a configured feature column by name when told to, and abstains where it is null or missing") {
  sh::testing::Plugin plugin;
  auto expert = plugin.expert({{"lean", 0.1}, {"column", "macd_hist"}});
  Rows rows;
  rows.add("BTC", 30).set("mom_20", -0.05).column("macd_hist", 0.4);  // the column wins
  rows.add("ETH", 30).column("macd_hist", -0.2);
  rows.add("SOL", 30).set("mom_20", 0.02);  // macd_hist null (warming up)
  const auto evidence = expert.run(rows);
  evidence.expect_long("BTC", 30);
  evidence.expect_short("ETH", 30);
  evidence.expect_abstain("SOL", 30);
  // A host whose rows carry no such column: every row abstains.
  auto other = plugin.expert({{"column", "sma_50"}});
  other.run(rows).expect_abstain("BTC", 30);
}

SH_TEST("a lean outside 0..0.5 is refused") {
  sh::testing::Plugin plugin;
  plugin.expect_config_refused({{"lean", 0.9}});
}
