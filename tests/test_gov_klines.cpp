// [history][binance] The binance_history provider (GET /api/v3/klines)
// through `host history backfill`, against a local HTTPS stand-in with a
// certificate made at test time (never the internet): the documented
// klines format in two pages, and every fault of issue 16: 5xx storms and
// timeouts (retried with backoff), 400/401/403 (logged once, provider
// skipped, no retry), 429 with Retry-After (honoured), truncated bodies and
// HTML error pages (clear errors).
#include <catch2/catch.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "history/calendar.h"
#include "support/test_certificate.h"
#include "test_host_support.h"

using namespace sh_test;
using Catch::Matchers::Contains;
using json = nlohmann::json;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// One scripted answer.
struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::string retry_after;
  bool truncate = false;  // Content-Length says more than is sent, then the connection closes
  int delay_ms = 0;       // wait before answering (a timeout when longer than the client's)
};

// An HTTPS server on 127.0.0.1: answers from the script in order, then
// with `fallback`; real klines from `daily` when the script is empty and
// no fallback is set. Records every request target and its arrival time.
class KlinesServer {
 public:
  explicit KlinesServer(const fs::path& dir) : tls_(net::ssl::context::tls_server), acceptor_(ioc_) {
    fs::create_directories(dir);
    make_test_certificate(dir);
    ca_ = (dir / "cert.pem").string();
    tls_.use_certificate_chain_file(ca_);
    tls_.use_private_key_file((dir / "key.pem").string(), net::ssl::context::pem);
    const net::ip::tcp::endpoint ep(net::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~KlinesServer() {
    stopping_ = true;
    boost::system::error_code ec;
    net::ip::tcp::socket poke(ioc_);
    poke.connect({net::ip::make_address("127.0.0.1"), port_}, ec);
    thread_.join();
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  const std::string& ca_file() const { return ca_; }
  void script(std::vector<Reply> replies) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& r : replies) script_.push_back(std::move(r));
  }
  void fallback(Reply r) {
    std::lock_guard<std::mutex> lock(mu_);
    fallback_ = std::move(r);
    has_fallback_ = true;
  }
  std::vector<std::pair<std::string, std::chrono::steady_clock::time_point>> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  // Klines for [startTime, endTime], at most `limit`, one a day at 100 + day % 7.
  static std::string klines(const std::string& target) {
    auto param = [&](const std::string& k) {
      const size_t at = target.find(k + "=");
      return at == std::string::npos ? std::string() : target.substr(at + k.size() + 1, target.find('&', at) - at - k.size() - 1);
    };
    const int64_t day = 86'400'000;
    const int64_t start = std::stoll(param("startTime")), end = std::stoll(param("endTime"));
    const int64_t limit = std::stoll(param("limit"));
    json out = json::array();
    for (int64_t t = (start + day - 1) / day * day; t <= end && static_cast<int64_t>(out.size()) < limit; t += day) {
      const std::string p = std::to_string(100 + (t / day) % 7) + ".50000000";
      out.push_back({t, p, p, p, p, "12.00000000", t + day - 1, "1200.0", 42, "6.0", "600.0", "0"});
    }
    return out.dump();
  }

  void serve() {
    while (!stopping_) {
      net::ip::tcp::socket sock(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(sock, ec);
      if (ec || stopping_) break;
      handle(std::move(sock));
    }
  }

  void handle(net::ip::tcp::socket sock) {
    beast::ssl_stream<net::ip::tcp::socket> stream(std::move(sock), tls_);
    boost::system::error_code ec;
    stream.handshake(net::ssl::stream_base::server, ec);
    if (ec) return;
    beast::flat_buffer buf;
    http::request<http::string_body> req;
    http::read(stream, buf, req, ec);
    if (ec) return;
    const std::string target(req.target());
    Reply r;
    bool real = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.emplace_back(target, std::chrono::steady_clock::now());
      if (!script_.empty()) {
        r = script_.front();
        script_.pop_front();
      } else if (has_fallback_) {
        r = fallback_;
      } else {
        real = true;
      }
    }
    if (real) r.body = klines(target);
    if (r.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(r.delay_ms));
    std::string head = "HTTP/1.1 " + std::to_string(r.status) + " X\r\nContent-Type: " + r.content_type +
                       "\r\nConnection: close\r\n";
    if (!r.retry_after.empty()) head += "Retry-After: " + r.retry_after + "\r\n";
    head += "Content-Length: " + std::to_string(r.truncate ? r.body.size() + 500 : r.body.size()) + "\r\n\r\n";
    net::write(stream, net::buffer(head + r.body), ec);
    if (!r.truncate) stream.shutdown(ec);
    beast::get_lowest_layer(stream).close(ec);
  }

  net::io_context ioc_;
  net::ssl::context tls_;
  net::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::string ca_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::deque<Reply> script_;
  Reply fallback_;
  bool has_fallback_ = false;
  std::vector<std::pair<std::string, std::chrono::steady_clock::time_point>> requests_;
};

std::string klines_config(const ScratchDir& dir, const KlinesServer& server, const std::string& extra = "") {
  return "host:\n  mode: replay\n  state_dir: " + (dir / "state").string() + "\n  output_dir: " +
         (dir / "out").string() + "\nhistory:\n  universe: universe.json\n  end: 2025-01-17\n  providers:\n"
         "    - name: binance_daily\n      plugin: binance_history\n      config: {rest_url: '" + server.url() +
         "', ca_file: '" + server.ca_file() + "', timeout_ms: 3000, retries: 3, backoff_initial_ms: 20, "
         "backoff_max_ms: 100" + extra + "}\n";
}

std::vector<json> log_of(const ScratchDir& dir) {
  std::vector<json> out;
  for (const auto& l : lines(read_file(dir / "out/governance.jsonl"))) out.push_back(json::parse(l));
  return out;
}

Reply error_reply(int status, const std::string& body, const std::string& type = "application/json") {
  Reply r;
  r.status = status;
  r.body = body;
  r.content_type = type;
  return r;
}

}  // namespace

