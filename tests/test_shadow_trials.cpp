// [shadow][reload] Shadow trials (issue 15 point 5): a candidate version of
// a detector runs beside the serving one on the same rows; its hits go to
// out/shadow/<component>.jsonl and the ShadowBoard, never to the sinks;
// promote swaps it in as a plain swap, discard drops it; the journal
// replays a session that had trials byte for byte (through the binary).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "control/reload_message.h"
#include "control/swap_journal.h"
#include "store/state_store.h"
#include "test_shadow_support.h"

using namespace sh_test;
using nlohmann::json;
using sh::host::ReloadRequest;
using sh::host::ShadowAction;
using Catch::Matchers::Contains;

namespace {

const std::string kShadowDetectors =
    "  - {name: spike, plugin: return_spike, config: {z_threshold: 4.0}}\n"
    "  - {name: tagger, lua: rules/tagger.lua, params: {score: 60}}\n";

void write_inputs(const ScratchDir& dir) {
  write_file(dir / "rules/tagger.lua", tagging_rule("v1"));
  write_file(dir / "rules/tagger_v2.lua", tagging_rule("v2"));
  write_file(dir / "params/spike_low.yaml", "z_threshold: 1.5\n");
  write_file(dir / "host.yaml", swap_config(kShadowDetectors));
  // The same session elsewhere: replays of it, a plain run for comparison.
  std::string other = swap_config(kShadowDetectors, "state_replay", 4096);
  other.replace(other.find("output_dir: out"), 15, "output_dir: out_replay");
  write_file(dir / "replay.yaml", other);
}

// Starts the run, lets 10 minutes through, then a trial of spike with a
// lower threshold, labelled "low".
sh::host::ReloadOutcome start_low_spike_trial(SwapRun& run) {
  REQUIRE(run.open_status.ok());
  run.start();
  REQUIRE(run.probe->step(10));
  auto spike = shadow_request(run, "spike", ShadowAction::kStart);
  spike.config_path = "params/spike_low.yaml";
  spike.version = "low";
  return submit_applied(run, spike);
}

std::vector<sh::host::ConfigVersion> journal_of(const fs::path& state_dir) {
  std::vector<sh::host::ConfigVersion> journal;
  const auto st = sh::host::load_swap_journal_from_store(state_dir, &journal);
  INFO(st.message());
  REQUIRE(st.ok());
  return journal;
}

}  // namespace

