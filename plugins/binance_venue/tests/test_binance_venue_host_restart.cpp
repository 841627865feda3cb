// binance_venue through the real host binary (host_session.h): a restart
// reconciles with what happened at Binance meanwhile (the start waits for
// the venue's view), a kill -9 with an order in flight never sends it
// twice, and the ack timeout of a network venue runs in wall time.
#include <strategy_host/testing.hpp>

#include <thread>

#include "host_session.h"

using namespace sh::testing;
using namespace host_session;

SH_TEST("restart reconciliation: fills and a cancel made while the host was down are booked before the start compares; no false halt") {
  Session s("restart");
  s.server.rest_orders(true);
  s.stop_wait_ms = 200;  // the stand-in's resting market orders never end
  s.minutes = 60;
  expect(s.run() == 0, "first run\n" + s.log);
  std::vector<fake::FakeOrder> resting;
  for (const auto& o : s.server.orders()) if (o.open()) resting.push_back(o);
  expect(resting.size() >= 3, "orders rest at the stand-in: " + std::to_string(resting.size()));
  // While the host is down: one order fills, one fills in part, one is
  // cancelled by hand. The account's balances move with the fills.
  s.server.fill(resting[0].cid, resting[0].qty, 42000.0);
  s.server.fill(resting[1].cid, resting[1].qty / 4, 42000.0);
  s.server.cancel_by_hand(resting[2].cid);
  const size_t posts_before = s.server.count_requests("POST /api/v3/order");
  // halt: a false mismatch at the start would stop trading.
  s.execution_extra = "reconcile: {on_mismatch: halt, start_wait_ms: 8000}";
  s.minutes = 61;
  expect(s.run() == 0, "second run\n" + s.log);
  expect(s.logged("its view is not ready yet") && s.logged("waiting for it up to 8000 ms"),
         "the start waited for the venue:\n" + s.log.substr(0, 4000));
  expect(s.logged("reconciliation (start): venue 'venue' ready after"), "and said so");
  expect(s.logged("reconciliation (start) with venue 'venue'") && s.logged("the positions agree"),
         "then agreed:\n" + s.log.substr(0, 4000));
  expect(!s.logged("trading halted") && !s.logged("reconciliation: "), "no mismatch, no halt:\n" + s.log.substr(0, 4000));
  std::map<std::string, std::string> by_cid;
  for (const auto& [key, states] : s.lifecycles()) by_cid[binance_venue::binance_client_id(key)] = states;
  auto ends = [](const std::string& states, const std::string& last) {
    return states.size() >= last.size() && states.compare(states.size() - last.size(), last.size(), last) == 0;
  };
  expect(ends(by_cid[resting[0].cid], "acknowledged filled"), "filled while down: " + by_cid[resting[0].cid]);
  expect(ends(by_cid[resting[1].cid], "acknowledged partially_filled"), "part-filled: " + by_cid[resting[1].cid]);
  expect(ends(by_cid[resting[2].cid], "acknowledged canceled"), "cancelled by hand: " + by_cid[resting[2].cid]);
  s.expect_fills_match_venue();
  s.expect_nothing_doubled();
  expect(s.server.count_requests("POST /api/v3/order") >= static_cast<int>(posts_before),
         "the restart sends no order twice (checked per key above)");
}

SH_TEST("kill -9 with an order at Binance and its answer on the way: the restart asks, books its fill once, never sends it again") {
  Session s("kill9");
  s.minutes = 120;
  // Binance takes the first order and fills it; its answer never comes.
  fake::Fault lost;
  lost.hang = true;
  lost.hang_ms = 8000;
  lost.process_first = true;
  s.server.push_fault("POST /api/v3/order", lost);
  const pid_t pid = s.start();
  expect(s.server.wait_for([&] { return !s.server.orders().empty(); }, 8000), "an order reached the stand-in");
  const fake::FakeOrder inflight = s.server.orders().front();
  expect(::kill(pid, SIGKILL) == 0, "kill -9");
  expect(s.wait(pid) == 128 + SIGKILL, "killed");
  expect(s.run() == 0, "restart\n" + s.log);
  expect(s.logged("order(s) restored"), "the venue restored its orders:\n" + s.log.substr(0, 4000));
  // What the restart left on its way at its end is booked by the next start.
  expect(s.settle() == 0, "settling run\n" + s.log);
  expect(s.server.posts_for(inflight.cid) == 1 && s.server.orders_created(inflight.cid) == 1,
         "the in-flight order was never sent again");
  std::string key;
  for (const auto& [k, states] : s.lifecycles())
    if (binance_venue::binance_client_id(k) == inflight.cid) key = k;
  expect(!key.empty(), "the host knows the in-flight order's key (committed before the send)");
  double booked = 0;
  int rows = 0;
  for (const TradeRow& t : s.trades())
    if (t.key == key) {
      booked += t.qty;
      ++rows;
    }
  expect(rows == 1 && std::fabs(booked - inflight.exec) < 1e-12, "its fill booked once: " + std::to_string(rows));
  s.expect_fills_match_venue();
  s.expect_nothing_doubled();
}

SH_TEST("ack timeout of a network venue in wall time: a replay far faster than the clock expires nothing Binance answers in time") {
  Session s("ackwall");
  s.minutes = 120;
  // 120 replayed minutes pass in about a second of wall time: on the host
  // clock every order would be minutes old at the next close.
  s.ack_timeout_ms = 5000;
  expect(s.run() == 0, "host exit\n" + s.log);
  const json sum = s.summary();
  expect(sum["decision"]["ack_timeouts"] == 0, "no ack timeout:\n" + s.log.substr(0, 3000));
  expect(!s.logged("not acknowledged within"), "none logged");
  expect(sum["decision"]["fills"].get<int>() > 0, "orders filled");
  s.expect_nothing_doubled();
}

SH_TEST("ack timeout of a network venue in wall time: an order Binance does not answer expires after ack_timeout_ms and is cancelled") {
  Session s("ackwall-late");
  s.minutes = 240;
  s.ack_timeout_ms = 300;
  s.execution_extra = "reconcile: {interval_minutes: 1}";
  s.server.set_delay("GET /api/v3/account", 20);  // the host stays up a few seconds
  // The first order's answer takes 1.5 s (then it fills); the worker waits
  // for it, so the orders behind it wait too.
  s.server.set_delay("POST /api/v3/order", 1500);
  expect(s.run() == 0, "host exit\n" + s.log);
  const json sum = s.summary();
  expect(sum["decision"]["ack_timeouts"].get<int>() >= 1, "expired:\n" + s.log.substr(0, 3000));
  expect(s.logged("not acknowledged within 300 ms: expired at the host, cancel sent"), "logged");
  size_t expired = 0;
  for (const Transition& t : s.transitions()) expired += t.state == "expired" && t.reason == "ack_timeout";
  expect(expired == sum["decision"]["ack_timeouts"].get<size_t>(), "orders.jsonl: expired ack_timeout");
  s.expect_nothing_doubled();
}
