#include "services/host_clock.h"

#include <chrono>

namespace sh::host {

int64_t HostClock::wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sh::host
