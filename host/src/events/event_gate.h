// EventGate: decides which detector hits become published events.
//
// Rules, per hit class (config defaults + per-class overrides), all in EVENT
// time (the candidate's minute_ts_ns; never the wall clock, so replays are
// deterministic). Checks run in this order and the first that matches names
// the suppression reason:
//
//   1. dq        suppress_when_dq_not_ok and candidate.dq != SH_DQ_OK.
//                Such a hit does not count as a hit for debounce: its data is
//                not trusted to say an episode is going on.
//   2. debounce  a previous hit of the same symbol+class (published or not,
//                excluding dq-suppressed ones) at time p with
//                t - p < debounce_ms: the same episode. Every hit that gets
//                past step 1 extends the episode (last hit := t), so a
//                continuous run of hits publishes once.
//   3. cooldown  the last PUBLISHED event of the same symbol+class at time q
//                with t - q < cooldown_ms.
//   4. budget    the class already published budget_per_hour events in the
//                rolling hour (t - 3600 s, t], across all symbols.
//   Otherwise the hit is published: it gets the next seq and its time is
//   recorded for cooldown and budget.
// Edges: exactly debounce_ms / cooldown_ms after the previous hit / publish is
// allowed; a publish exactly 3600 s earlier has left the budget window.
// severity = round(clamp(score * weight, 0, 100)) (half away from zero; a
// NaN score gives 0), computed for every decision.
//
// Not thread-safe: lives on the pipeline thread.
#ifndef SH_HOST_EVENTS_EVENT_GATE_H
#define SH_HOST_EVENTS_EVENT_GATE_H

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "events/event_record.h"
#include "store/status.h"

namespace sh::host {

struct EventClassPolicy {
  int64_t debounce_ms = 180000;     // same-episode window after the last hit
  int64_t cooldown_ms = 900000;     // quiet period after a publish
  int64_t budget_per_hour = 60;     // publishes per rolling hour, all symbols
  bool suppress_when_dq_not_ok = true;
  double weight = 1.0;              // severity multiplier on score
};

struct EventGateConfig {
  EventClassPolicy defaults;
  // Complete policies for classes that override something (defaults already
  // merged in by from_json). Classes not listed use `defaults`.
  std::map<std::string, EventClassPolicy, std::less<>> classes;

  const EventClassPolicy& policy_for(std::string_view hit_class) const;
  // Non-negative times and budgets, finite non-negative weights.
  Status validate() const;

  // From a JSON object whose top-level keys are the defaults and whose
  // "classes" object holds per-class overrides of any of them:
  //   {"debounce_ms":180000, "cooldown_ms":900000, "budget_per_hour":60,
  //    "suppress_when_dq_not_ok":true, "weight":1.0,
  //    "classes":{"return_spike":{"cooldown_ms":600000, "weight":1.2}}}
  // Every key is optional; unknown keys are an error (typos must not pass).
  static Status from_json(const nlohmann::json& j, EventGateConfig* config);
};

enum class SuppressReason { kNone = 0, kDq, kDebounce, kCooldown, kBudget };
// "published" for kNone, else "dq", "debounce", "cooldown", "budget".
const char* suppress_reason_name(SuppressReason reason);

struct GateDecision {
  SuppressReason reason = SuppressReason::kNone;
  // The candidate with its severity; seq is set (non-zero) only if published.
  EventRecord record;
  bool published() const { return reason == SuppressReason::kNone; }
};

class EventGate {
 public:
  // next_seq: the seq of the next published event (StateStore::last_seq()+1
  // after a restart). config must be valid (see validate()).
  explicit EventGate(EventGateConfig config, uint64_t next_seq = 1);

  GateDecision offer(const EventCandidate& candidate);

  // Replaces the policies (hot reload). Episode, cooldown and budget history
  // are kept; new limits apply from the next offer().
  Status set_config(EventGateConfig config);
  const EventGateConfig& config() const { return config_; }

