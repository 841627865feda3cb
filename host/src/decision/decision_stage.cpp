#include "decision/decision_stage.h"
#include "decision/risk_status.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <system_error>
#include <thread>

#include "decision/operator_commands.h"
#include "decision/order_intent.h"
#include "decision/portfolio_var.h"
#include "events/feed_files.h"
#include "store/text_format.h"
#include "store/time_format.h"

namespace sh::host {

void DecisionStage::set_components(std::vector<DecisionComponent> experts,
                                   std::vector<DecisionComponent> risk, PluginInstance* venue) {
  venue_ = venue;
  if (venue != nullptr) venue_name_ = venue->component();
  auto slot_of = [](const DecisionComponent& c, sh_plugin_kind kind) {
    SwapSlot slot;
    slot.component = c.name;
    slot.kind = kind;
    slot.instance = c.instance;
    slot.rule = c.rule.get();
    if (c.instance != nullptr) slot.library = c.instance->shared_library();
    return slot;
  };
  for (DecisionComponent& c : experts) {
    if (c.instance == nullptr && !c.rule) continue;
    SwapSlot slot = slot_of(c, SH_KIND_EXPERT);
    if (c.rule) {
      registry_.add(std::move(slot));
      router_rules_.add(std::move(c));
      continue;
    }
    const size_t e = experts_.size();
    slot.rebind = [this, e](PluginInstance& now) { experts_[e] = &now; };
    expert_slots_.push_back(&registry_.add(std::move(slot)));
    experts_.push_back(c.instance);
    expert_names_.push_back(c.name);
  }
  for (DecisionComponent& c : risk) {
    if (c.instance == nullptr && !c.rule) continue;
    SwapSlot slot = slot_of(c, SH_KIND_RISK);
    const size_t r = risk_.size();
    if (c.instance != nullptr) slot.rebind = [this, r](PluginInstance& now) { risk_[r].instance = &now; };
    risk_slots_.push_back(&registry_.add(std::move(slot)));
    risk_.push_back(std::move(c));
  }
}

Status DecisionStage::open(StageContext& ctx) {
  ctx_ = &ctx;
  const bool replay = ctx.config.mode == RunMode::kReplay;
  if (!replay) {
    // A previous process may have died between writing a minute's feed
    // lines and committing it.
    Status st = trim_feeds();
    if (!st.ok()) return st;
  }
  if (!ctx.config.decision.enabled || experts_.empty()) return Status::Ok();
  const std::filesystem::path out_dir = ctx.host_config.output_dir();
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return Status::IoError(out_dir.string() + ": cannot create output dir: " + ec.message());
  return open_layer(out_dir, replay);
}

Status DecisionStage::open_layer(const std::filesystem::path& out_dir, bool truncate) {
  const PipelineConfig& config = ctx_->config;
  const DecisionSettings& d = config.decision;
  Status st = Consensus::create(d.consensus, &consensus_);
  if (!st.ok()) return st;
  st = consensus_->check_experts(expert_names_);
  if (!st.ok()) return st;
  if (d.router_enabled) {
    st = ModelRouter::create(d.router, &router_);
    if (!st.ok()) return st;
    if (config.mode != RunMode::kReplay) {
      StateTxn txn;
      st = ctx_->store->begin_read(&txn);
      if (!st.ok()) return st;
      SymbolTable& symbols = ctx_->runtime.symbols;
      st = restore_router_from_history(txn, router_.get(), [&symbols](std::string_view name) {
        return symbols.intern(std::string(name));
      });
      if (!st.ok()) return st;
    }
  }
  chain_.set_policies(make_policies());
  for (size_t e = 0; e < experts_.size(); ++e) {
    durable_components_.push_back({&expert_names_[e], experts_[e]});
  }
  for (const DecisionComponent& r : risk_) durable_components_.push_back({&r.name, r.instance});
  if (venue_ == nullptr) {
    return Status::FailedPrecondition(
        "decision layer: no execution venue was loaded (execution.venue; the default is the "
        "paper_venue plugin: see host --list-plugins)");
  }
  // (The venue's own durable state, a simulated venue's book, is the
  // broker's to keep: it commits with the book of record, see broker.h.)
  st = durable_.restore(*ctx_->store, durable_components_, &chain_);
  if (!st.ok()) return st;
  st = Broker::open(ctx_->store, &ctx_->runtime.symbols, venue_, d.broker, &broker_);
  if (!st.ok()) return st;
  set_send_rules();
  st = reconcile("start");
  if (!st.ok()) return st;
  reduce_ = std::make_unique<EmergencyReduce>(d.emergency_reduce);
  st = reduce_->restore(*ctx_->store);
  if (!st.ok()) return st;
  st = open_feeds(out_dir, truncate);
  if (!st.ok()) return st;
  evidence_.assign(experts_.size(), {});
  shadow_risk_in_.assign(risk_.size(), {});
  expert_error_counts_.assign(experts_.size(), 0);
  RunSummary& summary = ctx_->summary;
  summary.decision_enabled = true;
  summary.equity_usd = broker_->equity_usd();
  summary.cash_usd = broker_->cash_usd();
  spdlog::info("decision layer: {} experts, {} router rules, {} risk policies, venue '{}' "
               "(plugin {}; notional {} USD per order){}{}",
               experts_.size(), router_rules_.size(), risk_.size(), venue_name_,
               venue_->library().name(), d.order_notional_usd,
               router_ ? "; model router over " + std::to_string(d.router.candidates.size()) + " candidates"
                       : std::string("; no model router"),
               config.mode == RunMode::kDryRun ? "; dry-run: orders are decided and logged, not submitted"
                                               : "");
  return Status::Ok();
}

// Each policy reads the serving component at call time, so that a swap
// (new instance or rule version) takes effect at the next minute.
std::vector<RiskPolicy> DecisionStage::make_policies() {
  std::vector<RiskPolicy> policies;
  const SymbolGate& gate = ctx_->config.decision.governance;
  if (gate.enabled) policies.push_back(make_symbol_gate_policy(&gate, &ctx_->runtime.symbols));
  for (size_t i = 0; i < risk_.size(); ++i) {
    RiskPolicy p;
    p.name = risk_[i].name;
    p.evaluate = [this, i](const sh_order_intent_batch& intents, const sh_portfolio_state& portfolio,
                           sh_risk_verdict_batch& out) -> Status {
      const DecisionComponent& c = risk_[i];
      if (risk_slots_[i]->shadow) capture_risk_input(i, intents, portfolio);
      // A failing rule's verdicts are DENY POLICY_ERROR; the chain still
      // counts the cycle as erroring.
      return evaluate_risk_component(c.instance, c.rule.get(), intents, portfolio, out);
    };
    policies.push_back(std::move(p));
  }
  return policies;
}

Status DecisionStage::open_feeds(const std::filesystem::path& out_dir, bool truncate) {
  const DecisionSettings& d = ctx_->config.decision;
  // With the minute writer the feeds' bytes are written and digested on its
  // thread (write_feeds hands them over).
  const bool on_write = ctx_->config.state_commit_thread;
  if (!d.trades_csv.empty()) {
    const std::filesystem::path path = out_dir / d.trades_csv;
    if (truncate) {
      std::error_code ec;
      std::filesystem::remove(path, ec);
      if (ec) return Status::IoError(path.string() + ": cannot truncate: " + ec.message());
    }
    Status st = TradesCsvFile::open(path.string(), &ctx_->digest, &trades_csv_, on_write);
    if (!st.ok()) return st;
  }
  Status st = open_feed_jsonl(out_dir, d.decisions_jsonl, truncate, &ctx_->digest, "decisions",
                              &decisions_jsonl_, on_write);
  if (!st.ok()) return st;
  return open_feed_jsonl(out_dir, d.orders_jsonl, truncate, &ctx_->digest, "orders", &orders_jsonl_,
                         on_write);
}

Status DecisionStage::on_minute(Minute& minute) {
  if (!broker_) return Status::Ok();
  const auto d0 = std::chrono::steady_clock::now();
  const Status st = decide(*minute.close, minute.batch, minute.staged != nullptr);
  if (!st.ok()) return st;
  ctx_->latency.decision_ns.push_back(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - d0)
          .count());
  run_shadow_candidates(minute);  // outside the decision's time
  collect_state();
  feed_minute_ts_ns_ = minute.close->minute_ts_ns;
  if (!catch_up_) {
    DecisionFigures& f = minute.decision;
    f.valid = true;
    f.var_pct = var_pct_;
    f.equity_usd = broker_->equity_usd();
    f.realized_pnl_usd = broker_->realized_pnl_usd();
    f.unrealized_pnl_usd = broker_->unrealized_pnl_usd();
    f.daily_pnl_usd = broker_->daily_pnl_usd();
    f.drawdown_pct = broker_->drawdown_pct();
    f.fills = static_cast<uint32_t>(broker_->staged_fills().size());
    for (const Fill& fill : broker_->staged_fills()) {
      f.fills_realized_pnl_usd += fill.realized_pnl_usd;
      f.fills_fees_usd += fill.fee_usd;
    }
    f.model_switches = static_cast<uint32_t>(switches_.size());
  }
  return write_feeds(minute.staged);
}

