#include "decision/decision_log.h"

#include <cmath>
#include <filesystem>
#include <system_error>

#include "lua/lua_rule.h"
#include "store/text_format.h"
#include "store/time_format.h"

namespace sh::host {

std::string_view trades_csv_header() {
  return "timestamp,ts_ns,symbol,side,qty,price,ref_price,slippage_bps,notional_usd,pnl,"
         "position_qty,avg_price,order_seq,idempotency_key,reason";
}

std::string format_trade_csv(const Fill& f) {
  std::string s;
  s.reserve(200);
  s += format_iso8601_utc(f.ts_ns);
  s += ',';
  s += std::to_string(f.ts_ns);
  s += ',';
  append_csv_cell(&s, f.symbol);
  s += f.side == SH_SIDE_BUY ? ",buy," : ",sell,";
  append_double(&s, f.qty);
  s += ',';
  append_double(&s, f.price);
  s += ',';
  append_double(&s, f.ref_price);
  s += ',';
  append_double(&s, f.slippage_bps);
  s += ',';
  append_double(&s, f.qty * f.price);
  s += ',';
  append_double(&s, f.realized_pnl_usd);
  s += ',';
  append_double(&s, f.position_qty);
  s += ',';
  append_double(&s, f.avg_price);
  s += ',';
  s += std::to_string(f.order_seq);
  s += ',';
  append_csv_cell(&s, f.idempotency_key);
  s += ',';
  append_csv_cell(&s, f.reason);
  return s;
}

Status TradesCsvFile::open(const std::string& path, OutputDigest* digest,
                           std::unique_ptr<TradesCsvFile>* out) {
  std::error_code ec;
  const bool needs_header = !std::filesystem::exists(path, ec) ||
                            std::filesystem::file_size(path, ec) == 0 || ec;
  JsonlFileSinkOptions o;
  o.path = path;
  o.digest = digest;
  o.digest_stream = "trades";
  std::unique_ptr<JsonlFileSink> sink;
  Status st = JsonlFileSink::open(o, &sink);
  if (!st.ok()) return st;
  if (needs_header) {
    st = sink->append_line(trades_csv_header());
    if (!st.ok()) return st;
  }
  out->reset(new TradesCsvFile(std::move(sink)));
  return Status::Ok();
}

Status TradesCsvFile::append(const Fill& fill) { return sink_->append_line(format_trade_csv(fill)); }

std::string format_decision_json(const DecisionView& v) {
  std::string s;
  // Room for the whole line: ~1 KB plus ~200 bytes per risk verdict.
  s.reserve(v.intent != nullptr && v.risk != nullptr ? 1024 + 224 * v.risk->policy_count : 1024);
  s += "{\"minute\":";
  append_json_string(&s, format_iso8601_utc(v.minute_ts_ns));
  s += ",\"minute_ts_ns\":";
  s += std::to_string(v.minute_ts_ns);
  s += ",\"symbol\":";
  append_json_string(&s, v.symbol);

  s += ",\"evidence\":[";
  if (v.experts != nullptr) {
    bool first = true;
    for (const ExpertEvidence& ex : *v.experts) {
      if (v.row >= ex.count || ex.items == nullptr) continue;
      const sh_evidence& e = ex.at(v.row);
      const sh_symbol_id sym = v.consensus != nullptr ? v.consensus->symbol : e.symbol;
      if (!first) s += ',';
      first = false;
      s += "{\"expert\":";
      append_json_string(&s, ex.name);
      s += ",\"used\":";
      s += evidence_usable(e, sym) ? "true" : "false";
      s += ",\"abstain\":";
      s += (e.flags & SH_EVIDENCE_FLAG_ABSTAIN) != 0 ? "true" : "false";
      s += ",\"prob_long\":";
      append_json_double(&s, e.prob_long);
      s += ",\"prob_short\":";
      append_json_double(&s, e.prob_short);
      s += ",\"confidence\":";
      append_json_double(&s, e.confidence);
      s += '}';
    }
  }
  s += "],\"consensus\":";
  if (v.consensus != nullptr) {
    append_consensus_json(&s, *v.consensus, v.symbol);
  } else {
    s += "null";
  }

  s += ",\"intent\":";
  if (v.intent != nullptr) {
    s += "{\"side\":";
    s += v.intent->side == SH_SIDE_BUY ? "\"buy\"" : "\"sell\"";
    s += ",\"qty\":";
    append_json_double(&s, v.intent->qty);
    s += ",\"price\":";
    append_json_double(&s, v.intent->price);
    s += ",\"notional_usd\":";
    append_json_double(&s, v.intent->notional_usd);
    s += ",\"confidence\":";
    append_json_double(&s, v.intent->confidence);
    s += '}';
  } else {
    s += "null";
  }

  s += ",\"risk\":[";
  const bool have_risk = v.risk != nullptr && v.intent != nullptr &&
                         v.intent_index < v.risk->intent_count;
  if (have_risk) {
    bool first = true;
    for (size_t p = 0; p < v.risk->policy_count; ++p) {
      const sh_risk_verdict* vd = v.risk->verdict(p, v.intent_index);
      if (vd == nullptr) continue;
      if (!first) s += ',';
      first = false;
      s += "{\"policy\":";
      const bool untouched = vd->action == SH_RISK_ALLOW && vd->reason == SH_REASON_NONE &&
                             vd->scale == 1.0 && vd->detail[0] == '\0';
      if (untouched && v.chain != nullptr && p < v.chain->policies().size()) {
        // The common verdict (the policy let the intent through as it was),
        // the same bytes as the general form below in one append.
        append_json_string(&s, v.chain->policies()[p].name);
        s += ",\"action\":\"allow\",\"reason\":\"NONE\",\"code\":200,\"scale\":1,\"detail\":\"\"}";
        continue;
      }
      const bool named = v.chain != nullptr && p < v.chain->policies().size();
      if (named) {
        append_json_string(&s, v.chain->policies()[p].name);
      } else {
        append_json_string(&s, "policy_" + std::to_string(p));
      }
      s += ",\"action\":\"";
      s += risk_action_name(vd->action);
      s += "\",\"reason\":";
      // risk_reason_text without a std::string for the named reasons.
      const char* reason_name = vd->reason == SH_REASON_NONE ? "NONE" : risk_reason_name(vd->reason);
      if (reason_name != nullptr) {
        append_json_string(&s, reason_name);
      } else {
        append_json_string(&s, risk_reason_text(vd->reason));
      }
      s += ",\"code\":";
      s += std::to_string(risk_http_code(vd->action, vd->reason));
      s += ",\"scale\":";
      append_json_double(&s, vd->scale);
      s += ",\"detail\":";
      append_json_string(&s, vd->detail);
      s += '}';
    }
  }

  s += "],\"final\":{\"status\":";
  // Without a risk verdict: flat consensus -> 204 no_signal; a direction
  // below min_confidence -> 412 low_confidence; allowed but no intent made
  // (e.g. sizing gave 0) -> 204 no_order.
  const char* status = "no_signal";
  int code = 204;
  std::string reason = "flat";
  const sh_order_intent* final_intent = nullptr;
  if (v.consensus != nullptr && v.consensus->signal != Signal::kFlat) {
    if (!v.consensus->allow) {
      status = "low_confidence";
      code = 412;
      reason = "LOW_CONFIDENCE";
    } else {
      status = "no_order";
      reason = "no order intent";
    }
  }
  if (have_risk) {
    const IntentOutcome& o = v.risk->outcomes[v.intent_index];
    if (o.action == SH_RISK_DENY) {
      status = "denied";
      code = o.http_code;
      reason = risk_reason_text(o.reason);
    } else {
      final_intent = &v.risk->final_intents[v.intent_index];
      if (v.submit == nullptr) {
        status = "not_submitted";
        code = 200;
        reason = "";
      } else {
        switch (v.submit->outcome) {
          case SubmitOutcome::kAccepted: status = "accepted"; break;
          case SubmitOutcome::kDuplicate: status = "duplicate"; break;
          case SubmitOutcome::kRefused: status = "refused"; break;
        }
        code = v.submit->http_code;
        reason = v.submit->reason;
      }
    }
  }
  append_json_string(&s, status);
  s += ",\"code\":";
  s += std::to_string(code);
  s += ",\"reason\":";
  append_json_string(&s, reason);
  s += ",\"qty\":";
  append_json_double(&s, final_intent != nullptr ? final_intent->qty : std::nan(""));
  s += ",\"notional_usd\":";
  append_json_double(&s, final_intent != nullptr ? final_intent->notional_usd : std::nan(""));
  s += ",\"idempotency_key\":";
  append_json_string(&s, v.idempotency_key);
  s += "}}";
  return s;
}

}  // namespace sh::host
