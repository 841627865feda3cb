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
  std::lock_guard<std::mutex> lk(mutex_);
  armed_ = true;
  deadline_ns_ = deadline_ns;
}

void RuleWatch::disarm() {
  std::lock_guard<std::mutex> lk(mutex_);
  armed_ = false;
  if (hooked_) {
    if (normal_count_ > 0) {
      lua_sethook(L_, hook_, LUA_MASKCOUNT, normal_count_);
    } else {
      lua_sethook(L_, nullptr, 0, 0);
    }
    hooked_ = false;
  }
}

uint64_t RuleWatch::interventions() const {
  std::lock_guard<std::mutex> lk(mutex_);
  return interventions_;
}

void RuleWatch::check(double now_ns) {
  std::lock_guard<std::mutex> lk(mutex_);
  if (!armed_ || now_ns <= deadline_ns_ + kWatchdogGraceNs) return;
  if (!hooked_) {
    // The budget block is plain memory shared with compiled rule code; these
    // aligned stores are what the rule's own checks would have written.
    if (__atomic_load_n(&budget_->tripped, __ATOMIC_RELAXED) == kTripNone) {
      __atomic_store_n(&budget_->tripped, static_cast<int32_t>(kTripTime), __ATOMIC_RELAXED);
    }
    double mark = 1e308;
    __atomic_store(&budget_->check_mark, &mark, __ATOMIC_RELAXED);
    lua_sethook(L_, hook_, LUA_MASKCOUNT, 1);
    hooked_ = true;
    ++interventions_;
    return;
  }
  const double hard_ns = std::max(kWatchdogHardLimitNs, 20.0 * budget_->time_budget_ns);
  if (now_ns > deadline_ns_ + hard_ns) {
    std::fprintf(stderr,
                 "[lua] %s: a call into this rule is still running %.0f ms past its time budget "
                 "(%.0f ms per batch) where the host cannot interrupt it; exiting with status %d "
                 "so that a supervisor restarts the host\n",
                 label_.c_str(), (now_ns - deadline_ns_) / 1e6, budget_->time_budget_ns / 1e6,
                 kExitRuleHung);
    std::fflush(stderr);
    std::_Exit(kExitRuleHung);
  }
}

}  // namespace sh::host
