// [run][venue] What reaches a live venue in each host mode (runbook 001:
// dry-run and shadow never, canary only the canary symbols under the canary
// cap, production everything), and a venue that misbehaves (never
// acknowledges, rejects, refuses the keys, reports garbage or fills the host
// never asked for, fails the call): each case has its log line and its
// counter, nothing is sent twice and nothing it executed is lost. Through
// the real host with tests/plugins/script_venue.cpp, which journals every
// call it gets.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <signal.h>

#include "test_run_decision_support.h"

using namespace sh_test;
using nlohmann::json;

namespace {

const std::string kTestPlugins = SH_TEST_PLUGIN_DIR;

// cfg with execution.mode live (unless paper) and script_venue as the venue.
std::string live_yaml(DecisionConfig cfg, const fs::path& journal,
                      const std::string& venue_extra = "", bool paper = false) {
  cfg.venue = "{plugin: '" + kTestPlugins + "/libscript_venue.so', config: {journal: '" +
              journal.string() + "'" + venue_extra + "}}";
  if (!paper) cfg.execution_mode = "live";
  return cfg.text();
}

HostRun run_yaml(const ScratchDir& dir, const std::string& yaml) {
  write_file(dir / "host.yaml", yaml);
  return run_host({"--config", (dir / "host.yaml").string()}, dir.path());
}

// The journal's submit lines: client id -> symbol.
std::map<std::string, std::string> submits(const fs::path& journal) {
  std::map<std::string, std::string> out;
  if (!fs::exists(journal)) return out;
  for (const auto& l : lines(read_file(journal))) {
    std::istringstream in(l);
    std::string verb, id, symbol;
    in >> verb >> id >> symbol;
    if (verb == "submit") {
      CHECK(out.count(id) == 0);  // never sent twice
      out[id] = symbol;
    }
  }
  return out;
}

std::vector<json> order_lines(const fs::path& out_dir) {
  std::vector<json> out;
  if (!fs::exists(out_dir / "orders.jsonl")) return out;
  for (const auto& l : lines(read_file(out_dir / "orders.jsonl"))) out.push_back(json::parse(l));
  return out;
}

DecisionConfig live_config(const std::string& mode) {
  DecisionConfig cfg;
  cfg.mode = mode;
  cfg.execution_extra = ", emergency_reduce: {enabled: false}";
  return cfg;
}

}  // namespace

