// [abi] Compatibility across ABI minors, checked two ways: examples/detector_c
// compiled against the released 1.0 and 1.1 headers (sdk/abi/v1.x/) loads and
// runs in the current host exactly like its current build; and
// tools/check-abi.sh (abidiff against sdk/abi/abi-1.1.xml) passes the SDK's
// header, passes an appended member, and refuses what would break a 1.1 plugin.
#include <catch2/catch.hpp>

#include "test_host_support.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace sh_test;

namespace {

// The replay of the shipped sample with only the C detector, loaded from dir.
std::string c_detector_config(const fs::path& plugin_dir) {
  return "host:\n"
         "  mode: replay\n"
         "  plugin_dirs: ['" + plugin_dir.string() + "']\n"
         "  state_dir: state\n"
         "  output_dir: out\n" +
         sample_providers_yaml() +
         "detectors:\n"
         "  - {name: c_spike, plugin: example_detector_c, config: {threshold: 4.0}}\n";
}

// events.jsonl without the fields that may differ between runs (none should).
std::vector<std::string> hit_events(const fs::path& out_dir) {
  std::vector<std::string> out;
  for (const auto& l : lines(read_file(out_dir / "events.jsonl"))) {
    const auto j = nlohmann::json::parse(l);
    out.push_back(j.at("symbol").get<std::string>() + " " + j.at("minute").get<std::string>() +
                  " " + j.at("class").get<std::string>() + " " + j.at("detector_version").get<std::string>());
  }
  return out;
}

}  // namespace

TEST_CASE("a C plugin built against the ABI 1.0 and 1.1 headers loads and runs in the current host",
          "[abi]") {
  ScratchDir dir("abi-compat");
  std::vector<std::string> current_hits;
  for (const char* abi : {"current", "v1.1", "v1.0"}) {
    const fs::path plugin_dir = fs::path(SH_ABI_PLUGIN_DIR) / abi;
    INFO("built against " << abi << " headers: " << plugin_dir);
    REQUIRE(fs::exists(plugin_dir / "libexample_detector_c.so"));

    const auto listing = run_host({"--list-plugins", "--json", "--plugin-dir", plugin_dir.string()},
                                  dir.path());
    INFO(listing.out << listing.err);
    REQUIRE(listing.exit_code == 0);
    const auto plugins = nlohmann::json::parse(listing.out).at("plugins");
    REQUIRE(plugins.size() == 1);
    CHECK(plugins[0].at("name") == "example_detector_c");
    CHECK(plugins[0].at("status") == "ok");
    const std::string want_abi = std::string(abi) == "current" ? "1.6" : std::string(abi).substr(1);
    CHECK(plugins[0].at("abi") == want_abi);

    const fs::path run_dir = dir / abi;
    write_file(run_dir / "run.yaml", c_detector_config(plugin_dir));
    const auto run = run_host({"--config", (run_dir / "run.yaml").string()}, dir.path());
    INFO(run.out << run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(run.out.find("detector hits      2\n") != std::string::npos);
    CHECK(run.out.find("c_spike.hits 2\n") != std::string::npos);  // its host counter
    const auto hits = hit_events(run_dir / "out");
    CHECK(hits == std::vector<std::string>{
                      "SOL 2024-01-02T04:10:00Z example_c_z_ret 0.1.0",
                      "BTC 2024-01-02T05:20:00Z example_c_z_ret 0.1.0"});
    if (current_hits.empty()) current_hits = hits;
    CHECK(hits == current_hits);
  }
}

namespace {

struct Check {
  int rc;
  std::string out;
};

// tools/check-abi.sh on include_dir/strategy_host/abi.h.
Check check_abi(const fs::path& include_dir, const fs::path& scratch) {
  const fs::path out = scratch / "check.out";
  const std::string cmd = "bash " + shell_quote(std::string(SH_SOURCE_DIR) + "/tools/check-abi.sh") +
                          " " + shell_quote(include_dir.string()) + " >" +
                          shell_quote(out.string()) + " 2>&1";
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out)};
}

// A copy of the SDK's abi.h with `from` replaced by `to` (which must occur).
fs::path mutated_header(const fs::path& root, const std::string& from, const std::string& to) {
  std::string text = read_file(fs::path(SH_SOURCE_DIR) / "sdk/include/strategy_host/abi.h");
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  write_file(root / "strategy_host/abi.h", text);
  return root;
}

}  // namespace

TEST_CASE("tools/check-abi.sh accepts appends to ABI 1.1 and refuses anything else", "[abi]") {
  ScratchDir dir("abi-check");
  if (std::system("command -v abidiff >/dev/null 2>&1") != 0)
    FAIL("abidiff not found: tools/install-deps.sh installs abigail-tools");

  const auto sdk = check_abi(fs::path(SH_SOURCE_DIR) / "sdk/include", dir.path());
  INFO(sdk.out);
  CHECK(sdk.rc == 0);
  CHECK(sdk.out.find("compatible with ABI 1.1") != std::string::npos);

  // A member appended at the end of a struct, and a new enumerator: minor.
  const auto appended = check_abi(
      mutated_header(dir / "appended", "  double rs_benchmark;",
                     "  double rs_benchmark;\n  double z_new_feature;"),
      dir.path());
  INFO(appended.out);
  CHECK(appended.rc == 0);

  // Each of these breaks a plugin built against 1.1: major.
  const std::vector<std::pair<std::string, std::string>> breaking = {
      {"  double scale;     /* SCALE", "  double inserted;\n  double scale;     /* SCALE"},
      {"  SH_ERR_CONFIG = 2,", "  SH_ERR_CONFIG = 20,"},
      {"  double prob_long;  /* 0..1 */", "  float prob_long; float pad;"},
      {"const char *config_json);\n\n  /* Exactly one",
       "const char *config_json, int flags);\n\n  /* Exactly one"},
  };
  int n = 0;
  for (const auto& [from, to] : breaking) {
    const auto r = check_abi(mutated_header(dir / ("breaking" + std::to_string(n++)), from, to),
                             dir.path());
    INFO("replaced '" << from << "' with '" << to << "':\n" << r.out);
    CHECK(r.rc == 1);
    CHECK(r.out.find("INCOMPATIBLE with ABI 1.1") != std::string::npos);
  }
}
