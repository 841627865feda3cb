// binance_venue's tests: the plugin loaded as the host loads it, against a
// local HTTPS + WSS stand-in for Binance (fake_binance.h) that verifies every
// signature, key and timestamp. Nothing reaches the internet.
#include <strategy_host/testing.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "error_map.h"
#include "fake_binance.h"
#include "signing.h"

using namespace sh::testing;
namespace fs = std::filesystem;

namespace {

// The documentation's example key pair (rest-api.md): never a real account.
const std::string kApiKey = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
const std::string kSecret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

fs::path temp_dir(const std::string& name) {
  static std::atomic<int> n{0};
  const fs::path d = fs::temp_directory_path() /
                     ("bven-" + std::to_string(::getpid()) + "-" + name + "-" + std::to_string(n++));
  fs::create_directories(d);
  return d;
}

void set_keys(const std::string& key = kApiKey, const std::string& secret = kSecret) {
  ::setenv("BVEN_TEST_KEY", key.c_str(), 1);
  ::setenv("BVEN_TEST_SECRET", secret.c_str(), 1);
}

Json config_for(const fake::FakeBinance& server, bool stream = true) {
  return Json{{"rest_url", server.rest_url()},
              {"ws_url", server.ws_url()},
              {"api_key_env", "BVEN_TEST_KEY"},
              {"secret_env", "BVEN_TEST_SECRET"},
              {"ca_file", server.ca_file()},
              {"recv_window_ms", 500},
              {"timeout_ms", 800},
              {"user_stream", stream},
              {"symbols", {{"BTC", "BTCUSDT"}, {"ETH", "ETHUSDT"}, {"SOL", "SOLUSDT"}}}};
}

// Polls until pred(all reports so far) or the timeout; returns every report.
VenueReports poll_until(Venue& v, std::vector<VenueReport>& acc,
                        const std::function<bool(const VenueReports&)>& pred, int timeout_ms = 6000) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    const VenueReports got = v.poll();
    for (const auto& r : got.all()) acc.push_back(r);
    VenueReports all(acc);
    if (pred(all)) return all;
    if (std::chrono::steady_clock::now() > end)
      throw Failure("timed out waiting; reports were: " + all.describe());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}
void add(std::vector<VenueReport>& acc, const VenueReports& r) {
  for (const auto& x : r.all()) acc.push_back(x);
}
bool final_state(sh_order_state s) {
  return s == SH_ORDER_FILLED || s == SH_ORDER_CANCELED || s == SH_ORDER_REJECTED || s == SH_ORDER_EXPIRED;
}
std::function<bool(const VenueReports&)> is_final(const std::string& id) {
  return [id](const VenueReports& all) {
    for (const auto& r : all.of(id))
      if (final_state(r.state())) return true;
    return false;
  };
}
std::function<bool(const VenueReports&)> in_state(const std::string& id, sh_order_state s) {
  return [id, s](const VenueReports& all) {
    for (const auto& r : all.of(id))
      if (r.state() == s) return true;
    return false;
  };
}
double total_fill_qty(const VenueReports& all, const std::string& id) {
  double q = 0;
  for (const auto& r : all.of(id)) q += r.raw.last_qty;
  return q;
}

// No line the plugin logged, no report detail and no last_error() holds a
// credential.
void expect_no_secrets(Venue& v, const std::vector<VenueReport>& reports) {
  for (const auto& l : v.host().log_lines) {
    expect(l.msg.find(kApiKey) == std::string::npos, "the API key is in a log line: " + l.msg);
    expect(l.msg.find(kSecret) == std::string::npos, "the secret is in a log line: " + l.msg);
  }
  for (const auto& r : reports) {
    expect(r.detail.find(kApiKey) == std::string::npos, "the API key is in a report detail");
    expect(r.detail.find(kSecret) == std::string::npos, "the secret is in a report detail");
  }
  expect(v.last_error().find(kApiKey) == std::string::npos, "the API key is in last_error()");
  expect(v.last_error().find(kSecret) == std::string::npos, "the secret is in last_error()");
}
bool logged(Venue& v, const std::string& needle) {
  for (const auto& l : v.host().log_lines)
    if (l.msg.find(needle) != std::string::npos) return true;
  return false;
}
std::string log_text(Venue& v) {
  std::string s;
  for (const auto& l : v.host().log_lines) s += "\n  " + l.msg;
  return s;
}

// True when call fails with SH_WOULD_BLOCK (the venue's view not ready).
bool not_ready(const std::function<void()>& call) {
  try {
    call();
  } catch (const Failure& e) {
    return std::string(e.what()).find("SH_WOULD_BLOCK") != std::string::npos;
  }
  return false;
}

