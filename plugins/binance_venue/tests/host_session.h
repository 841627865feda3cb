// host_session.h: the real host binary (production, execution.mode live)
// trading through binance_venue against the local stand-in (fake_binance.h),
// on the first minutes of the shipped sample session (data/sample) replayed
// from files. What a test reads is what a user reads: out/orders.jsonl,
// out/trades.csv, out/run_summary.json, the host's log, and the stand-in's
// count of what it received. Nothing reaches the internet.
#ifndef SH_BINANCE_VENUE_HOST_SESSION_H
#define SH_BINANCE_VENUE_HOST_SESSION_H

#include <strategy_host/testing.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fake_binance.h"
#include "signing.h"

namespace host_session {

namespace fs = std::filesystem;
using nlohmann::json;
using sh::testing::expect;

// The documentation's example key pair (rest-api.md): never a real account.
inline const std::string kApiKey = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
inline const std::string kSecret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
// data/sample starts at 2024-01-02T00:00:00Z.
constexpr int64_t kSampleStartNs = 1704153600LL * 1000000000LL;

inline std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// One transition of out/orders.jsonl.
struct Transition {
  std::string key, symbol, side, state, reason;
  double qty = 0, filled = 0;
};
// One fill of out/trades.csv.
struct TradeRow {
  std::string key, symbol, side;
  double qty = 0, price = 0;
};

struct Session {
  fs::path dir;
  fake::FakeBinance server;
  // What the host's config says beyond the defaults.
  int minutes = 60;                 // of data/sample, from its start
  std::string execution_extra;      // more execution keys: ", reconcile: {...}"
  std::string venue_extra;          // more venue config keys: "      k: v\n" lines
  int64_t ack_timeout_ms = 0;
  // execution.stop_wait_ms (-1: the default). The stand-in's resting market
  // orders never end, so a run that leaves them waits the whole time.
  int64_t stop_wait_ms = -1;
  std::string log;                  // the last run's stderr

  explicit Session(const std::string& name)
      : dir(make_dir(name)), server(dir / "tls", kApiKey, kSecret) {
    server.set_price("SOLUSDT", 100.0);
    server.set_price("DOGEUSDT", 0.09);
    fake::FakeBinance::Rules doge;
    doge.step = "1.00000000";
    doge.min_qty = "1.00000000";
    doge.tick = "0.00001000";
    server.set_rules("DOGEUSDT", doge);
    // A spot account of USDT only: the host starts flat and sells only what
    // it bought.
    for (const char* a : {"BTC", "ETH", "SOL", "DOGE"}) server.set_balance(a, 0.0);
    ::setenv("BVEN_HOST_TEST_KEY", kApiKey.c_str(), 1);
    ::setenv("BVEN_HOST_TEST_SECRET", kSecret.c_str(), 1);
  }
  ~Session() {
    std::error_code ec;
    if (!std::getenv("BVEN_KEEP_DIR")) fs::remove_all(dir, ec);
  }

  static fs::path make_dir(const std::string& name) {
    const fs::path d = fs::temp_directory_path() / ("bven-host-" + name + "-" + std::to_string(::getpid()));
    std::error_code ec;
    fs::remove_all(d, ec);
    fs::create_directories(d / "data");
    return d;
  }

  // The first `minutes` of each sample file (header kept).
  void write_data() const {
    const int64_t end = kSampleStartNs + static_cast<int64_t>(minutes) * 60000000000LL;
    for (const char* f : {"trades.csv", "quotes.csv", "l2.csv"}) {
      std::ifstream in(std::string(SH_SOURCE_DIR) + "/data/sample/" + f);
      std::ofstream out(dir / "data" / f);
      std::string line;
      std::getline(in, line);
      out << line << "\n";
      while (std::getline(in, line))
        if (std::stoll(line.substr(0, line.find(','))) < end) out << line << "\n";
    }
  }

  std::string yaml() const {
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
         "        - {path: data/trades.csv, type: trades}\n"
         "        - {path: data/quotes.csv, type: quotes}\n"
         "        - {path: data/l2.csv, type: l2}\n"
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
         "  ack_timeout_ms: " << ack_timeout_ms << "\n"
      << (stop_wait_ms >= 0 ? "  stop_wait_ms: " + std::to_string(stop_wait_ms) + "\n" : "") <<
         "  emergency_reduce: {enabled: false}\n"
      << (execution_extra.empty() ? "" : "  " + execution_extra + "\n") <<
         "  venue:\n"
         "    plugin: binance_venue\n"
         "    config:\n"
         "      rest_url: '" << server.rest_url() << "'\n"
         "      ws_url: '" << server.ws_url() << "'\n"
         "      ca_file: '" << server.ca_file() << "'\n"
         "      api_key_env: BVEN_HOST_TEST_KEY\n"
         "      secret_env: BVEN_HOST_TEST_SECRET\n"
         "      recv_window_ms: 1000\n"
         "      timeout_ms: 2000\n"
         "      symbols: {BTC: BTCUSDT, ETH: ETHUSDT, SOL: SOLUSDT, DOGE: DOGEUSDT}\n"
      << venue_extra;
    return s.str();
  }

