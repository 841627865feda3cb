// binance_venue through the real host binary: host mode production,
// execution.mode live, the shipped sample session replayed from files
// (data/sample), the venue pointed at the local Binance stand-in
// (fake_binance.h). Nothing reaches the internet.
#include <strategy_host/testing.hpp>

#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "host_session.h"

using namespace sh::testing;
using namespace host_session;

SH_TEST("production host, execution.mode live: every order reaches the local Binance signed, once, under its client id") {
  Session session("placement");
  session.minutes = 24 * 60;  // the whole sample session
  fake::FakeBinance& server = session.server;
  const fs::path dir = session.dir;
  const int rc = session.run();
  const std::string err = session.log;
  expect(rc == 0, "host exit " + std::to_string(rc) + "\n" + err);
  expect(err.find(kApiKey) == std::string::npos && err.find(kSecret) == std::string::npos,
         "no key in the host's log");
  expect(server.signature_failures() == 0, "every signature verified");

  // The host's orders (orders.jsonl) against what the server received.
  std::set<std::string> keys;
  std::map<std::string, int> states;
  std::istringstream in(read_text(dir / "out" / "orders.jsonl"));
  for (std::string l; std::getline(in, l);) {
    if (l.empty()) continue;
    const nlohmann::json j = nlohmann::json::parse(l);
    expect(j.contains("key"), "an orders.jsonl line without its key: " + l);
    keys.insert(j.at("key").get<std::string>());
    ++states[j.value("state", "") + (j.value("reason", "").empty() ? "" : "/" + j.value("reason", ""))];
  }
  expect(!keys.empty(), "the host placed orders:\n" + err);
  std::cout << "  orders.jsonl:";
  for (const auto& [st, n] : states) std::cout << " " << st << " " << n;
  std::cout << "\n";
  if (std::getenv("BVEN_SHOW_HOST_LOG")) std::cout << err;
  int posted = 0;
  for (const std::string& key : keys) {
    const std::string cid = binance_venue::binance_client_id(key);
    const int posts = server.posts_for(cid);
    expect(posts <= 1, "order " + key + " POSTed " + std::to_string(posts) + " times");
    expect(server.orders_created(cid) <= 1, "order " + key + " created twice");
    posted += posts;
  }
  expect(posted > 0, "orders reached the server");
  // The replay outruns the network (1249 orders in well under a second):
  // what was filled before the end was booked; the rest stay NEW at the
  // host, never sent, for the next start's reconciliation.
  int filled = 0;
  for (const auto& [st, n] : states) filled += st.rfind("filled", 0) == 0 ? n : 0;
  expect(filled > 0, "fills came back and were booked");
  // The only warnings: sells of what the spot account does not hold, and
  // the host's alerts on the book it builds (a raise is a warning: VAR_HIGH).
  std::istringstream log(err);
  for (std::string l; std::getline(log, l);) {
    expect(l.find("[error]") == std::string::npos, "an error in the host's log: " + l);
    if (l.find("[warning]") != std::string::npos)
      expect(l.find("insufficient") != std::string::npos || l.find("[warning] alert ") != std::string::npos,
             "an unexpected warning: " + l);
  }
  // Nothing reached the server that the host did not send.
  for (const auto& o : server.orders()) {
    bool ours = false;
    for (const std::string& key : keys) ours = ours || binance_venue::binance_client_id(key) == o.cid;
    expect(ours, "the server got an order the host never placed: " + o.cid);
  }
  // A restart on the same state: the orders the venue's durable state holds
  // (working, or queued when the first run ended) come back under the
  // host's keys and are asked about; nothing is sent twice, nothing late.
  const size_t orders_before = server.orders().size();
  const int rc2 = session.run();
  const std::string err2 = session.log;
  expect(rc2 == 0, "second run exit " + std::to_string(rc2) + "\n" + err2);
  expect(err2.find("[error]") == std::string::npos, "no error on restart:\n" + err2.substr(0, 4000));
  expect(err2.find("order(s) restored") != std::string::npos, "the venue restored its orders:\n" + err2.substr(0, 4000));
  expect(err2.find(kApiKey) == std::string::npos && err2.find(kSecret) == std::string::npos, "no key");
  expect(server.orders().size() == orders_before, "no order placed by the restart (nothing new to decide)");
  for (const std::string& key : keys)
    expect(server.posts_for(binance_venue::binance_client_id(key)) <= 1, "order " + key + " sent twice");
}
