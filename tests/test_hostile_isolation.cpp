// [hostile][isolation] Plugins that crash, exit or hang: through the real
// binary, an `isolation: process` component that misbehaves is a faulted
// component (logged once with its name, counted, fail-closed for risk,
// restarted when allowed) while the run completes with its summary; an
// in-process plugin calling exit() stops the host with status 70, named;
// a truncated .so breaks neither --list-plugins nor a run.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "test_run_decision_support.h"

using namespace sh_test;
using json = nlohmann::json;

namespace {

// The decision layer of test_run_decision.cpp with `extra` appended to
// every plugin component entry except the provider (e.g. ", isolation: process"),
// and `risk` items added after the standard chain.
std::string decision_yaml(const std::string& extra, const std::string& risk = "",
                          const std::string& detectors = "") {
  return "host:\n"
         "  mode: replay\n"
         "  plugin_dirs: ['" SH_PLUGIN_DIR "']\n"
         "  state_dir: state\n"
         "  output_dir: out\n" +
         sample_providers_yaml() +
         "conveyor: {benchmark: BTC}\n"
         "detectors:\n"
         "  - {name: return_spike, plugin: return_spike, config: {z_threshold: 4.0}" + extra + "}\n" +
         detectors +
         "experts:\n"
         "  - {name: momentum, plugin: momentum, config: {}" + extra + "}\n"
         "  - {name: anomaly, plugin: anomaly, config: {}" + extra + "}\n"
         "risk:\n"
         "  - {name: confidence_gate, plugin: confidence_gate, config: {min_confidence: 0.1}" + extra + "}\n"
         "  - {name: confidence_sizing, plugin: confidence_sizing, config: {}" + extra + "}\n" +
         risk +
         "  - {name: notional_cap, plugin: notional_cap, config: {max_notional_usd: 50000}" + extra + "}\n"
         "consensus:\n"
         "  weights: {momentum: 0.5, anomaly: 0.5}\n"
         "  threshold: 0.55\n"
         "  min_confidence: 0.1\n"
         "execution: {mode: paper, order_notional_usd: 2000, slippage_bps: 1, fill: next_open}\n";
}

HostRun run_yaml(const ScratchDir& dir, const std::string& yaml) {
  write_file(dir / "host.yaml", yaml);
  return run_host({"--config", (dir / "host.yaml").string()}, dir.path());
}

std::string hostile_risk_item(const std::string& settings, const std::string& keys) {
  return "  - {name: hostile, plugin: '" + test_plugin("hostile_risk").string() + "', config: " +
         settings + keys + "}\n";
}

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

int64_t counter(const json& summary, const std::string& name) {
  return summary["counters"].contains(name) ? summary["counters"][name].get<int64_t>() : -1;
}

}  // namespace

TEST_CASE("isolated detector experts and risk policies decide exactly as in process",
          "[hostile][isolation]") {
  ScratchDir in_proc("iso_same_in");
  ScratchDir isolated("iso_same_out");
  const HostRun a = run_yaml(in_proc, decision_yaml(""));
  INFO(a.err);
  REQUIRE(a.exit_code == 0);
  // Every plugin isolated, the replay provider included.
  std::string yaml = decision_yaml(", isolation: process");
  const std::string provider = "    plugin: replay\n";
  yaml.replace(yaml.find(provider), provider.size(), provider + "    isolation: process\n");
  const HostRun b = run_yaml(isolated, yaml);
  INFO(b.err);
  REQUIRE(b.exit_code == 0);

  const json sa = summary_json(in_proc / "out");
  const json sb = summary_json(isolated / "out");
  CHECK(sa["decision"]["intents"].get<uint64_t>() > 0);
  CHECK(sb["digest"] == sa["digest"]);
  CHECK(read_file(isolated / "out/decisions.jsonl") == read_file(in_proc / "out/decisions.jsonl"));
  CHECK(read_file(isolated / "out/trades.csv") == read_file(in_proc / "out/trades.csv"));
  CHECK(sb["detector_hits"] == sa["detector_hits"]);
  CHECK(counter(sb, "return_spike.isolation_faults") == 0);
  CHECK(counter(sb, "notional_cap.isolation_restarts") == 0);
  CHECK(counter(sb, "sample.isolation_faults") == 0);
  CHECK(sb["events_in"] == sa["events_in"]);
  CHECK(b.err.find("isolated") == std::string::npos);  // no fault, no restart
}

