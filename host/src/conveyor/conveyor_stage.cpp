#include "conveyor/conveyor_stage.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>

#include "config/host_config.h"
#include "services/symbol_table.h"
#include "store/text_format.h"
#include "store/time_format.h"

namespace sh::host {
namespace {

const char* dq_name(sh_dq_status dq) {
  const char* name = dq_known_name(dq);
  return name != nullptr ? name : "unknown";
}

const std::vector<uint32_t> kNoColumns;

const char* symbol_name_of(void* table, sh_symbol_id id) {
  return static_cast<const SymbolTable*>(table)->name(id);
}

}  // namespace

ConveyorStage::ConveyorStage(const ConveyorConfig& config, const MarketDataGuardConfig& guard,
                             const SymbolTable& symbols, RunSummary& summary)
    : conveyor_(config),
      guard_(guard, &symbol_name_of, const_cast<SymbolTable*>(&symbols)),
      symbols_(symbols),
      summary_(summary) {}

ConveyorStage::~ConveyorStage() {
  if (rejects_) std::fclose(rejects_);
}

Status ConveyorStage::open(StageContext& ctx) {
  events_in_ = &ctx.events_in;
  const MarketDataGuardConfig& g = guard_.config();
  if (!g.enabled || g.rejects_file.empty()) return Status::Ok();
  rejects_path_ = (ctx.host_config.output_dir() / g.rejects_file).string();
  std::error_code ec;
  std::filesystem::create_directories(ctx.host_config.output_dir(), ec);
  // A replay starts its outputs empty; a live mode appends.
  rejects_ = std::fopen(rejects_path_.c_str(), ctx.config.mode == RunMode::kReplay ? "w" : "a");
  if (rejects_ == nullptr) {
    return Status::IoError("market data rejects file " + rejects_path_ + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Status ConveyorStage::finish() {
  if (guard_.quarantined_total() > 0) {
    std::string by;
    for (size_t i = 1; i < static_cast<size_t>(Quarantine::kCount); ++i) {
      const uint64_t n = guard_.quarantined(static_cast<Quarantine>(i));
      if (n) by += std::string(by.empty() ? "" : ", ") + quarantine_name(static_cast<Quarantine>(i)) + "=" + std::to_string(n);
    }
    spdlog::warn("market data: {} events quarantined ({}){}", guard_.quarantined_total(), by,
                 rejects_ ? ", each in " + rejects_path_ : std::string());
  }
  if (rejects_ && std::fflush(rejects_) != 0) {
    return Status::IoError("market data rejects file " + rejects_path_ + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

void ConveyorStage::report(const sh_market_event& ev, Quarantine q, uint64_t position) {
  const char* name = symbols_.name(ev.symbol);
  const std::string why = guard_.describe(ev, q);
  uint64_t& logged = logged_[static_cast<size_t>(q)];
  if (logged < guard_.config().log_limit_per_reason) {
    ++logged;
    spdlog::warn("market data quarantined: {} {} at {} (input event {}): {}{}", quarantine_name(q),
                 name ? name : "?", format_iso8601_utc(ev.ts_ns), position, why,
                 logged == guard_.config().log_limit_per_reason ? " (further ones of this reason: counted, in the rejects file)" : "");
  }
  if (rejects_) {
    std::fprintf(rejects_,
                 "{\"reason\":\"%s\",\"input_event\":%llu,\"symbol\":\"%s\",\"type\":%d,\"ts_ns\":%lld,"
                 "\"detail\":\"%s\"}\n",
                 quarantine_name(q), static_cast<unsigned long long>(position), name ? name : "",
                 static_cast<int>(ev.type), static_cast<long long>(ev.ts_ns), why.c_str());
  }
}

const EventBatch* ConveyorStage::screen(const EventBatch& batch) {
  if (!guard_.config().enabled) return nullptr;
  const auto* base = reinterpret_cast<const unsigned char*>(batch.events);
  const uint64_t first = events_in_ ? events_in_->load(std::memory_order_relaxed) : 0;
  size_t i = 0;
  Quarantine q = Quarantine::kNone;
  auto at = [base, &batch](size_t k) {
    return reinterpret_cast<const sh_market_event*>(base + k * batch.stride);
  };
  // The symbols' states are cold (many symbols interleave): load them, and
  // then their trade-id words, some events ahead.
  constexpr size_t kAhead = 8;
  for (; i < batch.count; ++i) {
    if (i + 2 * kAhead < batch.count) guard_.prefetch(*at(i + 2 * kAhead), true);
    if (i + kAhead < batch.count) guard_.prefetch(*at(i + kAhead), false);
    q = guard_.check(*at(i));
    if (q != Quarantine::kNone) break;
  }
  if (i == batch.count) return nullptr;  // the common case: nothing to take out
  kept_.clear();
  for (size_t k = 0; k < i; ++k) {
    kept_.push_back(*reinterpret_cast<const sh_market_event*>(base + k * batch.stride));
  }
  report(*reinterpret_cast<const sh_market_event*>(base + i * batch.stride), q, first + i);
  for (++i; i < batch.count; ++i) {
    const auto& ev = *reinterpret_cast<const sh_market_event*>(base + i * batch.stride);
    q = guard_.check(ev);
    if (q == Quarantine::kNone) {
      kept_.push_back(ev);
    } else {
      report(ev, q, first + i);
    }
  }
  kept_batch_ = EventBatch{kept_.data(), kept_.size(), sizeof(sh_market_event), false};
  return &kept_batch_;
}

void ConveyorStage::on_events(const EventBatch& batch, std::vector<MinuteClose>& closed) {
  if (batch.end) {
    conveyor_.flush(closed);
    return;
  }
  const EventBatch* kept = screen(batch);
  const EventBatch& in = kept ? *kept : batch;
  conveyor_.on_events(in.events, in.count, in.stride, closed);
}

Status ConveyorStage::on_minute(Minute& minute) {
  const MinuteClose& close = *minute.close;
  MinuteWrite& write = minute.write;
  write.rows.reserve(close.rows.size());
  // Columns without a row field are appended to the stored rows.
  const std::vector<uint32_t>& extra = close.features ? close.features->extra_columns() : kNoColumns;
  write.extra_count = static_cast<uint32_t>(extra.size());
  write.extra.clear();
  if (!extra.empty()) {
    const size_t n_columns = close.features->size();
    write.extra.reserve(close.rows.size() * extra.size());
    for (size_t i = 0; i < close.rows.size(); ++i) {
      for (uint32_t j : extra) write.extra.push_back(close.columns[i * n_columns + j]);
    }
  }
  size_t ok = 0;
  for (const sh_feature_row& r : close.rows) {
    const char* name = symbols_.name(r.symbol);
    write.rows.push_back(SnapshotRow{name ? name : "", r});
    ++summary_.dq_rows[dq_name(r.dq)];
    ok += r.dq == SH_DQ_OK;
  }
  // For on_commit, which may come after the close was reused.
  committing_ = Committing{close.minute_ts_ns, close.rows.size(), ok};
  return Status::Ok();
}

Status ConveyorStage::on_commit(Minute& minute, const Status& commit) {
  // Live: one line per committed minute, the runbook's first check ("1m rows
  // appear ~150-300 ms after minute close"): how long after the minute's end
  // (exchange time, via the receive clock's offset) its rows were committed.
  if (!commit.ok() || !conveyor_.config().receive_clock) return Status::Ok();
  const int64_t offset = conveyor_.clock_offset_ns();
  if (offset == std::numeric_limits<int64_t>::max()) return Status::Ok();
  const Committing& close = committing_;
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const int64_t end = close.minute_ts_ns + conveyor_.config().bar_interval_ns;
  const double after_ms = static_cast<double>(now - offset - end) / 1e6;
  if (after_ms < 3.6e6) {
    minute.finalize_ms = after_ms;
    spdlog::info("minute {} committed: {} rows ({} dq ok), {:.0f} ms after its end",
                 format_iso8601_utc(close.minute_ts_ns), close.rows, close.ok, after_ms);
  } else {  // a recorded session replayed: its wall time is long gone
    spdlog::info("minute {} committed: {} rows ({} dq ok)", format_iso8601_utc(close.minute_ts_ns),
                 close.rows, close.ok);
  }
  return Status::Ok();
}

void ConveyorStage::on_clock(int64_t recv_clock_ns, std::vector<MinuteClose>& closed) {
  conveyor_.on_clock(recv_clock_ns, closed);
  const int64_t offset = conveyor_.clock_offset_ns();
  if (skew_warned_ || offset == std::numeric_limits<int64_t>::max()) return;
  const int64_t bound = conveyor_.config().max_clock_skew_ns;
  if (offset > bound || offset < -bound) {
    skew_warned_ = true;
    spdlog::warn("receive clock: the smallest ingest lag is {:.3f} s (bound conveyor.max_clock_skew_ms {}): "
                 "the host clock and the exchange's disagree (check NTP) or the feed replays old data; "
                 "minutes close on exchange time = receive time - {:.3f} s; rows are marked dq clock_skew "
                 "while it lasts",
                 static_cast<double>(offset) / 1e9, bound / 1'000'000, static_cast<double>(offset) / 1e9);
  }
}

void ConveyorStage::contribute(RunSummary& summary) const {
  const ConveyorStats& cs = conveyor_.stats();
  summary.minutes_closed_on_clock = cs.clock_closed;
  summary.feed_gaps = cs.feed_gaps;
  const int64_t offset = conveyor_.clock_offset_ns();
  summary.clock_offset_ms = offset == std::numeric_limits<int64_t>::max()
                                ? std::numeric_limits<double>::quiet_NaN()
                                : static_cast<double>(offset) / 1e6;
  summary.events_in = cs.events_in;
  summary.rejected_events = cs.rejected_events;
  summary.late_events = cs.late_events;
  for (size_t i = 1; i < static_cast<size_t>(Quarantine::kCount); ++i) {
    const uint64_t n = guard_.quarantined(static_cast<Quarantine>(i));
    if (n) summary.quarantined[quarantine_name(static_cast<Quarantine>(i))] = n;
  }
}

}  // namespace sh::host
