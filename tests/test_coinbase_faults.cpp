// [coinbase][live] Bad input and faults: each is counted and logged, and the
// provider recovers (reconnects) or keeps trying, never stopping the host.
#include <catch2/catch.hpp>

#include "test_coinbase_support.h"

using namespace sh_test;

TEST_CASE("coinbase counts malformed frames and unknown messages and carries on", "[coinbase][live]") {
  TempDir dir;
  WsFixtureServer server(dir.path());
  server.add_session(coinbase_session(2, {"bad_frames.jsonl"}));
  PluginLibrary lib(plugin_path("coinbase"));
  HarnessHost host;
  auto cfg = coinbase_config(server, {"BTC-USD"});
  cfg["channels"] = {"market_trades"};
  cfg["stop_after_frames"] = 12;
  PluginInstance inst(lib, host, cfg);
  REQUIRE(inst.ok());
  std::vector<sh_market_event> evs;
  CHECK(pump(inst, evs, nullptr) == SH_END_OF_DATA);
  INFO(host.log_text());
  // not JSON, an array, text after the object, no sequence_num, a negative
  // price, side HOLD, a bad timestamp
  CHECK(host.counter("malformed_frames") == 7);
  CHECK(host.counter("unknown_messages") == 2);  // channel candles, {"foo":"bar"}
  CHECK(host.counter("unknown_products") == 1);  // DOGE-USD, not subscribed
  CHECK(host.counter("sequence_gaps") == 0);
  // five in the last message, one in a message whose keys come in reverse order
  CHECK(count_type(evs, SH_EVENT_TRADE) == 6);
  CHECK(host.logs_containing("malformed frame skipped") == 7);
  CHECK(host.logs_containing("text after the object") == 1);
  CHECK(host.logs_containing("unknown message skipped") == 2);
}

TEST_CASE("coinbase retries with backoff when the server refuses the subscription", "[coinbase][live]") {
  TempDir dir;
  WsFixtureServer server(dir.path());
  server.add_session(coinbase_session(2, {"subscribe_error.jsonl"}));
  server.add_session(coinbase_session(2, {"reconnect_a.jsonl"}));
  PluginLibrary lib(plugin_path("coinbase"));
  HarnessHost host;
  auto cfg = coinbase_config(server, {"BTC-USD"});
  cfg["channels"] = {"market_trades"};
  cfg["stop_after_frames"] = 6;
  PluginInstance inst(lib, host, cfg);
  REQUIRE(inst.ok());
  std::vector<sh_market_event> evs;
  CHECK(pump(inst, evs, nullptr) == SH_END_OF_DATA);
  INFO(host.log_text());
  CHECK(host.counter("subscribe_refused") == 1);
  CHECK(host.counter("server_errors") == 1);
  CHECK(host.logs_containing("server refused the subscription") == 1);
  CHECK(host.logs_containing("failure to subscribe") >= 2);  // the session's end and the decoder's line
  CHECK(host.counter("reconnects") == 1);
  CHECK(count_type(evs, SH_EVENT_TRADE) == 5);
}

TEST_CASE("coinbase reconnects when a server accepts the connection and never speaks", "[coinbase][live]") {
  TempDir dir;
  WsFixtureServer server(dir.path());
  server.add_session({hang()});
  server.add_session(coinbase_session(2, {"reconnect_a.jsonl"}));
  PluginLibrary lib(plugin_path("coinbase"));
  HarnessHost host;
  auto cfg = coinbase_config(server, {"BTC-USD"});
  cfg["channels"] = {"market_trades"};
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

TEST_CASE("coinbase refuses a config with bad product ids or unknown keys", "[coinbase]") {
  PluginLibrary lib(plugin_path("coinbase"));
  CHECK(lib.descriptor().kind == SH_KIND_PROVIDER);
  HarnessHost host;
  {
    PluginInstance inst(lib, host, nlohmann::json::object());
    CHECK(inst.status() == SH_ERR_CONFIG);
    CHECK(inst.last_error().find("symbols") != std::string::npos);
  }
  {
    PluginInstance inst(lib, host, {{"symbols", {"BTCUSD"}}});
    CHECK(inst.status() == SH_ERR_CONFIG);
    CHECK(inst.last_error().find("BTC-USD") != std::string::npos);
  }
  {
    PluginInstance inst(lib, host, {{"symbols", {"BTC-USD"}}, {"channels", {"matches"}}});
    CHECK(inst.status() == SH_ERR_CONFIG);
  }
  {
    PluginInstance inst(lib, host, {{"symbols", {"BTC-USD"}}, {"bogus", 1}});
    CHECK(inst.status() == SH_ERR_CONFIG);
    CHECK(inst.last_error().find("bogus") != std::string::npos);
  }
  {
    PluginInstance inst(lib, host, {{"symbols", {"BTC-USD"}}, {"capture", "/nonexistent/x.cap.gz"}});
    CHECK(inst.status() == SH_ERR_CONFIG);
  }
}
