// Pipeline: one shard's conveyor, on one thread.
//
//   providers ──► (IngressMerger when several) ──► Conveyor (bars, features,
//   context) ──► detector stages (plugins, Lua rules) ──► EventGate ──►
//   StateStore (one LMDB txn per minute close: snapshots, events, gate state)
//   ──► sinks by run mode (JSONL, shadow JSONL, Redis stream)
//
// Every output is fed to an OutputDigest; two replays of the same input give
// the same digest and byte-identical files. Outputs reach the sinks only
// after the minute's transaction committed: a failed commit (disk full) stops
// the run with nothing half-written.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <filesystem>
#include <iosfwd>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "control/prepared_swap.h"
#include "decision/consensus.h"
#include "decision/decision_log.h"
#include "decision/model_router.h"
#include "decision/paper_broker.h"
#include "decision/risk_chain.h"
#include "conveyor/conveyor.h"
#include "events/event_gate.h"
#include "events/event_sink.h"
#include "events/jsonl_file_sink.h"
#include "events/output_digest.h"
#include "ingress_merger.h"
#include "lua/lua_rule.h"
#include "pipeline_config.h"
#include "store/state_store.h"
#include "store/status.h"

namespace sh::host {

class PluginInstance;
struct HostRuntime;
class LuaDetectorStage;
class RuleWatcher;

// A detector as the pipeline sees it: a plugin instance or a Lua rule.
class DetectorStage {
 public:
  virtual ~DetectorStage() = default;
  virtual const std::string& name() const = 0;     // component name
  virtual const std::string& version() const = 0;  // plugin version or rule content hash
  virtual sh_status detect(const sh_feature_batch& rows, const sh_market_context& context,
                           const sh_hit_sink& sink) = 0;
  virtual std::string last_error() const = 0;
};

// Wraps a live plugin instance (not owned; must outlive the stage).
std::unique_ptr<DetectorStage> make_plugin_detector(PluginInstance& instance);

// One entry of experts: or risk:, in config order: a plugin instance
// (borrowed, or adopted with adopt_instances) or a Lua rule (owned by the
// pipeline). A Lua rule under experts: is a router rule, under risk: a risk
// rule (see lua/lua_rule.h).
struct DecisionComponent {
  std::string name;
  PluginInstance* instance = nullptr;
  std::unique_ptr<LuaRule> rule;
};

struct RunSummary {
  uint64_t events_in = 0;
  uint64_t rejected_events = 0;
  uint64_t late_events = 0;
  uint64_t minutes_closed = 0;
  uint64_t snapshot_rows = 0;
  uint64_t detector_hits = 0;
  uint64_t detector_errors = 0;
  uint64_t provider_errors = 0;
  uint64_t candidates = 0;  // dry-run: hits logged, nothing published
  uint64_t published = 0;   // to the main sinks
  uint64_t shadowed = 0;    // to the shadow sink (shadow mode, canary hold-backs)
  std::map<std::string, uint64_t> suppressed;  // by reason
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
  std::string digest;  // hex SHA-256 of every output
  // Lua rule reloads (file change or request_rule_reload): swapped in / refused.
  uint64_t rule_reloads_ok = 0;
  uint64_t rule_reloads_refused = 0;
  // Config swaps (enqueue_swap / schedule_swaps): applied / refused.
  uint64_t swaps_applied = 0;
  uint64_t swaps_refused = 0;
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
};

// What the control side may know about a swappable component (a copy).
struct SwapTargetInfo {
  std::string component;
  bool lua = false;
  bool provider = false;  // else a detector stage, an expert or a risk policy
  sh_plugin_kind kind = 0;
  std::shared_ptr<const PluginLibrary> library;  // plugins: the serving one
  ConfigVersion current;  // the serving version's record
  uint64_t last_version = 0;  // highest version number written for it
};

class Pipeline {
 public:
  // providers and detectors are borrowed / owned as typed; runtime outlives.
  Pipeline(PipelineConfig config, const HostConfig& host_config, HostRuntime& runtime,
           std::vector<PluginInstance*> providers,
           std::vector<std::unique_ptr<DetectorStage>> detectors);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Opens the state store and the sinks of the run mode. Replay starts from
  // an empty store and empty output files (it is a deterministic validation
  // run); other modes resume the store (event seq, gate state).
  Status open();
  // Runs until every provider is finished (or stop() is called); then closes
  // the open minutes. An error (provider or store) ends the run early.
  Status run();
  // Thread-safe: asks run() to finish after the current batch.
  void request_stop() { stop_.store(true, std::memory_order_relaxed); }
  // Thread-safe: asks run() to reload the Lua detector rule of `component`
  // from its file between two batches (as a file change does). False when no
  // Lua detector stage has that name.
  bool request_rule_reload(const std::string& component);
  // Async-signal-safe (SIGHUP): reload every Lua rule from its file.
  void request_all_rules_reload() { reload_all_requested_.store(true, std::memory_order_release); }

