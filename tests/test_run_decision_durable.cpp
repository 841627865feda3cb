// [run][risk] Risk-policy state survives a restart through the real binary:
// a circuit breaker that opened in one session is still open in the next
// session on the same store (only `host trade reset-risk` reopens it), the
// reset itself is durable too, and every breaker transition happens through
// the binary: CLOSED -> OPEN on VaR, OPEN -> HALF_OPEN on the operator's
// reset, HALF_OPEN -> OPEN while the book is still risky, HALF_OPEN ->
// CLOSED after a healthy trial.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "test_run_decision_support.h"

using namespace sh_test;
using json = nlohmann::json;

namespace {

constexpr int64_t kSixHoursNs = int64_t{6} * 3600 * 1000000000;

// The breaker's CIRCUIT_OPEN denials of a run, by detail.
std::map<std::string, size_t> open_denials(const fs::path& out_dir, int64_t from_ts) {
  std::map<std::string, size_t> out;
  for (const json& d : intent_lines(read_decisions(out_dir))) {
    if (d["minute_ts_ns"].get<int64_t>() < from_ts) continue;
    const json v = policy_verdict(d, "breaker");
    if (v.is_object() && v["reason"] == "CIRCUIT_OPEN" && v["action"] == "deny") {
      ++out[v["detail"].get<std::string>()];
    }
  }
  return out;
}

}  // namespace

TEST_CASE("an open circuit breaker is still open after a restart until an operator resets it and closes after a healthy trial",
          "[run][risk]") {
  ScratchDir dir("run_decision_durable");
  DecisionConfig cfg = breaker_trip_config();
  const HostRun first = run_decision(dir, cfg);
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  REQUIRE(first.err.find("circuit CLOSED -> OPEN: VaR ") != std::string::npos);
  const auto first_denials = open_denials(dir / "out", 0);
  REQUIRE(first_denials.size() == 1);  // one trip, one reason
  const std::string reason = first_denials.begin()->first;
  const int64_t first_last_minute =
      json::parse(lines(read_file(dir / "out/decisions.jsonl")).back())["minute_ts_ns"].get<int64_t>();

  // The next session on the same store: the breaker comes back OPEN with the
  // reason it opened on, and never trips anew.
  cfg.providers = shifted_sample_providers_yaml(dir.path(), kSixHoursNs);
  const HostRun second = run_decision(dir, cfg);
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  CHECK(second.err.find("component 'breaker': state restored from the store") != std::string::npos);
  CHECK(second.err.find("circuit OPEN restored from the store (opened on VaR ") != std::string::npos);
  CHECK(second.err.find("circuit CLOSED -> OPEN") == std::string::npos);
  const auto second_denials = open_denials(dir / "out", first_last_minute + 1);
  REQUIRE(second_denials.size() == 1);
  CHECK(second_denials.begin()->first == reason);

  // An operator reset is durable as well: the third session starts HALF_OPEN.
  const HostRun reset = run_host({"trade", "reset-risk", "--config", (dir / "host.yaml").string()},
                                 dir.path());
  REQUIRE(reset.exit_code == 0);
  cfg.providers = shifted_sample_providers_yaml(dir.path(), 2 * kSixHoursNs);
  const HostRun third = run_decision(dir, cfg);
  INFO(third.err);
  REQUIRE(third.exit_code == 0);
  CHECK(third.err.find("operator command 'reset-risk' applied") != std::string::npos);
  CHECK(third.err.find("(reset: breaker)") != std::string::npos);
  CHECK(third.err.find("circuit OPEN -> HALF_OPEN: manual reset") != std::string::npos);
  // The book the first session built is still open: the trial's VaR trips it
  // again (HALF_OPEN -> OPEN).
  CHECK(third.err.find("circuit HALF_OPEN -> OPEN: VaR ") != std::string::npos);

  // Flatten (the breaker lets reductions through), then reset on a flat book
  // with smaller orders: the trial is healthy and the breaker closes
  // (HALF_OPEN -> CLOSED).
  REQUIRE(run_host({"trade", "flatten", "--config", (dir / "host.yaml").string()}, dir.path())
              .exit_code == 0);
  cfg.providers = shifted_sample_providers_yaml(dir.path(), 3 * kSixHoursNs);
  const HostRun fourth = run_decision(dir, cfg);
  INFO(fourth.err);
  REQUIRE(fourth.exit_code == 0);
  CHECK(fourth.err.find("operator command 'flatten' applied") != std::string::npos);
  REQUIRE(run_host({"trade", "reset-risk", "--config", (dir / "host.yaml").string()}, dir.path())
              .exit_code == 0);
  cfg.providers = shifted_sample_providers_yaml(dir.path(), 4 * kSixHoursNs);
  cfg.order_notional_usd = 500;  // the operator also sized orders down
  const HostRun fifth = run_decision(dir, cfg);
  INFO(fifth.err);
  REQUIRE(fifth.exit_code == 0);
  CHECK(fifth.err.find("circuit OPEN -> HALF_OPEN: manual reset") != std::string::npos);
  CHECK(fifth.err.find("circuit HALF_OPEN -> CLOSED: healthy after trial") != std::string::npos);
}
