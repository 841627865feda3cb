// [config] YAML config loading, YAML->JSON typing, schema errors, and
// component resolution; every error is one line starting FILE:LINE:COL.
#include <catch2/catch.hpp>

#include "plugins/component_loader.h"
#include "config/default_config.h"
#include "config/host_config.h"
#include "config/schema_validator.h"
#include "test_host_support.h"
#include "config/yaml_json.h"

using nlohmann::json;
using sh::host::ConfigError;
using sh::host::HostConfig;
using sh_test::ScratchDir;

namespace {

std::string load_error(const std::string& yaml, const std::string& name = "cfg.yaml") {
  try {
    HostConfig::load_string(yaml, name, "/base");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("the host section and component lists are parsed with paths resolved", "[config]") {
  const auto c = HostConfig::load_string(R"(
host:
  mode: shadow
  plugin_dirs: [../plugins, /abs/plugins]
  rule_dirs: [lua]
  state_dir: state/x
  log: {level: debug, format: json, file: host.log}
providers:
  - name: feed
    plugin: replay
    config: {files: [a.csv]}
detectors:
  - name: spike
    plugin: ./libs/libspike.so
conveyor: {lateness_ms: 1500}
)",
                                         "cfg.yaml", "/etc/sh");
  CHECK(c.mode() == sh::host::RunMode::kShadow);
  // The configured dirs, then the built-in one (they add to it).
  CHECK(c.plugin_dirs() == std::vector<std::filesystem::path>{"/etc/plugins", "/abs/plugins",
                                                              sh::host::default_plugin_dir()});
  CHECK(c.rule_dirs() == std::vector<std::filesystem::path>{"/etc/sh/lua"});
  CHECK(c.state_dir() == "/etc/sh/state/x");
  CHECK(c.output_dir() == "/etc/sh/out");
  CHECK(c.log().level == "debug");
  CHECK(c.log().format == "json");
  CHECK(c.log().file == "/etc/sh/host.log");
  REQUIRE(c.providers().size() == 1);
  CHECK(c.providers()[0].config == json{{"files", {"a.csv"}}});
  REQUIRE(c.detectors().size() == 1);
  CHECK(c.detectors()[0].plugin_path == "/etc/sh/libs/libspike.so");
  CHECK(c.detectors()[0].config == json::object());
  CHECK(c.components().size() == 2);
  CHECK(c.find_component("spike")->kind == SH_KIND_DETECTOR);
  // Other modules' sections stay available, with locations for their errors.
  const YAML::Node& root = c.root();
  CHECK(root["conveyor"]["lateness_ms"].as<int>() == 1500);
  CHECK(c.message_at(root["conveyor"]["lateness_ms"], "too late") == "cfg.yaml:15:25: too late");
}

TEST_CASE("without plugin_dirs the host looks next to its executable", "[config]") {
  const auto c = HostConfig::load_string("host: {mode: replay}\n", "cfg.yaml", "/x");
  REQUIRE(c.plugin_dirs().size() == 1);
  CHECK(c.plugin_dirs()[0] == sh::host::default_plugin_dir());
  CHECK(c.plugin_dirs()[0].filename() == "plugins");
}

TEST_CASE("config errors are one line with FILE:LINE:COL", "[config]") {
  CHECK(load_error("host:\n  mode: [unclosed\n") == "cfg.yaml:3:1: end of sequence flow not found");
  CHECK(load_error("host:\n  mode: replay\n  plugin_dir: [x]\n") ==
        "cfg.yaml:3:3: unknown key 'plugin_dir' in host: (did you mean 'plugin_dirs'? expected one of: mode, plugin_dirs, "
        "builtin_plugins, rule_dirs, state_dir, output_dir, log, watchdog_ms, heartbeat_ms, http)");
  CHECK(load_error("host:\n  mode: live\n") ==
        "cfg.yaml:2:9: host.mode: unknown mode 'live' (expected dry-run, shadow, canary, "
        "production or replay)");
  CHECK(load_error("host:\n  log: {format: xml}\n") ==
        "cfg.yaml:2:17: host.log.format: unknown format 'xml' (expected text or json)");
  CHECK(load_error("detectors:\n  - name: a\n    plugin: p\nrisk:\n  - name: a\n    plugin: q\n") ==
        "cfg.yaml:5:11: duplicate component name 'a' (first defined at cfg.yaml:2:5)");
  CHECK(load_error("detectors:\n  - name: Bad-Name\n    plugin: p\n") ==
        "cfg.yaml:2:11: detectors: component name must match [a-z0-9_]+");
  CHECK(load_error("detectors:\n  - name: a\n    plugin: p\n    confg: {}\n") ==
        "cfg.yaml:4:5: unknown key 'confg' in a detectors entry (did you mean 'config'? expected one of: name, plugin, "
        "config, isolation, restart, max_restarts, call_timeout_ms)");
  CHECK(load_error("detectors:\n  - name: a\n    plugin: p\n    config: {x: 1, x: 2}\n") ==
        "cfg.yaml:4:20: duplicate key 'x'");
  CHECK(load_error("host:\n  mode: replay\n  mode: shadow\n") ==
        "cfg.yaml:3:3: duplicate key 'mode'");
  CHECK(load_error("detectors:\n  - name: a\n    plugin: p\n    plugin: q\n") ==
        "cfg.yaml:4:5: duplicate key 'plugin'");
  CHECK(load_error("detectors: []\ndetectors: []\n") == "cfg.yaml:2:1: duplicate key 'detectors'");
  CHECK(load_error("detectors: {name: a}\n") ==
        "cfg.yaml:1:12: detectors: expected a list of components ({name, plugin, config})");
  CHECK(load_error("- just\n- a list\n") ==
        "cfg.yaml:1:1: the config must be a mapping (host:, providers:, detectors:, ...)");
}

TEST_CASE("a missing config file is reported by name", "[config]") {
  try {
    HostConfig::load_file("/nonexistent/cfg.yaml");
    FAIL("expected ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) == "/nonexistent/cfg.yaml: cannot read config file");
  }
}

TEST_CASE("plain YAML scalars are typed, quoted ones stay strings", "[config]") {
  const YAML::Node n = YAML::Load(R"(
a: 12
b: -7
c: 2.5
d: 1e3
e: true
f: ~
g: "12"
h: 'true'
i: on
j: 0x1f
k: .inf
l: hello world
m: [1, "2", x]
n:
o: 1.2.3
)");
  const sh::host::ConfigSource src("t.yaml", "/");
  const json j = sh::host::yaml_to_json(n, src);
  CHECK(j["a"] == 12);
  CHECK(j["a"].is_number_integer());
  CHECK(j["b"] == -7);
  CHECK(j["c"] == 2.5);
  CHECK(j["d"].is_number_float());
  CHECK(j["d"] == 1000.0);
  CHECK(j["e"] == true);
  CHECK(j["f"].is_null());
  CHECK(j["g"] == "12");
  CHECK(j["h"] == "true");
  CHECK(j["i"] == "on");
  CHECK(j["j"] == 31);
  CHECK(std::isinf(j["k"].get<double>()));
  CHECK(j["l"] == "hello world");
  CHECK(j["m"] == json{1, "2", "x"});
  CHECK(j["n"].is_null());
  CHECK(j["o"] == "1.2.3");
}

TEST_CASE("schema errors name the field path and what was expected", "[config]") {
  std::string err;
  auto v = sh::host::SchemaValidator::compile(json::parse(R"({
    "type": "object",
    "properties": {
      "threshold": {"type": "number", "minimum": 0, "maximum": 10},
      "mode": {"enum": ["a", "b"]},
      "files": {"type": "array", "items": {
        "type": "object",
        "properties": {"path": {"type": "string"}},
        "required": ["path"]}},
      "n": {"type": ["integer", "null"]}
    },
    "required": ["threshold"],
    "additionalProperties": false
  })"),
                                              &err);
  REQUIRE(v);
  auto check = [&](const json& value) {
    auto e = v->validate(value);
    return e ? e->to_string("config") : std::string("ok");
  };
  CHECK(check(json{{"threshold", 1}}) == "ok");
  CHECK(check(json{{"threshold", "x"}}) == "config.threshold: expected number, got string");
  CHECK(check(json{{"threshold", 11}}) == "config.threshold: must be <= 10, got 11");
  CHECK(check(json{{"threshold", 1}, {"mode", "c"}}) ==
        "config.mode: must be one of [\"a\",\"b\"], got \"c\"");
  CHECK(check(json::object()) == "config: missing required property 'threshold'");
  CHECK(check(json{{"threshold", 1}, {"thresh", 2}}) ==
        "config.thresh: unknown property (allowed: files, mode, n, threshold)");
  CHECK(check(json{{"threshold", 1}, {"files", {{{"path", 3}}}}}) ==
        "config.files[0].path: expected string, got integer");
  CHECK(check(json{{"threshold", 1}, {"files", {json::object()}}}) ==
        "config.files[0]: missing required property 'path'");
  CHECK(check(json{{"threshold", 1}, {"n", 1.5}}) ==
        "config.n: expected integer or null, got number");

  CHECK_FALSE(sh::host::SchemaValidator::compile(json::array(), &err));
}

TEST_CASE("components resolve to plugins of the right kind with located errors", "[config]") {
  ScratchDir dir("config_components");
  const std::string plugin_dir = SH_TEST_PLUGIN_DIR;
  sh_test::write_file(dir / "cfg.yaml", "host:\n  plugin_dirs: [" + plugin_dir + "]\n" + R"(
detectors:
  - name: spike
    plugin: good_detector
    config:
      threshold: "3"
      label: spike
  - name: ok_spike
    plugin: good_detector
    config: {threshold: 3}
  - name: unknown_plugin
    plugin: no_such_plugin
  - name: newer
    plugin: )" + sh_test::test_plugin("abi_minor_newer").string() +
                                            R"(
risk:
  - name: wrong_kind
    plugin: good_detector
    config: {threshold: 1}
  - name: refuses
    plugin: create_fails
)");
  const auto cfg = HostConfig::load_file(dir / "cfg.yaml");
  const std::string file = (dir / "cfg.yaml").string();
  const auto catalog = sh::host::scan_plugins(cfg);
  sh::host::HostRuntime rt;
  auto loaded = sh::host::load_components(cfg, catalog, rt);
  REQUIRE(loaded.instances.size() == 1);
  CHECK(loaded.instances[0]->component() == "ok_spike");
  REQUIRE(loaded.errors.size() == 5);
  CHECK(loaded.errors[0] == file +
                                ":8:18: component 'spike' (plugin good_detector): "
                                "config.threshold: expected number, got string");
  CHECK_THAT(loaded.errors[1], Catch::StartsWith(file +
                                                 ":14:13: component 'unknown_plugin': "
                                                 "no plugin named 'no_such_plugin' in " +
                                                 plugin_dir));
  CHECK(loaded.errors[2] ==
        file + ":16:13: component 'newer': " + sh_test::test_plugin("abi_minor_newer").string() +
            ": incompatible: plugin ABI 1.99, host ABI 1.6");
  CHECK(loaded.errors[3] == file +
                                ":19:13: component 'wrong_kind' is listed under risk: but "
                                "plugin 'good_detector' is a detector");
  CHECK(loaded.errors[4] == file +
                                ":22:13: component 'refuses' is listed under risk: but "
                                "plugin 'create_fails' is a detector");
}

TEST_CASE("the embedded default config is compiled in and parses", "[config]") {
  const auto text = sh::host::embedded_default_config();
  CHECK(text == sh_test::read_file(std::filesystem::path(SH_SOURCE_DIR) / "config/default.yaml"));
  const auto cfg = HostConfig::load_embedded_default();
  CHECK(cfg.embedded());
  // As if read from config/default.yaml under the working directory.
  CHECK(cfg.base_dir() == std::filesystem::current_path() / "config");
}
