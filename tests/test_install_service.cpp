// [install] The host as an operator installs it: `cmake --install` lays out
// the host, its runner, every shipped plugin, the rules, the configs and a
// systemd unit under a prefix; the installed host finds its plugins and rules
// from there with no flags; the unit names the installed paths and passes
// `systemd-analyze verify`; an operator's edited config survives a
// reinstall. And host.log rotates its file with a retention setting.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "test_host_support.h"

using namespace sh_test;

namespace {

// Installs the build tree under `prefix`; fails the test with cmake's output.
void install_to(const fs::path& prefix, const fs::path& cwd) {
  const HostRun r = run_program("cmake", {"--install", SH_BINARY_DIR, "--prefix", prefix.string()}, cwd);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

bool has_line_starting(const std::string& text, const std::string& prefix) {
  for (const std::string& l : lines(text)) {
    if (l.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("cmake --install lays out a host that runs from its prefix", "[install]") {
  ScratchDir dir("install-layout");
  const fs::path prefix = dir / "prefix";
  install_to(prefix, dir.path());

  const fs::path exe = prefix / "bin/strategy-host";
  CHECK(fs::exists(exe));
  CHECK(fs::exists(prefix / "bin/sh-plugin-runner"));
  CHECK(fs::exists(prefix / "lib/strategy-host/plugins/libpaper_venue.so"));
  CHECK(fs::exists(prefix / "lib/strategy-host/plugins/libbinance.so"));
  CHECK(fs::exists(prefix / "share/strategy-host/config/default.yaml"));
  CHECK(fs::exists(prefix / "share/strategy-host/data/sample/trades.csv"));
  CHECK(fs::exists(prefix / "include/strategy_host/abi.h"));
  REQUIRE(fs::exists(prefix / "etc/strategy-host/host.yaml"));
  REQUIRE(fs::exists(prefix / "lib/systemd/system/strategy-host.service"));

  SECTION("the installed host finds its plugins and rules under the prefix") {
    const HostRun list = run_program(exe.string(), {"--list-plugins", "--json"}, dir.path());
    INFO(list.err);
    REQUIRE(list.exit_code == 0);
    const auto j = nlohmann::json::parse(list.out);
    std::vector<std::string> names;
    for (const auto& p : j.at("plugins")) {
      names.push_back(p.at("name").get<std::string>());
      CHECK(p.at("path").get<std::string>().rfind((prefix / "lib/strategy-host/plugins").string(), 0) == 0);
    }
    CHECK(std::find(names.begin(), names.end(), "paper_venue") != names.end());
    CHECK(std::find(names.begin(), names.end(), "return_spike") != names.end());

    // The shipped default and the service's config both validate as installed
    // (plugins from the built-in dir, rules from share/strategy-host).
    for (const fs::path& cfg : {prefix / "share/strategy-host/config/default.yaml",
                               prefix / "etc/strategy-host/host.yaml"}) {
      const HostRun v = run_program(exe.string(), {"--config", cfg.string(), "--validate-config"}, dir.path());
      INFO(cfg << "\n" << v.out << v.err);
      CHECK(v.exit_code == 0);
    }
    const std::string service_cfg = read_file(prefix / "etc/strategy-host/host.yaml");
    CHECK(service_cfg.find((prefix / "share/strategy-host/scripts/lua").string()) != std::string::npos);
    CHECK(service_cfg.find("state_dir: /var/lib/strategy-host/state") != std::string::npos);
  }

  SECTION("the unit runs the installed host, drains on SIGTERM, reloads rules on SIGHUP") {
    const std::string unit = read_file(prefix / "lib/systemd/system/strategy-host.service");
    CHECK(has_line_starting(unit, "ExecStart=\"" + exe.string() + "\" --config \"" +
                                      (prefix / "etc/strategy-host/host.yaml").string() + "\""));
    CHECK(has_line_starting(unit, "ExecReload=/bin/kill -HUP $MAINPID"));
    CHECK(has_line_starting(unit, "KillSignal=SIGTERM"));
    CHECK(has_line_starting(unit, "Restart=on-failure"));
    CHECK(unit.find('@') == std::string::npos);  // every @VAR@ filled in
    if (std::system("command -v systemd-analyze >/dev/null 2>&1") == 0) {
      const HostRun verify = run_program(
          "systemd-analyze", {"verify", (prefix / "lib/systemd/system/strategy-host.service").string()},
          dir.path());
      INFO(verify.out << verify.err);
      CHECK(verify.exit_code == 0);
    } else {
      WARN("systemd-analyze not installed: the unit's syntax was not verified");
    }
  }

  SECTION("a reinstall keeps the operator's edited config") {
    write_file(prefix / "etc/strategy-host/host.yaml", "# edited by the operator\nhost: {mode: dry-run}\n");
    install_to(prefix, dir.path());
    CHECK(read_file(prefix / "etc/strategy-host/host.yaml") ==
          "# edited by the operator\nhost: {mode: dry-run}\n");
  }
}

TEST_CASE("host.log rotates the log file and keeps max_files of them", "[install]") {
  // A service restarted again and again appends to its log file: at
  // max_size_mb (here 1 KB, about nine runs of this replay) host.log becomes
  // host.1.log, and no more than max_files old files are kept.
  ScratchDir dir("log-rotate");
  write_file(dir / "host.yaml", "host:\n  state_dir: state\n  output_dir: out\n"
                                "  log: {level: debug, file: logs/host.log, max_size_mb: 0.001, max_files: 2}\n"
                                "providers:\n  - name: sample\n    plugin: replay\n    config:\n"
                                "      files: [{path: '" + std::string(SH_SOURCE_DIR) +
                                    "/data/sample/trades.csv', type: trades}]\n");
  fs::create_directories(dir / "logs");
  for (int run = 0; run < 32; ++run) {
    const HostRun r = run_host({"--config", (dir / "host.yaml").string()}, dir.path());
    INFO("run " << run << "\n" << r.err);
    REQUIRE(r.exit_code == 0);
  }
  REQUIRE(fs::exists(dir / "logs/host.log"));
  REQUIRE(fs::exists(dir / "logs/host.1.log"));
  REQUIRE(fs::exists(dir / "logs/host.2.log"));
  CHECK_FALSE(fs::exists(dir / "logs/host.3.log"));
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir / "logs")) {
    ++files;
    CHECK(fs::file_size(e.path()) <= 1048 + 512);
  }
  CHECK(files == 3);
  // The rotation never splits a line: each file holds whole log lines.
  for (const char* f : {"logs/host.log", "logs/host.1.log", "logs/host.2.log"}) {
    const std::string text = read_file(dir / f);
    REQUIRE_FALSE(text.empty());
    CHECK(text.back() == '\n');
    for (const std::string& l : lines(text)) CHECK(l.rfind("[20", 0) == 0);  // "[2026-12-06 ..."
  }
  // The newest lines are the last run's: its summary line is in host.log.
  const bool last_run_kept = read_file(dir / "logs/host.log").find("replay mode:") != std::string::npos ||
                             read_file(dir / "logs/host.1.log").find("replay mode:") != std::string::npos;
  CHECK(last_run_kept);
}

TEST_CASE("host.log rotation settings are checked and named", "[install]") {
  ScratchDir dir("log-rotate-bad");
  for (const char* bad : {"max_size_mb: -1", "max_size_mb: 0.0001", "max_size_mb: [1]", "max_files: 0", "max_files: many", "max_size: 3"}) {
    write_file(dir / "host.yaml", std::string("host:\n  log: {file: host.log, ") + bad + "}\n");
    const HostRun r = run_host({"--config", (dir / "host.yaml").string(), "--validate-config"}, dir.path());
    INFO(bad << "\n" << r.err);
    CHECK(r.exit_code == 1);
    const std::string key = std::string(bad).substr(0, std::string(bad).find(':'));
    CHECK(r.err.find("host.yaml:2") != std::string::npos);
    if (key != "max_size") CHECK(r.err.find("host.log." + key) != std::string::npos);
    if (key == "max_size") CHECK(r.err.find("max_size_mb") != std::string::npos);  // did you mean
  }
}
