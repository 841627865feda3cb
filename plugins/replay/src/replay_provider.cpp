// replay_provider.cpp: the `replay` provider plugin. Reads trades, quotes, L2
// levels and OHLCV bars from CSV / JSON-lines files and emits them as one
// stream in event-time order. Config, formats and bad-row rules: README.md,
// replay_config.cpp (schema) and file_source.h (checks).
#include <strategy_host/plugin.hpp>

#include <algorithm>
#include <chrono>
#include <limits>
#include <memory>
#include <vector>

#include "bad_row_log.h"
#include "event_merger.h"
#include "file_source.h"
#include "parse_ahead.h"
#include "replay_config.h"
#include "replay_config_schema.h"
#include "symbol_table.h"

namespace replay {

class ReplayProvider final : public sh::Provider {
 public:
  static constexpr const char* kName = "replay";
  // A recorded session of any symbols: neither live nor daily history.
  static constexpr uint32_t kAssetClasses = SH_ASSET_STOCKS | SH_ASSET_FX | SH_ASSET_CRYPTO | SH_ASSET_COMMODITIES;
  static constexpr uint32_t kProviderFlags = 0;
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Replays trades, quotes, L2 and OHLCV bars from CSV / JSON-lines files, merged in event-time order";
  static constexpr const char* kConfigSchema = kReplayConfigSchema;

  ReplayProvider(const sh::Host& host, const nlohmann::json& config)
      : sh::Provider(host),
        config_(parse_replay_config(config)),
        deferred_(host.raw()),
        symbols_(host, config_.symbols),
        counters_(host),
        emitted_counter_(host.counter("events_emitted")) {
    SourceSettings s{};
    s.max_future_ns = config_.max_future_ns;
    s.wall_limit_ns = wall_limit_ns(config_.max_future_ns);
    s.l2_levels = config_.l2_levels;
    s.bar_duration_ns = config_.bar_duration_ns;
    s.log_limit = config_.log_limit_per_reason;
    // Read buffers total at most ~256 MiB however many files are merged.
    s.buffer_bytes = std::clamp<size_t>((256u << 20) / config_.files.size(), 64u << 10, 1u << 20);
    s.l2_beyond_counter = host.counter("l2_beyond_levels");
    s.read_error_counter = host.counter("read_errors");

    std::vector<std::unique_ptr<FileSource>> sources;
    sources.reserve(config_.files.size());
    for (const FileSpec& spec : config_.files)
      sources.push_back(std::make_unique<FileSource>(spec, symbols_, counters_, deferred_.host(), s));
    // Reading, parsing and merging run on a thread of their own, ahead of
    // the pipeline (parse_ahead.h); the stream is the merger's, unchanged.
    ahead_ = std::make_unique<ParseAhead>(std::make_unique<EventMerger>(std::move(sources)), deferred_,
                                          config_.parse_thread);
  }

  // Emits at most min(max_events, ParseAhead::kBatchEvents) events in one
  // sink call.
  // SH_OK: events were emitted (more may follow); SH_END_OF_DATA: nothing
  // left, no events in this call. If the sink refuses a batch, the batch is
  // kept and offered again by the next poll (nothing is lost) and the call
  // returns SH_WOULD_BLOCK.
  sh_status poll(const sh::EventSink& sink, uint32_t max_events) override {
    if (max_events == 0) return SH_OK;
    if (pending_ == 0 && !next_batch(std::min<uint32_t>(max_events, ParseAhead::kBatchEvents)))
      return SH_END_OF_DATA;
    const uint32_t n = std::min(pending_, max_events);
    if (sink.emit(batch_, n) != SH_OK) return SH_WOULD_BLOCK;
    host().add(emitted_counter_, n);
    batch_ += n;
    pending_ -= n;
    return SH_OK;
  }

 private:
  // The next (up to) cap events of the stream as one batch: a view into the
  // parse-ahead ring when its current batch holds them, else copied together
  // from two ring batches. False at the end of the stream.
  bool next_batch(uint32_t cap) {
    if (!refill()) return false;
    if (ring_left_ >= cap) {
      batch_ = ring_;
      pending_ = cap;
      ring_ += cap;
      ring_left_ -= cap;
      return true;
    }
    if (!staging_) staging_.reset(new sh_market_event[ParseAhead::kBatchEvents]);
    while (pending_ < cap && refill()) {
      const uint32_t n = std::min(cap - pending_, ring_left_);
      std::copy(ring_, ring_ + n, staging_.get() + pending_);
      pending_ += n;
      ring_ += n;
      ring_left_ -= n;
    }
    batch_ = staging_.get();
    return pending_ > 0;
  }
  bool refill() {
    if (ring_left_ > 0) return true;
    if (ended_) return false;
    ring_ = ahead_->take(&ring_left_);  // hands the previous ring batch back
    if (ring_ == nullptr) ended_ = true;
    return ring_ != nullptr;
  }

  // Rows stamped after this are future_ts. The wall clock is read once here,
  // only to reject impossible timestamps; it never orders or alters events.
  static int64_t wall_limit_ns(int64_t max_future_ns) {
    const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    return now_ns > std::numeric_limits<int64_t>::max() - max_future_ns
               ? std::numeric_limits<int64_t>::max()
               : now_ns + max_future_ns;
  }

  ReplayConfig config_;
  DeferredServices deferred_;  // the sources' services: outlives them and ahead_
  SymbolTable symbols_;
  BadRowCounters counters_;
  uint32_t emitted_counter_;
  std::unique_ptr<ParseAhead> ahead_;
  const sh_market_event* batch_ = nullptr;  // batch_[0, pending_) await the sink
  uint32_t pending_ = 0;
  const sh_market_event* ring_ = nullptr;  // ring_[0, ring_left_): taken, not yet batched
  uint32_t ring_left_ = 0;
  std::unique_ptr<sh_market_event[]> staging_;  // a batch spanning two ring batches
  bool ended_ = false;
};

}  // namespace replay

SH_EXPORT_PLUGIN(replay::ReplayProvider)
