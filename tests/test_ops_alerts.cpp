// [alerts] The runbooks' alerts through the real host binary: DQ share,
// gate suppression and feed staleness on a session made to trip them
// (tests/test_alerts_support.h), with the expected raise and clear minutes
// recomputed from the store's rows (`host snapshot`) and the session's
// event times; VaR and the daily loss on the decision layer's figures over
// the sample session; alerts.jsonl, the log, determinism.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "test_alerts_support.h"
#include "test_run_decision_support.h"

using namespace sh_test;
using Catch::Matchers::Contains;

namespace {

struct Expected {
  std::string state;  // raised | cleared
  int64_t minute_ts_ns;
  bool operator==(const Expected& o) const { return state == o.state && minute_ts_ns == o.minute_ts_ns; }
};

std::ostream& operator<<(std::ostream& os, const Expected& e) {
  return os << e.state << "@" << (e.minute_ts_ns - kOpsT0) / kOpsMinuteNs;
}

// The raise / clear rule of ops/alert_state.h, written again from its
// contract: figure per minute (NaN = unknown) -> transitions.
std::vector<Expected> reference_transitions(const std::map<int64_t, double>& figure, bool above, double raise,
                                            double clear, int hold_minutes) {
  std::vector<Expected> out;
  bool active = false;
  int64_t raised_at = 0;
  for (const auto& [minute, v] : figure) {
    if (std::isnan(v)) continue;
    if (!active && (above ? v >= raise : v < raise)) {
      active = true;
      raised_at = minute;
      out.push_back({"raised", minute});
    } else if (active && (above ? v <= clear : v >= clear) && minute - raised_at >= hold_minutes * kOpsMinuteNs) {
      active = false;
      out.push_back({"cleared", minute});
    }
  }
  return out;
}

std::vector<Expected> actual_transitions(const std::vector<nlohmann::json>& lines) {
  std::vector<Expected> out;
  for (const auto& l : lines) out.push_back({l.at("state").get<std::string>(), l.at("minute_ts_ns").get<int64_t>()});
  return out;
}

// A share over the last `window` minutes, per minute (NaN until the window is full).
std::map<int64_t, double> windowed_share(const std::map<int64_t, std::pair<double, double>>& per_minute,
                                         size_t window, double min_total) {
  std::map<int64_t, double> out;
  std::vector<std::pair<double, double>> seen;
  for (const auto& [minute, nd] : per_minute) {
    seen.push_back(nd);
    double n = 0, d = 0;
    for (size_t i = seen.size() >= window ? seen.size() - window : 0; i < seen.size(); ++i) {
      n += seen[i].first;
      d += seen[i].second;
    }
    out[minute] = seen.size() >= window && d >= min_total && d > 0 ? n / d * 100.0 : NAN;
  }
  return out;
}

}  // namespace