TEST_CASE("a segfaulting isolated risk policy fails closed and the run completes",
          "[hostile][isolation]") {
  ScratchDir dir("iso_segv_risk");
  const HostRun r = run_yaml(
      dir, decision_yaml("", hostile_risk_item("{misbehave: segv, on_call: 2}",
                                               ", isolation: process, restart: false")));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(count_of(r.err, "component 'hostile' (isolated, pid ") == 1);  // logged once
  CHECK(r.err.find("died of SIGSEGV during evaluate(); restart: false") != std::string::npos);

  const json s = summary_json(dir / "out");
  CHECK(counter(s, "hostile.isolation_faults") == 1);
  CHECK(counter(s, "hostile.isolation_restarts") == 0);
  CHECK(counter(s, "hostile.calls") == 1);  // forwarded from the child before the crash

  size_t allowed = 0, errored = 0;
  int64_t first_error_ts = -1;
  for (const json& d : intent_lines(read_decisions(dir / "out"))) {
    const json v = policy_verdict(d, "hostile");
    if (!v.is_object()) continue;
    INFO(d.dump());
    if (v["reason"] == "POLICY_ERROR") {
      ++errored;
      if (first_error_ts < 0) first_error_ts = d["minute_ts_ns"].get<int64_t>();
      CHECK(v["action"] == "deny");
      CHECK(d["final"]["reason"] == "POLICY_ERROR");
      CHECK(v["detail"].get<std::string>().find("component 'hostile' (isolated, pid ") !=
            std::string::npos);
    } else {
      ++allowed;
      CHECK(first_error_ts < 0);  // nothing is allowed after the crash
      // The whole detail (detail_ext) and the symbol name came back from the child.
      CHECK_THAT(v["detail"].get<std::string>(),
                 Catch::StartsWith("hostile_risk allows " + d["symbol"].get<std::string>()) &&
                     Catch::EndsWith(" end"));
    }
  }
  CHECK(allowed > 0);
  CHECK(errored > 1);
}

TEST_CASE("a hanging isolated risk policy is killed at its deadline", "[hostile][isolation]") {
  ScratchDir dir("iso_hang_risk");
  const auto t0 = std::chrono::steady_clock::now();
  const HostRun r = run_yaml(
      dir, decision_yaml("", hostile_risk_item("{misbehave: hang, on_call: 2}",
                                               ", isolation: process, restart: false, "
                                               "call_timeout_ms: 300")));
  const auto took = std::chrono::steady_clock::now() - t0;
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(took < std::chrono::seconds(60));
  CHECK(r.err.find("component 'hostile' (isolated, pid ") != std::string::npos);
  CHECK(r.err.find("did not answer evaluate() within 300 ms; killed") != std::string::npos);
  const json s = summary_json(dir / "out");
  CHECK(counter(s, "hostile.isolation_faults") == 1);
  CHECK(s["decision"]["denied"]["POLICY_ERROR"].get<uint64_t>() > 0);
}

TEST_CASE("a crashed isolated risk policy is restarted and serves again", "[hostile][isolation]") {
  ScratchDir dir("iso_restart_risk");
  const std::string marker = (dir / "crashed-once").string();
  const HostRun r = run_yaml(
      dir, decision_yaml("", hostile_risk_item("{misbehave: segv, on_call: 2, once_marker: '" +
                                                   marker + "'}",
                                               ", isolation: process")));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("died of SIGSEGV during evaluate(); restarting it (restart 1 of 5") !=
        std::string::npos);
  CHECK(r.err.find("component 'hostile' (isolated) restarted as pid ") != std::string::npos);
  const json s = summary_json(dir / "out");
  CHECK(counter(s, "hostile.isolation_faults") == 1);
  CHECK(counter(s, "hostile.isolation_restarts") == 1);

  // One erroring cycle (the crash), allowed verdicts before and after it.
  std::vector<std::string> reasons;
  int64_t last_ts = -1;
  for (const json& d : intent_lines(read_decisions(dir / "out"))) {
    const json v = policy_verdict(d, "hostile");
    if (!v.is_object() || d["minute_ts_ns"].get<int64_t>() == last_ts) continue;
    last_ts = d["minute_ts_ns"].get<int64_t>();
    reasons.push_back(v["reason"].get<std::string>());
  }
  REQUIRE(reasons.size() >= 4);
  CHECK(reasons[0] == "NONE");
  CHECK(reasons[1] == "POLICY_ERROR");
  for (size_t i = 2; i < reasons.size(); ++i) CHECK(reasons[i] == "NONE");
}

