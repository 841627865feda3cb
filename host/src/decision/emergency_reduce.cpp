#include "decision/emergency_reduce.h"

#include <cmath>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "store/text_format.h"
#include "store/time_format.h"

namespace sh::host {

Status EmergencyReduce::restore(StateStore& store) {
  StateTxn txn;
  Status st = store.begin_read(&txn);
  if (!st.ok()) return st;
  std::string v;
  st = txn.get(StateDb::kMeta, kMetaVarReduce, &v);
  if (st.is_not_found()) return Status::Ok();
  if (!st.ok()) return st;
  active_ = committed_active_ = v == "1";
  if (active_) spdlog::warn("emergency reduce: active when the host stopped; reducing until VaR <= {}%",
                            config_.target_var_pct);
  return Status::Ok();
}

void EmergencyReduce::update(int64_t ts, double var_pct, Broker& broker) {
  if (config_.enabled && std::isfinite(var_pct)) {
    if (!active_ && var_pct > config_.var_pct) {
      active_ = true;
      spdlog::warn("emergency reduce: VaR {:.3f}% > emergency {}% at {}: reducing positions to VaR {}%, "
                   "reduce-only until then",
                   var_pct, config_.var_pct, format_iso8601_utc(ts), config_.target_var_pct);
    } else if (active_ && var_pct <= config_.target_var_pct) {
      active_ = false;
      spdlog::info("emergency reduce: ended at {}: VaR {:.3f}% <= target {}%", format_iso8601_utc(ts),
                   var_pct, config_.target_var_pct);
    }
  }
  broker.set_reduce_only(active_);
}

Status EmergencyReduce::reduce(int64_t ts, double var_pct, bool submit, Broker& broker,
                               std::vector<std::string>* lines, Outcome* out) {
  *out = Outcome{};
  // No VaR this minute (no equity, no volatility yet): nothing to size by.
  if (!active_ || !std::isfinite(var_pct) || var_pct <= config_.target_var_pct) return Status::Ok();
  out->reduced = true;
  out->fraction = 1.0 - config_.target_var_pct / var_pct;
  const size_t lines_before = lines->size();
  if (submit) {
    Status st = broker.reduce_positions(ts, out->fraction, &out->orders);
    if (!st.ok()) return st;
    for (const ClosingOrder& o : out->orders) lines->push_back(line(ts, o, var_pct, out->fraction, true));
  } else {
    // Dry-run: the orders the host would send.
    for (const ClosingOrder& o : broker.closing_plan(ts, out->fraction, "var_reduce"))
      lines->push_back(line(ts, o, var_pct, out->fraction, false));
  }
  spdlog::warn("emergency reduce: VaR {:.3f}% at {}: {} orders {} closing {:.1f}% of each position",
               var_pct, format_iso8601_utc(ts), lines->size() - lines_before,
               submit ? "sent" : "decided (dry-run, not sent)", out->fraction * 100.0);
  return Status::Ok();
}

std::string EmergencyReduce::line(int64_t ts, const ClosingOrder& o, double var_pct,
                                  double fraction, bool submitted) const {
  char detail[160];
  std::snprintf(detail, sizeof detail, "VaR %.2f%% > target %.2f%% (emergency %.2f%%): reduce %.1f%%",
                var_pct, config_.target_var_pct, config_.var_pct, fraction * 100.0);
  std::string s = "{\"minute\":";
  append_json_string(&s, format_iso8601_utc(ts));
  s += ",\"minute_ts_ns\":" + std::to_string(ts) + ",\"symbol\":";
  append_json_string(&s, o.symbol);
  // "intent": null as on every decision line without a signal's intent.
  s += ",\"intent\":null,\"action\":\"reduce\",\"reason\":\"VAR_LIMIT\",\"detail\":";
  append_json_string(&s, detail);
  s += ",\"var_pct\":";
  append_json_double(&s, var_pct);
  s += ",\"target_var_pct\":";
  append_json_double(&s, config_.target_var_pct);
  s += ",\"fraction\":";
  append_json_double(&s, fraction);
  s += ",\"order\":{\"idempotency_key\":";
  append_json_string(&s, o.key);
  s += ",\"side\":";
  append_json_string(&s, order_side_name(o.side));
  s += ",\"qty\":";
  append_json_double(&s, o.qty);
  s += ",\"ref_price\":";
  append_json_double(&s, o.ref_price);
  s += submitted ? ",\"status\":\"accepted\",\"order_seq\":" + std::to_string(o.order_seq)
                 : std::string(",\"status\":\"not_submitted\"");
  s += "}}";
  return s;
}

Status EmergencyReduce::persist(StateTxn& txn) {
  if (active_ == committed_active_) return Status::Ok();
  return txn.put(StateDb::kMeta, kMetaVarReduce, active_ ? "1" : "0");
}

void EmergencyReduce::on_commit(bool ok) {
  if (ok) committed_active_ = active_;
  else active_ = committed_active_;
}

}  // namespace sh::host
