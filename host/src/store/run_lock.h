// RunLock: one running host per state directory.
//
// A host that runs the pipeline holds an exclusive flock(2) on
// `<state_dir>/host.lock` for its whole life; the file records the holder's
// PID and start time. A second host on the same directory is refused with
// that PID instead of writing every fill, decision and event twice. The
// kernel drops the lock when its holder dies (kill -9 included), so a lock
// left by a killed host is taken over by the next start; the stale record is
// logged. Commands that only queue work or read (`host trade`, `host status`,
// `host snapshot`) do not take it.
#ifndef SH_HOST_STORE_RUN_LOCK_H
#define SH_HOST_STORE_RUN_LOCK_H

#include <memory>
#include <string>

#include "store/status.h"

namespace sh::host {

class RunLock {
 public:
  // Creates the directory if missing, then takes the lock without waiting.
  // FailedPrecondition naming the holder when another live process has it;
  // *previous_holder gets the record a dead holder left ("" if none).
  static Status acquire(const std::string& state_dir, std::unique_ptr<RunLock>* out,
                        std::string* previous_holder = nullptr);
  // The record of the process holding the lock ("pid 123 since ..."), or ""
  // when nobody holds it. Does not take it.
  static std::string holder(const std::string& state_dir);

  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  static constexpr const char* kFileName = "host.lock";

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace sh::host

#endif  // SH_HOST_STORE_RUN_LOCK_H
