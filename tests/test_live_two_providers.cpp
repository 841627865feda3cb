// [live][clock] Two live providers, one of them down for the whole run: the
// host keeps closing minutes on the receive clock from the one that serves
// (the down provider's clock keeps advancing: nothing it received is
// pending), and the down one's connection failures are logged and counted.
// The real host binary, a local TLS fixture server for Binance, and a
// Coinbase provider pointed at a port nobody listens on.
#include <catch2/catch.hpp>

#include "support/free_port.h"
#include "test_binance_support.h"
#include "test_swap_e2e_support.h"

using namespace sh_test;

TEST_CASE("live: with one of two providers down, minutes still close on the receive clock",
          "[binance][coinbase][live][clock]") {
  TempDir tmp;
  BinanceFixtureServer server(tmp.path());
  WsScript s;
  // Minute 0 of two symbols and the first trades of minute 1, then a quiet
  // stream that stays open: only the receive clock closes minute 0.
  append_sends(s, minute0_frames());
  s.push_back(sleep_ms(5000));  // longer than the test needs; the server waits it out at the end
  server.add_session(s);

  ScratchDir dir("live_two_providers");
  write_file(dir / "host.yaml",
             "host:\n"
             "  mode: dry-run\n"
             "  plugin_dirs: ['" SH_PLUGIN_DIR "']\n"
             "  state_dir: state\n"
             "  output_dir: out\n"
             "providers:\n"
             "  - name: binance\n"
             "    plugin: binance\n"
             "    config: {symbols: [BTCUSDT, ETHUSDT], streams: [trade, bookTicker], ws_url: '" +
                 server.ws_url() + "', rest_url: '" + server.rest_url() + "', ca_file: '" +
                 server.ca_file() + "'}\n"
             "  - name: coinbase\n"
             "    plugin: coinbase\n"
             "    config: {symbols: [BTC-USD], ws_url: 'wss://127.0.0.1:" + std::to_string(sh_test::free_tcp_port()) +
                 "', reconnect: {initial_ms: 50, max_ms: 200, multiplier: 2.0, jitter: 0.1}}\n"
             "conveyor: {benchmark: BTCUSDT}\n");

  e2e::BackgroundHost host({"run", "--config", "host.yaml"}, dir.path());
  const bool closed = e2e::eventually(
      [&] {
        return host.err().find("minute 2026-01-01T00:00:00Z committed: 2 rows") != std::string::npos ||
               !host.running();
      },
      15000);
  INFO("host stderr:\n" << host.err());
  REQUIRE(closed);
  REQUIRE(host.running());
  CHECK(host.err().find("[coinbase]") != std::string::npos);
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(host.signal_and_wait(SIGTERM, 15000) == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));  // SIGTERM ends it promptly
  const auto summary = nlohmann::json::parse(read_file(dir / "out/run_summary.json"));
  INFO(summary.dump());
  CHECK(summary["minutes_closed_on_clock"].get<uint64_t>() >= 1);
  CHECK(summary["counters"]["coinbase.connect_failures"].get<uint64_t>() >= 1);
  CHECK(summary["counters"]["binance.connections"] == 1);
}
