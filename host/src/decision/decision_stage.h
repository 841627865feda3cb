// decision/: the decision layer: consensus, model router, router rules, risk
// chain, paper broker, decision log, operator commands, durable plugin
// state, and the DecisionStage that runs them at each minute close.
//
// DecisionStage: the decision layer, run at each minute close after the
// detectors. Owns the experts, the Lua router rules, consensus and the model
// router, the risk chain (plugins and Lua rules), the paper broker, the
// operator command queue, the durable plugin state and the decision feeds
// (decisions.jsonl, trades.csv). Active only with at least one expert plugin
// (config decision.enabled).
//
//   fills at the bar's open ─► operator commands ─► experts ─► router ─►
//   consensus ─► router rules ─► intents ─► risk chain ─► submit ─► lines
#pragma once

#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "decision/consensus.h"
#include "decision/decision_component.h"
#include "decision/decision_log.h"
#include "decision/durable_state.h"
#include "decision/emergency_reduce.h"
#include "decision/model_router.h"
#include "decision/broker.h"
#include "decision/risk_chain.h"
#include "decision/router_rules.h"
#include "events/jsonl_file_sink.h"
#include "pipeline/stage.h"

namespace sh::host {

class DecisionStage final : public Stage {
 public:
  using SwitchObserver = std::function<void(std::string_view symbol, const SwitchRecord&)>;

  explicit DecisionStage(ComponentRegistry& registry) : registry_(registry) {}
  const char* name() const override { return "decision"; }

  // Before open(): the expert and risk components, in config order; each is
  // registered as a swappable component.
  // venue: the execution venue instance (kind SH_KIND_VENUE); the decision
  // layer refuses to open without one.
  void set_components(std::vector<DecisionComponent> experts, std::vector<DecisionComponent> risk,
                      PluginInstance* venue = nullptr);
  // Before run(): called after each minute's commit, once per model-router
  // switch (symbol name, record). Must not block.
  void set_switch_observer(SwitchObserver fn) { switch_observer_ = std::move(fn); }

  Status open(StageContext& ctx) override;
  void on_events(const EventBatch& batch, std::vector<MinuteClose>& closed) override;
  // The venue is fed the market events (they change the broker's state).
  bool venue_wants_events() const { return broker_ && broker_->venue_wants_events(); }
  Status on_idle(IdlePoint point) override;
  Status on_minute(Minute& minute) override;
  Status persist(const Minute& minute, StateTxn& txn) override;
  Status on_commit(Minute& minute, const Status& commit) override;
  void contribute(RunSummary& summary) const override;
  // The book, the account and the risk components' state (decision_status.cpp).
  void describe(StatusSnapshot& status) const override;

 private:
  Status open_layer(const std::filesystem::path& out_dir, bool truncate);
  std::vector<RiskPolicy> make_policies();
  Status open_feeds(const std::filesystem::path& out_dir, bool truncate);
  // The steps of one minute; decide() runs them in order.
  // lines_on_writer: the minute writer formats the decision lines
  // (write_feeds hands them over); else decide() formats them.
  Status decide(const MinuteClose& minute, const sh_feature_batch& batch, bool lines_on_writer);
  Status fill_and_mark(const MinuteClose& minute);
  void run_experts(const MinuteClose& minute, const sh_feature_batch& batch);
  Status route_and_fuse(const MinuteClose& minute);
  void make_intents(const MinuteClose& minute);
  void evaluate_risk(std::chrono::steady_clock::time_point decision_start);
  void submit_intents();
  // The minute's decision lines, each passed to emit (one JSON object, no
  // newline). With the minute writer they are made on its thread, from
  // this minute's arrays, which nothing changes before the commit is back.
  void format_lines(int64_t ts, size_t n, const std::function<void(std::string&&)>& emit) const;
  // The serving version label of each expert plugin and risk policy
  // ("1.0.0", "1.0.0+cfg3", "lua:<hash>"), named in every decision line.
  void refresh_versions();
  void collect_state();
  // Before the minute's commit: its trades.csv rows (the broker's staged
  // fills), orders and decision lines; `staged`: the minute writer's batch
  // (null: written now).
  Status write_feeds(WriteBatch* staged);
  Status after_commit(const Status& write_status);
  Status trim_feeds();

