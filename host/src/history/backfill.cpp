#include "history/backfill.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cmath>
#include <memory>
#include <set>

#include "history/calendar.h"
#include "history/governance_log.h"
#include "history/history_store.h"
#include "history/quality.h"
#include "history/universe.h"
#include "plugins/component_loader.h"
#include "services/host_clock.h"
#include "store/time_format.h"

namespace sh::host {

namespace {

using ojson = nlohmann::ordered_json;

struct HistoryProvider {
  std::string name;
  std::unique_ptr<PluginInstance> instance;
  sh_provider_capabilities caps{};
  bool declared = false;
  int entitled = -1;  // -1 unchecked, 0 no, 1 yes
  std::string not_entitled_reason;
};

struct BackfillRun {
  const HistoryConfig* history = nullptr;
  std::vector<HistoryProvider> providers;
  StateStore* store = nullptr;
  GovernanceLog log;
  std::string run_id;
  int32_t from_day = 0, to_day = 0;
};

Status load_providers(const HostConfig& config, const HistoryConfig& history, HostRuntime& runtime,
                      std::vector<HistoryProvider>* out) {
  const PluginCatalog catalog = scan_plugins(config);
  for (const ComponentConfig& c : history.providers) {
    PluginInstance::Created created = load_component(config, c, catalog, runtime);
    if (!created.instance) return Status::InvalidArgument("history.providers: " + created.error);
    HistoryProvider p;
    p.name = c.name;
    if (const auto caps = created.instance->library().provider_capabilities()) {
      p.caps = *caps;
      p.declared = true;
    }
    p.instance = std::move(created.instance);
    out->push_back(std::move(p));
  }
  return Status::Ok();
}

// Why provider p cannot serve this symbol ("" when it can, so far as its
// capabilities and entitlement say).
std::string unfit_reason(BackfillRun& run, HistoryProvider& p, AssetClass cls, std::string* detail) {
  if (!p.declared || (p.caps.flags & SH_PROVIDER_HISTORY) == 0 || !p.instance->serves_history()) {
    *detail = "serves no daily history";
    return "NO_HISTORY_SUPPORT";
  }
  if ((p.caps.asset_classes & asset_class_bit(cls)) == 0) {
    *detail = std::string("does not serve ") + asset_class_name(cls);
    return "CLASS_NOT_SERVED";
  }
  if (static_cast<int64_t>(p.caps.max_history_days) < run.history->days) {
    *detail = "reaches " + std::to_string(p.caps.max_history_days) + " days, " +
              std::to_string(run.history->days) + " needed";
    return "HISTORY_TOO_SHORT";
  }
  if (p.entitled < 0) {
    const sh_status s = p.instance->entitled();
    p.entitled = s == SH_OK;
    if (s != SH_OK) {
      p.not_entitled_reason = abi_status_name(s) + ": " + p.instance->last_error();
      run.log.write({{"provider", p.name}, {"decision", "provider_not_entitled"},
                     {"reason", "NOT_ENTITLED"}, {"detail", p.not_entitled_reason}});
      spdlog::warn("history provider '{}' is not entitled ({}): skipped for this run", p.name,
                   p.not_entitled_reason);
    }
  }
  if (p.entitled == 0) {
    *detail = p.not_entitled_reason;
    return "NOT_ENTITLED";
  }
  return "";
}

sh_status collect_bars(void* ctx, const sh_daily_bar* bars, uint32_t count, uint32_t item_size) {
  auto* rows = static_cast<DailySeries*>(ctx);
  const auto* base = reinterpret_cast<const unsigned char*>(bars);
  for (uint32_t i = 0; i < count; ++i) {
    sh_daily_bar b{};
    std::memcpy(&b, base + static_cast<size_t>(i) * item_size, std::min<size_t>(item_size, sizeof b));
    DailyRow r;
    r.day = day_of_ns(b.day_ts_ns);
    r.open = b.open, r.high = b.high, r.low = b.low, r.close = b.close;
    r.adj_close = std::isnan(b.adj_close) ? b.close : b.adj_close;
    r.volume = b.volume;
    rows->push_back(r);
  }
  return SH_OK;
}

Status store_symbol(BackfillRun& run, const UniverseSymbol& s, const std::string& provider,
                    const DailySeries& rows, const ojson& decision) {
  nlohmann::json record = nlohmann::json::parse(decision.dump());
  record["run_id"] = run.run_id;
  StateTxn txn;
  Status st = run.store->begin_write(&txn);
  if (st.ok() && !provider.empty()) st = txn.put(StateDb::kPriceHistory, s.symbol, encode_series(rows));
  if (st.ok()) st = write_governance_json(txn, governance_backfill_key(s.symbol), record);
  if (st.ok()) st = txn.commit();
  return st;
}

// One symbol: choose, fetch, store, log. False when rejected.
Status backfill_symbol(BackfillRun& run, const UniverseSymbol& s, bool* stored) {
  ojson skipped = ojson::array();
  bool any_fit = false;
  ojson line;
  line["symbol"] = s.symbol;
  line["class"] = asset_class_name(s.asset_class);
  for (HistoryProvider& p : run.providers) {
    std::string detail;
    const std::string why = unfit_reason(run, p, s.asset_class, &detail);
    if (!why.empty()) {
      skipped.push_back({{"provider", p.name}, {"reason", why}, {"detail", detail}});
      continue;
    }
    DailySeries rows;
    const sh_daily_bar_sink sink{sizeof(sh_daily_bar_sink), &rows, &collect_bars};
    const sh_status rc = p.instance->fetch_daily(s.symbol.c_str(), int64_t{run.from_day} * kNsPerDay,
                                                 int64_t{run.to_day} * kNsPerDay, sink);
    if (rc == SH_ERR_NOT_ENTITLED) {
      p.entitled = 0;
      p.not_entitled_reason = p.instance->last_error();
      run.log.write({{"provider", p.name}, {"decision", "provider_not_entitled"}, {"reason", "NOT_ENTITLED"},
                     {"detail", p.not_entitled_reason}, {"symbol", s.symbol}});
      skipped.push_back({{"provider", p.name}, {"reason", "NOT_ENTITLED"}, {"detail", p.not_entitled_reason}});
      continue;  // not entitled after all: it did not fit
    }
    any_fit = true;
    if (rc != SH_OK || rows.empty()) {
      const std::string err = rc != SH_OK ? abi_status_name(rc) + ": " + p.instance->last_error()
                                          : "no rows in the window";
      skipped.push_back({{"provider", p.name}, {"reason", "PROVIDER_FAILED"}, {"detail", err}});
      continue;
    }
    line["decision"] = "stored";
    line["provider"] = p.name;
    line["reason"] = "PROVIDER_SELECTED";
    line["rows"] = rows.size();
    line["from"] = format_day(run.from_day);
    line["to"] = format_day(run.to_day);
    QualityScratch scratch;
    QualityReport q;
    assess_series(rows, s.asset_class, run.history->quality, &scratch, &q);
    ojson actions = ojson::array();
    for (const CorporateAction& a : q.actions) {
      actions.push_back({{"date", format_day(a.day)}, {"kind", a.kind}, {"value", a.value},
                         {"reflected_in_adj_close", a.reflected}});
    }
    line["corporate_actions"] = actions;
    if (!skipped.empty()) line["skipped"] = skipped;
    Status st = store_symbol(run, s, p.name, rows, line);
    if (!st.ok()) return st;
    run.log.write(line);
    *stored = true;
    return Status::Ok();
  }
  line["decision"] = "rejected";
  line["reason"] = any_fit ? "BACKFILL_FAILED" : "NO_VALID_PROVIDER";
  line["detail"] = any_fit ? "every provider that fits failed" : "no provider serves the class, reaches " +
                                                                     std::to_string(run.history->days) +
                                                                     " days and is entitled";
  line["skipped"] = skipped;
  Status st = store_symbol(run, s, "", {}, line);
  if (!st.ok()) return st;
  run.log.write(line);
  *stored = false;
  return Status::Ok();
}

// The run to continue, or a new one (written to the store).
Status begin_run(BackfillRun& run, const BackfillOptions& options, const Universe& u, bool* resumed) {
  StateTxn txn;
  Status st = run.store->begin_write(&txn);
  if (!st.ok()) return st;
  nlohmann::json prev;
  st = read_governance_json(txn, kGovernanceBackfillRun, &prev);
  if (!st.ok() && !st.is_not_found()) return st;
  *resumed = st.ok() && !options.restart && !prev.value("completed", true) &&
             prev.value("universe", "") == u.fingerprint;
  run.run_id = *resumed ? prev.value("run_id", "") : new_history_run_id();
  if (!*resumed) {
    st = write_governance_json(txn, kGovernanceBackfillRun,
                               {{"run_id", run.run_id}, {"started_at", format_iso8601_utc(HostClock::wall_ns())},
                                {"universe", u.fingerprint}, {"completed", false}});
    if (!st.ok()) return st;
  }
  return txn.commit();
}

Status end_run(BackfillRun& run, const BackfillSummary& sum) {
  StateTxn txn;
  Status st = run.store->begin_write(&txn);
  nlohmann::json rec;
  if (st.ok()) st = read_governance_json(txn, kGovernanceBackfillRun, &rec);
  if (!st.ok()) return st;
  rec["completed"] = true;
  rec["completed_at"] = format_iso8601_utc(HostClock::wall_ns());
  rec["stored"] = sum.stored + sum.already_stored;
  rec["rejected"] = sum.rejected;
  st = write_governance_json(txn, kGovernanceBackfillRun, rec);
  if (st.ok()) st = txn.commit();
  return st;
}

}  // namespace

std::string new_history_run_id() {
  std::string t = format_iso8601_utc(HostClock::wall_ns());  // 2026-12-06T22:00:00Z or with fraction
  std::string id;
  for (char c : t.substr(0, 19)) {
    if (c != '-' && c != ':') id += c;
  }
  return id + "Z-" + std::to_string(::getpid());
}

Status run_backfill(const HostConfig& config, const HistoryConfig& history, const BackfillOptions& options,
                    std::ostream& out, BackfillSummary* sum) {
  Universe u;
  Status st = load_universe(history.universe, &u);
  if (!st.ok()) return st;
  std::vector<const UniverseSymbol*> todo;
  std::set<std::string> wanted(options.symbols.begin(), options.symbols.end());
  for (const auto& name : wanted) {
    bool found = false;
    for (const auto& s : u.symbols) found = found || s.symbol == name;
    if (!found) return Status::InvalidArgument("--symbols: '" + name + "' is not in " + u.path.string());
  }
  for (const auto& s : u.symbols) {
    if (wanted.empty() || wanted.count(s.symbol)) todo.push_back(&s);
  }
  BackfillRun run;
  run.history = &history;
  run.to_day = history.end_day >= 0 ? history.end_day : options.today_day - 1;
  run.from_day = run.to_day - static_cast<int32_t>(history.days) + 1;
  HostRuntime runtime;
  runtime.config_dir = config.base_dir();
  st = load_providers(config, history, runtime, &run.providers);
  if (!st.ok()) return st;
  if (run.providers.empty()) return Status::InvalidArgument("history.providers: no provider configured");
  std::unique_ptr<StateStore> store;
  st = open_history_store(config.state_dir(), false, &store);
  if (!st.ok()) return st;
  run.store = store.get();
  st = begin_run(run, options, u, &sum->resumed);
  if (!st.ok()) return st;
  sum->run_id = run.run_id;
  st = run.log.open(history.governance_log, "backfill", run.run_id);
  if (!st.ok()) return st;
  out << (sum->resumed ? "resuming" : "starting") << " backfill run " << run.run_id << ": " << todo.size()
      << " symbols, " << format_day(run.from_day) << " .. " << format_day(run.to_day) << "\n";
  for (const UniverseSymbol* s : todo) {
    nlohmann::json done;
    StateTxn txn;
    st = store->begin_read(&txn);
    if (st.ok()) st = read_governance_json(txn, governance_backfill_key(s->symbol), &done);
    txn.abort();
    if (st.ok() && sum->resumed && done.value("run_id", "") == run.run_id) {
      ++sum->already_stored;
      out << "  " << s->symbol << ": already stored by this run\n";
      continue;
    }
    if (!st.ok() && !st.is_not_found()) return st;
    bool stored = false;
    st = backfill_symbol(run, *s, &stored);
    if (!st.ok()) return st;
    ++(stored ? sum->stored : sum->rejected);
    out << "  " << s->symbol << ": " << (stored ? "stored" : "REJECTED") << "\n";
  }
  st = end_run(run, *sum);
  if (!st.ok()) return st;
  out << "backfill " << run.run_id << ": " << sum->stored << " stored, " << sum->already_stored
      << " already stored, " << sum->rejected << " rejected; governance log " << history.governance_log.string()
      << "\nnext: host history verify\n";
  return Status::Ok();
}

}  // namespace sh::host
