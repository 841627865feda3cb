// [alerts][config] The alerts: and daily_report: sections: defaults are the
// runbooks' figures; a bad value is refused at load time (a run and
// --validate-config alike) with FILE:LINE:COL and the key named in full;
// an unknown key gets a "did you mean"; a clear threshold on the wrong side
// of raise (no hysteresis) is refused. And the hysteresis itself: a figure
// oscillating around its raise threshold raises once.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "config/host_config.h"
#include "ops/alert_config.h"
#include "ops/alert_state.h"
#include "test_host_support.h"

using sh::host::AlertConfig;
using sh::host::AlertKind;
using sh::host::AlertReading;
using sh::host::AlertSeverity;
using sh::host::AlertStates;
using sh::host::AlertTransition;
using sh::host::ConfigError;
using sh::host::HostConfig;
using namespace sh_test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

AlertConfig alerts_of(const std::string& yaml) {
  return sh::host::parse_alert_config(HostConfig::load_string(yaml, "cfg.yaml", "/base"));
}

std::string alert_config_error(const std::string& yaml) {
  try {
    const HostConfig c = HostConfig::load_string(yaml, "cfg.yaml", "/base");
    sh::host::parse_alert_config(c);
    sh::host::parse_daily_report_config(c);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("alerts: the defaults are the runbooks' thresholds", "[alerts][config]") {
  const AlertConfig c = alerts_of("host: {mode: replay}\n");
  CHECK(c.enabled);
  CHECK(c.file == "alerts.jsonl");
  CHECK(c.redis_stream == "risk.alerts");
  CHECK(c.rule(AlertKind::kVar).raise == 1.8);
  CHECK(c.rule(AlertKind::kDailyLoss).raise == 80);
  CHECK(c.rule(AlertKind::kDailyLoss).severity == AlertSeverity::kCritical);
  CHECK(c.rule(AlertKind::kDrawdown).raise == 80);
  CHECK(c.rule(AlertKind::kDq).raise == 95);
  CHECK(c.rule(AlertKind::kBarFinalize).raise == 300);
  CHECK(c.rule(AlertKind::kFeedStale).raise == 20);
  CHECK(c.rule(AlertKind::kSuppression).raise == 5);
  CHECK(c.rule(AlertKind::kBaselineDrift).max_abs_mean == 0.2);
  CHECK(c.rule(AlertKind::kBaselineDrift).min_std == 0.8);
  CHECK(c.rule(AlertKind::kBaselineDrift).max_std == 1.2);
  for (const auto& r : c.rules) {
    CHECK(r.hold_minutes == 5);
    CHECK(r.clear != r.raise);
  }
  const AlertConfig t = alerts_of("alerts: {hold_minutes: 2, var: {raise: 1.5, clear: 1.2, severity: critical}}\n");
  CHECK(t.rule(AlertKind::kVar).raise == 1.5);
  CHECK(t.rule(AlertKind::kVar).severity == AlertSeverity::kCritical);
  CHECK(t.rule(AlertKind::kDq).hold_minutes == 2);
}

TEST_CASE("alerts: a bad value is refused with its position and the key named in full",
          "[alerts][config][hostile]") {
  CHECK(alert_config_error("alerts:\n  var: {raise: 1.5, clear: 1.7}\n") ==
        "cfg.yaml:2:28: alerts.var.clear (1.7) must be below alerts.var.raise (1.5): the clear threshold "
        "is the hysteresis that stops an alert flapping");
  CHECK_THAT(alert_config_error("alerts:\n  dq: {raise: 95, clear: 90}\n"),
             Contains("alerts.dq.clear (90) must be above alerts.dq.raise (95)"));
  CHECK_THAT(alert_config_error("alerts:\n  var: {raise: 1.8, clear: 1.8, hold_minutes: 0}\n"),
             Contains("alerts.var.clear (1.8) must be below alerts.var.raise (1.8) or hold_minutes > 0"));
  CHECK(alert_config_error("alerts:\n  var: {raise: 1.8, clear: 1.8, hold_minutes: 3}\n").empty());
  CHECK_THAT(alert_config_error("alerts:\n  feed_stale: {severity: loud}\n"),
             StartsWith("cfg.yaml:2:26: alerts.feed_stale.severity must be info, warning or critical, not 'loud'"));
  CHECK_THAT(alert_config_error("alerts:\n  dq: {window_minutes: 0}\n"),
             Contains("alerts.dq.window_minutes must be a whole number in 1..10080"));
  CHECK_THAT(alert_config_error("alerts:\n  suppression: {raise: 150}\n"),
             Contains("alerts.suppression.raise must be in [0, 100]"));
  CHECK_THAT(alert_config_error("alerts:\n  daily_loss: {limit_pct: -3}\n"),
             Contains("alerts.daily_loss.limit_pct must be in (0, 100]"));
  CHECK_THAT(alert_config_error("alerts:\n  var: {raise: high}\n"),
             Contains("alerts.var.raise must be a number, not 'high'"));
  CHECK_THAT(alert_config_error("alerts:\n  baseline_drift: {min_std: 1.3}\n"),
             Contains("alerts.baseline_drift.max_std must be above alerts.baseline_drift.min_std (1.3)"));
  CHECK_THAT(alert_config_error("alerts: [1]\n"), Contains("alerts: expected a map"));
  CHECK_THAT(alert_config_error("daily_report: {enabled: maybe}\n"),
             Contains("daily_report.enabled must be true or false"));
}

TEST_CASE("alerts: an unknown key is refused with a suggestion", "[alerts][config][hostile]") {
  CHECK_THAT(alert_config_error("alerts:\n  vra: {raise: 2}\n"),
             StartsWith("cfg.yaml:2:3: unknown key 'vra' in alerts: (did you mean 'var'?"));
  CHECK_THAT(alert_config_error("alerts:\n  var: {raize: 2}\n"),
             StartsWith("cfg.yaml:2:9: unknown key 'raize' in alerts.var: (did you mean 'raise'?"));
  // A key that belongs to another alert is not silently taken.
  CHECK_THAT(alert_config_error("alerts:\n  var: {window_minutes: 5}\n"),
             Contains("unknown key 'window_minutes' in alerts.var:"));
  CHECK_THAT(alert_config_error("alert:\n  var: {raise: 2}\n"),
             StartsWith("cfg.yaml:1:1: unknown key 'alert' in the config's top level (did you mean 'alerts'?"));
}

TEST_CASE("alerts: the host refuses to start on a bad alerts: section, naming the field",
          "[alerts][config][cli]") {
  ScratchDir dir("ops_alert_config");
  write_file(dir / "host.yaml",
             "host: {mode: replay, state_dir: state, output_dir: out}\n" + sample_providers_yaml() +
                 "alerts:\n  dq: {raise: 95, clear: 90}\n");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--validate-config", "--config", "host.yaml"},
        std::vector<std::string>{"--config", "host.yaml"}}) {
    const HostRun r = run_host(args, dir.path());
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("host.yaml:") && Contains("alerts.dq.clear (90) must be above alerts.dq.raise (95)"));
  }
}

