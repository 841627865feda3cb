// EmergencyReduce: the runbook's "auto-reduce positions" at the emergency
// VaR level (runbook 002: circuit breaker OPEN at VaR > 2.5 %, "< 2 min:
// Auto-reduce positions"; kelly_var's var_emergency_pct). kelly_var alone
// only denies additions; this issues the reducing orders.
//
// At each decided minute, after the risk chain, with the portfolio VaR of
// that close (decision/portfolio_var.h):
//   inactive, VaR > var_pct          -> active ("entered"), reduce;
//   active,   VaR > target_var_pct   -> reduce again (volatility kept rising,
//                                       or the last orders have not filled);
//   active,   VaR <= target_var_pct  -> inactive ("ended"), nothing sent.
// A reduce closes the same fraction f = 1 - target / VaR of every open
// position (parametric VaR is linear in a uniform scaling of the book, so
// the book lands on the target at unchanged volatilities), one order per
// position through the broker (decision/broker.h reduce_positions:
// allowed under an emergency stop or pause, like flatten; earlier reduce
// orders still pending are superseded, and they fill reduce-only). While
// active the broker is reduce-only: signal orders that would grow or flip a
// position are refused (423), so the reduce converges. Each order is a decision line
// (action "reduce", reason VAR_LIMIT, the VaR, the target and the order);
// entering and leaving are logged with the VaR. In dry-run the orders are
// decided and logged, not sent. The state survives a restart (meta key
// "decision/var_reduce", written in the minute's transaction).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "decision/broker.h"
#include "store/state_store.h"
#include "store/status.h"

namespace sh::host {

struct EmergencyReduceConfig {
  bool enabled = true;
  double var_pct = 2.5;         // enter above this (kelly_var's var_emergency_pct)
  double target_var_pct = 2.0;  // reduce down to this; leave at or below it
};

inline constexpr const char* kMetaVarReduce = "decision/var_reduce";

class EmergencyReduce {
 public:
  explicit EmergencyReduce(const EmergencyReduceConfig& config) : config_(config) {}
  // Restores the active flag from the store.
  Status restore(StateStore& store);

  struct Outcome {
    bool reduced = false;
    double fraction = 0.0;
    std::vector<ClosingOrder> orders;  // empty in dry-run
  };
  // One decided minute, after the risk chain and before its submits: the
  // state transition on this close's VaR; while active, the broker is
  // reduce-only (the minute's own intents cannot add exposure).
  void update(int64_t minute_ts_ns, double var_pct, Broker& broker);
  // After the minute's submits, while active: the reducing orders for the
  // VaR update() saw. submit false (dry-run): decided and logged only.
  // *lines gets one decision line per reducing order.
  Status reduce(int64_t minute_ts_ns, double var_pct, bool submit, Broker& broker,
                std::vector<std::string>* lines, Outcome* out);
  bool active() const { return active_; }
  // In the minute's transaction: the flag, when it changed.
  Status persist(StateTxn& txn);
  // After the commit; on failure the flag returns to the committed value.
  void on_commit(bool ok);

 private:
  std::string line(int64_t ts, const ClosingOrder& o, double var_pct, double fraction,
                   bool submitted) const;
  EmergencyReduceConfig config_;
  bool active_ = false;
  bool committed_active_ = false;
};

}  // namespace sh::host
