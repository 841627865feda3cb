// Stage: the one interface the pipeline loop knows (pipeline/pipeline.h).
// The loop owns the ordered list of stages (conveyor, detection, decision,
// outputs, swaps) and calls each hook on every stage in list order.
//
// A stage owns its state and shares data with the others only through what
// the loop hands it: the StageContext (config, host services, the store,
// the digest, the component registry, the summary) and, at a minute close,
// the Minute (the conveyor's batch, the detectors' hits, the minute's write).
// A stage never includes another stage's header. Every hook runs on the
// pipeline thread (conveyor shards are inside the conveyor); only the methods a stage
// documents as thread-safe may be called from elsewhere.
//
// Adding a stage (a live clock, an execution venue, a status view): write a
// class overriding the hooks it needs and add it to Pipeline's list.
#pragma once

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "config/pipeline_config.h"
#include "conveyor/conveyor.h"
#include "events/output_digest.h"
#include "ops/status_snapshot.h"
#include "pipeline/component_registry.h"
#include "pipeline/run_summary.h"
#include "pipeline/shadow_board.h"
#include "services/host_services.h"
#include "services/log_throttle.h"
#include "store/state_store.h"
#include "store/write_batch.h"
#include "strategy_host/abi.h"

namespace sh::host {

// What the loop hands every stage. References outlive the stages; `store`
// is null until Pipeline::open() opened it (before any stage's open()).
struct StageContext {
  const PipelineConfig& config;
  const HostConfig& host_config;
  HostRuntime& runtime;
  ComponentRegistry& components;  // swappable components (control/swap_stage.h applies swaps)
  RunSummary& summary;            // each stage updates its own figures
  LatencySamples& latency;
  OutputDigest& digest;            // every output stream is fed to it
  StateStore* store = nullptr;
  // Input events consumed so far, in ingress order (written by the loop).
  const std::atomic<uint64_t>& events_in;
  ShadowBoard& shadows;  // shadow trials' comparisons (swap stage, shadow stage)
};

// One detector hit of a minute (detection stage -> outputs stage). The
// detector strings are owned by the detection stage and valid for the minute.
struct Hit {
  sh_symbol_id symbol = 0;
  double score = 0;
  double value = std::numeric_limits<double>::quiet_NaN();
  double threshold = std::numeric_limits<double>::quiet_NaN();
  std::string hit_class;
  const std::string* detector = nullptr;          // component name
  const std::string* detector_version = nullptr;  // "1.0.0", "1.0.0+cfg3", rule hash
};

// The decision layer's figures after a minute (decision stage -> ops
// stages: alerts, daily report). `valid` only for a minute the decision
// layer decided (on, and not a restart catching up on a committed minute).
struct DecisionFigures {
  bool valid = false;
  double var_pct = std::numeric_limits<double>::quiet_NaN();  // portfolio VaR the chain saw
  double equity_usd = 0;
  double realized_pnl_usd = 0;    // cumulative, the book's
  double unrealized_pnl_usd = 0;
  double daily_pnl_usd = 0;       // equity - the UTC day's start equity
  double drawdown_pct = 0;        // from peak equity
  uint32_t fills = 0;             // booked this minute (its trades.csv rows)
  double fills_realized_pnl_usd = 0;  // realized by those fills
  double fills_fees_usd = 0;          // their fees
  uint32_t model_switches = 0;    // model-router switches this minute
};

// A minute close as it goes down the list of stages.
struct Minute {
  MinuteClose* close = nullptr;   // the conveyor's rows and market context
  sh_feature_batch batch{};       // the rows as the plugins' batch
  std::vector<Hit> hits;          // detectors' hits, in detector order
  // Shadow trials' candidates' hits (never offered to the sinks); detector
  // names the component, detector_version the candidate.
  std::vector<Hit> shadow_hits;
  // Shadow trials of experts and risk policies (the decision stage): each
  // candidate's outputs beside the serving version's, for this minute.
  std::vector<ShadowOutput> shadow_outputs;
  MinuteWrite write;              // the minute's one store transaction (rows, events)
  DecisionFigures decision;       // set by the decision stage's on_minute
  // Live: how long after the minute's end its rows were committed, ms (the
  // runbook's bar finalize time), set by the conveyor stage's on_commit; NaN
  // in replay and for a recorded session replayed.
  double finalize_ms = std::numeric_limits<double>::quiet_NaN();
  // Alert codes raised at this minute (alert stage -> daily report stage).
  std::vector<const char*> alerts_raised;
  // The LMDB transaction the minute committed as (0 when it did not), set
  // before on_commit.
  uint64_t txn_id = 0;
  // With the minute writer (state.commit_thread): the minute's batch, where
  // on_minute may hand feed bytes over (JsonlFileSink::hand_over); null when
  // the commit is made on this thread.
  WriteBatch* staged = nullptr;
};

// Events in ingress order; `end` (no events): the input is over, close
// whatever is still open.
struct EventBatch {
  const sh_market_event* events = nullptr;
  size_t count = 0;
  size_t stride = sizeof(sh_market_event);
  bool end = false;
};

// Where the loop is when it calls on_idle(): no minute is half-processed.
enum class IdlePoint {
  kBetweenBatches,  // top of the run loop, between two ingress polls
  kEventBarrier,    // events_in reached a stage's next_barrier()
  kEndOfInput,      // every provider finished; the open minutes not yet flushed
};

inline constexpr uint64_t kNoBarrier = std::numeric_limits<uint64_t>::max();

class Stage {
 public:
  virtual ~Stage() = default;
  virtual const char* name() const = 0;