  std::string command(const std::string& args) const {
    return "cd " + shell_quote(dir.string()) + " && exec " + shell_quote(SH_HOST_BIN) + " " + args +
           " >>out.txt 2>err.txt </dev/null";
  }
  void prepare() {
    write_data();
    std::ofstream(dir / "host.yaml") << yaml();
  }
  // Runs the host to its end; its exit code (128 + signal when killed).
  int run() {
    prepare();
    const int st = std::system(command("--config host.yaml").c_str());
    log = read_text(dir / "err.txt");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  // Starts the host in the background; its pid.
  pid_t start() {
    prepare();
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::execl("/bin/sh", "sh", "-c", command("--config host.yaml").c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    expect(pid > 0, "fork failed");
    return pid;
  }
  int wait(pid_t pid) {
    int st = 0;
    ::waitpid(pid, &st, 0);
    log = read_text(dir / "err.txt");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  // A run on one more minute, in which nothing fills (the stand-in lets
  // orders rest): what the last run left on its way is asked about at the
  // start, and what the venue reports then commits with that minute.
  int settle() {
    server.rest_orders(true);
    stop_wait_ms = 200;  // its own minute's orders rest for good
    ++minutes;
    return run();
  }
  // "2024-01-02T01:59:00Z": the last minute of data/sample the host reads.
  std::string last_minute_tag() const {
    char buf[32];
    std::snprintf(buf, sizeof buf, "2024-01-02T%02d:%02d:00Z", (minutes - 1) / 60, (minutes - 1) % 60);
    return buf;
  }
  // host trade <cmd> on this session's state (queued for the next minute).
  void trade(const std::string& cmd) {
    const int st = std::system(command("trade " + cmd + " --config host.yaml").c_str());
    expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "host trade " + cmd + " failed: " + read_text(dir / "err.txt"));
  }

  std::vector<Transition> transitions() const {
    std::vector<Transition> out;
    std::istringstream in(read_text(dir / "out" / "orders.jsonl"));
    for (std::string l; std::getline(in, l);) {
      if (l.empty()) continue;
      const json j = json::parse(l);
      Transition t;
      t.key = j.value("key", "");
      t.symbol = j.value("symbol", "");
      t.side = j.value("side", "");
      t.state = j.value("state", "");
      t.reason = j.value("reason", "");
      t.qty = j.value("qty", 0.0);
      t.filled = j.value("filled_qty", 0.0);
      out.push_back(t);
    }
    return out;
  }
  // key -> its states in order ("new acknowledged partially_filled filled").
  std::map<std::string, std::string> lifecycles() const {
    std::map<std::string, std::string> out;
    for (const Transition& t : transitions()) out[t.key] += (out[t.key].empty() ? "" : " ") + t.state;
    return out;
  }
  std::vector<TradeRow> trades() const {
    std::vector<TradeRow> out;
    std::istringstream in(read_text(dir / "out" / "trades.csv"));
    std::string header;
    std::getline(in, header);
    std::map<std::string, size_t> at;
    {
      std::istringstream h(header);
      size_t i = 0;
      for (std::string c; std::getline(h, c, ',');) at[c] = i++;
    }
    for (std::string l; std::getline(in, l);) {
      if (l.empty()) continue;
      std::vector<std::string> f;
      std::istringstream row(l);
      for (std::string c; std::getline(row, c, ',');) f.push_back(c);
      TradeRow t;
      t.key = f.at(at.at("idempotency_key"));
      t.symbol = f.at(at.at("symbol"));
      t.side = f.at(at.at("side"));
      t.qty = std::stod(f.at(at.at("qty")));
      t.price = std::stod(f.at(at.at("price")));
      out.push_back(t);
    }
    return out;
  }
  json summary() const { return json::parse(read_text(dir / "out" / "run_summary.json")); }

  // Every key the host placed reached the stand-in at most once, and the
  // stand-in holds no order the host did not place.
  void expect_nothing_doubled() const {
    std::set<std::string> cids;
    for (const auto& [key, states] : lifecycles()) {
      const std::string cid = binance_venue::binance_client_id(key);
      cids.insert(cid);
      expect(server.posts_for(cid) <= 1, "order " + key + " POSTed " + std::to_string(server.posts_for(cid)) + " times");
      expect(server.orders_created(cid) <= 1, "order " + key + " created twice at the stand-in");
    }
    for (const auto& o : server.orders())
      expect(cids.count(o.cid) == 1, "the stand-in holds an order the host never placed: " + o.cid);
    expect(log.find(kApiKey) == std::string::npos && log.find(kSecret) == std::string::npos,
           "no key in the host's log");
    expect(server.signature_failures() == 0, "every signature verified");
  }
  // Fills booked per key (trades.csv) equal the stand-in's executed quantity.
  void expect_fills_match_venue() const {
    std::map<std::string, double> booked;
    for (const TradeRow& t : trades()) booked[binance_venue::binance_client_id(t.key)] += t.qty;
    for (const auto& o : server.orders()) {
      const double b = booked.count(o.cid) ? booked[o.cid] : 0.0;
      expect(std::fabs(b - o.exec) <= 1e-9 * std::max(1.0, o.exec),
             "order " + o.cid + ": booked " + std::to_string(b) + ", executed at the stand-in " +
                 std::to_string(o.exec));
    }
  }
  bool logged(const std::string& needle) const { return log.find(needle) != std::string::npos; }
};

}  // namespace host_session

#endif
