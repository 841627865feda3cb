// [replay] The replay provider reads every row type from CSV and JSON lines,
// through the real plugin library loaded with dlopen.
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

// Creates an instance from config, drains it, and checks it finished cleanly.
std::vector<sh_market_event> replay_all(HarnessHost& host, const json& config) {
  PluginInstance inst(replay_lib(), host, config);
  INFO(inst.last_error());
  REQUIRE(inst.ok());
  sh_status final_status = SH_OK;
  auto events = inst.drain_events(1000, &final_status);
  REQUIRE(final_status == SH_END_OF_DATA);
  return events;
}

constexpr int64_t kJan2 = 1704153600LL * 1000000000LL;  // 2024-01-02T00:00:00Z in ns
constexpr int64_t kSec = 1000000000LL;
constexpr int64_t kDay = 86400LL * kSec;

}  // namespace

TEST_CASE("replay descriptor identifies a provider with a config schema", "[replay]") {
  const sh_plugin_descriptor& d = replay_lib().descriptor();
  CHECK(d.kind == SH_KIND_PROVIDER);
  CHECK(std::string(d.name) == "replay");
  REQUIRE(d.provider != nullptr);
  const json schema = json::parse(d.config_schema);
  CHECK(schema["properties"].contains("files"));
  CHECK(schema["properties"].contains("max_future_s"));
}

TEST_CASE("replay reads trades from CSV and JSON lines alike", "[replay]") {
  const char* file = GENERATE("trades.csv", "trades.jsonl");
  INFO(file);
  HarnessHost host;
  const auto ev = replay_all(host, {{"files", {{{"path", fixture(file)}, {"type", "trades"}}}}});
  REQUIRE(ev.size() == 4);
  CHECK(ev[0].struct_size == sizeof(sh_market_event));
  CHECK(ev[0].type == SH_EVENT_TRADE);
  CHECK(host.symbol_name(ev[0].symbol) == "AAPL");
  CHECK(ev[0].ts_ns == kJan2);
  CHECK(ev[0].recv_ts_ns == kJan2 + 500000);
  CHECK(ev[0].data.trade.price == Approx(185.10));
  CHECK(ev[0].data.trade.size == 100);
  CHECK(ev[0].data.trade.side == SH_SIDE_BUY);
  CHECK(ev[0].data.trade.trade_id == 1);
  CHECK(host.symbol_name(ev[1].symbol) == "MSFT");
  CHECK(ev[1].data.trade.side == SH_SIDE_SELL);
  CHECK(ev[1].recv_ts_ns == 0);
  CHECK(ev[2].data.trade.side == SH_SIDE_UNKNOWN);  // empty side / JSON null
  CHECK(ev[3].data.trade.side == SH_SIDE_SELL);     // "s"
  CHECK(ev[3].data.trade.trade_id == 4);
  CHECK(host.counter("events_emitted") == 4);
  CHECK(host.counters().count("bad_rows.crossed_book") == 1);
  for (const auto& line : host.log_lines) CHECK(line.level < SH_LOG_WARN);
}

TEST_CASE("replay reads BBO quotes from CSV and JSON lines alike", "[replay]") {
  const char* file = GENERATE("quotes.csv", "quotes.jsonl");
  INFO(file);
  HarnessHost host;
  const auto ev = replay_all(host, {{"files", {{{"path", fixture(file)}, {"type", "quotes"}}}}});
  REQUIRE(ev.size() == 3);
  CHECK(ev[0].type == SH_EVENT_QUOTE);
  CHECK(ev[0].ts_ns == kJan2 + 500000000);
  CHECK(ev[0].recv_ts_ns == kJan2 + 500100000);
  CHECK(ev[0].data.quote.bid == Approx(185.09));
  CHECK(ev[0].data.quote.bid_size == 300);
  CHECK(ev[0].data.quote.ask == Approx(185.11));
  CHECK(ev[0].data.quote.ask_size == 200);
  CHECK(host.symbol_name(ev[1].symbol) == "MSFT");
}

