// The example detector's test: sh_add_plugin_test() builds it with a main()
// that runs every SH_TEST against libexample_detector.so, loaded as the host
// loads it. Run it with `ctest` in the build directory.
#include <strategy_host/testing.hpp>

using sh::testing::Rows;

SH_TEST("fires on |z_ret| at or above the threshold, both signs") {
  sh::testing::Plugin plugin;
  auto detector = plugin.detector({{"threshold", 4.0}});
  Rows rows;
  rows.add("BTCUSDT", 12).set("z_ret", 5.0);   // minute 12
  rows.add("ETHUSDT", 12).set("z_ret", 1.0);   // well below
  rows.add("SOLUSDT", 12).set("z_ret", -4.0);  // exactly at it, downwards
  rows.add("BTCUSDT", 13).set("z_ret", 3.9);
  const auto hits = detector.run(rows);
  hits.expect_count(2);
  const auto& btc = hits.expect_hit("BTCUSDT", 12, "example_z_ret");
  sh::testing::expect(btc.value == 5.0 && btc.threshold == 4.0, "value and threshold: " + btc.describe());
  hits.expect_hit("SOLUSDT", 12);
  hits.expect_no_hit("ETHUSDT");
  hits.expect_no_hit("BTCUSDT", 13);
}

SH_TEST("a null z_ret (baseline not warm) is never a hit") {
  sh::testing::Plugin plugin;
  auto detector = plugin.detector();  // schema default: threshold 4
  Rows rows;
  rows.add("BTCUSDT", 0).set("close", 42000.0);  // z_ret left null
  detector.run(rows).expect_count(0);
}

SH_TEST("the threshold changes live and a bad one is refused") {
  sh::testing::Plugin plugin;
  auto detector = plugin.detector({{"threshold", 4.0}});
  Rows rows;
  rows.add("BTCUSDT", 1).set("z_ret", 2.5);
  detector.run(rows).expect_count(0);
  detector.set_config({{"threshold", 2.0}});
  detector.run(rows).expect_hit("BTCUSDT", 1);
  plugin.expect_config_refused({{"threshold", -1}});
}

SH_TEST("rows from a snapshot CSV: hits on the planted spike only") {
  // spike.csv is SOL and BTC, 04:08 to 04:11 of the shipped sample, written by
  //   host snapshot --symbol SOL --from 2024-01-02T04:08Z --to 2024-01-02T04:12Z --format csv
  // (and the same for BTC) after a run; SOL's return spike is at 04:10.
  sh::testing::Plugin plugin;
  auto detector = plugin.detector({{"threshold", 4.0}});
  const auto hits = detector.run(Rows::from_csv(sh::testing::fixture("spike.csv")));
  hits.expect_count(1);
  const auto& sol = hits.expect_hit("SOL", "2024-01-02T04:10Z");
  sh::testing::expect(sol.value < -9, "a fall: " + sol.describe());
}
