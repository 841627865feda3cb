// [replay] Bad input rows are skipped, counted per reason and reported as
// FILE:LINE: reason (field); the replay carries on with the good rows. An
// unreadable file fails create() with the path in last_error().
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "support/plugin_harness.h"

using nlohmann::json;
using sh_test::HarnessHost;
using sh_test::PluginInstance;
using sh_test::PluginLibrary;

namespace {

std::string fixture(const std::string& name) {
  return std::string(SH_SOURCE_DIR) + "/tests/data/replay/" + name;
}

const PluginLibrary& replay_lib() {
  static const PluginLibrary lib(sh_test::plugin_path("replay"));
  return lib;
}

std::vector<sh_market_event> replay_all(HarnessHost& host, const json& config) {
  PluginInstance inst(replay_lib(), host, config);
  INFO(inst.last_error());
  REQUIRE(inst.ok());
  sh_status final_status = SH_OK;
  auto events = inst.drain_events(1000, &final_status);
  REQUIRE(final_status == SH_END_OF_DATA);
  return events;
}

// Checks that exactly one log line starts with "path:line: reason (field)".
void check_reported(const HarnessHost& host, const std::string& path, int line,
                    const std::string& reason, const std::string& field) {
  const std::string prefix = path + ":" + std::to_string(line) + ": " + reason + " (" + field + ")";
  INFO("expected a log line starting with: " << prefix << "\nlog:\n" << host.log_text());
  size_t n = 0;
  for (const auto& l : host.log_lines) {
    if (l.msg.rfind(prefix, 0) == 0) {
      ++n;
      CHECK(l.level == SH_LOG_WARN);
    }
  }
  CHECK(n == 1);
}

std::vector<int64_t> trade_ids(const std::vector<sh_market_event>& ev) {
  std::vector<int64_t> ids;
  for (const auto& e : ev) ids.push_back(static_cast<int64_t>(e.data.trade.trade_id));
  return ids;
}

constexpr int64_t kJan2 = 1704153600LL * 1000000000LL;  // 2024-01-02T00:00:00Z in ns
constexpr int64_t kSec = 1000000000LL;

}  // namespace

TEST_CASE("replay skips and reports each kind of bad trade row", "[replay]") {
  const std::string path = fixture("bad_trades.csv");
  HarnessHost host;
  const auto ev = replay_all(
      host, {{"files", {{{"path", path}, {"type", "trades"}}}}, {"symbols", {"AAPL", "MSFT"}}});

  // The good rows, in file order; the run carried on past every bad one.
  CHECK(trade_ids(ev) == std::vector<int64_t>{1, 12, 14, 17, 20});

  check_reported(host, path, 3, "column_count", "row");
  check_reported(host, path, 4, "non_numeric", "price");
  check_reported(host, path, 5, "non_finite", "price");  // nan
  check_reported(host, path, 6, "non_finite", "price");  // inf
  check_reported(host, path, 7, "bad_price", "price");   // negative
  check_reported(host, path, 8, "bad_price", "price");   // zero
  check_reported(host, path, 9, "bad_size", "size");     // zero
  check_reported(host, path, 10, "bad_size", "size");    // negative
  check_reported(host, path, 11, "unknown_symbol", "symbol");
  check_reported(host, path, 12, "bad_side", "side");
  check_reported(host, path, 14, "out_of_order", "ts");  // older than line 13's AAPL row
  check_reported(host, path, 16, "future_ts", "ts");     // year 2200: past the wall clock
  check_reported(host, path, 17, "future_ts", "ts");     // +2 days, not confirmed by line 18
  check_reported(host, path, 19, "bad_timestamp", "ts");
  check_reported(host, path, 20, "missing_field", "symbol");

  CHECK(host.counter("bad_rows.column_count") == 1);
  CHECK(host.counter("bad_rows.non_numeric") == 1);
  CHECK(host.counter("bad_rows.non_finite") == 2);
  CHECK(host.counter("bad_rows.bad_price") == 2);
  CHECK(host.counter("bad_rows.bad_size") == 2);
  CHECK(host.counter("bad_rows.unknown_symbol") == 1);
  CHECK(host.counter("bad_rows.bad_side") == 1);
  CHECK(host.counter("bad_rows.out_of_order") == 1);
  CHECK(host.counter("bad_rows.future_ts") == 2);
  CHECK(host.counter("bad_rows.bad_timestamp") == 1);
  CHECK(host.counter("bad_rows.missing_field") == 1);
  CHECK(host.counter("events_emitted") == 5);
  // One summary line at the end of the file.
  CHECK(host.logs_containing(path + ": skipped 15 bad rows:") == 1);
}