TEST_CASE("replay reads L2 levels, keeps top l2_levels and size-0 removals", "[replay]") {
  const char* file = GENERATE("l2.csv", "l2.jsonl");
  INFO(file);
  HarnessHost host;
  SECTION("all levels") {
    const auto ev = replay_all(host, {{"files", {{{"path", fixture(file)}, {"type", "l2"}}}}});
    REQUIRE(ev.size() == 5);
    CHECK(ev[0].type == SH_EVENT_L2);
    CHECK(ev[0].ts_ns == kJan2);
    CHECK(ev[0].data.l2.side == SH_SIDE_BUY);
    CHECK(ev[0].data.l2.level == 0);
    CHECK(ev[0].data.l2.price == Approx(185.09));
    CHECK(ev[1].data.l2.level == 1);
    CHECK(ev[2].data.l2.side == SH_SIDE_SELL);
    CHECK(ev[4].data.l2.size == 0);  // removal
    CHECK(ev[4].ts_ns == kJan2 + kSec);
  }
  SECTION("l2_levels = 1 drops deeper levels without calling them bad") {
    const auto ev = replay_all(
        host, {{"files", {{{"path", fixture(file)}}}}, {"l2_levels", 1}});  // type inferred
    REQUIRE(ev.size() == 3);
    for (const auto& e : ev) CHECK(e.data.l2.level == 0);
    CHECK(host.counter("l2_beyond_levels") == 2);
    CHECK(host.logs_containing(": bad_level") == 0);
  }
}

TEST_CASE("replay reads intraday OHLCV bars with the default 60 s duration", "[replay]") {
  const char* file = GENERATE("bars.csv", "bars.jsonl");
  INFO(file);
  HarnessHost host;
  const auto ev = replay_all(host, {{"files", {{{"path", fixture(file)}, {"type", "bars"}}}}});
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].type == SH_EVENT_BAR);
  CHECK(ev[0].ts_ns == kJan2 + (14 * 3600 + 30 * 60) * kSec);
  CHECK(ev[0].data.bar.open == Approx(185.0));
  CHECK(ev[0].data.bar.high == Approx(185.5));
  CHECK(ev[0].data.bar.low == Approx(184.9));
  CHECK(ev[0].data.bar.close == Approx(185.2));
  CHECK(ev[0].data.bar.volume == 12000);
  CHECK(ev[0].data.bar.duration_ns == 60 * kSec);
  CHECK(ev[1].ts_ns - ev[0].ts_ns == 60 * kSec);
}

TEST_CASE("replay bar duration is configurable per file and globally", "[replay]") {
  HarnessHost host;
  SECTION("per file") {
    const auto ev = replay_all(
        host, {{"files", {{{"path", fixture("bars.csv")}, {"bar_duration_s", 300}}}}});
    REQUIRE(ev.size() == 2);
    CHECK(ev[0].data.bar.duration_ns == 300 * kSec);
  }
  SECTION("global") {
    const auto ev =
        replay_all(host, {{"files", {{{"path", fixture("bars.csv")}}}}, {"bar_duration_s", 5}});
    REQUIRE(ev.size() == 2);
    CHECK(ev[0].data.bar.duration_ns == 5 * kSec);
  }
}

TEST_CASE("replay reads the daily Date,Open,...,Adj Close,Volume layout", "[replay]") {
  HarnessHost host;
  SECTION("CSV: symbol from the file name, dates at 00:00Z, daily duration") {
    const auto ev = replay_all(host, {{"files", {{{"path", fixture("AAPL.csv")}}}}});
    REQUIRE(ev.size() == 5);  // includes the Monday after a weekend
    for (const auto& e : ev) {
      CHECK(e.type == SH_EVENT_BAR);
      CHECK(host.symbol_name(e.symbol) == "AAPL");
      CHECK(e.data.bar.duration_ns == kDay);
    }
    CHECK(ev[0].ts_ns == kJan2);
    CHECK(ev[0].data.bar.open == Approx(187.15));
    CHECK(ev[0].data.bar.close == Approx(185.64));  // Close, not Adj Close
    CHECK(ev[0].data.bar.volume == 82488700);
    CHECK(ev[4].ts_ns == kJan2 + 6 * kDay);  // 2024-01-08
    CHECK(host.logs_containing("future_ts") == 0);
  }
  SECTION("JSON lines with the same keys") {
    const auto ev = replay_all(host, {{"files", {{{"path", fixture("MSFT.jsonl")}}}}});
    REQUIRE(ev.size() == 2);
    CHECK(host.symbol_name(ev[0].symbol) == "MSFT");
    CHECK(ev[1].ts_ns == kJan2 + kDay);
    CHECK(ev[1].data.bar.close == Approx(370.60));
  }
  SECTION("an explicit symbol overrides the file name") {
    const auto ev = replay_all(host, {{"files", {{{"path", fixture("AAPL.csv")}, {"symbol", "AAPL.O"}}}}});
    REQUIRE(!ev.empty());
    CHECK(host.symbol_name(ev[0].symbol) == "AAPL.O");
  }
}

