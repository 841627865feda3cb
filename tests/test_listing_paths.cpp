// [cli][paths] Listings people can read (--list-plugins within 100 columns,
// --verbose with paths, hashes and capabilities, --json with each plugin's
// schema and defaults) and paths that behave (host.plugin_dirs add to the
// built-in dir; "format": "path" fields of a plugin's config resolve against
// the config file's directory, from any working directory).
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "config/config_paths.h"
#include "config/host_config.h"
#include "config/schema_validator.h"
#include "test_host_support.h"

using namespace sh_test;
using json = nlohmann::json;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::StartsWith;

namespace {

size_t columns(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// The listed row whose first cell is `name` ("" when none).
std::string row_named(const std::string& out, const std::string& name) {
  for (const auto& l : lines(out)) {
    if (l.rfind(name + " ", 0) == 0) return l;
  }
  return "";
}

void fill_test_plugins(const fs::path& dir) {
  fs::create_directories(dir);
  for (const char* name : {"good_detector", "good_provider", "abi_major_2", "missing_function"}) {
    fs::copy_file(test_plugin(name), dir / ("lib" + std::string(name) + ".so"));
  }
  write_file(dir / "garbage.so", "not a library\n");
}

}  // namespace

TEST_CASE("host --list-plugins fits 100 columns and cuts long descriptions with an ellipsis",
          "[cli][listing]") {
  ScratchDir dir("listing_width");
  fill_test_plugins(dir / "plugins");
  SECTION("the shipped plugins and rules, from the repository root") {
    const HostRun r = run_host({"--list-plugins"}, SH_SOURCE_DIR);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const auto ls = lines(r.out);
    REQUIRE(ls.size() > 20);
    for (const auto& l : ls) {
      INFO(l);
      CHECK(columns(l) <= 100);
    }
    CHECK_THAT(ls[0], StartsWith("NAME"));
    CHECK(ls[0].find("KIND") < ls[0].find("VERSION"));
    CHECK(ls[0].find("VERSION") < ls[0].find("STATUS"));
    CHECK(ls[0].find("STATUS") < ls[0].find("DESCRIPTION"));
    // No paths, hashes or config keys in the short listing.
    CHECK(r.out.find(SH_PLUGIN_DIR) == std::string::npos);
    CHECK(r.out.find("SHA256") == std::string::npos);
    const std::string replay = row_named(r.out, "replay");
    CHECK_THAT(replay, Contains(" provider "));
    CHECK_THAT(replay, Contains(" ok "));
    // kill_switch's description is longer than the room left for it.
    const std::string kill = row_named(r.out, "kill_switch");
    CHECK_THAT(kill, StartsWith("kill_switch"));
    CHECK_THAT(kill, EndsWith("\u2026"));
    CHECK(columns(kill) <= 100);
    CHECK_THAT(kill, Contains("Denies every intent"));
    // Columns line up: STATUS in the header sits above "ok".
    CHECK(columns(ls[0].substr(0, ls[0].find("STATUS"))) ==
          columns(replay.substr(0, replay.find(" ok ") + 1)));
  }
  SECTION("files that are not good plugins: the kind of failure, the reason where the "
          "description goes, the file name for a nameless row") {
    const HostRun r =
        run_host({"--list-plugins", "--plugin-dir", (dir / "plugins").string()}, dir.path());
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const auto ls = lines(r.out);
    REQUIRE(ls.size() == 6);  // header + 5 files
    for (const auto& l : ls) CHECK(columns(l) <= 100);
    const std::string major = row_named(r.out, "libabi_major_2.so");
    CHECK_THAT(major, Contains(" incompatible "));
    CHECK_THAT(major, Contains("incompatible: plugin ABI"));
    CHECK_THAT(r.out, Contains(" invalid descriptor  invalid descriptor: missing"));
    CHECK_THAT(row_named(r.out, "garbage.so"), Contains(" load error "));
    CHECK_THAT(row_named(r.out, "good_detector"),
               Contains("test detector: z_ret over a threshold"));
  }
}

TEST_CASE("host --list-plugins --verbose adds paths, content hashes, capabilities and config keys",
          "[cli][listing]") {
  ScratchDir dir("listing_verbose");
  fill_test_plugins(dir / "plugins");
  const std::string plugins = (dir / "plugins").string();
  const HostRun r = run_host({"--list-plugins", "--verbose", "--plugin-dir", plugins,
                              "--plugin-dir", SH_PLUGIN_DIR},
                             dir.path());
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto ls = lines(r.out);
  REQUIRE(ls.size() > 5);
  CHECK_THAT(ls[0], StartsWith("NAME"));
  for (const char* col : {"KIND", "VERSION", "ABI", "PATH", "SHA256", "CAPABILITIES", "CONFIG",
                          "DESCRIPTION", "STATUS"}) {
    CHECK_THAT(ls[0], Contains(col));
  }
  // The hashes are those of --json.
  const HostRun j = run_host({"--list-plugins", "--json", "--plugin-dir", plugins, "--plugin-dir",
                              SH_PLUGIN_DIR},
                             dir.path());
  REQUIRE(j.exit_code == 0);
  std::map<std::string, json> by_name;
  const json jdoc = json::parse(j.out);
  for (const auto& row : jdoc["plugins"]) by_name[row["name"]] = row;
  const std::string good_sha = by_name.at("good_detector")["sha256"];
  CHECK(good_sha.size() == 64);

  const std::string good = row_named(r.out, "good_detector");
  CHECK_THAT(good, Contains((dir / "plugins/libgood_detector.so").string()));
  CHECK_THAT(good, Contains(good_sha));
  CHECK_THAT(good, Contains(" set_config "));
  CHECK_THAT(good, Contains("threshold,label,symbols"));
  CHECK_THAT(good, Contains("test detector: z_ret over a threshold"));
  // A durable-state plugin says so; the full description is not cut.
  CHECK_THAT(row_named(r.out, "circuit_breaker"), Contains("state"));
  CHECK_THAT(row_named(r.out, "kill_switch"),
             Contains("Denies every intent that adds exposure while the kill-switch file exists"));
  // A failed file keeps its whole status.
  CHECK_THAT(r.out, Contains("incompatible: plugin ABI 2.0, host ABI 1.6"));
  // Columns line up.
  CHECK(ls[0].find("PATH") == good.find((dir / "plugins/libgood_detector.so").string()));

  const HostRun bad = run_host({"--verbose"}, dir.path());
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Contains("--verbose only applies to --list-plugins"));
}