Status DecisionStage::decide(const MinuteClose& minute, const sh_feature_batch& batch, bool lines_on_writer) {
  const int64_t ts = minute.minute_ts_ns;
  decision_lines_.clear();
  lines_rows_ = 0;
  // A minute the store already has (a restart catching up on what a previous
  // process committed, e.g. after kill -9): its orders were decided then and
  // are in the store. Deciding it again against the book as it is now could
  // accept an intent the first process denied (a cap since reached, ...), so
  // the experts and the router still see it (their state) but no intent is
  // made, nothing is submitted and no decision line is written again.
  catch_up_ = broker_->last_minute_ts_ns() != std::numeric_limits<int64_t>::min() &&
              ts <= broker_->last_minute_ts_ns();
  if (catch_up_ && minutes_committed_ == 0) {
    spdlog::info("decision layer: the store has decided up to minute {}: catching up without new "
                 "orders",
                 format_iso8601_utc(broker_->last_minute_ts_ns()));
  }
  refresh_versions();
  Status st = fill_and_mark(minute);
  if (!st.ok()) return st;
  // Operator commands (`host trade ...`, runbook 003) queued in the store's
  // meta DB, possibly by another process while we run: applied in seq order
  // before any order of this minute is submitted; their records are deleted
  // in this minute's write transaction (persist()).
  // Only another process's write can bring one: when the store's last
  // transaction is still the one after which none was pending, the scan is
  // skipped (it was ~3 % of a replay's CPU).
  const uint64_t last_txn = ctx_->store->last_txn_id();
  commands_read_txn_ = 0;
  if (last_txn == 0 || last_txn != commands_clear_txn_) {
    st = apply_operator_commands(*ctx_->store, ts, OperatorTargets{broker_.get(), router_.get(), &risk_},
                                 &applied_command_keys_, &ctx_->summary.operator_commands,
                                 &commands_read_txn_);
    if (!st.ok()) return st;
  } else {
    commands_read_txn_ = last_txn;
  }
  // The decision time (experts -> consensus -> chain) is measured from here.
  const auto decision_start = std::chrono::steady_clock::now();
  run_experts(minute, batch);
  st = route_and_fuse(minute);
  count_component_errors(minute);
  if (!st.ok() || catch_up_) return st;
  make_intents(minute);
  evaluate_risk(decision_start);
  reduce_->update(ts, var_pct_, *broker_);
  submit_intents();
  // The decision lines: formatted here, or with the minute writer on its
  // thread when they are written (write_feeds). Emergency-reduce lines come
  // after them.
  if (lines_on_writer && decisions_jsonl_) {
    lines_ts_ = ts;
    lines_rows_ = minute.rows.size();
  } else {
    format_lines(ts, minute.rows.size(), [this](std::string&& l) { decision_lines_.push_back(std::move(l)); });
  }
  return emergency_reduce(ts);
}

