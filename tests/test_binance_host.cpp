// [binance][live] The binance provider through the real host binary (dry-run
// and a capture replay), and a recorded live session replayed from its
// capture giving the same events.
#include <catch2/catch.hpp>

#include "test_binance_support.h"
#include "test_host_support.h"

using namespace sh_test;

namespace {

std::string host_config(const std::string& mode, const std::string& provider_config) {
  return "host:\n"
         "  mode: " + mode + "\n"
         "  plugin_dirs: ['" SH_PLUGIN_DIR "']\n"
         "  state_dir: state\n"
         "  output_dir: out\n"
         "providers:\n"
         "  - {name: binance, plugin: binance, config: " + provider_config + "}\n"
         "conveyor: {benchmark: BTCUSDT}\n";
}

}  // namespace

TEST_CASE("binance records a live session and its capture replays to the same events",
          "[binance][live]") {
  TempDir dir;
  BinanceFixtureServer server(dir.path());
  server.add_snapshot("BTCUSDT", fixture_text("snapshot_btcusdt_1000.json"));
  server.add_snapshot("BTCUSDT", fixture_text("snapshot_btcusdt_1029.json"));
  WsScript a;
  append_sends(a, fixture_lines("reconnect_a.jsonl"));
  append_sends(a, fixture_lines("depth_sync.jsonl"));
  a.push_back(sleep_ms(300));
  append_sends(a, fixture_lines("depth_out_of_order.jsonl"));
  a.push_back(drop());
  WsScript b;
  append_sends(b, fixture_lines("reconnect_b.jsonl"));
  append_sends(b, fixture_lines("depth_gap.jsonl"));
  b.push_back(sleep_ms(300));  // the resync snapshot arrives meanwhile
  append_sends(b, fixture_lines("bad_frames.jsonl"));
  server.add_session(a);
  server.add_session(b);
  PluginLibrary lib(plugin_path("binance"));
  const std::string rec = (dir.path() / "rec").string();
  std::vector<sh_market_event> live;
  std::map<std::string, int64_t> live_counters;
  {
    HarnessHost host;
    auto cfg = binance_config(server, {"BTCUSDT"});
    cfg["record"] = rec;
    cfg["record_rotate_frames"] = 8;  // several files
    cfg["stop_after_frames"] = 5 + 4 + 3 + 5 + 3 + 11;
    PluginInstance inst(lib, host, cfg);
    REQUIRE(inst.ok());
    CHECK(pump(inst, live, nullptr) == SH_END_OF_DATA);
    INFO(host.log_text());
    CHECK(host.counter("snapshots_applied") >= 2);
    CHECK(host.counter("trades_duplicate") == 2);
    live_counters = host.counters();
  }
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(rec)) files += e.path().extension() == ".gz";
  CHECK(files >= 3);

  HarnessHost host;
  auto cfg = nlohmann::json{{"symbols", {"BTCUSDT"}}, {"capture", rec}};
  PluginInstance inst(lib, host, cfg);
  REQUIRE(inst.ok());
  std::vector<sh_market_event> replayed;
  CHECK(pump(inst, replayed, nullptr) == SH_END_OF_DATA);
  REQUIRE(replayed.size() == live.size());
  for (size_t i = 0; i < live.size(); ++i) {
    INFO("event " << i);
    CHECK(std::memcmp(&replayed[i], &live[i], sizeof(sh_market_event)) == 0);
  }
  for (const char* c : {"trades_emitted", "trades_duplicate", "l2_events_emitted", "depth_gaps",
                        "malformed_frames", "snapshots_applied"}) {
    INFO(c);
    CHECK(host.counter(c) == live_counters[c]);
  }
}

