// RunSummary: what one run did, as `host run` prints it and writes it to
// <output_dir>/run_summary.json. Each stage updates its own figures during
// the run and contributes its final ones (Stage::contribute); the loop adds
// the latency percentiles and the digest.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "config/pipeline_config.h"
#include "events/output_digest.h"
#include "services/counters.h"

namespace sh::host {

// Reload messages seen by the control listener (param.reload), whatever
// became of them: applied, or refused before or after the swap was prepared
// (signature, freshness, guard, rate, a bad file, the stage). The counts
// match the "Configuration reload refused" log lines one for one.
struct ReloadMessageFigures {
  bool enabled = false;  // a listener ran
  uint64_t received = 0;
  uint64_t applied = 0;
  uint64_t refused = 0;
  std::map<std::string, uint64_t> refused_by_reason;
};

struct RunSummary {
  uint64_t events_in = 0;
  uint64_t rejected_events = 0;
  uint64_t late_events = 0;
  uint64_t minutes_closed = 0;
  uint64_t minutes_closed_on_clock = 0;  // live: closed by the receive clock, no later event needed
  uint64_t feed_gaps = 0;                // events a provider flagged SH_EVENT_FLAG_GAP (dq gap)
  double clock_offset_ms = std::numeric_limits<double>::quiet_NaN();  // live: smallest receive - exchange time seen (NaN: none)
  uint64_t snapshot_rows = 0;
  uint64_t detector_hits = 0;
  uint64_t detector_errors = 0;
  uint64_t provider_errors = 0;
  uint64_t candidates = 0;  // dry-run: hits logged, nothing published
  uint64_t published = 0;   // to the main sinks
  uint64_t shadowed = 0;    // to the shadow sink (shadow mode, canary hold-backs)
  std::map<std::string, uint64_t> suppressed;  // by reason
  std::map<std::string, uint64_t> quarantined;  // market events held back by the guard, by reason
  std::map<std::string, uint64_t> dq_rows;     // rows by dq status
  double wall_seconds = 0;
  // Minute close latency: the conveyor's close work for the minute (bars,
  // features, baselines, context) plus detectors, gate, store transaction
  // and sinks; event accumulation between closes is not included.
  double close_p50_us = 0;
  double close_p99_us = 0;
  double close_max_us = 0;
  // The conveyor's own part of it (bars, features, baselines, context).
  double conveyor_close_p50_us = 0;
  double conveyor_close_p99_us = 0;
  // state.commit_thread: the minute writer's transaction (rows, events,
  // staged writes, commit), off the pipeline thread; 0 without it.
  double commit_p50_us = 0;
  double commit_p99_us = 0;
  std::string digest;  // hex SHA-256 of every output
  // Lua rule reloads (file change or request_rule_reload): swapped in / refused.
  uint64_t rule_reloads_ok = 0;
  uint64_t rule_reloads_refused = 0;
  // Config swaps (enqueue_swap / schedule_swaps): applied / refused.
  uint64_t swaps_applied = 0;
  uint64_t swaps_refused = 0;
  ReloadMessageFigures reload_messages;
  // Decision layer (experts configured): consensus -> intents -> risk -> paper.
  bool decision_enabled = false;
  uint64_t expert_errors = 0;     // expert calls that failed (the expert abstained)
  uint64_t router_rule_errors = 0;  // Lua router batches that failed (records went flat)
  uint64_t intents = 0;           // order intents made from allowed consensus records
  uint64_t orders_accepted = 0;   // submitted and accepted by the paper broker
  uint64_t orders_duplicate = 0;  // idempotency key seen before
  uint64_t orders_refused = 0;    // broker refused (emergency stop, paused)
  uint64_t orders_not_submitted = 0;  // dry-run: allowed by the chain, not sent to the broker
  std::map<std::string, uint64_t> denied;  // by risk reason code
  uint64_t fills = 0;
  uint64_t model_switches = 0;  // consensus.router: active model changes
  uint64_t operator_commands = 0;  // `host trade ...` records applied (stop, flatten, ...)
  uint64_t var_reduce_minutes = 0;  // minutes with emergency reduce active (execution.emergency_reduce)
  uint64_t var_reduce_orders = 0;   // reducing orders it sent
  uint64_t reconciliations = 0;       // comparisons with the venue (start, interval)
  uint64_t reconcile_mismatches = 0;  // differences found (each logged)
  uint64_t venue_unknown_reports = 0; // venue reports for orders the host does not hold
  double fees_usd = 0.0;              // paid to the venue (negative: rebates)
  uint64_t ack_timeouts = 0;          // orders the venue never acknowledged in time (expired)
  uint64_t late_fills = 0;            // fills of orders the host had closed (booked)
  uint64_t orders_canary_capped = 0;  // canary orders scaled down to the canary cap
  double var_pct_max = 0;          // largest portfolio var_pct given to the risk chain
  // Decision stage per minute close: the whole of decide() (fills, operator
  // commands, experts, router, consensus, intents, risk chain, submits,
  // decision lines); part of the close latency above.
  double decision_p50_us = 0;
  double decision_p99_us = 0;
  double decision_max_us = 0;
  // Its core, the issue's figure and the circuit breaker's "decision
  // latency": experts -> router -> consensus -> intents -> risk chain.
  double decision_core_p50_us = 0;
  double decision_core_p99_us = 0;
  double decision_core_max_us = 0;
  double equity_usd = 0;
  double cash_usd = 0;
  double realized_pnl_usd = 0;
  // Alerts (ops/alert_stage.h): raises and clears of this run by code, and
  // the codes still raised at its end.
  bool alerts_enabled = false;
  std::map<std::string, uint64_t> alerts_raised;
  std::map<std::string, uint64_t> alerts_cleared;
  std::vector<std::string> alerts_active;
  // What the printed summary shows lines for (not in the JSON).
  bool rules_in_use = false;    // any Lua rule (detector, router, risk)
  bool router_enabled = false;  // consensus.router configured
};

// Per processed minute, in order, ns: the whole close, the conveyor's part
// of it, decide() (one per minute when the decision layer is on) and its
// core (experts .. risk chain). Benchmarks read them to leave out warm-up.
struct LatencySamples {
  std::vector<int64_t> close_ns;
  std::vector<int64_t> conveyor_close_ns;
  std::vector<int64_t> decision_ns;
  std::vector<int64_t> decision_core_ns;
  std::vector<int64_t> commit_ns;  // the minute writer's time per minute
};

// Sets the summary's p50 / p99 / max figures from the samples.
void set_latency_figures(const LatencySamples& samples, RunSummary* summary);
// Human-readable summary (stdout of `host run`).
void print_run_summary(std::ostream& out, const RunSummary& s, RunMode mode,
                       const CounterRegistry& counters);
// The same as a JSON object (written to <output_dir>/run_summary.json).
std::string run_summary_json(const RunSummary& s, RunMode mode, const CounterRegistry& counters,
                             const OutputDigest& digest);

}  // namespace sh::host
