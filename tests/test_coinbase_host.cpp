// [coinbase][live] The coinbase provider through the real host binary:
// dry-run against the local server with recording, the capture replayed by
// the host to the same rows and digest, a sequence gap marking the minute
// `dq: gap`, and config/live-coinbase.yaml validated without connecting.
#include <catch2/catch.hpp>

#include "test_coinbase_support.h"
#include "test_host_support.h"

using namespace sh_test;

namespace {

std::string host_config(const std::string& provider_config) {
  return "host:\n"
         "  mode: dry-run\n"
         "  plugin_dirs: ['" SH_PLUGIN_DIR "']\n"
         "  state_dir: state\n"
         "  output_dir: out\n"
         "providers:\n"
         "  - {name: coinbase, plugin: coinbase, config: " + provider_config + "}\n"
         "conveyor: {benchmark: BTC-USD}\n";
}

std::string live_provider(const WsFixtureServer& server, const std::string& extra) {
  return "{symbols: [BTC-USD, ETH-USD], ws_url: '" + server.ws_url() + "', ca_file: '" + server.ca_file() +
         "', stop_after_disconnects: 1, record: rec" + extra + "}";
}

}  // namespace

TEST_CASE("coinbase runs through the host binary in dry-run and its capture replays to the same digest",
          "[coinbase][live]") {
  TempDir tmp;
  WsFixtureServer server(tmp.path());
  WsScript s = coinbase_session(4, {"stream.jsonl"});
  s.push_back(close_frame());
  server.add_session(s);
  ScratchDir dir("coinbase_host");
  write_file(dir / "host.yaml", host_config(live_provider(server, "")));
  const HostRun r = run_host({"--config", (dir / "host.yaml").string()}, dir.path());
  INFO(r.err);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  const auto summary = nlohmann::json::parse(read_file(dir / "out/run_summary.json"));
  CHECK(summary["counters"]["coinbase.trades_emitted"] == 78);
  CHECK(summary["counters"]["coinbase.quotes_emitted"] == 74);
  CHECK(summary["counters"]["coinbase.heartbeats"] == 19);
  CHECK(summary["counters"]["coinbase.connections"] == 1);
  CHECK(summary["counters"]["coinbase.disconnects"] == 1);
  CHECK(summary["counters"]["coinbase.sequence_gaps"] == 0);
  CHECK(summary["minutes_closed"].get<int>() >= 3);
  CHECK(r.err.find("[coinbase] connected to 127.0.0.1") != std::string::npos);
  // The rows in LMDB: BTC-USD's first minute holds the snapshot's 2 trades
  // and 12 updates, one every 5 s.
  const HostRun rows = run_host({"snapshot", "--symbol", "BTC-USD", "--format", "jsonl", "--config",
                                 (dir / "host.yaml").string()},
                                dir.path());
  INFO(rows.out);
  REQUIRE(rows.exit_code == 0);
  const auto row_lines = lines(rows.out);
  REQUIRE(row_lines.size() >= 3);
  const auto first = nlohmann::json::parse(row_lines.at(0));
  CHECK(first["symbol"] == "BTC-USD");
  CHECK(first["minute"] == "2026-01-01T00:00:00Z");
  CHECK(first["trade_count"] == 14);

  ScratchDir again("coinbase_host_replay");
  write_file(again / "host.yaml",
             host_config("{symbols: [BTC-USD, ETH-USD], capture: '" + (dir / "rec").string() + "'}"));
  const HostRun r2 = run_host({"--config", (again / "host.yaml").string()}, again.path());
  INFO(r2.err);
  REQUIRE(r2.exit_code == 0);
  const auto summary2 = nlohmann::json::parse(read_file(again / "out/run_summary.json"));
  CHECK(summary2["events_in"] == summary["events_in"]);
  CHECK(summary2["minutes_closed_on_clock"] == summary["minutes_closed_on_clock"]);
  CHECK(summary2["snapshot_rows"] == summary["snapshot_rows"]);
  CHECK(summary2["digest"] == summary["digest"]);

  // The same session as a binary capture (`host capture convert`): its
  // receive clock comes along, so the dry-run closes the same minutes on it.
  const fs::path shcap = again / "session.shcap";
  const HostRun c = run_host({"capture", "convert", "--config", (again / "host.yaml").string(), "--to", shcap.string()},
                             again.path());
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  CHECK(c.out.find(" 0 clock ticks") == std::string::npos);
  ScratchDir binary("coinbase_host_shcap");
  std::string yaml = host_config("{}");
  yaml.replace(yaml.find("{name: coinbase, plugin: coinbase, config: {}}"),
               std::string("{name: coinbase, plugin: coinbase, config: {}}").size(),
               "{name: session, plugin: capture, config: {file: '" + shcap.string() + "'}}");
  write_file(binary / "host.yaml", yaml);
  const HostRun r3 = run_host({"--config", (binary / "host.yaml").string()}, binary.path());
  INFO(r3.err);
  REQUIRE(r3.exit_code == 0);
  const auto summary3 = nlohmann::json::parse(read_file(binary / "out/run_summary.json"));
  CHECK(summary3["events_in"] == summary["events_in"]);
  CHECK(summary3["minutes_closed_on_clock"] == summary["minutes_closed_on_clock"]);
  CHECK(summary3["minutes_closed_on_clock"].get<int>() > 0);
  CHECK(summary3["digest"] == summary["digest"]);
}

