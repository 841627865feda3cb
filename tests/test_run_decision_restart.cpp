// [run][paper] The decision layer's state across host processes, through the
// real binary in a persistent mode (production: the store is kept, outputs
// are appended): a host SIGKILLed in the middle of a session and restarted
// ends where an uninterrupted host ends, with no order filled twice; and the
// kill switch file stops a whole session and, once removed, the next session
// trades again on the same store.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "test_run_decision_support.h"

using namespace sh_test;
using nlohmann::json;

TEST_CASE("kill -9 in the middle of a session, restart: the book ends as if never killed",
          "[run][paper]") {
  ScratchDir data("run_decision_kill9_data");
  const std::string files = long_session_providers_yaml(data);
  const DecisionConfig cfg = production_config(files);

  // The reference: one uninterrupted run.
  ScratchDir ref("run_decision_kill9_ref");
  const HostRun rr = run_decision(ref, cfg);
  INFO(rr.err);
  REQUIRE(rr.exit_code == 0);
  const json ref_summary = summary_json(ref / "out");
  const BrokerRecords ref_book = read_broker_records(ref / "state");
  REQUIRE(ref_book.error.empty());
  const size_t ref_fills = fill_lines(ref);
  REQUIRE(ref_fills >= 30);

  // The same run, SIGKILLed once a third of the reference's trades.csv bytes
  // are written (a file size is cheap to poll every millisecond). Should a
  // run end before it could be killed (the test process starved on a busy
  // machine), it is tried again from an empty state dir.
  ScratchDir dir("run_decision_kill9");
  write_file(dir / "host.yaml", cfg.text());
  const uintmax_t kill_at = fs::file_size(ref / "out/trades.csv") / 3;
  bool killed_mid_run = false;
  for (int attempt = 0; attempt < 3 && !killed_mid_run; ++attempt) {
    fs::remove_all(dir / "state");
    fs::remove_all(dir / "out");
    BackgroundHost h = start_host({"--config", (dir / "host.yaml").string()}, dir.path(), "first");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
    bool ended = false;
    for (;;) {
      std::error_code ec;
      const uintmax_t size = fs::file_size(dir / "out/trades.csv", ec);
      if (!ec && size >= kill_at) break;
      int status = 0;
      if (::waitpid(h.pid, &status, WNOHANG) == h.pid) {
        ended = true;
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (ended) continue;
    REQUIRE(::kill(h.pid, SIGKILL) == 0);
    const int rc = wait_host(h);
    REQUIRE(rc == 128 + SIGKILL);
    killed_mid_run = true;
  }
  REQUIRE(killed_mid_run);
  const size_t first_fills = fill_lines(dir);
  INFO("fills before the kill: " << first_fills << " of " << ref_fills);
  CHECK(first_fills < ref_fills);

  // The store the killed host left opens, and holds a part of the session.
  const BrokerRecords killed = read_broker_records(dir / "state");
  REQUIRE(killed.error.empty());
  CHECK(killed.account["last_minute_ts_ns"].get<int64_t>() <
        ref_book.account["last_minute_ts_ns"].get<int64_t>());
  CHECK(!killed.orders.empty());

  // Restart on the same state dir, same config, same input from its start.
  const HostRun r2 = run_host({"--config", (dir / "host.yaml").string()}, dir.path());
  INFO(r2.err);
  REQUIRE(r2.exit_code == 0);
  const json s = summary_json(dir / "out");
  // The restart caught up on the minutes the store had without deciding
  // them again, then traded on from where the killed host stopped.
  CHECK(r2.err.find("decision layer: the store has decided up to minute") != std::string::npos);
  CHECK(s["decision"]["orders_duplicate"] == 0);
  CHECK(s["decision"]["orders_accepted"].get<uint64_t>() > 0);
  CHECK(s["decision"]["intents"].get<uint64_t>() < ref_summary["decision"]["intents"].get<uint64_t>());

  // Cash, realized PnL and equity as in the uninterrupted run.
  for (const char* k : {"cash_usd", "realized_pnl_usd", "equity_usd"}) {
    INFO(k);
    CHECK(s["decision"][k].get<double>() == Approx(ref_summary["decision"][k].get<double>()).epsilon(1e-12));
  }
  const BrokerRecords book = read_broker_records(dir / "state");
  REQUIRE(book.error.empty());
  for (const char* k : {"cash_usd", "realized_pnl_usd", "peak_equity_usd", "last_minute_ts_ns",
                        "next_order_seq"}) {
    INFO(k);
    CHECK(book.account[k] == ref_book.account[k]);
  }
  // Every position (qty, average price, mark, realized PnL).
  CHECK(book.positions == ref_book.positions);
  // The same orders under the same keys, each filled once at the same price.
  CHECK(book.orders.size() == ref_book.orders.size());
  for (const auto& [key, order] : ref_book.orders) {
    INFO(key);
    auto it = book.orders.find(key);
    REQUIRE(it != book.orders.end());
    CHECK(it->second == order);
  }

  // trades.csv, appended by both processes: no key twice, each one a fill of
  // the reference run, none missing (the feeds are written ahead of each
  // commit and trimmed back to the store at the restart).
  std::set<std::string> ref_keys;
  for (const auto& t : read_trades(ref / "out")) ref_keys.insert(t.at("idempotency_key"));
  std::set<std::string> seen;
  for (const auto& t : read_trades(dir / "out")) {
    const std::string& key = t.at("idempotency_key");
    INFO(key);
    CHECK(seen.insert(key).second);
    CHECK(ref_keys.count(key) == 1);
  }
  CHECK(seen.size() == ref_keys.size());
  CHECK(read_file(dir / "out/trades.csv") == read_file(ref / "out/trades.csv"));
  CHECK(read_file(dir / "out/decisions.jsonl") == read_file(ref / "out/decisions.jsonl"));
  // Every order transition once (the venue's book restored with the store):
  // no order sent twice, none lost.
  CHECK(read_file(dir / "out/orders.jsonl") == read_file(ref / "out/orders.jsonl"));
  const auto csv = lines(read_file(dir / "out/trades.csv"));
  CHECK(csv.front() == lines(read_file(ref / "out/trades.csv")).front());
  CHECK(std::count(csv.begin(), csv.end(), csv.front()) == 1);  // the restart added no header

  // A third run over the same input on the same store: everything is caught
  // up, nothing is decided or filled again, the book is unchanged.
  const std::string trades_before = read_file(dir / "out/trades.csv");
  const HostRun r3 = run_host({"--config", (dir / "host.yaml").string()}, dir.path());
  INFO(r3.err);
  REQUIRE(r3.exit_code == 0);
  const json s3 = summary_json(dir / "out");
  CHECK(s3["decision"]["intents"] == 0);
  CHECK(s3["decision"]["fills"] == 0);
  CHECK(read_file(dir / "out/trades.csv") == trades_before);
  const BrokerRecords again = read_broker_records(dir / "state");
  REQUIRE(again.error.empty());
  CHECK(again.positions == book.positions);
  CHECK(again.orders == book.orders);
  CHECK(again.account == book.account);
}

TEST_CASE("kill switch: engaged for a whole session and logged, removed: the next session trades",
          "[run][paper]") {
  ScratchDir dir("run_decision_kill_switch");
  const fs::path kill = dir / "state/KILL_SWITCH";
  write_file(kill, "maintenance\n");
  auto config_for = [&](const std::string& providers) {
    DecisionConfig cfg = production_config(providers);
    cfg.risk = "  - {name: kill_switch, plugin: kill_switch, config: {path: '" + kill.string() + "'}}\n" +
               cfg.risk;
    return cfg;
  };

  // Session 1 (the sample), file present from the start.
  const HostRun r1 = run_decision(dir, config_for(sample_providers_yaml()));
  INFO(r1.err);
  REQUIRE(r1.exit_code == 0);
  CHECK(r1.err.find("[kill_switch] kill switch engaged: " + kill.string()) != std::string::npos);
  json s = summary_json(dir / "out");
  const uint64_t intents1 = s["decision"]["intents"].get<uint64_t>();
  CHECK(intents1 > 0);
  CHECK(s["decision"]["denied"]["KILL_SWITCH"] == intents1);
  CHECK(s["decision"]["fills"] == 0);
  size_t lines1 = 0;
  for (const json& d : intent_lines(read_decisions(dir / "out"))) {
    INFO(d.dump());
    CHECK(d["final"]["status"] == "denied");
    CHECK(d["final"]["reason"] == "KILL_SWITCH");
    CHECK(d["final"]["code"] == 423);
    CHECK(policy_verdict(d, "kill_switch")["detail"].get<std::string>().find(kill.string()) !=
          std::string::npos);
    ++lines1;
  }
  CHECK(lines1 == intents1);
  CHECK(read_trades(dir / "out").empty());
  const BrokerRecords after1 = read_broker_records(dir / "state");
  REQUIRE(after1.error.empty());
  CHECK(after1.orders.empty());
  CHECK(after1.positions.empty());

  // Session 2 (the same market 6 h later) on the same store, file removed.
  fs::remove(kill);
  ScratchDir data("run_decision_kill_switch_data");
  const HostRun r2 = run_decision(dir, config_for(shifted_sample_providers_yaml(data.path(), kSessionNs)));
  INFO(r2.err);
  REQUIRE(r2.exit_code == 0);
  CHECK(r2.err.find("kill switch engaged") == std::string::npos);
  s = summary_json(dir / "out");
  CHECK(s["decision"]["intents"].get<uint64_t>() > 0);
  CHECK(s["decision"]["orders_accepted"].get<uint64_t>() > 0);
  CHECK(s["decision"]["fills"].get<uint64_t>() > 0);
  CHECK(s["decision"]["denied"].value("KILL_SWITCH", uint64_t{0}) == 0);
  // decisions.jsonl keeps session 1's denials and adds session 2's orders.
  size_t denied = 0, accepted = 0;
  for (const json& d : intent_lines(read_decisions(dir / "out"))) {
    const bool second = d["minute_ts_ns"].get<int64_t>() >= 1704153600000000000LL + kSessionNs;
    if (!second) denied += d["final"]["reason"] == "KILL_SWITCH";
    if (second) accepted += d["final"]["status"] == "accepted";
  }
  CHECK(denied == lines1);
  CHECK(accepted == s["decision"]["orders_accepted"].get<uint64_t>());
  const auto trades = read_trades(dir / "out");
  CHECK(trades.size() == s["decision"]["fills"].get<uint64_t>());
  const BrokerRecords after2 = read_broker_records(dir / "state");
  REQUIRE(after2.error.empty());
  CHECK(!after2.orders.empty());
}

TEST_CASE("kill switch touched while the host runs stops new exposure, removed it resumes",
          "[run][paper]") {
  ScratchDir data("run_decision_kill_switch_live_data");
  ScratchDir dir("run_decision_kill_switch_live");
  const fs::path kill = dir / "state/KILL_SWITCH";
  DecisionConfig cfg = production_config(long_session_providers_yaml(data));
  cfg.risk = "  - {name: kill_switch, plugin: kill_switch, config: {path: '" + kill.string() + "'}}\n" +
             cfg.risk;
  write_file(dir / "host.yaml", cfg.text());

  // touch once ~150 fills are out; rm once ~50 more decision lines are; a
  // run that ended before the rm (a starved test process) is tried again.
  bool removed_while_running = false;
  std::string err;
  for (int attempt = 0; attempt < 3 && !removed_while_running; ++attempt) {
    fs::remove_all(dir / "state");
    fs::remove_all(dir / "out");
    BackgroundHost h = start_host({"--config", (dir / "host.yaml").string()}, dir.path(), "host");
    auto wait_for = [&](const fs::path& file, uintmax_t bytes) {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
      while (size_of(file) < bytes && std::chrono::steady_clock::now() < deadline) {
        if (::waitpid(h.pid, nullptr, WNOHANG) == h.pid) {
          h.pid = -1;
          return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      return true;
    };
    bool running = wait_for(dir / "out/trades.csv", 30000);
    if (running) {
      write_file(kill, "incident\n");
      running = wait_for(dir / "out/decisions.jsonl", size_of(dir / "out/decisions.jsonl") + 60000);
    }
    if (running) {
      fs::remove(kill);
      removed_while_running = true;
      CHECK(wait_host(h) == 0);
    } else {
      fs::remove(kill);
      if (h.pid > 0) wait_host(h);
    }
    err = read_file(h.err);
  }
  REQUIRE(removed_while_running);
  INFO(err);
  CHECK(err.find("[kill_switch] kill switch engaged: " + kill.string()) != std::string::npos);
  CHECK(err.find("[kill_switch] kill switch released: " + kill.string() + " removed") !=
        std::string::npos);

  const auto decisions = intent_lines(read_decisions(dir / "out"));
  const auto trades = read_trades(dir / "out");
  const PositionBook book(trades);
  int64_t first = -1, last = -1;
  for (const json& d : decisions) {
    if (d["final"]["reason"] != "KILL_SWITCH") continue;
    const int64_t ts = d["minute_ts_ns"].get<int64_t>();
    if (first < 0) first = ts;
    last = ts;
  }
  REQUIRE(first > 0);
  size_t before = 0, during = 0, after = 0;
  for (const json& d : decisions) {
    const int64_t ts = d["minute_ts_ns"].get<int64_t>();
    INFO(d.dump());
    const bool adds = book.adds_exposure(d);
    if (ts < first || ts > last) {
      CHECK(d["final"]["reason"] != "KILL_SWITCH");
      (ts < first ? before : after) += d["final"]["status"] == "accepted";
    } else if (adds) {
      // The file was there for every batch from the first denial to the last.
      CHECK(d["final"]["status"] == "denied");
      CHECK(d["final"]["reason"] == "KILL_SWITCH");
      CHECK(d["final"]["code"] == 423);
      ++during;
    } else {
      CHECK(policy_verdict(d, "kill_switch")["action"] == "allow");  // reductions pass
    }
  }
  CHECK(before > 0);
  CHECK(during >= 10);
  CHECK(after > 0);  // trading resumed in the same process, no reload
  // No fill while engaged grows a position (adding orders were refused).
  std::map<std::string, double> pos;
  for (const auto& t : trades) {
    const double was = pos[t.at("symbol")];
    const double now = std::stod(t.at("position_qty"));
    pos[t.at("symbol")] = now;
    const int64_t ts = std::stoll(t.at("ts_ns"));
    if (ts <= first || ts > last) continue;
    INFO(t.at("idempotency_key"));
    CHECK(std::fabs(now) < std::fabs(was));
  }
}
