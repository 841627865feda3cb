#include "events/output_stage.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <system_error>

#include "events/feed_files.h"
#include "events/redis_stream_sink.h"
#include "store/time_format.h"

namespace sh::host {
namespace {

const sh_feature_row* find_row(const MinuteClose& minute, sh_symbol_id symbol) {
  auto it = std::lower_bound(minute.rows.begin(), minute.rows.end(), symbol,
                             [](const sh_feature_row& r, sh_symbol_id s) { return r.symbol < s; });
  return it != minute.rows.end() && it->symbol == symbol ? &*it : nullptr;
}

}  // namespace

Status OutputStage::open(StageContext& ctx) {
  ctx_ = &ctx;
  const PipelineConfig& config = ctx.config;
  const bool replay = config.mode == RunMode::kReplay;
  uint64_t last_seq = 0;
  Status st = ctx.store->last_seq(&last_seq);
  if (!st.ok() && !st.is_not_found()) return st;
  gate_ = std::make_unique<EventGate>(config.gate, last_seq + 1);
  if (!replay) {
    StateTxn txn;
    st = ctx.store->begin_read(&txn);
    if (!st.ok()) return st;
    st = load_gate_state(txn, gate_.get());
    if (!st.ok() && !st.is_not_found()) return st;
    // A previous process may have died between writing a minute's feed
    // lines and committing it.
    st = trim_feeds();
    if (!st.ok()) return st;
  }
  st = open_sinks(replay);
  if (!st.ok()) return st;
  // Replay never publishes outside its own files.
  if (!replay && config.redis.enabled && !config.sinks.redis_stream.empty() &&
      (config.mode == RunMode::kProduction || config.mode == RunMode::kCanary)) {
    RedisStreamSinkOptions ro;
    ro.host = config.redis.host;
    ro.port = config.redis.port;
    ro.timeout_ms = config.redis.timeout_ms;
    ro.stream = config.sinks.redis_stream;
    ro.maxlen = config.sinks.redis_maxlen;
    redis_sink_ = std::make_unique<RedisStreamSink>(ro);
  }
  return Status::Ok();
}

Status OutputStage::open_sinks(bool truncate) {
  const SinkSettings& sinks = ctx_->config.sinks;
  const std::filesystem::path out_dir = ctx_->host_config.output_dir();
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return Status::IoError(out_dir.string() + ": cannot create output dir: " + ec.message());
  OutputDigest* digest = &ctx_->digest;
  switch (ctx_->config.mode) {
    case RunMode::kDryRun:
      return open_feed_jsonl(out_dir, sinks.candidates_jsonl, true, digest, "candidates",
                             &candidates_jsonl_);
    case RunMode::kShadow:
      return open_feed_jsonl(out_dir, sinks.shadow_jsonl, truncate, digest, "shadow_events",
                             &shadow_jsonl_);
    case RunMode::kCanary: {
      Status st = open_feed_jsonl(out_dir, sinks.shadow_jsonl, truncate, digest, "shadow_events",
                                  &shadow_jsonl_);
      if (st.ok()) st = open_feed_jsonl(out_dir, sinks.jsonl, truncate, digest, "events", &main_jsonl_);
      return st;
    }
    case RunMode::kProduction:
    case RunMode::kReplay:
      return open_feed_jsonl(out_dir, sinks.jsonl, truncate, digest, "events", &main_jsonl_);
  }
  return Status::Ok();
}

JsonlFileSink* OutputStage::route(const EventRecord& record) {
  switch (ctx_->config.mode) {
    case RunMode::kShadow:
      return shadow_jsonl_.get();
    case RunMode::kCanary: {
      const auto& c = ctx_->config.canary;
      const bool canary = c.symbols.count(record.symbol) != 0 &&
                          (c.classes.empty() || c.classes.count(record.hit_class) != 0);
      return canary ? nullptr : shadow_jsonl_.get();  // nullptr: the main sinks
    }
    default:
      return nullptr;
  }
}

void OutputStage::offer(const Hit& h, const MinuteClose& close, Minute& minute) {
  RunSummary& summary = ctx_->summary;
  const sh_feature_row* row = find_row(close, h.symbol);
  const char* name = ctx_->runtime.symbols.name(h.symbol);
  EventCandidate c;
  c.symbol = name ? name : "";
  c.minute_ts_ns = close.minute_ts_ns;
  c.hit_class = h.hit_class;
  c.score = h.score;
  c.value = h.value;
  c.threshold = h.threshold;
  c.detector = *h.detector;
  c.detector_version = *h.detector_version;
  c.dq = row ? row->dq : SH_DQ_GAP;
  if (ctx_->config.mode == RunMode::kDryRun) {
    ++summary.candidates;
    EventRecord rec;
    static_cast<EventCandidate&>(rec) = c;
    spdlog::info("candidate {} {} {} score {:.1f} (dry-run: not published)", c.hit_class,
                 c.symbol, format_iso8601_utc(c.minute_ts_ns), c.score);
    outputs_.emplace_back(rec, candidates_jsonl_.get());
    return;
  }
  GateDecision d = gate_->offer(c);
  if (!d.published()) {
    ++summary.suppressed[suppress_reason_name(d.reason)];
    return;
  }
  JsonlFileSink* dest = route(d.record);
  if (dest == nullptr) {
    ++summary.published;
  } else {
    ++summary.shadowed;
  }
  minute.write.events.push_back(d.record);
  outputs_.emplace_back(std::move(d.record), dest);
}

Status OutputStage::on_minute(Minute& minute) {
  outputs_.clear();
  for (const Hit& h : minute.hits) offer(h, *minute.close, minute);
  return write_feeds();
}

// The feed files get the minute's lines before the transaction commits
// (see events/feed_recovery.h): a crash after the commit loses none; one
// before it leaves lines the next start trims.
Status OutputStage::write_feeds() {
  Status st = Status::Ok();
  for (const auto& [rec, dest] : outputs_) {
    JsonlFileSink* file = dest != nullptr ? dest : main_jsonl_.get();
    if (file == nullptr) continue;
    st = file->write(rec);
    if (!st.ok()) return st;
  }
  for (JsonlFileSink* f : {shadow_jsonl_.get(), candidates_jsonl_.get(), main_jsonl_.get()}) {
    if (f == nullptr) continue;
    st = f->flush();
    if (!st.ok()) return st;
  }
  return st;
}

Status OutputStage::persist(const Minute&, StateTxn& txn) {
  // The events commit with the gate state that produced them. The gate
  // only changes when it is offered a hit that gets past the dq check.
  return gate_->has_changed_keys() ? store_gate_state(*gate_, txn) : Status::Ok();
}

Status OutputStage::on_commit(Minute&, const Status& commit) {
  if (!commit.ok()) {
    // Nothing half-written: the feeds lose this minute's lines again.
    const Status ts = trim_feeds();
    if (!ts.ok()) spdlog::error("{}", ts.message());
    return Status::Ok();
  }
  gate_->forget_changed();
  if (!redis_sink_) return Status::Ok();
  // Redis (a feed for other processes) only ever sees committed minutes.
  for (const auto& [rec, dest] : outputs_) {
    if (dest != nullptr) continue;
    const Status st = redis_sink_->write(rec);
    if (!st.ok()) return st;
  }
  const Status st = redis_sink_->flush();
  if (!st.ok()) {
    // Redis is a feed: the store has the events; the sink retries next minute.
    spdlog::warn("{}", st.message());
  }
  return Status::Ok();
}

Status OutputStage::trim_feeds() {
  const SinkSettings& s = ctx_->config.sinks;
  return trim_feeds_to_store(*ctx_->store, ctx_->host_config.output_dir(),
                             {{s.jsonl, FeedFormat::kJsonLines},
                              {s.shadow_jsonl, FeedFormat::kJsonLines},
                              {s.candidates_jsonl, FeedFormat::kJsonLines}});
}

Status OutputStage::finish() {
  Status st = Status::Ok();
  for (EventSink* s : {static_cast<EventSink*>(main_jsonl_.get()), redis_sink_.get()}) {
    if (s == nullptr) continue;
    const Status fs = s->flush();
    if (!fs.ok() && st.ok()) st = fs;
  }
  return st;
}

}  // namespace sh::host
