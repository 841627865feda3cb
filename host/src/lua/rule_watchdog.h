// rule_watchdog.h: the wall-clock backstop of a rule call, enforced from
// outside the Lua code.
//
// A call into a rule is bounded from inside by the budget ticks the
// instrumenter puts in loops and function entries (they also read the clock)
// and by a count hook in the interpreter. Neither runs while the call is in
// code that does not tick: a C library call, or a loop that was somehow left
// without a tick. One process-wide watchdog thread watches every armed call;
// once a call is kGraceNs past its deadline it marks the budget tripped
// (time) and sets an every-instruction count hook on the state with
// lua_sethook (which LuaJIT documents as safe to call asynchronously), so
// the rule is stopped at its next VM instruction, with the usual
// "FILE:LINE: time budget exceeded (N ms per batch)" error, however the
// source was written. JIT-compiled traces never call hooks; the bytecode
// check in the prelude keeps any function without budget ticks out of the
// JIT, so every loop either ticks or is interpreted.
//
// Last resort: a call still running kHardLimit past its deadline is stuck
// where nothing can reach it. The watchdog then writes one line naming the
// rule file and the budget to stderr and ends the process with
// kExitRuleHung, so that a supervisor restarts it (the state store's kill -9
// guarantees cover this exit); a host that hangs silently is the one
// outcome that is never acceptable.
#ifndef SH_HOST_LUA_RULE_WATCHDOG_H
#define SH_HOST_LUA_RULE_WATCHDOG_H

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

struct lua_State;
struct lua_Debug;

namespace sh::host {

struct LuaBudget;

inline constexpr double kWatchdogGraceNs = 5e6;        // past the deadline before acting
inline constexpr double kWatchdogPollNs = 2e6;         // how often armed calls are checked
inline constexpr double kWatchdogHardLimitNs = 5e9;    // at least; or 20 x the time budget
inline constexpr int kExitRuleHung = 70;               // EX_SOFTWARE

using RuleHook = void (*)(lua_State*, lua_Debug*);

// One per rule state. arm()/disarm() on the thread that calls into the
// state (an atomic increment each, no lock on the batch path); check() on
// the watchdog thread. The watchdog never trips the budget itself: it only
// sets the hook (and asks the ticks to look), and the hook trips the call
// only if the call's own deadline has passed. So an intervention that races
// with the end of a call costs the next call one extra hook invocation,
// which finds no overrun and puts the normal hook back. lua_sethook is never
// called by the two threads at once (hook_mutex_, taken on rare paths only).
class RuleWatch {
 public:
  // `hook` is installed with a count of 1 on overrun; `normal_count` (0 =
  // none) is what is restored afterwards (by disarm() or restore_hook()).
  RuleWatch(lua_State* L, RuleHook hook, int normal_count, LuaBudget* budget, std::string label);
  ~RuleWatch();  // unregisters; waits for the watchdog to let go of the state
  RuleWatch(const RuleWatch&) = delete;
  RuleWatch& operator=(const RuleWatch&) = delete;

  void arm(double deadline_ns);
  void disarm();
  // From the hook, on the calling thread, when it found no overrun: puts
  // the normal count hook back if the watchdog's is still set (a late
  // intervention). Cheap when there is nothing to do.
  void restore_hook();
  // Number of times the watchdog had to step in (tests, diagnostics).
  uint64_t interventions() const { return interventions_.load(std::memory_order_relaxed); }

 private:
  friend class RuleWatchdog;
  // Watchdog thread (under its registry lock): acts on an overrun of the
  // current call, if any.
  void check(double now_ns);

  lua_State* const L_;
  const RuleHook hook_;
  const int normal_count_;
  LuaBudget* const budget_;
  const std::string label_;

  std::mutex hook_mutex_;                 // serialises lua_sethook between the threads
  uint64_t calls_ = 0;                    // arm()/disarm() thread only
  std::atomic<uint64_t> call_{0};         // odd while a call is running
  std::atomic<double> deadline_ns_{0};    // of the running call
  std::atomic<bool> hooked_{false};       // the every-instruction hook is set
  std::atomic<uint64_t> interventions_{0};
  uint64_t escalated_call_ = 0;           // watchdog thread only
};

}  // namespace sh::host

#endif  // SH_HOST_LUA_RULE_WATCHDOG_H
