// [binance][live] Bad input and faults: each is counted and logged, and the
// provider recovers (reconnects) or keeps trying, never stopping the host.
#include <catch2/catch.hpp>

#include "test_binance_support.h"

using namespace sh_test;

TEST_CASE("binance counts malformed frames and unknown messages and carries on", "[binance][live]") {
  TempDir dir;
  BinanceFixtureServer server(dir.path());
  WsScript s;
  append_sends(s, fixture_lines("bad_frames.jsonl"));
  append_sends(s, fixture_lines("reconnect_a.jsonl"));
  server.add_session(s);
  PluginLibrary lib(plugin_path("binance"));
  HarnessHost host;
  auto cfg = binance_config(server, {"BTCUSDT"});
  cfg["stop_after_frames"] = 16;
  PluginInstance inst(lib, host, cfg);
  REQUIRE(inst.ok());
  std::vector<sh_market_event> evs;
  CHECK(pump(inst, evs, nullptr) == SH_END_OF_DATA);
  INFO(host.log_text());
  // not JSON, t not a number, negative price, missing p, truncated, an array, U > u
  CHECK(host.counter("malformed_frames") == 7);
  // a kline stream we did not subscribe to, an object of no known shape
  CHECK(host.counter("unknown_messages") == 2);
  CHECK(host.counter("server_errors") == 1);    // {"code":2,"msg":...}
  CHECK(host.counter("request_results") == 1);  // {"result":null,"id":1}
  CHECK(count_type(evs, SH_EVENT_TRADE) == 5);  // the good frames after them
  CHECK(host.logs_containing("malformed frame skipped") == 7);
  CHECK(host.logs_containing("unknown message skipped") == 2);
  CHECK(host.logs_containing("server refused a request") == 1);
}

TEST_CASE("binance retries with backoff when the server refuses the subscription", "[binance][live]") {
  TempDir dir;
  BinanceFixtureServer server(dir.path());
  server.add_session({refuse("{\"code\":-1121,\"msg\":\"Invalid symbol.\"}")});
  WsScript ok;
  append_sends(ok, fixture_lines("reconnect_a.jsonl"));
  server.add_session(ok);
  PluginLibrary lib(plugin_path("binance"));
  HarnessHost host;
  auto cfg = binance_config(server, {"BTCUSDT"});
  cfg["stop_after_frames"] = 5;
  PluginInstance inst(lib, host, cfg);
  REQUIRE(inst.ok());
  std::vector<sh_market_event> evs;
  CHECK(pump(inst, evs, nullptr) == SH_END_OF_DATA);
  INFO(host.log_text());
  CHECK(host.counter("subscribe_refused") == 1);
  CHECK(host.logs_containing("server declined the subscription: HTTP 400") == 1);
  CHECK(host.logs_containing("Invalid symbol") == 1);
  CHECK(count_type(evs, SH_EVENT_TRADE) == 5);
  CHECK(host.counter("connections") == 1);
}

TEST_CASE("binance reconnects when a server accepts the connection and never speaks", "[binance][live]") {
  TempDir dir;
  BinanceFixtureServer server(dir.path());
  server.add_session({hang()});
  WsScript ok;
  append_sends(ok, fixture_lines("reconnect_a.jsonl"));
  server.add_session(ok);
  PluginLibrary lib(plugin_path("binance"));
  HarnessHost host;
  auto cfg = binance_config(server, {"BTCUSDT"});
  cfg["stale_timeout_ms"] = 300;
  cfg["stop_after_frames"] = 5;
  PluginInstance inst(lib, host, cfg);
  REQUIRE(inst.ok());
  std::vector<sh_market_event> evs;
  CHECK(pump(inst, evs, nullptr) == SH_END_OF_DATA);
  INFO(host.log_text());
  CHECK(host.counter("stale_timeouts") == 1);
  CHECK(host.logs_containing("the stream is stale") == 1);
  CHECK(host.counter("reconnects") == 1);
  CHECK(count_type(evs, SH_EVENT_TRADE) == 5);
}

TEST_CASE("binance counts a TLS failure and keeps retrying", "[binance][live]") {
  TempDir dir;
  TempDir other;
  BinanceFixtureServer server(dir.path());
  make_test_certificate(other.path());  // a CA that did not sign the server's certificate
  PluginLibrary lib(plugin_path("binance"));
  HarnessHost host;
  auto cfg = binance_config(server, {"BTCUSDT"});
  cfg["ca_file"] = (other.path() / "cert.pem").string();
  PluginInstance inst(lib, host, cfg);
  REQUIRE(inst.ok());
  std::vector<sh_market_event> evs;
  const sh_status st = pump(inst, evs, [&] { return host.counter("tls_failures") >= 2; });
  INFO(host.log_text());
  CHECK(st == SH_WOULD_BLOCK);  // alive, not failed: it keeps trying
  CHECK(host.counter("tls_failures") >= 2);
  CHECK(host.logs_containing("certificate") >= 2);
  CHECK(host.counter("connections") == 0);
  CHECK(evs.empty());
}

