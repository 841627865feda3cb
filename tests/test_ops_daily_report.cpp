// [daily] The daily report (runbook 003) through the real host binary: at
// the UTC day boundary the previous day's report, at the end of a run the
// day so far marked partial; every figure recomputed from the run's own
// feeds (trades.csv, decisions.jsonl, alerts.jsonl, the stored rows); and a
// host stopped mid-day and restarted ends with the reports of an
// uninterrupted run, each day reported complete once.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "test_alerts_support.h"
#include "test_run_decision_support.h"

using namespace sh_test;
using Catch::Matchers::Contains;

namespace {

constexpr int64_t kThreeHoursNs = 3LL * 3600 * 1000000000LL;
constexpr int64_t kDayNs = 86400LL * 1000000000LL;

std::string day_of(int64_t ts_ns) {
  return ts_ns / kDayNs == kOpsT0 / kDayNs ? "2024-01-02" : ts_ns / kDayNs == kOpsT0 / kDayNs - 1 ? "2024-01-01" : "?";
}

// What each day's report must say, from the run's feeds.
struct DayFigures {
  uint64_t trades = 0;
  double realized = 0;
  std::map<std::string, uint64_t> denied;
  std::map<std::string, uint64_t> alerts;
  std::set<int64_t> minutes;
};

std::map<std::string, DayFigures> figures_from_feeds(const fs::path& dir) {
  std::map<std::string, DayFigures> days;
  for (const auto& t : read_trades(dir / "out")) {
    DayFigures& d = days[day_of(std::stoll(t.at("ts_ns")))];
    ++d.trades;
    d.realized += std::stod(t.at("pnl"));
  }
  for (const auto& l : read_decisions(dir / "out")) {
    if (!l.contains("final") || l["final"]["status"] != "denied") continue;
    ++days[day_of(l["minute_ts_ns"])].denied[l["final"]["reason"].get<std::string>()];
  }
  for (const auto& a : read_jsonl(dir / "out/alerts.jsonl")) {
    if (a["state"] == "raised") ++days[day_of(a["minute_ts_ns"])].alerts[a["code"].get<std::string>()];
  }
  for (const auto& row : snapshot_rows(dir, {"BTC"})) {
    const int64_t m = std::stoll(row.at("minute_ts_ns"));
    days[day_of(m)].minutes.insert(m);
  }
  return days;
}

void check_report(const nlohmann::json& report, const DayFigures& want) {
  CHECK(report["minutes"] == want.minutes.size());
  CHECK(report["trades"] == want.trades);
  CHECK(report["pnl"]["realized_usd"].get<double>() == Approx(want.realized).margin(1e-6));
  CHECK(report["denials"]["by_reason"] == nlohmann::json(want.denied));
  CHECK(report["alerts"]["by_code"] == nlohmann::json(want.alerts));
  const auto& pnl = report["pnl"];
  CHECK(pnl["total_usd"].get<double>() ==
        Approx(pnl["end_equity_usd"].get<double>() - pnl["start_equity_usd"].get<double>()).margin(1e-6));
}

nlohmann::json read_report(const fs::path& dir, const std::string& day) {
  return nlohmann::json::parse(read_file(dir / "out/daily" / (day + ".json")));
}

// The sample session three hours earlier (2024-01-01T21:00Z to 2024-01-02T03:00Z).
DecisionConfig across_midnight(const ScratchDir& dir, const std::string& mode) {
  DecisionConfig cfg = mode == "replay" ? DecisionConfig{} : production_config("");
  cfg.mode = mode;
  cfg.providers = shifted_sample_providers_yaml(dir / "data", -kThreeHoursNs);
  cfg.extra += "state: {durability: process}\n";
  return cfg;
}

// Drops every row at or after cut_ns from the session's files in dir/data.
void cut_session(const fs::path& data, int64_t cut_ns) {
  for (const char* type : {"trades", "quotes", "l2"}) {
    const fs::path file = data / (std::string(type) + ".csv");
    const std::vector<std::string> ls = lines(read_file(file));
    std::string text = ls.at(0) + "\n";
    for (size_t i = 1; i < ls.size(); ++i) {
      if (std::stoll(ls[i].substr(0, ls[i].find(','))) < cut_ns) text += ls[i] + "\n";
    }
    write_file(file, text);
  }
}

size_t count_of_text(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("daily report: the day is reported when the first minute of the next UTC day closes, the rest "
          "as partial at the end",
          "[daily][e2e]") {
  ScratchDir dir("ops_daily_boundary");
  const HostRun r = run_decision(dir, across_midnight(dir, "replay"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto want = figures_from_feeds(dir.path());
  REQUIRE(want.count("2024-01-01") == 1);
  REQUIRE(want.at("2024-01-01").trades > 0);
  REQUIRE(want.at("2024-01-02").minutes.size() > 0);

  const auto day1 = read_report(dir.path(), "2024-01-01");
  CHECK(day1["date"] == "2024-01-01");
  CHECK(day1["partial"] == false);
  CHECK(day1["first_minute"] == "2024-01-01T21:00:00Z");
  CHECK(day1["last_minute"] == "2024-01-01T23:59:00Z");
  check_report(day1, want.at("2024-01-01"));
  const auto day2 = read_report(dir.path(), "2024-01-02");
  CHECK(day2["partial"] == true);
  CHECK(day2["first_minute"] == "2024-01-02T00:00:00Z");
  check_report(day2, want.at("2024-01-02"));
  // The next day starts where the last ended.
  CHECK(day2["pnl"]["start_equity_usd"] == day1["pnl"]["end_equity_usd"]);

  // The log: the complete day when the boundary minute closed, then the partial one.
  CHECK(count_of_text(r.err, "daily report 2024-01-01 (to 2024-01-01T23:59:00Z, 180 minutes): pnl ") == 1);
  CHECK(count_of_text(r.err, "daily report 2024-01-02 (partial, to 2024-01-02T02:59:00Z, 180 minutes): ") == 1);
  CHECK(r.err.find("daily report 2024-01-01 (") < r.err.find("daily report 2024-01-02 ("));
  CHECK_THAT(r.err, Contains(std::to_string(want.at("2024-01-01").trades) + " trades"));

  // A replay starts with no reports: one left from another run is gone.
  write_file(dir / "out/daily/2023-12-31.json", "{}\n");
  REQUIRE(run_decision(dir, across_midnight(dir, "replay")).exit_code == 0);
  CHECK_FALSE(fs::exists(dir / "out/daily/2023-12-31.json"));
  CHECK(read_report(dir.path(), "2024-01-01") == day1);
}

TEST_CASE("daily report: a host restarted mid-day goes on counting the same day and reports each day once",
          "[daily][e2e][restart]") {
  // Uninterrupted, in production.
  ScratchDir ref("ops_daily_ref");
  REQUIRE(run_decision(ref, across_midnight(ref, "production")).exit_code == 0);
  const auto want1 = read_report(ref.path(), "2024-01-01");
  const auto want2 = read_report(ref.path(), "2024-01-02");
  REQUIRE(want1["partial"] == false);

  // Stopped at 01:00 on the second day, then the whole session again.
  ScratchDir dir("ops_daily_restart");
  const DecisionConfig cfg = across_midnight(dir, "production");
  cut_session(dir / "data", kOpsT0 + 3600LL * 1000000000LL);
  const HostRun r1 = run_decision(dir, cfg);
  INFO(r1.err);
  REQUIRE(r1.exit_code == 0);
  CHECK(read_report(dir.path(), "2024-01-01") == want1);
  const auto partial = read_report(dir.path(), "2024-01-02");
  CHECK(partial["partial"] == true);
  CHECK(partial["minutes"] == 60);
  CHECK(partial["trades"].get<uint64_t>() <= want2["trades"].get<uint64_t>());

  DecisionConfig again = cfg;
  again.providers = shifted_sample_providers_yaml(dir / "data", -kThreeHoursNs);
  const HostRun r2 = run_decision(dir, again);
  INFO(r2.err);
  REQUIRE(r2.exit_code == 0);
  CHECK_THAT(r2.err, Contains("daily report: resuming 2024-01-02 from the store (60 minutes"));
  // Not reset by the restart, not counted twice: the uninterrupted run's figures.
  CHECK(read_report(dir.path(), "2024-01-02") == want2);
  CHECK(read_report(dir.path(), "2024-01-01") == want1);
  // The first day was reported complete once, by the first run.
  CHECK(count_of_text(r1.err + r2.err, "daily report 2024-01-01 (") == 1);
}
