// binance_venue through the real host binary: host mode production,
// execution.mode live, the shipped sample session replayed from files
// (data/sample), the venue pointed at the local Binance stand-in
// (fake_binance.h). Nothing reaches the internet.
#include <strategy_host/testing.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "fake_binance.h"
#include "signing.h"

using namespace sh::testing;
namespace fs = std::filesystem;

namespace {

const std::string kApiKey = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
const std::string kSecret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

struct Run {
  int exit_code = -1;
  std::string err;
};

Run run_host(const fs::path& dir) {
  const std::string cmd = "cd " + quote(dir.string()) + " && " + quote(SH_HOST_BIN) +
                          " --config host.yaml >out.txt 2>err.txt </dev/null";
  const int st = std::system(cmd.c_str());
  Run r;
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.err = read_file(dir / "err.txt");
  return r;
}

std::string host_yaml(const fake::FakeBinance& server) {
  const std::string data = std::string(SH_SOURCE_DIR) + "/data/sample";
  std::ostringstream s;
  s << "host:\n"
       "  mode: production\n"
       "  plugin_dirs: ['" SH_PLUGIN_DIR "']\n"
       "  state_dir: state\n"
       "  output_dir: out\n"
       "providers:\n"
       "  - name: sample\n"
       "    plugin: replay\n"
       "    config:\n"
       "      files:\n"
       "        - {path: '" << data << "/trades.csv', type: trades}\n"
       "        - {path: '" << data << "/quotes.csv', type: quotes}\n"
       "        - {path: '" << data << "/l2.csv', type: l2}\n"
       "conveyor: {benchmark: BTC}\n"
       "detectors:\n"
       "  - {name: return_spike, plugin: return_spike, config: {z_threshold: 4.0}}\n"
       "experts:\n"
       "  - {name: momentum, plugin: momentum, config: {}}\n"
       "  - {name: anomaly, plugin: anomaly, config: {}}\n"
       "consensus:\n"
       "  weights: {momentum: 0.5, anomaly: 0.5}\n"
       "  threshold: 0.55\n"
       "  min_confidence: 0.1\n"
       "execution:\n"
       "  mode: live\n"
       "  order_notional_usd: 2000\n"
       "  initial_cash_usd: 100000\n"
       "  emergency_reduce: {enabled: false}\n"
       "  ack_timeout_ms: 0\n"
       "  venue:\n"
       "    plugin: binance_venue\n"
       "    config:\n"
       "      rest_url: '" << server.rest_url() << "'\n"
       "      ws_url: '" << server.ws_url() << "'\n"
       "      ca_file: '" << server.ca_file() << "'\n"
       "      api_key_env: BVEN_HOST_TEST_KEY\n"
       "      secret_env: BVEN_HOST_TEST_SECRET\n"
       "      recv_window_ms: 5000\n"
       "      timeout_ms: 2000\n"
       "      symbols: {BTC: BTCUSDT, ETH: ETHUSDT, SOL: SOLUSDT, DOGE: DOGEUSDT}\n";
  return s.str();
}

}  // namespace

SH_TEST("production host, execution.mode live: every order reaches the local Binance signed, once, under its client id") {
  const fs::path dir = fs::temp_directory_path() / ("bven-host-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fake::FakeBinance server(dir / "tls", kApiKey, kSecret);
  server.set_price("SOLUSDT", 100.0);
  server.set_price("DOGEUSDT", 0.09);
  fake::FakeBinance::Rules doge;
  doge.step = "1.00000000";
  doge.min_qty = "1.00000000";
  doge.tick = "0.00001000";
  server.set_rules("DOGEUSDT", doge);
  // The account holds USDT only: the host starts flat, and what it sells
  // it must have bought (spot: -2010 otherwise).
  for (const char* a : {"BTC", "ETH", "SOL", "DOGE"}) server.set_balance(a, 0.0);
  ::setenv("BVEN_HOST_TEST_KEY", kApiKey.c_str(), 1);
  ::setenv("BVEN_HOST_TEST_SECRET", kSecret.c_str(), 1);
  std::ofstream(dir / "host.yaml") << host_yaml(server);
  const Run r = run_host(dir);
  expect(r.exit_code == 0, "host exit " + std::to_string(r.exit_code) + "\n" + r.err);
  expect(r.err.find(kApiKey) == std::string::npos && r.err.find(kSecret) == std::string::npos,
         "no key in the host's log");
  expect(server.signature_failures() == 0, "every signature verified");

  // The host's orders (orders.jsonl) against what the server received.
  std::set<std::string> keys;
  std::map<std::string, int> states;
  std::istringstream in(read_file(dir / "out" / "orders.jsonl"));
  for (std::string l; std::getline(in, l);) {
    if (l.empty()) continue;
    const nlohmann::json j = nlohmann::json::parse(l);
    expect(j.contains("key"), "an orders.jsonl line without its key: " + l);
    keys.insert(j.at("key").get<std::string>());
    ++states[j.value("state", "") + (j.value("reason", "").empty() ? "" : "/" + j.value("reason", ""))];
  }
  expect(!keys.empty(), "the host placed orders:\n" + r.err);
  std::cout << "  orders.jsonl:";
  for (const auto& [st, n] : states) std::cout << " " << st << " " << n;
  std::cout << "\n";
  if (std::getenv("BVEN_SHOW_HOST_LOG")) std::cout << r.err;
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
  std::istringstream log(r.err);
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
  const Run r2 = run_host(dir);
  expect(r2.exit_code == 0, "second run exit " + std::to_string(r2.exit_code) + "\n" + r2.err);
  expect(r2.err.find("[error]") == std::string::npos, "no error on restart:\n" + r2.err.substr(0, 4000));
  expect(r2.err.find("order(s) restored") != std::string::npos, "the venue restored its orders:\n" +
                                                                      r2.err.substr(0, 4000));
  expect(r2.err.find(kApiKey) == std::string::npos && r2.err.find(kSecret) == std::string::npos, "no key");
  expect(server.orders().size() == orders_before, "no order placed by the restart (nothing new to decide)");
  for (const std::string& key : keys)
    expect(server.posts_for(binance_venue::binance_client_id(key)) <= 1, "order " + key + " sent twice");
  std::error_code ec;
  fs::remove_all(dir, ec);
}