TEST_CASE("replay skips crossed and locked quotes and zero sizes", "[replay]") {
  const std::string path = fixture("bad_quotes.csv");
  HarnessHost host;
  const auto ev = replay_all(host, {{"files", {{{"path", path}}}}});
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].ts_ns == kJan2);
  CHECK(ev[1].ts_ns == kJan2 + 4 * kSec);
  check_reported(host, path, 3, "crossed_book", "bid");  // bid > ask
  check_reported(host, path, 4, "crossed_book", "bid");  // bid == ask
  check_reported(host, path, 5, "bad_size", "bid_size");
  CHECK(host.counter("bad_rows.crossed_book") == 2);
  CHECK(host.counter("bad_rows.bad_size") == 1);
}

TEST_CASE("replay skips bars whose OHLC is inconsistent", "[replay]") {
  const std::string path = fixture("bad_bars.csv");
  HarnessHost host;
  const auto ev = replay_all(host, {{"files", {{{"path", path}}}}});
  REQUIRE(ev.size() == 2);
  CHECK(ev[1].data.bar.volume == 8000);
  check_reported(host, path, 3, "bad_bar", "high");   // high < low
  check_reported(host, path, 4, "bad_bar", "open");   // open > high
  check_reported(host, path, 5, "bad_bar", "close");  // close < low
  check_reported(host, path, 6, "bad_size", "volume");
  CHECK(host.counter("bad_rows.bad_bar") == 3);
}

TEST_CASE("replay L2: bad side, level, size and price are skipped, size 0 is a removal",
          "[replay]") {
  const std::string path = fixture("bad_l2.csv");
  HarnessHost host;
  const auto ev = replay_all(host, {{"files", {{{"path", path}}}}});
  REQUIRE(ev.size() == 2);
  CHECK(ev[1].data.l2.size == 0);
  check_reported(host, path, 3, "bad_side", "side");
  check_reported(host, path, 4, "bad_level", "level");
  check_reported(host, path, 5, "bad_size", "size");
  check_reported(host, path, 7, "bad_price", "price");
}

TEST_CASE("replay JSON lines: malformed, missing and nested fields are skipped", "[replay]") {
  const std::string path = fixture("bad_trades.jsonl");
  HarnessHost host;
  const auto ev = replay_all(host, {{"files", {{{"path", path}, {"type", "trades"}}}}});
  REQUIRE(ev.size() == 2);
  CHECK(ev[1].data.trade.size == 7);
  check_reported(host, path, 2, "malformed_json", "row");
  check_reported(host, path, 3, "missing_field", "price");
  check_reported(host, path, 4, "malformed_json", "row");
  check_reported(host, path, 5, "non_finite", "price");
}

TEST_CASE("replay logs the first 20 bad rows per reason, then one summary", "[replay]") {
  sh_test::TempDir dir;
  std::string csv = "ts,symbol,bid,bid_size,ask,ask_size\n";
  for (int i = 0; i < 25; ++i)  // lines 2..26: crossed
    csv += std::to_string(kJan2 + i * kSec) + ",X,2,1,1,1\n";
  csv += std::to_string(kJan2 + 30 * kSec) + ",X,abc,1,2,1\n";  // line 27: non_numeric
  csv += std::to_string(kJan2 + 31 * kSec) + ",X,1,1,2,1\n";    // line 28: good
  const std::string path = dir.write("q.csv", csv);
  HarnessHost host;
  const auto ev = replay_all(host, {{"files", {{{"path", path}}}}});
  REQUIRE(ev.size() == 1);
  CHECK(host.counter("bad_rows.crossed_book") == 25);
  CHECK(host.logs_containing(": crossed_book (bid)") == 20);
  check_reported(host, path, 21, "crossed_book", "bid");
  CHECK(host.logs_containing(path + ":22: crossed_book") == 0);
  check_reported(host, path, 27, "non_numeric", "bid");
  CHECK(host.logs_containing(path + ": skipped 26 bad rows: non_numeric=1, crossed_book=25") == 1);

  SECTION("log_limit_per_reason is configurable") {
    HarnessHost quiet;
    replay_all(quiet, {{"files", {{{"path", path}}}}, {"log_limit_per_reason", 0}});
    CHECK(quiet.logs_containing(": crossed_book (bid)") == 0);
    CHECK(quiet.counter("bad_rows.crossed_book") == 25);
    CHECK(quiet.logs_containing(": skipped 26 bad rows") == 1);
  }
}

