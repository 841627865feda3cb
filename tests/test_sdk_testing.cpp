// [sdk] The installed harness, strategy_host/testing.hpp, on real plugin
// libraries: it refuses what the host refuses, feeds rows the way the host
// batches them, and its failures say what was expected and what came.
#include <catch2/catch.hpp>

#include <strategy_host/testing.hpp>

#include "support/plugin_harness.h"
#include "test_host_support.h"

#include <string>

namespace fs = std::filesystem;

namespace {

std::string c_detector() {
  return std::string(SH_ABI_PLUGIN_DIR) + "/current/libexample_detector_c.so";
}

// The message of the Failure fn throws ("" when it does not throw).
template <typename Fn>
std::string failure_of(Fn&& fn) {
  try {
    fn();
  } catch (const sh::testing::Failure& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("sh::testing loads a plugin as the host does and refuses what the host refuses", "[sdk]") {
  sh::testing::Plugin plugin(c_detector());
  CHECK(plugin.name() == "example_detector_c");
  CHECK(plugin.kind() == "detector");

  CHECK(failure_of([] { sh::testing::Plugin p(sh_test::test_plugin("abi_major_2").string()); })
            .find("plugin ABI 2.0, host ABI 1.6") != std::string::npos);
  CHECK(failure_of([] { sh::testing::Plugin p(sh_test::test_plugin("no_entry").string()); })
            .find("no sh_plugin_entry symbol") != std::string::npos);
  CHECK(failure_of([] { sh::testing::Plugin p(sh_test::test_plugin("missing_function").string()); })
            .find("invalid descriptor: missing detector table or its function") != std::string::npos);
  CHECK(failure_of([] { sh::testing::Plugin p("/nonexistent/libnothing.so"); })
            .find("cannot load /nonexistent/libnothing.so") != std::string::npos);
  // A detector is not an expert.
  CHECK(failure_of([&] { plugin.expert(); }) ==
        "plugin example_detector_c is a detector, not a expert (" + c_detector() + ")");
}

TEST_CASE("sh::testing failures name the expected hit and list the hits that came instead", "[sdk]") {
  sh::testing::Plugin plugin(c_detector());
  auto detector = plugin.detector({{"threshold", 4.0}});
  sh::testing::Rows rows;
  rows.add("BTCUSDT", 12).set("z_ret", 1.0);
  rows.add("SOLUSDT", 12).set("z_ret", -5.0);
  rows.add("SOLUSDT", 13).set("z_ret", 0.5);
  const auto hits = detector.run(rows);
  CHECK(hits.size() == 1);
  CHECK(failure_of([&] { hits.expect_hit("BTCUSDT", 12); }) ==
        "expected a hit on BTCUSDT at 2024-01-01T00:12Z (minute 12), got none; hits were: 1:\n"
        "  SOLUSDT 2024-01-01T00:12Z (minute 12) example_c_z_ret score 62.5 value -5 threshold 4");
  CHECK(failure_of([&] { hits.expect_no_hit("SOLUSDT"); }).find("expected no hit on SOLUSDT") == 0);
  CHECK(failure_of([&] { hits.expect_count(3); }).find("expected 3 hits, got 1:") == 0);
  CHECK(failure_of([&] { hits.expect_hit("SOLUSDT", 12, "other_class"); })
            .find("expected a other_class hit on SOLUSDT") == 0);
  CHECK(failure_of([&] { hits.expect_hit("SOLUSDT", "2024-01-01T00:12Z"); }).empty());
  CHECK(failure_of([&] { rows.add("X", 1).set("zret", 1.0); })
            .find("unknown feature field 'zret'; the fields are: open, high,") == 0);
  CHECK(failure_of([&] { plugin.detector({{"threshold", -1}}); }) ==
        "example_detector_c refused the config {\"threshold\":-1}: SH_ERR_CONFIG: "
        "threshold must be > 0, got -1");
}

TEST_CASE("sh::testing reads snapshot CSV fixtures and names the line of a bad one", "[sdk]") {
  sh_test::ScratchDir dir("sdk-testing-csv");
  const auto good = dir / "rows.csv";
  sh_test::write_file(good,
                      "minute,symbol,dq,z_ret,close\n"
                      "2024-01-02T04:10:00Z,SOL,ok,-9.2,99.8\n"
                      "2024-01-02T04:10:00Z,BTC,gap,,42000\n"
                      "2024-01-02T04:11:00Z,SOL,ok,0.3,99.9\n");
  const auto rows = sh::testing::Rows::from_csv(good.string());
  REQUIRE(rows.size() == 3);
  CHECK(rows.minutes().size() == 2);
  CHECK(rows.entries()[1].row.dq == SH_DQ_GAP);
  CHECK(std::isnan(rows.entries()[1].row.z_ret));  // empty cell: null
  sh::testing::Plugin plugin(c_detector());
  auto detector = plugin.detector();
  const auto hits = detector.run(rows);
  hits.expect_count(1);
  CHECK(hits[0].minute_ts_ns == 1704168600000000000);  // 2024-01-02T04:10Z

  const auto bad = dir / "bad.csv";
  sh_test::write_file(bad, "minute,symbol,z_ret\n2024-01-02T04:10:00Z,SOL,high\n");
  CHECK(failure_of([&] { sh::testing::Rows::from_csv(bad.string()); }) ==
        bad.string() + ":2: column z_ret: 'high' is not a number");
}

TEST_CASE("sh::testing passes configured feature columns by name, from code and from a snapshot CSV", "[sdk]") {
  sh_test::ScratchDir dir("sdk_testing_columns");
  // A header that is not a field of sh_feature_row is a configured column
  // (the snapshot of a host with features:); an empty cell is null.
  const auto csv = dir / "columns.csv";
  sh_test::write_file(csv, "minute,symbol,z_ret,sma_50,bb_up_20\n"
                           "2024-01-02T04:10:00Z,SOL,1.5,99.5,101\n"
                           "2024-01-02T04:10:00Z,BTC,,42000,\n");
  auto rows = sh::testing::Rows::from_csv(csv.string());
  REQUIRE(rows.columns() == std::vector<std::string>{"sma_50", "bb_up_20"});
  CHECK(rows.entries()[0].columns == std::vector<double>{99.5, 101});
  CHECK(std::isnan(rows.entries()[1].columns[1]));
  CHECK(rows.entries()[0].row.z_ret == 1.5);
  // From code: a new column is null in the rows that do not set it.
  rows.add("ETH", sh::testing::When("2024-01-02T04:10Z")).column("macd_hist", 0.25);
  REQUIRE(rows.columns().size() == 3);
  CHECK(std::isnan(rows.entries()[0].columns[2]));
  CHECK(rows.entries()[2].columns[2] == 0.25);
  // A field of sh_feature_row is refused as a column (a typo would hide it).
  CHECK(failure_of([&] { rows.add("SOL", 1).column("z_ret", 1.0); }).find("set it with set()") !=
        std::string::npos);
}

TEST_CASE("sh::testing resolves a relative path field against config_dir as the host does", "[sdk]") {
  // replay's files[].path is "format": "path" in its schema.
  sh::testing::Plugin replay(sh_test::plugin_path("replay"));
  replay.config_dir = fs::path(SH_SOURCE_DIR) / "data/sample";
  auto provider = replay.provider(
      {{"files", nlohmann::json::array({{{"path", "trades.csv"}, {"type", "trades"}}})}});
  const auto events = provider.drain();
  CHECK(events.final_status() == SH_END_OF_DATA);
  const auto rows = sh_test::lines(sh_test::read_file(replay.config_dir / "trades.csv")).size();
  CHECK(events.size() == rows - 1);  // every trade, the header aside
  CHECK(events.count("BTC", SH_EVENT_TRADE) > 0);
  events.expect_ordered();

  // Relative to another directory, the same file is not there: refused.
  replay.config_dir = fs::path(SH_SOURCE_DIR);
  const std::string why = replay.expect_config_refused(
      {{"files", nlohmann::json::array({{{"path", "trades.csv"}, {"type", "trades"}}})}});
  CHECK(why.find((fs::path(SH_SOURCE_DIR) / "trades.csv").string()) != std::string::npos);
}