TEST_CASE("replay reads ts as integer s/ms/us/ns, decimal seconds or ISO-8601", "[replay]") {
  sh_test::TempDir dir;
  // Every row is the same instant: 2024-01-02T00:00:00.123Z.
  const std::string path = dir.write("X.csv",
                                     "ts,price,size\n"
                                     "1704153600123000000,1,1\n"
                                     "1704153600123000,1,1\n"
                                     "1704153600123,1,1\n"
                                     "1704153600.123,1,1\n"
                                     "2024-01-02T00:00:00.123Z,1,1\n"
                                     "2024-01-02 00:00:00.123,1,1\n"
                                     "2024-01-02T01:00:00.123+01:00,1,1\n"
                                     "2024-01-01T19:00:00.123-0500,1,1\n");
  HarnessHost host;
  const auto ev = replay_all(host, {{"files", {{{"path", path}}}}});
  INFO(host.log_text());
  REQUIRE(ev.size() == 8);
  for (const auto& e : ev) CHECK(e.ts_ns == kJan2 + 123000000);
  const auto secs = replay_all(host, {{"files", {{{"path", dir.write("Y.csv", "ts,price,size\n1704153600,1,1\n")}}}}});
  REQUIRE(secs.size() == 1);
  CHECK(secs[0].ts_ns == kJan2);
}

TEST_CASE("replay finds columns by header name in any order and case", "[replay]") {
  sh_test::TempDir dir;
  const std::string path = dir.write("t.csv",
                                     "Side, PRICE ,Symbol,Timestamp,Qty\r\n"
                                     "B,10.5,ABC,1704153600000000000,3\r\n"
                                     "\r\n"
                                     "\"S\",\"10.25\",\"ABC\",1704153601000000000,4\r\n");
  HarnessHost host;
  const auto ev = replay_all(host, {{"files", {{{"path", path}}}}});
  INFO(host.log_text());
  REQUIRE(ev.size() == 2);
  CHECK(host.symbol_name(ev[0].symbol) == "ABC");
  CHECK(ev[0].data.trade.price == Approx(10.5));
  CHECK(ev[0].data.trade.size == 3);
  CHECK(ev[0].data.trade.side == SH_SIDE_BUY);
  CHECK(ev[1].data.trade.side == SH_SIDE_SELL);
  CHECK(ev[1].data.trade.price == Approx(10.25));
}

TEST_CASE("replay dir scans data files in name order and infers their types", "[replay]") {
  sh_test::TempDir dir;
  dir.write("b_quotes.csv", "ts,symbol,bid,bid_size,ask,ask_size\n1704153600000000000,Q,1,1,2,1\n");
  dir.write("a_trades.jsonl", "{\"ts\":1704153600000000000,\"symbol\":\"Q\",\"price\":1.5,\"size\":2}\n");
  dir.write("notes.txt", "ignored\n");
  HarnessHost host;
  const auto ev = replay_all(host, {{"dir", dir.path().string()}});
  REQUIRE(ev.size() == 2);
  // Same ts: file order decides, and files are sorted by name.
  CHECK(ev[0].type == SH_EVENT_TRADE);
  CHECK(ev[1].type == SH_EVENT_QUOTE);
}

TEST_CASE("replay only emits allowed symbols and interns them up front", "[replay]") {
  HarnessHost host;
  const auto ev = replay_all(
      host, {{"files", {{{"path", fixture("trades.csv")}}}}, {"symbols", {"MSFT"}}});
  REQUIRE(ev.size() == 1);
  CHECK(host.symbol_name(ev[0].symbol) == "MSFT");
  CHECK(host.counter("bad_rows.unknown_symbol") == 3);
  CHECK(host.intern("AAPL") == 2);  // AAPL was never interned by the plugin
}
