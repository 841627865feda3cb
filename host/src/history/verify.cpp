#include "history/verify.h"

#include <nlohmann/json.hpp>

#include "history/backfill.h"
#include "history/governance_log.h"
#include "history/history_store.h"
#include "history/quality.h"
#include "history/universe.h"
#include "services/host_clock.h"
#include "services/text_util.h"
#include "store/time_format.h"

namespace sh::host {

namespace {

using ojson = nlohmann::ordered_json;

// The state record of a symbol judged without its rows.
void quarantine_without_rows(const std::string& reason, const std::string& detail, ojson* rec) {
  (*rec)["state"] = "QUARANTINED";
  (*rec)["reason"] = reason;
  (*rec)["detail"] = detail;
  (*rec)["rows"] = 0;
  (*rec)["quality"] = 0.0;
}

void fill_report(const QualityReport& q, ojson* rec) {
  ojson& r = *rec;
  r["state"] = symbol_state_name(q.state);
  r["reason"] = q.reason;
  r["detail"] = q.detail;
  r["rows"] = q.rows;
  r["quality"] = q.score;
  r["rows_delivered"] = q.rows_delivered;
  r["missing_dates"] = q.missing_dates;
  r["expected_dates"] = q.expected_dates;
  r["missing_dates_pct"] = q.missing_dates_pct;
  r["duplicates"] = q.duplicates;
  r["duplicate_pct"] = q.duplicate_pct;
  r["out_of_order"] = q.out_of_order;
  r["non_positive_rows"] = q.non_positive;
  r["zero_negative_flag"] = q.zero_negative_flag;
  r["extreme_spikes"] = q.spikes;
  r["extreme_spike_flag"] = q.extreme_spike_flag;
}

// Judges one symbol into rec; reads its backfill record and rows.
Status judge_symbol(const StateTxn& txn, const std::string& symbol, AssetClass cls,
                    const HistoryConfig& history, QualityScratch* scratch, DailySeries* rows, ojson* rec) {
  nlohmann::json backfill;
  Status st = read_governance_json(txn, governance_backfill_key(symbol), &backfill);
  if (st.is_not_found()) {
    quarantine_without_rows("NOT_BACKFILLED", "no backfill stored this symbol: run host history backfill", rec);
    return Status::Ok();
  }
  if (!st.ok()) return st;
  if (backfill.value("decision", "") == "rejected") {
    quarantine_without_rows(backfill.value("reason", "NO_VALID_PROVIDER"),
                            "the backfill rejected it: " + backfill.value("detail", ""), rec);
    return Status::Ok();
  }
  (*rec)["provider"] = backfill.value("provider", "");
  std::string bytes, error;
  st = txn.get(StateDb::kPriceHistory, symbol, &bytes);
  if (st.is_not_found()) {
    quarantine_without_rows("CORRUPT_RECORD", "its backfill record names rows that are not stored", rec);
    return Status::Ok();
  }
  if (!st.ok()) return st;
  if (!decode_series(bytes, rows, &error)) {
    quarantine_without_rows("CORRUPT_RECORD", error, rec);
    return Status::Ok();
  }
  QualityReport q;
  assess_series(*rows, cls, history.quality, scratch, &q);
  fill_report(q, rec);
  return Status::Ok();
}

}  // namespace

Status verify_symbols(StateStore& store, const std::vector<std::pair<std::string, std::string>>& symbols,
                      const HistoryConfig& history, const std::string& run_id, GovernanceLog* log,
                      VerifySummary* sum, std::ostream* out) {
  StateTxn txn;
  Status st = store.begin_write(&txn);
  if (!st.ok()) return st;
  const int64_t now_ns = HostClock::wall_ns();
  const std::string now = format_iso8601_utc(now_ns);
  QualityScratch scratch;
  DailySeries rows;
  double quality_sum = 0;
  for (const auto& [symbol, class_name] : symbols) {
    AssetClass cls = AssetClass::kStocks;
    parse_asset_class(class_name, &cls);
    ojson rec;
    rec["symbol"] = symbol;
    rec["class"] = class_name;
    st = judge_symbol(txn, symbol, cls, history, &scratch, &rows, &rec);
    if (!st.ok()) return st;
    rec["verified_at"] = now;
    rec["run_id"] = run_id;
    nlohmann::json prev;
    Status pst = read_governance_json(txn, governance_state_key(symbol), &prev);
    const std::string before = pst.ok() ? prev.value("state", "") : "";
    const std::string after = rec["state"].get<std::string>();
    st = txn.put(StateDb::kSymbolGovernance, governance_state_key(symbol), rec.dump());
    if (st.ok() && before != after) {
      const ojson tr = {{"at", now}, {"run_id", run_id}, {"from", before.empty() ? "NONE" : before},
                        {"to", after}, {"reason", rec["reason"]}, {"detail", rec["detail"]}};
      st = txn.put(StateDb::kSymbolGovernance,
                   governance_transition_key(symbol, static_cast<uint64_t>(now_ns)), tr.dump());
    }
    if (!st.ok()) return st;
    if (after == "ACTIVE") ++sum->active;
    else if (after == "DEGRADED") ++sum->degraded;
    else ++sum->quarantined;
    quality_sum += rec["quality"].get<double>();
    if (log != nullptr) {
      ojson line = rec;
      line.erase("verified_at");
      line.erase("run_id");
      line["decision"] = "state";
      line["previous_state"] = before.empty() ? "NONE" : before;
      log->write(line);
    }
    if (out != nullptr) {
      *out << "  " << symbol << " " << after << " " << rec["reason"].get<std::string>() << ": "
           << rec["detail"].get<std::string>() << "\n";
    }
  }
  sum->mean_quality = symbols.empty() ? 0 : quality_sum / double(symbols.size());
  return txn.commit();
}

Status run_verify(const HostConfig& config, const HistoryConfig& history, std::ostream& out,
                  VerifySummary* sum) {
  Universe u;
  Status st = load_universe(history.universe, &u);
  if (!st.ok()) return st;
  std::unique_ptr<StateStore> store;
  st = open_history_store(config.state_dir(), false, &store);
  if (!st.ok()) return st;
  sum->run_id = new_history_run_id();
  GovernanceLog log;
  st = log.open(history.governance_log, "verify", sum->run_id);
  if (!st.ok()) return st;
  std::vector<std::pair<std::string, std::string>> symbols;
  for (const auto& s : u.symbols) symbols.emplace_back(s.symbol, asset_class_name(s.asset_class));
  out << "verify " << sum->run_id << ": " << symbols.size() << " symbols of " << u.path.string() << "\n";
  st = verify_symbols(*store, symbols, history, sum->run_id, &log, sum, &out);
  if (!st.ok()) return st;
  // The summary names the universe and the backfill it judged.
  StateTxn txn;
  st = store->begin_write(&txn);
  nlohmann::json run;
  if (st.ok()) {
    Status rs = read_governance_json(txn, kGovernanceBackfillRun, &run);
    if (!rs.ok() && !rs.is_not_found()) st = rs;
  }
  const nlohmann::json summary = {
      {"run_id", sum->run_id}, {"at", format_iso8601_utc(HostClock::wall_ns())},
      {"universe", u.fingerprint}, {"universe_path", u.path.string()}, {"symbols", symbols.size()},
      {"backfill_run", run.is_object() ? run.value("run_id", "") : ""},
      {"backfill_completed", run.is_object() && run.value("completed", false)},
      {"active", sum->active}, {"degraded", sum->degraded}, {"quarantined", sum->quarantined},
      {"mean_quality", sum->mean_quality}};
  if (st.ok()) st = write_governance_json(txn, kGovernanceLastVerify, summary);
  if (st.ok()) st = txn.commit();
  if (!st.ok()) return st;
  log.write({{"decision", "verify_summary"}, {"symbols", symbols.size()}, {"active", sum->active},
             {"degraded", sum->degraded}, {"quarantined", sum->quarantined}, {"mean_quality", sum->mean_quality}});
  out << "verify " << sum->run_id << ": " << sum->active << " ACTIVE, " << sum->degraded << " DEGRADED, "
      << sum->quarantined << " QUARANTINED (mean quality " << format_g(sum->mean_quality, 4)
      << "); trading is allowed on ACTIVE symbols only\n";
  return Status::Ok();
}

}  // namespace sh::host
