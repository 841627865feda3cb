// [reload] Hot swaps on the pipeline: prepared off the hot path by the
// SwapCoordinator, applied between two input events, journalled in LMDB,
// reproduced by a replay of the journal, and refused without harm.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <set>

#include "control/swap_journal.h"
#include "store/state_store.h"
#include "test_swap_support.h"

using namespace sh_test;
using nlohmann::json;

namespace {

const std::string kDetectors =
    "  - {name: spike, plugin: return_spike, config: {z_threshold: 4.0}}\n"
    "  - {name: tagger, lua: rules/tagger.lua, params: {score: 60}}\n";

void write_rules(const ScratchDir& dir) {
  write_file(dir / "rules/tagger.lua", tagging_rule("v1"));
  write_file(dir / "rules/tagger_v2.lua", tagging_rule("v2"));
  write_file(dir / "rules/broken.lua", "function detect(row, ctx)\n  return 1 +\nend\n");
}

std::vector<json> events_of(const fs::path& path) {
  std::vector<json> out;
  for (const auto& l : lines(read_file(path))) out.push_back(json::parse(l));
  return out;
}

std::vector<sh::host::ConfigVersion> read_store(const fs::path& state_dir, bool journal,
                                                const std::string& component = "") {
  sh::host::StateStoreOptions so;
  so.dir = state_dir.string();
  so.read_only = true;
  std::unique_ptr<sh::host::StateStore> store;
  const auto opened = sh::host::StateStore::open(so, &store);
  INFO(opened.message());
  REQUIRE(opened.ok());
  sh::host::StateTxn txn;
  REQUIRE(store->begin_read(&txn).ok());
  std::vector<sh::host::ConfigVersion> out;
  const auto st = journal ? sh::host::list_swap_journal(txn, &out)
                          : sh::host::list_config_versions(txn, component, &out);
  REQUIRE(st.ok());
  return out;
}

// The detector_version an event of `component` carries at config version v.
std::string expected_version(const std::string& base, uint64_t v) {
  return v > 1 ? base + "+cfg" + std::to_string(v) : base;
}

}  // namespace