TEST_CASE("binance recovers from a disconnect in the middle of a frame", "[binance][live]") {
  TempDir dir;
  BinanceFixtureServer server(dir.path());
  WsScript a;
  append_sends(a, fixture_lines("reconnect_a.jsonl"));
  a.push_back(cut_frame());
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
  CHECK(host.counter("disconnects") == 1);
  CHECK(host.counter("reconnects") == 1);
  CHECK(host.counter("malformed_frames") == 0);  // the cut frame never reaches the parser
  CHECK(count_type(evs, SH_EVENT_TRADE) == 8);
}

TEST_CASE("binance marks the loss when its queue overflows and resynchronises the book",
          "[binance][live]") {
  TempDir dir;
  BinanceFixtureServer server(dir.path());
  server.add_snapshot("BTCUSDT", fixture_text("snapshot_btcusdt_1000.json"));
  WsScript s;
  append_sends(s, fixture_lines("depth_sync.jsonl"));
  for (int i = 1; i <= 100; ++i) {
    s.push_back(send("{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1767225601000,"
                     "\"s\":\"BTCUSDT\",\"t\":" + std::to_string(i) +
                     ",\"p\":\"87000.10\",\"q\":\"0.001\",\"T\":1767225601000,\"m\":false,\"M\":true}}"));
  }
  server.add_session(s);
  PluginLibrary lib(plugin_path("binance"));
  HarnessHost host;
  auto cfg = binance_config(server, {"BTCUSDT"});
  cfg["queue_capacity"] = 16;
  PluginInstance inst(lib, host, cfg);
  REQUIRE(inst.ok());
  // The first poll starts the feed; then nobody polls for a while: the I/O
  // thread must drop, not block.
  std::vector<sh_market_event> evs;
  inst.poll(evs, 1000);
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  pump(inst, evs, [&] { return host.counter("queue_gaps") >= 1; }, 5000);
  INFO(host.log_text());
  CHECK(host.counter("queue_overflow_frames") > 0);
  CHECK(host.counter("queue_gaps") >= 1);
  CHECK(host.logs_containing("frames were dropped") >= 1);
}

TEST_CASE("binance reconnects on its own before the connection's age limit", "[binance][live]") {
  TempDir dir;
  BinanceFixtureServer server(dir.path());
  WsScript a;
  append_sends(a, fixture_lines("reconnect_a.jsonl"));
  for (int i = 0; i < 30; ++i) {  // a live stream: data keeps coming, never stale
    a.push_back(sleep_ms(50));
    a.push_back(send("{\"result\":null,\"id\":" + std::to_string(i) + "}"));
  }
  WsScript b;
  append_sends(b, fixture_lines("reconnect_b.jsonl"));
  server.add_session(a);
  server.add_session(b);
  PluginLibrary lib(plugin_path("binance"));
  HarnessHost host;
  auto cfg = binance_config(server, {"BTCUSDT"});
  cfg["max_connection_age_s"] = 1;  // stands in for Binance's 24 h
  PluginInstance inst(lib, host, cfg);
  REQUIRE(inst.ok());
  std::vector<sh_market_event> evs;
  pump(inst, evs, [&] { return count_type(evs, SH_EVENT_TRADE) == 8; });
  INFO(host.log_text());
  CHECK(count_type(evs, SH_EVENT_TRADE) == 8);
  CHECK(host.counter("scheduled_reconnects") == 1);
  CHECK(host.counter("reconnects") == 1);
  CHECK(host.counter("stale_timeouts") == 0);
  CHECK(host.logs_containing("scheduled reconnect") == 1);
}

TEST_CASE("binance holds back connection attempts beyond the rate limit", "[binance][live]") {
  TempDir dir;
  BinanceFixtureServer server(dir.path());
  for (int i = 0; i < 5; ++i) server.add_session({refuse("{\"code\":-1121,\"msg\":\"Invalid symbol.\"}")});
  PluginLibrary lib(plugin_path("binance"));
  HarnessHost host;
  auto cfg = binance_config(server, {"BTCUSDT"});
  cfg["connects_per_5min"] = 2;
  PluginInstance inst(lib, host, cfg);
  REQUIRE(inst.ok());
  std::vector<sh_market_event> evs;
  pump(inst, evs, [&] { return host.counter("rate_limit_waits") >= 1; }, 5000);
  pump(inst, evs, [] { return false; }, 300);
  INFO(host.log_text());
  CHECK(host.counter("rate_limit_waits") == 1);
  CHECK(host.counter("connect_attempts") == 2);
  CHECK(server.ws_connections() == 2);
  CHECK(host.logs_containing("connection rate limit reached") == 1);
}