// At the emergency VaR level: reducing orders toward the target, after the
// minute's own decisions (their lines come after the minute's).
Status DecisionStage::emergency_reduce(int64_t ts) {
  EmergencyReduce::Outcome out;
  const Status st = reduce_->reduce(ts, var_pct_, ctx_->config.mode != RunMode::kDryRun, *broker_,
                                    &decision_lines_, &out);
  if (!st.ok()) return st;
  RunSummary& summary = ctx_->summary;
  if (out.reduced) ++summary.var_reduce_minutes;
  summary.var_reduce_orders += out.orders.size();
  return Status::Ok();
}

// Fills the orders of the previous minutes at this bar's open; marks the book.
Status DecisionStage::fill_and_mark(const MinuteClose& minute) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  bars_.clear();
  for (const sh_feature_row& r : minute.rows) {
    bars_.push_back(BarPrice{r.symbol, r.open, r.close, nan, r.high, r.low, r.volume});
  }
  Status st = broker_->on_minute_close(minute.minute_ts_ns, bars_.data(), bars_.size());
  if (!st.ok()) return st;
  for (const sh_feature_row& r : minute.rows) {
    if (!std::isfinite(r.rv_5)) continue;
    if (r.symbol >= last_rv5_.size()) last_rv5_.resize(static_cast<size_t>(r.symbol) + 1, nan);
    last_rv5_[r.symbol] = r.rv_5;
  }
  return Status::Ok();
}