TEST_CASE("swaps during a paced run are journalled and a replay of the journal reproduces them",
          "[reload][run]") {
  ScratchDir dir("swap_journal");
  write_rules(dir);
  write_file(dir / "params/spike_low.yaml", "z_threshold: 2.5\n");
  write_file(dir / "params/good.yaml", "threshold: 3.0\n");
  write_file(dir / "params/tagger_score.json", "{\"score\": 75}\n");
  write_file(dir / "host.yaml", swap_config(kDetectors));

  std::string digest_a;
  std::map<int64_t, std::map<std::string, uint64_t>> live;
  {
    SwapRun run(dir / "host.yaml", true, {"spike", "tagger"});
    INFO(run.open_status.message());
    REQUIRE(run.errors.empty());
    REQUIRE(run.open_status.ok());
    run.start();
    struct Step {
      size_t minutes;
      sh::host::ReloadRequest request;
    };
    std::vector<Step> steps;
    auto r = [&](const char* c) { return run.request(c); };
    auto params = r("spike");
    params.config_path = "params/spike_low.yaml";
    steps.push_back({20, params});
    auto rule = r("tagger");
    rule.rule_path = "rules/tagger_v2.lua";
    rule.version = "tagger-v2";
    steps.push_back({20, rule});
    auto binary = r("spike");
    binary.plugin_path = test_plugin("good_detector").string();
    binary.config_path = "params/good.yaml";
    steps.push_back({20, binary});
    auto rollback = r("spike");
    rollback.rollback_to = 1;
    steps.push_back({20, rollback});
    auto lua_params = r("tagger");
    lua_params.config_path = "params/tagger_score.json";
    steps.push_back({20, lua_params});

    size_t n = 0;
    for (const Step& s : steps) {
      REQUIRE(run.probe->step(s.minutes));
      CHECK(run.coordinator->submit(s.request) == "");
      // Let minutes through until the swap was applied between two of them.
      REQUIRE(run.step_until_outcomes(++n));
      const auto o = run.outcomes.last();
      INFO(o.reason);
      CHECK(o.applied);
    }
    run.finish();
    REQUIRE(run.run_status.ok());
    digest_a = run.pipeline->summary().digest;
    CHECK(run.pipeline->summary().swaps_applied == 5);
    live = run.probe->by_minute();

    const auto outcomes = run.outcomes.all();
    REQUIRE(outcomes.size() == 5);
    CHECK(outcomes[0].config_version == 2);
    CHECK(outcomes[1].config_version == 2);
    CHECK(outcomes[2].config_version == 3);
    CHECK(outcomes[3].config_version == 4);
    CHECK(outcomes[4].config_version == 3);
    for (size_t i = 1; i < outcomes.size(); ++i) {
      CHECK(outcomes[i].effective_seq > outcomes[i - 1].effective_seq);
    }
    run.close();
    // The rollback restores version 1's content.
    const auto spike = read_store(dir / "state", false, "spike");
    REQUIRE(spike.size() == 4);
    CHECK(spike[0].swap == sh::host::SwapKind::kStartup);
    CHECK(spike[1].swap == sh::host::SwapKind::kSetConfig);
    CHECK(spike[2].swap == sh::host::SwapKind::kInstance);
    CHECK(spike[2].library_version == "1.2.3");
    CHECK(spike[3].content_hash == spike[0].content_hash);
    CHECK(spike[3].label == "rollback to 1");
    CHECK(outcomes[3].content_hash == spike[0].content_hash);
  }

  // Every event names the version that served its minute.
  const auto events = events_of(dir / "out/events.jsonl");
  std::set<std::string> seen_versions;
  size_t spike_events = 0, tagger_events = 0;
  for (const auto& e : events) {
    const int64_t minute = e["minute_ts_ns"];
    REQUIRE(live.count(minute));
    const std::string detector = e["detector"];
    const uint64_t v = live[minute][detector];
    const std::string dv = e["detector_version"];
    seen_versions.insert(detector + " " + dv);
    if (detector == "tagger") {
      ++tagger_events;
      CHECK_THAT(dv, Catch::StartsWith("lua:"));
      CHECK_THAT(dv, Catch::EndsWith(v > 1 ? "+cfg" + std::to_string(v) : dv.substr(4)));
      CHECK(e["class"] == (v >= 2 ? "v2" : "v1"));
      if (v == 3) CHECK(e["score"] == 75);
    } else {
      ++spike_events;
      const std::string base = v == 3 ? "1.2.3" : dv.substr(0, dv.find('+'));
      CHECK(dv == expected_version(base, v));
    }
  }
  CHECK(tagger_events > 0);
  CHECK(spike_events > 0);
  CHECK(seen_versions.size() >= 3);

  // The journal in the store: five swaps, in the order they took effect.
  const auto journal = read_store(dir / "state", true);
  REQUIRE(journal.size() == 5);
  CHECK(journal[1].rule_source == tagging_rule("v2"));
  CHECK(journal[1].label == "tagger-v2");

  // Replay with the journal (in process): the same digest, with provider
  // batches 20 times larger than the recorded run's.
  write_file(dir / "replay.yaml", swap_config(kDetectors, "state_replay", 4096));
  {
    std::vector<sh::host::ConfigVersion> entries;
    REQUIRE(sh::host::load_swap_journal_from_store(dir / "state", &entries).ok());
    REQUIRE(entries.size() == 5);
    SwapRun replay(dir / "replay.yaml", false);
    REQUIRE(replay.open_status.ok());
    const auto st = replay.coordinator->schedule_journal(entries);
    INFO(st.message());
    REQUIRE(st.ok());
    replay.start();
    replay.finish();
    REQUIRE(replay.run_status.ok());
    CHECK(replay.pipeline->summary().swaps_applied == 5);
    CHECK(replay.pipeline->summary().digest == digest_a);
    replay.close();
    const auto again = read_store(dir / "state_replay", true);
    REQUIRE(again.size() == 5);
    for (size_t i = 0; i < again.size(); ++i) {
      CHECK(again[i].effective_seq == journal[i].effective_seq);
      CHECK(again[i].version == journal[i].version);
      CHECK(again[i].content_hash == journal[i].content_hash);
      CHECK(again[i].origin == "journal");
    }
  }
  // Without the journal: another session, another digest.
  {
    SwapRun plain(dir / "replay.yaml", false);
    REQUIRE(plain.open_status.ok());
    plain.start();
    plain.finish();
    REQUIRE(plain.run_status.ok());
    CHECK(plain.pipeline->summary().digest != digest_a);
  }

  // The same through the binary: history, journal export, replay from it.
  const HostRun history = run_host({"config", "history", "--config", (dir / "host.yaml").string()},
                                   dir.path());
  INFO(history.err);
  REQUIRE(history.exit_code == 0);
  CHECK_THAT(history.out, Catch::StartsWith("COMPONENT"));
  CHECK(history.out.find("rollback to 1") != std::string::npos);
  CHECK(lines(history.out).size() == 1 + 4 + 3 + 1);  // header, spike x4, tagger x3, sample
  const HostRun spike_json = run_host({"config", "history", "--component", "spike", "--format",
                                       "json", "--config", (dir / "host.yaml").string()},
                                      dir.path());
  REQUIRE(spike_json.exit_code == 0);
  const auto rows = lines(spike_json.out);
  REQUIRE(rows.size() == 4);
  CHECK(json::parse(rows[1])["swap"] == "set_config");
  CHECK(json::parse(rows[1])["config"] == json({{"z_threshold", 2.5}}));
  const HostRun exported =
      run_host({"config", "journal", "--config", (dir / "host.yaml").string()}, dir.path());
  REQUIRE(exported.exit_code == 0);
  CHECK(lines(exported.out).size() == 5);
  write_file(dir / "journal.jsonl", exported.out);
  const HostRun replayed = run_host({"run", "--config", (dir / "replay.yaml").string(),
                                     "--swap-journal", (dir / "journal.jsonl").string()},
                                    dir.path());
  INFO(replayed.err);
  REQUIRE(replayed.exit_code == 0);
  CHECK(replayed.out.find("digest sha256:" + digest_a) != std::string::npos);
  CHECK(replayed.out.find("config swaps       applied 5, refused 0") != std::string::npos);
  CHECK(replayed.err.find("Configuration reloaded: spike version 2") != std::string::npos);
  // --swap-journal-from reads the store directly.
  const HostRun from_store =
      run_host({"run", "--config", (dir / "replay.yaml").string(), "--swap-journal-from",
                (dir / "state").string()},
               dir.path());
  REQUIRE(from_store.exit_code == 0);
  CHECK(from_store.out.find("digest sha256:" + digest_a) != std::string::npos);
}

