// [ops] The host's HTTP endpoints through the real binary, on a live-ish
// host (production mode, an endless synthetic feed at full speed): /health,
// /api/ready, /api/status, /metrics checked by promtool, and the operator
// commands with their token, obeyed by the pipeline.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <sstream>
#include <vector>

#include "support/redis_server.h"
#include "test_ops_support.h"

using namespace sh_test;
using nlohmann::json;
using Catch::Contains;

namespace {

// Every metric family README's "Operating the host" table lists (the
// first cell of each row: `sh_x{labels}`, several per cell), but the
// sh_plugin_<counter>_total pattern (checked by one instance).
std::vector<std::string> readme_families() {
  const std::string readme = read_file(fs::path(SH_SOURCE_DIR) / "README.md");
  const size_t from = readme.find("| metric | type | meaning |");
  const size_t to = readme.find("\n\n", from);
  std::vector<std::string> out;
  std::istringstream rows(readme.substr(from, to - from));
  for (std::string row; std::getline(rows, row);) {
    const std::string cell = row.substr(0, row.find(" | ", 2));
    for (size_t at = cell.find('`'); at != std::string::npos; at = cell.find('`', at + 1)) {
      const size_t close = cell.find('`', at + 1);
      std::string name = cell.substr(at + 1, close - at - 1);
      name = name.substr(0, name.find('{'));
      if (name.find('<') == std::string::npos) out.push_back(name);
      at = close;
    }
  }
  out.push_back("sh_plugin_trips_total");  // the breaker's counter, through the pattern
  return out;
}

json status_of(int port) {
  const HttpReply r = http_get(port, "/api/status");
  return r.status == 200 ? json::parse(r.body) : json();
}

}  // namespace

TEST_CASE("a running host serves health, readiness, status and metrics that promtool accepts", "[ops]") {
  ScratchDir dir("ops_endpoints");
  const int port = free_tcp_port();
  write_file(dir / "host.yaml", ops_host_yaml(port));
  BackgroundHost h = start_ops_host(dir, port);
  HostGuard guard{h};

  const HttpReply health = http_get(port, "/health");
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");
  // Ready once the store is open, 5 warm-up minutes closed and the feed delivered.
  REQUIRE(wait_for([&] { return http_get(port, "/api/ready").status == 200; }, h.pid));
  CHECK(json::parse(http_get(port, "/api/ready").body)["missing"].empty());

  const json s = status_of(port);
  REQUIRE(s.is_object());
  CHECK(s["mode"] == "production");
  CHECK(s["uptime_s"].get<double>() > 0);
  CHECK(s["run"]["minutes_closed"].get<int>() >= 5);
  CHECK(s["run"]["last_minute"].is_string());
  CHECK(s["run"]["dq"]["ok_share"].is_number());
  REQUIRE(s["components"].size() == 6);  // synth, return_spike, momentum, anomaly, breaker, kill
  for (const auto& c : s["components"]) CHECK(c["version"] == "1.0.0");
  CHECK(s["decision"]["enabled"] == true);
  CHECK(s["decision"]["equity_usd"].is_number());
  CHECK(s["decision"]["risk"][0]["breaker_open"].is_boolean());
  CHECK(s["decision"]["risk"][1]["kill_switch_engaged"] == false);
  CHECK(s["providers"][0]["connected"] == true);
  CHECK(s["alerts"].is_array());
  CHECK(s["reloads"].is_array());

  const HttpReply m = http_get(port, "/metrics");
  REQUIRE(m.status == 200);
  CHECK_THAT(m.head, Contains("Content-Type: text/plain; version=0.0.4"));
  const std::vector<std::string> families = readme_families();
  CHECK(families.size() > 50);
  for (const std::string& family : families) {
    INFO(family);
    CHECK_THAT(m.body, Contains("# TYPE " + family + " "));
  }
  // The Debian `prometheus` package's promtool (tools/install-deps.sh installs it).
  REQUIRE(std::system("command -v promtool >/dev/null") == 0);
  write_file(dir / "scrape.txt", m.body);
  const std::string check = "promtool check metrics < '" + (dir / "scrape.txt").string() + "' > '" +
                            (dir / "promtool.txt").string() + "' 2>&1";
  const int rc = std::system(check.c_str());
  INFO(read_file(dir / "promtool.txt"));
  CHECK(rc == 0);

  CHECK(stop_host(h) == 0);
}