// Experts: one evidence record per row; a failing expert abstains.
void DecisionStage::run_experts(const MinuteClose& minute, const sh_feature_batch& batch) {
  const size_t n = minute.rows.size();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  symbols_scratch_.clear();
  for (const sh_feature_row& r : minute.rows) symbols_scratch_.push_back(r.symbol);
  auto prefill = [&](std::vector<sh_evidence>& ev) {
    ev.assign(n, sh_evidence{});
    for (size_t i = 0; i < n; ++i) {
      ev[i].struct_size = sizeof(sh_evidence);
      ev[i].symbol = minute.rows[i].symbol;
      ev[i].flags = SH_EVIDENCE_FLAG_ABSTAIN;
      ev[i].prob_long = nan;
      ev[i].prob_short = nan;
      ev[i].confidence = nan;
    }
  };
  expert_views_.clear();
  for (size_t e = 0; e < experts_.size(); ++e) {
    std::vector<sh_evidence>& ev = evidence_[e];
    prefill(ev);
    sh_evidence_batch out{sizeof(sh_evidence_batch), sizeof(sh_evidence), static_cast<uint32_t>(n),
                          0, ev.data()};
    const sh_status s = experts_[e]->faulted() ? SH_ERR_UNSUPPORTED
                                                : experts_[e]->evaluate_expert(batch, minute.context, out);
    if (s != SH_OK) {
      prefill(ev);
      ++ctx_->summary.expert_errors;
      if (should_log(++expert_error_counts_[e])) {
        spdlog::warn("expert '{}' failed on minute {} ({}): {}; it abstains [{} so far]",
                     experts_[e]->component(), format_iso8601_utc(minute.minute_ts_ns),
                     abi_status_name(s), experts_[e]->faulted() ? "faulted" : experts_[e]->last_error(),
                     expert_error_counts_[e]);
      }
    }
    ExpertEvidence view;
    view.name = expert_names_[e];
    view.items = ev.data();
    view.count = static_cast<uint32_t>(n);
    view.item_size = sizeof(sh_evidence);
    expert_views_.push_back(view);
  }
}

// Router (optional): the active model per symbol is the records'
// model_version; then consensus; then the Lua router rules.
Status DecisionStage::route_and_fuse(const MinuteClose& minute) {
  const size_t n = minute.rows.size();
  switches_.clear();
  const std::string_view* versions = nullptr;
  if (router_) {
    router_candidates_.clear();
    for (const std::string& cand : router_->config().candidates) {
      for (const ExpertEvidence& v : expert_views_) {
        if (v.name == cand) router_candidates_.push_back(v);
      }
    }
    Status st = router_->route(minute.minute_ts_ns, symbols_scratch_.data(), n, router_candidates_,
                               &switches_);
    if (!st.ok()) return st;
    model_versions_.assign(n, std::string_view());
    router_->active_models(symbols_scratch_.data(), n, model_versions_.data());
    versions = model_versions_.data();
  }
  Status st = consensus_->fuse(symbols_scratch_.data(), n, expert_views_, versions, &consensus_out_);
  if (!st.ok()) return st;
  if (!router_rules_.empty()) {
    router_rules_.apply(minute, consensus_out_, &ctx_->summary.router_rule_errors);
  }
  return Status::Ok();
}