TEST_CASE("binance_history backfills five years of documented klines in pages of 1000", "[history][binance]") {
  ScratchDir dir("gov_klines_ok");
  KlinesServer server(dir / "tls");
  write_file(dir / "universe.json", R"(["BTC-USD", "ETH-USD"])");
  write_file(dir / "cfg.yaml", klines_config(dir, server, ", symbols: {ETH-USD: ETHUSDT}"));
  const HostRun b = run_host({"history", "backfill", "--config", "cfg.yaml"}, dir.path());
  INFO(b.out << b.err);
  REQUIRE(b.exit_code == 0);
  const auto reqs = server.requests();
  REQUIRE(reqs.size() == 4);  // 1826 days: two pages per symbol
  CHECK_THAT(reqs[0].first, Contains("/api/v3/klines?symbol=BTCUSDT&interval=1d&startTime="));
  CHECK_THAT(reqs[0].first, Contains("&limit=1000"));
  CHECK_THAT(reqs[2].first, Contains("symbol=ETHUSDT"));
  for (const auto& l : log_of(dir)) {
    CHECK(l["decision"] == "stored");
    CHECK(l["rows"] == 1826);
  }
  REQUIRE(run_host({"history", "verify", "--config", "cfg.yaml"}, dir.path()).exit_code == 0);
  const HostRun s = run_host({"history", "status", "--format", "json", "--config", "cfg.yaml"}, dir.path());
  const json st = json::parse(s.out);
  CHECK(st["counts"]["ACTIVE"] == 2);
  for (const auto& row : st["symbols"]) CHECK(row["quality"].get<double>() == Approx(1.0));
}

