// [run][venue] Execution through a venue plugin (ABI 1.4), through the real
// host binary and the real paper_venue plugin: the default config trades
// through it as the built-in broker did, fees reach cash and trades.csv,
// every order's lifecycle is in orders.jsonl, the book-walking mode fills
// against the replayed quotes and L2 deterministically, and a venue
// misconfigured is refused with the line that says so.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <set>

#include "test_run_decision_support.h"

using namespace sh_test;
using nlohmann::json;

namespace {

// The decision config's text with `venue` (a flow mapping) as execution.venue.
std::string with_venue(DecisionConfig cfg, const std::string& venue) {
  cfg.venue = venue;
  return cfg.text();
}

HostRun run_text(const ScratchDir& dir, const std::string& yaml) {
  write_file(dir / "host.yaml", yaml);
  return run_host({"--config", (dir / "host.yaml").string()}, dir.path());
}

std::vector<json> order_lines(const fs::path& out_dir) {
  std::vector<json> out;
  for (const auto& l : lines(read_file(out_dir / "orders.jsonl"))) out.push_back(json::parse(l));
  return out;
}

}  // namespace

TEST_CASE("the default paper venue and an explicit one with the same settings trade alike",
          "[run][venue]") {
  const DecisionConfig cfg;
  ScratchDir a("venue_default");
  const HostRun ra = run_decision(a, cfg);
  INFO(ra.err);
  REQUIRE(ra.exit_code == 0);
  CHECK(ra.err.find("venue 'venue' (plugin paper_venue") != std::string::npos);
  CHECK(ra.err.find("reconciliation (start) with venue 'venue'") != std::string::npos);

  ScratchDir b("venue_explicit");
  const HostRun rb =
      run_text(b, with_venue(cfg, "{name: paper, plugin: paper_venue, config: {slippage_bps: 1}}"));
  INFO(rb.err);
  REQUIRE(rb.exit_code == 0);
  CHECK(rb.err.find("venue 'paper' (plugin paper_venue") != std::string::npos);
  REQUIRE(fill_lines(a) >= 10);
  CHECK(read_file(a / "out/trades.csv") == read_file(b / "out/trades.csv"));
  CHECK(read_file(a / "out/orders.jsonl") == read_file(b / "out/orders.jsonl"));
}