// Intents, sized at order_notional_usd at the row's close.
void DecisionStage::make_intents(const MinuteClose& minute) {
  const int64_t ts = minute.minute_ts_ns;
  intents_.clear();
  intent_row_.clear();
  intent_keys_.clear();
  for (size_t i = 0; i < minute.rows.size(); ++i) {
    const ConsensusRecord& rec = consensus_out_[i];
    if (!rec.allow || rec.signal == Signal::kFlat) continue;
    const char* name = ctx_->runtime.symbols.name(rec.symbol);
    if (name == nullptr) continue;
    const sh_side side = rec.signal == Signal::kLong ? SH_SIDE_BUY : SH_SIDE_SELL;
    std::string key = make_idempotency_key(name, ts, side);
    const sh_order_intent intent = make_order_intent(rec, ts, minute.rows[i].close,
                                                     ctx_->config.decision.order_notional_usd,
                                                     intent_id_for_key(key));
    if (intent.side == SH_SIDE_UNKNOWN || !(intent.qty > 0)) continue;
    intents_.push_back(intent);
    intent_row_.push_back(i);
    intent_keys_.push_back(std::move(key));
  }
  ctx_->summary.intents += intents_.size();
}

// The component errors of this cycle that safe mode counts: expert calls
// that failed, detector calls, router batches, provider faults (since the
// previous cycle) and, when configured, rows marked dq gap.
void DecisionStage::count_component_errors(const MinuteClose& minute) {
  const RunSummary& s = ctx_->summary;
  const uint32_t src = ctx_->config.decision.safe_mode_errors;
  uint64_t total = 0;
  if (src & DecisionSettings::kErrExpert) total += s.expert_errors;
  if (src & DecisionSettings::kErrDetector) total += s.detector_errors;
  if (src & DecisionSettings::kErrRouter) total += s.router_rule_errors;
  if (src & DecisionSettings::kErrProvider) total += s.provider_errors;
  cycle_component_errors_ = total - component_errors_seen_;
  component_errors_seen_ = total;
  if (src & DecisionSettings::kErrGap) {
    for (const sh_feature_row& r : minute.rows) cycle_component_errors_ += r.dq == SH_DQ_GAP;
  }
}

// The risk chain over the portfolio as of this close.
void DecisionStage::evaluate_risk(std::chrono::steady_clock::time_point decision_start) {
  RunSummary& summary = ctx_->summary;
  sh_portfolio_state portfolio = broker_->portfolio_state();
  portfolio.consecutive_errors = chain_.consecutive_errors();
  portfolio.var_pct = portfolio_var_pct(portfolio, last_rv5_);
  var_pct_ = portfolio.var_pct;
  ctx_->runtime.portfolio_var_pct.store(portfolio.var_pct, std::memory_order_relaxed);
  if (std::isfinite(portfolio.var_pct)) {
    summary.var_pct_max = std::max(summary.var_pct_max, portfolio.var_pct);
  }
  // The previous minute's measured decision time (NaN on the first minute).
  // It is wall time, so a replay passes null: a policy decision must never
  // depend on the wall clock there, or two replays could differ.
  portfolio.decision_latency_ms = ctx_->config.mode == RunMode::kReplay
                                      ? std::numeric_limits<double>::quiet_NaN()
                                      : last_decision_latency_ms_;
  // A cycle with component errors is an erroring cycle (safe mode), whatever
  // the policies then do; risk-policy errors the chain counts itself.
  const uint32_t errors_before = chain_.consecutive_errors();
  if (cycle_component_errors_ > 0) portfolio.consecutive_errors = errors_before + 1;
  chain_.evaluate(intents_.data(), intents_.size(), portfolio, &risk_result_);
  if (cycle_component_errors_ > 0) chain_.set_consecutive_errors(errors_before + 1);
  const int64_t core_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::steady_clock::now() - decision_start)
                              .count();
  ctx_->latency.decision_core_ns.push_back(core_ns);
  last_decision_latency_ms_ = static_cast<double>(core_ns) / 1e6;
}

