#include "pipeline/pipeline.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>
#include <thread>
#include <utility>

#include "control/config_history.h"
#include "control/swap_stage.h"
#include "conveyor/conveyor_stage.h"
#include "decision/decision_stage.h"
#include "detectors/detection_stage.h"
#include "detectors/shadow_trial_stage.h"
#include "events/output_stage.h"
#include "ops/status_publisher.h"
#include "ops/alert_stage.h"
#include "ops/daily_report_stage.h"
#include "store/retention_stage.h"
#include "services/host_services.h"

namespace sh::host {

Pipeline::Pipeline(PipelineConfig config, const HostConfig& host_config, HostRuntime& runtime,
                   std::vector<PluginInstance*> providers,
                   std::vector<std::unique_ptr<DetectorStage>> detectors)
    : config_(std::move(config)),
      host_config_(host_config),
      runtime_(runtime),
      ctx_{config_, host_config_, runtime_, registry_, summary_, latency_, digest_, nullptr, events_in_,
           shadow_board_},
      ingress_(std::move(providers), registry_, config_.conveyor.receive_clock) {
  // The stages, in the order a minute close goes through them.
  stages_.push_back(std::make_unique<ConveyorStage>(config_.conveyor, config_.market_data,
                                                    runtime_.symbols, summary_));
  stages_.push_back(std::make_unique<DetectionStage>(std::move(detectors), registry_, summary_));
  auto decision = std::make_unique<DecisionStage>(registry_);
  decision_ = decision.get();
  stages_.push_back(std::move(decision));
  stages_.push_back(std::make_unique<ShadowTrialStage>());  // after the decision: its trials too
  stages_.push_back(std::make_unique<OutputStage>());
  stages_.push_back(std::make_unique<AlertStage>(alert_board_));
  stages_.push_back(std::make_unique<DailyReportStage>());
  stages_.push_back(std::make_unique<RetentionStage>());
  auto swaps = std::make_unique<SwapStage>(ctx_);
  swaps_ = swaps.get();
  stages_.push_back(std::move(swaps));
}

Pipeline::~Pipeline() = default;

// ---------------------------------------------------------------- setup (before run)

void Pipeline::set_decision_components(std::vector<DecisionComponent> experts,
                                       std::vector<DecisionComponent> risk, PluginInstance* venue) {
  decision_->set_components(std::move(experts), std::move(risk), venue);
}
void Pipeline::set_switch_observer(SwitchObserver fn) { decision_->set_switch_observer(std::move(fn)); }
void Pipeline::adopt_instances(std::vector<std::unique_ptr<PluginInstance>> instances) {
  swaps_->adopt_instances(std::move(instances));
}
void Pipeline::set_swap_listener(SwapListener* listener) { swaps_->set_listener(listener); }
void Pipeline::enqueue_swap(std::unique_ptr<PreparedSwap> swap) { swaps_->enqueue(std::move(swap)); }
void Pipeline::schedule_swaps(std::vector<std::unique_ptr<PreparedSwap>> swaps) {
  swaps_->schedule(std::move(swaps));
}
void Pipeline::discard_queued_swaps(const std::string& reason) { swaps_->discard_queued(reason); }
const std::vector<ConfigVersion>& Pipeline::restore_versions() const { return swaps_->restore_versions(); }
bool Pipeline::request_rule_reload(const std::string& component) {
  return swaps_->request_rule_reload(component);
}
void Pipeline::request_all_rules_reload() { swaps_->request_all_rules_reload(); }
void Pipeline::set_status_board(StatusBoard* board, int64_t started_wall_ns) {
  status_ = board ? std::make_unique<StatusPublisher>(*board, started_wall_ns) : nullptr;
}

Status Pipeline::read_config_version(const std::string& component, uint64_t version,
                                     ConfigVersion* out) const {
  if (!store_) return Status::FailedPrecondition("the pipeline's state store is not open");
  StateTxn txn;
  Status st = store_->begin_read(&txn);
  if (!st.ok()) return st;
  return sh::host::read_config_version(txn, component, version, out);
}

Status Pipeline::open() {
  const bool replay = config_.mode == RunMode::kReplay;
  const std::filesystem::path state_dir = host_config_.state_dir();
  if (replay) {
    // A replay owns its store: start empty so two replays write the same.
    std::error_code ec;
    for (const char* f : {"data.mdb", "lock.mdb"}) {
      std::filesystem::remove(state_dir / f, ec);
      if (ec) return Status::IoError((state_dir / f).string() + ": cannot reset for replay: " + ec.message());
    }
  }
  StateStoreOptions so;
  so.dir = state_dir.string();
  so.map_size_bytes = config_.state_map_size_bytes;
  so.max_map_size_bytes = config_.state_max_map_size_bytes;
  so.sync_commits = config_.state_sync_commits;
  const auto& features = config_.conveyor.features ? config_.conveyor.features : FeatureSet::default_set();
  so.feature_set = features->signature();
  so.default_feature_set = FeatureSet::default_set()->signature();
  Status st = StateStore::open(so, &store_);
  if (!st.ok()) return st;
  store_->set_output_digest(&digest_);
  ctx_.store = store_.get();
  if (config_.state_commit_thread) writer_ = std::make_unique<MinuteWriter>(*store_);
  for (auto& stage : stages_) {
    st = stage->open(ctx_);
    if (!st.ok()) return st;
  }
  if (replay) runtime_.clock.set_virtual_ns(0);
  if (status_) publish_status();  // the store is open: /api/ready can say so
  return Status::Ok();
}

// ---------------------------------------------------------------- the loop

Status Pipeline::run() {
  const auto t0 = std::chrono::steady_clock::now();
  Status st;
  for (;;) {
    if (stop_.load(std::memory_order_relaxed)) break;
    runtime_.loop_turns.fetch_add(1, std::memory_order_relaxed);
    st = idle(IdlePoint::kBetweenBatches);
    if (!st.ok()) break;
    if (ingress_.all_done()) break;
    bool progressed = false;
    st = ingress_.poll(*this, config_.poll_max_events, &summary_, &progressed);
    if (!st.ok()) break;
    if (!progressed) {
      // Nothing came in: wait for the minute writer instead, if a commit is
      // pending (its on_commit, e.g. live orders, runs at the next turn).
      if (writer_ && writer_->pending()) {
        writer_->wait_for(std::chrono::milliseconds(1));
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
  }
  if (st.ok()) {
    ingress_.finish(*this);
    st = take_deferred_error();
    if (st.ok()) st = process_closed();
    if (st.ok()) st = idle(IdlePoint::kEndOfInput);
  }
  if (st.ok()) {
    EventBatch end;
    end.end = true;
    for (auto& stage : stages_) stage->on_events(end, closed_);
    st = process_closed();
  }
  {
    // The last minute's commit, whatever stopped the loop.
    const Status cs = collect_commit();
    if (!cs.ok() && st.ok()) st = cs;
  }
  for (auto& stage : stages_) {
    const Status fs = stage->finish();
    if (!fs.ok() && st.ok()) st = fs;
  }
  if (store_) {
    const Status ss = store_->sync();
    if (!ss.ok() && st.ok()) st = ss;
  }
  summary_.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  finish_summary();
  return st;
}

Status Pipeline::idle(IdlePoint point) {
  if (writer_ && writer_->pending()) {
    // The stages' idle work (swaps, rule file checks, venue reports) acts on
    // committed state. Between two batches it waits for a turn after the
    // commit rather than hold up the events, unless a stage has work queued
    // or it has waited kMaxIdleSkip; at a barrier or the end of the input
    // the loop waits for the commit.
    if (point == IdlePoint::kBetweenBatches && !writer_->done() &&
        std::chrono::steady_clock::now() - idle_at_ < kMaxIdleSkip) {
      bool queued = false;
      for (const auto& stage : stages_) queued = queued || stage->idle_work();
      if (!queued) return Status::Ok();
    }
    const Status cs = collect_commit();
    if (!cs.ok()) return cs;
  }
  idle_at_ = std::chrono::steady_clock::now();
  for (auto& stage : stages_) {
    Status st = stage->on_idle(point);
    if (!st.ok()) return st;
  }
  // Besides after closes: after swaps, and at least once a second (a live
  // feed between two closes: events in, providers connecting).
  if (status_ && (swaps_->swaps_reported() != status_swaps_ ||
                  std::chrono::steady_clock::now() - status_at_ >= std::chrono::seconds(1))) {
    publish_status();
  }
  return Status::Ok();
}

void Pipeline::publish_status() {
  status_swaps_ = swaps_->swaps_reported();
  status_at_ = std::chrono::steady_clock::now();
  status_->publish(ctx_, stages_, ingress_.describe());
}

uint64_t Pipeline::next_barrier() const {
  uint64_t at = kNoBarrier;
  for (const auto& stage : stages_) at = std::min(at, stage->next_barrier());
  return at;
}

void Pipeline::deliver(const sh_market_event* events, size_t count, size_t stride) {
  // A stage's barrier (a replayed journal swap) lands between the same two
  // input events as in the recorded run: feed up to it, process what
  // closed, let the stage act, go on.
  while (count > 0 && deferred_error_.ok()) {
    const uint64_t at = next_barrier();
    if (at == kNoBarrier) break;
    const uint64_t in = events_in_.load(std::memory_order_relaxed);
    if (at <= in) {
      Status st = process_closed();
      if (st.ok()) st = idle(IdlePoint::kEventBarrier);
      if (!st.ok()) deferred_error_ = st;
      continue;
    }
    if (at - in >= count) break;
    const size_t n = static_cast<size_t>(at - in);
    feed(events, n, stride);
    events = reinterpret_cast<const sh_market_event*>(reinterpret_cast<const unsigned char*>(events) + n * stride);
    count -= n;
  }
  if (count > 0) feed(events, count, stride);
}

void Pipeline::feed(const sh_market_event* events, size_t count, size_t stride) {
  // A venue fed the market events (paper fills on the book) changes the
  // broker's state: the minute in commit must be finished first.
  if (writer_ && writer_->pending() && decision_->venue_wants_events()) {
    const Status cs = collect_commit();
    if (!cs.ok() && deferred_error_.ok()) deferred_error_ = cs;
  }
  EventBatch batch;
  batch.events = events;
  batch.count = count;
  batch.stride = stride;
  for (auto& stage : stages_) stage->on_events(batch, closed_);
  events_in_.store(events_in_.load(std::memory_order_relaxed) + count, std::memory_order_release);
}

void Pipeline::on_clock(int64_t recv_clock_ns) {
  for (auto& stage : stages_) stage->on_clock(recv_clock_ns, closed_);
}

Status Pipeline::take_deferred_error() { return std::exchange(deferred_error_, Status::Ok()); }

Status Pipeline::process_closed() {
  const bool any = !closed_.empty();
  for (MinuteClose& m : closed_) {
    const auto t0 = std::chrono::steady_clock::now();
    Status st = process_minute(m);
    // Close latency: the conveyor's close work for this minute (bars,
    // features, baselines, context) plus every stage and the store txn.
    latency_.close_ns.push_back(m.compute_ns +
                                std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::steady_clock::now() - t0)
                                    .count());
    latency_.conveyor_close_ns.push_back(m.compute_ns);
    if (!st.ok()) {
      closed_.clear();
      return st;
    }
  }
  for (auto& stage : stages_) stage->recycle(closed_);
  if (status_ && any) publish_status();
  closed_.clear();
  return Status::Ok();
}

Status Pipeline::process_minute(MinuteClose& close) {
  // The previous minute's commit and on_commit come before anything of this one.
  const Status cs = collect_commit();
  if (!cs.ok()) return cs;
  if (config_.mode == RunMode::kReplay) {
    runtime_.clock.set_virtual_ns(close.minute_ts_ns + config_.conveyor.bar_interval_ns);
  }
  Minute& m = minute_;
  m.close = &close;
  m.batch = sh_feature_batch{sizeof(sh_feature_batch), sizeof(sh_feature_row),
                             static_cast<uint32_t>(close.rows.size()), 0, close.minute_ts_ns,
                             close.rows.data(), 0, 0, nullptr, nullptr};
  if (close.features && close.features->size() > 0) {
    m.batch.column_count = static_cast<uint32_t>(close.features->size());
    m.batch.column_names = close.features->name_ptrs();
    m.batch.columns = close.columns.data();
  }
  m.hits.clear();
  m.shadow_hits.clear();
  m.shadow_outputs.clear();
  m.write.minute_ts_ns = close.minute_ts_ns;
  m.write.rows.clear();
  m.write.events.clear();
  m.decision = DecisionFigures{};
  m.finalize_ms = std::numeric_limits<double>::quiet_NaN();
  m.alerts_raised.clear();
  batch_.clear();
  m.staged = writer_ ? &batch_ : nullptr;
  for (auto& stage : stages_) {
    const Status st = stage->on_minute(m);
    if (!st.ok()) return st;
  }
  return commit_minute(m);
}

// One transaction: the minute's rows and events and every stage's state.
Status Pipeline::commit_minute(Minute& m) {
  commit_rows_ = m.write.rows.size();
  commit_minute_ts_ns_ = m.write.minute_ts_ns;
  if (writer_) {
    // persist() into the batch here; the writer's thread writes and commits.
    StateTxn staged = StateTxn::staged(&batch_);
    for (auto& stage : stages_) {
      const Status hs = stage->persist(m, staged);
      if (!hs.ok()) return finish_commit(m, hs, 0);  // nothing was written
    }
    writer_->submit(&m.write, &batch_);
    return Status::Ok();
  }
  uint64_t txn_id = 0;
  const Status st = store_->write_minute(m.write, [this, &m, &txn_id](StateTxn& txn) {
    txn_id = txn.id();
    for (auto& stage : stages_) {
      const Status hs = stage->persist(m, txn);
      if (!hs.ok()) return hs;
    }
    return Status::Ok();
  });
  return finish_commit(m, st, txn_id);
}

Status Pipeline::finish_commit(Minute& m, const Status& write_status, uint64_t txn_id) {
  Status st = write_status;
  m.txn_id = st.ok() ? txn_id : 0;
  for (auto& stage : stages_) {
    const Status cs = stage->on_commit(m, st);
    if (st.ok()) st = cs;
  }
  if (!st.ok()) return st;
  summary_.snapshot_rows += commit_rows_;
  ++summary_.minutes_closed;
  runtime_.last_minute_ts_ns.store(commit_minute_ts_ns_, std::memory_order_relaxed);
  runtime_.minutes_committed.fetch_add(1, std::memory_order_relaxed);
  return Status::Ok();
}

Status Pipeline::collect_commit() {
  if (!writer_ || !writer_->pending()) return Status::Ok();
  MinuteWriter::Result r = writer_->wait();
  latency_.commit_ns.push_back(r.write_ns);
  return finish_commit(minute_, r.status, r.txn_id);
}

// ---------------------------------------------------------------- the summary

void Pipeline::finish_summary() {
  for (const auto& stage : stages_) stage->contribute(summary_);
  summary_.digest = digest_.hex_digest();
  set_latency_figures(latency_, &summary_);
}

void Pipeline::print_summary(std::ostream& out) const {
  print_run_summary(out, summary_, config_.mode, runtime_.counters);
}

std::string Pipeline::summary_json() const {
  return run_summary_json(summary_, config_.mode, runtime_.counters, digest_);
}

}  // namespace sh::host