  ComponentRegistry& registry_;
  StageContext* ctx_ = nullptr;
  std::vector<PluginInstance*> experts_;  // expert plugins, config order
  std::vector<std::string> expert_names_;
  std::vector<const SwapSlot*> expert_slots_;  // aligned with experts_
  RouterRules router_rules_;                   // Lua routers, config order
  std::vector<DecisionComponent> risk_;        // plugins and Lua rules, config order
  std::vector<const SwapSlot*> risk_slots_;    // aligned with risk_
  std::vector<std::string> expert_versions_;   // aligned with experts_
  std::vector<std::string> policy_versions_;   // aligned with risk_
  SwitchObserver switch_observer_;
  DurableState durable_;
  std::vector<DurableState::Component> durable_components_;
  std::unique_ptr<Consensus> consensus_;
  std::unique_ptr<ModelRouter> router_;  // consensus.router configured
  std::vector<ExpertEvidence> router_candidates_;
  std::vector<SwitchRecord> switches_;   // this minute's, stored in its txn
  std::vector<std::string_view> model_versions_;
  RiskChain chain_;
  std::unique_ptr<EmergencyReduce> reduce_;  // execution.emergency_reduce
  double var_pct_ = std::numeric_limits<double>::quiet_NaN();  // this close's portfolio VaR
  Status emergency_reduce(int64_t ts);
  std::unique_ptr<Broker> broker_;  // null: the decision layer is off
  PluginInstance* venue_ = nullptr;
  std::string venue_name_;
  Status reconcile(const char* when);
  Status reconcile_at_start(Reconciliation* rec);
  // Operator commands: the store snapshot they were last read from (or the
  // transaction id at which a read was skipped) and the last commit after
  // which none was pending (0: read at the next minute).
  uint64_t commands_read_txn_ = 0;
  uint64_t commands_clear_txn_ = 0;
  // End of input: waits (execution.stop_wait_ms) for a network venue's
  // answers still due, so that the last minute's commit books them.
  void await_venue_answers();
  void set_send_rules();
  // Whether the host mode lets an order for `symbol` reach the venue (a live
  // one: shadow never, canary only its symbols); *why says why not.
  bool mode_sends(std::string_view symbol, std::string* why) const;
  std::unique_ptr<TradesCsvFile> trades_csv_;
  std::unique_ptr<JsonlFileSink> decisions_jsonl_;
  std::unique_ptr<JsonlFileSink> orders_jsonl_;
  int64_t feed_minute_ts_ns_ = 0;  // the minute write_feeds writes
  // One minute's working set (kept to reuse the allocations).
  bool catch_up_ = false;
  std::vector<std::vector<sh_evidence>> evidence_;  // per expert, per row
  std::vector<ExpertEvidence> expert_views_;
  std::vector<uint64_t> expert_error_counts_;
  // Shadow trials of experts and risk policies (decision_shadow.cpp): each
  // candidate sees what its serving version saw this minute; its outputs go
  // to Minute::shadow_outputs, never into the decision.
  struct ShadowRiskInput {
    bool called = false;  // the serving policy was called this minute
    std::vector<sh_order_intent> intents;
    std::vector<sh_position> positions;
    sh_portfolio_state portfolio{};
  };
  std::vector<ShadowRiskInput> shadow_risk_in_;  // aligned with risk_
  std::vector<sh_evidence> shadow_evidence_;
  std::vector<sh_risk_verdict> shadow_verdicts_;
  std::deque<std::string> shadow_details_;
  uint64_t shadow_errors_ = 0;
  void capture_risk_input(size_t i, const sh_order_intent_batch& intents,
                          const sh_portfolio_state& portfolio);
  void run_shadow_candidates(Minute& minute);
  void shadow_expert(size_t e, const ShadowCandidate& candidate, Minute& minute);
  void shadow_risk(size_t i, const ShadowCandidate& candidate, Minute& minute);
  std::vector<sh_symbol_id> symbols_scratch_;
  std::vector<ConsensusRecord> consensus_out_;
  std::vector<BarPrice> bars_;
  std::vector<sh_order_intent> intents_;
  std::vector<size_t> intent_row_;
  std::vector<std::string> intent_keys_;
  RiskChainResult risk_result_;
  std::vector<SubmitResult> submits_;
  std::vector<char> submitted_;
  std::vector<std::string> decision_lines_;  // written before the commit
  // The minute's lines still to format (format_lines): its minute and rows;
  // rows 0: none (no decision, a catch-up minute).
  int64_t lines_ts_ = 0;
  size_t lines_rows_ = 0;
  std::vector<std::string> handed_lines_;  // the minute writer's until the commit is back
  // Portfolio inputs of the risk chain: the previous minute's decision time
  // (experts -> consensus -> chain, ms; NaN before the first) and each
  // symbol's latest finite rv_5, by symbol id (NaN = none yet).
  double last_decision_latency_ms_ = std::numeric_limits<double>::quiet_NaN();
  // Safe mode: component errors (execution.safe_mode_errors) counted so far,
  // and how many fell into the current cycle.
  uint64_t component_errors_seen_ = 0;
  uint64_t cycle_component_errors_ = 0;
  void count_component_errors(const MinuteClose& minute);
  std::vector<double> last_rv5_;
  // Operator command records applied this minute: deleted in its transaction.
  std::vector<std::string> applied_command_keys_;
  uint64_t minutes_committed_ = 0;
};

}  // namespace sh::host
