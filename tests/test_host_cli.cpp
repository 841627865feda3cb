// [cli] The real `host` binary: help, version, --list-plugins, --validate-config, run.
#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_host_support.h"

using nlohmann::json;
using sh_test::HostRun;
using sh_test::run_host;
using sh_test::ScratchDir;
using sh_test::test_plugin;
namespace fs = std::filesystem;

namespace {

const char* const kTestPlugins[] = {"abi_major_2",      "abi_minor_newer", "no_entry",
                                    "missing_function", "create_fails",    "create_throws_raw",
                                    "good_detector",    "good_provider"};

// A plugin dir with every test plugin plus files that are not plugins at all.
void fill_plugin_dir(const fs::path& dir) {
  fs::create_directories(dir);
  for (const char* name : kTestPlugins)
    fs::copy_file(test_plugin(name), dir / ("lib" + std::string(name) + ".so"));
  sh_test::write_file(dir / "garbage.so", "not a library\n");
  sh_test::write_file(dir / "truncated.so",
                      sh_test::read_file(test_plugin("good_detector")).substr(0, 300));
  fs::create_directories(dir / "x.so");
  sh_test::write_file(dir / "README.txt", "not listed: wrong extension\n");
}

std::string good_config(const fs::path& plugin_dir) {
  return "host:\n  plugin_dirs: [" + plugin_dir.string() + "]\n" +
         "providers:\n"
         "  - name: feed\n"
         "    plugin: good_provider\n"
         "    config: {count: 3, symbols: [BTC]}\n"
         "detectors:\n"
         "  - name: spike\n"
         "    plugin: good_detector\n"
         "    config: {threshold: 2.5}\n";
}

}  // namespace

TEST_CASE("host --version prints the host and ABI versions", "[cli]") {
  ScratchDir dir("cli_version");
  const HostRun r = run_host({"--version"}, dir.path());
  CHECK(r.exit_code == 0);
  CHECK(r.out == std::string("host ") + SH_HOST_VERSION + " (plugin ABI 1.6)\n");
}

TEST_CASE("host --help lists subcommands and options, bad usage exits 2", "[cli]") {
  ScratchDir dir("cli_help");
  const HostRun help = run_host({"--help"}, dir.path());
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("usage: host [SUBCOMMAND"));
  CHECK_THAT(help.out, Catch::Contains("Subcommands:\n  run "));
  for (const char* opt : {"--config", "--validate-config", "--list-plugins", "--json", "--verbose",
                          "--plugin-dir", "--log-format", "--log-level"}) {
    CHECK_THAT(help.out, Catch::Contains(opt));
  }

  const HostRun bad_opt = run_host({"--no-such-option"}, dir.path());
  CHECK(bad_opt.exit_code == 2);
  CHECK_THAT(bad_opt.err, Catch::StartsWith("host: error: unrecognised option '--no-such-option'"));
  const HostRun bad_cmd = run_host({"frobnicate"}, dir.path());
  CHECK(bad_cmd.exit_code == 2);
  CHECK_THAT(bad_cmd.err, Catch::StartsWith("host: error: unknown subcommand 'frobnicate'"));
  const HostRun bad_fmt = run_host({"--log-format", "xml", "--version"}, dir.path());
  CHECK(bad_fmt.exit_code == 2);
}

