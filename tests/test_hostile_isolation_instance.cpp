// [hostile][isolation] One isolated PluginInstance driven directly: the
// proxy answers like the plugin (hits, set_config, durable-state calls,
// host services), a killed child is a fault with the signal named, and the
// restarted child serves with the parameters set_config gave, not those of
// a one-shot command.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "isolation/isolated_plugin.h"
#include "plugins/plugin_instance.h"
#include "test_host_support.h"
#include "test_isolation_support.h"

using namespace sh::host;
using sh_test::runner_children;

namespace {

struct Hits {
  std::vector<std::string> classes;
  std::vector<sh_symbol_id> symbols;
};

sh_status collect(void* ctx, const sh_detector_hit* hits, uint32_t count, uint32_t item_size) {
  auto* h = static_cast<Hits*>(ctx);
  for (uint32_t i = 0; i < count; ++i) {
    const auto* hit = reinterpret_cast<const sh_detector_hit*>(
        reinterpret_cast<const uint8_t*>(hits) + size_t(i) * item_size);
    h->classes.push_back(hit->hit_class ? hit->hit_class : "(null)");
    h->symbols.push_back(hit->symbol);
  }
  return SH_OK;
}

}  // namespace

TEST_CASE("an isolated instance serves like the plugin and restarts with its serving config",
          "[hostile][isolation]") {
  HostRuntime runtime;
  auto opened = PluginLibrary::open(std::string(SH_PLUGIN_DIR) + "/libreturn_spike.so");
  REQUIRE(opened.ok());
  IsolationOptions iso;
  iso.process = true;
  iso.call_timeout_ms = 5000;
  REQUIRE(runner_children().empty());
  auto created = PluginInstance::create("spike", opened.library, {{"z_threshold", 4.0}}, runtime, iso);
  INFO(created.error);
  REQUIRE(created.instance);
  PluginInstance& inst = *created.instance;
  CHECK(inst.isolated());
  const std::vector<pid_t> children = runner_children();
  REQUIRE(children.size() == 1);

  // Symbols interned after the child started: their names travel with the call.
  const sh_symbol_id btc = runtime.symbols.intern("BTC");
  const sh_symbol_id eth = runtime.symbols.intern("ETH");
  std::vector<sh_feature_row> rows(2);
  for (size_t i = 0; i < rows.size(); ++i) {
    sh_feature_row& r = rows[i];
    r.struct_size = sizeof r;
    r.symbol = i == 0 ? btc : eth;
    r.minute_ts_ns = 1704153600000000000;
    r.log_ret = 0.05;
    r.z_ret = i == 0 ? 3.5 : 5.0;
  }
  const sh_feature_batch batch{sizeof(sh_feature_batch), sizeof(sh_feature_row), 2, 0,
                               rows[0].minute_ts_ns, rows.data(), 0, 0, nullptr, nullptr};
  sh_market_context ctx{};
  ctx.struct_size = sizeof ctx;
  ctx.benchmark_ret = std::nan("");
  Hits hits;
  const sh_hit_sink sink{sizeof(sh_hit_sink), &hits, &collect};

  REQUIRE(inst.detect(batch, ctx, sink) == SH_OK);
  CHECK(hits.symbols == std::vector<sh_symbol_id>{eth});
  CHECK(hits.classes == std::vector<std::string>{"return_spike"});

  // Live parameters through the channel; a schema error never reaches the child.
  CHECK(inst.set_config({{"z_threshold", 3.0}}) == "");
  CHECK(inst.set_config({{"z_threshold", "high"}}) != "");
  hits = Hits{};
  REQUIRE(inst.detect(batch, ctx, sink) == SH_OK);
  CHECK(hits.symbols == std::vector<sh_symbol_id>{btc, eth});
  std::string state;
  CHECK(inst.save_state(&state) == "plugin 'return_spike' keeps no durable state");

  // A killed child: the call fails with the signal named, and the next one
  // runs in a new child created with z_threshold 3.0.
  REQUIRE(::kill(children[0], SIGKILL) == 0);
  hits = Hits{};
  CHECK(inst.detect(batch, ctx, sink) == SH_ERR_INTERNAL);
  CHECK_THAT(std::string(inst.last_error()),
             Catch::StartsWith("component 'spike' (isolated, pid " + std::to_string(children[0]) +
                               ") ") &&
                 Catch::Contains("SIGKILL during detect()"));
  CHECK(runtime.counters.value("spike.isolation_faults") == 1);
  REQUIRE(inst.detect(batch, ctx, sink) == SH_OK);
  CHECK(hits.symbols == std::vector<sh_symbol_id>{btc, eth});
  CHECK(runtime.counters.value("spike.isolation_restarts") == 1);
  const std::vector<pid_t> now = runner_children();
  REQUIRE(now.size() == 1);
  CHECK(now[0] != children[0]);

  // Destroying the instance ends the child.
  created.instance.reset();
  CHECK(runner_children().empty());
}

TEST_CASE("an isolated instance whose runner cannot start fails create with the reason",
          "[hostile][isolation]") {
  HostRuntime runtime;
  auto opened = PluginLibrary::open(std::string(SH_PLUGIN_DIR) + "/libreturn_spike.so");
  REQUIRE(opened.ok());
  IsolationOptions iso;
  iso.process = true;
  ::setenv("SH_PLUGIN_RUNNER", "/nonexistent/sh-plugin-runner", 1);
  auto created = PluginInstance::create("spike", opened.library, nlohmann::json::object(), runtime, iso);
  ::unsetenv("SH_PLUGIN_RUNNER");
  CHECK_FALSE(created.instance);
  CHECK_THAT(created.error, Catch::Contains("component 'spike'") &&
                                Catch::Contains("cannot start /nonexistent/sh-plugin-runner"));
}
