// The broker on real LMDB files in front of the real paper_venue plugin
// (dlopen'd from the build): fills at the next bar open with slippage,
// average-cost PnL to the cent, drawdown and daily PnL across UTC midnight,
// idempotency keys across a reopen and across a SIGKILLed writer, emergency
// stop, flatten, pause, and live mode refused.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "decision/decision_log.h"
#include "decision/order_intent.h"
#include "decision/broker.h"
#include "decision/trading_mode.h"
#include "plugins/plugin_instance.h"
#include "plugins/plugin_library.h"
#include "store/state_store.h"
#include "services/host_services.h"
#include "services/symbol_table.h"

using namespace sh::host;

namespace {

constexpr int64_t kMinuteNs = 60LL * 1000000000;
constexpr int64_t kT0 = 1704153600000000000;  // 2024-01-02T00:00:00Z

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/sh_paper_test_XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

// The paper venue's config for a harness: today's defaults but no slippage.
struct VenueOptions {
  double slippage_bps = 0.0;
  std::string fill = "next_open";
};

// A store, the runtime, the paper venue and a broker, as the pipeline holds
// them. The broker keeps the venue's durable state (its resting orders and
// positions) with the book of record, so a reopen restores both.
struct Harness {
  std::unique_ptr<StateStore> store;
  HostRuntime rt;
  SymbolTable& symbols = rt.symbols;
  std::unique_ptr<PluginInstance> venue;
  std::unique_ptr<Broker> broker;
  std::vector<Fill> fills;  // committed, in order

  Harness(const std::string& dir, BrokerOptions opts = {}, VenueOptions v = {}) {
    StateStoreOptions so;
    so.dir = dir;
    Status st = StateStore::open(so, &store);
    INFO(st.to_string());
    REQUIRE(st.ok());
    auto opened = PluginLibrary::open(std::string(SH_PLUGIN_DIR) + "/libpaper_venue.so");
    INFO(opened.status);
    REQUIRE(opened.status == "ok");
    auto created = PluginInstance::create(
        "venue", opened.library, nlohmann::json{{"slippage_bps", v.slippage_bps}, {"fill", v.fill}}, rt);
    INFO(created.error);
    REQUIRE(created.instance != nullptr);
    venue = std::move(created.instance);
    st = Broker::open(store.get(), &symbols, venue.get(), opts, &broker);
    INFO(st.to_string());
    REQUIRE(st.ok());
  }
  sh_symbol_id id(const char* name) { return symbols.intern(name); }
  void close(int64_t ts, std::vector<BarPrice> bars) {
    REQUIRE(broker->on_minute_close(ts, bars.data(), bars.size()).ok());
  }
  SubmitResult submit(const char* sym, sh_side side, double qty, double price, int64_t ts) {
    sh_order_intent in{};
    in.struct_size = sizeof in;
    in.symbol = id(sym);
    in.side = side;
    in.qty = qty;
    in.price = price;
    in.notional_usd = qty * price;
    in.ts_ns = ts;
    const std::string key = make_idempotency_key(sym, ts, side);
    in.intent_id = intent_id_for_key(key);
    SubmitResult r;
    Status st = broker->submit(in, key, &r);
    INFO(st.to_string());
    REQUIRE(st.ok());
    return r;
  }
  void commit(int64_t ts) {
    MinuteWrite mw;
    mw.minute_ts_ns = ts;
    Status st = store->write_minute(mw, broker->persist_hook());
    INFO(st.to_string());
    REQUIRE(st.ok());
    REQUIRE(broker->on_commit(st).ok());
    for (Fill& f : broker->take_committed_fills()) fills.push_back(std::move(f));
  }
};

BarPrice bar(sh_symbol_id s, double open, double close) {
  return BarPrice{s, open, close, std::nan("")};
}

// Counts orders by status in the store.
std::map<std::string, int> order_statuses(StateStore& store) {
  std::map<std::string, int> out;
  StateTxn txn;
  REQUIRE(store.begin_read(&txn).ok());
  REQUIRE(txn.scan(StateDb::kOrders, "", "", [&](std::string_view, std::string_view v) {
                 const std::string s(v);
                 const auto at = s.find("\"status\":\"");
                 out[s.substr(at + 10, s.find('"', at + 10) - at - 10)]++;
                 return true;
               }).ok());
  return out;
}

}  // namespace