TEST_CASE("an isolated detector that exits or segfaults is a detector error and not a dead host",
          "[hostile][isolation]") {
  for (const std::string how : {"exit", "_exit", "segv"}) {
    ScratchDir dir("iso_detector_" + how);
    const std::string detector = "  - {name: hostile, plugin: '" +
                                 test_plugin("hostile_detector").string() +
                                 "', config: {misbehave: " + how +
                                 ", on_call: 5}, isolation: process, restart: false}\n";
    const HostRun r = run_yaml(dir, decision_yaml("", "", detector));
    INFO(how << ": " << r.err);
    REQUIRE(r.exit_code == 0);
    const std::string what = how == "segv" ? "died of SIGSEGV during detect()"
                                           : "exited with status 0 during detect()";
    CHECK(r.err.find("component 'hostile' (isolated, pid ") != std::string::npos);
    CHECK(r.err.find(what) != std::string::npos);
    const json s = summary_json(dir / "out");
    CHECK(counter(s, "hostile.isolation_faults") == 1);
    CHECK(counter(s, "hostile.calls") == 4);
    CHECK(s["detector_errors"].get<uint64_t>() > 0);
    CHECK(s["decision"]["intents"].get<uint64_t>() > 0);  // the rest of the host kept serving
  }
}

TEST_CASE("an isolated expert that hangs abstains from then on and the run completes",
          "[hostile][isolation]") {
  ScratchDir dir("iso_expert_hang");
  std::string yaml = decision_yaml("");
  const std::string anchor = "experts:\n";
  yaml.replace(yaml.find(anchor), anchor.size(),
               anchor + "  - {name: hostile, plugin: '" + test_plugin("hostile_expert").string() +
                   "', config: {misbehave: hang, on_call: 30}, isolation: process, "
                   "restart: false, call_timeout_ms: 200}\n");
  const std::string weights = "weights: {momentum: 0.5, anomaly: 0.5}";
  yaml.replace(yaml.find(weights), weights.size(), "weights: {momentum: 0.4, anomaly: 0.4, hostile: 0.2}");
  const HostRun r = run_yaml(dir, yaml);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("component 'hostile' (isolated, pid ") != std::string::npos);
  CHECK(r.err.find("did not answer evaluate() within 200 ms; killed; restart: false") !=
        std::string::npos);
  const json s = summary_json(dir / "out");
  CHECK(counter(s, "hostile.isolation_faults") == 1);
  CHECK(s["decision"]["expert_errors"].get<uint64_t>() > 0);
  CHECK(s["decision"]["intents"].get<uint64_t>() > 0);
}

TEST_CASE("an in-process plugin calling exit() stops the host with status 70 and is named",
          "[hostile][isolation]") {
  ScratchDir dir("iso_exit_in_process");
  const std::string detector = "  - {name: hostile, plugin: '" +
                               test_plugin("hostile_detector").string() +
                               "', config: {misbehave: exit, on_call: 3}}\n";
  const HostRun r = run_yaml(dir, decision_yaml("", "", detector));
  INFO(r.err);
  CHECK(r.exit_code == 70);
  CHECK(r.err.find("plugin 'hostile_detector' (component 'hostile') called exit() during "
                   "detect(); stopping with status 70") != std::string::npos);
}

TEST_CASE("isolation keys are checked in the component entry", "[hostile][isolation]") {
  ScratchDir dir("iso_keys");
  SECTION("restart without isolation: process") {
    const HostRun r = run_yaml(dir, decision_yaml(", restart: false"));
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("restart is for a component with isolation: process") != std::string::npos);
  }
  SECTION("an unknown isolation mode") {
    const HostRun r = run_yaml(dir, decision_yaml(", isolation: thread"));
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("isolation must be process or in_process") != std::string::npos);
  }
  SECTION("a misspelt key is suggested") {
    const HostRun r = run_yaml(dir, decision_yaml(", isolaton: process"));
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("isolation") != std::string::npos);
  }
}