TEST_CASE("coinbase: a sequence gap through the host marks the minute dq gap", "[coinbase][live]") {
  TempDir tmp;
  WsFixtureServer server(tmp.path());
  WsScript s = coinbase_session(4, {"gap.jsonl"});
  s.push_back(await_texts(6));
  append_sends(s, coinbase_lines("gap_resync.jsonl"));
  s.push_back(close_frame());
  server.add_session(s);
  ScratchDir dir("coinbase_host_gap");
  write_file(dir / "host.yaml", host_config(live_provider(server, "")));
  const HostRun r = run_host({"--config", (dir / "host.yaml").string()}, dir.path());
  INFO(r.err);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  const auto summary = nlohmann::json::parse(read_file(dir / "out/run_summary.json"));
  CHECK(summary["counters"]["coinbase.sequence_gaps"] == 1);
  CHECK(summary["counters"]["coinbase.book_resyncs"] == 1);
  CHECK(summary["counters"]["coinbase.snapshot_requests"] == 1);
  CHECK(summary["feed_gaps"].get<int>() >= 1);
  CHECK(r.err.find("sequence gap: expected sequence_num 5, got 8") != std::string::npos);
  const HostRun rows = run_host({"snapshot", "--symbol", "BTC-USD", "--format", "jsonl", "--config",
                                 (dir / "host.yaml").string()},
                                dir.path());
  INFO(rows.out);
  REQUIRE(rows.exit_code == 0);
  REQUIRE(!lines(rows.out).empty());
  CHECK(nlohmann::json::parse(lines(rows.out).at(0))["dq"] == "gap");

  ScratchDir again("coinbase_host_gap_replay");
  write_file(again / "host.yaml",
             host_config("{symbols: [BTC-USD, ETH-USD], capture: '" + (dir / "rec").string() + "'}"));
  const HostRun r2 = run_host({"--config", (again / "host.yaml").string()}, again.path());
  INFO(r2.err);
  REQUIRE(r2.exit_code == 0);
  const auto summary2 = nlohmann::json::parse(read_file(again / "out/run_summary.json"));
  CHECK(summary2["feed_gaps"] == summary["feed_gaps"]);
  CHECK(summary2["digest"] == summary["digest"]);
}

TEST_CASE("config/live-coinbase.yaml validates without connecting anywhere", "[coinbase]") {
  // A copy under a scratch dir's config/, so that its relative paths (rules,
  // state, captures: ../ from the config file's directory) land in the scratch dir.
  ScratchDir dir("coinbase_validate");
  const std::filesystem::path src(SH_SOURCE_DIR);
  std::filesystem::create_directory_symlink(src / "scripts", dir / "scripts");
  std::filesystem::create_directories(dir / "config");
  std::filesystem::copy_file(src / "config/live-coinbase.yaml", dir / "config/live-coinbase.yaml");
  const HostRun r = run_host({"--validate-config", "--config", "config/live-coinbase.yaml",
                              "--plugin-dir", SH_PLUGIN_DIR},
                             dir.path());
  INFO(r.err);
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("connected to") == std::string::npos);
  CHECK(r.err.find("streaming") == std::string::npos);  // the feed starts with the first poll only
}
