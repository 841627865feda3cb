// [binance][live] The binance provider against a local TLS WebSocket + REST
// server playing fixture frames in Binance's documented format
// (tests/data/binance/): trades, BBO, reconnects and de-duplication, pings.
#include <catch2/catch.hpp>

#include <set>

#include "test_binance_support.h"

using namespace sh_test;

TEST_CASE("binance streams trades and BBO from the combined stream over TLS", "[binance][live]") {
  TempDir dir;
  BinanceFixtureServer server(dir.path());
  WsScript s;
  append_sends(s, fixture_lines("trades_bbo.jsonl"));
  server.add_session(s);
  PluginLibrary lib(plugin_path("binance"));
  HarnessHost host;
  auto cfg = binance_config(server);
  cfg["stop_after_frames"] = 160;
  PluginInstance inst(lib, host, cfg);
  REQUIRE(inst.ok());
  std::vector<sh_market_event> evs;
  const sh_status st = pump(inst, evs, nullptr);
  INFO(host.log_text());
  CHECK(st == SH_END_OF_DATA);
  CHECK(count_type(evs, SH_EVENT_TRADE) == 80);
  CHECK(count_type(evs, SH_EVENT_QUOTE) == 80);
  REQUIRE(!evs.empty());
  // First frame: BTCUSDT trade 5000001 at E=1767225600100 ms, "m": true.
  const sh_market_event& t = evs.front();
  CHECK(t.type == SH_EVENT_TRADE);
  CHECK(host.symbol_name(t.symbol) == "BTCUSDT");
  CHECK(t.data.trade.trade_id == 5000001u);
  CHECK(t.ts_ns == 1767225600100LL * 1000000);
  CHECK(t.recv_ts_ns > t.ts_ns);
  CHECK(t.data.trade.side == SH_SIDE_SELL);  // buyer is the maker: the seller hit
  CHECK(t.data.trade.price == Approx(87000.0 * (1 - 0.0002)).epsilon(1e-9));
  const sh_market_event& q = evs[1];
  CHECK(q.type == SH_EVENT_QUOTE);
  CHECK(q.data.quote.bid < q.data.quote.ask);
  CHECK(q.data.quote.bid_size == Approx(1.0));
  // Per symbol, event times never go backwards.
  std::map<sh_symbol_id, int64_t> last;
  for (const auto& e : evs) {
    CHECK(e.ts_ns >= last[e.symbol]);
    last[e.symbol] = e.ts_ns;
  }
  const auto targets = server.targets();
  REQUIRE(targets.size() == 1);
  CHECK(targets[0] ==
        "/stream?streams=btcusdt@trade/btcusdt@bookTicker/btcusdt@depth@100ms/"
        "ethusdt@trade/ethusdt@bookTicker/ethusdt@depth@100ms");
  CHECK(host.counter("connections") == 1);
  CHECK(host.counter("frames_decoded") == 160);
  CHECK(host.counter("trades_emitted") == 80);
  CHECK(host.logs_containing("connected to 127.0.0.1") == 1);
}

TEST_CASE("binance de-duplicates trades by id across a reconnect", "[binance][live]") {
  TempDir dir;
  BinanceFixtureServer server(dir.path());
  WsScript a;
  append_sends(a, fixture_lines("reconnect_a.jsonl"));
  a.push_back(drop());
  WsScript b;
  append_sends(b, fixture_lines("reconnect_b.jsonl"));
  server.add_session(a);
  server.add_session(b);
  PluginLibrary lib(plugin_path("binance"));
  HarnessHost host;
  auto cfg = binance_config(server, {"BTCUSDT"});
  cfg["stop_after_frames"] = 10;
  PluginInstance inst(lib, host, cfg);
  REQUIRE(inst.ok());
  std::vector<sh_market_event> evs;
  CHECK(pump(inst, evs, nullptr) == SH_END_OF_DATA);
  INFO(host.log_text());
  std::vector<uint64_t> ids;
  for (const auto& e : evs)
    if (e.type == SH_EVENT_TRADE) ids.push_back(e.data.trade.trade_id);
  CHECK(ids == std::vector<uint64_t>{9000001, 9000002, 9000003, 9000004, 9000005, 9000006,
                                     9000007, 9000008});
  CHECK(host.counter("trades_duplicate") == 2);
  CHECK(host.counter("disconnects") == 1);
  CHECK(host.counter("reconnects") == 1);
  CHECK(server.ws_connections() == 2);
  CHECK(host.logs_containing("session ended (closed_by_server)") == 1);
  CHECK(host.logs_containing("reconnecting in") >= 1);
}