TEST_CASE("paper fills at the next bar open with slippage, PnL to the cent", "[paper]") {
  TempDir dir;
  BrokerOptions opts;
  opts.initial_cash_usd = 100000;
  VenueOptions venue;
  venue.slippage_bps = 25;  // 400 -> 401 for a buy, 800 -> 798 for a sell
  Harness h(dir.path, opts, venue);
  const sh_symbol_id aaa = h.id("AAA");

  h.close(kT0, {bar(aaa, 400, 400)});
  CHECK(h.submit("AAA", SH_SIDE_BUY, 10, 400, kT0).outcome == SubmitOutcome::kAccepted);
  h.commit(kT0);
  CHECK(h.broker->pending_order_count() == 1);
  CHECK(h.broker->position("AAA") == nullptr);  // not before the next bar
  CHECK(h.fills.empty());

  const int64_t t1 = kT0 + kMinuteNs;
  h.close(t1, {bar(aaa, 400, 420)});
  h.commit(t1);
  REQUIRE(h.fills.size() == 1);
  CHECK(h.fills[0].price == 401);
  CHECK(h.fills[0].ref_price == 400);
  const PaperPosition* p = h.broker->position("AAA");
  REQUIRE(p != nullptr);
  CHECK(p->qty == 10);
  CHECK(p->avg_price == 401);
  CHECK(p->mark_price == 420);
  CHECK(p->unrealized_pnl_usd() == 190);
  CHECK(h.broker->cash_usd() == 95990);
  CHECK(h.broker->equity_usd() == 100190);
  CHECK(h.broker->peak_equity_usd() == 100190);
  CHECK(h.broker->drawdown_pct() == 0);

  CHECK(h.submit("AAA", SH_SIDE_SELL, 4, 420, t1).outcome == SubmitOutcome::kAccepted);
  const int64_t t2 = t1 + kMinuteNs;
  h.close(t2, {bar(aaa, 800, 800)});
  h.commit(t2);
  REQUIRE(h.fills.size() == 2);
  CHECK(h.fills[1].price == 798);
  CHECK(h.fills[1].realized_pnl_usd == 1588);  // 4 * (798 - 401)
  CHECK(h.broker->realized_pnl_usd() == 1588);
  CHECK(p->qty == 6);
  CHECK(p->avg_price == 401);
  CHECK(h.broker->unrealized_pnl_usd() == 2394);  // 6 * (800 - 401)
  CHECK(h.broker->cash_usd() == 99182);
  CHECK(h.broker->equity_usd() == 103982);  // 100000 + 1588 + 2394

  // Through zero: sell 10 from +6 closes 6 and opens -4 at the fill price.
  CHECK(h.submit("AAA", SH_SIDE_SELL, 10, 800, t2).outcome == SubmitOutcome::kAccepted);
  const int64_t t3 = t2 + kMinuteNs;
  h.close(t3, {bar(aaa, 400, 400)});
  h.commit(t3);
  REQUIRE(h.fills.size() == 3);
  CHECK(h.fills[2].price == 399);
  CHECK(h.fills[2].realized_pnl_usd == -12);  // 6 * (399 - 401)
  CHECK(p->qty == -4);
  CHECK(p->avg_price == 399);
  CHECK(h.broker->realized_pnl_usd() == 1576);
  CHECK(h.broker->unrealized_pnl_usd() == -4);
  CHECK(h.broker->equity_usd() == 101572);
  CHECK(h.broker->peak_equity_usd() == 103982);
  CHECK(h.broker->drawdown_pct() == Approx((103982.0 - 101572.0) / 103982.0 * 100.0));

  const sh_portfolio_state ps = h.broker->portfolio_state();
  CHECK(ps.struct_size == sizeof(sh_portfolio_state));
  CHECK(ps.position_count == 1);
  CHECK(ps.positions[0].symbol == aaa);
  CHECK(ps.positions[0].qty == -4);
  CHECK(ps.positions[0].notional_usd == -1600);
  CHECK(ps.gross_exposure_usd == 1600);
  CHECK(ps.net_exposure_usd == -1600);
  CHECK(ps.equity_usd == 101572);
  CHECK(ps.cash_usd == 103172);
  CHECK(ps.ts_ns == t3);
  CHECK(std::isnan(ps.var_pct));

  // trades.csv: header once, fixed columns, the runbook's timestamp and pnl.
  const std::string csv = dir.path + "/trades.csv";
  for (int round = 0; round < 2; ++round) {  // reopened: no second header
    std::unique_ptr<TradesCsvFile> f;
    REQUIRE(TradesCsvFile::open(csv, nullptr, &f).ok());
    REQUIRE(f->append(h.fills[static_cast<size_t>(round) + 1]).ok());
    REQUIRE(f->flush().ok());
  }
  std::ifstream in(csv);
  std::stringstream ss;
  ss << in.rdbuf();
  CHECK(ss.str() ==
        std::string(trades_csv_header()) + "\n" +
            "2024-01-02T00:02:00Z,1704153720000000000,AAA,sell,4,798,800,25,3192,1588,6,401,2,"
            "AAA/2024-01-02T00:01:00Z/sell,signal,0,taker\n"
            "2024-01-02T00:03:00Z,1704153780000000000,AAA,sell,10,399,400,25,3990,-12,-4,399,3,"
            "AAA/2024-01-02T00:02:00Z/sell,signal,0,taker\n");
}

