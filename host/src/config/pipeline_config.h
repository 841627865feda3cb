// PipelineConfig: the conveyor:, events:, sinks: and redis: sections of the
// host config, parsed and validated at load time (errors are ConfigError
// lines "FILE:LINE:COL: message").
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "conveyor/conveyor.h"
#include "conveyor/market_data_guard.h"
#include "decision/consensus.h"
#include "decision/emergency_reduce.h"
#include "decision/model_router.h"
#include "decision/broker.h"
#include "decision/symbol_gate.h"
#include "events/event_gate.h"
#include "config/host_config.h"
#include "ops/alert_config.h"

namespace sh::host {

struct HostRuntime;

struct CanarySettings {
  std::set<std::string> symbols;  // empty: no symbol is canary
  std::set<std::string> classes;  // empty: every class
};

struct SinkSettings {
  std::string jsonl = "events.jsonl";                // in output_dir; "" disables
  std::string shadow_jsonl = "events.shadow.jsonl";  // shadow mode and held-back canary events
  std::string candidates_jsonl = "candidates.jsonl"; // dry-run: every candidate
  std::string redis_stream;                          // "" = no Redis stream sink
  uint64_t redis_maxlen = 100000;
};

struct RedisSettings {
  bool enabled = false;  // false: the host runs without Redis
  std::string host = "127.0.0.1";
  int port = 6379;
  int timeout_ms = 1000;
};

// consensus: and execution: (the decision layer; active only when at least
// one expert plugin is configured).
struct DecisionSettings {
  bool enabled = false;  // at least one expert configured
  ConsensusConfig consensus;
  // consensus.router: optional; candidates are expert component names. The
  // active model per symbol becomes the consensus records' model_version.
  bool router_enabled = false;
  ModelRouterConfig router;
  BrokerOptions broker;  // mode, initial cash, slippage, fill price
  double order_notional_usd = 2000.0;
  std::string trades_csv = "trades.csv";          // in output_dir
  std::string decisions_jsonl = "decisions.jsonl";  // in output_dir
  std::string orders_jsonl = "orders.jsonl";        // in output_dir: every order transition
  // execution.safe_mode_errors: besides risk-policy errors (always), which
  // component errors make a decision cycle (a minute) an erroring one, i.e.
  // count towards sh_portfolio_state.consecutive_errors (safe_mode: more
  // than 5 cycles in a row -> exposure x 0.1).
  enum ErrorSource : uint32_t {
    kErrExpert = 1, kErrDetector = 2, kErrRouter = 4, kErrProvider = 8, kErrGap = 16
  };
  uint32_t safe_mode_errors = kErrExpert | kErrDetector | kErrRouter | kErrProvider;
  // history: (runbook 001): the symbol states the governance gate applies,
  // filled by `host run` from the history store (decision/symbol_gate.h).
  SymbolGate governance;
  // execution.emergency_reduce: reducing orders at the emergency VaR level.
  EmergencyReduceConfig emergency_reduce;
  // execution.canary: in host mode canary, the only symbols whose orders
  // reach a live (not simulated) venue, each order capped at
  // max_notional_usd (its quantity scaled down to it).
  std::set<std::string> canary_symbols;
  double canary_max_notional_usd = 0.0;
  // execution.reconcile: compare with the venue at start and every
  // interval_minutes committed minutes (0: at start only); on a difference
  // log it (kLog) or also halt trading with an emergency stop (kHalt).
  enum class OnMismatch { kLog, kHalt, kAdopt };
  uint32_t reconcile_interval_minutes = 0;
  OnMismatch reconcile_on_mismatch = OnMismatch::kLog;
  // execution.reconcile.start_wait_ms: how long the start's reconciliation
  // waits for a venue whose view is not ready yet (query_orders /
  // query_positions answer SH_WOULD_BLOCK: a restarted network venue still
  // asking the exchange about the orders it restored).
  int64_t reconcile_start_wait_ms = 30000;
  // execution.stop_wait_ms: at the end of the input, how long the host waits
  // for a network venue's answers still due (orders not acknowledged yet,
  // market / IOC / FOK orders not final, cancels asked for) so that the run's
  // last commit books them. 0: no wait (they are booked at the next start).
  int64_t stop_wait_ms = 5000;
};

struct PipelineConfig {
  RunMode mode = RunMode::kReplay;
  ConveyorConfig conveyor;
  std::string benchmark_symbol;  // "" = none
  EventGateConfig gate;
  CanarySettings canary;
  SinkSettings sinks;
  RedisSettings redis;
  uint64_t state_map_size_bytes = uint64_t{1} << 30;
  uint64_t state_max_map_size_bytes = 0;  // state.max_map_size_mb; 0: the map grows without limit
  // state.retention_days: features_snapshot rows of minutes older than this
  // (before the closing minute) are deleted, oldest first; 0 keeps all.
  // state.retention_export: each row is first appended to
  // <output_dir>/expired/features_<day>.csv.
  double state_retention_days = 0;
  bool state_retention_export = false;
  // state.durability: "sync" flushes every minute's commit to disk; "process"
  // survives kill -9 but not an OS crash (MDB_NOSYNC, flushed at the end).
  // Default: process for replay and dry-run, sync for the live modes.
  bool state_sync_commits = true;
  // state.commit_thread: each minute's LMDB transaction is written and
  // committed on a thread of its own while the pipeline thread goes on with
  // the market data (pipeline/minute_writer.h); false: on the pipeline
  // thread. Same store, feeds and digest either way.
  bool state_commit_thread = true;
  uint32_t poll_max_events = 4096;  // per provider poll
  DecisionSettings decision;
  MarketDataGuardConfig market_data;  // market_data: (conveyor/market_data_guard.h)
  AlertConfig alerts;                 // alerts: (ops/alert_config.h)
  DailyReportConfig daily_report;     // daily_report: (ops/alert_config.h)
};

// Parses the sections; interns the benchmark symbol. Throws ConfigError.
PipelineConfig parse_pipeline_config(const HostConfig& config, HostRuntime& runtime);

}  // namespace sh::host
