// `host reload` end to end: the real binary (SH_HOST_BIN) against a real
// redis-server, received by an in-process ReloadListener.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "control/reload_listener.h"
#include "control/reload_signing.h"
#include "events/redis_client.h"
#include "support/redis_server.h"
#include "test_host_support.h"

using namespace sh::host;
using sh::test::RedisServer;
using sh_test::HostRun;
using sh_test::run_host;
using sh_test::ScratchDir;
using sh_test::write_file;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

template <typename Pred>
bool eventually(Pred pred, int timeout_ms = 5000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

std::string hget(const RedisServer& redis, const std::string& key, const std::string& field) {
  RedisClient c(redis.host(), redis.port());
  REQUIRE(c.connect().ok());
  RedisReply r;
  REQUIRE(c.command({"HGET", key, field}, &r).ok());
  return r.type == RedisReply::Type::kString ? r.str : "(nil)";
}

struct CliSetup {
  ScratchDir dir{"control_cli"};
  RedisServer redis;
  std::mutex mu;
  std::vector<ReloadRequest> requests;

  explicit CliSetup(const std::string& control_yaml = "") {
    write_file(dir / "conf/risk.yaml", "max_notional: 1\n");
    write_file(dir / "rules/spike.lua", "function detect(row) return nil end\n");
    write_file(dir / "host.yaml", "host:\n  rule_dirs: [rules]\n  plugin_dirs: [plugins]\n"
                                  "redis: {host: " + redis.host() + ", port: " + std::to_string(redis.port()) +
                                  ", timeout_ms: 1000}\n" + control_yaml);
  }
  HostRun reload(std::vector<std::string> args) {
    args.insert(args.begin(), "reload");
    args.push_back("--config");
    args.push_back("host.yaml");
    return run_host(args, dir.path());
  }
  std::unique_ptr<ReloadListener> listen(const ControlConfig& control) {
    RedisSettings settings;
    settings.enabled = true;
    settings.host = redis.host();
    settings.port = redis.port();
    ReloadListener::Callbacks cb;
    cb.on_request = [this](ReloadRequest r) {
      std::lock_guard<std::mutex> lock(mu);
      requests.push_back(std::move(r));
    };
    cb.current_version = [](const std::string&) { return std::string(); };
    auto l = std::make_unique<ReloadListener>(control, settings, cb);
    l->start();
    REQUIRE(eventually([&] { return l->stats().connected; }));
    return l;
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu);
    return requests.size();
  }
};

ControlConfig control_for(const fs::path& dir) {
  ControlConfig c;
  c.paths.base_dir = dir;
  c.paths.plugin_dirs = {dir / "plugins"};
  c.paths.rule_dirs = {dir / "rules"};
  c.paths.config_dirs = {dir};
  c.nonce_store_dir = (dir / "state/control").string();
  return c;
}

}  // namespace

