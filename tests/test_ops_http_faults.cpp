// [ops][hostile] Bad input and faults at the host's HTTP server, through the
// real binary: malformed requests, oversized bodies and headers, unknown
// paths and methods, slow clients, the connection cap, a flood, a remote
// peer, a stalled pipeline, the port already in use, and host.http's checks.
#include <catch2/catch.hpp>

#include <ifaddrs.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <vector>

#include "test_ops_support.h"

using namespace sh_test;
using nlohmann::json;
using Catch::Contains;

namespace {

double metric_value(const std::string& text, const std::string& name) {
  const size_t at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
}

// A non-loopback IPv4 address of this machine, "" when it has none.
std::string non_loopback_ipv4() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return "";
  std::string found;
  for (ifaddrs* a = list; a != nullptr && found.empty(); a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    char buf[INET_ADDRSTRLEN];
    const auto* in = reinterpret_cast<sockaddr_in*>(a->ifa_addr);
    if (::inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf) && std::string(buf).rfind("127.", 0) != 0)
      found = buf;
  }
  ::freeifaddrs(list);
  return found;
}

}  // namespace

TEST_CASE("bad requests get their status: 400, 413, 431, 404, 405", "[ops][hostile]") {
  ScratchDir dir("ops_bad_input");
  const int port = free_tcp_port();
  write_file(dir / "host.yaml", ops_host_yaml(port, ", max_body_bytes: 64"));
  BackgroundHost h = start_ops_host(dir, port);
  HostGuard guard{h};

  CHECK(http_raw(port, "GARBAGE\r\n\r\n").status == 400);
  CHECK(http_raw(port, "GET /health HTTP/9.9.9\r\n\r\n").status == 400);
  CHECK(http_raw(port, "GET /health HTTP/1.1\r\nNo colon here\r\n\r\n").status == 400);
  const HttpReply big = http_request(port, "POST", "/api/stop", "", std::string(1000, 'x'));
  CHECK(big.status == 413);
  const HttpReply header = http_request(port, "GET", "/health", "X-Big: " + std::string(10000, 'h') + "\r\n");
  CHECK(header.status == 431);
  CHECK(http_get(port, "/nope").status == 404);
  CHECK(http_get(port, "/api/stopp").status == 404);
  const HttpReply del = http_request(port, "DELETE", "/metrics");
  CHECK(del.status == 405);
  CHECK_THAT(del.head, Contains("Allow: GET"));
  CHECK(http_get(port, "/api/stop").status == 405);
  CHECK(http_request(port, "POST", "/metrics").status == 405);
  // The server is still well after all that.
  CHECK(http_get(port, "/health").status == 200);
  const std::string m = http_get(port, "/metrics").body;
  CHECK(metric_value(m, "sh_http_bad_requests_total") >= 5);
  CHECK_THAT(m, Contains("sh_http_responses_total{code=\"404\"} 2"));
  CHECK(stop_host(h) == 0);
}

TEST_CASE("slow clients are dropped without blocking others, and the connection cap holds",
          "[ops][hostile]") {
  ScratchDir dir("ops_slow");
  const int port = free_tcp_port();
  write_file(dir / "host.yaml", ops_host_yaml(port, ", read_timeout_ms: 600, max_connections: 4"));
  BackgroundHost h = start_ops_host(dir, port);
  HostGuard guard{h};

  // Three slow clients: half a request line each, then silence.
  std::vector<int> slow;
  for (int i = 0; i < 3; ++i) {
    slow.push_back(connect_loopback(port));
    REQUIRE(slow.back() >= 0);
    send_all(slow.back(), "GET /hea");
  }
  // Another client is served at once meanwhile.
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(http_get(port, "/api/status").status == 200);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(500));
  // A fourth slow one fills the cap: the next connection is closed unanswered.
  slow.push_back(connect_loopback(port));
  send_all(slow.back(), "G");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(http_get(port, "/health").status == 0);
  // The slow ones are dropped after read_timeout_ms, with no reply.
  for (int fd : slow) {
    bool closed = false;
    CHECK(read_until_close(fd, 3000, &closed).empty());
    CHECK(closed);
    ::close(fd);
  }
  REQUIRE(wait_for([&] { return http_get(port, "/health").status == 200; }, h.pid));
  const std::string m = http_get(port, "/metrics").body;
  CHECK(metric_value(m, "sh_http_connections_timed_out_total") == 4);
  CHECK(metric_value(m, "sh_http_connections_refused_total") >= 1);
  CHECK(stop_host(h) == 0);
}

TEST_CASE("a flood of requests keeps the host's memory bounded and the pipeline running",
          "[ops][hostile]") {
  ScratchDir dir("ops_flood");
  const int port = free_tcp_port();
  write_file(dir / "host.yaml", ops_host_yaml(port));
  BackgroundHost h = start_ops_host(dir, port);
  HostGuard guard{h};
  REQUIRE(wait_for([&] { return http_get(port, "/api/ready").status == 200; }, h.pid));
  const double rss0 = metric_value(http_get(port, "/metrics").body, "process_resident_memory_bytes");
  const double minutes0 = metric_value(http_get(port, "/metrics").body, "sh_minute_closes_total");
  REQUIRE(rss0 > 0);
  // 4 clients x 250 requests, half of them the heaviest page (/metrics).
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < 250; ++i) {
        ok += http_get(port, (i + c) % 2 ? "/metrics" : "/api/status").status == 200;
      }
    });
  }
  for (auto& t : clients) t.join();
  CHECK(ok == 1000);
  const std::string m = http_get(port, "/metrics").body;
  // Resident memory grew by less than 32 MiB (the book and the feeds grow a little too).
  CHECK(metric_value(m, "process_resident_memory_bytes") - rss0 < 32.0 * (1 << 20));
  CHECK(metric_value(m, "sh_minute_closes_total") > minutes0);
  CHECK(metric_value(m, "sh_http_connections_open") <= 1);
  CHECK(stop_host(h) == 0);
}