TEST_CASE("binance answers a ping with a pong carrying its payload", "[binance][live]") {
  TempDir dir;
  BinanceFixtureServer server(dir.path());
  WsScript s{ping("ping-20s")};
  append_sends(s, fixture_lines("reconnect_a.jsonl"));
  server.add_session(s);
  PluginLibrary lib(plugin_path("binance"));
  HarnessHost host;
  PluginInstance inst(lib, host, binance_config(server, {"BTCUSDT"}));
  REQUIRE(inst.ok());
  std::vector<sh_market_event> evs;
  pump(inst, evs, [&] { return !server.pongs().empty() && evs.size() >= 5; });
  CHECK(server.pongs() == std::vector<std::string>{"ping-20s"});
  CHECK(count_type(evs, SH_EVENT_TRADE) == 5);
  pump(inst, evs, [&] { return host.counter("pings_answered") == 1; }, 2000);
  CHECK(host.counter("pings_answered") == 1);
}

TEST_CASE("binance treats serverShutdown and a close frame as a normal reconnect", "[binance][live]") {
  TempDir dir;
  BinanceFixtureServer server(dir.path());
  WsScript a;
  append_sends(a, fixture_lines("reconnect_a.jsonl"));
  append_sends(a, fixture_lines("server_shutdown.jsonl"));
  a.push_back(close_frame());
  WsScript b;
  append_sends(b, fixture_lines("reconnect_b.jsonl"));
  server.add_session(a);
  server.add_session(b);
  PluginLibrary lib(plugin_path("binance"));
  HarnessHost host;
  auto cfg = binance_config(server, {"BTCUSDT"});
  cfg["stop_after_frames"] = 11;
  PluginInstance inst(lib, host, cfg);
  REQUIRE(inst.ok());
  std::vector<sh_market_event> evs;
  CHECK(pump(inst, evs, nullptr) == SH_END_OF_DATA);
  INFO(host.log_text());
  CHECK(count_type(evs, SH_EVENT_TRADE) == 8);
  CHECK(host.counter("server_shutdown_notices") == 1);
  CHECK(host.counter("reconnects") == 1);
  CHECK(host.logs_containing("close frame (code 1000") == 1);
  CHECK(host.logs_containing("server announced a shutdown") == 1);
}

TEST_CASE("binance absorbs a burst of 10,000 messages in well under a second", "[binance][live]") {
  TempDir dir;
  BinanceFixtureServer server(dir.path());
  WsScript s;
  for (int i = 1; i <= 10000; ++i) {
    s.push_back(send("{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":" +
                     std::to_string(1767225600000LL + i / 10) +
                     ",\"s\":\"BTCUSDT\",\"t\":" + std::to_string(i) +
                     ",\"p\":\"87000.10\",\"q\":\"0.001\",\"T\":1767225600000,\"m\":false,\"M\":true}}"));
  }
  server.add_session(s);
  PluginLibrary lib(plugin_path("binance"));
  HarnessHost host;
  auto cfg = binance_config(server, {"BTCUSDT"});
  cfg["stop_after_frames"] = 10000;
  PluginInstance inst(lib, host, cfg);
  REQUIRE(inst.ok());
  std::vector<sh_market_event> evs;
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(pump(inst, evs, nullptr) == SH_END_OF_DATA);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO(host.log_text());
  CHECK(count_type(evs, SH_EVENT_TRADE) == 10000);
  CHECK(evs.back().data.trade.trade_id == 10000u);
  CHECK(host.counter("queue_overflow_frames") == 0);
  CHECK(host.counter("trades_duplicate") == 0);
  CHECK(secs < 5.0);  // generous: the machine is shared; typically ~0.1 s
}
