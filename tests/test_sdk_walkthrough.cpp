// [sdk] "Your first plugin in five minutes" (examples/README.md), followed
// literally: every `sh` block between the walkthrough markers is run, as
// written, by bash from a clean directory. The README's repository root is a
// directory of links to this source tree (with `build` linking to this build
// tree) and $HOME is an empty scratch directory, so the doc and this test
// cannot drift apart: change a command there and this runs the new one.
#include <catch2/catch.hpp>

#include "test_host_support.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace sh_test;

namespace {

// The `sh` blocks between the markers, in order, as one script.
std::string walkthrough_script(const std::string& readme) {
  const std::string begin = "<!-- walkthrough: begin -->", end = "<!-- walkthrough: end -->";
  const auto from = readme.find(begin);
  const auto to = readme.find(end);
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  REQUIRE(from < to);
  std::string script;
  bool in_sh = false;
  int blocks = 0;
  for (const auto& line : lines(readme.substr(from, to - from) + "\n")) {
    if (!in_sh && line == "```sh") {
      in_sh = true;
      ++blocks;
    } else if (in_sh && line == "```") {
      in_sh = false;
    } else if (in_sh) {
      script += line + "\n";
    }
  }
  REQUIRE_FALSE(in_sh);
  REQUIRE(blocks >= 5);
  return script;
}

}  // namespace

TEST_CASE("the README walkthrough builds a plugin out of tree and runs it on the sample with its hits shown",
          "[sdk]") {
  ScratchDir dir("walkthrough");
  const fs::path home = dir / "home";
  const fs::path repo = dir / "repo";
  fs::create_directories(home);
  fs::create_directories(repo);
  // The repository root as the README assumes it: the sources, and build/.
  for (const auto& entry : fs::directory_iterator(SH_SOURCE_DIR)) {
    const std::string name = entry.path().filename().string();
    if (name != "build") fs::create_directory_symlink(entry.path(), repo / name);
  }
  fs::create_directory_symlink(SH_BINARY_DIR, repo / "build");

  const std::string script =
      walkthrough_script(read_file(fs::path(SH_SOURCE_DIR) / "examples/README.md"));
  write_file(dir / "walkthrough.sh", script);
  const fs::path log = dir / "walkthrough.log";
  // A clean environment for the build: no inherited CMake or compiler choices.
  const std::string cmd =
      "cd " + shell_quote(repo.string()) + " && env -u CMAKE_BUILD_TYPE -u CMAKE_GENERATOR " +
      "-u CMAKE_PREFIX_PATH -u CXXFLAGS -u CFLAGS HOME=" + shell_quote(home.string()) +
      " bash -euxo pipefail " + shell_quote((dir / "walkthrough.sh").string()) + " >" +
      shell_quote(log.string()) + " 2>&1 </dev/null";
  const int status = std::system(cmd.c_str());
  const std::string out = read_file(log);
  INFO("the walkthrough's commands:\n" << script << "\ntheir output:\n" << out);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);

  // Step 3: a Release build (the examples' default), and its test passed.
  const std::string cache = read_file(home / "my_detector/build/CMakeCache.txt");
  CHECK(cache.find("CMAKE_BUILD_TYPE:STRING=Release") != std::string::npos);
  CHECK(cache.find("strategy_host_sdk_DIR:PATH=" + (home / "sh-sdk").string()) != std::string::npos);
  CHECK(out.find("100% tests passed") != std::string::npos);
  // Step 5: the host's summary counts the detector's hits.
  CHECK(out.find("detector hits      2\n") != std::string::npos);
  // Step 6: the hits, one event each, printed by the last command.
  const auto events = lines(read_file(home / "my_detector/out/events.jsonl"));
  REQUIRE(events.size() == 2);
  const auto sol = nlohmann::json::parse(events[0]);
  const auto btc = nlohmann::json::parse(events[1]);
  CHECK(sol.at("symbol") == "SOL");
  CHECK(sol.at("minute") == "2024-01-02T04:10:00Z");
  CHECK(btc.at("symbol") == "BTC");
  CHECK(btc.at("minute") == "2024-01-02T05:20:00Z");
  for (const auto& e : {sol, btc}) {
    CHECK(e.at("class") == "example_z_ret");
    CHECK(e.at("detector") == "my_detector");
  }
  for (const auto& line : events) CHECK(out.find(line + "\n") != std::string::npos);  // cat showed it
}
