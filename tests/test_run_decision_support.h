// Helpers for the end-to-end decision tests (tests/test_run_decision_*.cpp):
// one config builder for the decision layer over the sample session, the
// decisions.jsonl / trades.csv readers, the paper broker's records read back
// from the LMDB store, a host started in the background (to SIGKILL it), and
// the sample session shifted in time (a "next session" for a persistent store).
#ifndef SH_TESTS_TEST_RUN_DECISION_SUPPORT_H
#define SH_TESTS_TEST_RUN_DECISION_SUPPORT_H

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <memory>
#include <sstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "store/state_store.h"
#include "test_host_support.h"

namespace sh_test {

// The decision layer of tests/test_run_decision.cpp (momentum + anomaly
// experts, 0.5/0.5 consensus) with the risk chain, the mode and the
// execution sizes as parameters.
struct DecisionConfig {
  std::string mode = "replay";
  std::string providers = sample_providers_yaml();
  // Risk list items, each "  - {name: ..., plugin: ..., config: {...}}\n".
  std::string risk;
  double order_notional_usd = 2000;
  double initial_cash_usd = 100000;
  std::string extra;  // more top-level sections (e.g. "state: {...}\n")
  std::string execution_extra;  // more execution keys (", emergency_reduce: {...}")
  std::string execution_mode = "paper";
  // execution.venue as a flow mapping ("{plugin: paper_venue, config: {...}}");
  // empty: the implied paper venue, with slippage_bps 1 and fill next_open.
  std::string venue;

  DecisionConfig& add_risk(const std::string& name, const std::string& plugin,
                           const std::string& config_flow = "{}") {
    risk += "  - {name: " + name + ", plugin: '" + plugin + "', config: " + config_flow + "}\n";
    return *this;
  }

  std::string text() const {
    std::ostringstream s;
    s.precision(17);
    s << "host:\n"
         "  mode: " << mode << "\n"
         "  plugin_dirs: ['" SH_PLUGIN_DIR "']\n"
         "  state_dir: state\n"
         "  output_dir: out\n"
      << providers
      << "conveyor: {benchmark: BTC}\n"
         "detectors:\n"
         "  - {name: return_spike, plugin: return_spike, config: {z_threshold: 4.0}}\n"
         "experts:\n"
         "  - {name: momentum, plugin: momentum, config: {}}\n"
         "  - {name: anomaly, plugin: anomaly, config: {}}\n";
    if (!risk.empty()) s << "risk:\n" << risk;
    s << "consensus:\n"
         "  weights: {momentum: 0.5, anomaly: 0.5}\n"
         "  threshold: 0.55\n"
         "  min_confidence: 0.1\n"
         "execution: {mode: " << execution_mode << ", order_notional_usd: " << order_notional_usd
      << ", initial_cash_usd: " << initial_cash_usd
      << (venue.empty() ? std::string(", slippage_bps: 1, fill: next_open") : ", venue: " + venue)
      << execution_extra << "}\n"
      << extra;
    return s.str();
  }
};

// A persistent (production) session whose book trips a circuit breaker
// named "breaker" on the host's real VaR: big orders on a small account.
inline DecisionConfig breaker_trip_config() {
  DecisionConfig cfg;
  cfg.mode = "production";
  cfg.initial_cash_usd = 20000;
  cfg.order_notional_usd = 10000;
  cfg.extra = "state: {durability: process}\n";
  cfg.add_risk("breaker", "circuit_breaker", "{}");
  return cfg;
}

// Writes dir/host.yaml and runs the host on it (to the end).
inline HostRun run_decision(const ScratchDir& dir, const DecisionConfig& config) {
  write_file(dir / "host.yaml", config.text());
  return run_host({"--config", (dir / "host.yaml").string()}, dir.path());
}

inline std::vector<nlohmann::json> read_decisions(const fs::path& out_dir) {
  std::vector<nlohmann::json> out;
  for (const auto& l : lines(read_file(out_dir / "decisions.jsonl"))) out.push_back(nlohmann::json::parse(l));
  return out;
}

// Decision lines that carry an order intent.
inline std::vector<nlohmann::json> intent_lines(const std::vector<nlohmann::json>& decisions) {
  std::vector<nlohmann::json> out;
  for (const auto& d : decisions) {
    if (d.contains("intent") && d["intent"].is_object()) out.push_back(d);
  }
  return out;
}

// The verdict of `policy` in a decision line, or null when it never saw the intent.
inline nlohmann::json policy_verdict(const nlohmann::json& decision, const std::string& policy) {
  if (!decision.contains("risk")) return nullptr;
  for (const auto& v : decision["risk"]) {
    if (v["policy"] == policy) return v;
  }
  return nullptr;
}

inline nlohmann::json summary_json(const fs::path& out_dir) {
  return nlohmann::json::parse(read_file(out_dir / "run_summary.json"));
}

// trades.csv rows (header skipped) as column name -> cell.
inline std::vector<std::map<std::string, std::string>> read_trades(const fs::path& out_dir) {
  std::vector<std::map<std::string, std::string>> out;
  const auto ls = lines(read_file(out_dir / "trades.csv"));
  if (ls.empty()) return out;
  auto split = [](const std::string& l) {
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream in(l);
    while (std::getline(in, cell, ',')) cells.push_back(cell);
    return cells;
  };
  const std::vector<std::string> header = split(ls[0]);
  for (size_t i = 1; i < ls.size(); ++i) {
    if (ls[i] == ls[0]) continue;  // a repeated header (tests count those themselves)
    const std::vector<std::string> cells = split(ls[i]);
    std::map<std::string, std::string> row;
    for (size_t c = 0; c < header.size() && c < cells.size(); ++c) row[header[c]] = cells[c];
    out.push_back(std::move(row));
  }
  return out;
}

// Positions as trades.csv tells them: the position a decision at minute ts
// saw is the position_qty of the symbol's last fill at or before ts (fills of
// a minute happen before its decisions).
class PositionBook {
 public:
  explicit PositionBook(const std::vector<std::map<std::string, std::string>>& trades) {
    for (const auto& t : trades) {
      by_symbol_[t.at("symbol")].emplace_back(std::stoll(t.at("ts_ns")), std::stod(t.at("position_qty")));
    }
  }
  double at(const std::string& symbol, int64_t ts_ns) const {
    auto it = by_symbol_.find(symbol);
    double q = 0.0;
    if (it == by_symbol_.end()) return q;
    for (const auto& [ts, qty] : it->second) {
      if (ts > ts_ns) break;
      q = qty;
    }
    return q;
  }
  // Whether the decision line's intent adds to |position| (opens, adds, flips).
  bool adds_exposure(const nlohmann::json& decision) const {
    const double q = at(decision["symbol"], decision["minute_ts_ns"].get<int64_t>());
    const double x = decision["intent"]["qty"].get<double>();
    const double post = q + (decision["intent"]["side"] == "buy" ? x : -x);
    return std::fabs(post) > std::fabs(q);
  }

