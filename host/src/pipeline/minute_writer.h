// MinuteWriter: the minute's store transaction on a thread of its own
// (config `state.commit_thread`, on by default).
//
// The pipeline thread runs every stage's on_minute (feeds written, as
// before, ahead of the commit) and persist() into a staged transaction
// (store/write_batch.h), then hands the minute's rows, events and staged
// writes to this thread and goes back to the market data. Here the feed
// bytes handed over (the decision log, orders, trades: JsonlFileSink::
// hand_over) are written to their files and digested first, then the rest
// is written in ONE LMDB transaction (StateStore::write_minute: the same
// all-or-nothing, map-growing write as without the thread), committed,
// and the snapshot rows fed to the output digest's features_snapshot
// stream.
//
// One minute is in flight at a time. The pipeline thread collects the
// result (wait(), or done() when it must not block) and only then runs the
// stages' on_commit and anything else that reads or writes the store:
// the next minute's on_minute, swaps, venue polls, operator commands. So
// the kill -9 guarantees are those of the synchronous commit: a minute is
// in the store whole or not at all, its feed lines were written before it
// and are trimmed back to the store at restart, and nothing acts on a
// minute (Redis, live orders) before its commit.
#ifndef SH_HOST_PIPELINE_MINUTE_WRITER_H
#define SH_HOST_PIPELINE_MINUTE_WRITER_H

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "store/state_store.h"
#include "store/write_batch.h"

namespace sh::host {

class MinuteWriter {
 public:
  explicit MinuteWriter(StateStore& store);
  ~MinuteWriter();  // joins the thread (a pending minute is written first)
  MinuteWriter(const MinuteWriter&) = delete;
  MinuteWriter& operator=(const MinuteWriter&) = delete;

  // Starts writing the minute. *write and *batch are swapped with the
  // writer's spare buffers: they come back empty, with their capacity.
  // Only when nothing is pending.
  void submit(MinuteWrite* write, WriteBatch* batch);
  bool pending() const { return pending_; }
  // The pending minute is committed (or failed); true when none is pending.
  bool done();
  // Blocks at most `timeout` for done().
  bool wait_for(std::chrono::microseconds timeout);

  struct Result {
    Status status;
    uint64_t txn_id = 0;      // the transaction the minute committed as
    int64_t write_ns = 0;     // the writer thread's time for it
  };
  // Blocks until the pending minute is written; its result. Not pending after.
  Result wait();

 private:
  void run();

  StateStore& store_;
  bool pending_ = false;  // pipeline thread only
  std::mutex mu_;
  std::condition_variable cv_;
  bool has_job_ = false;  // under mu_
  bool job_done_ = false;
  bool stop_ = false;
  MinuteWrite write_;   // the job (or the spare buffers)
  WriteBatch batch_;
  Result result_;
  std::thread thread_;
};

}  // namespace sh::host

#endif  // SH_HOST_PIPELINE_MINUTE_WRITER_H
