// [run] The host's main job end to end: the real binary, real plugins
// (dlopen), real LMDB files, the shipped sample session.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "test_host_support.h"

using namespace sh_test;

namespace {

const std::string kSample = std::string(SH_SOURCE_DIR) + "/data/sample";

// A config over the sample session, with everything written under dir.
std::string sample_config(const std::string& mode, const std::string& extra = "") {
  return "host:\n"
         "  mode: " + mode + "\n"
         "  plugin_dirs: ['" SH_PLUGIN_DIR "']\n"
         "  state_dir: state\n"
         "  output_dir: out\n"
         + sh_test::sample_providers_yaml() +
         "conveyor: {benchmark: BTC}\n"
         "detectors:\n"
         "  - {name: return_spike, plugin: return_spike, config: {z_threshold: 4.0}}\n"
         "  - {name: volume_spike, plugin: volume_spike, config: {z_threshold: 4.0}}\n"
         "  - {name: spread_blowout, plugin: spread_blowout, config: {z_threshold: 4.0}}\n"
         "events:\n"
         "  canary: {symbols: [BTC, ETH], classes: [return_spike, volume_spike]}\n" +
         extra;
}

HostRun run_with(const ScratchDir& dir, const std::string& config_text,
                 std::vector<std::string> extra_args = {}) {
  write_file(dir / "host.yaml", config_text);
  std::vector<std::string> args = {"--config", (dir / "host.yaml").string()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  return run_host(args, dir.path());
}

nlohmann::json summary_of(const ScratchDir& dir) {
  return nlohmann::json::parse(read_file(dir / "out/run_summary.json"));
}

// "SYMBOL class" of every event line in a JSONL file, in order.
std::vector<std::string> event_keys(const fs::path& path) {
  std::vector<std::string> keys;
  for (const auto& l : lines(read_file(path))) {
    const auto j = nlohmann::json::parse(l);
    keys.push_back(j["symbol"].get<std::string>() + " " + j["class"].get<std::string>());
  }
  return keys;
}

const std::vector<std::string> kPlanted = {"SOL return_spike", "ETH volume_spike",
                                           "DOGE spread_blowout", "BTC return_spike"};

}  // namespace

TEST_CASE("replay of the sample session finds the four planted spikes", "[run][conveyor]") {
  ScratchDir dir("run_replay");
  const HostRun r = run_with(dir, sample_config("replay"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("events published   4") != std::string::npos);
  CHECK(r.out.find("digest sha256:") != std::string::npos);
  CHECK(event_keys(dir / "out/events.jsonl") == kPlanted);

  const auto s = summary_of(dir);
  // Every data line of the three files (each has a header) is one event.
  size_t data_lines = 0;
  for (const char* f : {"trades.csv", "quotes.csv", "l2.csv"}) {
    data_lines += lines(read_file(kSample + "/" + f)).size() - 1;
  }
  CHECK(s["events_in"].get<uint64_t>() == data_lines);
  CHECK(s["minutes_closed"] == 360);
  CHECK(s["snapshot_rows"] == 360 * 4);
  CHECK(s["dq_rows"]["ok"] == 360 * 4);
  CHECK(s["late_events"] == 0);
}

TEST_CASE("two replays of the same input give the same digest and identical files",
          "[run][conveyor][determinism]") {
  ScratchDir a("run_det_a");
  ScratchDir b("run_det_b");
  REQUIRE(run_with(a, sample_config("replay")).exit_code == 0);
  REQUIRE(run_with(b, sample_config("replay")).exit_code == 0);
  const auto sa = summary_of(a);
  const auto sb = summary_of(b);
  CHECK(sa["digest"] == sb["digest"]);
  CHECK(sa["digest"].get<std::string>().size() == 64);
  CHECK(read_file(a / "out/events.jsonl") == read_file(b / "out/events.jsonl"));
  // A replay into the same dir starts from an empty store: same digest again.
  REQUIRE(run_with(a, sample_config("replay")).exit_code == 0);
  CHECK(summary_of(a)["digest"] == sa["digest"]);
  CHECK(lines(read_file(a / "out/events.jsonl")).size() == 4);
}

TEST_CASE("dry-run logs candidates and publishes nothing", "[run][modes]") {
  ScratchDir dir("run_dry");
  const HostRun r = run_with(dir, sample_config("dry-run"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto s = summary_of(dir);
  CHECK(s["published"] == 0);
  CHECK(s["candidates"] == 4);
  CHECK(s["suppressed"].empty());
  CHECK(!fs::exists(dir / "out/events.jsonl"));
  CHECK(event_keys(dir / "out/candidates.jsonl") == kPlanted);
  CHECK(r.err.find("dry-run: not published") != std::string::npos);
  // Snapshots are still written in dry-run.
  CHECK(s["snapshot_rows"] == 1440);
}

TEST_CASE("shadow publishes to the shadow sink only", "[run][modes]") {
  ScratchDir dir("run_shadow");
  REQUIRE(run_with(dir, sample_config("shadow")).exit_code == 0);
  CHECK(!fs::exists(dir / "out/events.jsonl"));
  CHECK(event_keys(dir / "out/events.shadow.jsonl") == kPlanted);
  CHECK(summary_of(dir)["shadowed"] == 4);
  CHECK(summary_of(dir)["published"] == 0);
}

TEST_CASE("canary publishes only the listed symbols and classes", "[run][modes]") {
  ScratchDir dir("run_canary");
  REQUIRE(run_with(dir, sample_config("canary")).exit_code == 0);
  CHECK(event_keys(dir / "out/events.jsonl") ==
        std::vector<std::string>{"ETH volume_spike", "BTC return_spike"});
  CHECK(event_keys(dir / "out/events.shadow.jsonl") ==
        std::vector<std::string>{"SOL return_spike", "DOGE spread_blowout"});
}

TEST_CASE("production resumes its store: a second pass publishes no duplicates",
          "[run][modes][store]") {
  ScratchDir dir("run_prod");
  REQUIRE(run_with(dir, sample_config("production")).exit_code == 0);
  CHECK(summary_of(dir)["published"] == 4);
  // Same input again: the restored gate sees the same episodes.
  REQUIRE(run_with(dir, sample_config("production")).exit_code == 0);
  const auto s = summary_of(dir);
  CHECK(s["published"] == 0);
  CHECK(s["suppressed"]["debounce"] == 4);
  CHECK(lines(read_file(dir / "out/events.jsonl")).size() == 4);
}

TEST_CASE("gate suppressions are counted by reason", "[run][events]") {
  ScratchDir dir("run_budget");
  // A hair-trigger detector floods; the budget and the episode rules hold it.
  std::string cfg = sample_config("replay");
  cfg.replace(cfg.find("z_threshold: 4.0}}\n  - {name: volume_spike"), 18, "z_threshold: 0.5}}");
  cfg += "  budget_per_hour: 5\n";
  const HostRun r = run_with(dir, cfg);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto s = summary_of(dir);
  CHECK(s["suppressed"]["budget"].get<uint64_t>() > 0);
  CHECK(s["suppressed"]["debounce"].get<uint64_t>() > 0);
  // Budget per class: no rolling hour holds more than 5 events of a class.
  std::map<std::string, std::vector<int64_t>> by_class;
  for (const auto& l : lines(read_file(dir / "out/events.jsonl"))) {
    const auto j = nlohmann::json::parse(l);
    by_class[j["class"]].push_back(j["minute_ts_ns"]);
  }
  for (const auto& [cls, ts] : by_class) {
    for (size_t i = 5; i < ts.size(); ++i) CHECK(ts[i] - ts[i - 5] >= int64_t{3600} * 1000000000);
  }
}

TEST_CASE("host snapshot exports stored rows as CSV and JSONL", "[run][store]") {
  ScratchDir dir("run_snapshot");
  REQUIRE(run_with(dir, sample_config("replay")).exit_code == 0);
  const HostRun csv = run_with(dir, sample_config("replay"),
                               {"snapshot", "--symbol", "SOL", "--from", "2024-01-02T04:08:00Z",
                                "--to", "2024-01-02T04:12:00Z", "--format", "csv"});
  INFO(csv.err);
  REQUIRE(csv.exit_code == 0);
  const auto rows = lines(csv.out);
  REQUIRE(rows.size() == 5);  // header + 4 minutes
  CHECK(rows[0].rfind("minute,minute_ts_ns,symbol,dq,", 0) == 0);
  CHECK(rows[3].rfind("2024-01-02T04:10:00Z,", 0) == 0);
  const HostRun jl = run_with(dir, sample_config("replay"),
                              {"snapshot", "--symbol", "SOL", "--from", "2024-01-02T04:10:00Z",
                               "--to", "2024-01-02T04:11:00Z", "--format", "jsonl"});
  REQUIRE(jl.exit_code == 0);
  const auto j = nlohmann::json::parse(lines(jl.out).at(0));
  CHECK(j["symbol"] == "SOL");
  CHECK(j["dq"] == "ok");
  CHECK(j["z_ret"].get<double>() < -4.0);  // the planted return jump
}

TEST_CASE("a bad conveyor setting is a located config error", "[run][config]") {
  ScratchDir dir("run_badcfg");
  std::string cfg = sample_config("replay");
  cfg.replace(cfg.find("conveyor: {benchmark: BTC}"), 26, "conveyor: {lateness_ms: x}");
  const HostRun r = run_with(dir, cfg);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("host.yaml:") != std::string::npos);
  CHECK(r.err.find("lateness_ms") != std::string::npos);
}

TEST_CASE("a store full at state.max_map_size_mb stops the run with a clear error and keeps every committed minute",
          "[run][store]") {
  ScratchDir dir("run_full");
  const std::string cfg =
      "host:\n"
      "  mode: production\n"
      "  plugin_dirs: ['" SH_PLUGIN_DIR "']\n"
      "  state_dir: state\n"
      "  output_dir: out\n"
      "state: {map_size_mb: 1, max_map_size_mb: 1, durability: process}\n"
      "providers:\n"
      "  - {name: synth, plugin: synthetic, config: {symbol_count: 200, seed: 3,\n"
      "     events_per_second: 400, duration_s: 3600}}\n"
      "detectors:\n"
      "  - {name: return_spike, plugin: return_spike}\n";
  const HostRun r = run_with(dir, cfg);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("map full writing minute") != std::string::npos);
  CHECK(r.err.find("the map is at state.max_map_size_mb (1 MB)") != std::string::npos);
  const auto s = summary_of(dir);
  const uint64_t committed = s["minutes_closed"];
  CHECK(committed > 0);
  CHECK(committed < 60);
  // The store still opens and holds exactly the committed minutes.
  const HostRun exp = run_with(dir, cfg, {"snapshot", "--symbol", "SYM0001", "--format", "csv"});
  INFO(exp.err);
  REQUIRE(exp.exit_code == 0);
  CHECK(lines(exp.out).size() == committed + 1);
}

TEST_CASE("host --validate-config checks the conveyor, events and control sections too",
          "[run][config]") {
  ScratchDir dir("run_validate");
  std::string cfg = sample_config("replay");
  cfg.replace(cfg.find("conveyor: {benchmark: BTC}"), 26, "conveyor: {late_policy: sometimes}");
  cfg += "  debounce_msec: 5\ncontrol: {channel: 7, bogus: 1}\n";
  const HostRun r = run_with(dir, cfg, {"--validate-config"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("late_policy must be fold or report") != std::string::npos);
  CHECK(r.err.find("host.yaml:") != std::string::npos);
  CHECK(r.err.find("bogus") != std::string::npos);
  const HostRun ok = run_with(dir, sample_config("replay"), {"--validate-config"});
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out == "config OK: 4 components\n");
}

namespace {

// The default config (conveyor, detectors, the decision layer with experts,
// consensus, risk chain and paper venue, events, alerts) as is and with
// `from` replaced by `to` (empty `from`: `to` appended): the same digest,
// feed files and stored rows.
void check_same_main_job(const std::string& name, const std::string& from, const std::string& to) {
  ScratchDir one(name + "_a");
  ScratchDir two(name + "_b");
  const std::string cfg1 = default_config_in(one.path());
  std::string cfg2 = default_config_in(two.path());
  if (from.empty()) {
    cfg2 += to;
  } else {
    const size_t at = cfg2.find(from);
    REQUIRE(at != std::string::npos);
    cfg2.replace(at, from.size(), to);
  }
  const HostRun r1 = run_with(one, cfg1);
  const HostRun r2 = run_with(two, cfg2);
  INFO(r1.err << r2.err);
  REQUIRE(r1.exit_code == 0);
  REQUIRE(r2.exit_code == 0);
  const auto s1 = summary_of(one);
  CHECK(s1["minutes_closed"] == 360);
  CHECK(summary_of(two)["minutes_closed"] == 360);
  CHECK(summary_of(two)["digest"] == s1["digest"]);
  for (const char* f : {"events.jsonl", "decisions.jsonl", "orders.jsonl", "trades.csv", "alerts.jsonl"}) {
    INFO(f);
    const std::string text = read_file(one / "out" / f);
    CHECK(!text.empty());
    CHECK(read_file(two / "out" / f) == text);
  }
  // The stored rows too.
  const HostRun snap1 = run_host({"snapshot", "--config", "host.yaml", "--symbol", "ETH", "--format", "csv"}, one.path());
  const HostRun snap2 = run_host({"snapshot", "--config", "host.yaml", "--symbol", "ETH", "--format", "csv"}, two.path());
  REQUIRE(snap1.exit_code == 0);
  CHECK(lines(snap1.out).size() > 300);
  CHECK(snap2.out == snap1.out);
}

}  // namespace

TEST_CASE("conveyor.shards: the main job's files and digest are the same with 1 and 3 shards",
          "[run][conveyor][shards][determinism]") {
  check_same_main_job("run_shards", "conveyor:\n", "conveyor:\n  shards: 3\n");
}

TEST_CASE("state.commit_thread: the main job's files, store and digest are the same with the commit on the pipeline thread",
          "[run][store][writer][determinism]") {
  // The default commits on the minute writer's thread.
  check_same_main_job("run_commit_thread", "", "state:\n  commit_thread: false\n");
  ScratchDir dir("run_commit_thread_bad");
  const std::string cfg = default_config_in(dir.path()) + "state:\n  commit_thread: maybe\n";
  const HostRun r = run_with(dir, cfg);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("host.yaml:") != std::string::npos);
  CHECK(r.err.find("commit_thread") != std::string::npos);
}

TEST_CASE("conveyor.shards outside 1..64 is a located config error", "[run][config][shards]") {
  ScratchDir dir("run_shards_bad");
  std::string cfg = sample_config("replay");
  cfg.replace(cfg.find("conveyor: {benchmark: BTC}"), 26, "conveyor: {benchmark: BTC, shards: 0}");
  const HostRun r = run_with(dir, cfg);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("host.yaml:") != std::string::npos);
  CHECK(r.err.find("conveyor.shards must be in 1..64") != std::string::npos);
}