 private:
  std::map<std::string, std::vector<std::pair<int64_t, double>>> by_symbol_;
};

// The paper broker's persisted records, read back from the LMDB store.
struct BrokerRecords {
  std::string error;  // non-empty: the store did not open or read
  nlohmann::json account;
  std::map<std::string, nlohmann::json> positions;  // symbol -> record
  std::map<std::string, nlohmann::json> orders;     // idempotency key -> record
};

inline BrokerRecords read_broker_records(const fs::path& state_dir) {
  using namespace sh::host;
  BrokerRecords r;
  StateStoreOptions so;
  so.dir = state_dir.string();
  so.read_only = true;
  std::unique_ptr<StateStore> store;
  Status st = StateStore::open(so, &store);
  if (!st.ok()) {
    r.error = st.message();
    return r;
  }
  StateTxn txn;
  st = store->begin_read(&txn);
  std::string account;
  if (st.ok()) st = txn.get(StateDb::kMeta, "paper/account", &account);
  if (st.ok()) r.account = nlohmann::json::parse(account);
  if (st.ok()) {
    st = txn.scan(StateDb::kPositions, "", "", [&](std::string_view k, std::string_view v) {
      r.positions[std::string(k)] = nlohmann::json::parse(v);
      return true;
    });
  }
  if (st.ok()) {
    st = txn.scan(StateDb::kOrders, "", "", [&](std::string_view k, std::string_view v) {
      r.orders[std::string(k)] = nlohmann::json::parse(v);
      return true;
    });
  }
  if (!st.ok()) r.error = st.message();
  return r;
}

// A host started in the background, stdout/stderr into files under dir.
// Tests read and reap `pid` themselves; a host still running when the
// object goes (a failed REQUIRE between start_host and wait_host) is killed
// and reaped then, so a failing test never leaves a host behind. The child
// also dies with the test process (PR_SET_PDEATHSIG).
struct BackgroundHost {
  pid_t pid = -1;
  fs::path out;
  fs::path err;

  BackgroundHost() = default;
  BackgroundHost(BackgroundHost&& o) noexcept : pid(o.pid), out(std::move(o.out)), err(std::move(o.err)) {
    o.pid = -1;
  }
  BackgroundHost& operator=(BackgroundHost&&) = delete;
  BackgroundHost(const BackgroundHost&) = delete;
  BackgroundHost& operator=(const BackgroundHost&) = delete;
  ~BackgroundHost() {
    if (pid <= 0) return;
    // 0: still running (ours, not yet reaped). The pid itself: it had
    // exited. -1: a test reaped it already, so the pid may be anyone's now.
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) != 0) return;
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
};

