// [coinbase][live] The coinbase provider against a local TLS WebSocket
// server playing fixture frames in Coinbase Advanced Trade's documented
// format (tests/data/coinbase/): subscriptions, trades, BBO and the local
// book, de-duplication across a reconnect, a sequence gap.
#include <catch2/catch.hpp>

#include "test_coinbase_support.h"

using namespace sh_test;

TEST_CASE("coinbase subscribes and turns trades, tickers and level2 into events", "[coinbase][live]") {
  TempDir dir;
  WsFixtureServer server(dir.path());
  server.add_session(coinbase_session(4, {"stream.jsonl"}));
  PluginLibrary lib(plugin_path("coinbase"));
  HarnessHost host;
  auto cfg = coinbase_config(server);
  cfg["stop_after_frames"] = 248;
  PluginInstance inst(lib, host, cfg);
  REQUIRE(inst.ok());
  std::vector<sh_market_event> evs;
  CHECK(pump(inst, evs, nullptr) == SH_END_OF_DATA);
  INFO(host.log_text());
  // The four subscribe messages, heartbeats first, one channel each.
  const auto sent = server.client_texts();
  REQUIRE(sent.size() == 4);
  CHECK(nlohmann::json::parse(sent[0]) == nlohmann::json::parse(R"({"type":"subscribe","channel":"heartbeats"})"));
  CHECK(nlohmann::json::parse(sent[3]) ==
        nlohmann::json::parse(R"({"type":"subscribe","product_ids":["BTC-USD","ETH-USD"],"channel":"level2"})"));
  CHECK(count_type(evs, SH_EVENT_TRADE) == 78);
  CHECK(count_type(evs, SH_EVENT_QUOTE) == 74);
  CHECK(host.counter("heartbeats") == 19);
  CHECK(host.counter("subscription_acks") == 4);
  CHECK(host.counter("snapshots_applied") == 2);
  CHECK(host.counter("sequence_gaps") == 0);
  CHECK(host.counter("malformed_frames") == 0);
  // The market_trades snapshot lists 700002 before 700001: emitted in id order.
  std::vector<uint64_t> btc_ids;
  for (const auto& e : evs)
    if (e.type == SH_EVENT_TRADE && host.symbol_name(e.symbol) == "BTC-USD") btc_ids.push_back(e.data.trade.trade_id);
  REQUIRE(btc_ids.size() == 39);
  CHECK(btc_ids[0] == 700001u);
  CHECK(btc_ids[1] == 700002u);
  CHECK(std::is_sorted(btc_ids.begin(), btc_ids.end()));
  // The first book: a snapshot, flagged, 10 levels a side, best first.
  const auto first_l2 = std::find_if(evs.begin(), evs.end(), [](const auto& e) { return e.type == SH_EVENT_L2; });
  REQUIRE(first_l2 != evs.end());
  CHECK(host.symbol_name(first_l2->symbol) == "BTC-USD");
  CHECK(first_l2->flags == SH_EVENT_FLAG_SNAPSHOT);
  CHECK(first_l2->data.l2.level == 0u);
  CHECK(first_l2->data.l2.price == Approx(86999.99));
  CHECK(first_l2->ts_ns == 1767225600005000000LL);
  L2View view;
  for (const auto& e : evs)
    if (e.type == SH_EVENT_L2 && host.symbol_name(e.symbol) == "BTC-USD") view.apply(e);
  CHECK(view.bids.size() == 10);
  CHECK(view.bids.at(0).first == Approx(86999.99));
  CHECK(view.asks.at(0).first == Approx(87000.01));
  // A trade: "side": "BUY" names the maker (trade_side: maker), so a sell hit.
  const auto t = std::find_if(evs.begin(), evs.end(), [&](const auto& e) {
    return e.type == SH_EVENT_TRADE && e.data.trade.trade_id == 700003u;
  });
  REQUIRE(t != evs.end());
  CHECK(t->data.trade.side == SH_SIDE_BUY);  // step 0 is a SELL maker: a buyer took it
  CHECK(t->ts_ns == 1767225600100000000LL);
  CHECK(t->recv_ts_ns > t->ts_ns);
  const auto q = std::find_if(evs.begin(), evs.end(), [](const auto& e) { return e.type == SH_EVENT_QUOTE; });
  REQUIRE(q != evs.end());
  CHECK(q->data.quote.bid < q->data.quote.ask);
  CHECK(q->data.quote.bid_size == Approx(1.0));
  std::map<sh_symbol_id, int64_t> last;
  for (const auto& e : evs) {
    CHECK(e.ts_ns >= last[e.symbol]);
    last[e.symbol] = e.ts_ns;
  }
  CHECK(host.counter("connections") == 1);
  CHECK(host.logs_containing("connected to 127.0.0.1") == 1);
}

