#include "decision/decision_log.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "lua/lua_rule.h"
#include "store/text_format.h"
#include "store/time_format.h"

namespace sh::host {

std::string_view trades_csv_header() {
  return "timestamp,ts_ns,symbol,side,qty,price,ref_price,slippage_bps,notional_usd,pnl,"
         "position_qty,avg_price,order_seq,idempotency_key,reason,fee_usd,liquidity";
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
  s += ',';
  append_double(&s, f.fee_usd);
  s += f.liquidity == SH_LIQUIDITY_MAKER ? ",maker" : f.liquidity == SH_LIQUIDITY_TAKER ? ",taker" : ",";
  return s;
}

std::string format_order_json(const OrderTransition& t, int64_t minute_ts_ns) {
  std::string s;
  s.reserve(320);
  s += "{\"minute_ts_ns\":";
  s += std::to_string(minute_ts_ns);
  s += ",\"ts_ns\":";
  s += std::to_string(t.ts_ns);
  s += ",\"timestamp\":";
  append_json_string(&s, format_iso8601_utc(t.ts_ns));
  s += ",\"key\":";
  append_json_string(&s, t.key);
  s += ",\"seq\":";
  s += std::to_string(t.seq);
  s += ",\"symbol\":";
  append_json_string(&s, t.symbol);
  s += t.side == SH_SIDE_BUY ? ",\"side\":\"buy\"" : ",\"side\":\"sell\"";
  s += t.type == SH_ORDER_LIMIT ? ",\"type\":\"limit\"" : ",\"type\":\"market\"";
  s += t.tif == SH_TIF_IOC ? ",\"tif\":\"ioc\"" : t.tif == SH_TIF_FOK ? ",\"tif\":\"fok\"" : ",\"tif\":\"gtc\"";
  s += ",\"qty\":";
  append_json_double(&s, t.qty);
  s += ",\"limit_price\":";
  append_json_double(&s, t.limit_price);
  s += ",\"state\":";
  append_json_string(&s, order_state_name(t.state));
  s += ",\"filled_qty\":";
  append_json_double(&s, t.filled_qty);
  s += ",\"avg_fill_price\":";
  append_json_double(&s, t.filled_qty > 0.0 ? t.avg_fill_price : std::nan(""));
  s += ",\"fees_usd\":";
  append_json_double(&s, t.fees_usd);
  s += ",\"reason\":";
  append_json_string(&s, t.reason);
  s += ",\"venue_order_id\":";
  append_json_string(&s, t.venue_order_id);
  s += '}';
  return s;
}

Status TradesCsvFile::open(const std::string& path, OutputDigest* digest,
                           std::unique_ptr<TradesCsvFile>* out, bool digest_on_write) {
  std::error_code ec;
  const bool needs_header = !std::filesystem::exists(path, ec) ||
                            std::filesystem::file_size(path, ec) == 0 || ec;
  JsonlFileSinkOptions o;
  o.path = path;
  o.digest = digest;
  o.digest_stream = "trades";
  o.digest_on_write = digest_on_write;
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

namespace {

// The parts of a decision line, in line order (see format_decision_json).
void append_evidence(TextWriter& s, const DecisionView& v) {
  s.lit(",\"evidence\":[");
  if (v.experts != nullptr) {
    bool first = true;
    for (size_t x = 0; x < v.experts->size(); ++x) {
      const ExpertEvidence& ex = (*v.experts)[x];
      if (v.row >= ex.count || ex.items == nullptr) continue;
      const sh_evidence& e = ex.at(v.row);
      const sh_symbol_id sym = v.consensus != nullptr ? v.consensus->symbol : e.symbol;
      if (!first) s.put(',');
      first = false;
      s.lit("{\"expert\":");
      s.json_string(ex.name);
      if (v.expert_versions != nullptr && x < v.expert_versions->size()) {
        s.lit(",\"version\":");
        s.json_string((*v.expert_versions)[x]);
      }
      if (evidence_usable(e, sym)) {
        s.lit(",\"used\":true");
      } else {
        s.lit(",\"used\":false");
      }
      if ((e.flags & SH_EVIDENCE_FLAG_ABSTAIN) != 0) {
        s.lit(",\"abstain\":true,\"prob_long\":");
      } else {
        s.lit(",\"abstain\":false,\"prob_long\":");
      }
      s.json_double(e.prob_long);
      s.lit(",\"prob_short\":");
      s.json_double(e.prob_short);
      s.lit(",\"confidence\":");
      s.json_double(e.confidence);
      s.put('}');
    }
  }
}

void append_intent(TextWriter& s, const DecisionView& v) {
  s.lit(",\"intent\":");
  if (v.intent != nullptr) {
    if (v.intent->side == SH_SIDE_BUY) {
      s.lit("{\"side\":\"buy\",\"qty\":");
    } else {
      s.lit("{\"side\":\"sell\",\"qty\":");
    }
    s.json_double(v.intent->qty);
    s.lit(",\"price\":");
    s.json_double(v.intent->price);
    s.lit(",\"notional_usd\":");
    s.json_double(v.intent->notional_usd);
    s.lit(",\"confidence\":");
    s.json_double(v.intent->confidence);
    s.put('}');
  } else {
    s.lit("null");
  }
}

void append_risk(TextWriter& s, const DecisionView& v, bool have_risk) {
  s.lit(",\"risk\":[");
  if (have_risk) {
    bool first = true;
    for (size_t p = 0; p < v.risk->policy_count; ++p) {
      const sh_risk_verdict* vd = v.risk->verdict(p, v.intent_index);
      if (vd == nullptr) continue;
      if (!first) s.put(',');
      first = false;
      s.lit("{\"policy\":");
      const bool named = v.chain != nullptr && p < v.chain->policies().size();
      if (named) {
        s.json_string(v.chain->policies()[p].name);
      } else {
        s.json_string("policy_" + std::to_string(p));
      }
      if (v.policy_versions != nullptr && p < v.policy_versions->size()) {
        s.lit(",\"version\":");
        s.json_string((*v.policy_versions)[p]);
      }
      if (vd->action == SH_RISK_ALLOW && vd->reason == SH_REASON_NONE && vd->scale == 1.0 &&
          vd->detail[0] == '\0') {
        // The common verdict (the policy let the intent through as it was),
        // the same bytes as the general form below.
        s.lit(",\"action\":\"allow\",\"reason\":\"NONE\",\"code\":200,\"scale\":1,\"detail\":\"\"}");
        continue;
      }
      s.lit(",\"action\":\"");
      s.put(std::string_view(risk_action_name(vd->action)));
      s.lit("\",\"reason\":");
      // risk_reason_text without a std::string for the named reasons.
      const char* reason_name = vd->reason == SH_REASON_NONE ? "NONE" : risk_reason_name(vd->reason);
      if (reason_name != nullptr) {
        s.json_string(reason_name);
      } else {
        s.json_string(risk_reason_text(vd->reason));
      }
      s.lit(",\"code\":");
      s.integer(risk_http_code(vd->action, vd->reason));
      s.lit(",\"scale\":");
      s.json_double(vd->scale);
      s.lit(",\"detail\":");
      s.json_string(vd->detail_ext != nullptr
                        ? std::string_view(vd->detail_ext)
                        : std::string_view(vd->detail, strnlen(vd->detail, sizeof vd->detail)));
      s.put('}');
    }
  }
}

void append_final(TextWriter& s, const DecisionView& v, bool have_risk) {
  s.lit("],\"final\":{\"status\":");
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
  s.json_string(status);
  s.lit(",\"code\":");
  s.integer(code);
  s.lit(",\"reason\":");
  s.json_string(reason);
  s.lit(",\"qty\":");
  s.json_double(final_intent != nullptr ? final_intent->qty : std::nan(""));
  s.lit(",\"notional_usd\":");
  s.json_double(final_intent != nullptr ? final_intent->notional_usd : std::nan(""));
  s.lit(",\"idempotency_key\":");
  s.json_string(v.idempotency_key);
  s.lit("}}");
}

}  // namespace

std::string format_decision_json(const DecisionView& v) {
  std::string line;
  // Room for the whole line: ~1 KB plus ~200 bytes per risk verdict. The
  // pieces go through a TextWriter (inline copies, no append calls).
  TextWriter s(&line, v.intent != nullptr && v.risk != nullptr ? 1024 + 224 * v.risk->policy_count
                                                                : 1024);
  // The minute, formatted once per minute (every line of a minute has it).
  thread_local int64_t cached_ts = 0;
  thread_local std::string cached_minute;
  if (cached_minute.empty() || cached_ts != v.minute_ts_ns) {
    cached_minute = format_iso8601_utc(v.minute_ts_ns);
    cached_ts = v.minute_ts_ns;
  }
  s.lit("{\"minute\":");
  s.json_string(cached_minute);
  s.lit(",\"minute_ts_ns\":");
  s.integer(v.minute_ts_ns);
  s.lit(",\"symbol\":");
  s.json_string(v.symbol);

  append_evidence(s, v);
  s.lit("],\"consensus\":");
  if (v.consensus != nullptr) {
    append_consensus_json(s, *v.consensus, v.symbol);
  } else {
    s.lit("null");
  }

  append_intent(s, v);
  const bool have_risk = v.risk != nullptr && v.intent != nullptr &&
                         v.intent_index < v.risk->intent_count;
  append_risk(s, v, have_risk);
  append_final(s, v, have_risk);
  s.finish();
  return line;
}

}  // namespace sh::host