TEST_CASE("daily PnL resets at UTC midnight of event time, drawdown from peak", "[paper]") {
  TempDir dir;
  Harness h(dir.path);
  const sh_symbol_id s = h.id("BBB");
  const int64_t midnight = kT0 + 86400LL * 1000000000;  // 2024-01-03T00:00:00Z
  const int64_t t_2358 = midnight - 2 * kMinuteNs;
  const int64_t t_2359 = midnight - kMinuteNs;

  h.close(t_2358, {bar(s, 100, 100)});
  h.submit("BBB", SH_SIDE_BUY, 10, 100, t_2358);
  h.commit(t_2358);
  h.close(t_2359, {bar(s, 100, 90)});
  h.commit(t_2359);
  CHECK(h.broker->equity_usd() == 99900);
  CHECK(h.broker->daily_pnl_usd() == -100);
  CHECK(h.broker->drawdown_pct() == Approx(0.1));

  h.close(midnight, {bar(s, 90, 95)});
  h.commit(midnight);
  CHECK(h.broker->equity_usd() == 99950);
  CHECK(h.broker->daily_pnl_usd() == 50);  // from the 23:59 close, not the day before
  CHECK(h.broker->portfolio_state().daily_pnl_usd == 50);
  CHECK(h.broker->peak_equity_usd() == 100000);
  CHECK(h.broker->drawdown_pct() == Approx(0.05));

  // Restart mid-day: the day's start survives.
  h.broker.reset();
  h.store.reset();
  Harness h2(dir.path);
  CHECK(h2.broker->daily_pnl_usd() == 50);
  CHECK(h2.broker->peak_equity_usd() == 100000);
  CHECK(h2.broker->position("BBB")->qty == 10);
  h2.close(midnight + kMinuteNs, {bar(h2.id("BBB"), 95, 100)});
  CHECK(h2.broker->daily_pnl_usd() == 100);
}