TEST_CASE("alerts: DQ share, gate suppression and a stale feed raise and clear at the minutes the rows say",
          "[alerts][e2e]") {
  ScratchDir dir("ops_alerts_rows");
  const OpsSession session;
  write_file(dir / "host.yaml", ops_config_yaml("replay", ops_providers_yaml(dir / "data", session)));
  const HostRun r = run_host({"--config", "host.yaml"}, dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto alerts = read_jsonl(dir / "out/alerts.jsonl");

  // The oracle: each minute's rows from the store.
  std::map<int64_t, std::pair<double, double>> dq_ok;       // ok rows, rows
  std::map<int64_t, std::pair<double, double>> suppressed;  // suppressed hits, hits
  for (const auto& row : snapshot_rows(dir.path(), {"A", "B"})) {
    const int64_t minute = std::stoll(row.at("minute_ts_ns"));
    const bool ok = row.at("dq") == "ok";
    dq_ok[minute].first += ok;
    dq_ok[minute].second += 1;
    auto& s = suppressed[minute];
    // good_detector hits every row whose z_ret >= 0; the gate suppresses
    // those whose dq is not ok (debounce, cooldown and budget are off).
    const std::string z = row.at("z_ret");
    if (!z.empty() && z != "nan" && std::stod(z) >= 0) {
      s.second += 1;
      s.first += ok ? 0 : 1;
    }
  }
  REQUIRE(dq_ok.size() == static_cast<size_t>(session.minutes));
  const auto dq = reference_transitions(windowed_share(dq_ok, 3, 0), false, 95, 97, 2);
  const auto sup = reference_transitions(windowed_share(suppressed, 3, 4), true, 5, 3, 2);
  // The feed: B's newest event at each minute's end (its events are never
  // after its minute's end when the minute closes: the close comes at the
  // next minute's :05).
  std::map<int64_t, double> age_s;
  int64_t last_b = 0;
  for (int m = 0; m < session.minutes; ++m) {
    for (int sec : session.b_seconds(m)) last_b = kOpsT0 + m * kOpsMinuteNs + sec * 1000000000LL + 1;
    const int64_t end = kOpsT0 + (m + 1) * kOpsMinuteNs;
    age_s[kOpsT0 + m * kOpsMinuteNs] = std::max(10.0, static_cast<double>(end - last_b) / 1e9);
  }
  const auto stale = reference_transitions(age_s, true, 20, 10, 2);

  // The session was made to trip all three, and each comes back.
  REQUIRE(dq.size() == 2);
  REQUIRE(sup.size() == 2);
  REQUIRE(stale.size() == 2);
  CHECK(dq[0].minute_ts_ns == kOpsT0 + 10 * kOpsMinuteNs);
  CHECK(stale[0].minute_ts_ns == kOpsT0 + 15 * kOpsMinuteNs);
  CHECK(actual_transitions(alerts_of_code(alerts, "DQ_LOW")) == dq);
  CHECK(actual_transitions(alerts_of_code(alerts, "SUPPRESSION_HIGH")) == sup);
  CHECK(actual_transitions(alerts_of_code(alerts, "FEED_STALE")) == stale);
  CHECK(alerts.size() == 6);

  // Each line: ts (the minute's end), code, severity, state, value, threshold, message.
  const auto feed = alerts_of_code(alerts, "FEED_STALE");
  CHECK(feed[0]["ts"] == "2024-01-02T00:16:00Z");
  CHECK(feed[0]["severity"] == "warning");
  CHECK(feed[0]["value"].get<double>() == Approx(75.0 - 1e-9));
  CHECK(feed[0]["threshold"] == 20.0);
  CHECK_THAT(feed[0]["message"].get<std::string>(), Contains("B: no market data for 75.0 s") && Contains("raise >= 20 s"));
  CHECK(feed[1]["threshold"] == 10.0);
  CHECK(feed[1]["value"].get<double>() <= 10.0);
  const auto low = alerts_of_code(alerts, "DQ_LOW");
  CHECK(low[0]["value"].get<double>() < 95.0);
  CHECK(low[1]["value"].get<double>() >= 97.0);
  CHECK_THAT(low[0]["message"].get<std::string>(), Contains("% of rows dq ok over the last 3 minutes"));

  // The log: a warning per raise, an info line per clear.
  for (const auto& a : alerts) {
    const std::string code = a["code"];
    if (a["state"] == "raised") {
      CHECK_THAT(r.err, Contains("[warning] alert " + code + " raised (warning): " + a["message"].get<std::string>()));
    } else {
      CHECK_THAT(r.err, Contains("[info] alert " + code + " cleared: " + a["message"].get<std::string>()));
    }
  }
  // The run summary counts them.
  CHECK_THAT(r.out, Contains("  alerts raised      3  (DQ_LOW=1, FEED_STALE=1, SUPPRESSION_HIGH=1)\n"));
  const auto summary = nlohmann::json::parse(read_file(dir / "out/run_summary.json"));
  CHECK(summary["alerts"]["cleared"]["FEED_STALE"] == 1);
  CHECK(summary["alerts"]["active"].empty());
  // Deterministic: a second replay writes the same file and digest.
  const HostRun again = run_host({"--config", "host.yaml"}, dir.path());
  REQUIRE(again.exit_code == 0);
  CHECK(read_jsonl(dir / "out/alerts.jsonl") == alerts);
  CHECK(lines(r.out).back() == lines(again.out).back());
  // Off: no file, and the digest is the one without alerts (the stream is new output).
  write_file(dir / "host.yaml", ops_config_yaml("replay", ops_providers_yaml(dir / "data", session),
                                                "  enabled: false\n", "daily_report: {enabled: false}\n"));
  fs::remove(dir / "out/alerts.jsonl");
  const HostRun off = run_host({"--config", "host.yaml"}, dir.path());
  REQUIRE(off.exit_code == 0);
  CHECK_FALSE(fs::exists(dir / "out/alerts.jsonl"));
  CHECK(lines(off.out).back() != lines(r.out).back());
  CHECK_THAT(read_file(dir / "out/run_summary.json"), !Contains("\"alerts\""));
}

TEST_CASE("alerts: VaR and the daily loss at 80 % of the risk chain's limit raise and clear, without flapping",
          "[alerts][e2e][risk]") {
  ScratchDir dir("ops_alerts_risk");
  DecisionConfig cfg;
  cfg.initial_cash_usd = 20000;
  cfg.order_notional_usd = 4000;
  cfg.add_risk("daily_loss", "daily_loss", "{daily_loss_pct: 0.5}");
  const HostRun r = run_decision(dir, cfg);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto alerts = read_jsonl(dir / "out/alerts.jsonl");

  struct Rule {
    const char* code;
    double raise, clear;
  };
  for (const Rule& rule : {Rule{"VAR_HIGH", 1.8, 1.6}, Rule{"DAILY_LOSS_NEAR", 80, 70}}) {
    INFO(rule.code);
    const auto mine = alerts_of_code(alerts, rule.code);
    REQUIRE(mine.size() >= 2);  // raised and cleared at least once
    int64_t raised_at = 0;
    for (size_t i = 0; i < mine.size(); ++i) {
      // Raise, clear, raise, ...: never two raises in a row (no flapping).
      CHECK(mine[i]["state"] == (i % 2 == 0 ? "raised" : "cleared"));
      const double v = mine[i]["value"];
      if (i % 2 == 0) {
        CHECK(v >= rule.raise);
        CHECK(mine[i]["threshold"] == rule.raise);
        raised_at = mine[i]["minute_ts_ns"];
      } else {
        CHECK(v <= rule.clear);
        CHECK(mine[i]["threshold"] == rule.clear);
        CHECK(mine[i]["minute_ts_ns"].get<int64_t>() - raised_at >= 5 * kOpsMinuteNs);  // hold_minutes 5
      }
    }
  }
  // The limit is the daily_loss policy's, as it serves; the severity critical.
  const auto loss = alerts_of_code(alerts, "DAILY_LOSS_NEAR");
  CHECK(loss[0]["severity"] == "critical");
  CHECK_THAT(loss[0]["message"].get<std::string>(), Contains("of the 0.50% limit"));
  CHECK(alerts_of_code(alerts, "VAR_HIGH")[0]["severity"] == "warning");

  // Narrower hysteresis (clear just under raise, no hold) on the same
  // session: at least as many raises; the runbook's keeps the VaR alert
  // from flapping where a bare threshold would.
  cfg.extra = "alerts: {hold_minutes: 0, var: {raise: 1.8, clear: 1.7999}}\n";
  REQUIRE(run_decision(dir, cfg).exit_code == 0);
  const auto narrow = alerts_of_code(read_jsonl(dir / "out/alerts.jsonl"), "VAR_HIGH");
  CHECK(narrow.size() > alerts_of_code(alerts, "VAR_HIGH").size());
}

TEST_CASE("alerts: live rows committed long after their interval's end raise BAR_FINALIZE_SLOW",
          "[alerts][e2e][clock]") {
  // A live feed on the receive clock (dry-run) whose events are 40 to 20 s
  // old when they arrive: each 1-second bar is committed seconds after its
  // end, far over the runbook's 300 ms. A replay of the same stream never
  // judges the finalize time (it is wall time).
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  auto yaml = [&](const std::string& mode) {
    return "host: {mode: " + mode + ", plugin_dirs: ['" SH_PLUGIN_DIR "'], state_dir: state, output_dir: out}\n"
           "providers:\n"
           "  - name: feed\n"
           "    plugin: synthetic\n"
           "    config: {symbol_count: 2, seed: 3, start_ts_ns: " + std::to_string(now_ns - 40'000'000'000LL) +
           ", duration_s: 20, events_per_second: 100, recv_lag_us: 1000, receive_clock: true}\n"
           "conveyor: {bar_interval_ms: 1000, lateness_ms: 100, baseline_warmup: 5}\n"
           "alerts: {bar_finalize: {window_minutes: 3}}\n";
  };
  ScratchDir dir("ops_alerts_finalize");
  write_file(dir / "host.yaml", yaml("dry-run"));
  const HostRun r = run_host({"--config", "host.yaml"}, dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto slow = alerts_of_code(read_jsonl(dir / "out/alerts.jsonl"), "BAR_FINALIZE_SLOW");
  REQUIRE(slow.size() == 1);
  CHECK(slow[0]["state"] == "raised");
  CHECK(slow[0]["value"].get<double>() >= 300.0);
  CHECK(slow[0]["threshold"] == 300.0);
  CHECK_THAT(slow[0]["message"].get<std::string>(), Contains("bar finalize p95 ") && Contains("over the last 3 live minutes"));

  ScratchDir replay("ops_alerts_finalize_replay");
  write_file(replay / "host.yaml", yaml("replay"));
  REQUIRE(run_host({"--config", "host.yaml"}, replay.path()).exit_code == 0);
  CHECK(alerts_of_code(read_jsonl(replay / "out/alerts.jsonl"), "BAR_FINALIZE_SLOW").empty());
}