inline BackgroundHost start_host(const std::vector<std::string>& args, const fs::path& cwd,
                                 const std::string& tag) {
  BackgroundHost h;
  h.out = cwd / (tag + ".stdout");
  h.err = cwd / (tag + ".stderr");
  std::vector<std::string> argv_s{SH_HOST_BIN};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string out = h.out.string(), err = h.err.string(), dir = cwd.string();
  const pid_t parent = ::getpid();
  h.pid = ::fork();
  if (h.pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    const int in = ::open("/dev/null", O_RDONLY);
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || o < 0 || e < 0 || ::chdir(dir.c_str()) != 0) ::_exit(127);
    ::dup2(in, 0);
    ::dup2(o, 1);
    ::dup2(e, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return h;
}

// Waits for the host to end; its exit code, 128 + signal when killed, -1 on
// a timeout (the host is then killed).
inline int wait_host(BackgroundHost& h, std::chrono::seconds timeout = std::chrono::seconds(300)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(h.pid, &status, WNOHANG);
    if (r == h.pid) {
      h.pid = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(h.pid, SIGKILL);
      ::waitpid(h.pid, &status, 0);
      h.pid = -1;
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// Writes the sample session's three files into dir with every ts and recv_ts
// moved by offset_ns (the same market, later), and returns the providers:
// section that replays them.
inline std::string shifted_sample_providers_yaml(const fs::path& dir, int64_t offset_ns) {
  const fs::path src = fs::path(SH_SOURCE_DIR) / "data/sample";
  std::string yaml = "providers:\n  - name: sample\n    plugin: replay\n    config:\n      files:\n";
  for (const char* type : {"trades", "quotes", "l2"}) {
    const std::vector<std::string> ls = lines(read_file(src / (std::string(type) + ".csv")));
    std::string text = ls.at(0) + "\n";
    std::vector<size_t> ts_cols;
    {
      std::istringstream h(ls[0]);
      std::string name;
      for (size_t c = 0; std::getline(h, name, ','); ++c) {
        if (name == "ts" || name == "recv_ts") ts_cols.push_back(c);
      }
    }
    for (size_t i = 1; i < ls.size(); ++i) {
      std::istringstream in(ls[i]);
      std::string cell;
      for (size_t c = 0; std::getline(in, cell, ','); ++c) {
        if (c) text += ',';
        const bool shift = std::find(ts_cols.begin(), ts_cols.end(), c) != ts_cols.end();
        text += shift ? std::to_string(std::stoll(cell) + offset_ns) : cell;
      }
      text += '\n';
    }
    const fs::path path = dir / (std::string(type) + ".csv");
    write_file(path, text);
    yaml += "        - {path: '" + path.string() + "', type: " + type + "}\n";
  }
  return yaml;
}

// ---- Long production sessions (restart, kill -9 and backup tests).

inline constexpr int64_t kSessionNs = 6LL * 3600 * 1000000000LL;  // the sample session: 6 h

inline DecisionConfig production_config(const std::string& providers) {
  DecisionConfig cfg;
  cfg.mode = "production";
  cfg.providers = providers;
  cfg.add_risk("confidence_gate", "confidence_gate", "{min_confidence: 0.1}");
  cfg.add_risk("confidence_sizing", "confidence_sizing", "{}");
  cfg.add_risk("notional_cap", "notional_cap", "{max_notional_usd: 50000}");
  return cfg;
}

// 18 hours: the sample session three times over, 6 h apart (1080 minutes),
// written under dir, so that a host is still running when a test acts on it.
inline std::string long_session_providers_yaml(const ScratchDir& dir) {
  std::string files = "providers:\n  - name: day\n    plugin: replay\n    config:\n      files:\n";
  for (int k = 0; k < 3; ++k) {
    const std::string yaml = shifted_sample_providers_yaml(dir / ("part" + std::to_string(k)), k * kSessionNs);
    files += yaml.substr(yaml.find("        - "));
  }
  return files;
}

inline uintmax_t size_of(const fs::path& p) {
  std::error_code ec;
  const uintmax_t n = fs::file_size(p, ec);
  return ec ? 0 : n;
}

// Fill lines in dir/out/trades.csv (header excluded), 0 before the file exists.
inline size_t fill_lines(const ScratchDir& dir) {
  const auto ls = lines(read_file(dir / "out/trades.csv"));
  return ls.empty() ? 0 : ls.size() - 1;
}

}  // namespace sh_test

#endif
