// How a plugin component runs: in the host process (the default) or in a
// child process of its own (`isolation: process` in its component entry).
#pragma once

#include <cstdint>

namespace sh::host {

struct IsolationOptions {
  bool process = false;           // isolation: process
  bool restart = true;            // restart: restart the child after a fault
  uint32_t max_restarts = 5;      // max_restarts: restarts per host run, then it stays faulted
  int64_t call_timeout_ms = 2000;  // call_timeout_ms: deadline of one call, then the child is killed
};

}  // namespace sh::host
