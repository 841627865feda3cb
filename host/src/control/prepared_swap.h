// PreparedSwap: a validated, fully built candidate on its way from the
// control thread (SwapCoordinator) to the pipeline thread, and SwapDone: what
// the pipeline hands back once it has applied or refused it.
//
// "Swaps are events": the control plane never touches a live instance. It
// builds the new instance / Lua rule version / validated parameters here;
// the pipeline applies the swap between two input events, writes the
// config_versions + swap_journal records, and returns the instance it
// replaced so that the control side destroys it, off the hot path.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "control/config_history.h"
#include "control/reload_request.h"
#include "lua/lua_rule.h"
#include "plugins/plugin_instance.h"

namespace sh::host {

struct PreparedSwap {
  ReloadRequest request;
  // Filled by the coordinator except version, effective_seq, session,
  // sequence and wall_ns, which the pipeline assigns when it applies.
  // record.swap says what to do:
  //   kInstance   replace the serving instance by `instance`
  //   kSetConfig  set_config(record.config) on the serving instance
  //   kLuaRule    commit `rule` into the component's Lua stage
  // record.shadow "start" runs `instance` / `shadow_rule` beside the serving
  // version instead; "discard" drops the running candidate; "promote" is a
  // plain swap of the candidate's record that also ends the trial.
  ConfigVersion record;
  std::unique_ptr<PluginInstance> instance;
  LuaRuleCandidatePtr rule;
  // A shadow trial's Lua candidate (record.shadow == "start"): a rule of its
  // own, since it serves beside the component's rule instead of in it.
  std::unique_ptr<LuaRule> shadow_rule;
  // Replay of a journal: apply when exactly this many input events have been
  // consumed (the pipeline splits a provider batch there). nullopt: at the
  // next point between two batches.
  std::optional<uint64_t> apply_at_seq;
  std::chrono::steady_clock::time_point enqueued{};
};

struct SwapDone {
  ReloadOutcome outcome;
  ConfigVersion record;  // as written (applied swaps)
  // The replaced instance (applied) or the unused candidate (refused):
  // destroy it on the control side. Its library stays mapped while it lives.
  std::unique_ptr<PluginInstance> retired;
  // A shadow candidate's instance that a promote, discard or newer trial
  // ended: destroyed on the control side too.
  std::unique_ptr<PluginInstance> retired_candidate;
  std::chrono::steady_clock::time_point enqueued{};
  std::chrono::steady_clock::time_point applied{};
};

// Receives every SwapDone on the pipeline thread, in application order. Must
// not block: queue the work for another thread.
class SwapListener {
 public:
  virtual ~SwapListener() = default;
  virtual void on_swap_done(SwapDone done) = 0;
};

}  // namespace sh::host