TEST_CASE("venue fees are paid in cash and written per fill, orders.jsonl has every transition",
          "[run][venue]") {
  // Without emergency reduce no order depends on the equity, so the fills
  // with and without fees are the same orders.
  DecisionConfig cfg;
  cfg.execution_extra = ", emergency_reduce: {enabled: false}";
  ScratchDir free_dir("venue_fees_free");
  const HostRun rf = run_text(free_dir, with_venue(cfg, "{plugin: paper_venue, config: {slippage_bps: 1}}"));
  INFO(rf.err);
  REQUIRE(rf.exit_code == 0);
  ScratchDir dir("venue_fees");
  const HostRun r = run_text(
      dir, with_venue(cfg, "{plugin: paper_venue, config: {slippage_bps: 1, taker_fee_bps: 10}}"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);

  // Each fill pays 10 bps of its notional, as a taker.
  const auto trades = read_trades(dir / "out");
  REQUIRE(trades.size() >= 10);
  double fees = 0.0;
  for (const auto& t : trades) {
    INFO(t.at("idempotency_key"));
    const double notional = std::stod(t.at("notional_usd"));
    CHECK(std::stod(t.at("fee_usd")) == Approx(notional * 10.0 / 1e4).epsilon(1e-12));
    CHECK(t.at("liquidity") == "taker");
    fees += std::stod(t.at("fee_usd"));
  }
  // The fills are those of the fee-free run (same keys, same prices); the
  // cash is lower by exactly the fees.
  const auto free_trades = read_trades(free_dir / "out");
  REQUIRE(free_trades.size() == trades.size());
  for (size_t i = 0; i < trades.size(); ++i) {
    CHECK(trades[i].at("idempotency_key") == free_trades[i].at("idempotency_key"));
    CHECK(trades[i].at("price") == free_trades[i].at("price"));
    CHECK(free_trades[i].at("fee_usd") == "0");
  }
  const json s = summary_json(dir / "out");
  const json sf = summary_json(free_dir / "out");
  CHECK(s["decision"]["fees_usd"].get<double>() == Approx(fees).epsilon(1e-9));
  CHECK(sf["decision"]["cash_usd"].get<double>() - s["decision"]["cash_usd"].get<double>() ==
        Approx(fees).epsilon(1e-9));

  // Lifecycle: every order NEW, then ACKNOWLEDGED, then FILLED (or
  // CANCELED), in that order; a filled one has filled_qty == qty.
  std::map<std::string, std::vector<std::string>> states;
  std::map<std::string, json> last;
  for (const json& l : order_lines(dir / "out")) {
    states[l["key"]].push_back(l["state"]);
    last[l["key"]] = l;
  }
  REQUIRE(states.size() >= trades.size());
  std::set<std::string> filled;
  for (const auto& [key, seq] : states) {
    INFO(key);
    REQUIRE(seq.size() >= 2);
    CHECK(seq[0] == "new");
    CHECK(seq[1] == "acknowledged");
    const std::string& end = seq.back();
    CHECK((end == "filled" || end == "canceled" || end == "acknowledged"));
    if (end == "filled") {
      filled.insert(key);
      CHECK(last[key]["filled_qty"] == last[key]["qty"]);
      CHECK(last[key]["venue_order_id"].get<std::string>().rfind("pv-", 0) == 0);
    }
  }
  std::set<std::string> trade_keys;
  for (const auto& t : trades) trade_keys.insert(t.at("idempotency_key"));
  CHECK(filled == trade_keys);
}

TEST_CASE("the book-walking paper venue fills against the replayed quotes and L2, deterministically",
          "[run][venue]") {
  const DecisionConfig cfg;
  const std::string yaml =
      with_venue(cfg, "{plugin: paper_venue, config: {fill: book, taker_fee_bps: 5}}");
  ScratchDir a("venue_book_a");
  const HostRun ra = run_text(a, yaml);
  INFO(ra.err);
  REQUIRE(ra.exit_code == 0);
  const auto trades = read_trades(a / "out");
  REQUIRE(trades.size() >= 10);
  for (const auto& t : trades) {
    INFO(t.at("idempotency_key"));
    // Filled at a level of the replayed book: the reference is that level's
    // price, so the walk's slippage is at most the walk itself (>= 0).
    CHECK(std::stod(t.at("slippage_bps")) == 0.0);
    CHECK(t.at("liquidity") == "taker");
    CHECK(std::stod(t.at("fee_usd")) > 0.0);
  }
  // The second run commits on the pipeline thread: a venue fed the market
  // events waits for the minute writer's commit, so the fills are the same.
  ScratchDir b("venue_book_b");
  const HostRun rb = run_text(b, yaml + "state:\n  commit_thread: false\n");
  INFO(rb.err);
  REQUIRE(rb.exit_code == 0);
  CHECK(read_file(a / "out/trades.csv") == read_file(b / "out/trades.csv"));
  CHECK(read_file(a / "out/orders.jsonl") == read_file(b / "out/orders.jsonl"));
  CHECK(read_file(a / "out/decisions.jsonl") == read_file(b / "out/decisions.jsonl"));
  // Not the bar fills: the book mode's prices differ from next_open's.
  ScratchDir c("venue_book_bars");
  REQUIRE(run_decision(c, cfg).exit_code == 0);
  CHECK(read_file(a / "out/trades.csv") != read_file(c / "out/trades.csv"));
}

TEST_CASE("a misconfigured venue is refused with the line that says why", "[run][venue]") {
  const DecisionConfig cfg;
  ScratchDir dir("venue_bad");
  {
    // fill and slippage_bps belong to the venue once it is named.
    DecisionConfig both = cfg;
    both.execution_extra = ", fill: mid";
    const HostRun r = run_text(dir, with_venue(both, "{plugin: paper_venue}"));
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains("host.yaml:"));
    CHECK_THAT(r.err, Catch::Contains("execution.fill belongs to the paper venue"));
  }
  {
    const HostRun r = run_text(dir, with_venue(cfg, "{plugin: paper_venue, confg: {}}"));
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains("unknown key 'confg' in execution.venue"));
  }
  {
    // A plugin of another kind.
    const HostRun r = run_text(dir, with_venue(cfg, "{plugin: momentum}"));
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains("component 'venue'"));
    CHECK_THAT(r.err, Catch::Contains("expert"));
  }
  {
    // The venue's own schema.
    const HostRun r =
        run_text(dir, with_venue(cfg, "{plugin: paper_venue, config: {fill: at_random}}"));
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains("config.fill"));
  }
  {
    // How long the start's reconciliation waits for the venue's view.
    DecisionConfig wait = cfg;
    wait.execution_extra = ", reconcile: {start_wait_ms: -1}";
    const HostRun r = run_text(dir, with_venue(wait, "{plugin: paper_venue}"));
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains("execution.reconcile.start_wait_ms must be 0..600000"));
  }
  {
    // How long the end of the input waits for a network venue's answers.
    DecisionConfig wait = cfg;
    wait.execution_extra = ", stop_wait_ms: 900000";
    const HostRun r = run_text(dir, with_venue(wait, "{plugin: paper_venue}"));
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains("execution.stop_wait_ms must be 0..600000"));
    CHECK_THAT(r.err, Catch::Contains("host.yaml:"));  // file:line:col
  }
}

