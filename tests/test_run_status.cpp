// [run][cli] `host status`: the state dir as an operator inspects it, while
// or after the host runs: account, positions, orders, queued commands and the
// durable state of the risk policies (an OPEN breaker, with its reason).
#include <catch2/catch.hpp>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "test_run_decision_support.h"

using namespace sh_test;
using json = nlohmann::json;

TEST_CASE("host status shows the book and the orders and queued commands and an open breaker",
          "[run][cli]") {
  ScratchDir dir("run_status");
  DecisionConfig cfg = breaker_trip_config();
  const HostRun run = run_decision(dir, cfg);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const json summary = summary_json(dir / "out");
  REQUIRE(run_host({"trade", "stop", "--config", (dir / "host.yaml").string()}, dir.path()).exit_code == 0);

  const HostRun st = run_host({"status", "--config", (dir / "host.yaml").string(), "--format", "json"},
                              dir.path());
  INFO(st.err);
  REQUIRE(st.exit_code == 0);
  const json j = json::parse(st.out);
  CHECK(j["last_minute"] == "2024-01-02T05:59:00Z");
  // The same book the run ended with.
  CHECK(j["account"]["equity_usd"].get<double>() == Approx(summary["decision"]["equity_usd"].get<double>()));
  CHECK(j["account"]["cash_usd"].get<double>() == Approx(summary["decision"]["cash_usd"].get<double>()));
  CHECK(j["account"]["emergency_stop"] == false);  // queued, not yet applied
  CHECK(j["queued_commands"] == json::array({"stop"}));
  CHECK(j["orders"]["filled"].get<uint64_t>() == summary["decision"]["fills"].get<uint64_t>());
  CHECK(!j["positions"].empty());
  const json& breaker = j["component_state"]["breaker"];
  CHECK(breaker["plugin"] == "circuit_breaker");
  CHECK(breaker["state"]["state"] == "OPEN");
  CHECK(breaker["state"]["open_reason"].get<std::string>().rfind("VaR ", 0) == 0);

  const HostRun text = run_host({"status", "--config", (dir / "host.yaml").string()}, dir.path());
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("last minute        2024-01-02T05:59:00Z") != std::string::npos);
  CHECK(text.out.find("queued commands    stop") != std::string::npos);
  CHECK(text.out.find("breaker (circuit_breaker) {\"open_reason\":\"VaR ") != std::string::npos);
  // Positions are a table: a header, then one row per position, every column
  // ending where the header's does (right-aligned numbers, any symbol length).
  const auto ls = lines(text.out);
  auto at = std::find_if(ls.begin(), ls.end(), [](const std::string& l) { return l.rfind("positions (", 0) == 0; });
  REQUIRE(at != ls.end());
  const std::string header = *(at + 1);
  CHECK(header.rfind("  SYMBOL", 0) == 0);
  size_t rows = 0;
  for (auto it = at + 2; it != ls.end() && it->rfind("  ", 0) == 0; ++it, ++rows) {
    INFO(*it);
    CHECK(it->size() == header.size());
    for (const char* col : {"QTY", "AVG", "MARK", "NOTIONAL", "UNREALIZED", "REALIZED"}) {
      const size_t end = header.find(col) + std::string(col).size();
      CHECK((*it)[end - 1] != ' ');                       // a number ends under the header's end
      CHECK((end == it->size() || (*it)[end] == ' '));  // and the next column is apart
    }
  }
  CHECK(rows == j["positions"].size());

  // A state dir that does not exist is a clear error, not an empty status.
  write_file(dir / "other.yaml", "host: {state_dir: nowhere}\n");
  const HostRun none = run_host({"status", "--config", (dir / "other.yaml").string()}, dir.path());
  CHECK(none.exit_code == 1);
  CHECK(none.err.find("host status: ") != std::string::npos);
  CHECK(none.err.find("nowhere") != std::string::npos);
}