// Submits what the chain let through.
void DecisionStage::submit_intents() {
  RunSummary& summary = ctx_->summary;
  submits_.assign(intents_.size(), SubmitResult{});
  submitted_.assign(intents_.size(), 0);
  for (size_t k = 0; k < intents_.size(); ++k) {
    const IntentOutcome& o = risk_result_.outcomes[k];
    if (o.action == SH_RISK_DENY) {
      ++summary.denied[risk_reason_text(o.reason)];
      continue;
    }
    if (ctx_->config.mode == RunMode::kDryRun) {
      // Dry run: the whole decision is made and logged; nothing is sent.
      ++summary.orders_not_submitted;
      continue;
    }
    sh_order_intent& intent = risk_result_.final_intents[k];
    if (!broker_->venue_simulated()) {
      const char* name = ctx_->runtime.symbols.name(intent.symbol);
      const DecisionSettings& d = ctx_->config.decision;
      std::string why;
      if (!mode_sends(name != nullptr ? name : "", &why)) {
        ++summary.orders_not_submitted;  // decided and logged, never sent to the live venue
        continue;
      }
      if (ctx_->config.mode == RunMode::kCanary && intent.qty * intent.price > d.canary_max_notional_usd) {
        const double scale = d.canary_max_notional_usd / (intent.qty * intent.price);
        intent.qty *= scale;
        intent.notional_usd = intent.qty * intent.price;
        ++summary.orders_canary_capped;
      }
    }
    const Status st = broker_->submit(intent, intent_keys_[k], &submits_[k]);
    if (!st.ok()) {
      ++summary.orders_refused;
      spdlog::warn("broker refused {}: {}", intent_keys_[k], st.message());
      continue;
    }
    submitted_[k] = 1;
    switch (submits_[k].outcome) {
      case SubmitOutcome::kAccepted: ++summary.orders_accepted; break;
      case SubmitOutcome::kDuplicate: ++summary.orders_duplicate; break;
      case SubmitOutcome::kRefused: ++summary.orders_refused; break;
    }
  }
}

// The decision lines (one per symbol with a signal or an intent).
void DecisionStage::format_lines(int64_t ts, size_t n, const std::function<void(std::string&&)>& emit) const {
  size_t k = 0;
  for (size_t i = 0; i < n; ++i) {
    const bool has_intent = k < intents_.size() && intent_row_[k] == i;
    if (consensus_out_[i].signal == Signal::kFlat && !has_intent) continue;
    const char* name = ctx_->runtime.symbols.name(consensus_out_[i].symbol);
    DecisionView v;
    v.minute_ts_ns = ts;
    v.symbol = name ? name : "";
    v.row = i;
    v.experts = &expert_views_;
    v.consensus = &consensus_out_[i];
    v.chain = &chain_;
    v.expert_versions = &expert_versions_;
    v.policy_versions = &policy_versions_;
    if (has_intent) {
      v.intent = &intents_[k];
      v.risk = &risk_result_;
      v.intent_index = k;
      v.idempotency_key = intent_keys_[k];
      v.submit = submitted_[k] ? &submits_[k] : nullptr;
      ++k;
    }
    emit(format_decision_json(v));
  }
}

void DecisionStage::refresh_versions() {
  expert_versions_.resize(experts_.size());
  // The governance gate, when on, is policy 0 (a host policy: version "host").
  const size_t g = ctx_->config.decision.governance.enabled ? 1 : 0;
  policy_versions_.resize(risk_.size() + g);
  if (g) policy_versions_[0] = "host";
  for (size_t e = 0; e < experts_.size(); ++e) serving_version_label(*expert_slots_[e], &expert_versions_[e]);
  for (size_t r = 0; r < risk_.size(); ++r) serving_version_label(*risk_slots_[r], &policy_versions_[r + g]);
}

