// Helpers for the [shadow] tests (test_shadow_trials*.cpp): shadow requests
// against an in-process SwapRun, the board's comparison of a component, and
// a replay of the session's journal through the binary.
#ifndef SH_TESTS_TEST_SHADOW_SUPPORT_H
#define SH_TESTS_TEST_SHADOW_SUPPORT_H

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "test_swap_support.h"

namespace sh_test {

inline std::vector<nlohmann::json> json_lines(const fs::path& path) {
  std::vector<nlohmann::json> out;
  for (const auto& l : lines(read_file(path))) out.push_back(nlohmann::json::parse(l));
  return out;
}

inline sh::host::ReloadRequest shadow_request(const SwapRun& run, const std::string& component,
                                              sh::host::ShadowAction action) {
  sh::host::ReloadRequest r = run.request(component);
  r.shadow = action;
  return r;
}

// Submits `r`, lets minutes through until it applied; returns the outcome.
inline sh::host::ReloadOutcome submit_applied(SwapRun& run, const sh::host::ReloadRequest& r) {
  const size_t before = run.outcomes.size();
  const std::string refused = run.coordinator->submit(r);
  INFO(refused);
  REQUIRE(refused == "");
  REQUIRE(run.step_until_outcomes(before + 1));
  const auto o = run.outcomes.last();
  INFO(o.reason);
  REQUIRE(o.applied);
  return o;
}

inline sh::host::ShadowComparison comparison_of(const SwapRun& run, const std::string& component) {
  for (const auto& c : run.pipeline->shadow_board().snapshot()) {
    if (c.component == component) return c;
  }
  FAIL("no shadow trial of " << component);
  return {};
}

// `host config journal` exported, then `host run --swap-journal` on
// replay.yaml: returns the replay's stdout (its digest line).
inline std::string replay_through_binary(const ScratchDir& dir) {
  const HostRun exported = run_host({"config", "journal", "--config", "host.yaml"}, dir.path());
  INFO(exported.err);
  REQUIRE(exported.exit_code == 0);
  write_file(dir / "journal.jsonl", exported.out);
  const HostRun replayed =
      run_host({"run", "--config", "replay.yaml", "--swap-journal", "journal.jsonl"}, dir.path());
  INFO(replayed.err);
  REQUIRE(replayed.exit_code == 0);
  return replayed.out;
}

}  // namespace sh_test

#endif  // SH_TESTS_TEST_SHADOW_SUPPORT_H