TEST_CASE("a shadow detector writes its hits to out/shadow, leaves the events alone and replays",
          "[shadow][reload]") {
  ScratchDir dir("shadow_trial");
  write_inputs(dir);
  // Without any trial: the events of the session.
  const HostRun plain = run_host({"run", "--config", "host.yaml"}, dir.path());
  INFO(plain.err);
  REQUIRE(plain.exit_code == 0);
  const std::string plain_events = read_file(dir / "out/events.jsonl");
  REQUIRE_FALSE(plain_events.empty());

  std::string digest;
  {
    SwapRun run(dir / "host.yaml", true, {"spike", "tagger"});
    const auto started = start_low_spike_trial(run);
    CHECK(started.config_version == 0);
    REQUIRE(run.probe->step(10));
    auto tagger = shadow_request(run, "tagger", ShadowAction::kStart);
    tagger.rule_path = "rules/tagger_v2.lua";
    submit_applied(run, tagger);
    REQUIRE(run.probe->step(280));  // past the session's first spikes (minute 250)
    submit_applied(run, shadow_request(run, "spike", ShadowAction::kDiscard));
    // Discarded: the spike candidate's file stops growing.
    REQUIRE(run.probe->step(2));
    const std::string spike_at_discard = read_file(dir / "out/shadow/spike.jsonl");
    REQUIRE(run.probe->step(40));
    CHECK(read_file(dir / "out/shadow/spike.jsonl") == spike_at_discard);

    run.finish();
    REQUIRE(run.run_status.ok());
    digest = run.pipeline->summary().digest;
    // The comparison: a lower threshold hits more; the Lua candidate tags
    // the same rows with another class.
    const auto s = comparison_of(run, "spike");
    CHECK(s.state == "discarded");
    CHECK(s.candidate == "low");
    CHECK(s.minutes_compared >= 280);
    CHECK(s.candidate_hits > s.serving_hits);
    CHECK(s.only_candidate == s.candidate_hits - s.serving_hits + s.only_serving);
    CHECK(s.minutes_differing > 0);
    CHECK_FALSE(s.last_differences.empty());
    CHECK(s.last_differences.size() <= sh::host::ShadowBoard::kLastDifferences);
    const auto t = comparison_of(run, "tagger");
    CHECK(t.state == "running");
    CHECK(t.minutes_compared > 0);
    CHECK(t.serving_hits == t.candidate_hits);
    CHECK(t.only_candidate == t.candidate_hits);
    CHECK(t.only_serving == t.serving_hits);
    CHECK(t.minutes_differing == t.minutes_compared);
    const json snapshot = run.pipeline->shadow_board().snapshot_json();
    REQUIRE(snapshot.size() == 2);
    CHECK(snapshot[0]["component"] == "spike");
    REQUIRE_FALSE(snapshot[0]["last_differences"].empty());
    CHECK(snapshot[0]["last_differences"][0].contains("candidate_score"));
    run.close();
  }
  // The sinks saw exactly what they see without the trials.
  CHECK(read_file(dir / "out/events.jsonl") == plain_events);
  const auto spike_lines = json_lines(dir / "out/shadow/spike.jsonl");
  REQUIRE_FALSE(spike_lines.empty());
  for (const json& l : spike_lines) {
    CHECK(l["component"] == "spike");
    CHECK_THAT(l["version"].get<std::string>(), Catch::EndsWith("+shadow:low"));
    CHECK(l["minute"].is_string());
    CHECK(l["score"].is_number());
  }
  const auto tagger_lines = json_lines(dir / "out/shadow/tagger.jsonl");
  REQUIRE_FALSE(tagger_lines.empty());
  for (const json& l : tagger_lines) CHECK(l["class"] == "v2");
  // Journalled (swap_journal only): start, start, discard; no config version.
  const auto journal = journal_of(dir / "state");
  REQUIRE(journal.size() == 3);
  CHECK(journal[0].shadow == "start");
  CHECK(journal[1].shadow == "start");
  CHECK(journal[1].rule_source == tagging_rule("v2"));
  CHECK(journal[2].shadow == "discard");
  const HostRun history = run_host({"config", "history", "--config", "host.yaml", "--component",
                                    "spike", "--format", "json"},
                                   dir.path());
  REQUIRE(history.exit_code == 0);
  CHECK(lines(history.out).size() == 1);

  // The binary replays the session from the exported journal: the same
  // shadow files, byte for byte, and the same events and digest.
  const std::string out = replay_through_binary(dir);
  CHECK_THAT(out, Contains("digest sha256:" + digest));
  CHECK(read_file(dir / "out_replay/shadow/spike.jsonl") == read_file(dir / "out/shadow/spike.jsonl"));
  CHECK(read_file(dir / "out_replay/shadow/tagger.jsonl") == read_file(dir / "out/shadow/tagger.jsonl"));
  CHECK(read_file(dir / "out_replay/events.jsonl") == plain_events);
}

TEST_CASE("promote swaps the shadow candidate in as a plain swap and the journal replays it",
          "[shadow][reload]") {
  ScratchDir dir("shadow_promote");
  write_inputs(dir);
  std::string digest;
  uint64_t promoted_at = 0;
  {
    SwapRun run(dir / "host.yaml", true, {"spike", "tagger"});
    start_low_spike_trial(run);
    auto tagger = shadow_request(run, "tagger", ShadowAction::kStart);
    tagger.rule_path = "rules/tagger_v2.lua";
    tagger.version = "tag2";
    submit_applied(run, tagger);
    // A second --shadow replaces the running candidate.
    tagger.version = "tag2b";
    submit_applied(run, tagger);
    REQUIRE(run.probe->step(30));
    const auto promoted = submit_applied(run, shadow_request(run, "spike", ShadowAction::kPromote));
    CHECK(promoted.config_version == 2);
    promoted_at = promoted.effective_seq;
    submit_applied(run, shadow_request(run, "tagger", ShadowAction::kPromote));
    // No trial left to promote or discard.
    CHECK_THAT(run.coordinator->submit(shadow_request(run, "spike", ShadowAction::kPromote)),
               Contains("no shadow trial is running to promote"));
    run.finish();
    REQUIRE(run.run_status.ok());
    digest = run.pipeline->summary().digest;
    CHECK(comparison_of(run, "spike").state == "promoted");
    CHECK(comparison_of(run, "tagger").candidate == "tag2b");
    sh::host::SwapTargetInfo info;
    REQUIRE(run.pipeline->swap_target("spike", &info));
    CHECK(info.current.version == 2);
    CHECK(info.current.label == "low");
    CHECK(info.current.config == json({{"z_threshold", 1.5}}));
    CHECK_FALSE(info.shadow);
    run.close();
  }
  // Config history: the promote is version 2 of each, with the candidate's config.
  const HostRun history = run_host({"config", "history", "--config", "host.yaml", "--component",
                                    "spike", "--format", "json"},
                                   dir.path());
  REQUIRE(history.exit_code == 0);
  const auto rows = lines(history.out);
  REQUIRE(rows.size() == 2);
  CHECK(json::parse(rows[1])["shadow"] == "promote");
  CHECK(json::parse(rows[1])["label"] == "low");
  // Events from the promote on follow the candidate: its version and class.
  size_t spike_v2 = 0, tagger_v2 = 0;
  for (const json& e : json_lines(dir / "out/events.jsonl")) {
    const std::string v = e["detector_version"];
    if (e["detector"] == "spike" && v.find("+cfg2") != std::string::npos) ++spike_v2;
    if (e["detector"] == "tagger" && v.find("+cfg2") != std::string::npos) {
      ++tagger_v2;
      CHECK(e["class"] == "v2");
    }
    if (e["detector"] == "tagger" && v.find("+cfg2") == std::string::npos) CHECK(e["class"] == "v1");
  }
  CHECK(spike_v2 > 0);
  CHECK(tagger_v2 > 0);
  const auto journal = journal_of(dir / "state");
  REQUIRE(journal.size() == 5);
  CHECK(journal[3].shadow == "promote");
  CHECK(journal[3].effective_seq == promoted_at);
  CHECK(journal[4].shadow == "promote");
  CHECK(journal[4].rule_source == tagging_rule("v2"));

  const std::string out = replay_through_binary(dir);
  CHECK_THAT(out, Contains("digest sha256:" + digest));
  CHECK(read_file(dir / "out_replay/shadow/spike.jsonl") == read_file(dir / "out/shadow/spike.jsonl"));
  CHECK(read_file(dir / "out_replay/shadow/tagger.jsonl") == read_file(dir / "out/shadow/tagger.jsonl"));
  CHECK(read_file(dir / "out_replay/events.jsonl") == read_file(dir / "out/events.jsonl"));
}

