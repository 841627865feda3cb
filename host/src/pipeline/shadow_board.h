// ShadowBoard: the running comparison of every shadow trial (README "Shadow
// trials"): per shadowed component, the minutes compared and the hits of the
// serving version against the candidate's, how many differ, and the last
// few differences.
//
// Written on the pipeline thread (the swap stage starts and ends trials, the
// shadow stage adds each compared minute); snapshot() and snapshot_json()
// may be called from any thread (the HTTP /api/status, `host status`).
// State below is protected by mu_.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <strategy_host/abi.h>

namespace sh::host {

// Where the shadow stage writes the board after each minute, in
// <output_dir>/shadow/ (`host status` reads it); removed when a run opens.
inline constexpr const char* kShadowComparisonFile = "comparison.json";

// A shadow trial's comparison unit: (symbol, class) -> score. For
// detectors a hit (class, score); for experts an evidence record (its
// direction, confidence); for risk policies a verdict (action:reason, scale).
using ShadowHitSet = std::map<std::pair<std::string, std::string>, double>;

// One minute of a decision-layer shadow trial (expert or risk policy): what
// the serving version and the candidate gave on the same input, and the
// candidate's lines for out/shadow/<component>.jsonl.
struct ShadowOutput {
  std::string component;
  ShadowHitSet serving;
  ShadowHitSet candidate;
  std::vector<std::string> lines;  // JSON objects, one per candidate output
};

// One hit on which the two versions disagree.
struct ShadowDifference {
  int64_t minute_ts_ns = 0;
  std::string symbol;
  std::string hit_class;
  std::optional<double> serving_score;    // nullopt: only the candidate hit
  std::optional<double> candidate_score;  // nullopt: only the serving version hit
};

// One shadowed component's comparison (a copy; see ShadowBoard::snapshot).
struct ShadowComparison {
  std::string component;
  std::string kind;               // "detector", "expert" or "risk policy"
  std::string candidate;          // the candidate's label
  std::string candidate_version;  // what its outputs name ("1.0.0+shadow:t1")
  std::string content_hash;       // of the candidate's config and code
  std::string state;              // "running", "promoted", "discarded", "replaced"
  uint64_t started_at_event = 0;  // input events consumed when it started
  uint64_t ended_at_event = 0;    // ... when it ended (0 while running)
  uint64_t minutes_compared = 0;  // minute closes both versions ran on
  uint64_t minutes_differing = 0; // of which: the two sets of hits differ
  uint64_t serving_hits = 0;
  uint64_t candidate_hits = 0;
  uint64_t only_serving = 0;      // hits (symbol, class) the candidate did not make
  uint64_t only_candidate = 0;    // hits the serving version did not make
  uint64_t score_differs = 0;     // hits both made with another score
  std::deque<ShadowDifference> last_differences;  // oldest first, at most kLastDifferences
};


// The board's name of a shadowed kind: "detector", "expert", "risk policy".
const char* shadow_kind_name(sh_plugin_kind kind);
// What a kind's trial compares: "hits", "evidence", "verdicts".
const char* shadow_unit_name(const std::string& kind);

class ShadowBoard {
 public:
  static constexpr size_t kLastDifferences = 10;

  // Pipeline thread: a trial of `component` started (a running one of the
  // same component is marked "replaced" and forgotten).
  void start(const std::string& component, const std::string& kind, const std::string& label,
             const std::string& version, const std::string& content_hash, uint64_t at_event);
  // Pipeline thread: the trial ended ("promoted" or "discarded").
  void end(const std::string& component, const std::string& how, uint64_t at_event);
  // Pipeline thread: one minute both versions ran on.
  void add_minute(const std::string& component, int64_t minute_ts_ns, const ShadowHitSet& serving,
                  const ShadowHitSet& candidate);

  // Thread-safe: no trial started in this run.
  bool empty() const {
    std::lock_guard<std::mutex> lock(mu_);
    return trials_.empty();
  }
  // Thread-safe: every trial this run started (running or ended), by component.
  std::vector<ShadowComparison> snapshot() const;
  // Thread-safe: snapshot() as a JSON array (status file, /api/status).
  nlohmann::json snapshot_json() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, ShadowComparison> trials_;  // guarded by mu_
};

nlohmann::json shadow_comparison_json(const ShadowComparison& c);

}  // namespace sh::host