TEST_CASE("host --list-plugins --json lists every .so with all fields and survives bad files",
          "[cli]") {
  ScratchDir dir("cli_list_json");
  const fs::path plugins = dir / "plugins";
  fill_plugin_dir(plugins);
  const HostRun r =
      run_host({"--list-plugins", "--json", "--plugin-dir", plugins.string()}, dir.path());
  REQUIRE(r.exit_code == 0);
  REQUIRE(sh_test::lines(r.out).size() == 1);
  const json doc = json::parse(r.out);
  CHECK(doc["host_abi"] == "1.6");
  const json& rows = doc["plugins"];
  REQUIRE(rows.size() == 11);  // 8 test plugins + garbage.so + truncated.so + x.so

  std::vector<std::string> paths;
  for (const auto& row : rows) {
    paths.push_back(row["path"]);
    for (const char* field : {"name", "kind", "version", "abi", "path", "description", "status"}) {
      CHECK(row[field].is_string());
    }
    CHECK(row["config_keys"].is_array());
  }
  CHECK(std::is_sorted(paths.begin(), paths.end()));

  auto row_for = [&](const std::string& file) -> const json& {
    for (const auto& row : rows) {
      if (row["path"] == (plugins / file).string()) return row;
    }
    FAIL("no row for " << file);
    return rows[0];
  };
  // The exact text, field order included, of a good row.
  const std::string raw_good = r.out.substr(r.out.find("{\"name\":\"good_detector\""));
  CHECK_THAT(raw_good,
             Catch::StartsWith(
                 "{\"name\":\"good_detector\",\"kind\":\"detector\",\"version\":\"1.2.3\","
                 "\"abi\":\"1.6\",\"path\":\"" +
                 (plugins / "libgood_detector.so").string() +
                 "\",\"description\":\"test detector: z_ret over a threshold\","
                 "\"config_keys\":[\"threshold\",\"label\",\"symbols\"],\"status\":\"ok\","
                 "\"sha256\":\""));

  CHECK(row_for("libgood_provider.so")["kind"] == "provider");
  CHECK(row_for("libabi_major_2.so")["status"] == "incompatible: plugin ABI 2.0, host ABI 1.6");
  CHECK(row_for("libabi_major_2.so")["abi"] == "2.0");
  CHECK(row_for("libabi_major_2.so")["name"] == "");
  CHECK(row_for("libabi_minor_newer.so")["status"] ==
        "incompatible: plugin ABI 1.99, host ABI 1.6");
  CHECK(row_for("libno_entry.so")["status"] == "no entry point");
  CHECK(row_for("libmissing_function.so")["status"] ==
        "invalid descriptor: missing detector.detect");
  CHECK(row_for("libcreate_fails.so")["status"] == "ok");  // create is not called when listing
  CHECK(row_for("libcreate_throws_raw.so")["status"] == "ok");
  for (const char* bad : {"garbage.so", "truncated.so", "x.so"}) {
    const json& row = row_for(bad);
    CHECK_THAT(row["status"].get<std::string>(), Catch::StartsWith("load error: "));
    CHECK(row["name"] == "");
    CHECK(row["abi"] == "");
    CHECK(row["config_keys"] == json::array());
  }
}

TEST_CASE(
    "host --list-plugins --verbose prints an aligned table and includes plugins the config names "
    "by path",
    "[cli]") {
  ScratchDir dir("cli_list_text");
  fs::create_directories(dir / "empty_plugins");
  fs::create_directories(dir / "elsewhere");
  fs::copy_file(test_plugin("good_provider"), dir / "elsewhere/libgood_provider.so");
  sh_test::write_file(dir / "cfg.yaml",
                      "host: {plugin_dirs: [empty_plugins], builtin_plugins: false}\n"
                      "providers:\n  - {name: feed, plugin: elsewhere/libgood_provider.so,"
                      " config: {count: 1, symbols: [BTC]}}\n");
  const HostRun r = run_host({"--list-plugins", "--verbose", "--config", "cfg.yaml"}, dir.path());
  REQUIRE(r.exit_code == 0);
  const auto ls = sh_test::lines(r.out);
  REQUIRE(ls.size() == 2);
  CHECK_THAT(ls[0], Catch::StartsWith("NAME"));
  CHECK_THAT(ls[1], Catch::StartsWith("good_provider"));
  // Columns line up: STATUS in the header sits above "ok".
  CHECK(ls[0].find("STATUS") == ls[1].rfind("ok"));
  CHECK(ls[0].find("PATH") == ls[1].find((dir / "elsewhere/libgood_provider.so").string()));
  CHECK_THAT(ls[1], Catch::Contains("count,symbols"));
}