TEST_CASE("host --list-plugins --json carries each plugin's config schema and its defaults",
          "[cli][listing]") {
  ScratchDir dir("listing_json_schema");
  fill_test_plugins(dir / "plugins");
  const HostRun r = run_host({"--list-plugins", "--json", "--plugin-dir", (dir / "plugins").string(),
                              "--plugin-dir", SH_PLUGIN_DIR},
                             dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(lines(r.out).size() == 1);
  std::map<std::string, json> by_name;
  const json doc = json::parse(r.out);
  for (const auto& row : doc["plugins"]) {
    for (const char* f : {"sha256", "capabilities", "config_schema", "defaults"}) {
      CHECK(row.contains(f));
    }
    CHECK(row["defaults"].is_object());
    if (row["status"] == "ok") {
      CHECK(row["config_schema"].is_object());
      CHECK(row["sha256"].get<std::string>().size() == 64);
    } else {
      CHECK(row["config_schema"].is_null());
    }
    if (!row["name"].get<std::string>().empty()) by_name[row["name"]] = row;
  }
  const json& replay = by_name.at("replay");
  CHECK(replay["config_schema"]["type"] == "object");
  CHECK(replay["config_schema"]["properties"]["files"]["items"]["properties"]["path"]["format"] ==
        "path");
  CHECK(replay["defaults"] == json::parse(R"({"max_future_s": 86400, "l2_levels": 10,
                                              "bar_duration_s": 60, "log_limit_per_reason": 20})"));
  const json& kill = by_name.at("kill_switch");
  CHECK(kill["defaults"] == json::parse(R"({"path": "state/KILL_SWITCH", "block_reductions": false})"));
  CHECK(kill["capabilities"] == json::array({"set_config"}));
  CHECK(by_name.at("circuit_breaker")["capabilities"] == json::array({"set_config", "state"}));
  const json& good = by_name.at("good_detector");
  CHECK(good["defaults"] == json::object());
  CHECK(good["config_schema"]["required"] == json::array({"threshold"}));
  // The schema keeps the author's key order.
  const std::string raw = r.out.substr(r.out.find("{\"name\":\"good_detector\""));
  CHECK_THAT(raw, Contains("\"config_schema\":{\"type\":\"object\",\"properties\":{\"threshold\":"));
}

TEST_CASE("host.plugin_dirs add to the built-in plugin dir and host.builtin_plugins: false drops it",
          "[config][paths]") {
  ScratchDir dir("paths_plugin_dirs");
  fill_test_plugins(dir / "mine");
  const std::string cfg =
      "host: {plugin_dirs: [mine]%s}\n"
      "providers:\n  - {name: feed, plugin: replay, config: {dir: data}}\n"
      "detectors:\n  - {name: spike, plugin: good_detector, config: {threshold: 2.5}}\n";
  fs::create_directories(dir / "data");
  write_file(dir / "data/trades.csv", "ts,symbol,price,size,side,trade_id,recv_ts\n"
                                     "1704153603314230634,BTC,100,1,buy,1,1704153603381230634\n");
  auto with = [&](const std::string& extra) {
    std::string text = cfg;
    text.replace(text.find("%s"), 2, extra);
    return text;
  };
  write_file(dir / "both.yaml", with(""));
  const HostRun ok = run_host({"--validate-config", "--config", "both.yaml"}, dir.path());
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out == "config OK: 2 components\n");
  const HostRun list = run_host({"--list-plugins", "--json", "--config", "both.yaml"}, dir.path());
  REQUIRE(list.exit_code == 0);
  std::set<std::string> names;
  const json listed = json::parse(list.out);
  for (const auto& row : listed["plugins"]) names.insert(row["name"]);
  CHECK(names.count("good_detector") == 1);
  CHECK(names.count("replay") == 1);

  const auto loaded = sh::host::HostConfig::load_file(dir / "both.yaml");
  REQUIRE(loaded.plugin_dirs().size() == 2);
  CHECK(loaded.plugin_dirs()[0] == dir / "mine");  // configured dirs first: they win
  CHECK(loaded.plugin_dirs()[1] == sh::host::default_plugin_dir());

  write_file(dir / "only.yaml", with(", builtin_plugins: false"));
  const auto only = sh::host::HostConfig::load_file(dir / "only.yaml");
  REQUIRE(only.plugin_dirs().size() == 1);
  const HostRun refused = run_host({"--validate-config", "--config", "only.yaml"}, dir.path());
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Contains("replay"));

  write_file(dir / "bad.yaml", "host: {builtin_plugins: maybe}\n");
  CHECK_THROWS_WITH(sh::host::HostConfig::load_file(dir / "bad.yaml"),
                    Contains("host.builtin_plugins: expected true or false"));
}

