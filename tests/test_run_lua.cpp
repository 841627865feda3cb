// [lua][run] Lua rules wired into the host: `lua:` components in the config,
// rule stages in the real binary's pipeline, --list-plugins rows, and reload
// of a changed rule file between batches (in process).
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "plugins/component_loader.h"
#include "config/config_source.h"
#include "config/host_config.h"
#include "services/host_services.h"
#include "detectors/lua_detector_stage.h"
#include "plugins/lua_rule_loader.h"
#include "pipeline/pipeline.h"
#include "config/pipeline_config.h"
#include "test_host_support.h"

using namespace sh_test;
using nlohmann::json;

namespace {

const std::string kShippedRules = std::string(SH_SOURCE_DIR) + "/scripts/lua";

// The sample session with the given detectors: entries; rule_dirs are the
// shipped rules and <dir>/rules.
std::string sample_config(const std::string& detectors, const std::string& extra = "") {
  return "host:\n"
         "  mode: replay\n"
         "  plugin_dirs: ['" SH_PLUGIN_DIR "']\n"
         "  rule_dirs: ['" + kShippedRules + "', rules]\n"
         "  state_dir: state\n"
         "  output_dir: out\n"
         + sh_test::sample_providers_yaml() +
         "conveyor: {benchmark: BTC}\n"
         "detectors:\n" + detectors + extra;
}

const std::string kPluginDetectors =
    "  - {name: return_spike, plugin: return_spike, config: {z_threshold: 4.0}}\n"
    "  - {name: volume_spike, plugin: volume_spike, config: {z_threshold: 4.0}}\n"
    "  - {name: spread_blowout, plugin: spread_blowout, config: {z_threshold: 4.0}}\n";

std::string shipped_rule(const std::string& component, const std::string& file) {
  return "  - {name: " + component + ", lua: '" + kShippedRules + "/" + file +
         "', params: {z_threshold: 4.0}}\n";
}

const std::string kLuaDetectors = shipped_rule("lua_return_spike", "return_spike.lua") +
                                  shipped_rule("lua_volume_spike", "volume_spike.lua") +
                                  shipped_rule("lua_spread_blowout", "spread_blowout.lua");

HostRun run_with(const ScratchDir& dir, const std::string& config_text,
                 std::vector<std::string> extra_args = {}) {
  write_file(dir / "host.yaml", config_text);
  std::vector<std::string> args = {"--config", (dir / "host.yaml").string()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  return run_host(args, dir.path());
}

std::vector<json> events_of(const fs::path& path) {
  std::vector<json> out;
  for (const auto& l : lines(read_file(path))) out.push_back(json::parse(l));
  return out;
}

std::string config_error(const std::string& yaml, const fs::path& base = "/x") {
  try {
    sh::host::HostConfig::load_string(yaml, "cfg.yaml", base);
  } catch (const sh::host::ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("the shipped Lua rules publish the same events as the C++ detectors", "[lua][run]") {
  ScratchDir cpp("lua_run_cpp");
  ScratchDir lua("lua_run_lua");
  const HostRun rc = run_with(cpp, sample_config(kPluginDetectors));
  const HostRun rl = run_with(lua, sample_config(kLuaDetectors));
  INFO(rl.err);
  REQUIRE(rc.exit_code == 0);
  REQUIRE(rl.exit_code == 0);
  const auto ec = events_of(cpp / "out/events.jsonl");
  const auto el = events_of(lua / "out/events.jsonl");
  REQUIRE(ec.size() == 4);
  REQUIRE(el.size() == ec.size());
  for (size_t i = 0; i < ec.size(); ++i) {
    INFO(el[i].dump());
    for (const char* f : {"symbol", "class", "minute", "minute_ts_ns", "score", "value",
                          "threshold", "dq"}) {
      CHECK(el[i][f] == ec[i][f]);
    }
    // The event names the rule and the exact text of the version that fired.
    CHECK(el[i]["detector"] == "lua_" + ec[i]["class"].get<std::string>());
    const std::string version = el[i]["detector_version"];
    CHECK_THAT(version, Catch::StartsWith("lua:"));
    CHECK(version.size() == 4 + 16);
  }
  CHECK(rl.out.find("events published   4") != std::string::npos);
  CHECK(rl.out.find("rule reloads       ok 0, refused 0") != std::string::npos);
  const json s = json::parse(read_file(lua / "out/run_summary.json"));
  CHECK(s["detector_errors"] == 0);
  CHECK(s["rule_reloads"] == json({{"ok", 0}, {"refused", 0}}));
  CHECK(rl.err.find("rule 'lua_return_spike' (lua detector) loaded from " + kShippedRules +
                    "/return_spike.lua") != std::string::npos);
}

TEST_CASE("plugins and Lua rules interleave in config order", "[lua][run]") {
  ScratchDir dir("lua_run_mixed");
  const std::string detectors =
      "  - {name: return_spike, plugin: return_spike, config: {z_threshold: 4.0}}\n" +
      shipped_rule("lua_volume_spike", "volume_spike.lua") +
      "  - {name: spread_blowout, plugin: spread_blowout, config: {z_threshold: 4.0}}\n";
  const HostRun r = run_with(dir, sample_config(detectors));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto ev = events_of(dir / "out/events.jsonl");
  REQUIRE(ev.size() == 4);
  for (const auto& e : ev) {
    const bool lua = e["class"] == "volume_spike";
    CHECK(e["detector"] == (lua ? "lua_volume_spike" : e["class"].get<std::string>()));
    CHECK((e["detector_version"].get<std::string>().rfind("lua:", 0) == 0) == lua);
  }
}

TEST_CASE("a Lua rule that uses os fails at load with its file and line", "[lua][run]") {
  ScratchDir dir("lua_run_os");
  write_file(dir / "rules/escape.lua",
             "-- escape: tries to run a shell command\n"
             "function detect(row, ctx)\n"
             "  return nil\n"
             "end\n"
             "os.execute('touch pwned')\n");
  const HostRun r = run_with(
      dir, sample_config("  - {name: escape, lua: rules/escape.lua}\n" + kPluginDetectors));
  CHECK(r.exit_code == 1);
  CHECK_FALSE(fs::exists(dir / "pwned"));
  CHECK_FALSE(fs::exists(dir / "out/events.jsonl"));
  const std::string host_yaml = (dir / "host.yaml").string();
  const auto errs = lines(r.err);
  REQUIRE(!errs.empty());
  const std::string& e = errs.back();
  INFO(r.err);
  CHECK(e.find(host_yaml + ":17:") != std::string::npos);  // the lua: value's line
  CHECK(e.find("component 'escape' (lua detector): ") != std::string::npos);
  CHECK(e.find((dir / "rules/escape.lua").string() + ":5: ") != std::string::npos);
  CHECK(e.find("'os'") != std::string::npos);

  // --validate-config reports the same line.
  const HostRun v = run_host({"--validate-config", "--config", host_yaml}, dir.path());
  CHECK(v.exit_code == 1);
  CHECK(v.err.find((dir / "rules/escape.lua").string() + ":5: ") != std::string::npos);
}

TEST_CASE("a Lua rule that loops forever is stopped by its budget and the run completes",
          "[lua][run]") {
  ScratchDir dir("lua_run_hang");
  write_file(dir / "rules/hang.lua",
             "-- hang: loops forever once it has seen enough rows\n"
             "local seen = 0\n"
             "function detect(row, ctx)\n"
             "  seen = seen + 1\n"
             "  if seen > 100 then\n"
             "    while true do end\n"
             "  end\n"
             "  return nil\n"
             "end\n");
  const std::string hang =
      "  - {name: hang, lua: rules/hang.lua, instruction_budget: 200000, time_budget_ms: 1000}\n";
  const HostRun r = run_with(dir, sample_config(hang + kPluginDetectors));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json s = json::parse(read_file(dir / "out/run_summary.json"));
  CHECK(s["detector_errors"].get<uint64_t>() > 0);
  CHECK(r.out.find("detector errors") != std::string::npos);
  CHECK(r.err.find("instruction budget exceeded") != std::string::npos);
  CHECK(r.err.find("hang.lua:6:") != std::string::npos);
  // The other detectors kept publishing.
  CHECK(s["published"] == 4);
}

TEST_CASE("hostile Lua rules in a running host are stopped and named and the run completes",
          "[lua][run]") {
  // An endless loop hidden behind a string escape the old instrumenter
  // misread, a catastrophic pattern (one C call that would run for minutes),
  // and a rule at a path longer than LuaJIT's 60-byte chunk names.
  ScratchDir dir("lua_run_hostile");
  write_file(dir / "rules/escape_trick.lua",
             "local seen = 0\n"
             "function detect(row, ctx)\n"
             "  seen = seen + 1\n"
             "  local s = \"\\z\n"
             "  \" if seen > 100 then local i = 0 while true do i = i + 1 end end --\"\n"
             "  return nil\n"
             "end\n");
  write_file(dir / "rules/regex_bomb.lua",
             "local seen = 0\n"
             "function detect(row, ctx)\n"
             "  seen = seen + 1\n"
             "  if seen > 100 then\n"
             "    string.rep('a', 40):find(string.rep('a?', 40) .. string.rep('a', 40))\n"
             "  end\n"
             "  return nil\n"
             "end\n");
  std::string deep = "rules";
  for (int i = 0; deep.size() < 220; ++i) deep += "/operators_deeply_nested_rule_folder_" + std::to_string(i);
  const std::string deep_rule = deep + "/deep_error.lua";
  write_file(dir / deep_rule,
             "local seen = 0\n"
             "function detect(row, ctx)\n"
             "  seen = seen + 1\n"
             "  if seen > 100 then error('deep rule failed') end\n"
             "  return nil\n"
             "end\n");
  const std::string rules =
      "  - {name: escape_trick, lua: rules/escape_trick.lua, instruction_budget: 200000, "
      "time_budget_ms: 1000}\n"
      "  - {name: regex_bomb, lua: rules/regex_bomb.lua, instruction_budget: 200000, "
      "time_budget_ms: 1000}\n"
      "  - {name: deep_error, lua: '" + deep_rule + "'}\n";
  const auto t0 = std::chrono::steady_clock::now();
  const HostRun r = run_with(dir, sample_config(rules + kPluginDetectors));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60));
  const json s = json::parse(read_file(dir / "out/run_summary.json"));
  CHECK(s["detector_errors"].get<uint64_t>() >= 3);
  CHECK(r.err.find("escape_trick.lua:5: instruction budget exceeded (200000 ticks per batch)") !=
        std::string::npos);
  CHECK(r.err.find("regex_bomb.lua:5: instruction budget exceeded (200000 ticks per batch) in "
                   "string.find (pattern matching, 16 match steps per tick)") != std::string::npos);
  CHECK(r.err.find(deep_rule + ":4: deep rule failed") != std::string::npos);
  for (const char* name : {"escape_trick", "regex_bomb", "deep_error"}) {
    CHECK(r.err.find("lua rule '" + std::string(name) + "': version 1 failed: ") != std::string::npos);
  }
  // The plugin detectors kept publishing.
  CHECK(s["published"] == 4);
}

TEST_CASE("a lua: path outside host.rule_dirs is refused with a located error",
          "[lua][run][config]") {
  ScratchDir dir("lua_run_outside");
  write_file(dir / "elsewhere/spike.lua", "function detect(row, ctx) return nil end\n");
  write_file(dir / "rules/keep.lua", "function detect(row, ctx) return nil end\n");
  fs::create_symlink(dir / "elsewhere/spike.lua", dir / "rules/link.lua");
  const std::string host_yaml = (dir / "host.yaml").string();
  for (const std::string path : {"elsewhere/spike.lua", "rules/../elsewhere/spike.lua",
                                  "rules/link.lua"}) {
    INFO(path);
    const HostRun r =
        run_with(dir, sample_config("  - name: spike\n    lua: " + path + "\n"));
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::StartsWith(host_yaml + ":18:10: lua: "));
    CHECK(r.err.find(" is outside host.rule_dirs (" + kShippedRules) != std::string::npos);
    CHECK(lines(r.err).size() == 1);
  }
  // Inside a rule dir it loads.
  const HostRun ok = run_with(dir, sample_config("  - name: keep\n    lua: rules/keep.lua\n"));
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
}

TEST_CASE("lua: component keys are checked at config load", "[lua][config]") {
  const std::string rules = "host: {rule_dirs: [/r]}\n";
  CHECK(config_error(rules + "detectors:\n  - {name: a, lua: /r/a.lua, plugin: p}\n") ==
        "cfg.yaml:3:30: detectors: a component names either plugin: or lua:, not both");
  CHECK(config_error(rules + "detectors:\n  - {name: a, lua: /r/a.lua, config: {x: 1}}\n") ==
        "cfg.yaml:3:30: unknown key 'config' in a detectors Lua rule entry (expected one of: "
        "name, lua, params, class, instruction_budget, time_budget_ms, memory_limit_mb, "
        "on_error, jit; a rule takes params:)");
  CHECK(config_error(rules + "detectors:\n  - {name: a, plugin: p, params: {x: 1}}\n") ==
        "cfg.yaml:3:26: key 'params' in a detectors entry is for Lua rules (lua: PATH); a "
        "plugin takes config:");
  CHECK(config_error(rules + "detectors:\n  - {name: a, lua: /r/a.lua, on_error: retry}\n") ==
        "cfg.yaml:3:40: detectors: on_error must be keep_last_good or disable");
  CHECK(config_error(rules + "detectors:\n  - {name: a, lua: /r/a.lua, time_budget_ms: '5'}\n") ==
        "cfg.yaml:3:46: detectors: time_budget_ms must be a positive integer");
  CHECK(config_error(rules + "detectors:\n  - {name: a, lua: /r/a.lua, jit: maybe}\n") ==
        "cfg.yaml:3:35: detectors: jit must be true or false");
  CHECK(config_error(rules + "detectors:\n  - {name: a, lua: /r/a.txt}\n") ==
        "cfg.yaml:3:20: detectors: lua must be the path of a .lua rule file");
  CHECK(config_error(rules + "providers:\n  - {name: a, lua: /r/a.lua}\n") ==
        "cfg.yaml:3:15: providers: a provider cannot be a Lua rule (lua: is for detectors:, "
        "experts: and risk:)");
  CHECK(config_error("detectors:\n  - {name: a, lua: /r/a.lua}\n") ==
        "cfg.yaml:2:20: lua: /r/a.lua is outside host.rule_dirs (none configured); rules load "
        "only from a rule directory");

  const auto c = sh::host::HostConfig::load_string(
      rules +
          "detectors:\n"
          "  - {name: d, lua: a.lua, params: {z: 2, tags: [x]}, class: spike,\n"
          "     instruction_budget: 5000, time_budget_ms: 7, memory_limit_mb: 16,\n"
          "     on_error: disable, jit: false}\n"
          "experts:\n  - {name: e, lua: /r/e.lua}\n"
          "risk:\n  - {name: k, lua: /r/sub/k.lua}\n",
      "cfg.yaml", "/r");
  const auto* d = c.find_component("d");
  REQUIRE(d != nullptr);
  CHECK(d->is_lua);
  CHECK(d->plugin.empty());
  CHECK(d->lua.path == "/r/a.lua");
  CHECK(d->lua.params == json({{"z", 2}, {"tags", {"x"}}}));
  CHECK(d->lua.hit_class == "spike");
  CHECK(d->lua.instruction_budget == 5000);
  CHECK(d->lua.time_budget_ms == 7);
  CHECK(d->lua.memory_limit_mb == 16);
  CHECK(d->lua.disable_on_error);
  CHECK_FALSE(d->lua.jit);
  const auto rc = sh::host::make_lua_rule_config(*d, nullptr);
  CHECK(rc.kind == sh::host::RuleKind::Detector);
  CHECK(rc.time_budget_ns == 7'000'000);
  CHECK(rc.memory_limit_bytes == 16u << 20);
  CHECK(rc.on_error == sh::host::LuaRuleConfig::OnError::Disable);
  CHECK(sh::host::rule_kind_of(*c.find_component("e")) == sh::host::RuleKind::Router);
  CHECK(sh::host::rule_kind_of(*c.find_component("k")) == sh::host::RuleKind::Risk);
  // Defaults are LuaRuleConfig's.
  const auto re = sh::host::make_lua_rule_config(*c.find_component("e"), nullptr);
  const sh::host::LuaRuleConfig defaults;
  CHECK(re.instruction_budget == defaults.instruction_budget);
  CHECK(re.time_budget_ns == defaults.time_budget_ns);
  CHECK(re.memory_limit_bytes == defaults.memory_limit_bytes);
  CHECK(re.on_error == defaults.on_error);
  CHECK(re.jit);
  CHECK(re.params_json == "{}");
}

TEST_CASE("host --list-plugins shows Lua rules with their status", "[lua][run][cli]") {
  ScratchDir dir("lua_list");
  write_file(dir / "rules/broken.lua",
             "-- broken: a rule with a syntax error\n"
             "function detect(row, ctx)\n"
             "  return 1 +\n"
             "end\n");
  write_file(dir / "rules/noop.lua", "-- noop: never fires\nfunction route(ev, ctx) return 'flat' end\n");
  const std::string cfg = sample_config(
      shipped_rule("lua_return_spike", "return_spike.lua") + kPluginDetectors,
      "risk:\n  - {name: gate, lua: '" + kShippedRules + "/confidence_gate.lua'}\n");
  const HostRun r = run_with(dir, cfg, {"--list-plugins", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(lines(r.out).size() == 1);
  const json rows = json::parse(r.out)["plugins"];
  std::vector<std::string> paths;
  for (const auto& row : rows) paths.push_back(row["path"]);
  CHECK(std::is_sorted(paths.begin(), paths.end()));
  auto row_for = [&](const std::string& path) -> json {
    for (const auto& row : rows) {
      if (row["path"] == path) return row;
    }
    FAIL("no row for " << path);
    return json();
  };
  for (const char* f : {"return_spike.lua", "volume_spike.lua", "spread_blowout.lua",
                        "router_threshold.lua", "confidence_gate.lua"}) {
    INFO(f);
    const json row = row_for(kShippedRules + "/" + f);
    CHECK(row["abi"] == "lua");
    CHECK(row["status"] == "ok");
    CHECK(row["version"].get<std::string>().size() == 16);
    CHECK_FALSE(row["description"].get<std::string>().empty());
  }
  // Same field names and order as a plugin row.
  const std::string raw = r.out.substr(r.out.find("{\"name\":\"lua_return_spike\""));
  CHECK_THAT(raw, Catch::StartsWith("{\"name\":\"lua_return_spike\",\"kind\":\"lua detector\","
                                    "\"version\":\""));
  const json configured = row_for(kShippedRules + "/return_spike.lua");
  CHECK(configured["config_keys"] == json::array({"z_threshold"}));
  CHECK_THAT(configured["description"].get<std::string>(), Catch::StartsWith("return_spike: "));
  CHECK(row_for(kShippedRules + "/confidence_gate.lua")["kind"] == "lua risk");
  CHECK(row_for(kShippedRules + "/volume_spike.lua")["kind"] == "lua rule");
  CHECK(row_for(kShippedRules + "/volume_spike.lua")["name"] == "volume_spike");

  const json broken = row_for((dir / "rules/broken.lua").string());
  CHECK(broken["name"] == "broken");
  CHECK(broken["abi"] == "lua");
  CHECK(broken["description"] == "broken: a rule with a syntax error");
  CHECK_THAT(broken["status"].get<std::string>(),
             Catch::StartsWith((dir / "rules/broken.lua").string() + ":4: "));
  CHECK(row_for((dir / "rules/noop.lua").string())["status"] == "ok");  // a router

  // The tables list them too: the short one with the kind of failure, the
  // verbose one with the whole status.
  const HostRun t = run_with(dir, cfg, {"--list-plugins"});
  REQUIRE(t.exit_code == 0);
  CHECK(t.out.find("lua_return_spike") != std::string::npos);
  CHECK(t.out.find("lua detector") != std::string::npos);
  CHECK(t.out.find("broken ") != std::string::npos);
  CHECK(t.out.find(" error ") != std::string::npos);
  const HostRun v = run_with(dir, cfg, {"--list-plugins", "--verbose"});
  REQUIRE(v.exit_code == 0);
  CHECK(v.out.find((dir / "rules/broken.lua").string() + ":4: ") != std::string::npos);
}

// ---------------------------------------------------------------- reload

namespace {

// A detector stage placed after a Lua stage: records, per minute, what the
// Lua stage served, and holds the pipeline thread until the test lets the
// next minute through.
class Probe final : public sh::host::DetectorStage {
 public:
  struct Seen {
    std::string version;      // the stage's "lua:<hash>"
    uint64_t rule_version;    // LuaRule::version()
    uint64_t reloads_ok;
    uint64_t reloads_failed;
    bool enabled;
  };

  explicit Probe(sh::host::LuaDetectorStage* lua) : lua_(lua) {}
  const std::string& name() const override { return name_; }
  const std::string& version() const override { return name_; }
  std::string last_error() const override { return ""; }
  sh_status detect(const sh_feature_batch&, const sh_market_context&,
                   const sh_hit_sink&) override {
    std::unique_lock<std::mutex> lock(mu_);
    // Bounded wait: a broken test must not hang the suite.
    cv_.wait_for(lock, std::chrono::seconds(20),
                 [&] { return free_run_ || seen_.size() < allowed_; });
    const auto& st = lua_->rule().stats();
    seen_.push_back({lua_->version(), lua_->rule().version(), st.reloads_ok, st.reloads_failed,
                     lua_->rule().enabled()});
    cv_.notify_all();
    return SH_OK;
  }

  // Lets one more minute through and returns what it saw.
  Seen step() {
    std::unique_lock<std::mutex> lock(mu_);
    ++allowed_;
    cv_.notify_all();
    const bool done =
        cv_.wait_for(lock, std::chrono::seconds(20), [&] { return seen_.size() >= allowed_; });
    REQUIRE(done);
    return seen_.back();
  }
  // Steps until `pred` holds (at most `max` minutes); returns the minute that did.
  template <class Pred>
  Seen step_until(Pred pred, int max = 20) {
    for (int i = 0; i < max; ++i) {
      Seen s = step();
      if (pred(s)) return s;
    }
    FAIL("condition not reached within " << max << " minutes");
    return {};
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    free_run_ = true;
    cv_.notify_all();
  }
  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  sh::host::LuaDetectorStage* lua_;
  std::string name_ = "probe";
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Seen> seen_;
  size_t allowed_ = 0;
  bool free_run_ = false;
};

// Replaces the file in one step (editors save by rename), so the watcher
// never sees half a file.
void replace_file(const fs::path& path, const std::string& text) {
  write_file(path.string() + ".tmp", text);
  fs::rename(path.string() + ".tmp", path);
}

std::string tagging_rule(const std::string& tag) {
  return "-- tags every row with class " + tag + "\n"
         "function detect(row, ctx)\n"
         "  return 60, '" + tag + "'\n"
         "end\n";
}

}  // namespace

TEST_CASE("a changed rule file is swapped in between batches, a broken edit is refused",
          "[lua][run][reload]") {
  using namespace sh::host;
  ScratchDir dir("lua_reload");
  const fs::path rule_file = dir / "rules/tagger.lua";
  write_file(rule_file, tagging_rule("v1"));
  write_file(dir / "host.yaml",
             "host:\n"
             "  mode: replay\n"
             "  plugin_dirs: ['" SH_PLUGIN_DIR "']\n"
             "  rule_dirs: [rules]\n"
             "  state_dir: state\n"
             "  output_dir: out\n"
             "providers:\n"
             "  - name: feed\n"
             "    plugin: synthetic\n"
             "    config: {symbols: [AAA, BBB], seed: 7, events_per_second: 40, duration_s: 7200}\n"
             "detectors:\n"
             "  - {name: tagger, lua: rules/tagger.lua}\n");
  const HostConfig config = HostConfig::load_file(dir / "host.yaml");
  HostRuntime runtime;
  PipelineConfig pc = parse_pipeline_config(config, runtime);
  const PluginCatalog catalog = scan_plugins(config);
  LoadedComponents loaded = load_components(config, catalog, runtime);
  REQUIRE(loaded.errors.empty());
  LoadedRules rules = load_lua_components(config, runtime);
  REQUIRE(rules.errors.empty());
  REQUIRE(rules.rules.size() == 1);

  auto lua = std::make_unique<LuaDetectorStage>("tagger", std::move(rules.rules[0].rule));
  LuaDetectorStage* lua_stage = lua.get();
  auto probe_owned = std::make_unique<Probe>(lua_stage);
  Probe& probe = *probe_owned;
  std::vector<std::unique_ptr<DetectorStage>> detectors;
  detectors.push_back(std::move(lua));
  detectors.push_back(std::move(probe_owned));
  Pipeline pipeline(pc, config, runtime, {loaded.instances[0].get()}, std::move(detectors));
  REQUIRE(pipeline.open().ok());

  Status run_status;
  std::thread runner([&] { run_status = pipeline.run(); });
  struct Join {
    Probe& p;
    std::thread& t;
    ~Join() {
      p.release();
      if (t.joinable()) t.join();
    }
  } join{probe, runner};

  const Probe::Seen first = probe.step();
  const std::string v1 = first.version;
  CHECK_THAT(v1, Catch::StartsWith("lua:"));
  CHECK(first.rule_version == 1);

  // Manual trigger (the Redis control thread's path): same text, new version.
  CHECK_FALSE(pipeline.request_rule_reload("no_such_rule"));
  CHECK(pipeline.request_rule_reload("tagger"));
  const Probe::Seen manual = probe.step_until([](const Probe::Seen& s) { return s.reloads_ok == 1; });
  CHECK(manual.rule_version == 2);
  CHECK(manual.version == v1);

  // An edit of the file is picked up by the watcher.
  replace_file(rule_file, tagging_rule("v2"));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // past the 100 ms poll interval
  const Probe::Seen edited = probe.step_until([&](const Probe::Seen& s) { return s.version != v1; });
  const std::string v2 = edited.version;
  CHECK(v2 == "lua:" + content_hash_fnv1a64(tagging_rule("v2")));
  CHECK(edited.rule_version == 3);
  CHECK(edited.reloads_ok == 2);

  // A broken edit is refused; v2 keeps serving.
  replace_file(rule_file, "function detect(row, ctx)\n  return 1 +\nend\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  const Probe::Seen refused =
      probe.step_until([](const Probe::Seen& s) { return s.reloads_failed == 1; });
  CHECK(refused.version == v2);
  CHECK(refused.enabled);
  CHECK(refused.rule_version == 3);
  // A requested reload of the still-broken file is refused the same way.
  CHECK(pipeline.request_rule_reload("tagger"));
  const Probe::Seen refused2 =
      probe.step_until([](const Probe::Seen& s) { return s.reloads_failed == 2; });
  CHECK(refused2.version == v2);
  CHECK(probe.step().version == v2);
  // The operator's SIGHUP path (reload every rule) takes the same way.
  pipeline.request_all_rules_reload();
  const Probe::Seen refused3 =
      probe.step_until([](const Probe::Seen& s) { return s.reloads_failed == 3; });
  CHECK(refused3.version == v2);

  probe.release();
  runner.join();
  REQUIRE(run_status.ok());

  // Each minute was served by one version, and versions only moved forward.
  const auto seen = probe.seen();
  size_t switched = 0;
  for (size_t i = 1; i < seen.size(); ++i) {
    CHECK(seen[i].rule_version >= seen[i - 1].rule_version);
    if (seen[i].version != seen[i - 1].version) ++switched;
  }
  CHECK(switched == 1);
  CHECK(seen.back().version == v2);
  CHECK(pipeline.summary().rule_reloads_ok == 2);
  CHECK(pipeline.summary().rule_reloads_refused == 3);
  const json s = json::parse(pipeline.summary_json());
  CHECK(s["rule_reloads"] == json({{"ok", 2}, {"refused", 3}}));

  // Every published event names the version whose class it carries.
  const auto events = events_of(dir / "out/events.jsonl");
  size_t n_v1 = 0, n_v2 = 0;
  for (const auto& e : events) {
    CHECK(e["detector"] == "tagger");
    if (e["class"] == "v1") {
      ++n_v1;
      CHECK(e["detector_version"] == v1);
    } else {
      ++n_v2;
      CHECK(e["class"] == "v2");
      CHECK(e["detector_version"] == v2);
    }
  }
  CHECK(n_v1 > 0);
  CHECK(n_v2 > 0);
}