TEST_CASE("POST from a non-loopback peer is refused unless host.http.allow_remote", "[ops][hostile]") {
  const std::string ip = non_loopback_ipv4();
  if (ip.empty()) {
    WARN("no non-loopback IPv4 address on this machine: the remote-peer case is not exercised");
    return;
  }
  ScratchDir dir("ops_remote");
  const int port = free_tcp_port();
  BackgroundHost h = start_token_host(dir, port, "tok", ", bind: 0.0.0.0");
  HostGuard guard{h};
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  send_all(fd, "POST /api/stop HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer tok\r\n"
               "Content-Length: 0\r\n\r\n");
  const HttpReply r = parse_reply(read_until_close(fd, 5000));
  ::close(fd);
  CHECK(r.status == 403);
  CHECK_THAT(r.body, Contains("loopback only"));
  // GETs are served to any peer the bind address lets in.
  CHECK(http_get(port, "/health").status == 200);
  CHECK(stop_host(h) == 0);
}

TEST_CASE("/health turns 503 with the reason when the pipeline stalls", "[ops][hostile]") {
  ScratchDir dir("ops_stall");
  const int port = free_tcp_port();
  write_file(dir / "host.yaml",
             "host: {mode: production, state_dir: state, output_dir: out, watchdog_ms: 0, heartbeat_ms: 0,\n"
             "       http: {port: " + std::to_string(port) + ", health_stall_ms: 300}}\n" +
                 sample_providers_yaml() +
                 "detectors:\n  - {name: stuck, plugin: '" + test_plugin("hostile_detector").string() +
                 "', config: {misbehave: hang, on_call: 3}}\n");
  BackgroundHost h = start_ops_host(dir, port);
  HostGuard guard{h};
  // Two minutes decided, then detect() never returns: the loop stops turning.
  REQUIRE(wait_for([&] { return http_get(port, "/health").status == 503; }, h.pid));
  const HttpReply r = http_get(port, "/health");
  CHECK_THAT(r.body, Contains("stalled: the pipeline loop has made no progress for "));
  CHECK_THAT(r.body, Contains("host.http.health_stall_ms 300"));
  CHECK(stop_host(h) == 143);  // SIGTERM while a plugin is stuck (README, Reliability)
}

TEST_CASE("the port already in use is a clear startup error naming host.http.port", "[ops][hostile]") {
  ScratchDir dir("ops_port_in_use");
  const int port = free_tcp_port();
  const int holder = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  REQUIRE(::bind(holder, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(holder, 1) == 0);
  DecisionConfig cfg;  // a replay of the sample session
  cfg.extra = "";
  write_file(dir / "host.yaml", cfg.text());
  std::string yaml = read_file(dir / "host.yaml");
  yaml.replace(yaml.find("  state_dir:"), 0, "  http: {port: " + std::to_string(port) + "}\n");
  write_file(dir / "host.yaml", yaml);
  const HostRun r = run_host({"--config", (dir / "host.yaml").string()}, dir.path());
  ::close(holder);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("host.http.port: cannot listen on 127.0.0.1:" + std::to_string(port) +
                             ": Address already in use"));
}

TEST_CASE("host.http is checked at its line, and the default run opens no port", "[ops]") {
  ScratchDir dir("ops_config");
  auto validate = [&](const std::string& http) {
    write_file(dir / "h.yaml", "host: {mode: production, http: " + http + "}\n");
    return run_host({"--validate-config", "--config", (dir / "h.yaml").string()}, dir.path());
  };
  HostRun r = validate("{port: 70000}");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("h.yaml:1:"));
  CHECK_THAT(r.err, Contains("host.http.port: expected an integer 0 to 65535, not '70000'"));
  r = validate("{prot: 8080}");
  CHECK_THAT(r.err, Contains("unknown key 'prot' in host.http (did you mean 'port'?"));
  r = validate("{port: 8080, bind: localhost}");
  CHECK_THAT(r.err, Contains("host.http.bind: 'localhost' is not an IP address"));
  r = validate("{port: 8080, token_env: SH_TEST_NO_SUCH_VARIABLE}");
  CHECK_THAT(r.err, Contains("host.http.token_env: environment variable SH_TEST_NO_SUCH_VARIABLE is not set"));
  r = validate("{port: 8080, token_file: missing_token}");
  CHECK_THAT(r.err, Contains("host.http.token_file: cannot read "));
  r = validate("{port: 8080, max_connections: 0}");
  CHECK_THAT(r.err, Contains("host.http.max_connections: expected an integer 1 to 4096, not '0'"));
  CHECK(validate("{port: 8080, allow_remote: true, max_body_bytes: 100}").exit_code == 0);

  // The replay of the sample session, no http: configured, serves nothing.
  DecisionConfig cfg;
  const HostRun run = run_decision(dir, cfg);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.err.find("http: serving") == std::string::npos);
}
