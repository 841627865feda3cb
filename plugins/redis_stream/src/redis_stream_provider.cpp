// redis_stream_provider.cpp: the `redis_stream` provider plugin. A
// StreamReader owns the Redis connection on its own thread and fills a
// bounded EntryQueue; poll() drains it on the pipeline thread, interns
// symbols, counts and logs bad entries, emits events, and hands the ids of
// what the host took back to the reader for XACK. See README.md.
#include <strategy_host/plugin.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "entry_parser.h"
#include "entry_queue.h"
#include "reader_report.h"
#include "stream_config.h"
#include "stream_config_schema.h"
#include "stream_reader.h"

namespace redis_stream {

class RedisStreamProvider final : public sh::Provider {
 public:
  static constexpr const char* kName = "redis_stream";
  // Relays whatever live events the stream carries.
  static constexpr uint32_t kAssetClasses = SH_ASSET_STOCKS | SH_ASSET_FX | SH_ASSET_CRYPTO | SH_ASSET_COMMODITIES;
  static constexpr uint32_t kProviderFlags = SH_PROVIDER_LIVE;
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "market data (trade, quote, l2, bar entries) from a Redis stream: XREAD, or XREADGROUP + XACK "
      "with a consumer group, on its own thread";
  static constexpr const char* kConfigSchema = kStreamConfigSchema;

  RedisStreamProvider(const sh::Host& host, const nlohmann::json& config)
      : sh::Provider(host), config_(parse_stream_config(config)), queue_(config_.queue_capacity),
        reader_(std::make_unique<StreamReader>(config_, queue_, report_)) {}

  ~RedisStreamProvider() override {
    reader_->stop();  // sends the acks handed over so far
    report_.flush(host());
  }

  // The receive clock (abi.h, clock_ns): every entry read before it has been
  // emitted. The queue's clock as of the last drain; while events of drained
  // entries still await the sink, the first of them's receive time.
  int64_t clock_ns() override {
    const int64_t clock = next_ < out_.size() ? std::min(out_[next_].recv_ts_ns, drained_clock_ns_)
                                              : drained_clock_ns_;
    if (clock > reported_clock_ns_) reported_clock_ns_ = clock;
    return reported_clock_ns_;
  }

  // SH_OK: events emitted; SH_WOULD_BLOCK: nothing now (or the sink refused:
  // offered again next time); SH_END_OF_DATA: stop_after_entries or
  // stop_when_idle_ms ended the stream and everything read was emitted.
  sh_status poll(const sh::EventSink& sink, uint32_t max_events) override {
    if (!started_) {
      // Started by the first poll, not by create(): `host --validate-config`
      // creates instances and must not connect.
      host().info("reading stream '" + config_.stream + "' from " + config_.endpoint() +
                  (config_.uses_group() ? " with XREADGROUP (group '" + config_.group + "')" : " with XREAD"));
      reader_->start();
      started_ = true;
    }
    if (max_events == 0) {
      report_.flush(host());
      return SH_OK;
    }
    if (next_ == out_.size()) {
      out_.clear();
      ids_.clear();
      next_ = 0;
      fill(max_events);
    }
    report_.flush(host());
    if (next_ == out_.size()) return ended_ ? SH_END_OF_DATA : SH_WOULD_BLOCK;
    const uint32_t n = static_cast<uint32_t>(std::min<size_t>(max_events, out_.size() - next_));
    if (sink.emit(out_.data() + next_, n) != SH_OK) return SH_WOULD_BLOCK;
    if (config_.uses_group()) queue_.ack(std::vector<StreamId>(ids_.begin() + next_, ids_.begin() + next_ + n));
    report_.add(IoReport::kEventsEmitted, n);
    next_ += n;
    return SH_OK;
  }

 private:
  // Drains entries until some events are ready or the queue is empty.
  void fill(uint32_t max_events) {
    std::vector<StreamId> skipped;
    for (int round = 0; round < 16 && out_.empty() && !ended_; ++round) {
      pending_.clear();
      int64_t clock = 0;
      bool ended = false;
      queue_.drain(pending_, max_events, &clock, &ended);
      for (ParsedEntry& e : pending_) {
        if (e.status == EntryStatus::kOk) {
          e.event.symbol = intern(e.symbol);
          out_.push_back(e.event);
          ids_.push_back(e.id);
          continue;
        }
        skipped.push_back(e.id);  // handled: acked, never read again
        if (e.status == EntryStatus::kFiltered) {
          report_.add(IoReport::kFilteredEntries);
          continue;
        }
        report_.add(IoReport::kMalformedEntries);
        if (e.status == EntryStatus::kUnknownType) report_.add(IoReport::kUnknownTypes);
        log_bad(e);
      }
      if (clock > drained_clock_ns_) drained_clock_ns_ = clock;
      ended_ = ended;
      if (pending_.empty()) break;
    }
    if (config_.uses_group()) queue_.ack(skipped);
  }

  sh_symbol_id intern(const std::string& name) {
    const auto it = symbols_.find(name);
    if (it != symbols_.end()) return it->second;
    const sh_symbol_id id = host().intern(name);
    symbols_.emplace(name, id);
    return id;
  }

  // At most log_limit_per_reason lines per reason; the counters keep the rest.
  void log_bad(const ParsedEntry& e) {
    uint64_t& n = logged_[e.reason];
    if (n >= config_.log_limit_per_reason) return;
    ++n;
    std::string line = "stream '" + config_.stream + "' entry " + e.id.str() + " skipped (" + e.reason +
                       "): " + e.detail;
    if (n == config_.log_limit_per_reason) line += " (further '" + e.reason + "' entries are only counted)";
    host().warn(line);
  }

  StreamConfig config_;
  EntryQueue queue_;
  IoReport report_;
  std::unique_ptr<StreamReader> reader_;  // stopped before the rest goes
  std::deque<ParsedEntry> pending_;
  std::vector<sh_market_event> out_;
  std::vector<StreamId> ids_;  // ids_[i]: the entry of out_[i]
  size_t next_ = 0;            // out_[next_, size) await the sink
  bool started_ = false;
  bool ended_ = false;
  int64_t drained_clock_ns_ = 0;   // receive clock as of the entries drained so far
  int64_t reported_clock_ns_ = 0;  // the largest value clock_ns() returned
  std::unordered_map<std::string, sh_symbol_id> symbols_;
  std::map<std::string, uint64_t> logged_;  // lines logged per reason
};

}  // namespace redis_stream

SH_EXPORT_PLUGIN(redis_stream::RedisStreamProvider)
