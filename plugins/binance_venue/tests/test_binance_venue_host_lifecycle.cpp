// binance_venue through the real host binary (host_session.h): partial
// fills, rejects, cancels and a user-data stream dropped and restored, each
// checked where a user looks (orders.jsonl, trades.csv, the log, the
// stand-in's count of what it received).
#include <strategy_host/testing.hpp>

#include <thread>

#include "host_session.h"

using namespace sh::testing;
using namespace host_session;

namespace {

size_t count_lifecycles(const std::map<std::string, std::string>& all, const std::string& states) {
  size_t n = 0;
  for (const auto& [key, s] : all) n += s == states ? 1 : 0;
  return n;
}

std::string describe(const std::map<std::string, std::string>& all) {
  std::map<std::string, int> n;
  for (const auto& [key, s] : all) ++n[s];
  std::string out;
  for (const auto& [s, c] : n) out += "\n  " + std::to_string(c) + " x " + s;
  return out;
}

}  // namespace

SH_TEST("partial fills: orders walk two levels; orders.jsonl goes new, acknowledged, partially_filled, filled; trades.csv books each fill once") {
  Session s("partial");
  s.server.fill_in_parts(2);
  expect(s.run() == 0, "host exit\n" + s.log);
  // The replay outruns the network: what was still on its way at the end is
  // asked about by the next start, which waits for the answers before it
  // reconciles, and books them.
  expect(s.settle() == 0, "second run\n" + s.log);
  const auto life = s.lifecycles();
  const size_t walked = count_lifecycles(life, "new acknowledged partially_filled filled");
  expect(walked >= 3, "orders filled in two parts:" + describe(life));
  std::map<std::string, std::vector<TradeRow>> fills;
  for (const TradeRow& t : s.trades()) fills[t.key].push_back(t);
  for (const auto& [key, states] : life) {
    if (states != "new acknowledged partially_filled filled") continue;
    expect(fills[key].size() == 2, key + ": " + std::to_string(fills[key].size()) + " fills in trades.csv");
    expect(fills[key][0].price != fills[key][1].price, key + ": the second level's price");
  }
  // Every fill the stand-in executed is booked once: the POST answer and
  // the stream both carried it.
  s.expect_fills_match_venue();
  s.expect_nothing_doubled();
  expect(s.logged("reconciliation (start) with venue 'venue'"), "the restart reconciled:\n" + s.log);
}

SH_TEST("rejects: an account without funds; every order REJECTED insufficient_funds once, never retried, nothing booked") {
  Session s("reject");
  s.server.set_balance("USDT", 0.0);
  s.minutes = 120;
  expect(s.run() == 0, "host exit\n" + s.log);
  const std::string first_log = s.log;
  expect(s.settle() == 0, "second run\n" + s.log);
  // The settling run's own minute may leave its refusals on their way.
  auto life = s.lifecycles();
  for (auto it = life.begin(); it != life.end();)
    it = it->first.find(s.last_minute_tag()) != std::string::npos ? life.erase(it) : std::next(it);
  expect(!life.empty(), "the host placed orders");
  const std::vector<Transition> all = s.transitions();
  size_t rejected = 0;
  for (const Transition& t : all) {
    if (t.state != "rejected" || life.count(t.key) == 0) continue;
    ++rejected;
    // A never-sent order rejected by the restart (venue_unavailable) is
    // the only other reason.
    expect(t.reason == "insufficient_funds" || t.reason == "venue_unavailable", t.key + ": " + t.reason);
  }
  expect(rejected == life.size(), "every order rejected:" + describe(life));
  expect(count_lifecycles(life, "new rejected") == life.size(), "straight from NEW:" + describe(life));
  expect(s.trades().empty(), "nothing booked");
  expect(s.server.orders().empty(), "the stand-in created no order");
  expect(s.server.count_requests("POST /api/v3/order") >= 1, "orders were sent");
  expect(first_log.find("rejected order") != std::string::npos &&
             first_log.find("insufficient_funds - Binance HTTP 400 code -2010") != std::string::npos,
         "the host's log names the reason:\n" + first_log.substr(0, 3000));
  s.expect_nothing_doubled();
}

SH_TEST("rejects: a wrong secret (-1022) stops the start with a clear message; nothing is sent, the secret never printed") {
  Session s("badsecret");
  ::setenv("BVEN_HOST_TEST_SECRET", "not-the-secret", 1);  // the stand-in knows the real one
  expect(s.run() != 0, "the host refuses to trade on keys Binance refuses:\n" + s.log);
  expect(s.logged("query_orders failed") && s.logged("code -1022 (unauthorized) Signature for this request is not valid"),
         "the start's reconciliation names the refusal:\n" + s.log.substr(0, 3000));
  expect(s.server.count_requests("POST /api/v3/order") == 0, "no order sent");
  expect(s.log.find("not-the-secret") == std::string::npos && s.log.find(kApiKey) == std::string::npos,
         "no key in the log");
}

