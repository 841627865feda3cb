// Emergency reduce (issue 20 item 2, runbook 002 "auto-reduce positions"):
// at the emergency VaR level the host sends reducing orders through the
// paper broker down to the target, names the reason in decisions.jsonl, and
// stops once VaR is back under the limit. Through the real host binary.
#include <catch2/catch.hpp>

#include "decision/emergency_reduce.h"
#include "services/symbol_table.h"
#include "test_run_decision_support.h"

using namespace sh_test;
using nlohmann::json;

namespace {

// Large orders on a small account and no risk policy: the host's parametric
// VaR climbs past the 2.5 % emergency level within the sample session.
DecisionConfig high_var_config() {
  DecisionConfig cfg;
  cfg.initial_cash_usd = 20000;
  cfg.order_notional_usd = 10000;
  return cfg;
}

std::vector<json> reduce_lines(const std::vector<json>& decisions) {
  std::vector<json> out;
  for (const json& d : decisions) {
    if (d.value("action", "") == "reduce") out.push_back(d);
  }
  return out;
}

}  // namespace

TEST_CASE("emergency reduce: above the emergency VaR the host sends reducing orders until VaR is "
          "back under the limit",
          "[run][risk][var_reduce]") {
  ScratchDir dir("run_var_reduce");
  const HostRun r = run_decision(dir, high_var_config());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json s = summary_json(dir / "out");
  const auto reduces = reduce_lines(read_decisions(dir / "out"));
  REQUIRE_FALSE(reduces.empty());
  CHECK(s["decision"]["var_reduce_orders"].get<uint64_t>() == reduces.size());
  CHECK(s["decision"]["var_reduce_minutes"].get<uint64_t>() > 0);

  // Each line names the reason, the VaR, the target and the order; the first
  // minute of an episode is above the emergency level, later ones above the
  // target (still reducing), never at or below it.
  std::set<int64_t> minutes;
  for (const json& d : reduces) {
    INFO(d.dump());
    CHECK(d["reason"] == "VAR_LIMIT");
    CHECK(d["target_var_pct"].get<double>() == 2.0);
    CHECK(d["var_pct"].get<double>() > 2.0);
    CHECK(d["detail"].get<std::string>().find("reduce") != std::string::npos);
    CHECK(d["order"]["status"] == "accepted");
    CHECK(d["order"]["idempotency_key"].get<std::string>().rfind("var_reduce/", 0) == 0);
    const double f = d["fraction"].get<double>();
    CHECK(f == Approx(1.0 - 2.0 / d["var_pct"].get<double>()));
    minutes.insert(d["minute_ts_ns"].get<int64_t>());
  }
  CHECK(reduces.front()["var_pct"].get<double>() > 2.5);
  CHECK(r.err.find("emergency reduce: VaR ") != std::string::npos);

  // The reducing orders filled (trades.csv, reason var_reduce) and each
  // shrank its position by the logged fraction without flipping it.
  const auto trades = read_trades(dir / "out");
  std::map<std::string, double> pos;
  size_t reduce_fills = 0;
  for (const auto& t : trades) {
    const double before = pos[t.at("symbol")];
    const double after = std::stod(t.at("position_qty"));
    pos[t.at("symbol")] = after;
    if (t.at("reason") != "var_reduce") continue;
    ++reduce_fills;
    INFO(t.at("idempotency_key"));
    CHECK(std::fabs(after) < std::fabs(before));
    CHECK(after * before >= 0.0);
  }
  CHECK(reduce_fills > 0);
  CHECK(reduce_fills <= reduces.size());

  // It stopped: an "ended" line with the VaR at or under the target, and no
  // reducing order in the minute it ended.
  const size_t at = r.err.find("emergency reduce: ended at ");
  REQUIRE(at != std::string::npos);
  const std::string ended = r.err.substr(at, r.err.find('\n', at) - at);
  INFO(ended);
  const size_t v = ended.find(": VaR ");
  REQUIRE(v != std::string::npos);
  CHECK(std::stod(ended.substr(v + 6)) <= 2.0);
  // Without the reduce, the same session's VaR goes much higher.
  ScratchDir off_dir("run_var_reduce_off");
  DecisionConfig off = high_var_config();
  off.execution_extra = ", emergency_reduce: {enabled: false}";
  const HostRun r_off = run_decision(off_dir, off);
  INFO(r_off.err);
  REQUIRE(r_off.exit_code == 0);
  CHECK(reduce_lines(read_decisions(off_dir / "out")).empty());
  CHECK(summary_json(off_dir / "out")["decision"]["var_pct_max"].get<double>() >
        s["decision"]["var_pct_max"].get<double>());
}