  // ---- Config swaps (control/swap_coordinator.h prepares them).
  // Before open(): the pipeline owns these instances (those that back its
  // providers and plugin detector stages), so that a swap can hand the one
  // it replaces back to the listener. Unowned (borrowed) instances that are
  // replaced are left to their owner.
  void adopt_instances(std::vector<std::unique_ptr<PluginInstance>> instances);
  // Before run(): receives every applied/refused swap (pipeline thread). Null:
  // outcomes are logged and retired instances destroyed on the pipeline thread.
  void set_swap_listener(SwapListener* listener) { swap_listener_ = listener; }
  // Thread-safe: queues a swap; run() applies queued swaps in arrival order
  // between two provider batches (never inside a minute's processing).
  void enqueue_swap(std::unique_ptr<PreparedSwap> swap);
  // Before run(): swaps with apply_at_seq (a replayed journal), applied when
  // exactly that many input events have been consumed.
  void schedule_swaps(std::vector<std::unique_ptr<PreparedSwap>> swaps);
  // After run() returned (caller's thread): refuses every swap still queued
  // or scheduled with `reason`, and reports them.
  void discard_queued_swaps(const std::string& reason);
  // Thread-safe (after open()): what a swap of `component` starts from.
  // False when no provider, detector, expert or risk component has that name.
  bool swap_target(const std::string& component, SwapTargetInfo* info) const;
  // Thread-safe (after open()): config_versions entry `version` of `component`.
  Status read_config_version(const std::string& component, uint64_t version,
                             ConfigVersion* out) const;
  // Input events consumed so far (thread-safe; the effective_seq a swap
  // applied now would get).
  uint64_t events_consumed() const { return events_consumed_.load(std::memory_order_acquire); }

  // Before open(): the expert and risk components, in config order. With at
  // least one expert plugin and config.decision.enabled, open() sets up
  // consensus, the risk chain and the paper broker, and every minute close
  // runs them. Each one is swappable like a detector.
  void set_decision_components(std::vector<DecisionComponent> experts,
                               std::vector<DecisionComponent> risk);
  // Before run(): called on the pipeline thread after each minute's commit,
  // once per model-router switch (symbol name, record). Must not block.
  using SwitchObserver = std::function<void(std::string_view symbol, const SwitchRecord&)>;
  void set_switch_observer(SwitchObserver fn) { switch_observer_ = std::move(fn); }

  const RunSummary& summary() const { return summary_; }
  // Per processed minute, in order, ns: the whole close, the conveyor's part
  // of it, and decide() (one per minute when the decision layer is on, else
  // empty). The summary's p50/p99 are over these; benchmarks read them to
  // leave out warm-up minutes.
  const std::vector<int64_t>& close_latency_ns() const { return close_latency_ns_; }
  const std::vector<int64_t>& conveyor_close_ns() const { return conveyor_close_ns_; }
  const std::vector<int64_t>& decision_latency_ns() const { return decision_latency_ns_; }
  const std::vector<int64_t>& decision_core_ns() const { return decision_core_ns_; }
  // Human-readable summary (stdout of `host run`).
  void print_summary(std::ostream& out) const;
  // The same as a JSON object (written to <output_dir>/run_summary.json).
  std::string summary_json() const;