TEST_CASE("host --list-plugins shows the paper venue as a venue", "[run][venue]") {
  ScratchDir dir("venue_list");
  const HostRun r =
      run_host({"--list-plugins", "--json", "--plugin-dir", SH_PLUGIN_DIR}, dir.path());
  REQUIRE(r.exit_code == 0);
  const json doc = json::parse(r.out);
  bool found = false;
  for (const json& j : doc["plugins"]) {
    if (j["name"] == "paper_venue") {
      found = true;
      CHECK(j["kind"] == "venue");
      CHECK(j["status"] == "ok");
      CHECK(j["abi"] == "1.6");
    }
  }
  CHECK(found);
}

TEST_CASE("a dry run on a production store calls no venue: the orders left working stay unfilled",
          "[run][venue]") {
  DecisionConfig cfg;
  cfg.mode = "production";
  ScratchDir dir("venue_dry_after_production");
  const HostRun r1 = run_decision(dir, cfg);
  INFO(r1.err);
  REQUIRE(r1.exit_code == 0);
  const std::string trades = read_file(dir / "out/trades.csv");
  const BrokerRecords book = read_broker_records(dir / "state");
  REQUIRE(book.error.empty());
  size_t working = 0;
  for (const auto& [key, order] : book.orders) working += order["status"] == "acknowledged";
  REQUIRE(working > 0);  // the last minute's orders wait for a next bar

  // The same store, dry-run, on a later input: nothing fills.
  cfg.mode = "dry-run";
  cfg.providers = long_session_providers_yaml(dir);
  const HostRun r2 = run_decision(dir, cfg);
  INFO(r2.err);
  REQUIRE(r2.exit_code == 0);
  CHECK(summary_json(dir / "out")["decision"]["fills"] == 0);
  CHECK(read_file(dir / "out/trades.csv") == trades);
  const BrokerRecords after = read_broker_records(dir / "state");
  CHECK(after.orders == book.orders);  // still working, unfilled
  for (const auto& [name, p] : book.positions) {
    INFO(name);
    CHECK(after.positions.at(name)["qty"] == p["qty"]);
  }
}