TEST_CASE("host --validate-config creates every component and reports each problem on one line",
          "[cli]") {
  ScratchDir dir("cli_validate");
  const fs::path plugins = dir / "plugins";
  fill_plugin_dir(plugins);

  SECTION("a good config") {
    sh_test::write_file(dir / "good.yaml", good_config(plugins));
    const HostRun r = run_host({"--validate-config", "--config", "good.yaml"}, dir.path());
    CHECK(r.exit_code == 0);
    CHECK(r.out == "config OK: 2 components\n");
  }
  SECTION("schema violation, failing create, raw throw, kind mismatch, bad ABI") {
    sh_test::write_file(dir / "bad.yaml",
                        "host:\n  plugin_dirs: [plugins]\n"
                        "detectors:\n"
                        "  - name: spike\n"
                        "    plugin: good_detector\n"
                        "    config:\n"
                        "      threshold: high\n"
                        "  - name: refuses\n"
                        "    plugin: create_fails\n"
                        "  - name: raw\n"
                        "    plugin: create_throws_raw\n"
                        "  - name: future\n"
                        "    plugin: plugins/libabi_major_2.so\n"
                        "risk:\n"
                        "  - name: misplaced\n"
                        "    plugin: good_provider\n");
    const HostRun r = run_host({"--validate-config", "--config", "bad.yaml"}, dir.path());
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    const auto errs = sh_test::lines(r.err);
    REQUIRE(errs.size() == 5);
    CHECK(errs[0] ==
          "bad.yaml:7:18: component 'spike' (plugin good_detector): config.threshold: "
          "expected number, got string");
    CHECK(errs[1] ==
          "bad.yaml:8:5: component 'refuses' (plugin create_fails): create failed: "
          "threshold too high");
    CHECK_THAT(errs[2], Catch::StartsWith("bad.yaml:10:5: component 'raw' (plugin "
                                          "create_throws_raw): create failed: an exception "
                                          "escaped the plugin"));
    CHECK(errs[3] ==
          "bad.yaml:13:13: component 'future': " + (plugins / "libabi_major_2.so").string() +
              ": incompatible: plugin ABI 2.0, host ABI 1.6");
    CHECK(errs[4] ==
          "bad.yaml:16:13: component 'misplaced' is listed under risk: but plugin "
          "'good_provider' is a provider");
  }
  SECTION("a YAML syntax error") {
    sh_test::write_file(dir / "broken.yaml", "host:\n  mode: replay\n detectors: [\n");
    const HostRun r = run_host({"--validate-config", "--config", "broken.yaml"}, dir.path());
    CHECK(r.exit_code == 1);
    const auto errs = sh_test::lines(r.err);
    REQUIRE(errs.size() == 1);
    CHECK_THAT(errs[0], Catch::Matches("broken\\.yaml:[0-9]+:[0-9]+: .+"));
  }
  SECTION("an unknown host key") {
    sh_test::write_file(dir / "typo.yaml", "host:\n  mode: replay\n  plugins_dir: [x]\n");
    const HostRun r = run_host({"--validate-config", "--config", "typo.yaml"}, dir.path());
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::StartsWith("typo.yaml:3:3: unknown key 'plugins_dir' in host:"));
  }
}

TEST_CASE("logs follow --log-format: text lines or one JSON object per line", "[cli]") {
  ScratchDir dir("cli_log_format");
  const fs::path plugins = dir / "plugins";
  fill_plugin_dir(plugins);
  sh_test::write_file(dir / "good.yaml", good_config(plugins));

  // The good detector logs its threshold through the host services at create().
  const HostRun text = run_host({"--validate-config", "--config", "good.yaml"}, dir.path());
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.err, Catch::Matches("\\[[0-9-]+ [0-9:.]+\\] \\[info\\] \\[spike\\] "
                                      "threshold 2\\.500000\n"));

  const HostRun js = run_host(
      {"--validate-config", "--config", "good.yaml", "--log-format", "json"}, dir.path());
  CHECK(js.exit_code == 0);
  const auto ls = sh_test::lines(js.err);
  REQUIRE(ls.size() == 1);
  const json j = json::parse(ls[0]);
  CHECK(j.size() == 3);
  CHECK(j["ts"].get<std::string>().back() == 'Z');
  CHECK(j["level"] == "info");
  CHECK(j["msg"] == "[spike] threshold 2.500000");

  const HostRun quiet = run_host(
      {"--validate-config", "--config", "good.yaml", "--log-level", "warn"}, dir.path());
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.err.empty());
}

TEST_CASE("run refuses to start when a component cannot be created", "[cli]") {
  ScratchDir dir("cli_main_job");
  const fs::path plugins = dir / "plugins";
  fill_plugin_dir(plugins);
  sh_test::write_file(dir / "bad.yaml",
                      "host: {plugin_dirs: [plugins]}\ndetectors:\n"
                      "  - {name: refuses, plugin: create_fails}\n");
  const HostRun r = run_host({"--config", (dir / "bad.yaml").string()}, dir.path());
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("bad.yaml:3:"));
  CHECK_THAT(r.err, Catch::Contains("component 'refuses' (plugin create_fails): create failed: threshold too high"));
}

TEST_CASE("with no --config the embedded default is used from the working directory", "[cli]") {
  // The default names the real plugins (replay, return_spike, ...), which
  // the test binary depends on, so they are built.
  const HostRun r = run_host({"--validate-config"}, SH_SOURCE_DIR);
  CHECK(r.exit_code == 0);
  // 1 provider, 3 detectors, 4 experts, 10 risk policies.
  CHECK_THAT(r.out, Catch::StartsWith("config OK: 19 components"));
}