TEST_CASE("100 parameter swaps during a paced replay lose no event", "[reload][run]") {
  ScratchDir dir("swap_many");
  write_rules(dir);
  write_file(dir / "params/a.yaml", "z_threshold: 2.0\n");
  write_file(dir / "params/b.yaml", "z_threshold: 3.0\n");
  write_file(dir / "host.yaml", swap_config(kDetectors));
  write_file(dir / "plain.yaml", swap_config(kDetectors, "state_plain"));

  sh::host::RunSummary baseline;
  {
    SwapRun plain(dir / "plain.yaml", false);
    REQUIRE(plain.open_status.ok());
    plain.start();
    plain.finish();
    REQUIRE(plain.run_status.ok());
    baseline = plain.pipeline->summary();
  }
  // Every data line of the sample (one header per file) is one input event.
  const size_t input_lines = lines(read_file(sample_dir() + "/trades.csv")).size() +
                             lines(read_file(sample_dir() + "/quotes.csv")).size() +
                             lines(read_file(sample_dir() + "/l2.csv")).size() - 3;
  CHECK(baseline.events_in == input_lines);

  SwapRun run(dir / "host.yaml", true, {"spike"});
  REQUIRE(run.open_status.ok());
  run.start();
  const int kSwaps = 100;
  for (int i = 0; i < kSwaps; ++i) {
    auto r = run.request("spike");
    r.config_path = i % 2 == 0 ? "params/a.yaml" : "params/b.yaml";
    CHECK(run.coordinator->submit(r) == "");
    if (i % 2 == 1) REQUIRE(run.probe->step(2));
  }
  run.finish();
  REQUIRE(run.run_status.ok());
  const sh::host::RunSummary s = run.pipeline->summary();
  CHECK(s.swaps_applied == kSwaps);
  CHECK(s.swaps_refused == 0);
  CHECK(s.events_in == input_lines);
  CHECK(s.events_in == baseline.events_in);
  CHECK(s.minutes_closed == baseline.minutes_closed);
  CHECK(s.snapshot_rows == baseline.snapshot_rows);
  CHECK(s.rejected_events == baseline.rejected_events);

  const auto outcomes = run.outcomes.all();
  REQUIRE(outcomes.size() == static_cast<size_t>(kSwaps));
  for (size_t i = 0; i < outcomes.size(); ++i) {
    CHECK(outcomes[i].applied);
    CHECK(outcomes[i].config_version == i + 2);
    if (i > 0) CHECK(outcomes[i].effective_seq >= outcomes[i - 1].effective_seq);
  }
  const auto live = run.probe->by_minute();
  const auto events = events_of(dir / "out/events.jsonl");
  size_t spike_events = 0;
  for (const auto& e : events) {
    if (e["detector"] != "spike") continue;
    ++spike_events;
    const int64_t minute = e["minute_ts_ns"];
    REQUIRE(live.count(minute));
    const std::string dv = e["detector_version"];
    CHECK(dv == expected_version(dv.substr(0, dv.find('+')), live.at(minute).at("spike")));
  }
  CHECK(spike_events > 0);
  run.close();
  CHECK(read_store(dir / "state", false, "spike").size() == kSwaps + 1);
  CHECK(read_store(dir / "state", true).size() == static_cast<size_t>(kSwaps));
}