TEST_CASE("an idempotency key is never filled twice, across a reopen", "[paper]") {
  TempDir dir;
  const int64_t t1 = kT0 + kMinuteNs;
  {
    Harness h(dir.path);
    const sh_symbol_id s = h.id("CCC");
    h.close(kT0, {bar(s, 50, 50)});
    CHECK(h.submit("CCC", SH_SIDE_BUY, 2, 50, kT0).outcome == SubmitOutcome::kAccepted);
    auto dup = h.submit("CCC", SH_SIDE_BUY, 2, 50, kT0);  // same minute, same key
    CHECK(dup.outcome == SubmitOutcome::kDuplicate);
    CHECK(dup.http_code == 200);
    h.commit(kT0);
  }
  {
    Harness h(dir.path);  // restart: the order is pending in the store
    CHECK(h.broker->pending_order_count() == 1);
    CHECK(h.submit("CCC", SH_SIDE_BUY, 2, 50, kT0).outcome == SubmitOutcome::kDuplicate);
    h.close(kT0, {bar(h.id("CCC"), 60, 60)});  // a replayed minute: ignored
    CHECK(h.broker->pending_order_count() == 1);
    h.close(t1, {bar(h.id("CCC"), 55, 56)});
    h.commit(t1);
    REQUIRE(h.fills.size() == 1);
    CHECK(h.fills[0].price == 55);
    CHECK(h.broker->position("CCC")->qty == 2);
  }
  {
    Harness h(dir.path);
    CHECK(h.broker->pending_order_count() == 0);
    CHECK(h.submit("CCC", SH_SIDE_BUY, 2, 50, kT0).outcome == SubmitOutcome::kDuplicate);
    h.close(t1 + kMinuteNs, {bar(h.id("CCC"), 70, 70)});
    h.commit(t1 + kMinuteNs);
    CHECK(h.fills.empty());
    CHECK(h.broker->position("CCC")->qty == 2);
    CHECK(h.broker->cash_usd() == 100000 - 110);
    CHECK(order_statuses(*h.store) == std::map<std::string, int>{{"filled", 1}});
  }
}

TEST_CASE("a minute that fails to commit is forgotten, keys included", "[paper]") {
  TempDir dir;
  Harness h(dir.path);
  const sh_symbol_id s = h.id("DDD");
  h.close(kT0, {bar(s, 10, 10)});
  h.submit("DDD", SH_SIDE_BUY, 1, 10, kT0);
  MinuteWrite mw;
  mw.minute_ts_ns = kT0;
  Status st = h.store->write_minute(mw, [&](StateTxn& txn) {
    Status s2 = h.broker->persist(txn);
    if (!s2.ok()) return s2;
    return Status::IoError("disk full (simulated)");
  });
  REQUIRE_FALSE(st.ok());
  REQUIRE(h.broker->on_commit(st).ok());
  CHECK(h.broker->pending_order_count() == 0);
  CHECK(h.broker->last_minute_ts_ns() == INT64_MIN);
  // The retried minute accepts the same key once.
  h.close(kT0, {bar(s, 10, 10)});
  CHECK(h.submit("DDD", SH_SIDE_BUY, 1, 10, kT0).outcome == SubmitOutcome::kAccepted);
  h.commit(kT0);
  CHECK(h.broker->pending_order_count() == 1);
}

namespace {

// The deterministic session of the crash test: 5 symbols, one order a minute.
constexpr int kSessionMinutes = 300;

void run_session(Harness& h, int from_minute, int to_minute, int progress_fd) {
  const char* names[] = {"S0", "S1", "S2", "S3", "S4"};
  for (int m = from_minute; m < to_minute; ++m) {
    const int64_t ts = kT0 + m * kMinuteNs;
    std::vector<BarPrice> bars;
    for (int s = 0; s < 5; ++s) {
      const double open = 100 + ((m * 7 + s * 3) % 11);
      bars.push_back(bar(h.id(names[s]), open, open + ((m + s) % 5) - 2));
    }
    REQUIRE(h.broker->on_minute_close(ts, bars.data(), bars.size()).ok());
    const int s = m % 5;
    const sh_side side = (m / 5) % 2 == 0 ? SH_SIDE_BUY : SH_SIDE_SELL;
    h.submit(names[s], side, 1 + (m % 3), bars[static_cast<size_t>(s)].close, ts);
    h.commit(ts);
    if (progress_fd >= 0) {
      const char c = 1;
      (void)!::write(progress_fd, &c, 1);
      ::usleep(2000);
    }
  }
}

}  // namespace

