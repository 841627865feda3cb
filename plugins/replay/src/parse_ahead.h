// parse_ahead.h: runs the merge of the files (reading, parsing, checking and
// merging every row) on a thread of its own, a few batches ahead of the
// pipeline that polls the provider.
//
// The merged stream is exactly the one EventMerger::next() yields on the
// polling thread: the producer fills batches in stream order and hands them
// over in that order through a fixed ring, so the events and their order do
// not depend on thread timing. Memory is fixed: kDepth batches of
// kBatchEvents events.
//
// Host services keep the ABI's promise (calls come from the thread that
// called into the plugin): what the producer logs and counts (bad rows, file
// summaries, read errors) is queued with the batch it was met in and passed
// to the host by the polling thread when it takes that batch, in the order it
// happened. Only intern_symbol (the first sight of a new name) is called from
// the producer thread; the host's symbol table is thread-safe.
#ifndef SH_REPLAY_PARSE_AHEAD_H
#define SH_REPLAY_PARSE_AHEAD_H

#include <strategy_host/plugin.hpp>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "event_merger.h"

namespace replay {

// A services table that forwards to the host's, except that log lines and
// counter additions made on the producer thread are queued (and coalesced:
// consecutive additions to one counter become one).
class DeferredServices {
 public:
  struct Action {
    uint32_t counter;  // kLog: a log line
    int64_t delta;
    sh_log_level level;
    std::string msg;
  };
  static constexpr uint32_t kLog = 0xFFFFFFFFu;

  explicit DeferredServices(const sh_host_services* real);
  DeferredServices(const DeferredServices&) = delete;
  DeferredServices& operator=(const DeferredServices&) = delete;

  sh::Host host() const { return sh::Host(&table_); }
  // Called first thing on the producer thread: its calls are queued from now.
  void enter_producer();
  // The producer's queue so far (producer thread).
  std::vector<Action> take_pending() { return std::exchange(pending_, {}); }
  // Passes queued actions to the host (polling thread).
  void replay(const std::vector<Action>& actions) const;

 private:
  static DeferredServices& self(void* ctx) { return *static_cast<DeferredServices*>(ctx); }
  bool on_producer() const;
  static void log(void* ctx, sh_log_level level, const char* msg);
  static void counter_add(void* ctx, uint32_t id, int64_t delta);
  static int64_t now_ns(void* ctx);
  static sh_symbol_id intern_symbol(void* ctx, const char* name);
  static const char* symbol_name(void* ctx, sh_symbol_id id);
  static uint32_t counter_register(void* ctx, const char* name);

  const sh_host_services* real_;
  sh_host_services table_;
  std::vector<Action> pending_;  // producer thread only
};

class ParseAhead {
 public:
  static constexpr uint32_t kBatchEvents = 4096;
  static constexpr uint32_t kDepth = 8;

  // The thread starts at the first take(), so that an instance created only
  // to be validated or listed reads nothing. `services` must be the table
  // the merger's sources log through, and outlive this object.
  // threaded false: take() parses its batch on the calling thread instead
  // (config parse_thread: false; the same stream, for comparison).
  ParseAhead(std::unique_ptr<EventMerger> merger, DeferredServices& services, bool threaded);
  ~ParseAhead();  // stops the producer after its current batch and joins it
  ParseAhead(const ParseAhead&) = delete;
  ParseAhead& operator=(const ParseAhead&) = delete;

  // The next batch of the stream (blocks while the producer is behind):
  // `*count` events, valid until the next take(). Passes the batch's queued
  // log lines and counts to the host first. Returns nullptr once the stream
  // has ended. Rethrows, once, what the producer threw.
  const sh_market_event* take(uint32_t* count);

 private:
  void produce();

  std::unique_ptr<EventMerger> merger_;  // used by the producer thread only
  DeferredServices& services_;
  std::unique_ptr<sh_market_event[]> events_;  // kDepth * kBatchEvents
  uint32_t counts_[kDepth] = {};
  std::vector<DeferredServices::Action> actions_[kDepth];
  std::vector<DeferredServices::Action> final_actions_;  // met after the last batch

  std::mutex mu_;
  std::condition_variable ready_cv_;  // a batch was filled, or the stream ended
  std::condition_variable free_cv_;   // a batch was handed back, or stop
  uint64_t filled_ = 0;    // batches published by the producer (under mu_)
  uint64_t consumed_ = 0;  // batches the consumer has finished with (under mu_)
  bool done_ = false;      // the producer has published its last batch
  bool stop_ = false;
  std::exception_ptr error_;
  bool holding_ = false;   // the consumer holds batch consumed_ (not yet handed back)
  bool started_ = false;
  bool threaded_;
  std::thread thread_;
};

}  // namespace replay

#endif  // SH_REPLAY_PARSE_AHEAD_H
