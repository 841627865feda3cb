// The decision stage and the venue (README "Execution venues"): what each
// host mode sends, reconciliation at start and every interval, market
// events and polls between batches, and the wait for a network venue's
// answers at the end of the input.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>
#include <limits>
#include <thread>

#include "decision/decision_stage.h"

namespace sh::host {

// What reaches the venue in each host mode (runbook 001: paper, then live
// through dry-run, shadow and canary). A dry run calls no venue at all. A
// live venue gets nothing in shadow, only the canary symbols in canary (each
// order capped at execution.canary.max_notional_usd, see submit_intents),
// everything in production. A simulated venue trades in every mode but
// dry-run (the paper book is the shadow's book).
void DecisionStage::set_send_rules() {
  const RunMode mode = ctx_->config.mode;
  broker_->set_venue_enabled(mode != RunMode::kDryRun);
  if (broker_->venue_simulated()) return;
  broker_->set_send_policy(
      [this](std::string_view symbol, std::string* why) { return mode_sends(symbol, why); });
}

bool DecisionStage::mode_sends(std::string_view symbol, std::string* why) const {
  if (broker_->venue_simulated()) return true;
  const RunMode mode = ctx_->config.mode;
  if (mode == RunMode::kShadow) {
    *why = "not sent: shadow mode never reaches a live venue";
    return false;
  }
  if (mode == RunMode::kCanary && ctx_->config.decision.canary_symbols.count(std::string(symbol)) == 0) {
    *why = "not sent: canary mode, " + std::string(symbol) + " is not a canary symbol";
    return false;
  }
  return true;
}

// A restarted network venue may not know yet what became of the orders it
// restored (it asks the exchange on its own thread): its query answers
// SH_WOULD_BLOCK until it does. At start the host polls it (booking what it
// reports) and asks again, for at most execution.reconcile.start_wait_ms,
// rather than compare with a view that is not there yet.
Status DecisionStage::reconcile_at_start(Reconciliation* rec) {
  Status st = broker_->reconcile(rec);
  if (st.code() != Status::Code::kUnavailable) return st;
  const int64_t wait_ms = ctx_->config.decision.reconcile_start_wait_ms;
  spdlog::info("reconciliation (start): {}; waiting for it up to {} ms "
               "(execution.reconcile.start_wait_ms)",
               st.message(), wait_ms);
  const auto t0 = std::chrono::steady_clock::now();
  const auto deadline = t0 + std::chrono::milliseconds(wait_ms);
  while (st.code() == Status::Code::kUnavailable && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const Status ps = broker_->poll_venue();
    if (!ps.ok()) return ps;
    st = broker_->reconcile(rec);
  }
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - t0).count();
  if (st.code() == Status::Code::kUnavailable) {
    return Status::Unavailable("reconciliation (start): " + st.message() + ", still after " +
                               std::to_string(waited) + " ms (execution.reconcile.start_wait_ms)");
  }
  if (st.ok()) spdlog::info("reconciliation (start): venue '{}' ready after {} ms", venue_name_, waited);
  return st;
}

// Reconciliation (at start, then every execution.reconcile.interval_minutes):
// the orders and positions of record against the venue's. Every difference
// is logged; none is adopted silently; with on_mismatch: halt the host stops
// trading (emergency stop, persisted with the next commit) until an operator
// resumes.
Status DecisionStage::reconcile(const char* when) {
  Reconciliation rec;
  // A dry run never polls the venue (it calls no venue for orders): it
  // does not wait for a view that polling would complete.
  const bool wait = std::strcmp(when, "start") == 0 && ctx_->config.mode != RunMode::kDryRun;
  const Status st = wait ? reconcile_at_start(&rec) : broker_->reconcile(&rec);
  if (st.code() == Status::Code::kUnavailable && !wait) {
    spdlog::info("reconciliation ({}) with venue '{}' skipped: {}; the next interval asks again",
                 when, venue_name_, st.message());
    return Status::Ok();
  }
  if (!st.ok()) return st;
  RunSummary& summary = ctx_->summary;
  ++summary.reconciliations;
  if (rec.clean()) {
    spdlog::info("reconciliation ({}) with venue '{}': {} working orders and the positions agree",
                 when, venue_name_, broker_->pending_order_count());
    return Status::Ok();
  }
  const uint64_t differences = rec.log_differences(venue_name_);
  summary.reconcile_mismatches += differences;
  if (ctx_->config.decision.reconcile_on_mismatch == DecisionSettings::OnMismatch::kLog) {
    spdlog::warn("reconciliation ({}) with venue '{}': {} difference(s), logged above; nothing adopted, "
                 "trading goes on (execution.reconcile.on_mismatch: log)",
                 when, venue_name_, differences);
  } else if (ctx_->config.decision.reconcile_on_mismatch == DecisionSettings::OnMismatch::kAdopt) {
    broker_->adopt(rec, broker_->last_close_ts_ns());
    const Status cs = broker_->commit_now();  // durable before anything trades on it
    if (!cs.ok()) return cs;
    spdlog::warn("reconciliation ({}) with venue '{}': the venue's orders and positions adopted "
                 "(execution.reconcile.on_mismatch: adopt)",
                 when, venue_name_);
  } else if (ctx_->config.decision.reconcile_on_mismatch == DecisionSettings::OnMismatch::kHalt &&
             !broker_->emergency_stopped()) {
    spdlog::error("reconciliation ({}) with venue '{}' found differences: trading halted "
                  "(emergency stop; execution.reconcile.on_mismatch: halt) until host trade resume",
                  when, venue_name_);
    broker_->emergency_stop();
  }
  return Status::Ok();
}

