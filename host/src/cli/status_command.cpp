#include "cli/status_command.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "control/config_drift.h"
#include "decision/emergency_reduce.h"
#include "control/heartbeat.h"
#include "ops/alert_state.h"
#include "decision/broker.h"
#include "services/host_clock.h"
#include "services/host_services.h"
#include "config/pipeline_config.h"
#include "pipeline/shadow_board.h"
#include "store/state_store.h"
#include "store/time_format.h"
#include "history/governance_status.h"
#include "history/history_config.h"
#include "services/symbol_table.h"
#include "cli/trade_command.h"

namespace sh::host {
namespace {

// NaN / inf as null, like every other JSON the host writes.
nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

std::string fixed(double v, int digits = 2) {
  if (!std::isfinite(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// Prices of any magnitude (BTC and DOGE alike): 7 significant digits.
std::string price(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.7g", v.get<double>());
  return buf;
}

// The alerts raised when the host last committed a minute (ops/alert_state.h).
Status collect_alerts(const StateTxn& txn, nlohmann::json* out) {
  std::string saved;
  Status st = txn.get(StateDb::kMeta, kMetaAlerts, &saved);
  if (!st.ok() && !st.is_not_found()) return st;
  AlertStates states;
  if (st.ok()) {
    st = states.restore(saved);
    if (!st.ok()) return st;
  }
  nlohmann::json& a = (*out)["alerts"];
  a["active"] = nlohmann::json::array();
  for (const ActiveAlert& x : states.active_alerts()) {
    a["active"].push_back({{"code", x.code},
                           {"severity", alert_severity_name(x.severity)},
                           {"raised", format_iso8601_utc(x.raised_ts_ns)},
                           {"value", number(x.value)},
                           {"threshold", number(x.threshold)},
                           {"message", x.message}});
  }
  a["counts"] = nlohmann::json::object();
  for (const AlertCount& c : states.counts()) a["counts"][c.code] = {{"raised", c.raised}, {"cleared", c.cleared}};
  return Status::Ok();
}

void print_alerts(const nlohmann::json& j, std::ostream& out) {
  const auto& active = j["alerts"]["active"];
  out << "alerts (" << active.size() << " active)\n";
  for (const auto& a : active) {
    out << "  " << a["code"].get<std::string>() << " " << a["severity"].get<std::string>() << " since "
        << a["raised"].get<std::string>() << ": " << a["message"].get<std::string>() << "\n";
  }
}

// The running host's shadow trials (ShadowTrialStage's comparison file); []
// when it has none or the file is unreadable.
nlohmann::json read_shadow_trials(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return nlohmann::json::array();
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  return j.is_array() ? j : nlohmann::json::array();
}

void print_shadow_trials(const nlohmann::json& trials, std::ostream& out) {
  if (trials.empty()) return;
  out << "shadow trials (" << trials.size() << ")\n";
  for (const auto& t : trials) {
    out << "  " << t["component"].get<std::string>() << " (" << t.value("kind", "detector")
        << ") candidate " << t["candidate"].get<std::string>() << " " << t["state"].get<std::string>()
        << ": " << t["minutes_compared"].get<uint64_t>() << " minutes compared, "
        << t["minutes_differing"].get<uint64_t>() << " differ; " << t.value("compares", "hits")
        << " serving "
        << t["serving_hits"].get<uint64_t>() << ", candidate " << t["candidate_hits"].get<uint64_t>()
        << " (only serving " << t["only_serving"].get<uint64_t>() << ", only candidate "
        << t["only_candidate"].get<uint64_t>() << ", other score " << t["score_differs"].get<uint64_t>()
        << ")\n";
  }
}

// Runbook 001's symbol states: a count per state and the symbols not ACTIVE.
void print_governance(const nlohmann::json& g, std::ostream& out) {
  out << "governance (universe " << g["universe"].get<std::string>() << "): "
      << (g["verified"].get<bool>() ? "verified" : "NOT verified: " + g.value("problem", "")) << "\n";
  if (!g.contains("symbols")) return;
  const auto& c = g["counts"];
  out << "  " << c.value("ACTIVE", 0) << " ACTIVE, " << c.value("DEGRADED", 0) << " DEGRADED, "
      << c.value("QUARANTINED", 0) << " QUARANTINED, " << c.value("UNVERIFIED", 0)
      << " UNVERIFIED (trading only on ACTIVE)\n";
  for (const auto& row : g["symbols"]) {
    if (row["state"] == "ACTIVE") continue;
    out << "  " << row["symbol"].get<std::string>() << " " << row["state"].get<std::string>() << " "
        << row.value("reason", "") << "\n";
  }
}

// Collects the status as one JSON document (the text form prints from it).
Status collect(const HostConfig& config, nlohmann::json* out) {
  StateStoreOptions so;
  so.dir = config.state_dir().string();
  so.read_only = true;
  std::unique_ptr<StateStore> store;
  Status st = StateStore::open(so, &store);
  if (!st.ok()) return st;
  nlohmann::json& j = *out;
  j["state_dir"] = store->dir();
  // Is a host running on it? Its heartbeat says (control/heartbeat.h).
  const HeartbeatState hb = read_heartbeat(config.state_dir() / "heartbeat.json", HostClock::wall_ns());
  j["host"] = {{"running", hb.running}, {"summary", hb.summary}, {"heartbeat", hb.record}};
  // Only when a trial ran: the document of a host without any is unchanged.
  const nlohmann::json trials = read_shadow_trials(config.output_dir() / "shadow" / kShadowComparisonFile);
  if (!trials.empty()) j["shadow_trials"] = trials;

  int64_t last_minute = 0;
  st = store->last_minute_ts_ns(&last_minute);
  if (st.ok()) {
    j["last_minute"] = format_iso8601_utc(last_minute);
    j["last_minute_ts_ns"] = last_minute;
  } else if (st.is_not_found()) {
    j["last_minute"] = nullptr;
    j["last_minute_ts_ns"] = nullptr;
  } else {
    return st;
  }
  uint64_t last_seq = 0;
  st = store->last_seq(&last_seq);
  if (!st.ok() && !st.is_not_found()) return st;
  j["last_event_seq"] = last_seq;

  // The paper book, as the broker restores it after a restart.
  HostRuntime runtime;
  PipelineConfig pc = parse_pipeline_config(config, runtime);
  std::unique_ptr<Broker> broker;
  BrokerOptions read_only = pc.decision.broker;  // a look at the book: no venue, no mode check
  read_only.mode = TradingMode::kPaper;
  st = Broker::open(store.get(), &runtime.symbols, nullptr, read_only, &broker);
  if (!st.ok()) return st;
  j["account"] = {{"equity_usd", number(broker->equity_usd())},
                  {"cash_usd", number(broker->cash_usd())},
                  {"realized_pnl_usd", number(broker->realized_pnl_usd())},
                  {"unrealized_pnl_usd", number(broker->unrealized_pnl_usd())},
                  {"peak_equity_usd", number(broker->peak_equity_usd())},
                  {"drawdown_pct", number(broker->drawdown_pct())},
                  {"daily_pnl_usd", number(broker->daily_pnl_usd())},
                  {"emergency_stop", broker->emergency_stopped()},
                  {"paused", broker->paused()},
                  {"pending_orders", broker->pending_order_count()}};
  const sh_portfolio_state pf = broker->portfolio_state();
  std::map<std::string, nlohmann::json> positions;  // by name: a stable order
  const auto* base = reinterpret_cast<const unsigned char*>(pf.positions);
  for (uint32_t i = 0; i < pf.position_count && base != nullptr; ++i) {
    const auto* p = reinterpret_cast<const sh_position*>(base + size_t{i} * pf.position_size);
    const char* name = runtime.symbols.name(p->symbol);
    positions[name ? name : "?"] = {{"qty", number(p->qty)},
                                    {"avg_price", number(p->avg_price)},
                                    {"mark_price", number(p->mark_price)},
                                    {"notional_usd", number(p->notional_usd)},
                                    {"unrealized_pnl_usd", number(p->unrealized_pnl_usd)}};
    const PaperPosition* pp = name ? broker->position(name) : nullptr;
    positions[name ? name : "?"]["realized_pnl_usd"] = number(pp ? pp->realized_pnl_usd : NAN);
  }
  j["positions"] = nlohmann::json::object();
  for (auto& [name, p] : positions) j["positions"][name] = std::move(p);

  StateTxn txn;
  st = store->begin_read(&txn);
  if (!st.ok()) return st;
  // Emergency reduce (decision/emergency_reduce.h): active when the host
  // last committed a minute with VaR above its emergency level.
  std::string reducing;
  st = txn.get(StateDb::kMeta, kMetaVarReduce, &reducing);
  if (!st.ok() && !st.is_not_found()) return st;
  j["account"]["emergency_reduce"] = reducing == "1";
  std::map<std::string, uint64_t> orders;
  st = txn.scan(StateDb::kOrders, "", "", [&](std::string_view, std::string_view v) {
    const auto o = nlohmann::json::parse(v, nullptr, false);
    ++orders[o.is_object() ? o.value("status", "?") : "?"];
    return true;
  });
  if (!st.ok()) return st;
  j["orders"] = orders;

  std::vector<TradeCommand> commands;
  st = read_trade_commands(txn, &commands);
  if (!st.ok()) return st;
  j["queued_commands"] = nlohmann::json::array();
  for (const TradeCommand& c : commands)
    j["queued_commands"].push_back(c.command.empty() ? "?" : c.command);

  // What serves against the YAML on disk (reloads are re-applied after a
  // restart; control/config_drift.h).
  std::vector<ComponentDrift> drift;
  st = find_config_drift(config, txn, &drift);
  if (!st.ok()) return st;
  j["config_drift"] = nlohmann::json::array();
  for (const ComponentDrift& d : drift) {
    j["config_drift"].push_back({{"component", d.serving.component},
                                 {"version", d.serving.version},
                                 {"label", d.serving.label},
                                 {"origin", d.serving.origin},
                                 {"differs_in", d.what}});
  }
  j["config_drift_text"] = format_config_drift(drift);

  j["component_state"] = nlohmann::json::object();
  st = txn.scan_prefix(
      StateDb::kMeta, kMetaComponentStatePrefix, [&](std::string_view key, std::string_view v) {
        const std::string component(key.substr(kMetaComponentStatePrefix.size()));
        const size_t nl = v.find('\n');
        const std::string_view bytes = nl == std::string_view::npos ? v : v.substr(nl + 1);
        const auto state = nlohmann::json::parse(bytes, nullptr, false);
        j["component_state"][component] = {
            {"plugin", std::string(v.substr(0, nl))},
            {"state", state.is_discarded() ? nlohmann::json(std::string(bytes)) : state}};
        return true;
      });
  if (!st.ok()) return st;
  std::string errors;
  st = txn.get(StateDb::kMeta, kMetaChainErrors, &errors);
  if (!st.ok() && !st.is_not_found()) return st;
  j["risk_chain_consecutive_errors"] = st.ok() ? std::stoull(errors) : 0;
  return collect_alerts(txn, &j);
}

void print_text(const nlohmann::json& j, std::ostream& out) {
  out << "state " << j["state_dir"].get<std::string>() << "\n";
  out << "  host               " << j["host"]["summary"].get<std::string>() << "\n";
  out << "  last minute        "
      << (j["last_minute"].is_null() ? std::string("none committed")
                                     : j["last_minute"].get<std::string>())
      << ", last event seq " << j["last_event_seq"].get<uint64_t>() << "\n";
  const auto& a = j["account"];
  auto num = [](const nlohmann::json& v) {
    return v.is_null() ? std::string("-") : fixed(v.get<double>());
  };
  out << "  equity usd         " << num(a["equity_usd"]) << " (cash " << num(a["cash_usd"])
      << ", realized pnl " << num(a["realized_pnl_usd"]) << ", unrealized "
      << num(a["unrealized_pnl_usd"]) << ")\n";
  out << "  peak equity usd    " << num(a["peak_equity_usd"]) << ", drawdown "
      << num(a["drawdown_pct"]) << " %, daily pnl " << num(a["daily_pnl_usd"]) << "\n";
  out << "  trading            " << (a["emergency_stop"].get<bool>() ? "EMERGENCY STOP" : "on")
      << (a["paused"].get<bool>() ? ", paused" : "")
      << (a["emergency_reduce"].get<bool>() ? ", EMERGENCY REDUCE (VaR above its emergency level: reduce-only)" : "")
      << "; pending orders "
      << a["pending_orders"].get<uint64_t>() << "\n";
  out << "  orders            ";
  if (j["orders"].empty()) out << " none";
  for (const auto& [status, n] : j["orders"].items())
    out << " " << status << "=" << n.get<uint64_t>();
  out << "\n";
  if (!j["queued_commands"].empty()) {
    out << "  queued commands   ";
    for (const auto& c : j["queued_commands"]) out << " " << c.get<std::string>();
    out << " (applied at the next minute close)\n";
  }
  print_alerts(j, out);
  out << "positions (" << j["positions"].size() << ")\n";
  // A table: the symbol left-aligned, every number right-aligned in a column
  // as wide as its widest cell, so columns line up for any symbol or size.
  std::vector<std::vector<std::string>> rows = {
      {"SYMBOL", "QTY", "AVG", "MARK", "NOTIONAL", "UNREALIZED", "REALIZED"}};
  for (const auto& [name, p] : j["positions"].items()) {
    rows.push_back({name, fixed(p["qty"].is_null() ? NAN : p["qty"].get<double>(), 6),
                    price(p["avg_price"]), price(p["mark_price"]), num(p["notional_usd"]),
                    num(p["unrealized_pnl_usd"]), num(p["realized_pnl_usd"])});
  }
  if (rows.size() > 1) {
    std::vector<size_t> width(rows[0].size(), 0);
    for (const auto& r : rows) {
      for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
    }
    for (const auto& r : rows) {
      out << "  " << r[0] << std::string(width[0] - r[0].size(), ' ');
      for (size_t c = 1; c < r.size(); ++c) out << "  " << std::string(width[c] - r[c].size(), ' ') << r[c];
      out << "\n";
    }
  }
  if (!j["config_drift"].empty()) {
    out << "config drift (serving differs from the YAML on disk; `host config export --to FILE` "
           "writes the serving config)\n"
        << j["config_drift_text"].get<std::string>();
  }
  if (j.contains("shadow_trials")) print_shadow_trials(j["shadow_trials"], out);
  if (j.contains("governance")) print_governance(j["governance"], out);
  out << "component state (errors in a row " << j["risk_chain_consecutive_errors"].get<uint64_t>()
      << ": decision cycles with a risk-policy or component error, safe mode past its limit)\n";
  for (const auto& [component, r] : j["component_state"].items()) {
    out << "  " << component << " (" << r["plugin"].get<std::string>() << ") " << r["state"].dump()
        << "\n";
  }
}

}  // namespace

void add_status_options(boost::program_options::options_description& options) {
  namespace po = boost::program_options;
  options.add_options()("format", po::value<std::string>()->default_value("text"), "text or json");
}

int run_status_command(const HostConfig& config, const CliOptions& options) {
  const std::string format =
      options.vm.count("format") ? options.vm["format"].as<std::string>() : "text";
  if (format != "text" && format != "json") {
    std::cerr << "host status: --format must be text or json, got '" << format << "'\n";
    return 2;
  }
  nlohmann::json j;
  Status st;
  bool governance_only = false;
  try {
    st = collect(config, &j);
    // Runbook 001: the universe's symbol states, when history: is configured
    // (also before any run made the state store: Stage 1 comes first).
    const HistoryConfig history = parse_history_config(config);
    if (history.enabled) {
      if (!st.ok()) {
        j = {{"state_dir", config.state_dir().string()}, {"state_error", st.message()}};
        governance_only = true;
        st = Status::Ok();
      }
      j["governance"] = read_governance_status(config, history).document;
    }
  } catch (const std::exception& e) {
    st = Status::Corruption(e.what());
  }
  if (st.ok() && governance_only && format == "text") {
    std::cout << "state " << j["state_dir"].get<std::string>() << ": " << j["state_error"].get<std::string>()
              << "\n";
    print_governance(j["governance"], std::cout);
    return 0;
  }
  if (!st.ok()) {
    std::cerr << "host status: " << st.message() << "\n";
    return 1;
  }
  if (format == "json") {
    std::cout << j.dump(2) << "\n";
  } else {
    print_text(j, std::cout);
  }
  return 0;
}

}  // namespace sh::host