TEST_CASE("replay accepts a real gap confirmed by the next row, drops an isolated jump",
          "[replay]") {
  sh_test::TempDir dir;
  const int64_t kDay = 86400 * kSec;
  // A Friday-to-Monday gap of 3 days in a tick file (max_future_s = 1 day):
  // line 3 jumps, line 4 confirms it. Line 6 jumps alone and line 7 is back.
  const std::string path = dir.write(
      "t.csv", "ts,symbol,price,size\n" +
                   std::to_string(kJan2) + ",X,1,1\n" +               // 2
                   std::to_string(kJan2 + 3 * kDay) + ",X,1,2\n" +    // 3
                   std::to_string(kJan2 + 3 * kDay + kSec) + ",X,1,3\n" +  // 4
                   std::to_string(kJan2 + 3 * kDay + 2 * kSec) + ",X,1,4\n" +  // 5
                   std::to_string(kJan2 + 9 * kDay) + ",X,1,5\n" +    // 6
                   std::to_string(kJan2 + 3 * kDay + 3 * kSec) + ",X,1,6\n" +  // 7
                   std::to_string(kJan2 + 8 * kDay) + ",X,1,7\n");    // 8: last row, unconfirmed
  HarnessHost host;
  const auto ev = replay_all(host, {{"files", {{{"path", path}}}}});
  std::vector<double> sizes;
  for (const auto& e : ev) sizes.push_back(e.data.trade.size);
  CHECK(sizes == std::vector<double>{1, 2, 3, 4, 6});
  check_reported(host, path, 6, "future_ts", "ts");
  check_reported(host, path, 8, "future_ts", "ts");
  CHECK(host.counter("bad_rows.future_ts") == 2);
}

TEST_CASE("replay create fails with the path when a file is missing or unusable",
          "[replay]") {
  HarnessHost host;
  SECTION("missing file") {
    const std::string path = fixture("no_such_file.csv");
    PluginInstance inst(replay_lib(), host,
                        {{"files", {{{"path", fixture("trades.csv")}}, {{"path", path}}}}});
    CHECK_FALSE(inst.ok());
    CHECK(inst.status() == SH_ERR_CONFIG);
    CHECK_THAT(inst.last_error(), Catch::Contains(path));
    CHECK_THAT(inst.last_error(), Catch::Contains("No such file"));
  }
  SECTION("a required column is missing") {
    sh_test::TempDir dir;
    const std::string path = dir.write("t.csv", "ts,symbol,price\n1,X,1\n");
    PluginInstance inst(replay_lib(), host, {{"files", {{{"path", path}, {"type", "trades"}}}}});
    CHECK(inst.status() == SH_ERR_CONFIG);
    CHECK_THAT(inst.last_error(), Catch::Contains(path) && Catch::Contains("size"));
  }
  SECTION("the type cannot be inferred") {
    sh_test::TempDir dir;
    const std::string path = dir.write("t.csv", "a,b,c\n1,2,3\n");
    PluginInstance inst(replay_lib(), host, {{"files", {{{"path", path}}}}});
    CHECK(inst.status() == SH_ERR_CONFIG);
    CHECK_THAT(inst.last_error(), Catch::Contains(path) && Catch::Contains("set type"));
  }
  SECTION("a missing dir") {
    PluginInstance inst(replay_lib(), host, {{"dir", "/nonexistent/replay_dir"}});
    CHECK(inst.status() == SH_ERR_CONFIG);
    CHECK_THAT(inst.last_error(), Catch::Contains("/nonexistent/replay_dir"));
  }
  SECTION("a misspelt config key") {
    PluginInstance inst(replay_lib(), host,
                        {{"files", {{{"path", fixture("trades.csv")}}}}, {"max_futur_s", 5}});
    CHECK(inst.status() == SH_ERR_CONFIG);
    CHECK_THAT(inst.last_error(), Catch::Contains("max_futur_s"));
  }
}