TEST_CASE("a live venue gets nothing in dry-run and shadow, canary symbols in canary, all in production",
          "[run][venue]") {
  std::map<std::string, std::map<std::string, std::string>> sent;
  for (const std::string mode : {"dry-run", "shadow", "production"}) {
    ScratchDir dir("venue_mode_" + mode);
    const HostRun r = run_yaml(dir, live_yaml(live_config(mode), dir / "journal.txt"));
    INFO(mode << "\n" << r.err);
    REQUIRE(r.exit_code == 0);
    sent[mode] = submits(dir / "journal.txt");
    const json s = summary_json(dir / "out");
    if (mode != "production") {
      CHECK(sent[mode].empty());
      CHECK(s["decision"]["orders_not_submitted"].get<uint64_t>() > 0);
      CHECK(s["decision"]["fills"] == 0);
    }
  }
  std::set<std::string> symbols;
  for (const auto& [id, sym] : sent["production"]) symbols.insert(sym);
  INFO("production sent " << sent["production"].size());
  CHECK(sent["production"].size() >= 10);
  CHECK(symbols.size() >= 2);

  // Canary: BTC only, each order at most 500 USD.
  DecisionConfig cfg = live_config("canary");
  cfg.execution_extra += ", canary: {symbols: [BTC], max_notional_usd: 500}";
  ScratchDir dir("venue_mode_canary");
  const HostRun r = run_yaml(dir, live_yaml(cfg, dir / "journal.txt"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto canary = submits(dir / "journal.txt");
  REQUIRE_FALSE(canary.empty());
  for (const auto& [id, sym] : canary) CHECK(sym == "BTC");
  for (const auto& t : read_trades(dir / "out")) {
    INFO(t.at("idempotency_key"));
    CHECK(t.at("symbol") == "BTC");
    CHECK(std::stod(t.at("notional_usd")) <= 500.0 * (1 + 1e-9));
  }
  const json s = summary_json(dir / "out");
  CHECK(s["decision"]["orders_canary_capped"].get<uint64_t>() > 0);
  CHECK(s["decision"]["orders_not_submitted"].get<uint64_t>() > 0);
}

TEST_CASE("execution.mode and the venue must agree, and live never runs in a replay", "[run][venue]") {
  ScratchDir dir("venue_mode_mismatch");
  {
    // A venue that reaches a market, in paper mode.
    const HostRun r = run_yaml(dir, live_yaml(live_config("production"), dir / "j.txt", "", true));
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains("execution.mode is paper but venue 'venue' (plugin script_venue) is not simulated"));
  }
  {
    // The paper venue in live mode.
    DecisionConfig cfg = live_config("production");
    cfg.execution_mode = "live";
    cfg.venue = "{plugin: paper_venue}";
    const HostRun r = run_yaml(dir, cfg.text());
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains("execution.mode is live but venue 'venue' (plugin paper_venue) is simulated"));
  }
  {
    // Refused at the config: the venue is never even created.
    const HostRun r = run_yaml(dir, live_yaml(live_config("replay"), dir / "j_replay.txt"));
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains("execution.mode: live does not run in host mode replay"));
    CHECK_FALSE(fs::exists(dir / "j_replay.txt"));
  }
  {
    // live without a named venue
    DecisionConfig cfg = live_config("production");
    cfg.execution_mode = "live";
    const HostRun r = run_yaml(dir, cfg.text());
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains("name one in execution.venue"));
  }
  {
    const HostRun r = run_yaml(dir, live_yaml(live_config("canary"), dir / "j.txt"));
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains("host mode canary with a live venue needs execution.canary"));
  }
}

