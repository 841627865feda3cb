// [hostile][config] Configs written wrong on purpose or by accident: a
// misspelt section is refused (never skipped: `risks:` would mean a run with
// no risk chain), with FILE:LINE:COL and a suggestion; duplicate keys at any
// depth; alias bombs, deep nesting and oversized documents are refused
// quickly, at start-up, by --validate-config and in a reload's config file;
// errors name keys as the user wrote them.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "config/config_keys.h"
#include "control/swap_coordinator.h"
#include "config/host_config.h"
#include "config/pipeline_config.h"
#include "services/host_services.h"
#include "test_host_support.h"

using sh::host::ConfigError;
using sh::host::HostConfig;
using namespace sh_test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

std::string load_error(const std::string& yaml) {
  try {
    HostConfig::load_string(yaml, "cfg.yaml", "/base");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// Nine levels of ten aliases each: 1 KB of text, 10^9 nodes expanded.
std::string alias_bomb() {
  std::string y = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    const std::string p = "*a" + std::to_string(i - 1);
    y += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + p;
    for (int k = 1; k < 10; ++k) y += ", " + p;
    y += "]\n";
  }
  return y;
}

}  // namespace

TEST_CASE("a misspelt top-level section is refused with a suggestion, never skipped",
          "[hostile][config]") {
  CHECK(load_error("risks:\n  - {name: kill_switch, plugin: kill_switch}\n") ==
        "cfg.yaml:1:1: unknown key 'risks' in the config's top level (did you mean 'risk'? "
        "expected one of: host, providers, detectors, experts, risk, consensus, execution, "
        "conveyor, events, sinks, redis, control, state, backup, market_data, alerts, daily_report, history, features)");
  CHECK_THAT(load_error("host: {mode: replay}\ndetector: []\n"),
             StartsWith("cfg.yaml:2:1: unknown key 'detector' in the config's top level (did you "
                        "mean 'detectors'?"));
  CHECK_THAT(load_error("exprts: []\n"), Contains("(did you mean 'experts'?"));
  // Nothing close: no guess, only the list.
  CHECK_THAT(load_error("portfolio: {}\n"),
             StartsWith("cfg.yaml:1:1: unknown key 'portfolio' in the config's top level (expected one of: "));
  // Every section the README documents is accepted.
  CHECK(load_error("host: {mode: replay}\nproviders: []\ndetectors: []\nexperts: []\nrisk: []\n"
                   "consensus: {}\nexecution: {}\nconveyor: {}\nevents: {}\nsinks: {}\n"
                   "redis: {}\ncontrol: {}\nstate: {}\n") == "");
}

TEST_CASE("keys inside sections get the same suggestion", "[hostile][config]") {
  CHECK(sh::host::unknown_key_message("lateness", "conveyor:", {"bar_interval_ms", "lateness_ms"}) ==
        "unknown key 'lateness' in conveyor: (did you mean 'lateness_ms'? expected one of: "
        "bar_interval_ms, lateness_ms)");
  CHECK(sh::host::closest_key("mdoe", {"mode", "log"}) == "mode");        // a swap
  CHECK(sh::host::closest_key("plugin_dir", {"plugin_dirs"}) == "plugin_dirs");
  CHECK(sh::host::closest_key("zzz", {"mode", "log"}).empty());
}

TEST_CASE("duplicate keys are refused at any depth", "[hostile][config]") {
  CHECK(load_error("detectors:\n  - name: a\n    plugin: p\n    config:\n      nested: {k: 1, k: 2}\n") ==
        "cfg.yaml:5:22: duplicate key 'k'");
  CHECK(load_error("conveyor:\n  lateness_ms: 1\n  lateness_ms: 2\n") == "cfg.yaml:3:3: duplicate key 'lateness_ms'");
}

TEST_CASE("an alias bomb, deep nesting and an oversized document are refused quickly",
          "[hostile][config]") {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string bomb = alias_bomb();
  REQUIRE(bomb.size() < 1024);
  CHECK_THAT(load_error(bomb), Contains("expands to more than 1000000 nodes (aliases expanded; a YAML alias bomb?)"));
  CHECK_THAT(load_error("x: " + std::string(100000, '[') + std::string(100000, ']') + "\n"),
             StartsWith("cfg.yaml:1:68: nesting deeper than 64 levels"));
  // Brackets inside quotes and comments are text.
  CHECK(load_error("host: {mode: replay}  # [[[[[[\nsinks: {jsonl: '" + std::string(200, '[') + "'}\n")
            .find("nesting") == std::string::npos);
  CHECK_THAT(load_error("a: 1\n" + std::string(5u << 20, '#')),
             StartsWith("cfg.yaml: 5242885 bytes, over the 4 MiB limit of a config document"));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
}