  uint64_t next_seq() const { return next_seq_; }

  uint64_t published(std::string_view hit_class) const;
  uint64_t suppressed(SuppressReason reason, std::string_view hit_class) const;
  // All counters, sorted by name:
  //   "events.published.<class>", "events.suppressed.<reason>.<class>".
  std::vector<std::pair<std::string, uint64_t>> counters() const;

  // Publishes of the class in (now_ns - 1 h, now_ns] divided by its
  // budget_per_hour; 1.0 for a class with budget 0. 0..1.
  double budget_utilization(std::string_view hit_class, int64_t now_ns) const;
  // For every class seen so far, sorted by class.
  std::vector<std::pair<std::string, double>> budget_utilizations(int64_t now_ns) const;

  // The episode/cooldown/budget history and next_seq as a deterministic JSON
  // string, to be stored with the minute (StateStore hook) so that a restart
  // neither re-publishes an episode nor forgets the budget. Counters are not
  // included (process metrics).
  std::string save_state() const;
  Status restore_state(std::string_view saved);

  // What a minute stores (store_gate_state below): the header (next_seq and
  // the budget windows: the save_state() document with no keys; a few
  // hundred bytes whatever the number of keys) and one row per (symbol,
  // class) the gate was offered since the last save_changed_keys(). A
  // 1,000-symbol host accumulates thousands of keys; writing them all every
  // minute cost half a millisecond of the close and tens of KB of store.
  std::string save_header() const;
  // Calls row(key, value) for every (symbol, class) changed since the last
  // forget_changed(). key is the JSON array [symbol, class] (unique,
  // readable); value is [symbol, class, last_hit|null, last_publish|null].
  // Repeatable (a minute's write may be retried after the map grows).
  void save_changed_keys(const std::function<void(std::string_view, std::string_view)>& row) const;
  bool has_changed_keys() const { return !changed_.empty(); }
  // Once the rows have committed.
  void forget_changed();
  // Restores one row written by save_changed_keys (it replaces that key).
  Status restore_key(std::string_view value);
  // Every key counts as changed (after restoring a whole save_state()
  // document, so that the next save writes them as rows).
  void mark_all_changed();

 private:
  struct KeyState {
    bool has_hit = false;
    int64_t last_hit_ts_ns = 0;
    bool has_publish = false;
    int64_t last_publish_ts_ns = 0;
    bool changed = false;  // listed in changed_
  };
  using Key = std::pair<std::string, std::string>;
  void count(const std::string& name);
  void prune_budget(std::multiset<int64_t>* window, int64_t now_ns);
  std::string save(bool with_keys) const;
  static KeyState key_state_of(const nlohmann::json& element);

  EventGateConfig config_;
  uint64_t next_seq_;
  // (symbol, class) -> state. Ordered containers: save_state output is
  // deterministic.
  std::map<Key, KeyState> keys_;
  // Keys offered since the last forget_changed() (map nodes are stable).
  std::vector<std::pair<const Key, KeyState>*> changed_;
  // class -> publish times still inside some budget window.
  std::map<std::string, std::multiset<int64_t>, std::less<>> budget_;
  std::map<std::string, uint64_t, std::less<>> counters_;
};

class StateTxn;

// The gate in the store (StateDb::kMeta), committed with the minute whose
// events it produced: "event_gate_state" holds the header (or, in a store
// written before rows existed, a whole save_state() document) and
// "event_gate/key/[symbol,class]" one row per key.
// Writes the header and the rows of the keys changed since the gate's last
// forget_changed().
Status store_gate_state(const EventGate& gate, StateTxn& txn);
// Restores what store_gate_state wrote (NotFound: nothing stored).
Status load_gate_state(const StateTxn& txn, EventGate* gate);

}  // namespace sh::host

#endif  // SH_HOST_EVENTS_EVENT_GATE_H
