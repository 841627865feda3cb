// stream_reader.h: the provider's network side, on its own thread with its
// own hiredis connection. Reads the stream with a blocking XREAD (or
// XREADGROUP) of at most block_ms, parses each entry and hands it to the
// EntryQueue stamped with its receive time; sends XACK for the ids poll()
// handed back; reconnects with exponential backoff and jitter. Never waits
// for poll(), and poll() never waits for it.
//
// Resume rules, so that a reconnect neither loses nor doubles an entry:
//  - XREAD: the id of the last entry read is the cursor (`$` is resolved to
//    the stream's last id at the first connection, so entries added between
//    two reads are never skipped).
//  - XREADGROUP: after each connection the consumer's pending entries first
//    (id 0, paged), skipping the ones already handed to poll() and not yet
//    acked (they are acked when emitted), then `>`. A group that vanished
//    (NOGROUP: Redis restarted empty) is created again after the last entry
//    handed over, with MKSTREAM.
#ifndef SH_REDIS_STREAM_STREAM_READER_H
#define SH_REDIS_STREAM_STREAM_READER_H

#include <atomic>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "entry_parser.h"
#include "entry_queue.h"
#include "reader_report.h"
#include "stream_config.h"

struct redisContext;
struct redisReply;

namespace redis_stream {

class StreamReader {
 public:
  StreamReader(const StreamConfig& config, EntryQueue& queue, IoReport& report);
  ~StreamReader();  // stop()
  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;

  void start();
  // Ends the thread within about block_ms; the acks handed over before the
  // call are sent first (best effort: unacked entries are read again).
  void stop();

 private:
  using Steady = std::chrono::steady_clock;
  enum class Outcome { kOk, kNoGroup, kFailed };

  void run();
  bool connect();
  void disconnect(const std::string& why);
  bool ensure_group();
  bool resolve_start();
  Outcome read_once();
  Outcome flush_acks();
  void wait_backoff();
  void check_idle();
  void finish(const std::string& why);
  // nullptr: the connection failed (last_error_ says why); the caller frees.
  redisReply* command(const std::vector<std::string>& args);
  size_t batch_limit() const;

  const StreamConfig& config_;
  EntryQueue& queue_;
  IoReport& report_;
  EntryParser parser_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};

  // Below: touched only on the reader thread.
  redisContext* ctx_ = nullptr;
  std::string last_error_;
  bool have_cursor_ = false;    // XREAD: cursor_ is a concrete id
  bool reading_pending_ = false;  // XREADGROUP: still paging id 0..
  StreamId cursor_;             // XREAD: last id read; XREADGROUP: pending page cursor
  bool delivered_any_ = false;
  StreamId last_delivered_;     // the newest entry handed to the queue
  std::vector<StreamId> acks_;  // taken from the queue, not yet acked
  std::vector<ParsedEntry> batch_;
  uint64_t entries_total_ = 0;
  uint64_t sessions_ = 0;       // connections made so far
  uint32_t attempt_ = 0;        // failed attempts since the last good connection
  bool ended_ = false;
  Steady::time_point last_entry_at_;
  std::mt19937_64 rng_;  // backoff jitter only
};

}  // namespace redis_stream

#endif
