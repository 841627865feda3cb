#include "decision/order_intent.h"

#include <cmath>

#include "store/time_format.h"

namespace sh::host {

std::string make_idempotency_key(std::string_view symbol, int64_t minute_ts_ns, sh_side side) {
  std::string key(symbol);
  key += '/';
  key += format_iso8601_utc(minute_ts_ns);
  key += side == SH_SIDE_BUY ? "/buy" : "/sell";
  return key;
}

uint64_t intent_id_for_key(std::string_view key) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

sh_order_intent make_order_intent(const ConsensusRecord& r, int64_t ts_ns, double price,
                                  double notional_usd, uint64_t intent_id) {
  sh_order_intent in{};
  in.struct_size = sizeof in;
  in.symbol = r.symbol;
  in.intent_id = intent_id;
  in.ts_ns = ts_ns;
  in.price = price;
  in.confidence = r.confidence;
  in.prob_long = r.prob_long;
  in.prob_short = r.prob_short;
  const bool sized = std::isfinite(price) && price > 0.0 && std::isfinite(notional_usd) &&
                     notional_usd > 0.0;
  if (r.signal == Signal::kFlat || !sized) {
    in.side = SH_SIDE_UNKNOWN;
    return in;
  }
  in.side = r.signal == Signal::kLong ? SH_SIDE_BUY : SH_SIDE_SELL;
  in.qty = notional_usd / price;
  in.notional_usd = notional_usd;
  return in;
}

}  // namespace sh::host
