// [binance][live] The local order book: REST snapshot + diff synchronisation
// as Binance documents it ("How to manage a local order book correctly"),
// out-of-order diffs, and an update-id gap -> resync -> a GAP-flagged book.
#include <catch2/catch.hpp>

#include "test_binance_support.h"

using namespace sh_test;

namespace {

nlohmann::json depth_only(const BinanceFixtureServer& server) {
  auto cfg = binance_config(server, {"BTCUSDT"});
  cfg["streams"] = {"depth"};
  cfg["depth_levels"] = 5;
  return cfg;
}

}  // namespace

TEST_CASE("binance builds the book from a snapshot and the diffs that straddle it", "[binance][live]") {
  TempDir dir;
  BinanceFixtureServer server(dir.path());
  server.add_snapshot("BTCUSDT", fixture_text("snapshot_btcusdt_1000.json"));
  WsScript s;
  append_sends(s, fixture_lines("depth_sync.jsonl"));
  server.add_session(s);
  PluginLibrary lib(plugin_path("binance"));
  HarnessHost host;
  PluginInstance inst(lib, host, depth_only(server));
  REQUIRE(inst.ok());
  std::vector<sh_market_event> evs;
  pump(inst, evs, [&] { return host.counter("snapshots_applied") == 1; });
  INFO(host.log_text());
  REQUIRE(host.counter("snapshots_applied") == 1);
  REQUIRE(!evs.empty());
  CHECK((evs.front().flags & SH_EVENT_FLAG_SNAPSHOT) != 0);
  CHECK((evs.front().flags & SH_EVENT_FLAG_GAP) == 0);
  L2View view;
  for (const auto& e : evs) view.apply(e);
  // snapshot 1000; diff 990-995 dropped; 996-1003 straddles (bid 87000.00 ->
  // 1.2, ask 87000.10 removed); 1004-1006 adds bid 87000.05; 1007-1010 ask 87000.15.
  CHECK(view.bids[0] == std::make_pair(87000.05, 0.4));
  CHECK(view.bids[1] == std::make_pair(87000.00, 1.2));
  CHECK(view.bids[2] == std::make_pair(86999.90, 2.0));
  CHECK(view.asks[0] == std::make_pair(87000.15, 0.7));
  CHECK(view.asks[1] == std::make_pair(87000.20, 2.5));
  CHECK(host.counter("depth_gaps") == 0);
  const auto targets = server.targets();
  CHECK(std::find(targets.begin(), targets.end(), "/api/v3/depth?symbol=BTCUSDT&limit=1000") !=
        targets.end());
}

TEST_CASE("binance ignores out-of-order diffs and resynchronises after an update-id gap",
          "[binance][live]") {
  TempDir dir;
  BinanceFixtureServer server(dir.path());
  server.add_snapshot("BTCUSDT", fixture_text("snapshot_btcusdt_1000.json"));
  server.add_snapshot("BTCUSDT", fixture_text("snapshot_btcusdt_1029.json"));
  WsScript s;
  append_sends(s, fixture_lines("depth_sync.jsonl"));
  s.push_back(sleep_ms(400));  // the first snapshot is applied meanwhile
  append_sends(s, fixture_lines("depth_out_of_order.jsonl"));
  s.push_back(sleep_ms(200));
  append_sends(s, fixture_lines("depth_gap.jsonl"));
  server.add_session(s);
  PluginLibrary lib(plugin_path("binance"));
  HarnessHost host;
  PluginInstance inst(lib, host, depth_only(server));
  REQUIRE(inst.ok());
  std::vector<sh_market_event> evs;
  pump(inst, evs, [&] { return host.counter("snapshots_applied") == 2; });
  INFO(host.log_text());
  CHECK(host.counter("snapshots_applied") == 2);
  CHECK(host.counter("depth_stale_diffs") == 1);  // U=1008 u=1010 after the book reached 1015
  CHECK(host.counter("depth_gaps") == 1);         // book at 1018, next diff U=1025
  CHECK(host.counter("depth_resyncs") == 1);
  CHECK(host.logs_containing("depth update-id gap") == 1);
  CHECK(server.rest_requests() == 2);
  // Exactly two full books went out; the second is flagged as after a gap.
  std::vector<uint32_t> book_flags;
  for (const auto& e : evs)
    if (e.flags & SH_EVENT_FLAG_SNAPSHOT) book_flags.push_back(e.flags);
  REQUIRE(book_flags.size() == 2);
  CHECK(book_flags[0] == SH_EVENT_FLAG_SNAPSHOT);
  CHECK(book_flags[1] == (SH_EVENT_FLAG_SNAPSHOT | SH_EVENT_FLAG_GAP));
  // Snapshot 1029 plus diffs 1025-1030, 1031-1033 and (after it) 1034-1036.
  pump(inst, evs, [] { return false; }, 300);
  L2View view;
  for (const auto& e : evs) view.apply(e);
  CHECK(view.bids[0] == std::make_pair(87001.00, 1.3));
  CHECK(view.bids[1] == std::make_pair(87000.95, 0.5));
  CHECK(view.bids[2] == std::make_pair(87000.90, 2.1));
  CHECK(view.asks[0] == std::make_pair(87001.20, 1.9));
  CHECK(view.asks.size() == 1);
}

TEST_CASE("binance asks again when the depth snapshot is older than the buffered diffs",
          "[binance][live]") {
  TempDir dir;
  BinanceFixtureServer server(dir.path());
  // The first reply predates diff 996-1003 by more than one update.
  server.add_snapshot("BTCUSDT", "{\"lastUpdateId\":900,\"bids\":[[\"1.0\",\"1.0\"]],\"asks\":[]}");
  server.add_snapshot("BTCUSDT", "{\"code\":-1003,\"msg\":\"Too many requests.\"}", 429);
  server.add_snapshot("BTCUSDT", fixture_text("snapshot_btcusdt_1000.json"));
  WsScript s;
  append_sends(s, fixture_lines("depth_sync.jsonl"));
  server.add_session(s);
  PluginLibrary lib(plugin_path("binance"));
  HarnessHost host;
  PluginInstance inst(lib, host, depth_only(server));
  REQUIRE(inst.ok());
  std::vector<sh_market_event> evs;
  pump(inst, evs, [&] { return host.counter("snapshots_applied") == 1; });
  INFO(host.log_text());
  CHECK(host.counter("snapshots_applied") == 1);
  CHECK(host.counter("snapshot_too_old") == 1);
  CHECK(host.counter("snapshot_failures") == 1);
  CHECK(host.logs_containing("HTTP 429") == 1);
  CHECK(server.rest_requests() == 3);
}