TEST_CASE("binance_history retries 5xx, timeouts and truncated bodies with backoff, then gives up clearly",
          "[history][binance]") {
  ScratchDir dir("gov_klines_retry");
  KlinesServer server(dir / "tls");
  write_file(dir / "universe.json", R"(["BTC-USD"])");
  write_file(dir / "cfg.yaml", klines_config(dir, server));
  SECTION("a short storm of 503, a timeout and a truncated body: retried, then stored") {
    Reply timeout;
    timeout.delay_ms = 3300;  // the client's timeout_ms is 3000
    Reply truncated;
    truncated.body = R"([[1579392000000,"100.5","100.5")";
    truncated.truncate = true;
    server.script({error_reply(503, "<html><body>503 Service Unavailable</body></html>", "text/html"), timeout,
                   truncated});
    const HostRun b = run_host({"history", "backfill", "--config", "cfg.yaml"}, dir.path());
    INFO(b.out << b.err);
    REQUIRE(b.exit_code == 0);
    CHECK(server.requests().size() == 5);  // 3 failures, then two pages
    CHECK(log_of(dir).back()["decision"] == "stored");
    CHECK_THAT(b.err, Contains("HTTP 503 (an HTML error page)"));
  }
  SECTION("a 500 storm: 1 + 3 retries, then the symbol is rejected with the reason") {
    server.fallback(error_reply(500, R"({"code":-1000,"msg":"An unknown error occurred"})"));
    const HostRun b = run_host({"history", "backfill", "--config", "cfg.yaml"}, dir.path());
    INFO(b.out << b.err);
    REQUIRE(b.exit_code == 0);
    CHECK(server.requests().size() == 4);
    const json l = log_of(dir).back();
    CHECK(l["decision"] == "rejected");
    CHECK(l["reason"] == "BACKFILL_FAILED");
    CHECK_THAT(l["skipped"][0]["detail"].get<std::string>(), Contains("HTTP 500"));
    CHECK_THAT(l["skipped"][0]["detail"].get<std::string>(), Contains("after 4 tries"));
  }
  SECTION("truncated JSON every time: the error says so") {
    Reply cut;
    cut.body = R"([[1579392000000,"100.5","10)";
    server.fallback(cut);
    REQUIRE(run_host({"history", "backfill", "--config", "cfg.yaml"}, dir.path()).exit_code == 0);
    CHECK_THAT(log_of(dir).back()["skipped"][0]["detail"].get<std::string>(), Contains("truncated or malformed JSON"));
  }
  SECTION("an HTML page with HTTP 200: a clear error, not retried") {
    server.fallback(error_reply(200, "<!DOCTYPE html><html>Access denied</html>", "text/html"));
    REQUIRE(run_host({"history", "backfill", "--config", "cfg.yaml"}, dir.path()).exit_code == 0);
    CHECK(server.requests().size() == 1);
    CHECK_THAT(log_of(dir).back()["skipped"][0]["detail"].get<std::string>(),
               Contains("HTTP 200 with an HTML page instead of JSON"));
  }
}

TEST_CASE("binance_history: 401 and 403 are logged once and skip the provider, never retried",
          "[history][binance]") {
  ScratchDir dir("gov_klines_403");
  KlinesServer server(dir / "tls");
  write_file(dir / "universe.json", R"(["BTC-USD", "ETH-USD", "SOL-USD"])");
  write_file(dir / "cfg.yaml", klines_config(dir, server));
  const int status = GENERATE(401, 403);
  server.fallback(error_reply(status, R"({"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."})"));
  const HostRun b = run_host({"history", "backfill", "--config", "cfg.yaml"}, dir.path());
  INFO(b.out << b.err);
  REQUIRE(b.exit_code == 0);
  CHECK(server.requests().size() == 1);  // one request, for the first symbol; no retry, no second symbol
  size_t once = 0, rejected = 0;
  for (const auto& l : log_of(dir)) {
    if (l["decision"] == "provider_not_entitled") {
      ++once;
      CHECK_THAT(l["detail"].get<std::string>(), Contains("HTTP " + std::to_string(status)));
    }
    if (l["decision"] == "rejected") {
      ++rejected;
      CHECK(l["reason"] == "NO_VALID_PROVIDER");
      CHECK(l["skipped"][0]["reason"] == "NOT_ENTITLED");
    }
  }
  CHECK(once == 1);
  CHECK(rejected == 3);
}

TEST_CASE("binance_history honours 429 Retry-After", "[history][binance]") {
  ScratchDir dir("gov_klines_429");
  KlinesServer server(dir / "tls");
  write_file(dir / "universe.json", R"(["BTC-USD"])");
  write_file(dir / "cfg.yaml", klines_config(dir, server));
  Reply limited = error_reply(429, R"({"code":-1003,"msg":"Too many requests."})");
  limited.retry_after = "1";
  server.script({limited});
  const HostRun b = run_host({"history", "backfill", "--config", "cfg.yaml"}, dir.path());
  INFO(b.out << b.err);
  REQUIRE(b.exit_code == 0);
  const auto reqs = server.requests();
  REQUIRE(reqs.size() == 3);
  // The retry waited the second Retry-After asked for (the backoff alone is <= 100 ms).
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(reqs[1].second - reqs[0].second).count() >= 950);
  CHECK(log_of(dir).back()["decision"] == "stored");
  SECTION("a Retry-After longer than max_retry_after_ms fails the symbol") {
    ScratchDir dir2("gov_klines_429_long");
    write_file(dir2 / "universe.json", R"(["BTC-USD"])");
    write_file(dir2 / "cfg.yaml", klines_config(dir2, server, ", max_retry_after_ms: 5000"));
    limited.retry_after = "120";
    server.script({limited});
    REQUIRE(run_host({"history", "backfill", "--config", "cfg.yaml"}, dir2.path()).exit_code == 0);
    CHECK_THAT(log_of(dir2).back()["skipped"][0]["detail"].get<std::string>(), Contains("Retry-After 120 s"));
  }
}
