// The C example's test: the same harness as the C++ examples, since the
// harness only speaks the C ABI (strategy_host/testing.hpp, run by ctest).
#include <strategy_host/testing.hpp>

using sh::testing::Rows;

SH_TEST("the C detector fires on |z_ret| >= threshold and counts its hits") {
  sh::testing::Plugin plugin;
  sh::testing::expect(plugin.name() == "example_detector_c", "name: " + plugin.name());
  auto detector = plugin.detector({{"threshold", 3.0}});
  Rows rows;
  rows.add("BTCUSDT", 12).set("z_ret", 3.5);
  rows.add("ETHUSDT", 12).set("z_ret", -2.0);
  rows.add("ETHUSDT", 13).set("z_ret", -6.0);
  rows.add("SOLUSDT", 13);  // null z_ret
  const auto hits = detector.run(rows);
  hits.expect_count(2);
  hits.expect_hit("BTCUSDT", 12, "example_c_z_ret");
  hits.expect_hit("ETHUSDT", 13);
  hits.expect_no_hit("SOLUSDT");
  sh::testing::expect(plugin.host().counter("hits") == 2, "the hits counter");
}

SH_TEST("the C detector uses its default threshold and refuses a bad one") {
  sh::testing::Plugin plugin;
  auto detector = plugin.detector();  // no threshold: the plugin's default, 4.0
  Rows rows;
  rows.add("BTCUSDT", 1).set("z_ret", 3.9);
  rows.add("ETHUSDT", 1).set("z_ret", 4.1);
  const auto hits = detector.run(rows);
  hits.expect_count(1);
  hits.expect_hit("ETHUSDT", 1);
  const std::string why = plugin.expect_config_refused({{"threshold", 0}});
  sh::testing::expect(why.find("threshold must be > 0") != std::string::npos, "message: " + why);
}

SH_TEST("many hits in one minute all arrive (emitted in chunks of 64)") {
  sh::testing::Plugin plugin;
  auto detector = plugin.detector({{"threshold", 1.0}});
  Rows rows;
  for (int i = 0; i < 150; ++i) rows.add("S" + std::to_string(i), 5).set("z_ret", 2.0);
  detector.run(rows).expect_count(150);
}