TEST_CASE("a refused swap leaves the serving version in place and says why", "[reload]") {
  ScratchDir dir("swap_refused");
  write_rules(dir);
  write_file(dir / "params/bad.yaml", "z_threshold: high\n");
  write_file(dir / "params/unknown_key.yaml", "z_threshold: 3.0\nbogus: 1\n");
  write_file(dir / "params/good.yaml", "threshold: 3.0\n");
  write_file(dir / "params/too_high.yaml", "threshold: 5000\n");
  write_file(dir / "host.yaml", swap_config(kDetectors));
  SwapRun run(dir / "host.yaml", true, {"spike", "tagger"});
  REQUIRE(run.open_status.ok());
  run.start();
  REQUIRE(run.probe->step(3));

  auto refused = [&](sh::host::ReloadRequest r) {
    const size_t before = run.outcomes.size();
    const std::string why = run.coordinator->submit(r);
    REQUIRE(run.outcomes.wait_for_count(before + 1));
    const auto o = run.outcomes.last();
    CHECK_FALSE(o.applied);
    CHECK(o.reason == why);
    CHECK(o.config_version == 0);
    return why;
  };
  auto r = [&](const char* c) { return run.request(c); };

  auto schema = r("spike");
  schema.config_path = "params/bad.yaml";
  CHECK_THAT(refused(schema), Catch::Contains("config.z_threshold") && Catch::Contains("spike"));
  auto extra = r("spike");
  extra.config_path = "params/unknown_key.yaml";
  CHECK_THAT(refused(extra), Catch::Contains("bogus"));
  auto abi = r("spike");
  abi.plugin_path = test_plugin("abi_major_2").string();
  CHECK_THAT(refused(abi), Catch::Contains("incompatible: plugin ABI 2."));
  auto create = r("spike");
  create.plugin_path = test_plugin("create_fails").string();
  create.config_path = "params/good.yaml";
  CHECK_THAT(refused(create), Catch::Contains("create failed: threshold too high"));
  auto lua = r("tagger");
  lua.rule_path = "rules/broken.lua";
  CHECK_THAT(refused(lua), Catch::Contains((dir / "rules/broken.lua").string() + ":3:"));
  CHECK_THAT(refused(r("nope")), Catch::Contains("unknown component 'nope'"));
  auto outside = r("spike");
  outside.plugin_path = (dir / "libx.so").string();
  CHECK_THAT(refused(outside), Catch::Contains("outside host.plugin_dirs"));
  auto outside_rule = r("tagger");
  write_file(dir / "elsewhere/t.lua", tagging_rule("x"));
  outside_rule.rule_path = "elsewhere/t.lua";
  CHECK_THAT(refused(outside_rule), Catch::Contains("outside host.rule_dirs"));
  auto rollback = r("spike");
  rollback.rollback_to = 9;
  CHECK_THAT(refused(rollback), Catch::Contains("no config version 9"));
  auto dry = r("spike");
  dry.plugin_path = test_plugin("good_detector").string();
  dry.config_path = "params/good.yaml";
  dry.dry_run = true;
  CHECK(run.coordinator->submit(dry) == "");  // passed: nothing to refuse
  REQUIRE(run.outcomes.wait_for_count(10));
  CHECK_FALSE(run.outcomes.last().applied);
  CHECK_THAT(run.outcomes.last().reason,
             Catch::StartsWith("dry run: would apply component 'spike'") &&
                 Catch::Contains("good_detector 1.2.3"));

  // Nothing changed.
  sh::host::SwapTargetInfo t;
  REQUIRE(run.pipeline->swap_target("spike", &t));
  CHECK(t.current.version == 1);
  CHECK(t.library->name() == "return_spike");
  REQUIRE(run.probe->step(2));

  // A set_config the plugin rejects at apply time (its own check, past the
  // schema): refused by the pipeline; the old config keeps serving.
  auto good = r("spike");
  good.plugin_path = test_plugin("good_detector").string();
  good.config_path = "params/good.yaml";
  CHECK(run.coordinator->submit(good) == "");
  REQUIRE(run.step_until_outcomes(11));
  CHECK(run.outcomes.last().applied);
  auto too_high = r("spike");
  too_high.config_path = "params/too_high.yaml";
  CHECK(run.coordinator->submit(too_high) == "");
  REQUIRE(run.step_until_outcomes(12));
  const auto o = run.outcomes.last();
  CHECK_FALSE(o.applied);
  CHECK_THAT(o.reason, Catch::Contains("set_config failed: threshold too high"));
  CHECK_THAT(o.reason, Catch::Contains("version 2 keeps serving"));
  REQUIRE(run.pipeline->swap_target("spike", &t));
  CHECK(t.current.version == 2);
  CHECK(t.current.config == json({{"threshold", 3.0}}));

  run.finish();
  REQUIRE(run.run_status.ok());
  CHECK(run.pipeline->summary().swaps_applied == 1);
  CHECK(run.pipeline->summary().swaps_refused == 1);
  run.close();
  // Refusals write nothing: startup + the one applied swap.
  CHECK(read_store(dir / "state", false, "spike").size() == 2);
  CHECK(read_store(dir / "state", true).size() == 1);
}
