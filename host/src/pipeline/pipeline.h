// pipeline/: the loop (pipeline), the one interface it knows (stage.h), the
// ingress (providers, merger), the component registry swaps work on, the
// run summary, and the assembly of components from config.
//
// Pipeline: one shard's loop, on one thread, over an ordered list of stages
// behind one interface (pipeline/stage.h). It knows the interface, never a
// stage's insides; the stages never call each other.
//
//   providers ──► Ingress (IngressMerger when several) ──► stages, in order:
//     ConveyorStage   conveyor/   bars, features, baselines, DQ, context; snapshot rows
//     DetectionStage  detectors/  detector plugins and Lua rules ──► hits
//                                 (and shadow trials' candidates ──► shadow hits)
//     ShadowStage     detectors/  shadow hits ──► out/shadow/, the ShadowBoard
//     DecisionStage   decision/   experts, router, consensus, risk chain, paper broker
//     OutputStage     events/     event gate ──► feed files; Redis after the commit
//     AlertStage      ops/        the runbooks' alerts ──► alerts.jsonl, log, Redis
//     DailyReportStage ops/       the day's figures ──► daily/YYYY-MM-DD.json
//     SwapStage       control/    swaps and rule reloads, between two events
//   one store transaction per minute close (rows, events, every stage's state),
//   written by the minute writer's thread (pipeline/minute_writer.h) while
//   this thread goes on with the next minute's events
//
// Every output is fed to an OutputDigest; two replays of the same input give
// the same digest and byte-identical files. Outputs reach other processes
// only after the minute's transaction committed: a failed commit (disk full)
// stops the run with nothing half-written. Adding a stage: one class and one
// line in the constructor's list (see docs/ARCHITECTURE.md).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/pipeline_config.h"
#include "control/prepared_swap.h"
#include "decision/decision_component.h"
#include "decision/model_router.h"
#include "detectors/detector.h"
#include "events/output_digest.h"
#include "ops/alert_board.h"
#include "pipeline/component_registry.h"
#include "pipeline/ingress.h"
#include "pipeline/minute_writer.h"
#include "pipeline/run_summary.h"
#include "pipeline/stage.h"
#include "store/state_store.h"
#include "store/status.h"
#include "store/write_batch.h"

