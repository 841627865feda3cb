// Helpers for the alert and daily-report tests (tests/test_ops_*.cpp): a
// small replay session made to trip the row-based alerts at known minutes,
// the config around it, and readers for alerts.jsonl and `host snapshot`.
//
// The session (two symbols, A and B, one row each per minute from T0):
//   A every minute: quotes at :05 :25 :45, trades at :10 :30 :50;
//   B the same, except minutes [quiet_from, quiet_from + 5): quotes only
//     (rows dq no_trades), and [quiet_from + 5, quiet_from + 10): no event at
//     all (rows from the old book, dq stale_book, and the feed goes stale).
#ifndef SH_TESTS_TEST_ALERTS_SUPPORT_H
#define SH_TESTS_TEST_ALERTS_SUPPORT_H

#include <cmath>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "test_host_support.h"

namespace sh_test {

inline constexpr int64_t kOpsT0 = 1704153600LL * 1000000000LL;  // 2024-01-02T00:00:00Z
inline constexpr int64_t kOpsMinuteNs = 60LL * 1000000000LL;

struct OpsSession {
  int minutes = 40;
  int quiet_from = 10;  // B: quotes only from here, then silent, for 5 minutes each
  int first_minute = 0;  // rows of minutes [first_minute, minutes) are written

  bool b_trades(int m) const { return m < quiet_from || m >= quiet_from + 10; }
  bool b_quotes(int m) const { return m < quiet_from + 5 || m >= quiet_from + 10; }
  // B's events in minute m, seconds into the minute (ascending).
  std::vector<int> b_seconds(int m) const {
    std::vector<int> s;
    for (int sec : {5, 10, 25, 30, 45, 50}) {
      const bool trade = sec % 10 == 0;
      if (trade ? b_trades(m) : b_quotes(m)) s.push_back(sec);
    }
    return s;
  }
};

// A deterministic wobble, so that returns (and their z-scores) are finite.
inline double ops_price(int symbol, int m, int sec) {
  const double base = symbol == 0 ? 100.0 : 50.0;
  return base * (1.0 + 0.002 * std::sin(0.7 * m + 0.05 * sec + symbol) + 0.001 * ((m * 7 + sec) % 5));
}

// Writes dir/trades.csv and dir/quotes.csv; returns the providers: section.
inline std::string ops_providers_yaml(const fs::path& dir, const OpsSession& s) {
  std::ostringstream trades, quotes;
  trades << "ts,symbol,price,size,side,trade_id\n";
  quotes << "ts,symbol,bid,bid_size,ask,ask_size\n";
  trades.precision(12);
  quotes.precision(12);
  uint64_t id = 0;
  for (int m = s.first_minute; m < s.minutes; ++m) {
    for (int sec : {5, 10, 25, 30, 45, 50}) {
      const int64_t ts = kOpsT0 + m * kOpsMinuteNs + sec * 1000000000LL;
      for (int sym = 0; sym < 2; ++sym) {
        if (sym == 1) {
          const std::vector<int> b = s.b_seconds(m);
          if (std::find(b.begin(), b.end(), sec) == b.end()) continue;
        }
        const double p = ops_price(sym, m, sec);
        const char* name = sym == 0 ? "A" : "B";
        if (sec % 10 == 0) {
          trades << ts + sym << "," << name << "," << p << ",1.5,buy," << ++id << "\n";
        } else {
          quotes << ts + sym << "," << name << "," << p * 0.9999 << ",3," << p * 1.0001 << ",3\n";
        }
      }
    }
  }
  write_file(dir / "trades.csv", trades.str());
  write_file(dir / "quotes.csv", quotes.str());
  return "providers:\n"
         "  - name: ops\n"
         "    plugin: replay\n"
         "    config:\n"
         "      files:\n"
         "        - {path: '" + (dir / "trades.csv").string() + "', type: trades}\n"
         "        - {path: '" + (dir / "quotes.csv").string() + "', type: quotes}\n";
}

// The host config around the session: a detector that hits on every row
// with a z-score (so that the gate sees every row: suppressed when its dq is
// not ok), a gate that suppresses for dq only, short alert windows.
inline std::string ops_config_yaml(const std::string& mode, const std::string& providers,
                                   const std::string& alerts_extra = "", const std::string& extra = "") {
  return "host: {mode: " + mode + ", plugin_dirs: ['" SH_TEST_PLUGIN_DIR "', '" SH_PLUGIN_DIR
         "'], state_dir: state, output_dir: out}\n" +
         providers +
         "conveyor: {close_on: event_time, baseline_warmup: 3, baseline_window: 10, stale_book_ms: 30000}\n"
         "detectors:\n"
         "  - {name: every_row, plugin: good_detector, config: {threshold: 0}}\n"
         "events: {debounce_ms: 0, cooldown_ms: 0, budget_per_hour: 100000, suppress_when_dq_not_ok: true}\n"
         "state: {durability: process}\n"
         "alerts:\n"
         "  hold_minutes: 2\n"
         "  dq: {window_minutes: 3}\n"
         "  suppression: {window_minutes: 3, min_events: 4}\n" +
         alerts_extra + extra;
}

inline std::vector<nlohmann::json> read_jsonl(const fs::path& file) {
  std::vector<nlohmann::json> out;
  for (const std::string& l : lines(read_file(file))) out.push_back(nlohmann::json::parse(l));
  return out;
}

// The alerts.jsonl lines of one code.
inline std::vector<nlohmann::json> alerts_of_code(const std::vector<nlohmann::json>& all, const std::string& code) {
  std::vector<nlohmann::json> out;
  for (const auto& a : all) {
    if (a.at("code") == code) out.push_back(a);
  }
  return out;
}

// `host snapshot --format csv` of every row of the symbols, as maps column -> cell.
inline std::vector<std::map<std::string, std::string>> snapshot_rows(const fs::path& dir,
                                                                     const std::vector<std::string>& symbols) {
  std::vector<std::map<std::string, std::string>> out;
  for (const std::string& symbol : symbols) {
    const HostRun r = run_host({"snapshot", "--config", "host.yaml", "--symbol", symbol, "--format", "csv"}, dir);
    const std::vector<std::string> ls = lines(r.out);
    if (ls.empty()) continue;
    std::vector<std::string> header;
    {
      std::istringstream h(ls[0]);
      for (std::string c; std::getline(h, c, ',');) header.push_back(c);
    }
    for (size_t i = 1; i < ls.size(); ++i) {
      std::istringstream in(ls[i]);
      std::map<std::string, std::string> row;
      size_t c = 0;
      for (std::string cell; std::getline(in, cell, ',') && c < header.size(); ++c) row[header[c]] = cell;
      out.push_back(std::move(row));
    }
  }
  return out;
}

}  // namespace sh_test

#endif