TEST_CASE("operator commands over HTTP need the bearer token, and the pipeline obeys POST /api/stop",
          "[ops]") {
  ScratchDir dir("ops_commands");
  const int port = free_tcp_port();
  BackgroundHost h = start_token_host(dir, port, "s3cret-token");
  HostGuard guard{h};
  REQUIRE(wait_for([&] { return status_of(port).is_object(); }, h.pid));

  const HttpReply none = http_request(port, "POST", "/api/stop");
  CHECK(none.status == 401);
  CHECK_THAT(none.head, Contains("WWW-Authenticate: Bearer"));
  CHECK(http_request(port, "POST", "/api/stop", "Authorization: Bearer s3cret-tokeN\r\n").status == 401);
  CHECK(http_request(port, "POST", "/api/stop", "Authorization: Basic s3cret-token\r\n").status == 401);
  CHECK(status_of(port)["run"]["operator_commands"] == 0);

  const HttpReply ok = http_request(port, "POST", "/api/stop", "Authorization: Bearer s3cret-token\r\n");
  REQUIRE(ok.status == 202);
  CHECK(json::parse(ok.body)["queued"] == "stop");
  // Applied at the next minute close: trading stops.
  REQUIRE(wait_for([&] { return status_of(port)["decision"]["emergency_stop"] == true; }, h.pid));
  CHECK(status_of(port)["run"]["operator_commands"] == 1);
  CHECK_THAT(http_get(port, "/metrics").body, Contains("\nsh_trading_stopped 1\n"));

  CHECK(stop_host(h) == 0);
  // The stop is in the book of record, as `host trade stop` would leave it.
  const HostRun st = run_host({"status", "--config", (dir / "host.yaml").string()}, dir.path());
  CHECK_THAT(st.out, Contains("EMERGENCY STOP"));
}

TEST_CASE("without a configured token the operator commands are refused, never open", "[ops]") {
  ScratchDir dir("ops_no_token");
  const int port = free_tcp_port();
  ::unsetenv("SH_HTTP_TOKEN");
  write_file(dir / "host.yaml", ops_host_yaml(port));
  BackgroundHost h = start_ops_host(dir, port);
  HostGuard guard{h};
  const HttpReply r = http_request(port, "POST", "/api/flatten", "Authorization: Bearer anything\r\n");
  CHECK(r.status == 503);
  CHECK_THAT(r.body, Contains("no token configured"));
  CHECK_THAT(r.body, Contains("SH_HTTP_TOKEN"));
  CHECK(stop_host(h) == 0);
}

TEST_CASE("a reload shows in /api/status and the swap metrics: history, serving version, swap time",
          "[ops][reload][redis]") {
  sh::test::RedisServer redis;
  ScratchDir dir("ops_reload");
  const int port = free_tcp_port();
  write_file(dir / "host.yaml", ops_host_yaml(port) + "redis: {host: " + redis.host() + ", port: " +
                                    std::to_string(redis.port()) + "}\ncontrol: {guard: {host_var: false}}\n");
  write_file(dir / "spike.yaml", "z_threshold: 5.0\n");
  BackgroundHost h = start_ops_host(dir, port);
  HostGuard guard{h};
  REQUIRE(wait_for([&] { return status_of(port).is_object(); }, h.pid));
  CHECK(status_of(port)["reloads"].empty());

  const HostRun r = run_host({"reload", "--config", (dir / "host.yaml").string(), "--component",
                              "return_spike", "--config-path", (dir / "spike.yaml").string(), "--label", "v2"},
                             dir.path());
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(wait_for([&] { return status_of(port)["reloads"].size() == 1; }, h.pid));
  const json s = status_of(port);
  const json& w = s["reloads"][0];
  CHECK(w["component"] == "return_spike");
  CHECK(w["applied"] == true);
  CHECK(w["label"] == "v2");
  CHECK(w["config_version"] == 2);
  CHECK(w["duration_s"].get<double>() > 0);
  CHECK(s["components"][1]["name"] == "return_spike");
  CHECK(s["components"][1]["version"] == "1.0.0+cfg2");
  const std::string m = http_get(port, "/metrics").body;
  CHECK_THAT(m, Contains("\nsh_swap_duration_seconds_count 1\n"));
  CHECK_THAT(m, Contains("\nsh_swaps_applied_total 1\n"));
  CHECK_THAT(m, Contains("sh_component_info{component=\"return_spike\",kind=\"detector\",plugin=\"return_spike\","
                         "version=\"1.0.0+cfg2\"} 1"));
  CHECK(stop_host(h) == 0);
}