TEST_CASE("binance runs through the host binary in dry-run until the fixture server closes",
          "[binance][live]") {
  TempDir tmp;
  BinanceFixtureServer server(tmp.path());
  WsScript s;
  append_sends(s, fixture_lines("trades_bbo.jsonl"));
  s.push_back(close_frame());
  server.add_session(s);
  ScratchDir dir("binance_host");
  const std::string provider = "{symbols: [BTCUSDT, ETHUSDT], streams: [trade, bookTicker], ws_url: '" +
                               server.ws_url() + "', rest_url: '" + server.rest_url() +
                               "', ca_file: '" + server.ca_file() +
                               "', stop_after_disconnects: 1, record: rec}";
  write_file(dir / "host.yaml", host_config("dry-run", provider));
  const HostRun r = run_host({"--config", (dir / "host.yaml").string()}, dir.path());
  INFO(r.err);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  const auto summary = nlohmann::json::parse(read_file(dir / "out/run_summary.json"));
  CHECK(summary["events_in"] == 160);
  CHECK(summary["counters"]["binance.trades_emitted"] == 80);
  CHECK(summary["counters"]["binance.quotes_emitted"] == 80);
  CHECK(summary["counters"]["binance.connections"] == 1);
  CHECK(summary["counters"]["binance.disconnects"] == 1);
  // Three minutes and a bit of two symbols' trades: at least three closed.
  CHECK(summary["minutes_closed"].get<int>() >= 3);
  CHECK(summary["snapshot_rows"].get<int>() >= 6);
  CHECK(r.err.find("[binance] connected to 127.0.0.1") != std::string::npos);
  // The rows in LMDB: BTCUSDT's first minute holds its 12 fixture trades.
  const HostRun rows = run_host({"snapshot", "--symbol", "BTCUSDT", "--format", "jsonl", "--config",
                                 (dir / "host.yaml").string()},
                                dir.path());
  INFO(rows.err);
  INFO(rows.out);
  REQUIRE(rows.exit_code == 0);
  const auto row_lines = lines(rows.out);
  REQUIRE(row_lines.size() >= 3);
  const auto first = nlohmann::json::parse(row_lines.at(0));
  CHECK(first["symbol"] == "BTCUSDT");
  CHECK(first["minute"] == "2026-01-01T00:00:00Z");
  CHECK(first["trade_count"] == 12);

  // The recorded capture, replayed by the host: the same rows and digest.
  ScratchDir again("binance_host_replay");
  write_file(again / "host.yaml",
             host_config("dry-run", "{symbols: [BTCUSDT, ETHUSDT], capture: '" + (dir / "rec").string() + "'}"));
  const HostRun r2 = run_host({"--config", (again / "host.yaml").string()}, again.path());
  INFO(r2.err);
  REQUIRE(r2.exit_code == 0);
  const auto summary2 = nlohmann::json::parse(read_file(again / "out/run_summary.json"));
  CHECK(summary2["events_in"] == 160);
  CHECK(summary2["snapshot_rows"] == summary["snapshot_rows"]);
  CHECK(summary2["digest"] == summary["digest"]);
}

TEST_CASE("binance live: a minute closes on the receive clock while the stream is quiet, and the capture replays it",
          "[binance][live][clock]") {
  TempDir tmp;
  BinanceFixtureServer server(tmp.path());
  WsScript s;
  // Minute 0 of two symbols and the first trades of minute 1 (00:01:00.099):
  // on event time minute 0 would wait for 00:01:01.5; the stream then goes
  // quiet for 3 s, so only the receive clock can close it before the end.
  append_sends(s, minute0_frames());
  s.push_back(sleep_ms(3000));
  s.push_back(close_frame());
  server.add_session(s);
  ScratchDir dir("binance_clock");
  const std::string provider = "{symbols: [BTCUSDT, ETHUSDT], streams: [trade, bookTicker], ws_url: '" +
                               server.ws_url() + "', rest_url: '" + server.rest_url() +
                               "', ca_file: '" + server.ca_file() +
                               "', stop_after_disconnects: 1, record: rec}";
  write_file(dir / "host.yaml", host_config("dry-run", provider));
  const HostRun r = run_host({"--config", (dir / "host.yaml").string()}, dir.path());
  INFO(r.err);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  const auto summary = nlohmann::json::parse(read_file(dir / "out/run_summary.json"));
  CHECK(summary["minutes_closed"] == 2);
  CHECK(summary["minutes_closed_on_clock"] == 1);  // minute 1 closed at the end of input
  CHECK(summary["late_events"] == 0);
  // The host clock is eleven months ahead of the fixture's exchange times:
  // said once, and minutes still close on exchange time.
  CHECK(summary["clock_offset_ms"].get<double>() > 1e9);
  CHECK(r.err.find("receive clock: the smallest ingest lag is") != std::string::npos);
  CHECK(r.out.find("(1 on the receive clock)") != std::string::npos);
  // The operator's per-minute line: rows committed this long after the end.
  CHECK(r.err.find("minute 2026-01-01T00:00:00Z committed: 2 rows") != std::string::npos);

  ScratchDir again("binance_clock_replay");
  write_file(again / "host.yaml",
             host_config("dry-run", "{symbols: [BTCUSDT, ETHUSDT], capture: '" + (dir / "rec").string() + "'}"));
  const HostRun r2 = run_host({"--config", (again / "host.yaml").string()}, again.path());
  INFO(r2.err);
  REQUIRE(r2.exit_code == 0);
  const auto summary2 = nlohmann::json::parse(read_file(again / "out/run_summary.json"));
  CHECK(summary2["minutes_closed_on_clock"] == 1);
  CHECK(summary2["snapshot_rows"] == summary["snapshot_rows"]);
  CHECK(summary2["digest"] == summary["digest"]);
}
