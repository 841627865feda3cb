#include "ops/alert_stage.h"

#include "ops/status_snapshot.h"

#include <spdlog/spdlog.h>

#include "events/feed_files.h"
#include "services/text_util.h"

namespace sh::host {

Status AlertStage::open(StageContext& ctx) {
  ctx_ = &ctx;
  const AlertConfig& config = ctx.config.alerts;
  if (!config.enabled) return Status::Ok();
  figures_ = std::make_unique<AlertFigures>(config, ctx.components, ctx.runtime.symbols);
  const bool replay = ctx.config.mode == RunMode::kReplay;
  if (!replay) {
    Status st = restore();
    if (!st.ok()) return st;
    if (!config.file.empty()) {
      st = trim_feeds_to_store(*ctx.store, ctx.host_config.output_dir(),
                               {{config.file, FeedFormat::kJsonLines}});
      if (!st.ok()) return st;
    }
  }
  Status st = open_feed_jsonl(ctx.host_config.output_dir(), config.file, replay, &ctx.digest, "alerts", &file_);
  if (!st.ok()) return st;
  // Replay never publishes outside its own files.
  if (!replay && ctx.config.redis.enabled && !config.redis_stream.empty()) {
    AlertStreamOptions o;
    o.redis = ctx.config.redis;
    o.stream = config.redis_stream;
    o.maxlen = config.redis_maxlen;
    stream_ = std::make_unique<AlertStream>(o);
  }
  publish();
  return Status::Ok();
}

// Persistent modes: the alerts raised when the store last committed, and
// the minute a restart resumes after.
Status AlertStage::restore() {
  std::string saved;
  bool found = false;
  Status st = read_ops_record(*ctx_->store, kMetaAlerts, &resume_after_ns_, &saved, &found);
  if (!st.ok() || !found) return st;
  st = states_.restore(saved);
  if (!st.ok()) return st;
  committed_ = states_;
  for (const ActiveAlert& a : states_.active_alerts()) {
    spdlog::warn("alert {} ({}) still raised from the previous run: {}", a.code,
                 alert_severity_name(a.severity), a.message);
  }
  return Status::Ok();
}

Status AlertStage::on_minute(Minute& minute) {
  transitions_.clear();
  lines_.clear();
  evaluated_ = false;
  if (!figures_) return Status::Ok();
  const int64_t interval = ctx_->config.conveyor.bar_interval_ns;
  const int64_t ts = minute.close->minute_ts_ns;
  // A minute a restart catches up on refills the windows; its alerts were
  // evaluated (and committed) by the run that committed it.
  figures_->add_minute(minute, ctx_->summary, interval);
  if (ts <= resume_after_ns_) return Status::Ok();
  evaluated_ = true;
  for (size_t k = 0; k < kAlertKindCount; ++k) {
    const AlertKind kind = static_cast<AlertKind>(k);
    states_.evaluate(kind, ctx_->config.alerts.rule(kind), figures_->reading(kind), ts, ts + interval,
                     &transitions_);
  }
  for (const AlertTransition& t : transitions_) {
    lines_.push_back(t.json_line());
    if (t.raised) {
      minute.alerts_raised.push_back(t.code());
      spdlog::warn("alert {} raised ({}): {}", t.code(), alert_severity_name(t.severity), t.message);
    } else {
      spdlog::info("alert {} cleared: {}", t.code(), t.message);
    }
  }
  return write_lines();
}

// Before the commit, like every feed (events/feed_recovery.h).
Status AlertStage::write_lines() {
  if (!file_ || lines_.empty()) return Status::Ok();
  for (const std::string& l : lines_) {
    const Status st = file_->append_line(l);
    if (!st.ok()) return st;
  }
  return file_->flush();
}

Status AlertStage::persist(const Minute&, StateTxn& txn) {
  if (transitions_.empty()) return Status::Ok();
  return txn.put(StateDb::kMeta, kMetaAlerts, states_.save());
}

Status AlertStage::on_commit(Minute& minute, const Status& commit) {
  if (!figures_) return Status::Ok();
  if (!commit.ok()) {
    // Nothing half-written: the state and the file go back to the store's.
    states_ = committed_;
    if (!ctx_->config.alerts.file.empty()) {
      const Status ts = trim_feeds_to_store(*ctx_->store, ctx_->host_config.output_dir(),
                                            {{ctx_->config.alerts.file, FeedFormat::kJsonLines}});
      if (!ts.ok()) spdlog::error("{}", ts.message());
    }
    return Status::Ok();
  }
  if (evaluated_) figures_->add_finalize_ms(minute.finalize_ms);
  if (transitions_.empty()) return Status::Ok();
  committed_ = states_;
  for (const AlertTransition& t : transitions_) ++(t.raised ? run_raised_ : run_cleared_)[t.code()];
  for (size_t i = 0; stream_ && i < transitions_.size(); ++i) stream_->post(transitions_[i], lines_[i]);
  publish();
  return Status::Ok();
}

void AlertStage::publish() { board_.publish(states_.active_alerts(), states_.counts()); }

Status AlertStage::finish() {
  if (!figures_) return Status::Ok();
  const std::vector<ActiveAlert> active = states_.active_alerts();
  if (!active.empty()) {
    std::vector<std::string> codes;
    for (const ActiveAlert& a : active) codes.push_back(a.code);
    spdlog::info("alerts still raised at the end of the run: {}", join(codes));
  }
  stream_.reset();  // delivers what is queued (one last attempt)
  return file_ ? file_->flush() : Status::Ok();
}

void AlertStage::contribute(RunSummary& summary) const {
  if (!figures_) return;
  summary.alerts_enabled = true;
  summary.alerts_raised = run_raised_;
  summary.alerts_cleared = run_cleared_;
  summary.alerts_active.clear();
  for (const ActiveAlert& a : states_.active_alerts()) summary.alerts_active.push_back(a.code);
}

// /api/status and /metrics: the board's picture (published at each commit).
void AlertStage::describe(StatusSnapshot& status) const {
  status.alerts = board_.active();
  status.alert_counts = board_.counts();
}

}  // namespace sh::host