TEST_CASE("alerts: a figure oscillating around the raise threshold raises once (hysteresis)",
          "[alerts]") {
  const AlertConfig c = alerts_of("alerts: {var: {raise: 1.8, clear: 1.6, hold_minutes: 3}}\n");
  const auto& rule = c.rule(AlertKind::kVar);
  AlertStates states;
  std::vector<AlertTransition> out;
  const int64_t minute = 60'000'000'000;
  // 1.79, 1.81, 1.79, 1.81, ... for 20 minutes, then 1.7 (between clear and
  // raise: still raised), then 1.5 (past clear: cleared), then 1.81 again.
  std::vector<double> values;
  for (int i = 0; i < 20; ++i) values.push_back(i % 2 ? 1.81 : 1.79);
  values.insert(values.end(), {1.7, 1.7, 1.5, 1.5, 1.81});
  for (size_t i = 0; i < values.size(); ++i) {
    AlertReading r;
    r.known = true;
    r.value = values[i];
    r.detail = "portfolio VaR";
    states.evaluate(AlertKind::kVar, rule, r, static_cast<int64_t>(i) * minute,
                    static_cast<int64_t>(i + 1) * minute, &out);
  }
  REQUIRE(out.size() == 3);
  CHECK(out[0].raised);
  CHECK(out[0].ts_ns == 2 * minute);  // the first 1.81
  CHECK(out[0].value == 1.81);
  CHECK(out[0].threshold == 1.8);
  CHECK_FALSE(out[1].raised);
  CHECK(out[1].ts_ns == 23 * minute);  // the first 1.5
  CHECK(out[1].threshold == 1.6);
  CHECK(out[2].raised);
  CHECK(out[2].ts_ns == 25 * minute);
  CHECK(states.active(AlertKind::kVar));
  CHECK(out[0].json_line() ==
        R"({"ts":"1970-01-01T00:02:00Z","minute_ts_ns":60000000000,"code":"VAR_HIGH",)"
        R"("severity":"warning","state":"raised","value":1.81,"threshold":1.8,)"
        R"x("message":"portfolio VaR (raise >= 1.8 % of equity, clear <= 1.6)"})x");

  // A minimum hold: a figure that drops past clear at once stays raised for
  // hold_minutes.
  AlertStates held;
  out.clear();
  for (int i = 0; i < 6; ++i) {
    AlertReading r;
    r.known = true;
    r.value = i == 0 ? 2.0 : 1.0;
    held.evaluate(AlertKind::kVar, rule, r, i * minute, (i + 1) * minute, &out);
  }
  REQUIRE(out.size() == 2);
  CHECK(out[1].ts_ns - out[0].ts_ns == 3 * minute);
  // The durable form restores the raised alert and the totals.
  AlertStates restored;
  REQUIRE(restored.restore(states.save()).ok());
  CHECK(restored.active(AlertKind::kVar));
  CHECK(restored.counts()[0].raised == 2);
  CHECK(restored.counts()[0].cleared == 1);
  CHECK_FALSE(restored.restore("{\"active\": 3}").ok());
}
