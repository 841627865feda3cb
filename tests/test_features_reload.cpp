// [features][reload][redis] A param.reload of `features:` reaching a running
// production host over real Redis is refused with its reason (the feature
// columns are the store's schema), logged and written to the switch stream;
// the host keeps running with its set.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "events/redis_client.h"
#include "support/redis_server.h"
#include "test_host_support.h"
#include "test_swap_e2e_support.h"

using sh::host::RedisClient;
using sh::host::RedisReply;
using sh::test::RedisServer;
using sh_test::ScratchDir;
using sh_test::write_file;
using Catch::Matchers::Contains;

using namespace sh_test::e2e;

TEST_CASE("param.reload of features: to a running host is refused with the reason", "[features][reload][redis]") {
  ScratchDir dir("features_reload_live");
  RedisServer redis;
  write_file(dir / "host.yaml",
             synthetic_production_yaml(redis, "  - {name: return_spike, plugin: return_spike}\n") +
                 "features:\n"
                 "  - {name: sma_5, indicator: sma, input: close, window: 5}\n");
  write_file(dir / "conf/features.yaml", "- {name: sma_9, indicator: sma, input: close, window: 9}\n");
  BackgroundHost host({"run", "--config", "host.yaml"}, dir.path());
  const bool subscribed = host.wait_subscribed();
  INFO("host stderr:\n" << host.err());
  REQUIRE(subscribed);

  RedisClient c(redis.host(), redis.port());
  REQUIRE(c.connect().ok());
  RedisReply r;
  REQUIRE(c.command({"PUBLISH", "param.reload", R"({"component":"features","config_path":"conf/features.yaml"})"}, &r)
              .ok());
  CHECK(r.integer == 1);
  Fields e;
  const bool streamed = eventually([&] { return find_entry(redis, "features", "0", &e); }, 5000);
  INFO("host stderr:\n" << host.err());
  REQUIRE(streamed);
  CHECK_THAT(e["reason"], Contains("the feature columns (features:) define the state store's schema"));
  CHECK_THAT(e["reason"], Contains("start the host as a new store"));
  CHECK(host.running());
  CHECK(host.signal_and_wait(SIGTERM, 20000) == 0);
}