TEST_CASE("a truncated .so in a plugin dir breaks neither listing nor a run",
          "[hostile][isolation]") {
  ScratchDir dir("iso_truncated_so");
  const fs::path plugins = dir / "plugins";
  fs::create_directories(plugins);
  // Headers intact, segments cut: the loader would map past the end (SIGBUS).
  const std::string full = read_file(fs::path(SH_PLUGIN_DIR) / "libmomentum.so");
  write_file(plugins / "libbroken.so", full.substr(0, full.size() / 3));
  // A plugin whose file name is not lib<name>.so: found only by a full scan.
  fs::copy_file(test_plugin("hostile_detector"), plugins / "custom_name.so");

  const HostRun list = run_host({"--list-plugins", "--json", "--plugin-dir", plugins.string()},
                                dir.path());
  INFO(list.err);
  REQUIRE(list.exit_code == 0);
  const json doc = json::parse(list.out);
  bool saw_broken = false, saw_custom = false;
  for (const json& row : doc["plugins"]) {
    const std::string path = row["path"];
    if (path.find("libbroken.so") != std::string::npos) {
      saw_broken = true;
      CHECK_THAT(row["status"].get<std::string>(),
                 Catch::StartsWith("load error: truncated or corrupt ELF: ") &&
                     Catch::Contains("past the end of the file"));
    }
    if (path.find("custom_name.so") != std::string::npos) {
      saw_custom = true;
      CHECK(row["status"] == "ok");
    }
  }
  CHECK(saw_broken);
  CHECK(saw_custom);

  // A run over the same dir: the configured plugins load (by lib<name>.so, and
  // hostile_detector by a full scan that reports the broken file as a bad entry).
  std::string yaml = decision_yaml("", "",
                                   "  - {name: hostile, plugin: hostile_detector, config: {}}\n");
  const std::string dirs = "  plugin_dirs: ['" SH_PLUGIN_DIR "']\n";
  yaml.replace(yaml.find(dirs), dirs.size(),
               "  plugin_dirs: ['" + plugins.string() + "', '" SH_PLUGIN_DIR "']\n");
  const HostRun r = run_yaml(dir, yaml);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(summary_json(dir / "out")["counters"]["hostile.calls"].get<int64_t>() > 0);
}

TEST_CASE("an isolated circuit breaker keeps its durable state across host restarts",
          "[hostile][isolation]") {
  ScratchDir dir("iso_durable_breaker");
  constexpr int64_t kSixHoursNs = int64_t{6} * 3600 * 1000000000;
  DecisionConfig cfg = breaker_trip_config();
  cfg.risk = "  - {name: breaker, plugin: circuit_breaker, config: {}, isolation: process}\n";
  auto open_denials = [&](int64_t from_ts) {
    std::map<std::string, size_t> out;
    for (const json& d : intent_lines(read_decisions(dir / "out"))) {
      if (d["minute_ts_ns"].get<int64_t>() < from_ts) continue;
      const json v = policy_verdict(d, "breaker");
      if (v.is_object() && v["reason"] == "CIRCUIT_OPEN") ++out[v["detail"].get<std::string>()];
    }
    return out;
  };
  const HostRun first = run_decision(dir, cfg);
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  // The plugin's log line came back from the child, attributed to the component.
  CHECK(first.err.find("[breaker] circuit CLOSED -> OPEN: VaR ") != std::string::npos);
  const auto first_denials = open_denials(0);
  REQUIRE(first_denials.size() == 1);
  const int64_t last_minute =
      json::parse(lines(read_file(dir / "out/decisions.jsonl")).back())["minute_ts_ns"].get<int64_t>();

  // save_state went through the channel every minute; load_state comes back through it.
  cfg.providers = shifted_sample_providers_yaml(dir.path(), kSixHoursNs);
  const HostRun second = run_decision(dir, cfg);
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  CHECK(second.err.find("component 'breaker': state restored from the store") != std::string::npos);
  CHECK(second.err.find("circuit CLOSED -> OPEN") == std::string::npos);
  const auto second_denials = open_denials(last_minute + 1);
  REQUIRE(second_denials.size() == 1);
  CHECK(second_denials.begin()->first == first_denials.begin()->first);
}