TEST_CASE("kill -9 mid-replay, restart: positions and PnL resume, nothing filled twice",
          "[paper]") {
  TempDir ref_dir, crash_dir;
  BrokerOptions opts;
  VenueOptions venue;
  venue.slippage_bps = 5;

  // Reference: the whole session without a crash.
  double ref_cash = 0, ref_realized = 0, ref_equity = 0;
  std::map<std::string, double> ref_qty;
  size_t ref_fills = 0;
  {
    Harness h(ref_dir.path, opts, venue);
    run_session(h, 0, kSessionMinutes, -1);
    ref_cash = h.broker->cash_usd();
    ref_realized = h.broker->realized_pnl_usd();
    ref_equity = h.broker->equity_usd();
    for (const char* n : {"S0", "S1", "S2", "S3", "S4"}) ref_qty[n] = h.broker->position(n)->qty;
    ref_fills = h.fills.size();
    CHECK(ref_fills == kSessionMinutes - 1);  // the last order is still pending
  }

  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    {
      Harness h(crash_dir.path, opts, venue);
      run_session(h, 0, kSessionMinutes, fds[1]);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  int done = 0;
  char c;
  while (done < 40 && ::read(fds[0], &c, 1) == 1) ++done;
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(fds[0]);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(done == 40);

  // Restart and replay the whole session from the first minute.
  Harness h(crash_dir.path, opts, venue);
  const int64_t resumed_at = h.broker->last_minute_ts_ns();
  CHECK(resumed_at >= kT0 + 39 * kMinuteNs);
  CHECK(resumed_at < kT0 + (kSessionMinutes - 1) * kMinuteNs);  // really killed mid-run
  run_session(h, 0, kSessionMinutes, -1);

  CHECK(h.broker->cash_usd() == ref_cash);
  CHECK(h.broker->realized_pnl_usd() == ref_realized);
  CHECK(h.broker->equity_usd() == ref_equity);
  for (const auto& [n, q] : ref_qty) CHECK(h.broker->position(n)->qty == q);
  // Fills after the restart + fills the killed run committed = the reference.
  const auto statuses = order_statuses(*h.store);
  CHECK(statuses.at("filled") == static_cast<int>(ref_fills));
  CHECK(statuses.at("acknowledged") == 1);
  CHECK(h.fills.size() < ref_fills);
}

TEST_CASE("emergency stop refuses orders and survives a restart, flatten closes all",
          "[paper]") {
  TempDir dir;
  const int64_t t1 = kT0 + kMinuteNs, t2 = t1 + kMinuteNs, t3 = t2 + kMinuteNs;
  {
    Harness h(dir.path);
    const sh_symbol_id a = h.id("AAA"), b = h.id("BBB");
    h.close(kT0, {bar(a, 10, 10), bar(b, 20, 20)});
    h.submit("AAA", SH_SIDE_BUY, 5, 10, kT0);
    h.submit("BBB", SH_SIDE_SELL, 3, 20, kT0);
    h.commit(kT0);
    h.close(t1, {bar(a, 10, 11), bar(b, 20, 19)});
    h.submit("AAA", SH_SIDE_BUY, 1, 11, t1);  // pending when the stop comes
    h.broker->emergency_stop();
    CHECK(h.broker->pending_order_count() == 0);  // cancelled
    const SubmitResult r = h.submit("BBB", SH_SIDE_BUY, 1, 19, t1);
    CHECK(r.outcome == SubmitOutcome::kRefused);
    CHECK(r.http_code == 423);
    CHECK(r.reason == "emergency stop is active");
    REQUIRE(h.broker->commit_now().ok());
  }
  {
    Harness h(dir.path);
    CHECK(h.broker->emergency_stopped());
    CHECK(h.submit("AAA", SH_SIDE_BUY, 1, 11, t2).http_code == 423);
    size_t n = 0;
    REQUIRE(h.broker->flatten_all(t2, &n).ok());
    CHECK(n == 2);
    h.commit(t2);
    h.close(t3, {bar(h.id("AAA"), 12, 12), bar(h.id("BBB"), 18, 18)});
    h.commit(t3);
    REQUIRE(h.fills.size() == 2);
    CHECK(h.fills[0].reason == "flatten");
    CHECK(h.broker->position("AAA")->qty == 0);
    CHECK(h.broker->position("BBB")->qty == 0);
    CHECK(h.broker->portfolio_state().position_count == 0);
    // 5 AAA bought at 10 sold at 12; 3 BBB sold at 20 bought back at 18.
    CHECK(h.broker->realized_pnl_usd() == 16);
    CHECK(h.broker->equity_usd() == 100016);
    const auto st = order_statuses(*h.store);
    CHECK(st.at("canceled") == 1);
    CHECK(st.at("filled") == 4);

    h.broker->clear_emergency_stop();
    CHECK(h.submit("AAA", SH_SIDE_BUY, 1, 12, t3).outcome == SubmitOutcome::kAccepted);
  }
}

TEST_CASE("pause refuses new orders until resume, pending ones still fill", "[paper]") {
  TempDir dir;
  Harness h(dir.path);
  const sh_symbol_id a = h.id("AAA");
  h.close(kT0, {bar(a, 10, 10)});
  h.submit("AAA", SH_SIDE_BUY, 1, 10, kT0);
  h.broker->pause();
  CHECK(h.broker->paused());
  const SubmitResult r = h.submit("AAA", SH_SIDE_SELL, 1, 10, kT0);
  CHECK(r.outcome == SubmitOutcome::kRefused);
  CHECK(r.http_code == 423);
  CHECK(r.reason == "trading is paused");
  h.commit(kT0);
  h.close(kT0 + kMinuteNs, {bar(a, 10, 10)});
  h.commit(kT0 + kMinuteNs);
  CHECK(h.fills.size() == 1);
  h.broker->resume();
  CHECK(h.submit("AAA", SH_SIDE_SELL, 1, 10, kT0 + kMinuteNs).outcome == SubmitOutcome::kAccepted);
}

TEST_CASE("mid mode fills at once at the minute's mid with slippage", "[paper]") {
  TempDir dir;
  VenueOptions venue;
  venue.fill = "mid";
  venue.slippage_bps = 100;
  Harness h(dir.path, {}, venue);
  const sh_symbol_id a = h.id("AAA");
  h.close(kT0, {BarPrice{a, 90, 101, 100, 101, 90, 5}});
  CHECK(h.submit("AAA", SH_SIDE_BUY, 2, 101, kT0).outcome == SubmitOutcome::kAccepted);
  CHECK(h.broker->pending_order_count() == 0);
  h.commit(kT0);
  REQUIRE(h.fills.size() == 1);
  CHECK(h.fills[0].price == 101);  // 100 + 1%
  CHECK(h.broker->position("AAA")->qty == 2);
}

TEST_CASE("bad orders are refused with a reason", "[paper]") {
  TempDir dir;
  Harness h(dir.path);
  sh_order_intent in{};
  in.struct_size = sizeof in;
  in.symbol = h.id("AAA");
  in.side = SH_SIDE_BUY;
  in.qty = std::nan("");
  SubmitResult r;
  Status st = h.broker->submit(in, "k", &r);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("qty") != std::string::npos);
  in.qty = 1;
  in.side = SH_SIDE_UNKNOWN;
  CHECK_FALSE(h.broker->submit(in, "k", &r).ok());
  in.side = SH_SIDE_BUY;
  CHECK_FALSE(h.broker->submit(in, "", &r).ok());
  in.symbol = 999;
  CHECK_FALSE(h.broker->submit(in, "k", &r).ok());
}

