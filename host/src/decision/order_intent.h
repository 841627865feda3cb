// Order intents from consensus records: the deterministic idempotency key
// and the intent the risk chain and the paper broker consume.
#ifndef SH_HOST_DECISION_ORDER_INTENT_H
#define SH_HOST_DECISION_ORDER_INTENT_H

#include <cstdint>
#include <string>
#include <string_view>

#include <strategy_host/abi.h>

#include "decision/consensus.h"

namespace sh::host {

// "<symbol>/<minute ISO-8601 UTC>/<buy|sell>", e.g.
// "BTCUSDT/2024-01-02T00:05:00Z/buy": the same decision in a replay gets
// the same key, so a restarted replay never fills it twice.
std::string make_idempotency_key(std::string_view symbol, int64_t minute_ts_ns, sh_side side);

// FNV-1a 64 of the key (sh_order_intent.intent_id).
uint64_t intent_id_for_key(std::string_view key);

// The intent for an allowed consensus record (long -> buy, short -> sell):
// qty = notional_usd / price. side is SH_SIDE_UNKNOWN and qty 0 when the
// record is flat or price / notional are not positive finite numbers.
sh_order_intent make_order_intent(const ConsensusRecord& record, int64_t ts_ns, double price,
                                  double notional_usd, uint64_t intent_id);

}  // namespace sh::host

#endif  // SH_HOST_DECISION_ORDER_INTENT_H