TEST_CASE("a config in a subdirectory names replay files relatively and runs from elsewhere",
          "[run][paths]") {
  ScratchDir dir("paths_replay_relative");
  fs::create_directories(dir / "elsewhere");
  fs::create_directories(dir / "cfg/mine");
  fs::copy_file(test_plugin("good_detector"), dir / "cfg/mine/libgood_detector.so");
  fs::create_directories(dir / "cfg/data");
  fs::copy_file(fs::path(SH_SOURCE_DIR) / "data/sample/trades.csv", dir / "cfg/data/trades.csv");
  write_file(dir / "cfg/run.yaml",
             "host: {mode: replay, state_dir: state, output_dir: out, plugin_dirs: [mine]}\n"
             "providers:\n"
             "  - name: tape\n"
             "    plugin: replay\n"
             "    config:\n"
             "      files:\n"
             "        - {path: data/trades.csv, type: trades}\n"
             "detectors:\n"
             "  - {name: seen, plugin: good_detector, config: {threshold: 1000}}\n");
  const HostRun r = run_host({"--config", "../cfg/run.yaml"}, dir / "elsewhere");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("tape.events_emitted"));
  CHECK_THAT(r.out, Contains("minutes closed"));
  CHECK_THAT(r.out, !Contains("events in          0\n"));
  CHECK(fs::exists(dir / "cfg/state"));
  CHECK_FALSE(fs::exists(dir / "elsewhere/state"));
  const HostRun check = run_host({"--validate-config", "--config", "../cfg/run.yaml"}, dir / "elsewhere");
  CHECK(check.exit_code == 0);
}