TEST_CASE("coinbase drops trades repeated by the snapshot after a reconnect", "[coinbase][live]") {
  TempDir dir;
  WsFixtureServer server(dir.path());
  WsScript a = coinbase_session(2, {"reconnect_a.jsonl"});
  a.push_back(drop());
  server.add_session(a);
  server.add_session(coinbase_session(2, {"reconnect_b.jsonl"}));
  PluginLibrary lib(plugin_path("coinbase"));
  HarnessHost host;
  auto cfg = coinbase_config(server, {"BTC-USD"});
  cfg["channels"] = {"market_trades"};
  cfg["stop_after_frames"] = 10;
  PluginInstance inst(lib, host, cfg);
  REQUIRE(inst.ok());
  std::vector<sh_market_event> evs;
  CHECK(pump(inst, evs, nullptr) == SH_END_OF_DATA);
  INFO(host.log_text());
  CHECK(host.counter("reconnects") == 1);
  CHECK(host.counter("trades_duplicate") == 3);
  std::vector<uint64_t> ids;
  for (const auto& e : evs)
    if (e.type == SH_EVENT_TRADE) ids.push_back(e.data.trade.trade_id);
  CHECK(ids == std::vector<uint64_t>{101, 102, 103, 104, 105, 106, 107});
  // Without level2 the loss between the sessions flags the next event.
  const auto t106 = std::find_if(evs.begin(), evs.end(), [](const auto& e) { return e.data.trade.trade_id == 106u; });
  REQUIRE(t106 != evs.end());
  CHECK((t106->flags & SH_EVENT_FLAG_GAP) != 0);
  CHECK(server.client_texts().size() == 4);  // subscribed again on the new connection
}

TEST_CASE("coinbase detects a sequence gap, resubscribes level2 and flags the new book", "[coinbase][live]") {
  TempDir dir;
  WsFixtureServer server(dir.path());
  WsScript s = coinbase_session(2, {"gap.jsonl"});
  s.push_back(await_texts(4));  // the client's unsubscribe + subscribe level2
  append_sends(s, coinbase_lines("gap_resync.jsonl"));
  server.add_session(s);
  PluginLibrary lib(plugin_path("coinbase"));
  HarnessHost host;
  auto cfg = coinbase_config(server, {"BTC-USD"});
  cfg["channels"] = {"level2"};
  cfg["stop_after_frames"] = 9;
  PluginInstance inst(lib, host, cfg);
  REQUIRE(inst.ok());
  std::vector<sh_market_event> evs;
  CHECK(pump(inst, evs, nullptr) == SH_END_OF_DATA);
  INFO(host.log_text());
  CHECK(host.counter("sequence_gaps") == 1);
  CHECK(host.counter("book_resyncs") == 1);
  CHECK(host.counter("snapshot_requests") == 1);
  CHECK(host.counter("snapshots_applied") == 2);
  CHECK(host.counter("l2_updates_unsynced") == 1);  // the update that came with the gap
  CHECK(host.logs_containing("sequence gap: expected sequence_num 5, got 8") == 1);
  const auto sent = server.client_texts();
  REQUIRE(sent.size() == 4);
  CHECK(nlohmann::json::parse(sent[2])["type"] == "unsubscribe");
  CHECK(nlohmann::json::parse(sent[3])["type"] == "subscribe");
  CHECK(nlohmann::json::parse(sent[3])["channel"] == "level2");
  std::vector<uint32_t> snapshot_flags;
  for (const auto& e : evs)
    if (e.flags & SH_EVENT_FLAG_SNAPSHOT) snapshot_flags.push_back(e.flags);
  CHECK(snapshot_flags == std::vector<uint32_t>{SH_EVENT_FLAG_SNAPSHOT, SH_EVENT_FLAG_SNAPSHOT | SH_EVENT_FLAG_GAP});
  L2View view;
  for (const auto& e : evs) view.apply(e);
  CHECK(view.bids.at(0).first == Approx(87000.49));  // the new book plus its update
  CHECK(view.bids.at(0).second == Approx(4.0));
}