TEST_CASE("live trading is refused without a broker plugin", "[paper]") {
  TempDir dir;
  StateStoreOptions so;
  so.dir = dir.path;
  std::unique_ptr<StateStore> store;
  REQUIRE(StateStore::open(so, &store).ok());
  SymbolTable symbols;
  BrokerOptions opts;
  opts.mode = TradingMode::kLive;
  std::unique_ptr<Broker> broker;
  Status st = Broker::open(store.get(), &symbols, nullptr, opts, &broker);
  CHECK_FALSE(st.ok());
  CHECK(st.message() == "live trading needs a broker plugin; none is configured");
  CHECK(broker == nullptr);

  TradingMode mode = TradingMode::kLive;
  REQUIRE(select_trading_mode("", false, false, &mode).ok());
  CHECK(mode == TradingMode::kPaper);  // paper is the default
  st = select_trading_mode("live", false, true, &mode);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("explicit live flag") != std::string::npos);
  st = select_trading_mode("live", true, false, &mode);
  CHECK(st.message() == "live trading needs a broker plugin; none is configured");
  CHECK_FALSE(select_trading_mode("yolo", true, true, &mode).ok());
  REQUIRE(select_trading_mode("live", true, true, &mode).ok());
  CHECK(mode == TradingMode::kLive);
}
