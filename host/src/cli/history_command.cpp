#include "cli/history_command.h"

#include <spdlog/spdlog.h>

#include <iostream>
#include <sstream>

#include "history/backfill.h"
#include "history/calendar.h"
#include "history/governance_status.h"
#include "history/history_config.h"
#include "history/verify.h"
#include "config/pipeline_config.h"
#include "services/host_clock.h"
#include "services/text_util.h"

namespace sh::host {

namespace po = boost::program_options;

void add_history_options(po::options_description& options) {
  options.add_options()
      ("symbols", po::value<std::string>(), "backfill: only these universe symbols (comma-separated)")
      ("restart", "backfill: start a new run even if the last one did not finish")
      ("strict", "verify: exit 3 when any symbol is not ACTIVE")
      ("format", po::value<std::string>()->default_value("text"), "status: text or json");
}

namespace {

std::vector<std::string> split_symbols(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

void print_status_text(const GovernanceStatus& s, std::ostream& out) {
  const nlohmann::json& d = s.document;
  out << "universe " << d["universe"].get<std::string>() << ": "
      << (s.verified ? "verified" : "NOT verified: " + s.problem) << "\n";
  if (d.contains("counts")) {
    const auto& c = d["counts"];
    out << "states: " << c.value("ACTIVE", 0) << " ACTIVE, " << c.value("DEGRADED", 0) << " DEGRADED, "
        << c.value("QUARANTINED", 0) << " QUARANTINED, " << c.value("UNVERIFIED", 0) << " UNVERIFIED\n";
  }
  if (!d.contains("symbols")) return;
  for (const auto& row : d["symbols"]) {
    out << "  " << row["symbol"].get<std::string>() << " (" << row["class"].get<std::string>() << ") "
        << row["state"].get<std::string>();
    if (row.contains("rows")) {
      out << " rows " << row["rows"].get<int64_t>() << " quality " << format_g(row["quality"].get<double>(), 4)
          << " " << row.value("reason", "") << ": " << row.value("detail", "");
    }
    out << "\n";
  }
}

int history_backfill(const HostConfig& config, const HistoryConfig& history, const CliOptions& options) {
  BackfillOptions bo;
  if (options.vm.count("symbols")) bo.symbols = split_symbols(options.vm["symbols"].as<std::string>());
  bo.restart = options.vm.count("restart") > 0;
  bo.today_day = day_of_ns(HostClock::wall_ns());
  BackfillSummary sum;
  const Status st = run_backfill(config, history, bo, std::cout, &sum);
  if (!st.ok()) {
    std::cerr << "host history backfill: " << st.message() << "\n";
    return 1;
  }
  return 0;
}

int history_verify(const HostConfig& config, const HistoryConfig& history, const CliOptions& options) {
  VerifySummary sum;
  const Status st = run_verify(config, history, std::cout, &sum);
  if (!st.ok()) {
    std::cerr << "host history verify: " << st.message() << "\n";
    return 1;
  }
  if (options.vm.count("strict") && sum.degraded + sum.quarantined > 0) {
    std::cerr << "host history verify --strict: " << sum.degraded + sum.quarantined
              << " symbols are not ACTIVE\n";
    return 3;
  }
  return 0;
}

}  // namespace

int apply_history_governance(const HostConfig& config, PipelineConfig* pipeline) {
  HistoryConfig history;
  try {
    history = parse_history_config(config);
  } catch (const ConfigError& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  if (!history.enabled) return 0;
  const GovernanceStatus s = read_governance_status(config, history);
  const RunMode mode = config.mode();
  const bool stage2 = mode != RunMode::kReplay && mode != RunMode::kDryRun;
  if (!s.verified) {
    const std::string msg = governance_halt_message(history, s, run_mode_name(mode));
    if (stage2) {
      spdlog::error("{}", msg);
      std::cerr << msg << "\nSystem halted intentionally.\n";
      return 1;
    }
    spdlog::warn("{} ({} mode starts anyway)", msg, run_mode_name(mode));
  }
  if (history.gate) {
    pipeline->decision.governance.enabled = true;
    pipeline->decision.governance.states = s.states;
    size_t active = 0;
    for (const auto& [symbol, state] : s.states) active += state == "ACTIVE";
    spdlog::info("governance: {} of {} universe symbols ACTIVE; new exposure on any other symbol is "
                 "denied (412 SYMBOL_NOT_ACTIVE)", active, s.document.contains("symbols") ? s.document["symbols"].size() : 0);
  }
  return 0;
}

int run_history_command(const HostConfig& config, const CliOptions& options) {
  const std::string action = options.args.empty() ? "" : options.args[0];
  if (options.args.size() != 1 || (action != "backfill" && action != "verify" && action != "status")) {
    std::cerr << "host history: expected one of backfill, verify, status\nTry 'host --help'.\n";
    return 2;
  }
  const std::string format = options.vm["format"].as<std::string>();
  if (format != "text" && format != "json") {
    std::cerr << "host history: --format must be text or json\n";
    return 2;
  }
  HistoryConfig history;
  try {
    history = parse_history_config(config);
  } catch (const ConfigError& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  if (!history.enabled) {
    std::cerr << "host history: the config has no history: section (runbook 001: history.universe, "
                 "history.providers; see README \"History and data governance\")\n";
    return 1;
  }
  if (action == "backfill") return history_backfill(config, history, options);
  if (action == "verify") return history_verify(config, history, options);
  const GovernanceStatus s = read_governance_status(config, history);
  if (format == "json") {
    std::cout << s.document.dump() << "\n";
  } else {
    print_status_text(s, std::cout);
  }
  return 0;
}

}  // namespace sh::host