TEST_CASE("shadow requests that cannot act are refused with the reason", "[shadow][reload]") {
  ScratchDir dir("shadow_refusals");
  write_inputs(dir);
  SwapRun run(dir / "host.yaml", false);
  REQUIRE(run.open_status.ok());
  auto with = [&](const std::string& component, ShadowAction action) {
    return run.coordinator->submit(shadow_request(run, component, action));
  };
  auto start = shadow_request(run, "nope", ShadowAction::kStart);
  start.config_path = "params/spike_low.yaml";
  CHECK_THAT(run.coordinator->submit(start), Contains("unknown component 'nope'"));
  CHECK_THAT(with("sample", ShadowAction::kStart),
             Contains("this is a market-data provider"));
  CHECK_THAT(with("spike", ShadowAction::kPromote), Contains("no shadow trial is running to promote"));
  CHECK_THAT(with("tagger", ShadowAction::kDiscard), Contains("no shadow trial is running to discard"));
  // A bad candidate is refused like any reload.
  write_file(dir / "params/spike_bad.yaml", "z_threshold: \"x\"\n");
  auto bad = shadow_request(run, "spike", ShadowAction::kStart);
  bad.config_path = "params/spike_bad.yaml";
  CHECK_THAT(run.coordinator->submit(bad), Contains("z_threshold"));
  run.coordinator->drain();
  for (const auto& o : run.outcomes.all()) CHECK_FALSE(o.applied);

  // The message fields.
  sh::host::ReloadPathPolicy policy;
  policy.base_dir = dir.path();
  policy.config_dirs = {dir.path()};
  policy.components = {"spike", "tagger"};
  policy.lua_components = {"tagger"};
  auto parse = [&](const std::string& text) {
    ReloadRequest r;
    const auto chk = sh::host::parse_reload_message(text, policy, &r);
    return std::make_pair(chk.reason, r.shadow);
  };
  CHECK(parse(R"({"component": "spike", "shadow": true, "config_path": "params/spike_low.yaml"})") ==
        std::make_pair(std::string(), ShadowAction::kStart));
  CHECK(parse(R"({"component": "spike", "promote": true})").second == ShadowAction::kPromote);
  CHECK(parse(R"({"component": "spike", "discard": true})").first == "");
  CHECK(parse(R"({"component": "spike", "shadow": "yes"})").first ==
        "shadow must be true or false, not a string");
  CHECK_THAT(parse(R"({"component": "spike", "shadow": true, "promote": true})").first,
             Contains("shadow, promote and discard exclude each other"));
  CHECK_THAT(parse(R"({"component": "spike", "promote": true, "config_path": "params/spike_low.yaml"})").first,
             Contains("promote acts on the running shadow trial and takes no config_path"));
  CHECK_THAT(parse(R"({"component": "spike", "shadow": true})").first, Contains("nothing to do"));
  // host reload refuses the flags together before anything is published.
  const HostRun both = run_host({"reload", "--config", "host.yaml", "--component", "spike", "--shadow",
                                 "--discard"},
                                dir.path());
  CHECK(both.exit_code == 2);
  CHECK_THAT(both.err, Contains("--shadow, --promote and --discard exclude each other"));
}
