// rule_watchdog.cpp: the process-wide watchdog thread (see rule_watchdog.h).
#include "lua/rule_watchdog.h"

#include "lua/rule_vm.h"

#include <lua.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace sh::host {

class RuleWatchdog {
 public:
  static RuleWatchdog& instance() {
    // Never destroyed: the thread may outlive static destruction at exit.
    static RuleWatchdog* w = new RuleWatchdog;
    return *w;
  }

  void add(RuleWatch* w) {
    std::lock_guard<std::mutex> lk(mutex_);
    watches_.push_back(w);
    if (!started_) {
      started_ = true;
      std::thread([this] { run(); }).detach();
    }
    cv_.notify_one();
  }

  // After this returns the watchdog never touches `w` again.
  void remove(RuleWatch* w) {
    std::lock_guard<std::mutex> lk(mutex_);
    watches_.erase(std::remove(watches_.begin(), watches_.end(), w), watches_.end());
  }

 private:
  void run() {
    const auto poll = std::chrono::nanoseconds(static_cast<int64_t>(kWatchdogPollNs));
    for (;;) {
      {
        std::unique_lock<std::mutex> lk(mutex_);
        cv_.wait(lk, [this] { return !watches_.empty(); });
        const double now = rule_vm_monotonic_ns();
        for (RuleWatch* w : watches_) w->check(now);
      }
      std::this_thread::sleep_for(poll);
    }
  }

  std::mutex mutex_;  // State below is protected by mutex_ (taken before any RuleWatch's)
  std::condition_variable cv_;
  std::vector<RuleWatch*> watches_;
  bool started_ = false;
};

RuleWatch::RuleWatch(lua_State* L, RuleHook hook, int normal_count, LuaBudget* budget,
                     std::string label)
    : L_(L), hook_(hook), normal_count_(normal_count), budget_(budget), label_(std::move(label)) {
  RuleWatchdog::instance().add(this);
}

RuleWatch::~RuleWatch() { RuleWatchdog::instance().remove(this); }


void RuleWatch::arm(double deadline_ns) {
  // Only this thread writes call_: plain release stores, no locked RMW.
  deadline_ns_.store(deadline_ns, std::memory_order_relaxed);
  call_.store(++calls_, std::memory_order_release);  // now odd: running
}

void RuleWatch::disarm() {
  call_.store(++calls_, std::memory_order_release);  // now even: idle
  if (hooked_.load(std::memory_order_acquire)) restore_hook();
}

void RuleWatch::restore_hook() {
  const bool normal = normal_count_ > 0
                          ? lua_gethookmask(L_) == LUA_MASKCOUNT && lua_gethookcount(L_) == normal_count_
                          : lua_gethookmask(L_) == 0;
  if (normal && !hooked_.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> lk(hook_mutex_);
  hooked_.store(false, std::memory_order_release);
  if (normal_count_ > 0) {
    lua_sethook(L_, hook_, LUA_MASKCOUNT, normal_count_);
  } else {
    lua_sethook(L_, nullptr, 0, 0);
  }
}

void RuleWatch::check(double now_ns) {
  const uint64_t call = call_.load(std::memory_order_acquire);
  if ((call & 1) == 0) return;
  const double deadline = deadline_ns_.load(std::memory_order_relaxed);
  if (now_ns <= deadline + kWatchdogGraceNs) return;
  if (!hooked_.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lk(hook_mutex_);
    if (call_.load(std::memory_order_acquire) != call) return;  // it just ended
    hooked_.store(true, std::memory_order_release);
    // Make the ticks of compiled code look at the clock at once (a stale
    // mark only sends a tick through its slow path), and hook every
    // instruction of interpreted code: either stops the call at its next
    // step with the rule's own time-budget error.
    double mark = 1e308;
    __atomic_store(&budget_->check_mark, &mark, __ATOMIC_RELAXED);
    lua_sethook(L_, hook_, LUA_MASKCOUNT, 1);
    interventions_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const double hard_ns = std::max(kWatchdogHardLimitNs, 20.0 * budget_->time_budget_ns);
  if (now_ns > deadline + hard_ns && call_.load(std::memory_order_acquire) == call &&
      escalated_call_ != call) {
    escalated_call_ = call;
    std::fprintf(stderr,
                 "[lua] %s: a call into this rule is still running %.0f ms past its time budget "
                 "(%.0f ms per batch) where the host cannot interrupt it; exiting with status %d "
                 "so that a supervisor restarts the host\n",
                 label_.c_str(), (now_ns - deadline) / 1e6, budget_->time_budget_ns / 1e6,
                 kExitRuleHung);
    std::fflush(stderr);
    std::_Exit(kExitRuleHung);
  }
}

}  // namespace sh::host
