// control/: the control plane: param.reload messages and signing, the Redis
// listener thread, swap preparation (coordinator), config history and the
// swap journal, and the SwapStage that applies swaps on the pipeline thread.
//
// SwapStage: applies swaps on the pipeline thread, between two events
// (swaps are events: the control plane prepares, this stage applies). Owns
// the swap queue (from the control thread), the journalled swaps of a
// replay (applied at their recorded input-event count), the Lua rule
// reloads (file changes, requests, SIGHUP), the startup config versions and
// the swap journal's numbering, and the plugin instances the pipeline owns.
// Works on the ComponentRegistry: the stage that calls a component is told
// of a new instance through its slot, never by this stage directly. Shadow
// trials too: a "start" swap puts the candidate in SwapSlot::shadow (the
// detection stage runs it), "discard" and "promote" take it out; each is
// journalled at its input-event count like any swap.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "control/prepared_swap.h"
#include "lua/rule_watcher.h"
#include "pipeline/stage.h"

namespace sh::host {

class SwapStage final : public Stage {
 public:
  // ctx (its store set at open()) outlives the stage.
  explicit SwapStage(StageContext& ctx);
  ~SwapStage() override;
  const char* name() const override { return "swaps"; }

  // Before open(): the pipeline owns these instances, so that a swap can
  // hand the one it replaces back to the listener.
  void adopt_instances(std::vector<std::unique_ptr<PluginInstance>> instances);
  // Before run(): receives every applied/refused swap (pipeline thread).
  void set_listener(SwapListener* listener) { listener_ = listener; }
  // Thread-safe: queues a swap, applied between two ingress batches.
  void enqueue(std::unique_ptr<PreparedSwap> swap);
  // Before run(): swaps with apply_at_seq (a replayed journal).
  void schedule(std::vector<std::unique_ptr<PreparedSwap>> swaps);
  // After open(), in the persistent modes: the reloaded versions that were
  // in service when the host last stopped and that are newer than the YAML
  // (its config unchanged since the startup they replaced). The run
  // re-applies them before the first event (SwapCoordinator::schedule_restore).
  const std::vector<ConfigVersion>& restore_versions() const { return restore_; }
  // Refuses every swap still queued or scheduled with `reason`; reports them.
  void discard_queued(const std::string& reason);
  // Thread-safe: reload the Lua rule of `component` from its file. False
  // when no Lua rule has that name.
  bool request_rule_reload(const std::string& component);
  // Async-signal-safe (SIGHUP): reload every Lua rule from its file.
  void request_all_rules_reload() { reload_all_requested_.store(true, std::memory_order_release); }

  Status open(StageContext& ctx) override;
  uint64_t next_barrier() const override;
  Status on_idle(IdlePoint point) override;
  bool idle_work() const override {
    return swaps_queued_.load(std::memory_order_acquire) || reload_requested_.load(std::memory_order_acquire) ||
           reload_all_requested_.load(std::memory_order_acquire);
  }
  Status finish() override;
  void contribute(RunSummary& summary) const override;
  // The recent swap outcomes (reload history) and the swap-time histogram.
  void describe(StatusSnapshot& status) const override;
  // Swaps applied or refused so far (the pipeline republishes its status
  // when this moves).
  uint64_t swaps_reported() const { return reported_; }

 private:
  uint64_t events_in() const { return ctx_.events_in.load(std::memory_order_acquire); }
  void start_rule_watcher();
  void check_rule_reloads();
  void reload_rule(const SwapSlot& slot);
  // open(): config_versions entry for each component's startup config,
  // unless the newest stored one has the same content hash.
  Status record_startup_versions();
  ConfigVersion startup_record(const SwapSlot& slot) const;
  // The due journal swaps, then the queued ones; then reports.
  Status apply_pending();
  Status apply_scheduled_due();
  // Applies or refuses one swap; an error only when the store write failed.
  Status apply(std::unique_ptr<PreparedSwap> swap);
  // The kinds of swap: false when refused (swap handed to refuse()).
  bool swap_instance(SwapSlot& slot, std::unique_ptr<PreparedSwap>& swap, const std::string& keeps,
                     std::unique_ptr<PluginInstance>* retired);
  bool set_config(SwapSlot& slot, std::unique_ptr<PreparedSwap>& swap, const std::string& keeps,
                  bool* reset_command);
  // Journals an applied swap in its own small transaction.
  Status record(SwapSlot& slot, std::unique_ptr<PreparedSwap> swap, bool reset_command,
                std::unique_ptr<PluginInstance> retired);
  void refuse(std::unique_ptr<PreparedSwap> swap, const std::string& reason);
  // Shadow trials (README "Shadow trials"): a "start" or "discard" swap.
  Status apply_shadow(SwapSlot& slot, std::unique_ptr<PreparedSwap> swap);
  // The candidate of a "start" swap for `slot`; null with *why when refused.
  std::unique_ptr<ShadowCandidate> make_candidate(const SwapSlot& slot, PreparedSwap& swap,
                                                  std::string* why);
  // Drops the slot's candidate (if any), marks the board; returns its
  // instance for the listener to destroy.
  std::unique_ptr<PluginInstance> end_trial(SwapSlot& slot, const char* how, uint64_t seq);
  void log_dropped_trials(const std::vector<ConfigVersion>& journal) const;
  // Hands the buffered SwapDone records to the listener (or logs them).
  void report();

  StageContext& ctx_;
  ComponentRegistry& registry_;
  std::vector<std::unique_ptr<PluginInstance>> owned_instances_;
  SwapListener* listener_ = nullptr;
  std::atomic<bool> swaps_queued_{false};
  std::mutex swap_mu_;
  std::vector<std::unique_ptr<PreparedSwap>> swap_queue_;  // guarded by swap_mu_
  std::deque<std::unique_ptr<PreparedSwap>> scheduled_;    // by apply_at_seq
  std::vector<SwapDone> done_;                             // not yet reported
  static constexpr size_t kHistory = 32;
  std::deque<SwapStatus> history_;  // the last kHistory outcomes, oldest first
  LatencyHistogram swap_latency_;   // enqueued -> applied or refused
  uint64_t reported_ = 0;
  void remember(const SwapDone& d);
  std::vector<ConfigVersion> restore_;
  // record_startup_versions(), persistent modes: when `latest` is a reload
  // to re-apply over the YAML's config, *yaml_entry = the startup entry that
  // holds that config (serving until the restore applies); else empty.
  Status find_restore(const StateTxn& txn, const ConfigVersion& yaml, const ConfigVersion& latest,
                      std::optional<ConfigVersion>* yaml_entry);
  uint64_t journal_session_ = 1;
  uint64_t journal_sequence_ = 0;  // of the last journal entry written
  // Lua rule reloads.
  static constexpr std::chrono::milliseconds kRulePollInterval{100};
  std::unique_ptr<RuleWatcher> rule_watcher_;  // over the dirs of the rule files in use
  std::chrono::steady_clock::time_point next_rule_poll_{};
  std::atomic<bool> reload_requested_{false};
  std::atomic<bool> reload_all_requested_{false};
  std::mutex reload_mu_;
  std::vector<std::string> reload_queue_;  // component names; guarded by reload_mu_
};

}  // namespace sh::host