TEST_CASE("a venue that never acknowledges: orders expire at the ack timeout and are cancelled",
          "[run][venue]") {
  ScratchDir dir("venue_silent");
  // A live venue's ack timeout runs in wall time (the replay's clock runs
  // far faster): 1 ms expires each order at the host's next look.
  DecisionConfig cfg = live_config("production");
  cfg.execution_extra += ", ack_timeout_ms: 1";
  const HostRun r = run_yaml(dir, live_yaml(cfg, dir / "journal.txt", ", behaviour: silent"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("not acknowledged within 1 ms: expired at the host, cancel sent"));
  const json s = summary_json(dir / "out");
  CHECK(s["decision"]["ack_timeouts"].get<uint64_t>() > 0);
  CHECK(s["decision"]["fills"] == 0);
  size_t expired = 0;
  for (const json& l : order_lines(dir / "out")) {
    if (l["state"] == "expired") {
      ++expired;
      CHECK(l["reason"] == "ack_timeout");
    }
  }
  CHECK(expired == s["decision"]["ack_timeouts"].get<uint64_t>());
  // One cancel per expired order reached the venue.
  size_t cancels = 0;
  for (const auto& l : lines(read_file(dir / "journal.txt"))) cancels += l.rfind("cancel ", 0) == 0;
  CHECK(cancels == expired);
}

TEST_CASE("a venue that refuses the keys (401) halts trading after the first order", "[run][venue]") {
  ScratchDir dir("venue_401");
  const HostRun r = run_yaml(
      dir, live_yaml(live_config("production"), dir / "journal.txt", ", behaviour: reject, reject_reason: 7"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("refused the host's credentials (401 unauthorized)"));
  CHECK_THAT(r.err, Catch::Contains("trading halted (emergency stop)"));
  // One order reached the venue: no retry, nothing after it.
  CHECK(submits(dir / "journal.txt").size() == 1);
  const json s = summary_json(dir / "out");
  CHECK(s["decision"]["fills"] == 0);
  CHECK(s["decision"]["orders_refused"].get<uint64_t>() > 1);
  const auto orders = order_lines(dir / "out");
  REQUIRE_FALSE(orders.empty());
  bool rejected = false;
  for (const json& l : orders) rejected = rejected || (l["state"] == "rejected" && l["reason"] == "unauthorized");
  CHECK(rejected);
}

TEST_CASE("venue faults: garbage fills, fills the host never asked for and failed calls are counted, never booked",
          "[run][venue]") {
  {
    ScratchDir dir("venue_unknown_fill");
    const HostRun r = run_yaml(
        dir, live_yaml(live_config("production"), dir / "journal.txt", ", behaviour: unknown_fill"));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const json s = summary_json(dir / "out");
    const auto sent = submits(dir / "journal.txt");
    // Every order of the host's filled once; every ghost fill was refused.
    CHECK(s["decision"]["fills"].get<size_t>() == sent.size());
    CHECK(s["decision"]["venue_unknown_reports"].get<size_t>() == sent.size());
    CHECK_THAT(r.err, Catch::Contains("for order 'ghost-1', which the host does not hold as working; ignored"));
    for (const auto& t : read_trades(dir / "out")) CHECK(sent.count(t.at("idempotency_key")) == 1);
  }
  {
    ScratchDir dir("venue_garbage");
    const HostRun r =
        run_yaml(dir, live_yaml(live_config("production"), dir / "journal.txt", ", behaviour: garbage"));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const json s = summary_json(dir / "out");
    CHECK(s["decision"]["fills"] == 0);
    CHECK(s["decision"]["venue_unknown_reports"].get<size_t>() > 0);
    CHECK_THAT(r.err, Catch::Contains("not a fill; ignored"));
  }
  {
    ScratchDir dir("venue_fail");
    const HostRun r =
        run_yaml(dir, live_yaml(live_config("production"), dir / "journal.txt", ", behaviour: fail"));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains("failed (SH_ERR_INTERNAL); the order is rejected"));
    size_t rejected = 0;
    for (const json& l : order_lines(dir / "out")) {
      if (l["state"] == "rejected") {
        ++rejected;
        CHECK(l["reason"] == "venue_unavailable");
      }
    }
    CHECK(rejected == submits(dir / "journal.txt").size());
    CHECK(rejected > 0);
  }
}

TEST_CASE("reconciliation: a venue whose positions differ halts a restarted host when told to",
          "[run][venue]") {
  ScratchDir dir("venue_reconcile_halt");
  // A first production session trades on the live test venue (which keeps
  // no book across processes, like an exchange account reset under us).
  const HostRun r1 = run_yaml(dir, live_yaml(live_config("production"), dir / "journal1.txt"));
  INFO(r1.err);
  REQUIRE(r1.exit_code == 0);
  REQUIRE(summary_json(dir / "out")["decision"]["fills"].get<uint64_t>() > 0);

  // Restarted with on_mismatch: halt, on a later input: the host holds
  // positions the venue does not; it says which and trades no more.
  DecisionConfig cfg = live_config("production");
  cfg.execution_extra += ", reconcile: {on_mismatch: halt}";
  const HostRun r2 = run_yaml(dir, live_yaml(cfg, dir / "journal2.txt"));
  INFO(r2.err);
  REQUIRE(r2.exit_code == 0);
  CHECK_THAT(r2.err, Catch::Contains("reconciliation: BTC position: host "));
  CHECK_THAT(r2.err, Catch::Contains("found differences: trading halted"));
  const json s = summary_json(dir / "out");
  CHECK(s["decision"]["reconcile_mismatches"].get<uint64_t>() > 0);
  CHECK(submits(dir / "journal2.txt").empty());
}

TEST_CASE("reconciliation runs every interval_minutes and finds the paper venue in agreement",
          "[run][venue]") {
  DecisionConfig cfg;
  cfg.execution_extra = ", reconcile: {interval_minutes: 30, on_mismatch: halt}";
  ScratchDir dir("venue_reconcile_interval");
  const HostRun r = run_decision(dir, cfg);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json s = summary_json(dir / "out");
  CHECK(s["decision"]["reconciliations"] == 1 + 360 / 30);
  CHECK(s["decision"]["reconcile_mismatches"] == 0);
  CHECK(s["decision"]["fills"].get<uint64_t>() > 10);
  CHECK_THAT(r.err, Catch::Contains("reconciliation (interval) with venue 'venue'"));
}

TEST_CASE("kill -9 with an order in flight to a live venue: the restart never sends it again",
          "[run][venue]") {
  ScratchDir dir("venue_kill9_inflight");
  const fs::path journal = dir / "journal.txt";
  // Each submit journals its order, then takes 300 ms: killed as soon as the
  // 4th order is journalled, the host dies with that order at the venue and
  // its minute not committed.
  write_file(dir / "host.yaml", live_yaml(live_config("production"), journal, ", delay_ms: 300"));
  BackgroundHost h = start_host({"--config", (dir / "host.yaml").string()}, dir.path(), "first");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  size_t seen = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    seen = submits(journal).size();
    if (seen >= 4) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  REQUIRE(seen >= 4);
  REQUIRE(::kill(h.pid, SIGKILL) == 0);
  REQUIRE(wait_host(h) == 128 + SIGKILL);
  const auto before = submits(journal);

  // Restart on the same state, same input, a venue that answers at once
  // (the ack timeout, in wall time for a live venue, short enough to pass).
  DecisionConfig again = live_config("production");
  again.execution_extra += ", ack_timeout_ms: 1";
  write_file(dir / "host.yaml", live_yaml(again, journal));
  const HostRun r = run_host({"--config", (dir / "host.yaml").string()}, dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // submits() fails on any id journalled twice: the in-flight order was not
  // sent again; the re-decided minute found its key.
  INFO("journal:\n" << read_file(journal));
  const auto after = submits(journal);
  CHECK(after.size() > before.size());
  const json s = summary_json(dir / "out");
  CHECK(s["decision"]["orders_duplicate"].get<uint64_t>() >= 1);
  // The host held it as sent but unacknowledged: reconciliation says so, and
  // it expires at the ack timeout with a cancel sent to the venue.
  CHECK_THAT(r.err, Catch::Contains("is working at the host but unknown to venue 'venue'"));
  CHECK(s["decision"]["ack_timeouts"].get<uint64_t>() >= 1);
}

TEST_CASE("reconciliation with on_mismatch adopt takes the venue's positions and trades on",
          "[run][venue]") {
  ScratchDir dir("venue_reconcile_adopt");
  const HostRun r1 = run_yaml(dir, live_yaml(live_config("production"), dir / "journal1.txt"));
  INFO(r1.err);
  REQUIRE(r1.exit_code == 0);
  const BrokerRecords before = read_broker_records(dir / "state");
  REQUIRE(before.error.empty());
  REQUIRE_FALSE(before.positions.empty());

  DecisionConfig cfg = live_config("production");
  cfg.execution_extra += ", reconcile: {on_mismatch: adopt}";
  cfg.providers = long_session_providers_yaml(dir);
  const HostRun r2 = run_yaml(dir, live_yaml(cfg, dir / "journal2.txt"));
  INFO(r2.err);
  REQUIRE(r2.exit_code == 0);
  CHECK_THAT(r2.err, Catch::Contains("position adopted from the venue"));
  CHECK_THAT(r2.err, Catch::Contains("the venue's orders and positions adopted"));
  // Trading went on, from the venue's (flat) book.
  CHECK_FALSE(submits(dir / "journal2.txt").empty());
  const json s = summary_json(dir / "out");
  CHECK(s["decision"]["reconcile_mismatches"].get<uint64_t>() >= before.positions.size());
  CHECK(s["decision"]["fills"].get<uint64_t>() > 0);
}