void DecisionStage::on_events(const EventBatch& batch, std::vector<MinuteClose>&) {
  if (!broker_ || !broker_->venue_wants_events() || batch.count == 0) return;
  // A replay catching up re-reads events the venue saw before its state was
  // saved: only events after the last committed minute reach it.
  const int64_t from = broker_->last_minute_ts_ns() == std::numeric_limits<int64_t>::min()
                           ? std::numeric_limits<int64_t>::min()
                           : broker_->last_close_ts_ns();
  const auto* base = reinterpret_cast<const unsigned char*>(batch.events);
  size_t first = 0;
  while (first < batch.count &&
         reinterpret_cast<const sh_market_event*>(base + first * batch.stride)->ts_ns < from) {
    ++first;
  }
  if (first == batch.count) return;
  const Status st = broker_->on_events(
      reinterpret_cast<const sh_market_event*>(base + first * batch.stride), batch.count - first,
      batch.stride);
  if (!st.ok()) spdlog::error("{}", st.message());
}

Status DecisionStage::on_idle(IdlePoint point) {
  if (!broker_) return Status::Ok();
  if (point == IdlePoint::kEndOfInput) {
    await_venue_answers();
    return Status::Ok();
  }
  if (point != IdlePoint::kBetweenBatches) return Status::Ok();
  const Status st = broker_->poll_venue();
  if (!st.ok()) spdlog::error("{}", st.message());
  return Status::Ok();
}

// A network venue answers on its own threads: an order sent or a cancel
// asked for at the last minutes may still be on its way when the input
// ends. The open minutes have not been flushed yet, so what comes back now
// commits with the last of them, in the store and in orders.jsonl /
// trades.csv. What does not come back in time is booked at the next start
// (the venue's saved state and its questions to the exchange).
void DecisionStage::await_venue_answers() {
  const int64_t wait_ms = ctx_->config.decision.stop_wait_ms;
  if (broker_->venue_simulated() || ctx_->config.mode == RunMode::kDryRun || wait_ms <= 0) return;
  Status st = broker_->poll_venue();
  size_t due = broker_->answers_due();
  if (!st.ok() || due == 0) {
    if (!st.ok()) spdlog::error("{}", st.message());
    return;
  }
  spdlog::info("end of input: waiting up to {} ms for venue '{}' to answer {} order(s) "
               "(execution.stop_wait_ms)",
               wait_ms, venue_name_, due);
  const auto t0 = std::chrono::steady_clock::now();
  const auto deadline = t0 + std::chrono::milliseconds(wait_ms);
  while (due > 0 && st.ok() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    st = broker_->poll_venue();
    due = broker_->answers_due();
  }
  if (!st.ok()) spdlog::error("{}", st.message());
  const auto waited =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  if (due == 0) {
    spdlog::info("end of input: venue '{}' answered after {} ms; the last commit books it", venue_name_,
                 waited);
  } else {
    spdlog::warn("end of input: venue '{}' still owes {} answer(s) after {} ms "
                 "(execution.stop_wait_ms); the next start asks for them",
                 venue_name_, due, waited);
  }
}

}  // namespace sh::host