namespace sh::host {

struct HostRuntime;
class DecisionStage;
class SwapStage;
class StatusBoard;
class StatusPublisher;

class Pipeline final : private IngressTarget {
 public:
  // providers and detectors are borrowed / owned as typed; runtime outlives.
  Pipeline(PipelineConfig config, const HostConfig& host_config, HostRuntime& runtime,
           std::vector<PluginInstance*> providers,
           std::vector<std::unique_ptr<DetectorStage>> detectors);
  ~Pipeline() override;
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Opens the state store, then every stage in order (the sinks of the run
  // mode, ...). Replay starts from an empty store and empty output files (it
  // is a deterministic validation run); other modes resume the store.
  Status open();
  // Runs until every provider is finished (or stop() is called); then closes
  // the open minutes. An error (provider or store) ends the run early.
  Status run();
  // Thread-safe: asks run() to finish after the current batch.
  void request_stop() { stop_.store(true, std::memory_order_relaxed); }
  // Thread-safe: asks run() to reload the Lua rule of `component` from its
  // file between two batches (as a file change does). False when no Lua
  // rule has that name.
  bool request_rule_reload(const std::string& component);
  // Async-signal-safe (SIGHUP): reload every Lua rule from its file.
  void request_all_rules_reload();

  // ---- Config swaps (control/swap_coordinator.h prepares them; the swap
  // stage, control/swap_stage.h, applies them).
  // Before open(): the pipeline owns these instances (those that back its
  // providers and plugin detector stages), so that a swap can hand the one
  // it replaces back to the listener. Unowned (borrowed) instances that are
  // replaced are left to their owner.
  void adopt_instances(std::vector<std::unique_ptr<PluginInstance>> instances);
  // Before run(): receives every applied/refused swap (pipeline thread). Null:
  // outcomes are logged and retired instances destroyed on the pipeline thread.
  void set_swap_listener(SwapListener* listener);
  // Thread-safe: queues a swap; run() applies queued swaps in arrival order
  // between two provider batches (never inside a minute's processing).
  void enqueue_swap(std::unique_ptr<PreparedSwap> swap);
  // Before run(): swaps with apply_at_seq (a replayed journal), applied when
  // exactly that many input events have been consumed.
  void schedule_swaps(std::vector<std::unique_ptr<PreparedSwap>> swaps);
  // After open(), persistent modes: reloaded versions newer than the YAML,
  // to re-apply before the first event (SwapStage::restore_versions).
  const std::vector<ConfigVersion>& restore_versions() const;
  // After run() returned (caller's thread): refuses every swap still queued
  // or scheduled with `reason`, and reports them.
  void discard_queued_swaps(const std::string& reason);
  // Thread-safe (after open()): what a swap of `component` starts from.
  // False when no provider, detector, expert or risk component has that name.
  bool swap_target(const std::string& component, SwapTargetInfo* info) const {
    return registry_.target(component, info);
  }
  // Thread-safe (after open()): config_versions entry `version` of `component`.
  Status read_config_version(const std::string& component, uint64_t version,
                             ConfigVersion* out) const;
  // Input events consumed so far (thread-safe; the effective_seq a swap
  // applied now would get).
  uint64_t events_consumed() const { return events_in_.load(std::memory_order_acquire); }

  // Before open(): the expert and risk components, in config order. With at
  // least one expert plugin and config.decision.enabled, open() sets up
  // consensus, the risk chain and the paper broker, and every minute close
  // runs them. Each one is swappable like a detector.
  void set_decision_components(std::vector<DecisionComponent> experts,
                               std::vector<DecisionComponent> risk, PluginInstance* venue);
  // Before run(): called on the pipeline thread after each minute's commit,
  // once per model-router switch (symbol name, record). Must not block.
  using SwitchObserver = std::function<void(std::string_view symbol, const SwitchRecord&)>;
  void set_switch_observer(SwitchObserver fn);

  // Before run(): publish the status snapshot (ops/status_snapshot.h) on
  // `board` after each batch of minute closes and after swaps, for the HTTP
  // server. Off (nothing assembled) unless called.
  void set_status_board(StatusBoard* board, int64_t started_wall_ns);
  // After open(), thread-safe: the pipeline's store (LMDB allows writers from
  // other threads one at a time: `host trade` commands over HTTP).
  StateStore* store() const { return store_.get(); }
  // Thread-safe: the active alerts and the raised / cleared totals per code
  // (ops/alert_board.h), for /api/status and /metrics.
  const AlertBoard& alert_board() const { return alert_board_; }

  const RunSummary& summary() const { return summary_; }
  // Thread-safe: the shadow trials' running comparisons (README "Shadow trials").
  const ShadowBoard& shadow_board() const { return shadow_board_; }
  // After run(): the control listener's figures, for the printed summary and
  // run_summary.json.
  void set_reload_message_figures(ReloadMessageFigures figures) { summary_.reload_messages = std::move(figures); }
  // Per processed minute, in order, ns: the whole close, the conveyor's part
  // of it, and decide() (one per minute when the decision layer is on, else
  // empty). The summary's p50/p99 are over these; benchmarks read them to
  // leave out warm-up minutes.
  const std::vector<int64_t>& close_latency_ns() const { return latency_.close_ns; }
  const std::vector<int64_t>& conveyor_close_ns() const { return latency_.conveyor_close_ns; }
  const std::vector<int64_t>& decision_latency_ns() const { return latency_.decision_ns; }
  const std::vector<int64_t>& decision_core_ns() const { return latency_.decision_core_ns; }
  // With state.commit_thread: the minute writer's time per minute, ns.
  const std::vector<int64_t>& commit_ns() const { return latency_.commit_ns; }
  // Human-readable summary (stdout of `host run`).
  void print_summary(std::ostream& out) const;
  // The same as a JSON object (written to <output_dir>/run_summary.json).
  std::string summary_json() const;

 private:
  // IngressTarget: events in, split where a stage has a barrier.
  void deliver(const sh_market_event* events, size_t count, size_t stride) override;
  Status take_deferred_error() override;
  Status process_closed() override;
  void on_clock(int64_t recv_clock_ns) override;
  void feed(const sh_market_event* events, size_t count, size_t stride);
  uint64_t next_barrier() const;
  Status idle(IdlePoint point);
  // One minute close down the list of stages, with its one transaction.
  Status process_minute(MinuteClose& close);
  Status commit_minute(Minute& minute);
  // The stages' on_commit and the summary's counts for the committed minute.
  Status finish_commit(Minute& minute, const Status& write_status, uint64_t txn_id);
  // Waits for the minute writer's pending minute, if any, and finishes it.
  Status collect_commit();
  void finish_summary();
  void publish_status();

  PipelineConfig config_;
  const HostConfig& host_config_;
  HostRuntime& runtime_;
  ComponentRegistry registry_;
  RunSummary summary_;
  LatencySamples latency_;
  OutputDigest digest_;
  AlertBoard alert_board_;  // written by the alert stage, read from any thread
  std::atomic<uint64_t> events_in_{0};
  ShadowBoard shadow_board_;
  std::unique_ptr<StateStore> store_;  // outlives the stages
  StageContext ctx_;
  Ingress ingress_;
  std::vector<std::unique_ptr<Stage>> stages_;  // in minute order
  DecisionStage* decision_ = nullptr;           // in stages_: its setup calls
  SwapStage* swaps_ = nullptr;                  // in stages_: the swap entry points
  std::unique_ptr<StatusPublisher> status_;     // host.http on: the status snapshot
  uint64_t status_swaps_ = 0;                   // swaps_reported() at the last publish
  std::chrono::steady_clock::time_point status_at_{};  // the last publish

  std::vector<MinuteClose> closed_;  // closed by the conveyor, not yet processed
  Minute minute_;                    // the minute being processed (buffers reused)
  std::unique_ptr<MinuteWriter> writer_;  // state.commit_thread
  WriteBatch batch_;                 // the staged persist() writes of a minute
  size_t commit_rows_ = 0;           // the minute in commit: its rows
  int64_t commit_minute_ts_ns_ = 0;  //   and its minute
  // The stages' idle work waits at most this long for a turn without a commit in flight.
  static constexpr std::chrono::milliseconds kMaxIdleSkip{5};
  std::chrono::steady_clock::time_point idle_at_{};  // the stages' last on_idle
  Status deferred_error_;            // a store error met while splitting a batch
  std::atomic<bool> stop_{false};
};

}  // namespace sh::host