TEST_CASE("emergency reduce in dry-run: the reducing orders are decided and logged, not sent",
          "[run][risk][var_reduce]") {
  // A dry run never opens positions, so seed a book first: a production run
  // leaves its positions in the store, and the dry run starts on it with a
  // lower target.
  ScratchDir dir("run_var_reduce_dry");
  DecisionConfig prod;  // 2,000 USD orders on 100,000: equity stays positive
  prod.mode = "production";
  prod.extra = "state: {durability: process}\n";
  prod.execution_extra = ", emergency_reduce: {enabled: false}";
  const HostRun seeded = run_decision(dir, prod);
  INFO(seeded.err);
  REQUIRE(seeded.exit_code == 0);
  REQUIRE_FALSE(read_broker_records(dir / "state").positions.empty());
  const size_t fills_before = read_trades(dir / "out").size();

  DecisionConfig dry;
  dry.mode = "dry-run";
  dry.providers = shifted_sample_providers_yaml(dir / "next", kSessionNs);
  dry.execution_extra = ", emergency_reduce: {var_pct: 0.02, target_var_pct: 0.01}";
  const HostRun r = run_decision(dir, dry);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto reduces = reduce_lines(read_decisions(dir / "out"));
  REQUIRE_FALSE(reduces.empty());
  for (const json& d : reduces) {
    INFO(d.dump());
    CHECK(d["order"]["status"] == "not_submitted");
    CHECK(d["target_var_pct"].get<double>() == 0.01);
  }
  CHECK(r.err.find("decided (dry-run, not sent)") != std::string::npos);
  CHECK(summary_json(dir / "out")["decision"]["var_reduce_orders"] == 0);
  // (The seeding run's last orders fill at the dry run's first bar; no
  // reducing order fills.)
  const auto trades = read_trades(dir / "out");
  CHECK(trades.size() >= fills_before);
  for (const auto& t : trades) CHECK(t.at("reason") != "var_reduce");
  // Nothing was reduced, so the state is still active when the run ends:
  // `host status` says so (and a restart resumes it).
  const HostRun st = run_host({"status", "--config", (dir / "host.yaml").string(), "--format", "json"},
                              dir.path());
  INFO(st.out + st.err);
  REQUIRE(st.exit_code == 0);
  CHECK(json::parse(st.out)["account"]["emergency_reduce"] == true);
  const HostRun text = run_host({"status", "--config", (dir / "host.yaml").string()}, dir.path());
  CHECK(text.out.find("EMERGENCY REDUCE") != std::string::npos);
}

TEST_CASE("emergency reduce settings are checked: the target must be under the emergency level",
          "[run][risk][var_reduce]") {
  ScratchDir dir("run_var_reduce_config");
  DecisionConfig cfg = high_var_config();
  cfg.execution_extra = ", emergency_reduce: {var_pct: 2.0, target_var_pct: 2.5}";
  write_file(dir / "host.yaml", cfg.text());
  const HostRun r = run_host({"--validate-config", "--config", (dir / "host.yaml").string()}, dir.path());
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("host.yaml:") != std::string::npos);
  CHECK(r.err.find("execution.emergency_reduce.target_var_pct must be > 0 and below var_pct") !=
        std::string::npos);
  cfg.execution_extra = ", emergency_reduce: {var_pc: 2.0}";
  write_file(dir / "host.yaml", cfg.text());
  const HostRun typo = run_host({"--validate-config", "--config", (dir / "host.yaml").string()}, dir.path());
  CHECK(typo.exit_code != 0);
  CHECK(typo.err.find("var_pc") != std::string::npos);
  CHECK(typo.err.find("var_pct") != std::string::npos);  // did you mean
}

namespace {

// A store, a paper broker on it and an EmergencyReduce restored from it: a
// host process's view of the state dir.
struct ReduceProcess {
  explicit ReduceProcess(const sh::host::StateStoreOptions& so) {
    using namespace sh::host;
    REQUIRE(StateStore::open(so, &store).ok());
    REQUIRE(Broker::open(store.get(), &symbols, nullptr, BrokerOptions{}, &broker).ok());
    REQUIRE(reduce.restore(*store).ok());
  }
  // One minute: the VaR of its close, then the reducing orders.
  sh::host::EmergencyReduce::Outcome minute(int64_t ts, double var) {
    sh::host::EmergencyReduce::Outcome out;
    reduce.update(ts, var, *broker);
    REQUIRE(reduce.reduce(ts, var, true, *broker, &lines, &out).ok());
    return out;
  }
  std::unique_ptr<sh::host::StateStore> store;
  sh::host::SymbolTable symbols;
  std::unique_ptr<sh::host::Broker> broker;
  sh::host::EmergencyReduce reduce{sh::host::EmergencyReduceConfig{}};
  std::vector<std::string> lines;
};

}  // namespace

TEST_CASE("emergency reduce state survives a restart: an active reduce resumes from the store",
          "[store][var_reduce]") {
  using namespace sh::host;
  ScratchDir dir("var_reduce_state");
  StateStoreOptions so;
  so.dir = (dir / "state").string();
  {
    ReduceProcess first(so);
    CHECK_FALSE(first.reduce.active());
    const auto out = first.minute(60'000'000'000, 3.0);
    CHECK(first.reduce.active());
    CHECK(out.fraction == Approx(1.0 / 3.0));
    StateTxn txn;
    REQUIRE(first.store->begin_write(&txn).ok());
    REQUIRE(first.reduce.persist(txn).ok());
    REQUIRE(txn.commit().ok());
    first.reduce.on_commit(true);
  }
  ReduceProcess second(so);
  CHECK(second.reduce.active());
  // Between the target and the emergency level it keeps reducing; at the
  // target it ends.
  auto out = second.minute(120'000'000'000, 2.2);
  CHECK(out.reduced);
  CHECK(out.fraction == Approx(1.0 - 2.0 / 2.2));
  out = second.minute(180'000'000'000, 1.9);
  CHECK_FALSE(out.reduced);
  CHECK_FALSE(second.reduce.active());
}
