// The decision core's two human-facing outputs:
//   trades.csv   one row per committed paper fill, fixed columns, header once;
//   decisions    one JSON line per symbol that had a signal or an order:
//                evidence per expert, the consensus record, the intent, every
//                risk policy's verdict, and the final order or refusal code.
// Both are written only after the minute committed (the store is the
// authoritative record; these are feeds).
#ifndef SH_HOST_DECISION_DECISION_LOG_H
#define SH_HOST_DECISION_DECISION_LOG_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <strategy_host/abi.h>

#include "decision/consensus.h"
#include "decision/broker.h"
#include "decision/risk_chain.h"
#include "events/jsonl_file_sink.h"
#include "store/status.h"

namespace sh::host {

class OutputDigest;

// "timestamp,ts_ns,symbol,side,qty,price,ref_price,slippage_bps,notional_usd,
//  pnl,position_qty,avg_price,order_seq,idempotency_key,reason"
// timestamp is ISO-8601 UTC; pnl is the PnL this fill realized.
std::string_view trades_csv_header();
std::string format_trade_csv(const Fill& fill);  // no trailing newline
// One orders.jsonl line (no newline): an order's state after one transition,
// "minute_ts_ns" = the minute whose transaction commits it (feed_recovery.h).
std::string format_order_json(const OrderTransition& t, int64_t minute_ts_ns);

// trades.csv, appended; the header is written when the file is new or empty.
class TradesCsvFile {
 public:
  // digest (optional, not owned) receives the bytes under stream "trades".
  static Status open(const std::string& path, OutputDigest* digest,
                     std::unique_ptr<TradesCsvFile>* out, bool digest_on_write = false);
  Status append(const Fill& fill);
  Status flush() { return sink_->flush(); }
  JsonlFileSink& sink() { return *sink_; }

 private:
  explicit TradesCsvFile(std::unique_ptr<JsonlFileSink> sink) : sink_(std::move(sink)) {}
  std::unique_ptr<JsonlFileSink> sink_;
};

// Everything known about one symbol's decision in one minute. Pointers are
// borrowed; null ones are rendered as null.
struct DecisionView {
  int64_t minute_ts_ns = 0;
  std::string_view symbol;
  size_t row = 0;  // the symbol's index in the minute's evidence arrays
  const std::vector<ExpertEvidence>* experts = nullptr;
  const ConsensusRecord* consensus = nullptr;
  const sh_order_intent* intent = nullptr;  // the intent before the risk chain
  const RiskChain* chain = nullptr;         // for the policies' names
  const RiskChainResult* risk = nullptr;
  size_t intent_index = 0;                  // in risk
  std::string_view idempotency_key;
  const SubmitResult* submit = nullptr;     // null when not submitted
  // The serving version of each expert (aligned with *experts) and policy
  // (aligned with the chain's policies), e.g. "1.0.0", "1.0.0+cfg3",
  // "lua:<hash>": every line names what made it. Null or short: omitted.
  const std::vector<std::string>* expert_versions = nullptr;
  const std::vector<std::string>* policy_versions = nullptr;
};

// One JSON object, fields in this order: minute, minute_ts_ns, symbol,
// evidence [{expert, version, used, abstain, prob_long, prob_short, confidence}],
// consensus {runbook record}, intent {side, qty, price, notional_usd,
// confidence} | null, risk [{policy, version, action, reason, code, scale, detail}]
// (policies that did not see the intent are omitted), final {status, code,
// reason, qty, notional_usd, idempotency_key}. status/code is one of
// no_signal/204 (flat), low_confidence/412 (consensus allow=false),
// no_order/204, denied/<risk code>, not_submitted/200, and the broker's
// accepted/200, duplicate/200, refused/423 (stop / pause).
std::string format_decision_json(const DecisionView& view);

}  // namespace sh::host

#endif  // SH_HOST_DECISION_DECISION_LOG_H