TEST_CASE("host reload: stored as desired state, published, received by a listener", "[reload][redis]") {
  CliSetup s;
  auto listener = s.listen(control_for(s.dir.path()));

  const HostRun r = s.reload({"--component", "risk_harmoniser", "--config-path", "conf/risk.yaml",
                              "--label", "2024-06-01a"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "published risk_harmoniser to param.reload: received by 1 subscriber(s); desired state "
                 "stored in param.desired[risk_harmoniser]\n");
  const std::string stored = hget(s.redis, "param.desired", "risk_harmoniser");
  CHECK(nlohmann::json::parse(stored) ==
        nlohmann::json{{"component", "risk_harmoniser"}, {"config_path", "conf/risk.yaml"}, {"version", "2024-06-01a"}});
  REQUIRE(eventually([&] { return s.count() == 1; }));
  {
    std::lock_guard<std::mutex> lock(s.mu);
    CHECK(s.requests[0].origin == "redis");
    CHECK(s.requests[0].version == "2024-06-01a");
    CHECK(s.requests[0].config_path == fs::weakly_canonical(s.dir / "conf/risk.yaml").string());
  }

  // A dry run is published only.
  const HostRun dry = s.reload({"--component", "spike", "--rule-path", "rules/spike.lua", "--dry-run"});
  INFO(dry.err);
  REQUIRE(dry.exit_code == 0);
  CHECK_THAT(dry.out, Contains("received by 1 subscriber(s) (dry run: not stored as desired state)"));
  CHECK(hget(s.redis, "param.desired", "spike") == "(nil)");
  REQUIRE(eventually([&] { return s.count() == 2; }));
  {
    std::lock_guard<std::mutex> lock(s.mu);
    CHECK(s.requests[1].dry_run);
  }

  // Nobody listening: stored anyway, with a warning.
  listener->stop();
  const HostRun none = s.reload({"--component", "risk_harmoniser", "--rollback", "3"});
  REQUIRE(none.exit_code == 0);
  CHECK_THAT(none.out, Contains("received by 0 subscriber(s)"));
  CHECK_THAT(none.err, Contains("no host is subscribed to param.reload"));
  CHECK(nlohmann::json::parse(hget(s.redis, "param.desired", "risk_harmoniser")) ==
        nlohmann::json{{"component", "risk_harmoniser"}, {"rollback", 3}});
}

TEST_CASE("host reload: refuses what the host would refuse, and usage errors", "[reload][redis]") {
  CliSetup s;
  write_file(s.dir / "outside.so", "ELF");
  const HostRun outside = s.reload({"--component", "x", "--plugin-path", "../outside.so"});
  CHECK(outside.exit_code == 1);
  CHECK_THAT(outside.err, Contains("host reload: refused: plugin_path '../outside.so'"));
  CHECK_THAT(outside.err, Contains("outside the plugin dirs"));
  const HostRun typo = s.reload({"--component", "x", "--config-path", "conf/risk.txt"});
  CHECK(typo.exit_code == 1);
  CHECK_THAT(typo.err, Contains("must end in .yaml or .yml or .json"));
  CHECK(s.reload({"--config-path", "conf/risk.yaml"}).exit_code == 2);
  CHECK(s.reload({"--component", "x", "--rollback", "0"}).exit_code == 2);
  CHECK(s.reload({"--component", "x", "--bogus"}).exit_code == 2);
  CHECK(hget(s.redis, "param.desired", "x") == "(nil)");

  // No redis: section.
  write_file(s.dir / "noredis.yaml", "host: {mode: replay}\n");
  const HostRun nr = run_host({"reload", "--component", "x", "--rollback", "1", "--config", "noredis.yaml"},
                              s.dir.path());
  CHECK(nr.exit_code == 1);
  CHECK_THAT(nr.err, Contains("has no redis: section"));
  // Redis unreachable.
  s.redis.stop();
  const HostRun down = s.reload({"--component", "x", "--rollback", "1"});
  CHECK(down.exit_code == 1);
  CHECK_THAT(down.err, Contains("connect failed"));
}

TEST_CASE("host reload: signs with the configured secret, a signing listener accepts it", "[reload][redis]") {
  ::setenv("SH_TEST_CLI_SECRET", "sesame", 1);
  CliSetup s("control: {hmac_secret_env: SH_TEST_CLI_SECRET}\n");
  ControlConfig control = control_for(s.dir.path());
  control.hmac_secret_env = "SH_TEST_CLI_SECRET";
  control.hmac_secret = "sesame";
  auto listener = s.listen(control);
  const HostRun r = s.reload({"--component", "risk_harmoniser", "--config-path", "conf/risk.yaml"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto stored = nlohmann::json::parse(hget(s.redis, "param.desired", "risk_harmoniser"));
  REQUIRE(stored.contains("hmac"));
  CHECK(stored["hmac"] == hmac_sha256_hex("sesame", stored["body"].get<std::string>()));
  // The signed body says when it was signed and carries a nonce.
  const auto body = nlohmann::json::parse(stored["body"].get<std::string>());
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  CHECK(std::llabs(body["ts_ms"].get<int64_t>() - now_ms) < 60000);
  CHECK(body["nonce"].get<std::string>().size() == 32);
  REQUIRE(eventually([&] { return s.count() == 1; }));
  CHECK(listener->stats().refused == 0);
  // A second `host reload` of the same change is a new message (new nonce):
  // accepted too.
  const HostRun again = s.reload({"--component", "risk_harmoniser", "--config-path", "conf/risk.yaml"});
  REQUIRE(again.exit_code == 0);
  REQUIRE(eventually([&] { return s.count() == 2; }));
  CHECK(listener->stats().refused == 0);

  // Without the variable the command refuses to run unsigned.
  ::unsetenv("SH_TEST_CLI_SECRET");
  const HostRun unsigned_run = s.reload({"--component", "risk_harmoniser", "--rollback", "1"});
  CHECK(unsigned_run.exit_code == 1);
  CHECK_THAT(unsigned_run.err, Contains("environment variable SH_TEST_CLI_SECRET is not set"));
}
