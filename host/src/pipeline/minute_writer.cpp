#include "pipeline/minute_writer.h"

#include <pthread.h>
#include <sched.h>

#include <utility>

namespace sh::host {

MinuteWriter::MinuteWriter(StateStore& store) : store_(store), thread_([this] { run(); }) {}

MinuteWriter::~MinuteWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void MinuteWriter::submit(MinuteWrite* write, WriteBatch* batch) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::swap(write_, *write);
    std::swap(batch_, *batch);
    has_job_ = true;
    job_done_ = false;
  }
  pending_ = true;
  cv_.notify_all();
}

bool MinuteWriter::done() {
  if (!pending_) return true;
  std::lock_guard<std::mutex> lock(mu_);
  return job_done_;
}

bool MinuteWriter::wait_for(std::chrono::microseconds timeout) {
  if (!pending_) return true;
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return job_done_; });
}

MinuteWriter::Result MinuteWriter::wait() {
  if (!pending_) return Result{};
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return job_done_; });
  pending_ = false;
  job_done_ = false;
  return std::move(result_);
}

void MinuteWriter::run() {
  // SCHED_BATCH: woken by submit(), this thread never preempts the thread
  // that woke it. As SCHED_OTHER, on a machine whose other cores were idle
  // (a live host between minutes) the kernel ran it on the pipeline
  // thread's core at once, and the close stood still in submit() for the
  // writer's whole job: 1-3.4 ms of the paced 1,000-symbol close (14 us now).
  // Same share of the CPU otherwise; best effort (the default policy stays
  // if the system refuses).
  {
    sched_param param{};
    param.sched_priority = 0;
    pthread_setschedparam(pthread_self(), SCHED_BATCH, &param);
  }
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return has_job_ || stop_; });
    if (!has_job_) return;  // stop_, nothing pending
    has_job_ = false;
    lock.unlock();
    // write_ and batch_ are this thread's until job_done_ is set.
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t txn_id = 0;
    Status st = batch_.run_before_txn();  // the feeds, ahead of the commit
    if (st.ok()) {
      st = store_.write_minute(write_, [this, &txn_id](StateTxn& txn) {
        txn_id = txn.id();
        return batch_.apply(txn);
      });
    }
    if (!st.ok()) txn_id = 0;  // nothing committed
    const int64_t ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
    // The spare buffers for the next submit: empty, capacity kept.
    write_.rows.clear();
    write_.events.clear();
    write_.extra.clear();
    batch_.clear();
    lock.lock();
    result_ = Result{std::move(st), txn_id, ns};
    job_done_ = true;
    cv_.notify_all();
  }
}

}  // namespace sh::host