// query_orders once the venue's view is ready (polling meanwhile, as the
// host does at start).
VenueReports query_when_ready(Venue& v, std::vector<VenueReport>& acc, int timeout_ms = 6000) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    add(acc, v.poll());
    try {
      return v.query_orders();
    } catch (const Failure& e) {
      if (std::string(e.what()).find("SH_WOULD_BLOCK") == std::string::npos ||
          std::chrono::steady_clock::now() > end)
        throw;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

struct Fixture {
  fs::path dir;
  fake::FakeBinance server;
  Plugin plugin;
  explicit Fixture(const std::string& name)
      : dir(temp_dir(name)), server(dir, kApiKey, kSecret) {
    set_keys();
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

}  // namespace

SH_TEST("HMAC-SHA256 signature matches the documentation's examples") {
  // web-socket-api.md, SIGNED request example (HMAC).
  expect(binance_venue::hmac_sha256_hex(
             kSecret,
             "apiKey=" + kApiKey +
                 "&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&"
                 "timeInForce=GTC&timestamp=1645423376532&type=LIMIT") ==
             "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24",
         "HMAC of the WebSocket API example");
  // rest-api.md, HMAC Keys example.
  expect(binance_venue::hmac_sha256_hex(kSecret,
                                        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&"
                                        "price=0.1&recvWindow=5000&timestamp=1499827319559") ==
             "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71",
         "HMAC of the REST example");
}

SH_TEST("client order ids: a fitting key is kept, others become a stable 36-char hash") {
  expect(binance_venue::binance_client_id("abc-123_X") == "abc-123_X", "fitting key kept");
  const std::string h = binance_venue::binance_client_id("BTC/2026-12-06T16:00:00Z/buy");
  expect(h.size() == 36 && binance_venue::fits_binance_client_id(h), "hashed id fits: " + h);
  expect(h == binance_venue::binance_client_id("BTC/2026-12-06T16:00:00Z/buy"), "stable");
  expect(h != binance_venue::binance_client_id("BTC/2026-12-06T16:00:00Z/sell"), "distinct");
  expect(binance_venue::binance_client_id(std::string(37, 'a')).size() == 36, "too long: hashed");
}

SH_TEST("config: keys from env or file, exactly one source each; a missing key is named, never printed") {
  Plugin plugin;
  set_keys();
  // A closed local port: nothing of this test leaves the machine.
  const Json base = {{"symbols", {{"BTC", "BTCUSDT"}}},
                     {"user_stream", false},
                     {"rest_url", "https://127.0.0.1:1"},
                     {"timeout_ms", 200}};
  // No source at all.
  std::string e = plugin.expect_config_refused(base);
  expect(e.find("api_key_env") != std::string::npos, "names the options: " + e);
  // Both sources.
  Json both = base;
  both["api_key_env"] = "BVEN_TEST_KEY";
  both["api_key_file"] = "/nonexistent";
  both["secret_env"] = "BVEN_TEST_SECRET";
  e = plugin.expect_config_refused(both);
  expect(e.find("exactly one") != std::string::npos, e);
  // An unset variable is named.
  Json unset = base;
  unset["api_key_env"] = "BVEN_TEST_UNSET_VARIABLE";
  unset["secret_env"] = "BVEN_TEST_SECRET";
  ::unsetenv("BVEN_TEST_UNSET_VARIABLE");
  e = plugin.expect_config_refused(unset);
  expect(e.find("BVEN_TEST_UNSET_VARIABLE") != std::string::npos, "names the variable: " + e);
  // An empty secret file is named, the key never printed.
  const fs::path d = temp_dir("cfg");
  std::ofstream(d / "empty.txt") << "\n";
  std::ofstream(d / "key.txt") << kApiKey << "\n";
  std::ofstream(d / "secret.txt") << kSecret << "\n";
  Json empty = base;
  empty["api_key_file"] = (d / "key.txt").string();
  empty["secret_file"] = (d / "empty.txt").string();
  e = plugin.expect_config_refused(empty);
  expect(e.find("empty.txt") != std::string::npos && e.find(kApiKey) == std::string::npos, e);
  // Unknown keys and bad values are refused.
  Json unknown = base;
  unknown["api_key_env"] = "BVEN_TEST_KEY";
  unknown["secret_env"] = "BVEN_TEST_SECRET";
  unknown["colour"] = "red";
  plugin.expect_config_refused(unknown);
  Json rw = unknown;
  rw.erase("colour");
  rw["recv_window_ms"] = 60001;
  plugin.expect_config_refused(rw);
  Json nosym = rw;
  nosym.erase("recv_window_ms");
  nosym["symbols"] = Json::object();
  plugin.expect_config_refused(nosym);
  // Keys from files work.
  Json files = base;
  files["api_key_file"] = (d / "key.txt").string();
  files["secret_file"] = (d / "secret.txt").string();
  Venue v = plugin.venue(files);
  const auto caps = v.capabilities();
  expect((caps.flags & SH_VENUE_SIMULATED) == 0, "not simulated");
  expect(caps.order_types == ((1u << SH_ORDER_MARKET) | (1u << SH_ORDER_LIMIT)), "MARKET and LIMIT");
  for (const auto& l : v.host().log_lines) expect(l.msg.find(kApiKey) == std::string::npos, l.msg);
  // The schema says additionalProperties false and names the path fields.
  const Json& schema = plugin.config_schema();
  expect(schema["additionalProperties"] == false, "additionalProperties false");
  expect(schema["properties"]["api_key_file"]["format"] == "path", "api_key_file is a path");
  expect(schema["properties"]["secret_file"]["format"] == "path", "secret_file is a path");
  expect(schema["properties"]["rest_url"]["default"] == "https://testnet.binance.vision", "testnet default");
  fs::remove_all(d);
}

SH_TEST("market order: ACKNOWLEDGED at once from poll, the immediate fill with price and fee, nothing twice") {
  Fixture f("market");
  Venue v = f.plugin.venue(config_for(f.server));
  expect(f.server.wait_for([&] { return f.server.live_subscriptions() == 1; }), "stream subscribed");
  std::vector<VenueReport> acc;
  const std::string id = "BTC/2026-12-06T16:00:00Z/buy";  // hashed for Binance
  const auto t0 = std::chrono::steady_clock::now();
  add(acc, v.submit(VenueOrder(id, "BTC", SH_SIDE_BUY, 0.5).ref(49990)));
  expect(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(200), "submit did not block");
  const VenueReports all = poll_until(v, acc, is_final(id));
  // Both the REST answer and the stream carry the fill: reported once.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  add(acc, v.poll());
  const VenueReports fin(acc);
  expect(fin.of(id).size() == 2, "ACK + one fill: " + fin.describe());
  expect(fin.of(id)[0].state() == SH_ORDER_ACKNOWLEDGED, "first ACKNOWLEDGED");
  const auto fill = fin.expect_fill(0, id, 0.5, 50000.0);
  expect(fill.raw.state == SH_ORDER_FILLED && fill.raw.leaves_qty == 0.0, "FILLED, nothing left");
  expect(std::fabs(fill.raw.fee_usd - 25.0) < 1e-9, "fee 10 bps in USDT: " + std::to_string(fill.raw.fee_usd));
  expect(fill.raw.ref_price == 49990, "ref price passed through");
  expect(!fill.venue_id.empty(), "venue order id");
  const std::string cid = binance_venue::binance_client_id(id);
  expect(f.server.posts_for(cid) == 1 && f.server.orders_created(cid) == 1, "one POST, one order");
  expect(v.host().counter("orders_sent") == 1 && v.host().counter("fills") == 1, "counters");
  expect(v.host().counter("used_weight_1m") > 0, "X-MBX-USED-WEIGHT-1M tracked");
  // A second submit of the same key reports its state and sends nothing.
  const auto again = v.submit(VenueOrder(id, "BTC", SH_SIDE_BUY, 0.5));
  expect(again.size() == 1 && again[0].state() == SH_ORDER_FILLED && again[0].raw.last_qty == 0.0,
         "idempotent: " + again.describe());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  expect(f.server.posts_for(cid) == 1, "still one POST");
  (void)all;
  expect_no_secrets(v, acc);
}

SH_TEST("limit orders: marketable IOC fills at once (REST only, RESULT response), a non-marketable IOC expires NO_LIQUIDITY") {
  Fixture f("limit");
  Json cfg = config_for(f.server, false);
  cfg["new_order_resp_type"] = "RESULT";
  Venue v = f.plugin.venue(cfg);
  std::vector<VenueReport> acc;
  add(acc, v.submit(VenueOrder("L1", "ETH", SH_SIDE_SELL, 2).limit(2990).tif(SH_TIF_IOC)));
  add(acc, v.submit(VenueOrder("L2", "ETH", SH_SIDE_BUY, 1).limit(2900).tif(SH_TIF_IOC)));
  const VenueReports all = poll_until(v, acc, [](const VenueReports& a) {
    return is_final("L1")(a) && is_final("L2")(a);
  });
  all.expect_fill(0, "L1", 2, 3000);  // the market's price, better than the limit
  all.expect_state("L1", SH_ORDER_FILLED);
  all.expect_state("L2", SH_ORDER_EXPIRED, SH_VENUE_REASON_NO_LIQUIDITY);
  expect(all.of("L2")[0].state() == SH_ORDER_ACKNOWLEDGED, "ACK before EXPIRED");
  expect_no_secrets(v, acc);
}

SH_TEST("GTC limit rests; a partial fill then the rest arrive by executionReport (maker), then query_orders is empty") {
  Fixture f("partial");
  Venue v = f.plugin.venue(config_for(f.server));
  expect(f.server.wait_for([&] { return f.server.live_subscriptions() == 1; }), "stream subscribed");
  std::vector<VenueReport> acc;
  add(acc, v.submit(VenueOrder("G1", "BTC", SH_SIDE_BUY, 1).limit(49000)));
  poll_until(v, acc, in_state("G1", SH_ORDER_ACKNOWLEDGED));
  // query_orders sees it working.
  const auto working = v.query_orders();
  expect(working.size() == 1 && working[0].id == "G1" && working[0].state() == SH_ORDER_ACKNOWLEDGED &&
             working[0].raw.leaves_qty == 1.0,
         "working: " + working.describe());
  f.server.fill("G1", 0.4, 49000);
  VenueReports all = poll_until(v, acc, in_state("G1", SH_ORDER_PARTIALLY_FILLED));
  const auto part = all.expect_fill(0, "G1", 0.4, 49000);
  expect(part.raw.liquidity == SH_LIQUIDITY_MAKER, "maker (m true)");
  expect(std::fabs(part.raw.cum_qty - 0.4) < 1e-12 && std::fabs(part.raw.leaves_qty - 0.6) < 1e-12, "cum/leaves");
  const auto pw = v.query_orders();
  expect(pw.size() == 1 && pw[0].state() == SH_ORDER_PARTIALLY_FILLED, "partially filled: " + pw.describe());
  f.server.fill("G1", 0.6, 48990);
  all = poll_until(v, acc, is_final("G1"));
  all.expect_fill(1, "G1", 0.6, 48990);
  all.expect_state("G1", SH_ORDER_FILLED);
  expect(std::fabs(total_fill_qty(all, "G1") - 1.0) < 1e-12, "filled exactly once");
  expect(v.query_orders().empty(), "nothing working");
  // query_positions: the base asset's balance.
  const sh_position p = v.position("BTC");
  expect(std::fabs(p.qty - 11.0) < 1e-12, "BTC position 10 + 1: " + std::to_string(p.qty));
  const sh_position e = v.position("ETH");
  expect(std::fabs(e.qty - 100.0) < 1e-12, "ETH 100: " + std::to_string(e.qty));
  expect_no_secrets(v, acc);
}

SH_TEST("cancel: a resting order is CANCELED; an unknown id is refused with SH_ERR_INVALID_ARGUMENT") {
  Fixture f("cancel");
  Venue v = f.plugin.venue(config_for(f.server));
  expect(f.server.wait_for([&] { return f.server.live_subscriptions() == 1; }), "stream subscribed");
  std::vector<VenueReport> acc;
  add(acc, v.submit(VenueOrder("C1", "BTC", SH_SIDE_BUY, 0.1).limit(40000)));
  poll_until(v, acc, in_state("C1", SH_ORDER_ACKNOWLEDGED));
  add(acc, v.cancel("C1"));
  VenueReports all = poll_until(v, acc, is_final("C1"));
  all.expect_state("C1", SH_ORDER_CANCELED);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  add(acc, v.poll());
  expect(VenueReports(acc).of("C1").size() == 2, "ACK + CANCELED once: " + VenueReports(acc).describe());
  expect(f.server.count_requests("DELETE /api/v3/order?symbol=BTCUSDT&origClientOrderId=C1") == 1,
         "DELETE by origClientOrderId");
  expect(v.try_cancel("nope") == SH_ERR_INVALID_ARGUMENT && v.last_error().find("nope") != std::string::npos,
         "unknown id refused: " + v.last_error());
  expect(v.try_cancel("C1") == SH_ERR_INVALID_ARGUMENT, "final order refused");
  expect_no_secrets(v, acc);
}

SH_TEST("cancel that races a fill: -2011 is logged and the order's real state is queried and reported") {
  Fixture f("cancelrace");
  Venue v = f.plugin.venue(config_for(f.server, false));
  std::vector<VenueReport> acc;
  add(acc, v.submit(VenueOrder("R1", "BTC", SH_SIDE_SELL, 0.2).limit(60000)));
  poll_until(v, acc, in_state("R1", SH_ORDER_ACKNOWLEDGED));
  f.server.fill("R1", 0.2, 60000);  // no stream: the venue does not know yet
  add(acc, v.cancel("R1"));
  const VenueReports all = poll_until(v, acc, is_final("R1"));
  all.expect_state("R1", SH_ORDER_FILLED);
  all.expect_fill(0, "R1", 0.2, 60000);
  expect(v.host().counter("cancel_rejected") == 1, "counted");
  expect(logged(v, "cancel of R1 refused: HTTP 400 code -2011"), "logged:" + log_text(v));
  expect_no_secrets(v, acc);
}

SH_TEST("rejects: -2010 insufficient balance -> INSUFFICIENT_FUNDS; unmapped symbol -> UNKNOWN_SYMBOL without a request") {
  Fixture f("reject");
  Venue v = f.plugin.venue(config_for(f.server, false));
  f.server.push_fault("POST /api/v3/order",
                      fake::http_error(400, -2010, "Account has insufficient balance for requested action."));
  std::vector<VenueReport> acc;
  add(acc, v.submit(VenueOrder("F1", "BTC", SH_SIDE_BUY, 100)));
  const auto un = v.submit(VenueOrder("U1", "DOGE", SH_SIDE_BUY, 1));
  add(acc, un);
  un.expect_state("U1", SH_ORDER_REJECTED, SH_VENUE_REASON_UNKNOWN_SYMBOL);
  // SOLUSDT is mapped but Binance does not list it: -1121.
  add(acc, v.submit(VenueOrder("S1", "SOL", SH_SIDE_BUY, 1)));
  const VenueReports all = poll_until(v, acc, [](const VenueReports& a) {
    return is_final("F1")(a) && is_final("S1")(a);
  });
  const auto& r = all.expect_state("F1", SH_ORDER_REJECTED, SH_VENUE_REASON_INSUFFICIENT_FUNDS);
  expect(r.detail.find("-2010") != std::string::npos && r.detail.find("insufficient balance") != std::string::npos,
         "detail: " + r.detail);
  all.expect_state("S1", SH_ORDER_REJECTED, SH_VENUE_REASON_UNKNOWN_SYMBOL);
  expect(v.host().counter("insufficient_funds") == 1 && v.host().counter("unknown_symbol") == 2, "counters");
  expect(logged(v, "order F1 rejected (insufficient_funds)"), "one clear line:" + log_text(v));
  expect(f.server.count_requests("POST /api/v3/order?symbol=DOGE") == 0, "nothing sent for DOGE");
  expect_no_secrets(v, acc);
}

SH_TEST("bad key: -2015 -> UNAUTHORIZED, not retried; a wrong secret fails the server's signature check (-1022)") {
  Fixture f("badkey");
  set_keys("wrongKey0000000000000000000000000000000000000000000000000000000", kSecret);
  Venue v = f.plugin.venue(config_for(f.server, false));
  std::vector<VenueReport> acc;
  add(acc, v.submit(VenueOrder("K1", "BTC", SH_SIDE_BUY, 0.1)));
  VenueReports all = poll_until(v, acc, is_final("K1"));
  all.expect_state("K1", SH_ORDER_REJECTED, SH_VENUE_REASON_UNAUTHORIZED);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  expect(f.server.posts_for("K1") == 1, "not retried");
  expect(logged(v, "check the API key"), "logged:" + log_text(v));
  expect(v.host().counter("unauthorized") == 1, "counted");

  set_keys(kApiKey, "wrongSecret000000000000000000000000000000000000000000000000000");
  Venue w = f.plugin.venue(config_for(f.server, false));
  std::vector<VenueReport> acc2;
  add(acc2, w.submit(VenueOrder("K2", "BTC", SH_SIDE_BUY, 0.1)));
  all = poll_until(w, acc2, is_final("K2"));
  all.expect_state("K2", SH_ORDER_REJECTED, SH_VENUE_REASON_UNAUTHORIZED);
  expect(f.server.signature_failures() >= 1, "the server recomputed the HMAC and refused it");
  expect(all.last("K2").detail.find("-1022") != std::string::npos, all.last("K2").detail);
  // Neither the wrong nor the right credentials leak.
  for (const auto& l : w.host().log_lines) expect(l.msg.find("wrongSecret") == std::string::npos, l.msg);
  expect_no_secrets(w, acc2);
  set_keys();
}

SH_TEST("clock skew: the server's clock 10 s ahead -> -1021 -> Binance's time read, the order sent again once and filled") {
  Fixture f("skew");
  f.server.set_clock_offset_ms(10000);
  Venue v = f.plugin.venue(config_for(f.server, false));
  std::vector<VenueReport> acc;
  add(acc, v.submit(VenueOrder("T1", "BTC", SH_SIDE_BUY, 0.1)));
  VenueReports all = poll_until(v, acc, is_final("T1"));
  all.expect_state("T1", SH_ORDER_FILLED);
  expect(f.server.count_requests("GET /api/v3/time") == 1, "Binance's time read once");
  expect(f.server.posts_for("T1") == 2 && f.server.orders_created("T1") == 1, "refused once, then one order");
  // The offset as measured: 10 s less half the round trip (9,999 ms on a
  // loaded machine), so a window rather than the digits.
  long behind_ms = -1;
  for (const auto& l : v.host().log_lines) {
    const size_t at = l.msg.find("this machine's clock is ");
    if (at != std::string::npos) behind_ms = std::strtol(l.msg.c_str() + at + 24, nullptr, 10);
  }
  expect(behind_ms >= 9000 && behind_ms <= 11000 && logged(v, "ms behind Binance's") &&
             logged(v, "check this machine's clock (NTP)"),
         "logged:" + log_text(v));
  expect(v.host().counter("clock_skew") == 1, "counted");
  // Later requests carry Binance's time: the next order goes through at once.
  add(acc, v.submit(VenueOrder("T2", "BTC", SH_SIDE_BUY, 0.1)));
  all = poll_until(v, acc, is_final("T2"));
  all.expect_state("T2", SH_ORDER_FILLED);
  expect(f.server.posts_for("T2") == 1, "one POST");
  expect(v.query_orders().size() == 0, "query_orders signs with Binance's time too");
  expect_no_secrets(v, acc);
}

SH_TEST("clock skew: Binance's time cannot be read -> the order is REJECTED CLOCK_SKEW with a line about the clock") {
  Fixture f("skew-notime");
  f.server.set_clock_offset_ms(10000);
  f.server.push_fault("GET /api/v3/time", fake::http_error(503, -1000, "unavailable"));
  Venue v = f.plugin.venue(config_for(f.server, false));
  std::vector<VenueReport> acc;
  add(acc, v.submit(VenueOrder("T1", "BTC", SH_SIDE_BUY, 0.1)));
  const VenueReports all = poll_until(v, acc, is_final("T1"));
  all.expect_state("T1", SH_ORDER_REJECTED, SH_VENUE_REASON_CLOCK_SKEW);
  expect(f.server.posts_for("T1") == 1 && f.server.orders().empty(), "not sent again");
  expect(logged(v, "check this machine's clock (NTP)"), "logged:" + log_text(v));
  expect(v.host().counter("clock_skew") == 1, "counted");
  expect_no_secrets(v, acc);
}

SH_TEST("memory stays bounded: keys refused before sending are remembered up to the last 20000, the oldest forgotten first") {
  Fixture f("bounded");
  Venue v = f.plugin.venue(config_for(f.server, false));
  // DOGE has no Binance symbol in the config: refused at once, no request.
  for (int i = 0; i <= 20000; ++i) v.submit(VenueOrder("D" + std::to_string(i), "DOGE", SH_SIDE_BUY, 1));
  v.poll();  // counters reach the host at the next call
  expect(v.host().counter("rejects") == 20001, "all refused");
  // The newest is remembered: a resubmit reports it again, nothing counted.
  const VenueReports again = v.submit(VenueOrder("D20000", "DOGE", SH_SIDE_BUY, 1));
  again.expect_state("D20000", SH_ORDER_REJECTED, SH_VENUE_REASON_UNKNOWN_SYMBOL);
  expect(v.host().counter("rejects") == 20001, "remembered, not refused again");
  // The oldest was forgotten (the map does not grow without bound): a
  // resubmit is judged anew.
  v.submit(VenueOrder("D0", "DOGE", SH_SIDE_BUY, 1));
  v.poll();
  expect(v.host().counter("rejects") == 20002, "forgotten, refused anew");
  expect(f.server.count_requests("POST") == 0, "nothing sent");
}

SH_TEST("HTTP 403 (Binance's web application firewall) rejects the order RATE_LIMITED, not UNAUTHORIZED: no halt for the keys") {
  Fixture f("waf");
  f.server.push_fault("POST /api/v3/order", fake::http_error(403, 0, "Forbidden"));
  Venue v = f.plugin.venue(config_for(f.server, false));
  std::vector<VenueReport> acc;
  add(acc, v.submit(VenueOrder("F1", "BTC", SH_SIDE_BUY, 0.1)));
  const VenueReports all = poll_until(v, acc, is_final("F1"));
  all.expect_state("F1", SH_ORDER_REJECTED, SH_VENUE_REASON_RATE_LIMITED);
  expect(logged(v, "web application firewall"), "logged:" + log_text(v));
  expect(v.host().counter("unauthorized") == 0 && v.host().counter("rate_limited") == 1, "counted");
  expect(binance_venue::reason_for(403, 0, "") == SH_VENUE_REASON_RATE_LIMITED &&
             binance_venue::reason_for(401, -2015, "") == SH_VENUE_REASON_UNAUTHORIZED,
         "the map");
}

SH_TEST("429 with Retry-After: the order stays NEW, is sent again after the back-off, once, and fills once") {
  Fixture f("429");
  Venue v = f.plugin.venue(config_for(f.server));
  expect(f.server.wait_for([&] { return f.server.live_subscriptions() == 1; }), "stream subscribed");
  f.server.push_fault("POST /api/v3/order",
                      fake::http_error(429, -1003, "Too much request weight used.", "1"));
  std::vector<VenueReport> acc;
  const auto t0 = std::chrono::steady_clock::now();
  add(acc, v.submit(VenueOrder("Q1", "BTC", SH_SIDE_BUY, 0.3)));
  add(acc, v.poll());  // the host's next call lets it leave
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  add(acc, v.poll());
  expect(VenueReports(acc).of("Q1").empty(), "still NEW during the back-off: " + VenueReports(acc).describe());
  expect(f.server.posts_for("Q1") == 1, "one POST so far");
  const VenueReports all = poll_until(v, acc, is_final("Q1"));
  expect(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(950), "waited Retry-After");
  all.expect_state("Q1", SH_ORDER_FILLED);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  add(acc, v.poll());
  expect(std::fabs(total_fill_qty(VenueReports(acc), "Q1") - 0.3) < 1e-12, "filled once");
  expect(f.server.posts_for("Q1") == 2 && f.server.orders_created("Q1") == 1, "retried once, one order");
  expect(v.host().counter("http_429") == 1, "counted");
  expect(logged(v, "HTTP 429"), "logged:" + log_text(v));
  expect_no_secrets(v, acc);
}

SH_TEST("418 banned: the order is rejected RATE_LIMITED, new orders too until Retry-After passes") {
  Fixture f("418");
  Venue v = f.plugin.venue(config_for(f.server, false));
  f.server.push_fault("POST /api/v3/order", fake::http_error(418, -1003, "Way too much request weight used; IP banned.", "2"));
  std::vector<VenueReport> acc;
  add(acc, v.submit(VenueOrder("B1", "BTC", SH_SIDE_BUY, 0.1)));
  VenueReports all = poll_until(v, acc, is_final("B1"));
  all.expect_state("B1", SH_ORDER_REJECTED, SH_VENUE_REASON_RATE_LIMITED);
  const auto now = v.submit(VenueOrder("B2", "BTC", SH_SIDE_BUY, 0.1));
  now.expect_state("B2", SH_ORDER_REJECTED, SH_VENUE_REASON_RATE_LIMITED);
  expect(f.server.posts_for("B2") == 0, "not sent while banned");
  expect(logged(v, "IP banned"), "logged:" + log_text(v));
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  add(acc, v.submit(VenueOrder("B3", "BTC", SH_SIDE_BUY, 0.1)));
  all = poll_until(v, acc, is_final("B3"));
  all.expect_state("B3", SH_ORDER_FILLED);
  expect_no_secrets(v, acc);
}

SH_TEST("5xx without the order: query by origClientOrderId finds nothing (-2013), then one resend, one order") {
  Fixture f("503");
  Venue v = f.plugin.venue(config_for(f.server, false));
  fake::Fault fault;
  fault.status = 503;
  fault.body = "Service Unavailable";
  f.server.push_fault("POST /api/v3/order", fault);
  std::vector<VenueReport> acc;
  add(acc, v.submit(VenueOrder("X1", "BTC", SH_SIDE_BUY, 0.2)));
  add(acc, v.poll());  // the host's next call lets it leave
  expect(f.server.wait_for([&] { return f.server.posts_for("X1") == 1; }), "the POST (503)");
  // Binance does not list it and its send is unknown: the venue's view is
  // not ready for the host's reconciliation until the query says what
  // became of it (SH_WOULD_BLOCK, for orders and positions).
  // (Once the venue has read the 503: the POST may still be on its way back.)
  expect(f.server.wait_for([&] { return not_ready([&] { v.query_orders(); }); }, 2000),
         "query_orders while the order is asked about");
  expect(not_ready([&] { v.query_positions(); }), "query_positions while the order is asked about");
  const VenueReports all = poll_until(v, acc, is_final("X1"));
  all.expect_state("X1", SH_ORDER_FILLED);
  expect(v.query_orders().size() == 0, "ready once reported: nothing working");
  expect(f.server.count_requests("GET /api/v3/order?symbol=BTCUSDT&origClientOrderId=X1") == 1, "queried first");
  expect(f.server.posts_for("X1") == 2 && f.server.orders_created("X1") == 1, "one resend, one order");
  expect(v.host().counter("send_unknown") == 1 && v.host().counter("resends") == 1, "counted");
  expect(logged(v, "send status unknown"), "logged:" + log_text(v));
  expect_no_secrets(v, acc);
}

SH_TEST("timeout after Binance took the order: queried before any resend, found, never sent twice") {
  Fixture f("timeout");
  Venue v = f.plugin.venue(config_for(f.server));
  expect(f.server.wait_for([&] { return f.server.live_subscriptions() == 1; }), "stream subscribed");
  fake::Fault hang;
  hang.hang = true;
  hang.hang_ms = 1500;  // > timeout_ms 800
  hang.process_first = true;
  f.server.push_fault("POST /api/v3/order", hang);
  std::vector<VenueReport> acc;
  add(acc, v.submit(VenueOrder("H1", "BTC", SH_SIDE_SELL, 0.25)));
  const VenueReports all = poll_until(v, acc, is_final("H1"));
  all.expect_state("H1", SH_ORDER_FILLED);
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  add(acc, v.poll());
  expect(std::fabs(total_fill_qty(VenueReports(acc), "H1") - 0.25) < 1e-12, "filled once");
  expect(f.server.posts_for("H1") == 1 && f.server.orders_created("H1") == 1, "one POST, one order");
  expect(v.host().counter("send_unknown") == 1 && v.host().counter("resends") == 0, "counted");
  expect_no_secrets(v, acc);
}

SH_TEST("timeout with the stream off: the query finds the order and reports its fill; no resend") {
  Fixture f("timeout2");
  Venue v = f.plugin.venue(config_for(f.server, false));
  fake::Fault hang;
  hang.hang = true;
  hang.hang_ms = 1500;
  hang.process_first = true;
  f.server.push_fault("POST /api/v3/order", hang);
  std::vector<VenueReport> acc;
  add(acc, v.submit(VenueOrder("H2", "ETH", SH_SIDE_BUY, 3)));
  const VenueReports all = poll_until(v, acc, is_final("H2"));
  all.expect_fill(0, "H2", 3, 3000);
  expect(f.server.posts_for("H2") == 1, "not resent");
  expect(logged(v, "found at Binance after the unknown send; not resent"), "logged:" + log_text(v));
  expect_no_secrets(v, acc);
}

SH_TEST("stream drop and reconnect: a fill during the gap is recovered by the resync query, and later events flow") {
  Fixture f("drop");
  Venue v = f.plugin.venue(config_for(f.server));
  expect(f.server.wait_for([&] { return f.server.live_subscriptions() == 1; }), "stream subscribed");
  std::vector<VenueReport> acc;
  add(acc, v.submit(VenueOrder("D1", "BTC", SH_SIDE_BUY, 1).limit(45000)));
  add(acc, v.submit(VenueOrder("D2", "BTC", SH_SIDE_BUY, 1).limit(44000)));
  poll_until(v, acc, [](const VenueReports& a) {
    return in_state("D1", SH_ORDER_ACKNOWLEDGED)(a) && in_state("D2", SH_ORDER_ACKNOWLEDGED)(a);
  });
  f.server.refuse_streams(true);
  f.server.drop_streams();
  expect(f.server.wait_for([&] { return f.server.live_subscriptions() == 0; }), "dropped");
  f.server.fill("D1", 0.5, 45000);  // nobody listening
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  f.server.refuse_streams(false);
  expect(f.server.wait_for([&] { return f.server.live_subscriptions() == 1; }, 10000), "resubscribed");
  VenueReports all = poll_until(v, acc, in_state("D1", SH_ORDER_PARTIALLY_FILLED));
  all.expect_fill(0, "D1", 0.5, 45000);
  f.server.fill("D2", 1, 44000);  // on the new stream
  all = poll_until(v, acc, is_final("D2"));
  all.expect_state("D2", SH_ORDER_FILLED);
  expect(f.server.ws_connections() >= 3, "reconnected (one refused attempt)");
  expect(v.host().counter("stream_disconnects") >= 1 && v.host().counter("stream_subscribed") >= 2, "counted");
  expect(logged(v, "user data stream ended"), "logged:" + log_text(v));
  expect_no_secrets(v, acc);
}

SH_TEST("a fill for an id the venue never sent is passed through as is") {
  Fixture f("foreign");
  Venue v = f.plugin.venue(config_for(f.server));
  expect(f.server.wait_for([&] { return f.server.live_subscriptions() == 1; }), "stream subscribed");
  f.server.push_event(Json{{"e", "executionReport"}, {"E", 1}, {"s", "BTCUSDT"}, {"c", "web_12345"},
                           {"S", "SELL"}, {"o", "MARKET"}, {"f", "GTC"}, {"q", "0.01"}, {"p", "0"},
                           {"C", ""}, {"x", "TRADE"}, {"X", "FILLED"}, {"r", "NONE"}, {"i", 77},
                           {"l", "0.01"}, {"z", "0.01"}, {"L", "50100"}, {"n", "0.5"}, {"N", "USDT"},
                           {"T", 2}, {"t", 9}, {"m", false}});
  std::vector<VenueReport> acc;
  const VenueReports all = poll_until(v, acc, is_final("web_12345"));
  const auto& r = all.last("web_12345");
  expect(r.symbol == "BTC" && r.raw.last_qty == 0.01 && r.raw.last_price == 50100 &&
             r.raw.side == SH_SIDE_SELL && r.venue_id == "77",
         "as is: " + r.describe());
  expect(v.host().counter("foreign_fills") == 1, "counted");
}

SH_TEST("a subscription refused for a bad key is logged, counted, retried with back-off, and never prints the key") {
  Fixture f("subrefused");
  set_keys("wrongKey0000000000000000000000000000000000000000000000000000000", kSecret);
  Venue v = f.plugin.venue(config_for(f.server));
  expect(f.server.wait_for([&] { return f.server.ws_connections() >= 1; }), "connected");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  v.poll();
  expect(f.server.live_subscriptions() == 0, "not subscribed");
  expect(v.host().counter("stream_refused") == 1, "counted");
  expect(logged(v, "subscription refused: code -2015"), "logged:" + log_text(v));
  for (const auto& l : v.host().log_lines) expect(l.msg.find("wrongKey") == std::string::npos, l.msg);
  set_keys();
}

SH_TEST("an order waiting out a 429 and cancelled meanwhile is CANCELED without ever being sent again") {
  Fixture f("429cancel");
  Venue v = f.plugin.venue(config_for(f.server, false));
  f.server.push_fault("POST /api/v3/order",
                      fake::http_error(429, -1003, "Too much request weight used.", "2"));
  std::vector<VenueReport> acc;
  add(acc, v.submit(VenueOrder("Z1", "BTC", SH_SIDE_BUY, 0.3)));
  add(acc, v.poll());  // the host's next call lets it leave
  expect(f.server.wait_for([&] { return f.server.posts_for("Z1") == 1; }), "first POST (429)");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto t0 = std::chrono::steady_clock::now();
  add(acc, v.cancel("Z1"));
  const VenueReports all = poll_until(v, acc, is_final("Z1"));
  expect(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(500), "at once, not after the back-off");
  all.expect_state("Z1", SH_ORDER_CANCELED);
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  add(acc, v.poll());
  expect(f.server.posts_for("Z1") == 1 && f.server.orders_created("Z1") == 0, "never sent again");
  expect(f.server.count_requests("DELETE") == 0, "no DELETE needed");
}

SH_TEST("trading rules from exchangeInfo: quantity rounded down to LOT_SIZE, limit to the tick; below minQty rejected unsent") {
  Fixture f("rules");
  fake::FakeBinance::Rules eth;
  eth.step = "0.00010000";
  eth.min_qty = "0.00010000";
  eth.tick = "0.10000000";
  f.server.set_rules("ETHUSDT", eth);
  Venue v = f.plugin.venue(config_for(f.server, false));
  std::vector<VenueReport> acc;
  add(acc, v.submit(VenueOrder("R1", "BTC", SH_SIDE_BUY, 0.123456789).limit(50000.019).tif(SH_TIF_IOC)));
  add(acc, v.submit(VenueOrder("R2", "ETH", SH_SIDE_SELL, 1.23456).limit(2999.91).tif(SH_TIF_IOC)));
  add(acc, v.submit(VenueOrder("R3", "BTC", SH_SIDE_BUY, 0.000004)));
  const VenueReports all = poll_until(v, acc, [](const VenueReports& a) {
    return is_final("R1")(a) && is_final("R2")(a) && is_final("R3")(a);
  });
  expect(f.server.count_requests(
             "POST /api/v3/order?symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=IOC&price=50000.01&quantity=0.12345&") == 1,
         "BTC: qty down to 0.00001, buy limit down to 0.01");
  expect(f.server.count_requests(
             "POST /api/v3/order?symbol=ETHUSDT&side=SELL&type=LIMIT&timeInForce=IOC&price=3000.0&quantity=1.2345&") == 1,
         "ETH: qty down to 0.0001, sell limit up to 0.1");
  const auto r1 = all.expect_fill(0, "R1", 0.12345, 50000);
  expect(r1.raw.state == SH_ORDER_FILLED && r1.raw.leaves_qty == 0.0, "FILLED at the rounded quantity");
  all.expect_state("R2", SH_ORDER_FILLED);
  const auto& r3 = all.expect_state("R3", SH_ORDER_REJECTED, SH_VENUE_REASON_INVALID_ORDER);
  expect(r3.detail.find("LOT_SIZE") != std::string::npos, r3.detail);
  expect(f.server.posts_for("R3") == 0, "not sent");
  expect(f.server.count_requests("GET /api/v3/exchangeInfo?symbol=") == 3, "rules fetched once per symbol");
}

SH_TEST("a host that keeps the venue's state: an order leaves only once a saved state names it, at the host's next call") {
  Fixture f("held");
  Venue v = f.plugin.venue(config_for(f.server, false));
  std::vector<VenueReport> acc;
  add(acc, v.submit(VenueOrder("W1", "BTC", SH_SIDE_BUY, 0.1)));
  // The host commits this state with its book before it calls again.
  const std::string bytes = v.save_state();
  expect(bytes.find("\"W1\"") != std::string::npos, "the saved state names it: " + bytes);
  expect(!f.server.wait_for([&] { return f.server.posts_for("W1") > 0; }, 300),
         "not sent before the host's next call");
  VenueReports all = poll_until(v, acc, is_final("W1"));
  all.expect_state("W1", SH_ORDER_FILLED);
  expect(f.server.posts_for("W1") == 1 && f.server.orders_created("W1") == 1, "sent once after it");
  // The next order: no saved state names it yet, so calls do not let it go.
  add(acc, v.submit(VenueOrder("W2", "BTC", SH_SIDE_BUY, 0.1)));
  add(acc, v.poll());
  expect(!f.server.wait_for([&] { return f.server.posts_for("W2") > 0; }, 300), "held until a save names it");
  v.save_state();
  all = poll_until(v, acc, is_final("W2"));
  all.expect_state("W2", SH_ORDER_FILLED);
  expect(f.server.posts_for("W2") == 1, "then sent once");
}

SH_TEST("durable state: after a restart a hashed client id still maps to the host's key (query_orders, fills, cancel)") {
  Fixture f("restart");
  const std::string k1 = "BTC/2026-12-06T16:00:00Z/buy", k2 = "ETH/2026-12-06T16:00:00Z/sell";
  std::string bytes;
  {
    Venue a = f.plugin.venue(config_for(f.server));
    expect(f.server.wait_for([&] { return f.server.live_subscriptions() == 1; }), "stream subscribed");
    std::vector<VenueReport> acc;
    add(acc, a.submit(VenueOrder(k1, "BTC", SH_SIDE_BUY, 1).limit(40000)));
    add(acc, a.submit(VenueOrder(k2, "ETH", SH_SIDE_SELL, 2).limit(4000)));
    poll_until(a, acc, [&](const VenueReports& all) {
      return in_state(k1, SH_ORDER_ACKNOWLEDGED)(all) && in_state(k2, SH_ORDER_ACKNOWLEDGED)(all);
    });
    bytes = a.save_state();
    expect(bytes.find(k1) != std::string::npos && bytes.find(kApiKey) == std::string::npos &&
               bytes.find(kSecret) == std::string::npos,
           "the state names the orders, never a key");
  }
  f.server.fill(binance_venue::binance_client_id(k1), 0.25, 40000);  // while nobody listens
  Venue b = f.plugin.venue(config_for(f.server));
  b.load_state(bytes);
  std::vector<VenueReport> acc;
  VenueReports all = poll_until(b, acc, in_state(k1, SH_ORDER_PARTIALLY_FILLED));
  all.expect_fill(0, k1, 0.25, 40000);
  const auto working = query_when_ready(b, acc);
  expect(working.size() == 2 && !working.of(k1).empty() && !working.of(k2).empty(),
         "working orders under the host's keys: " + working.describe());
  expect(f.server.wait_for([&] { return f.server.subscriptions() == 2; }), "the new instance subscribed");
  f.server.fill(binance_venue::binance_client_id(k1), 0.75, 40000);
  all = poll_until(b, acc, is_final(k1));
  all.expect_state(k1, SH_ORDER_FILLED);
  add(acc, b.cancel(k2));
  all = poll_until(b, acc, is_final(k2));
  all.expect_state(k2, SH_ORDER_CANCELED);
  expect(f.server.orders().size() == 2, "nothing placed again");
}

SH_TEST("durable state: a fill that arrived but was not handed to the host before the process ended is handed over after the restart, once") {
  Fixture f("restart-pending");
  const std::string k = "BTC/2026-12-07T04:00:00Z/buy";
  const std::string cid = binance_venue::binance_client_id(k);
  std::string bytes;
  {
    Venue a = f.plugin.venue(config_for(f.server));
    expect(f.server.wait_for([&] { return f.server.live_subscriptions() == 1; }), "stream subscribed");
    std::vector<VenueReport> acc;
    add(acc, a.submit(VenueOrder(k, "BTC", SH_SIDE_BUY, 1).limit(40000)));
    poll_until(a, acc, in_state(k, SH_ORDER_ACKNOWLEDGED));
    f.server.fill(cid, 0.4, 40000);
    VenueReports got = poll_until(a, acc, in_state(k, SH_ORDER_PARTIALLY_FILLED));
    got.expect_fill(0, k, 0.4, 40000);
    // The rest fills; the stream brings it to the venue, but the host does
    // not call again before its last commit: the state it commits must
    // still carry that fill.
    f.server.fill(cid, 0.6, 40100);
    expect(f.server.wait_for([&] { return a.save_state().find("\"reports\"") != std::string::npos; }, 5000),
           "the stream's fill reached the venue");
    bytes = a.save_state();
  }  // the process ends: nothing polled
  Venue b = f.plugin.venue(config_for(f.server));
  b.load_state(bytes);
  std::vector<VenueReport> acc;
  const VenueReports working = query_when_ready(b, acc);  // the host polls before it compares
  expect(logged(b, "1 report(s) the last run had not handed over yet follow"), log_text(b));
  VenueReports all(acc);
  expect(all.of(k).size() == 1, "handed over once: " + all.describe());
  all.expect_fill(0, k, 0.6, 40100);
  all.expect_state(k, SH_ORDER_FILLED);
  expect(working.of(k).empty(), "not working any more: " + working.describe());
  // A later save names neither the order nor the report again.
  expect(b.save_state().find(k) == std::string::npos, "nothing left to hand over");
}

SH_TEST("durable state: an order that never reached Binance before the restart is asked about, then rejected, never sent late") {
  Fixture f("restart-unsent");
  f.server.push_fault("POST /api/v3/order",
                      fake::http_error(429, -1003, "Too much request weight used.", "30"));
  std::string bytes;
  {
    Venue a = f.plugin.venue(config_for(f.server, false));
    std::vector<VenueReport> acc;
    add(acc, a.submit(VenueOrder("N1", "BTC", SH_SIDE_BUY, 0.1)));
    add(acc, a.poll());  // the host's next call lets it leave
    expect(f.server.wait_for([&] { return f.server.posts_for("N1") == 1; }), "the POST (429)");
    bytes = a.save_state();
  }
  Venue b = f.plugin.venue(config_for(f.server, false));
  b.load_state(bytes);
  std::vector<VenueReport> acc;
  const VenueReports all = poll_until(b, acc, is_final("N1"));
  const auto& r = all.expect_state("N1", SH_ORDER_REJECTED, SH_VENUE_REASON_UNAVAILABLE);
  expect(r.detail.find("before the restart") != std::string::npos, r.detail);
  expect(f.server.count_requests("GET /api/v3/order?symbol=BTCUSDT&origClientOrderId=N1") == 1, "asked first");
  expect(f.server.posts_for("N1") == 1 && f.server.orders_created("N1") == 0, "never sent again");
}

SH_TEST("a silent stream (no frame, no ping) is cut after stream_stale_timeout_ms and resubscribed; the gap's fill recovered") {
  Fixture f("stale");
  Json cfg = config_for(f.server);
  cfg["stream_stale_timeout_ms"] = 1000;
  Venue v = f.plugin.venue(cfg);
  expect(f.server.wait_for([&] { return f.server.live_subscriptions() == 1; }), "stream subscribed");
  std::vector<VenueReport> acc;
  add(acc, v.submit(VenueOrder("S1", "BTC", SH_SIDE_BUY, 1).limit(45000)));
  poll_until(v, acc, in_state("S1", SH_ORDER_ACKNOWLEDGED));
  f.server.freeze_streams();
  f.server.fill("S1", 1, 45000);  // its executionReport is stuck in the frozen connection
  const VenueReports all = poll_until(v, acc, is_final("S1"), 8000);
  all.expect_fill(0, "S1", 1, 45000);
  expect(f.server.subscriptions() >= 2, "resubscribed");
  expect(logged(v, "nothing received for 1000 ms"), "logged:" + log_text(v));
}

SH_TEST("spot has no reduce-only: a reduce-only sell of more than the account holds is REDUCE_ONLY, a plain one INSUFFICIENT_FUNDS") {
  Fixture f("reduce");
  Venue v = f.plugin.venue(config_for(f.server, false));
  std::vector<VenueReport> acc;
  add(acc, v.submit(VenueOrder("RO1", "BTC", SH_SIDE_SELL, 20).reduce_only()));  // holds 10
  add(acc, v.submit(VenueOrder("RO2", "BTC", SH_SIDE_SELL, 20)));
  add(acc, v.submit(VenueOrder("RO3", "BTC", SH_SIDE_SELL, 4).reduce_only()));
  const VenueReports all = poll_until(v, acc, [](const VenueReports& a) {
    return is_final("RO1")(a) && is_final("RO2")(a) && is_final("RO3")(a);
  });
  all.expect_state("RO1", SH_ORDER_REJECTED, SH_VENUE_REASON_REDUCE_ONLY);
  all.expect_state("RO2", SH_ORDER_REJECTED, SH_VENUE_REASON_INSUFFICIENT_FUNDS);
  all.expect_state("RO3", SH_ORDER_FILLED);
  expect(v.host().counter("reduce_only") == 1, "counted");
}

SH_TEST("malformed stream events are ignored; the venue keeps working") {
  Fixture f("garbage");
  Venue v = f.plugin.venue(config_for(f.server));
  expect(f.server.wait_for([&] { return f.server.live_subscriptions() == 1; }), "stream subscribed");
  std::vector<VenueReport> acc;
  add(acc, v.submit(VenueOrder("M1", "BTC", SH_SIDE_BUY, 1).limit(45000)));
  poll_until(v, acc, in_state("M1", SH_ORDER_ACKNOWLEDGED));
  const std::string cid = "M1";
  f.server.push_event(Json::array({1, 2, 3}));
  f.server.push_event(Json{{"e", 5}});
  f.server.push_event(Json{{"e", "executionReport"}, {"c", 12}, {"x", "TRADE"}, {"m", "yes"}});
  f.server.push_event(Json{{"e", "executionReport"}, {"c", cid}, {"x", "TRADE"}, {"X", "PARTIALLY_FILLED"},
                           {"l", "abc"}, {"z", -1}, {"L", nullptr}, {"i", "x"}, {"m", "yes"}, {"T", "soon"}});
  f.server.push_event(Json{{"e", "executionReport"}, {"c", cid}, {"x", "TRADE"}, {"X", "PARTIALLY_FILLED"},
                           {"l", "0.5"}, {"z", "0.5"}, {"L", "1e5"}, {"n", "-3"}, {"N", 7}});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  add(acc, v.poll());
  expect(VenueReports(acc).fills().empty(), "no fill from garbage: " + VenueReports(acc).describe());
  f.server.fill("M1", 1, 45000);
  const VenueReports all = poll_until(v, acc, is_final("M1"));
  all.expect_fill(0, "M1", 1, 45000);
}

SH_TEST("Binance unreachable (nothing listens): the order is retried, then REJECTED UNAVAILABLE; query_* fail with a message") {
  set_keys();
  Plugin plugin;
  // A port that was free a moment ago: connection refused, nothing sent.
  uint16_t port = 0;
  {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  const Json cfg = {{"rest_url", "https://127.0.0.1:" + std::to_string(port)},
                    {"api_key_env", "BVEN_TEST_KEY"},
                    {"secret_env", "BVEN_TEST_SECRET"},
                    {"user_stream", false},
                    {"timeout_ms", 300},
                    {"symbols", {{"BTC", "BTCUSDT"}}}};
  Venue v = plugin.venue(cfg);
  std::vector<VenueReport> acc;
  add(acc, v.submit(VenueOrder("U1", "BTC", SH_SIDE_BUY, 0.1)));
  const VenueReports all = poll_until(v, acc, is_final("U1"), 8000);
  const auto& r = all.expect_state("U1", SH_ORDER_REJECTED, SH_VENUE_REASON_UNAVAILABLE);
  expect(r.detail.find("not sent") != std::string::npos, r.detail);
  expect(logged(v, "nothing reached Binance"), "logged:" + log_text(v));
  bool threw = false;
  try {
    v.query_orders();
  } catch (const Failure& e) {
    threw = std::string(e.what()).find("query_orders") != std::string::npos;
  }
  expect(threw, "query_orders fails, naming itself");
  expect_no_secrets(v, acc);
}

SH_TEST("a cancel answered 503 is retried and the order ends CANCELED once") {
  Fixture f("cancel503");
  Venue v = f.plugin.venue(config_for(f.server, false));
  std::vector<VenueReport> acc;
  add(acc, v.submit(VenueOrder("C5", "BTC", SH_SIDE_BUY, 0.1).limit(40000)));
  poll_until(v, acc, in_state("C5", SH_ORDER_ACKNOWLEDGED));
  fake::Fault fault;
  fault.status = 503;
  fault.body = "Service Unavailable";
  f.server.push_fault("DELETE /api/v3/order", fault);
  add(acc, v.cancel("C5"));
  const VenueReports all = poll_until(v, acc, is_final("C5"));
  all.expect_state("C5", SH_ORDER_CANCELED);
  expect(f.server.count_requests("DELETE /api/v3/order") == 2, "retried once");
  expect(all.of("C5").size() == 2, "ACK + CANCELED: " + all.describe());
}
