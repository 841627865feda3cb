// [history][governance][decision] Runbook 001 Stage 2 through the real
// binary: the 412 SYMBOL_NOT_ACTIVE gate on the shipped sample replay, and
// `host run` refusing the live modes until a verify passed.
#include <catch2/catch.hpp>

#include <map>
#include <nlohmann/json.hpp>

#include "history/calendar.h"
#include "test_host_support.h"

using namespace sh_test;
using Catch::Matchers::Contains;
using json = nlohmann::json;

namespace {

// config/default.yaml with its paths made absolute, its state and output
// in dir, and a history: section over the sample's four symbols.
std::string governed_default_config(const ScratchDir& dir, const std::string& mode) {
  return default_config_in(dir.path(), mode) +
         "history:\n  universe: universe.json\n  end: 2025-01-17\n  providers:\n"
         "    - {name: daily_csv, plugin: csv_history, config: {dir: csv}}\n";
}

void write_history_fixture(const ScratchDir& dir) {
  // BTC has five clean years; ETH, SOL and DOGE have no file (QUARANTINED).
  const int32_t end = sh::host::days_from_civil(2025, 1, 17);
  std::string csv = "Date,Open,High,Low,Close,Adj Close,Volume\n";
  for (int32_t d = end - 1825; d <= end; ++d) {
    if (!sh::host::is_weekend(d)) csv += sh::host::format_day(d) + ",100,101,99,100,100,5000\n";
  }
  write_file(dir / "csv/BTC.csv", csv);
  write_file(dir / "universe.json", R"(["BTC", "ETH", "SOL", "DOGE"])");
}

}  // namespace

TEST_CASE("the decision layer denies new exposure on symbols not ACTIVE with 412 SYMBOL_NOT_ACTIVE",
          "[history][governance][decision]") {
  ScratchDir dir("gov_gate");
  write_history_fixture(dir);
  write_file(dir / "cfg.yaml", governed_default_config(dir, "replay"));
  // Replay before any verify: a warning, and it runs (every symbol is denied).
  const HostRun early = run_host({"--config", "cfg.yaml"}, dir.path());
  INFO(early.out << early.err);
  REQUIRE(early.exit_code == 0);
  CHECK_THAT(early.err, Contains("[DATA_GOVERNANCE]"));
  CHECK_THAT(early.err, Contains("host history backfill"));

  REQUIRE(run_host({"history", "backfill", "--config", "cfg.yaml"}, dir.path()).exit_code == 0);
  REQUIRE(run_host({"history", "verify", "--config", "cfg.yaml"}, dir.path()).exit_code == 0);
  const HostRun r = run_host({"--config", "cfg.yaml"}, dir.path());
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("[DATA_GOVERNANCE]") == std::string::npos);
  std::map<std::string, size_t> denied, intents;
  for (const auto& l : lines(read_file(dir / "out/decisions.jsonl"))) {
    const json d = json::parse(l);
    if (d["intent"].is_null()) continue;
    const std::string sym = d["symbol"];
    ++intents[sym];
    REQUIRE(d["risk"].size() >= 1);
    CHECK(d["risk"][0]["policy"] == "symbol_governance");
    if (d["final"]["reason"] == "SYMBOL_NOT_ACTIVE") {
      ++denied[sym];
      CHECK(d["final"]["code"] == 412);
      CHECK(d["risk"][0]["code"] == 412);
      CHECK_THAT(d["risk"][0]["detail"].get<std::string>(), Contains("QUARANTINED"));
    }
  }
  INFO("intents per symbol: BTC " << intents["BTC"] << ", ETH " << intents["ETH"]);
  REQUIRE(intents["ETH"] + intents["SOL"] + intents["DOGE"] > 0);
  CHECK(denied["BTC"] == 0);
  CHECK(denied["ETH"] + denied["SOL"] + denied["DOGE"] == intents["ETH"] + intents["SOL"] + intents["DOGE"]);
  // host status shows the states.
  const HostRun s = run_host({"status", "--format", "json", "--config", "cfg.yaml"}, dir.path());
  INFO(s.err);
  REQUIRE(s.exit_code == 0);
  const json st = json::parse(s.out);
  CHECK(st["governance"]["counts"]["ACTIVE"] == 1);
  CHECK(st["governance"]["counts"]["QUARANTINED"] == 3);
}

TEST_CASE("host run in a live mode refuses to start until a verify passed for the universe",
          "[history][governance]") {
  ScratchDir dir("gov_stage2");
  write_history_fixture(dir);
  write_file(dir / "cfg.yaml", governed_default_config(dir, "production"));
  const HostRun r = run_host({"--config", "cfg.yaml"}, dir.path());
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("[DATA_GOVERNANCE] production needs verified history"));
  CHECK_THAT(r.err, Contains("run `host history backfill`, then `host history verify`"));
  // After Stage 1, a later backfill makes the verify stale again.
  REQUIRE(run_host({"history", "backfill", "--config", "cfg.yaml"}, dir.path()).exit_code == 0);
  const HostRun half = run_host({"--config", "cfg.yaml"}, dir.path());
  CHECK(half.exit_code == 1);
  CHECK_THAT(half.err, Contains("no verify has run"));
  REQUIRE(run_host({"history", "verify", "--config", "cfg.yaml"}, dir.path()).exit_code == 0);
  const HostRun st = run_host({"history", "status", "--config", "cfg.yaml"}, dir.path());
  CHECK_THAT(st.out, Contains("verified"));
  REQUIRE(run_host({"history", "backfill", "--restart", "--config", "cfg.yaml"}, dir.path()).exit_code == 0);
  const HostRun stale = run_host({"--config", "cfg.yaml"}, dir.path());
  CHECK(stale.exit_code == 1);
  CHECK_THAT(stale.err, Contains("ran after the last verify"));
}