SH_TEST("rejects: a key without trading permission (-2015 on the order) halts trading at the first refusal") {
  Session s("unauthorized");
  s.minutes = 120;
  s.server.push_fault("POST /api/v3/order",
                      fake::http_error(401, -2015, "Invalid API-key, IP, or permissions for action."));
  expect(s.run() == 0, "host exit\n" + s.log);
  expect(s.logged("refused the host's credentials (401 unauthorized)") && s.logged("trading halted"),
         "halted with a clear message:\n" + s.log.substr(0, 3000));
  const std::string first = s.server.requests().empty() ? "" : s.server.requests().front();
  size_t unauthorized = 0;
  for (const Transition& t : s.transitions()) unauthorized += t.reason == "unauthorized" ? 1 : 0;
  expect(unauthorized == 1, "the refused order: " + std::to_string(unauthorized));
  // Orders the venue had before the refusal came back still went out; none
  // decided after the halt did.
  const json sum = s.summary();
  expect(sum["decision"]["orders_refused"].get<int>() > 0, "later orders refused at the host (423)");
  expect(s.server.count_requests("POST /api/v3/order") < 10,
         std::to_string(s.server.count_requests("POST /api/v3/order")) + " POSTs");
  s.expect_nothing_doubled();
}

SH_TEST("cancel: host trade stop cancels the orders resting at Binance; each DELETE once, orders.jsonl ends canceled") {
  Session s("cancel");
  s.server.rest_orders(true);  // nothing fills: the buys rest
  s.minutes = 60;
  s.stop_wait_ms = 200;  // they rest for good
  expect(s.run() == 0, "first run\n" + s.log);
  std::vector<std::string> resting;
  for (const auto& o : s.server.orders()) if (o.open()) resting.push_back(o.cid);
  expect(resting.size() >= 2, "orders rest at the stand-in: " + std::to_string(resting.size()));
  // Runbook 003: stop. Applied at the next minute of the next run, which
  // stays alive long enough (a slow account query each minute) for the
  // cancels to come back.
  s.trade("stop");
  s.minutes = 100;
  s.stop_wait_ms = -1;  // the end waits for the cancels' answers (execution.stop_wait_ms)
  s.execution_extra = "reconcile: {interval_minutes: 1}";
  s.server.set_delay("GET /api/v3/account", 150);
  const size_t posts_before = s.server.count_requests("POST /api/v3/order");
  expect(s.run() == 0, "second run\n" + s.log);
  for (const auto& o : s.server.orders()) expect(!o.open(), "still open at the stand-in: " + o.cid);
  expect(s.server.count_requests("DELETE /api/v3/order") == static_cast<int>(resting.size()),
         "one DELETE per resting order");
  expect(s.server.count_requests("POST /api/v3/order") == static_cast<int>(posts_before),
         "nothing new sent while stopped");
  const std::set<std::string> was_resting(resting.begin(), resting.end());
  size_t canceled = 0;
  for (const Transition& t : s.transitions()) {
    if (t.state != "canceled") continue;
    expect(t.reason == "emergency_stop", t.key + " canceled for " + t.reason);
    const std::string cid = binance_venue::binance_client_id(t.key);
    if (was_resting.count(cid) != 0) {
      ++canceled;
    } else {  // still queued at the venue when the first run ended: cancelled there, never sent
      expect(s.server.posts_for(cid) == 0, t.key + " canceled but not resting at the stand-in");
    }
  }
  expect(canceled == resting.size(), std::to_string(canceled) + " resting orders canceled in orders.jsonl");
  expect(s.trades().empty(), "nothing filled");
  s.expect_nothing_doubled();
}

SH_TEST("reconnect: the user data stream drops; a fill during the gap is recovered once, later fills flow") {
  Session s("reconnect");
  s.server.rest_orders(true);
  s.stop_wait_ms = 200;
  s.minutes = 240;
  s.execution_extra = "reconcile: {interval_minutes: 1}";
  s.server.set_delay("GET /api/v3/account", 40);  // ~10 s of wall time at most
  const pid_t pid = s.start();
  auto open_orders = [&] {
    std::vector<fake::FakeOrder> out;
    for (const auto& o : s.server.orders()) if (o.open()) out.push_back(o);
    return out;
  };
  expect(s.server.wait_for([&] { return open_orders().size() >= 2 && s.server.live_subscriptions() == 1; }, 8000),
         "two orders rest, the stream is up");
  const auto before = open_orders();
  s.server.drop_streams();
  s.server.fill(before[0].cid, before[0].qty, 42000.0);  // missed by the stream
  expect(s.server.wait_for([&] { return s.server.subscriptions() >= 2 && s.server.live_subscriptions() == 1; }, 8000),
         "the venue resubscribed");
  s.server.fill(before[1].cid, before[1].qty / 2, 42100.0);  // through the restored stream
  expect(s.wait(pid) == 0, "host exit\n" + s.log);
  expect(s.logged("user data stream ended") && s.logged("resubscribed; querying working orders"),
         "the drop and the resync are logged:\n" + s.log.substr(0, 4000));
  std::map<std::string, double> booked;
  std::map<std::string, int> rows;
  for (const TradeRow& t : s.trades()) {
    booked[binance_venue::binance_client_id(t.key)] += t.qty;
    ++rows[binance_venue::binance_client_id(t.key)];
  }
  expect(rows[before[0].cid] == 1 && std::fabs(booked[before[0].cid] - before[0].qty) < 1e-12,
         "the gap's fill booked once");
  expect(rows[before[1].cid] == 1 && std::fabs(booked[before[1].cid] - before[1].qty / 2) < 1e-12,
         "the later partial fill booked once");
  s.expect_fills_match_venue();
  s.expect_nothing_doubled();
  const auto life = s.lifecycles();
  for (const auto& [key, states] : life) {
    const std::string cid = binance_venue::binance_client_id(key);
    if (cid == before[0].cid) expect(states.find("filled") != std::string::npos, key + ": " + states);
    if (cid == before[1].cid) expect(states.find("partially_filled") != std::string::npos, key + ": " + states);
  }
}