void DecisionStage::collect_state() {
  // The serving instances (a swap may have replaced one since open()).
  size_t i = 0;
  for (size_t e = 0; e < experts_.size(); ++e) durable_components_[i++].instance = experts_[e];
  for (const DecisionComponent& r : risk_) durable_components_[i++].instance = r.instance;
  durable_.collect(durable_components_);
}

Status DecisionStage::write_feeds(WriteBatch* staged) {
  Status st = Status::Ok();
  // Inline: written now; with the minute writer: by its thread, before the commit.
  auto out = [staged](JsonlFileSink& sink) {
    if (staged == nullptr) return sink.flush();
    sink.hand_over(staged);
    return Status::Ok();
  };
  if (trades_csv_) {
    // A network venue's fill carries the exchange's time; its line carries
    // the minute it commits with, as orders.jsonl does, so that the
    // restart's trim of uncommitted minutes (feed_recovery.h) keeps exactly
    // the committed fills.
    const bool exchange_time = !broker_->venue_simulated();
    for (const Fill& f : broker_->staged_fills()) {
      if (exchange_time) {
        Fill at_minute = f;
        at_minute.ts_ns = feed_minute_ts_ns_;
        st = trades_csv_->append(at_minute);
      } else {
        st = trades_csv_->append(f);
      }
      if (!st.ok()) return st;
    }
    st = out(trades_csv_->sink());
    if (!st.ok()) return st;
  }
  if (orders_jsonl_ && staged != nullptr) {
    // Formatted on the writer's thread too: the broker's transitions do not
    // change until on_commit (JSON lines: no newline inside).
    const int64_t ts = feed_minute_ts_ns_;
    orders_jsonl_->hand_over(staged, [this, ts](std::string* out) {
      for (const OrderTransition& t : broker_->staged_transitions()) {
        out->append(format_order_json(t, ts));
        out->push_back('\n');
      }
    });
  } else if (orders_jsonl_) {
    for (const OrderTransition& t : broker_->staged_transitions()) {
      st = orders_jsonl_->append_line(format_order_json(t, feed_minute_ts_ns_));
      if (!st.ok()) return st;
    }
    st = orders_jsonl_->flush();
    if (!st.ok()) return st;
  }
  if (decisions_jsonl_ && staged != nullptr) {
    // Formatted and written on the writer's thread: the minute's lines,
    // then the emergency-reduce lines (handed_lines_ until the commit).
    handed_lines_.clear();
    handed_lines_.swap(decision_lines_);
    const int64_t ts = lines_ts_;
    const size_t rows = lines_rows_;
    decisions_jsonl_->hand_over(staged, [this, ts, rows](std::string* out) {
      auto line = [out](std::string_view l) {
        out->append(l);
        out->push_back('\n');
      };
      if (rows > 0) format_lines(ts, rows, [&line](std::string&& l) { line(l); });
      for (const std::string& l : handed_lines_) line(l);
    });
  } else if (decisions_jsonl_) {
    for (const std::string& line : decision_lines_) {
      st = decisions_jsonl_->append_line(line);
      if (!st.ok()) return st;
    }
    st = decisions_jsonl_->flush();
  }
  lines_rows_ = 0;
  decision_lines_.clear();
  return st;
}

Status DecisionStage::persist(const Minute&, StateTxn& txn) {
  // The paper broker's orders, positions and account of this minute, the
  // operator commands it applied, the router's switches and the durable
  // plugin state commit with the minute.
  Status hs = broker_ ? broker_->persist(txn) : Status::Ok();
  for (const std::string& key : applied_command_keys_) {
    if (!hs.ok()) break;
    hs = txn.del(StateDb::kMeta, key);
    if (hs.is_not_found()) hs = Status::Ok();
  }
  for (const SwitchRecord& sw : switches_) {
    if (!hs.ok()) break;
    const char* name = ctx_->runtime.symbols.name(sw.symbol);
    hs = append_switch_history(txn, sw, name ? name : "", router_->config().candidates);
  }
  if (hs.ok() && broker_) hs = durable_.persist(txn, chain_);
  if (hs.ok() && reduce_) hs = reduce_->persist(txn);
  return hs;
}

