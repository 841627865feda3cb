// [hostile][isolation][reload] Hot reload of an isolated component: a new
// binary is loaded in a child before the host touches it (one that crashes
// while loading is refused, the serving child keeps serving), and the
// replacement instance runs in a new child of its own.
#include <catch2/catch.hpp>

#include <algorithm>

#include "test_isolation_support.h"
#include "test_swap_support.h"

using namespace sh_test;

TEST_CASE("an isolated detector reloads into a new child and refuses a binary that crashes while loading",
          "[hostile][isolation][reload]") {
  ScratchDir dir("iso_reload");
  fs::create_directories(dir / "plugins");
  fs::create_directories(dir / "rules");
  write_file(dir / "params/good.yaml", "threshold: 3.0\n");
  std::string yaml = swap_config(
      "  - {name: spike, plugin: return_spike, config: {z_threshold: 4.0}, isolation: process}\n");
  const std::string dirs = "  plugin_dirs: ['" SH_PLUGIN_DIR "', '" SH_TEST_PLUGIN_DIR "']\n";
  yaml.replace(yaml.find(dirs), dirs.size(),
               "  plugin_dirs: ['" SH_PLUGIN_DIR "', '" SH_TEST_PLUGIN_DIR "', '" +
                   (dir / "plugins").string() + "']\n");
  write_file(dir / "host.yaml", yaml);

  SwapRun run(dir / "host.yaml", true, {"spike"});
  INFO((run.errors.empty() ? std::string() : run.errors[0]));
  REQUIRE(run.errors.empty());
  REQUIRE(run.open_status.ok());
  const std::vector<pid_t> first = runner_children();
  REQUIRE(first.size() == 1);
  run.start();
  REQUIRE(run.probe->step(3));

  // Placed after the start: SwapRun scans every plugin dir in this process.
  fs::copy_file(fs::path(SH_HOSTILE_PLUGIN_DIR) / "libcrash_on_load.so", dir / "plugins/libcrash_on_load.so");
  auto crash = run.request("spike");
  crash.plugin_path = (dir / "plugins/libcrash_on_load.so").string();
  const std::string why = run.coordinator->submit(crash);
  CHECK_THAT(why, Catch::Contains("component 'spike'") &&
                      Catch::Contains("crashed while loading (SIGSEGV; probed in a child process)"));
  REQUIRE(run.outcomes.wait_for_count(1));
  CHECK_FALSE(run.outcomes.last().applied);
  REQUIRE(run.probe->step(2));  // still serving, in the same child
  CHECK(runner_children() == first);

  auto good = run.request("spike");
  good.plugin_path = test_plugin("good_detector").string();
  good.config_path = "params/good.yaml";
  CHECK(run.coordinator->submit(good) == "");
  REQUIRE(run.step_until_outcomes(2));
  CHECK(run.outcomes.last().applied);
  REQUIRE(run.probe->step(2));
  sh::host::SwapTargetInfo t;
  REQUIRE(run.pipeline->swap_target("spike", &t));
  CHECK(t.library->name() == "good_detector");
  const std::vector<pid_t> now = runner_children();
  CHECK(std::any_of(now.begin(), now.end(), [&](pid_t p) { return p != first[0]; }));
  run.finish();
  REQUIRE(run.run_status.ok());
}