  // Before run(), in list order: restore state, open files.
  virtual Status open(StageContext& ctx) { (void)ctx; return Status::Ok(); }

  // Events in. A stage that closes minutes appends them to `closed`; the
  // loop processes them (on_minute ...) and hands them back to recycle().
  virtual void on_events(const EventBatch& batch, std::vector<MinuteClose>& closed) {
    (void)batch;
    (void)closed;
  }
  virtual void recycle(std::vector<MinuteClose>& processed) { (void)processed; }
  // Live: the providers' receive clock (every event received before
  // recv_clock_ns was delivered); a stage that closes minutes on time
  // appends them to `closed` as in on_events().
  virtual void on_clock(int64_t recv_clock_ns, std::vector<MinuteClose>& closed) {
    (void)recv_clock_ns;
    (void)closed;
  }

  // A minute close: every stage's on_minute in order, then one store
  // transaction (rows, events and every stage's persist()), then every
  // stage's on_commit with the commit's status (or the first error an
  // earlier stage's on_commit returned). A stage writes its feed files in
  // on_minute (before the commit; see events/feed_recovery.h) and publishes
  // to other processes only after a successful commit.
  // With the minute writer (pipeline/minute_writer.h) persist() gets a
  // staged transaction (writes only; reads through txn.in_txn()), and
  // on_commit may come later, after more events (never after the next
  // minute's on_minute or an on_idle): it must not use minute.close (the
  // conveyor may have reused it) nor minute.write.
  virtual Status on_minute(Minute& minute) { (void)minute; return Status::Ok(); }
  virtual Status persist(const Minute& minute, StateTxn& txn) {
    (void)minute;
    (void)txn;
    return Status::Ok();
  }
  virtual Status on_commit(Minute& minute, const Status& commit) {
    (void)minute;
    (void)commit;
    return Status::Ok();
  }

  // Between events: the input-event count at which this stage must run
  // on_idle(kEventBarrier) (a journalled swap), or kNoBarrier. The loop
  // splits batches there; on_idle must then move the barrier past it.
  virtual uint64_t next_barrier() const { return kNoBarrier; }
  virtual Status on_idle(IdlePoint point) { (void)point; return Status::Ok(); }
  // Something for on_idle(kBetweenBatches) to do now (a queued swap): the
  // loop then waits for the minute writer's commit instead of letting the
  // stages' idle work wait for a turn after it.
  virtual bool idle_work() const { return false; }

  // End of run, in list order: flush what is buffered, refuse what is
  // still queued. The run returns the first error of the run or of these.
  virtual Status finish() { return Status::Ok(); }
  // After finish(): the stage's final figures into the summary.
  virtual void contribute(RunSummary& summary) const { (void)summary; }
  // Only when the host serves its status (host.http): after a batch of
  // minute closes or a swap, the stage's part of the status snapshot
  // (ops/status_snapshot.h). Pipeline thread; keep it cheap (once a minute).
  virtual void describe(StatusSnapshot& status) const { (void)status; }
};

}  // namespace sh::host