Status DecisionStage::on_commit(Minute& minute, const Status& commit) {
  // No command is pending after this commit if it directly follows the
  // snapshot the commands were read from (no other write in between) and
  // deleted those it applied.
  commands_clear_txn_ = commit.ok() && commands_read_txn_ != 0 && minute.txn_id == commands_read_txn_ + 1
                            ? minute.txn_id
                            : 0;
  durable_.on_commit(commit.ok(), chain_);
  if (reduce_) reduce_->on_commit(commit.ok());
  applied_command_keys_.clear();
  Status st = broker_ ? after_commit(commit) : Status::Ok();
  if (!commit.ok() || !st.ok()) {
    // Nothing half-written: the feeds lose this minute's lines again.
    const Status ts = trim_feeds();
    if (!ts.ok()) spdlog::error("{}", ts.message());
  }
  if (commit.ok() && st.ok()) {
    ++minutes_committed_;
    const uint32_t every = ctx_->config.decision.reconcile_interval_minutes;
    if (every > 0 && broker_ && !catch_up_ && minutes_committed_ % every == 0 &&
        ctx_->config.mode != RunMode::kDryRun) {
      const Status rs = reconcile("interval");
      if (!rs.ok()) spdlog::error("{}", rs.message());
    }
  }
  return st;
}

Status DecisionStage::after_commit(const Status& write_status) {
  Status st = broker_->on_commit(write_status);
  if (!write_status.ok()) {
    decision_lines_.clear();
    switches_.clear();
    return st;
  }
  if (!st.ok()) return st;
  RunSummary& summary = ctx_->summary;
  for (const SwitchRecord& sw : switches_) {
    ++summary.model_switches;
    if (switch_observer_) {
      const char* name = ctx_->runtime.symbols.name(sw.symbol);
      switch_observer_(name ? name : "", sw);
    }
    if (should_log(summary.model_switches)) {
      const char* name = ctx_->runtime.symbols.name(sw.symbol);
      spdlog::info("model switch {} {}: '{}' -> '{}' ({})", name ? name : "?",
                   format_iso8601_utc(sw.ts_ns), sw.from, sw.to, sw.reason);
    }
  }
  switches_.clear();
  summary.fills += broker_->take_committed_fills().size();  // in trades.csv already
  summary.equity_usd = broker_->equity_usd();
  summary.cash_usd = broker_->cash_usd();
  summary.realized_pnl_usd = broker_->realized_pnl_usd();
  summary.fees_usd = broker_->fees_usd();
  summary.venue_unknown_reports = broker_->unknown_reports();
  summary.ack_timeouts = broker_->ack_timeouts();
  summary.late_fills = broker_->late_fills();
  return Status::Ok();
}

Status DecisionStage::trim_feeds() {
  const DecisionSettings& d = ctx_->config.decision;
  return trim_feeds_to_store(*ctx_->store, ctx_->host_config.output_dir(),
                             {{d.decisions_jsonl, FeedFormat::kJsonLines},
                              {d.orders_jsonl, FeedFormat::kJsonLines},
                              {d.trades_csv, FeedFormat::kCsvTsSecondColumn}});
}

void DecisionStage::contribute(RunSummary& summary) const {
  summary.router_enabled = router_ != nullptr;
}

// The decision layer's part of the status snapshot: account, open positions,
// working orders, the trading switches, each risk component's state.
void DecisionStage::describe(StatusSnapshot& status) const {
  DecisionStatus& d = status.decision;
  d.enabled = broker_ != nullptr;
  if (!broker_) return;
  describe_book(*broker_, ctx_->runtime.symbols, &d);
  d.var_pct = var_pct_;
  d.emergency_reduce = reduce_ && reduce_->active();
  d.risk.resize(risk_.size());
  for (size_t i = 0; i < risk_.size(); ++i) {
    describe_risk_component(risk_[i], durable_.committed(), ctx_->runtime.config_dir, &d.risk[i]);
  }
}

}  // namespace sh::host