 private:
  struct Hit {
    sh_symbol_id symbol;
    double score;
    double value;
    double threshold;
    std::string hit_class;
    size_t stage;
  };
  static sh_status emit_events(void* ctx, const sh_market_event* events, uint32_t count,
                               uint32_t item_size);
  static sh_status emit_hits(void* ctx, const sh_detector_hit* hits, uint32_t count,
                             uint32_t item_size);
  Status poll_providers(bool* progressed);
  // Feeds the conveyor, timing the call when it closes minutes.
  void feed(const sh_market_event* events, size_t count, size_t stride);
  Status process_closed();
  Status process_minute(MinuteClose& minute);
  Status open_decision(const std::filesystem::path& out_dir, bool truncate);
  // Steps 1-3 of a minute (broker close, experts, consensus, intents, risk,
  // submit); the decision lines to write after the commit go to decisions_.
  Status decide(const MinuteClose& minute, const sh_feature_batch& batch);
  // Before the minute's write_minute: its trades.csv rows (the broker's
  // staged fills) and decision lines, flushed.
  Status write_decision_feeds();
  // After it: broker on_commit, router switches, summary.
  Status after_commit_decision(const Status& write_status);
  // Removes from every feed file the lines of minutes after the store's last
  // committed minute (open(), and after a failed commit).
  Status trim_feeds_to_store();
  // Parametric 1-day 95% VaR of the open positions, % of equity (see .cpp).
  double portfolio_var_pct(const sh_portfolio_state& portfolio) const;
  // Durable state of the expert and risk plugins (ABI 1.1 save_state):
  // collect_component_state() gathers what changed this minute into
  // state_writes_ (stored in the minute's transaction, under meta
  // "component_state/<component>" = "<plugin name>\n<bytes>");
  // restore_component_state() hands the stored bytes back at open().
  void collect_component_state();
  Status restore_component_state();
  // Applies the pending `host trade ...` records (see trade_command.h).
  Status apply_operator_commands(int64_t ts);
  const sh_feature_row* find_row(const MinuteClose& minute, sh_symbol_id symbol) const;
  // The shadow file for a held-back event; null: the main sinks.
  JsonlFileSink* route(const EventRecord& record);
  void finish_summary();
  // Between batches: reloads the rules whose file changed (checked at most
  // every kRulePollInterval) or whose reload was requested.
  void check_rule_reloads();
  struct RuleRef {
    std::string name;  // component
    LuaRule* rule;
  };
  void reload_rule(const RuleRef& ref);
  // open(): the watcher over the directories of every rule file in use.
  void start_rule_watcher();
  // The serving version label of each expert plugin and risk policy
  // ("1.0.0", "1.0.0+cfg3", "lua:<hash>"), named in every decision line.
  void refresh_decision_versions();
  // Router rules (experts: with lua:) over the fused records, config order.
  void apply_router_rules(const MinuteClose& minute);

  // One swappable component: a provider, a detector stage, an expert or a
  // risk policy.
  struct SwapSlot {
    std::string component;
    int provider = -1;  // index into providers_, or -1
    int stage = -1;     // index into detectors_, or -1
    int expert = -1;    // index into experts_ (plugins) or router_rules_ (Lua), or -1
    int risk = -1;      // index into risk_stages_, or -1
    PluginInstance* instance = nullptr;  // plugins: serving instance
    LuaRule* rule = nullptr;             // Lua rules (any kind)
    sh_plugin_kind kind = 0;
    // Guarded by slots_mu_ (read by the control thread):
    std::shared_ptr<const PluginLibrary> library;  // of `instance`
    ConfigVersion current;
    uint64_t last_version = 0;
  };
  SwapSlot* find_slot(const std::string& component);
  // open(): config_versions entry for each component's startup config,
  // unless the newest stored one has the same content hash.
  Status record_startup_versions();
  ConfigVersion startup_record(const SwapSlot& slot) const;
  // Applies the due journal swaps and then the queued ones (run loop top).
  Status apply_pending_swaps();
  Status apply_scheduled_due();
  // Applies or refuses one swap; an error only when the store write failed.
  Status apply_swap(std::unique_ptr<PreparedSwap> swap);
  void refuse_swap(std::unique_ptr<PreparedSwap> swap, const std::string& reason);
  // Hands the buffered SwapDone records to the listener (or logs them).
  void report_swaps();
  // Feeds the conveyor, splitting the batch where a scheduled swap is due.
  void feed_raw(const sh_market_event* events, size_t count, size_t stride);

  PipelineConfig config_;
  const HostConfig& host_config_;
  HostRuntime& runtime_;
  std::vector<PluginInstance*> providers_;
  std::vector<std::unique_ptr<DetectorStage>> detectors_;

  Conveyor conveyor_;
  IngressMerger merger_;
  std::unique_ptr<EventGate> gate_;
  std::unique_ptr<StateStore> store_;
  OutputDigest digest_;
  std::unique_ptr<JsonlFileSink> main_jsonl_;
  std::unique_ptr<JsonlFileSink> shadow_jsonl_;
  std::unique_ptr<JsonlFileSink> candidates_jsonl_;
  std::unique_ptr<EventSink> redis_sink_;

