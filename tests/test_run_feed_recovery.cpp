// [run][store] Feed files after a crash between writing a minute's lines and
// committing it: the next start removes the lines of minutes the store never
// committed from events.jsonl, decisions.jsonl and trades.csv, says so, and
// leaves every committed line alone.
#include <catch2/catch.hpp>

#include "test_run_decision_support.h"

using namespace sh_test;

TEST_CASE("a restart trims feed lines of minutes the store never committed", "[run][store]") {
  ScratchDir dir("feed_recovery_run");
  DecisionConfig cfg;
  cfg.mode = "production";
  cfg.extra = "state: {durability: process}\n";
  cfg.add_risk("confidence_gate", "confidence_gate", "{min_confidence: 0.1}");
  const HostRun first = run_decision(dir, cfg);
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  const std::string events = read_file(dir / "out/events.jsonl");
  const std::string decisions = read_file(dir / "out/decisions.jsonl");
  const std::string trades = read_file(dir / "out/trades.csv");
  REQUIRE(!events.empty());
  REQUIRE(lines(trades).size() > 1);

  // What a process killed after writing minute 2024-01-02T06:00 (past the
  // session's last committed minute) but before committing it leaves behind,
  // torn last line included.
  const std::string future = "1704175200000000000";
  write_file(dir / "out/events.jsonl",
             events + "{\"seq\":99,\"minute\":\"2024-01-02T06:00:00Z\",\"minute_ts_ns\":" + future +
                 ",\"symbol\":\"BTC\"}\n");
  write_file(dir / "out/decisions.jsonl",
             decisions + "{\"minute\":\"2024-01-02T06:00:00Z\",\"minute_ts_ns\":" + future +
                 ",\"symbol\":\"BTC\"}\n{\"minute\":\"2024-01-02T06:00:00Z\",\"minu");
  write_file(dir / "out/trades.csv", trades + "2024-01-02T06:00:00Z," + future + ",BTC,buy,1\n");

  // The same session again: everything is caught up, nothing new is written.
  const HostRun second = run_decision(dir, cfg);
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  CHECK(read_file(dir / "out/events.jsonl") == events);
  CHECK(read_file(dir / "out/decisions.jsonl") == decisions);
  CHECK(read_file(dir / "out/trades.csv") == trades);
  CHECK(second.err.find("events.jsonl: 1 line(s) of minutes after the store's last committed minute") !=
        std::string::npos);
  CHECK(second.err.find("decisions.jsonl: 2 line(s)") != std::string::npos);
  CHECK(second.err.find("trades.csv: 1 line(s)") != std::string::npos);
}
