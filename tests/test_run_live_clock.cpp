// [run][clock] Live modes close minutes on the providers' receive clock
// through the real host binary: a simulated live feed (synthetic with
// receive_clock) in dry-run gives the same rows as the same stream replayed
// on event time, most minutes closing on the clock; close_on: event_time
// turns it off; a bad close_on is a located error.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "test_host_support.h"

using namespace sh_test;

namespace {

std::string config(const std::string& mode, const std::string& conveyor_extra) {
  return "host:\n"
         "  mode: " + mode + "\n"
         "  plugin_dirs: ['" SH_PLUGIN_DIR "']\n"
         "  state_dir: state\n"
         "  output_dir: out\n"
         "providers:\n"
         "  - name: feed\n"
         "    plugin: synthetic\n"
         "    config: {symbol_count: 20, seed: 11, events_per_second: 200, duration_s: 900,\n"
         "             recv_lag_us: 3000, receive_clock: true}\n"
         "conveyor: {baseline_warmup: 5" + conveyor_extra + "}\n";
}

nlohmann::json run(const std::string& name, const std::string& yaml) {
  ScratchDir dir(name);
  write_file(dir / "host.yaml", yaml);
  const HostRun r = run_host({"--config", (dir / "host.yaml").string()}, dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(read_file(dir / "out/run_summary.json"));
}

std::string stream_digest(const nlohmann::json& summary, const std::string& name) {
  for (const auto& s : summary["streams"])
    if (s["name"] == name) return s["sha256"];
  return "";
}

}  // namespace

TEST_CASE("dry-run on the receive clock gives the replay's rows, closing minutes on the clock",
          "[run][clock]") {
  const auto live = run("live_clock_dry", config("dry-run", ""));
  const auto replay = run("live_clock_replay", config("replay", ""));
  CHECK(live["minutes_closed"] == 15);
  CHECK(live["minutes_closed_on_clock"].get<int>() >= 14);  // the last one at the end of input
  CHECK(live["late_events"] == 0);
  CHECK(replay["minutes_closed_on_clock"] == 0);
  CHECK(live["snapshot_rows"] == replay["snapshot_rows"]);
  const std::string rows = stream_digest(live, "features_snapshot");
  REQUIRE_FALSE(rows.empty());
  CHECK(rows == stream_digest(replay, "features_snapshot"));
  CHECK(live["clock_offset_ms"].get<double>() == Approx(1.5).margin(0.01));  // 0.5 x the mean lag

  const auto off = run("live_clock_off", config("dry-run", ", close_on: event_time"));
  CHECK(off["minutes_closed_on_clock"] == 0);
  CHECK(stream_digest(off, "features_snapshot") == rows);
}

TEST_CASE("a bad conveyor.close_on is refused at its line", "[run][clock]") {
  ScratchDir dir("live_clock_bad");
  write_file(dir / "host.yaml", config("dry-run", ", close_on: wall"));
  const HostRun r = run_host({"--validate-config", "--config", (dir / "host.yaml").string()}, dir.path());
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.err, Catch::Contains("host.yaml:") &&
                        Catch::Contains("close_on must be receive_clock or event_time, not 'wall'"));
}