  // Emission state during one provider poll / one detector call.
  struct ProviderCtx {
    Pipeline* self;
    size_t index;
  };
  std::vector<ProviderCtx> provider_ctx_;
  std::vector<bool> provider_done_;
  sh_hit_sink hit_sink_{};
  size_t current_stage_ = 0;
  std::vector<Hit> hits_;
  std::vector<MinuteClose> closed_;
  std::vector<sh_market_event> released_;
  std::vector<sh_market_event> normalized_;
  std::vector<uint64_t> stage_errors_;
  std::vector<int64_t> close_latency_ns_;  // one per processed minute
  std::vector<int64_t> conveyor_close_ns_;  // its conveyor part (MinuteClose::compute_ns)
  std::vector<int64_t> decision_latency_ns_;  // decide(), one per minute with a decision layer
  std::vector<int64_t> decision_core_ns_;     // experts .. risk chain, one per decided minute

  std::atomic<bool> stop_{false};
  RunSummary summary_;

  // Every Lua rule in use (detector stages, router and risk rules) and
  // their reload triggers.
  static constexpr std::chrono::milliseconds kRulePollInterval{100};
  std::vector<RuleRef> rules_;
  std::unique_ptr<RuleWatcher> rule_watcher_;  // over the dirs of the rule files in use
  std::chrono::steady_clock::time_point next_rule_poll_{};
  std::atomic<bool> reload_requested_{false};
  std::atomic<bool> reload_all_requested_{false};
  std::mutex reload_mu_;
  std::vector<std::string> reload_queue_;  // component names; guarded by reload_mu_

  // Config swaps.
  std::vector<std::unique_ptr<PluginInstance>> owned_instances_;
  std::vector<SwapSlot> slots_;
  mutable std::mutex slots_mu_;  // guards SwapSlot::current / last_version
  std::vector<std::string> version_suffix_;  // per detector stage: "" or "+cfgN"
  SwapListener* swap_listener_ = nullptr;
  std::atomic<bool> swaps_queued_{false};
  std::mutex swap_mu_;
  std::vector<std::unique_ptr<PreparedSwap>> swap_queue_;  // guarded by swap_mu_
  std::deque<std::unique_ptr<PreparedSwap>> scheduled_;    // by apply_at_seq
  std::vector<SwapDone> swaps_done_;                       // not yet reported
  std::atomic<uint64_t> events_consumed_{0};
  // Decision layer.
  std::vector<PluginInstance*> experts_;  // expert plugins, config order
  std::vector<std::string> expert_names_;
  std::vector<DecisionComponent> router_rules_;  // Lua routers, config order
  std::vector<DecisionComponent> risk_stages_;   // plugins and Lua rules, config order
  std::vector<sh_evidence> route_in_;            // router rules: the fused records
  std::vector<RouteDecision> route_out_;
  std::vector<uint64_t> router_error_counts_;
  std::vector<std::string> expert_versions_;  // aligned with experts_
  std::vector<std::string> policy_versions_;  // aligned with risk_stages_
  SwitchObserver switch_observer_;
  std::map<std::string, std::string> saved_state_;  // component -> value last committed
  std::vector<std::pair<std::string, std::string>> state_writes_;  // this minute's changes
  uint64_t state_errors_ = 0;
  uint32_t saved_chain_errors_ = 0;
  std::unique_ptr<Consensus> consensus_;
  std::unique_ptr<ModelRouter> router_;  // consensus.router configured
  std::vector<ExpertEvidence> router_candidates_;
  std::vector<SwitchRecord> switches_;   // this minute's, stored in its txn
  std::vector<std::string_view> model_versions_;
  RiskChain chain_;
  std::unique_ptr<PaperBroker> broker_;
  std::unique_ptr<TradesCsvFile> trades_csv_;
  std::unique_ptr<JsonlFileSink> decisions_jsonl_;
  std::vector<std::vector<sh_evidence>> evidence_;  // per expert, per row
  std::vector<ExpertEvidence> expert_views_;
  std::vector<uint64_t> expert_error_counts_;
  std::vector<sh_symbol_id> symbols_scratch_;
  std::vector<ConsensusRecord> consensus_out_;
  std::vector<BarPrice> bars_;
  std::vector<sh_order_intent> intents_;
  std::vector<size_t> intent_row_;
  std::vector<std::string> intent_keys_;
  RiskChainResult risk_result_;
  std::vector<std::string> decision_lines_;  // written after the commit
  // Portfolio inputs of the risk chain: the previous minute's decision time
  // (experts -> consensus -> chain, ms; NaN before the first) and each
  // symbol's latest finite rv_5, by symbol id (NaN = none yet).
  double last_decision_latency_ms_ = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> last_rv5_;
  // Operator command records applied this minute: deleted in its transaction.
  std::vector<std::string> applied_command_keys_;
  Status deferred_error_;     // a store error met while splitting a batch
  uint64_t journal_session_ = 1;
  uint64_t journal_sequence_ = 0;  // of the last journal entry written
};

}  // namespace sh::host