TEST_CASE("a reload's config file is loaded under the same bounds", "[hostile][config][reload]") {
  ScratchDir dir("hostile_reload_yaml");
  write_file(dir / "bomb.yaml", alias_bomb());
  write_file(dir / "dup.yaml", "threshold: 1\nthreshold: 2\n");
  auto error_of = [](const fs::path& p) -> std::string {
    try {
      sh::host::load_config_map(p);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  };
  CHECK_THAT(error_of(dir / "bomb.yaml"), StartsWith((dir / "bomb.yaml").string() + ":"));
  CHECK_THAT(error_of(dir / "bomb.yaml"), Contains("a YAML alias bomb?"));
  CHECK(error_of(dir / "dup.yaml") == (dir / "dup.yaml").string() + ":2:1: duplicate key 'threshold'");
}

TEST_CASE("conveyor errors name the keys as written", "[hostile][config]") {
  ScratchDir dir("hostile_config_keys");
  write_file(dir / "neg.yaml", "conveyor:\n  lateness_ms: -5\n");
  const HostRun r = run_host({"--validate-config", "--config", "neg.yaml"}, dir.path());
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("neg.yaml:2:16: conveyor.lateness_ms must be >= 0"));
  CHECK(r.err.find("lateness_ns") == std::string::npos);
  write_file(dir / "huge.yaml", "conveyor:\n  bar_interval_ms: 99999999999999\n");
  const HostRun h = run_host({"--validate-config", "--config", "huge.yaml"}, dir.path());
  CHECK(h.exit_code == 1);
  CHECK_THAT(h.err, Contains("huge.yaml:2:20: conveyor.bar_interval_ms is out of range"));
}

TEST_CASE("host --validate-config and a run refuse `risks:` instead of trading without a risk chain",
          "[hostile][config]") {
  ScratchDir dir("hostile_config_risks");
  write_file(dir / "typo.yaml",
             sample_providers_yaml() +
                 "experts:\n  - {name: momentum, plugin: momentum, config: {}}\n"
                 "risks:\n  - {name: kill_switch, plugin: kill_switch, config: {}}\n");
  for (const auto& args : {std::vector<std::string>{"--validate-config", "--config", "typo.yaml"},
                           std::vector<std::string>{"--config", "typo.yaml"}}) {
    const HostRun r = run_host(args, dir.path());
    INFO(r.err);
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Contains("typo.yaml:"));
    CHECK_THAT(r.err, Contains("unknown key 'risks' in the config's top level (did you mean 'risk'?"));
    CHECK(r.out.find("run summary") == std::string::npos);
    CHECK_FALSE(fs::exists(dir / "out/decisions.jsonl"));
  }
}

TEST_CASE("a run that cannot load a plugin by name says why, not only where to look",
          "[hostile][config]") {
  ScratchDir dir("hostile_plugin_reason");
  write_file(dir / "cfg.yaml", std::string("host: {mode: replay, plugin_dirs: ['") + SH_TEST_PLUGIN_DIR +
                                   "']}\n"
                                   "detectors:\n"
                                   "  - {name: d, plugin: abi_major_2, config: {}}\n"
                                   "  - {name: e, plugin: nosuch, config: {}}\n");
  const HostRun r = run_host({"--validate-config", "--config", "cfg.yaml"}, dir.path());
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("component 'd': plugin 'abi_major_2': " + test_plugin("abi_major_2").string() +
                             ": incompatible: plugin ABI 2.0, host ABI 1.6"));
  CHECK_THAT(r.err, Contains("component 'e': no plugin named 'nosuch' in "));
  CHECK_THAT(r.err, Contains("failed to load: libabi_major_2.so: incompatible: plugin ABI 2.0, host ABI 1.6"));
}

TEST_CASE("a map or list where a name belongs is an error at that line, not an escaped YAML exception",
          "[hostile][config]") {
  // Found by fuzz_config: `symbols: [{a: 1}]` escaped as yaml-cpp's "bad conversion".
  const char* cases[][2] = {
      {"events:\n  canary:\n    symbols: [{a: 1}]\n", "cfg.yaml:3:15: list item: expected a name"},
      {"events:\n  ? [x]\n  : 1\n", "cfg.yaml:2:5: events key: expected a name"},
      {"market_data:\n  symbols:\n    ? {a: 1}\n    : {max_jump_bps: 5}\n",
       "cfg.yaml:3:7: market_data.symbols key: expected a name"},
  };
  for (const auto& c : cases) {
    INFO(c[0]);
    std::string err;
    try {
      const HostConfig config = HostConfig::load_string(c[0], "cfg.yaml", "/base");
      sh::host::HostRuntime runtime;
      sh::host::parse_pipeline_config(config, runtime);
    } catch (const ConfigError& e) {
      err = e.what();
    }
    CHECK_THAT(err, StartsWith(c[1]));
  }
}
