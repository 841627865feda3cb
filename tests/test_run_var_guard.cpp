// Issue 20 item 1 through the real binary and a real redis-server: a
// production host whose own book carries a high VaR publishes it to
// var_pct:host, refuses an ordinary reload (guard) and takes the emergency
// Kelly cut ("emergency": reason), and the summary counts both.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "test_swap_e2e_support.h"

using namespace sh_test::e2e;
using sh_test::ScratchDir;
using sh_test::write_file;
using Catch::Matchers::Contains;

TEST_CASE("a high-VaR host refuses an ordinary reload and takes the emergency Kelly cut",
          "[reload][redis][e2e][risk]") {
  ScratchDir dir("run_var_guard");
  RedisServer redis;
  // Big orders on a small account over a fast synthetic feed: the book's
  // VaR is far above the guard's limit within a second of trading.
  write_file(dir / "host.yaml",
             production_head(redis, "{guard: {max_var_pct: 0.05}}") +
             "providers:\n"
             "  - name: feed\n"
             "    plugin: synthetic\n"
             "    config: {symbol_count: 4, seed: 11, events_per_second: 3000, events: 2000000000, "
             "volatility_bps: 20}\n"
             "experts:\n"
             "  - {name: momentum, plugin: momentum, config: {}}\n"
             "  - {name: anomaly, plugin: anomaly, config: {}}\n"
             "risk:\n"
             "  - {name: kelly_var, plugin: kelly_var, config: {var_limit_pct: 2.0}}\n"
             "consensus: {weights: {momentum: 0.5, anomaly: 0.5}, threshold: 0.55, min_confidence: 0.1}\n"
             "execution: {mode: paper, order_notional_usd: 10000, initial_cash_usd: 20000,\n"
             "            emergency_reduce: {enabled: false}}\n");
  write_file(dir / "conf/kelly_cut.yaml", "{kelly_fraction: 0.1, var_limit_pct: 2.0}\n");

  BackgroundHost host({"run", "--config", "host.yaml"}, dir.path());
  RedisClient c(redis.host(), redis.port());
  REQUIRE(c.connect().ok());
  // The host publishes its own VaR for other tools.
  double var = 0;
  const bool high = eventually([&] {
    RedisReply r;
    if (!c.command({"GET", "var_pct:host"}, &r).ok() || r.type != RedisReply::Type::kString) return false;
    var = std::stod(r.str);
    return var > 0.05;
  }, 15000);
  INFO("host stderr:\n" << host.err());
  REQUIRE(high);

  RedisReply r;
  REQUIRE(c.command({"PUBLISH", "param.reload",
                     R"({"component":"kelly_var","config_path":"conf/kelly_cut.yaml","version":"cut1"})"},
                    &r)
              .ok());
  REQUIRE(eventually([&] { return host.err().find("Configuration reload refused: kelly_var") != std::string::npos; },
                     5000));
  CHECK_THAT(host.err(), Contains("refused by guard: the host's portfolio VaR"));
  REQUIRE(c.command({"PUBLISH", "param.reload",
                     R"({"component":"kelly_var","config_path":"conf/kelly_cut.yaml","version":"cut2",)"
                     R"("emergency":"VaR breach: kelly 0.1"})"},
                    &r)
              .ok());
  REQUIRE(eventually([&] { return host.err().find("Configuration reloaded: kelly_var version cut2") != std::string::npos; },
                     5000));
  CHECK_THAT(host.err(), Contains("as an emergency: VaR breach: kelly 0.1"));
  // The switch stream has both outcomes, with the refusal's category.
  Fields refused, applied;
  CHECK(eventually([&] { return find_entry(redis, "kelly_var", "0", &refused); }, 5000));
  CHECK(refused["refusal"] == "guard");
  CHECK(eventually([&] { return find_entry(redis, "kelly_var", "1", &applied); }, 5000));
  CHECK(applied["version"] == "cut2");

  REQUIRE(host.signal_and_wait(SIGTERM, 15000) == 0);
  CHECK_THAT(host.out(), Contains("reload messages    received 2, applied 1, refused 1  (guard=1)"));
  const auto summary = nlohmann::json::parse(sh_test::read_file(dir / "out/run_summary.json"));
  INFO(summary.dump());
  CHECK(summary["decision"]["var_pct_max"].get<double>() > 0.05);
}
