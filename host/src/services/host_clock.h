// HostClock: the only clock plugins and the pipeline read (sh_host_services.now_ns).
//
// Wall mode returns the system clock; virtual mode returns the last time set
// by the pipeline (event time in replay), so replays are deterministic.
// Times are ns since the Unix epoch (UTC). Readable from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace sh::host {

class HostClock {
 public:
  enum class Mode { kWall, kVirtual };

  explicit HostClock(Mode mode = Mode::kWall) : virtual_(mode == Mode::kVirtual) {}

  Mode mode() const {
    return virtual_.load(std::memory_order_relaxed) ? Mode::kVirtual : Mode::kWall;
  }
  // Switches to virtual mode at ts_ns.
  void set_virtual_ns(int64_t ts_ns) {
    virtual_ns_.store(ts_ns, std::memory_order_relaxed);
    virtual_.store(true, std::memory_order_relaxed);
  }
  void use_wall() { virtual_.store(false, std::memory_order_relaxed); }

  int64_t now_ns() const {
    return virtual_.load(std::memory_order_relaxed) ? virtual_ns_.load(std::memory_order_relaxed)
                                                    : wall_ns();
  }
  static int64_t wall_ns();

 private:
  std::atomic<bool> virtual_;
  std::atomic<int64_t> virtual_ns_{0};
};

}  // namespace sh::host
