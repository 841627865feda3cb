#include "ops/daily_report_stage.h"
#include "ops/status_snapshot.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <regex>
#include <system_error>

#include "ops/alert_state.h"

namespace sh::host {
namespace {

int64_t utc_day_of(int64_t ts_ns) {
  return ts_ns >= 0 ? ts_ns / kNsPerDay : -((-ts_ns + kNsPerDay - 1) / kNsPerDay);
}

}  // namespace

Status DailyReportStage::open(StageContext& ctx) {
  ctx_ = &ctx;
  const DailyReportConfig& config = ctx.config.daily_report;
  if (!config.enabled) return Status::Ok();
  dir_ = ctx.host_config.output_dir() / config.dir;
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::IoError(dir_.string() + ": cannot create the daily report dir: " + ec.message());
  if (ctx.config.mode == RunMode::kReplay) return remove_replay_reports();
  return restore();
}

Status DailyReportStage::remove_replay_reports() const {
  static const std::regex kReportName(R"(\d{4}-\d{2}-\d{2}\.json)");
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    if (!std::regex_match(entry.path().filename().string(), kReportName)) continue;
    std::filesystem::remove(entry.path(), ec);
    if (ec) return Status::IoError(entry.path().string() + ": cannot reset for replay: " + ec.message());
  }
  return ec ? Status::IoError(dir_.string() + ": " + ec.message()) : Status::Ok();
}

Status DailyReportStage::restore() {
  std::string saved;
  bool found = false;
  Status st = read_ops_record(*ctx_->store, kMetaDailyReport, &resume_after_ns_, &saved, &found);
  if (!st.ok() || !found) return st;
  st = daily_state_from_json(saved, &tally_, &last_reported_day_);
  if (!st.ok()) return st;
  committed_tally_ = tally_;
  committed_reported_day_ = last_reported_day_;
  if (tally_.minutes > 0) {
    spdlog::info("daily report: resuming {} from the store ({} minutes, {} trades so far)", tally_.date(),
                 tally_.minutes, tally_.trades);
  }
  return Status::Ok();
}

Status DailyReportStage::on_minute(Minute& minute) {
  changed_ = false;
  if (dir_.empty()) return Status::Ok();
  // The run summary's denials are this run's totals: what is new since the
  // last minute is this minute's.
  std::map<std::string, uint64_t> new_denials;
  for (const auto& [reason, n] : ctx_->summary.denied) {
    const uint64_t before = seen_denied_[reason];
    if (n > before) new_denials[reason] = n - before;
  }
  seen_denied_ = ctx_->summary.denied;
  const int64_t ts = minute.close->minute_ts_ns;
  if (ts <= resume_after_ns_) return Status::Ok();  // a restart catching up: counted already
  const int64_t day = utc_day_of(ts);
  if (tally_.minutes > 0 && day != tally_.day) {
    // The first minute of a new UTC day: the previous day is complete.
    if (tally_.day > last_reported_day_) {
      const Status st = write_report(tally_, false);
      if (!st.ok()) return st;
      last_reported_day_ = tally_.day;
    }
    tally_ = DailyTally{};
  }
  add(minute, new_denials);
  changed_ = true;
  return Status::Ok();
}

void DailyReportStage::add(const Minute& minute, const std::map<std::string, uint64_t>& new_denials) {
  const int64_t ts = minute.close->minute_ts_ns;
  DailyTally& t = tally_;
  if (t.minutes == 0) {
    t.day = utc_day_of(ts);
    t.first_minute_ts_ns = ts;
  }
  t.last_minute_ts_ns = ts;
  ++t.minutes;
  const DecisionFigures& d = minute.decision;
  if (d.valid) {
    if (!t.decided) t.start_equity_usd = d.equity_usd - d.daily_pnl_usd;
    t.decided = true;
    t.end_equity_usd = d.equity_usd;
    t.pnl_usd = d.daily_pnl_usd;
    t.unrealized_usd = d.unrealized_pnl_usd;
    t.realized_usd += d.fills_realized_pnl_usd;
    t.fees_usd += d.fills_fees_usd;
    t.trades += d.fills;
  }
  for (const auto& [reason, n] : new_denials) t.denied[reason] += n;
  for (const char* code : minute.alerts_raised) ++t.alerts[code];
}

Status DailyReportStage::write_report(const DailyTally& tally, bool partial) {
  const std::string text = tally.report_json(partial) + "\n";
  if (!partial) last_report_ = text;
  const std::filesystem::path path = dir_ / (tally.date() + ".json");
  const std::filesystem::path tmp = dir_ / (tally.date() + ".json.tmp");
  {
    errno = 0;
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      return Status::IoError(tmp.string() + ": cannot write the daily report: " +
                             (errno != 0 ? std::strerror(errno) : "write failed"));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IoError(path.string() + ": cannot write the daily report: " + ec.message());
  ctx_->digest.add("daily_reports", text);
  spdlog::info("{} -> {}", tally.summary_line(partial), path.string());
  return Status::Ok();
}

Status DailyReportStage::persist(const Minute&, StateTxn& txn) {
  if (!changed_) return Status::Ok();
  return txn.put(StateDb::kMeta, kMetaDailyReport, daily_state_json(tally_, last_reported_day_));
}

Status DailyReportStage::on_commit(Minute&, const Status& commit) {
  if (!changed_) return Status::Ok();
  if (commit.ok()) {
    committed_tally_ = tally_;
    committed_reported_day_ = last_reported_day_;
  } else {
    tally_ = committed_tally_;
    last_reported_day_ = committed_reported_day_;
  }
  return Status::Ok();
}

// The day so far, marked partial: the run may end mid-day (a replay, a stop).
Status DailyReportStage::finish() {
  if (dir_.empty() || tally_.minutes == 0 || tally_.day <= last_reported_day_) return Status::Ok();
  return write_report(tally_, true);
}

void DailyReportStage::describe(StatusSnapshot& status) const {
  if (ctx_ == nullptr) return;
  if (tally_.minutes > 0) status.daily_today_json = tally_.report_json(true);
  status.daily_last_json = last_report_;
}

}  // namespace sh::host