TEST_CASE("SIGTERM ends a host whose isolated plugin hangs within 2 s", "[hostile][isolation]") {
  ScratchDir dir("iso_sigterm_hang");
  write_file(dir / "host.yaml",
             decision_yaml("", hostile_risk_item("{misbehave: hang, on_call: 2}",
                                                 ", isolation: process, call_timeout_ms: 600000")));
  BackgroundHost host = start_host({"--config", (dir / "host.yaml").string()}, dir.path(), "host");
  // The sample session reaches its second decision cycle well within this.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(::kill(host.pid, SIGTERM) == 0);
  const int code = wait_host(host, std::chrono::seconds(30));
  const auto took = std::chrono::steady_clock::now() - t0;
  const std::string err = read_file(host.err);
  INFO(err);
  CHECK(code == 0);
  CHECK(took < std::chrono::seconds(2));
  CHECK(err.find("component 'hostile' (isolated, pid ") != std::string::npos);
  CHECK(err.find("did not answer evaluate() within 500 ms; killed") != std::string::npos);
  CHECK(fs::exists(dir / "out/run_summary.json"));
}

TEST_CASE("a library that crashes or exits while loading is a bad entry and never a dead host",
          "[hostile][isolation]") {
  ScratchDir dir("iso_load_crash");
  const fs::path plugins = dir / "plugins";
  fs::create_directories(plugins);
  for (const char* f : {"libcrash_on_load.so", "libexit_on_load.so"}) {
    fs::copy_file(fs::path(SH_HOSTILE_PLUGIN_DIR) / f, plugins / f);
  }
  fs::copy_file(test_plugin("hostile_detector"), plugins / "custom_name.so");

  const HostRun list = run_host({"--list-plugins", "--json", "--plugin-dir", plugins.string()},
                                dir.path());
  INFO(list.err);
  REQUIRE(list.exit_code == 0);
  std::map<std::string, std::string> status;
  const json doc = json::parse(list.out);
  for (const json& row : doc["plugins"]) {
    status[fs::path(row["path"].get<std::string>()).filename().string()] = row["status"];
  }
  CHECK(status["libcrash_on_load.so"] ==
        "load error: " + (plugins / "libcrash_on_load.so").string() +
            ": crashed while loading (SIGSEGV; probed in a child process)");
  CHECK(status["libexit_on_load.so"] ==
        "load error: " + (plugins / "libexit_on_load.so").string() +
            ": exited with status 0 while loading (probed in a child process)");
  CHECK(status["custom_name.so"] == "ok");

  // Runs over the same dir: by lib<name>.so (the bad files are never opened),
  // and with a plugin found only by the full scan (the bad files are probed).
  for (const std::string plugin : {"return_spike", "hostile_detector"}) {
    std::string yaml = decision_yaml("", "", "  - {name: extra, plugin: " + plugin + ", config: {}}\n");
    const std::string dirs = "  plugin_dirs: ['" SH_PLUGIN_DIR "']\n";
    yaml.replace(yaml.find(dirs), dirs.size(),
                 "  plugin_dirs: ['" + plugins.string() + "', '" SH_PLUGIN_DIR "']\n");
    const HostRun r = run_yaml(dir, yaml);
    INFO(plugin << ": " << r.err);
    CHECK(r.exit_code == 0);
    CHECK(fs::exists(dir / "out/run_summary.json"));
  }

  // An isolated component's own file loads in a child before the host reads
  // its descriptor: a crash there refuses the start with the reason.
  const HostRun bad = run_yaml(
      dir, decision_yaml("", "", "  - {name: bad, plugin: '" + (plugins / "libcrash_on_load.so").string() +
                                     "', config: {}, isolation: process}\n"));
  INFO(bad.err);
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("component 'bad': ") != std::string::npos);
  CHECK(bad.err.find("crashed while loading (SIGSEGV; probed in a child process)") != std::string::npos);
}