TEST_CASE("the embedded default resolves as config/default.yaml under the working directory",
          "[config][paths]") {
  const auto cfg = sh::host::HostConfig::load_embedded_default();
  CHECK(cfg.base_dir() == fs::current_path() / "config");
  CHECK(cfg.state_dir() == fs::current_path() / "state/default");
  CHECK(cfg.output_dir() == fs::current_path() / "out");
  // The file itself, from another working directory, validates the same.
  ScratchDir dir("paths_default_file");
  const HostRun r = run_host(
      {"--validate-config", "--config", std::string(SH_SOURCE_DIR) + "/config/default.yaml"},
      dir.path());
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, StartsWith("config OK: 19 components"));
}

TEST_CASE("the embedded default run from a directory without config/ says why its files are missing",
          "[config][paths]") {
  ScratchDir dir("paths_default_elsewhere");
  const HostRun r = run_host({}, dir.path());
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("no --config: the embedded default reads its relative paths"));
  CHECK_THAT(r.err, Contains((dir.path() / "config/default.yaml").string() + ", which does not exist"));
  // The components' own errors still name the files.
  CHECK_THAT(r.err, Contains((dir.path() / "data/sample/trades.csv").string()));
  // From a directory that has config/default.yaml there is no such warning.
  fs::create_directories(dir / "root/config");
  fs::copy_file(fs::path(SH_SOURCE_DIR) / "config/default.yaml", dir / "root/config/default.yaml");
  const HostRun v = run_host({"--validate-config"}, dir / "root");
  CHECK_THAT(v.err, !Contains("no --config"));
}

TEST_CASE("resolve_config_paths rewrites only the relative fields a schema marks as paths",
          "[config][paths]") {
  const json schema = json::parse(R"({
    "type": "object",
    "definitions": {"file": {"type": "string", "format": "path"}},
    "properties": {
      "files": {"type": "array", "items": {"type": "object", "properties": {
        "path": {"type": "string", "format": "path"}, "type": {"type": "string"}}}},
      "model": {"$ref": "#/definitions/file"},
      "ca_file": {"type": "string", "format": "path"},
      "kill": {"type": "string", "format": "path", "default": "state/KILL"},
      "name": {"type": "string", "default": "x"},
      "nested": {"type": "object", "properties": {"dir": {"type": "string", "format": "path"}}},
      "maps": {"type": "object", "additionalProperties": {"type": "string", "format": "path"}}
    }
  })");
  const json config = json::parse(R"({
    "files": [{"path": "data/a.csv", "type": "trades"}, {"path": "/abs/b.csv"}],
    "model": "../models/m.json", "ca_file": "", "name": "data/not_a_path",
    "nested": {"dir": "./caps"}, "maps": {"x": "m/x"}
  })");
  const json out = sh::host::resolve_config_paths(schema, config, "/cfg/dir");
  CHECK(out["files"][0]["path"] == "/cfg/dir/data/a.csv");
  CHECK(out["files"][0]["type"] == "trades");
  CHECK(out["files"][1]["path"] == "/abs/b.csv");
  CHECK(out["model"] == "/cfg/models/m.json");
  CHECK(out["ca_file"] == "");
  CHECK(out["name"] == "data/not_a_path");
  CHECK(out["nested"]["dir"] == "/cfg/dir/caps");
  CHECK(out["maps"]["x"] == "/cfg/dir/m/x");
  CHECK(out["kill"] == "/cfg/dir/state/KILL");  // a path default, resolved
  // Only path defaults are filled in.
  CHECK_FALSE(sh::host::resolve_config_paths(schema, json::object(), "/cfg").contains("name"));

  const json command = sh::host::resolve_config_paths(schema, json{{"reset", true}}, "/cfg", false);
  CHECK(command == json{{"reset", true}});
  CHECK(sh::host::resolve_config_paths(schema, config, "") == config);

  // The annotation does not trip the validator, whatever the value.
  std::string err;
  auto v = sh::host::SchemaValidator::compile(schema, &err);
  REQUIRE(v);
  CHECK_FALSE(v->validate(config));
  auto bad = v->validate(json{{"ca_file", json::array({1})}});
  REQUIRE(bad);
  CHECK_THAT(bad->to_string(), StartsWith("config.ca_file: "));

  const auto defaults = sh::host::schema_defaults(nlohmann::ordered_json::parse(schema.dump()));
  CHECK(json::parse(defaults.dump()) == json::parse(R"({"kill": "state/KILL", "name": "x"})"));
}
