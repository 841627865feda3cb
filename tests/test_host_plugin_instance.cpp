// [loader] Creating instances and calling them through the host's wrappers.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "plugins/plugin_instance.h"
#include "test_host_support.h"

using nlohmann::json;
using sh::host::HostRuntime;
using sh::host::PluginInstance;
using sh::host::PluginLibrary;
using sh_test::test_plugin;

namespace {

std::shared_ptr<const PluginLibrary> load(const std::string& name) {
  auto opened = PluginLibrary::open(test_plugin(name));
  REQUIRE(opened.status == "ok");
  return opened.library;
}

struct Hits {
  std::vector<sh_detector_hit> hits;
  std::vector<std::string> classes;
  static sh_status emit(void* ctx, const sh_detector_hit* hits, uint32_t count, uint32_t size) {
    auto* self = static_cast<Hits*>(ctx);
    const auto* p = reinterpret_cast<const unsigned char*>(hits);
    for (uint32_t i = 0; i < count; ++i) {
      const auto& h = *reinterpret_cast<const sh_detector_hit*>(p + size_t{i} * size);
      self->hits.push_back(h);
      self->classes.emplace_back(h.hit_class);  // borrowed: copy during the call
    }
    return SH_OK;
  }
  sh_hit_sink sink() { return sh_hit_sink{sizeof(sh_hit_sink), this, &Hits::emit}; }
};

sh_feature_row row(sh_symbol_id symbol, double z_ret) {
  sh_feature_row r{};
  r.struct_size = sizeof(r);
  r.symbol = symbol;
  r.minute_ts_ns = 60'000'000'000;
  r.z_ret = z_ret;
  return r;
}

}  // namespace

TEST_CASE("a detector instance runs through detect() and counts with its component name",
          "[loader]") {
  HostRuntime rt;
  auto created =
      PluginInstance::create("spike", load("good_detector"), json{{"threshold", 3.0}}, rt);
  REQUIRE(created.error == "");
  REQUIRE(created.instance);
  PluginInstance& inst = *created.instance;
  CHECK(inst.component() == "spike");
  CHECK(inst.kind() == SH_KIND_DETECTOR);

  std::vector<sh_feature_row> rows = {row(1, 1.0), row(2, 3.5), row(3, 9.0)};
  sh_feature_batch batch{sizeof(sh_feature_batch), sizeof(sh_feature_row), 3, 0, 0, rows.data(), 0, 0, nullptr, nullptr};
  sh_market_context ctx{};
  ctx.struct_size = sizeof(ctx);
  Hits hits;
  const auto sink = hits.sink();
  REQUIRE(inst.detect(batch, ctx, sink) == SH_OK);
  REQUIRE(hits.hits.size() == 2);
  CHECK(hits.hits[0].symbol == 2);
  CHECK(hits.hits[1].value == 9.0);
  CHECK(hits.classes[0] == "spike");
  CHECK(rt.counters.value("spike.rows") == 3);

  // Wrong-kind calls are refused, not crashed.
  sh_event_sink none{sizeof(sh_event_sink), nullptr, nullptr};
  CHECK(inst.poll(none, 10) == SH_ERR_UNSUPPORTED);
}

TEST_CASE("set_config validates against the schema, then applies all-or-nothing", "[loader]") {
  HostRuntime rt;
  auto created =
      PluginInstance::create("spike", load("good_detector"), json{{"threshold", 3.0}}, rt);
  REQUIRE(created.instance);
  PluginInstance& inst = *created.instance;

  CHECK(inst.set_config(json{{"threshold", "high"}}) ==
        "config.threshold: expected number, got string");
  CHECK(inst.set_config(json{{"threshold", 5000}}) == "set_config failed: threshold too high");
  CHECK(inst.config() == json{{"threshold", 3.0}});
  CHECK(inst.set_config(json{{"threshold", 9.5}}) == "");
  CHECK(inst.config() == json{{"threshold", 9.5}});

  std::vector<sh_feature_row> rows = {row(1, 9.0)};
  sh_feature_batch batch{sizeof(sh_feature_batch), sizeof(sh_feature_row), 1, 0, 0, rows.data(), 0, 0, nullptr, nullptr};
  sh_market_context ctx{};
  Hits hits;
  const auto sink = hits.sink();
  REQUIRE(inst.detect(batch, ctx, sink) == SH_OK);
  CHECK(hits.hits.empty());  // 9.0 < new threshold 9.5

  auto provider = PluginInstance::create("feed", load("good_provider"),
                                         json{{"count", 1}, {"symbols", {"BTC"}}}, rt);
  REQUIRE(provider.instance);
  CHECK(provider.instance->set_config(json{{"count", 2}, {"symbols", {"BTC"}}}) ==
        "plugin 'good_provider' does not support set_config");
}

TEST_CASE("create failures are one line naming the component and the plugin's error", "[loader]") {
  HostRuntime rt;
  SECTION("constructor throws ConfigError") {
    auto c = PluginInstance::create("bad", load("create_fails"), json::object(), rt);
    CHECK_FALSE(c.instance);
    CHECK(c.error == "component 'bad' (plugin create_fails): create failed: threshold too high");
  }
  SECTION("raw C-ABI create lets an exception escape") {
    auto c = PluginInstance::create("raw", load("create_throws_raw"), json::object(), rt);
    CHECK_FALSE(c.instance);
    CHECK_THAT(c.error,
               Catch::StartsWith("component 'raw' (plugin create_throws_raw): create failed: "
                                 "an exception escaped the plugin"));
    CHECK_THAT(c.error, Catch::Contains("raw create blew up"));
  }
  SECTION("config violates the schema") {
    auto c = PluginInstance::create("s", load("good_detector"), json{{"threshold", -1}}, rt);
    CHECK_FALSE(c.instance);
    CHECK(c.error ==
          "component 's' (plugin good_detector): config.threshold: must be >= 0, got -1");
  }
  SECTION("plugin's own check after the schema passed") {
    auto c = PluginInstance::create("s", load("good_detector"), json{{"threshold", 2000}}, rt);
    CHECK(c.error == "component 's' (plugin good_detector): create failed: threshold too high");
  }
}

TEST_CASE("an instance keeps its library alive after every other reference is gone", "[loader]") {
  HostRuntime rt;
  std::weak_ptr<const PluginLibrary> weak;
  std::unique_ptr<PluginInstance> inst;
  {
    auto lib = load("good_detector");
    weak = lib;
    inst = PluginInstance::create("spike", lib, json{{"threshold", 1}}, rt).instance;
    REQUIRE(inst);
  }
  CHECK_FALSE(weak.expired());
  std::vector<sh_feature_row> rows = {row(1, 2.0)};
  sh_feature_batch batch{sizeof(sh_feature_batch), sizeof(sh_feature_row), 1, 0, 0, rows.data(), 0, 0, nullptr, nullptr};
  sh_market_context ctx{};
  Hits hits;
  const auto sink = hits.sink();
  CHECK(inst->detect(batch, ctx, sink) == SH_OK);
  CHECK(hits.hits.size() == 1);
  inst.reset();
  CHECK(weak.expired());
}

TEST_CASE("a provider interns symbols and reads the host clock through its services", "[loader]") {
  HostRuntime rt;
  rt.clock.set_virtual_ns(1'700'000'000'000'000'000);
  const auto eth_before = rt.symbols.intern("ETH");  // the host interned ETH first
  auto created = PluginInstance::create("feed", load("good_provider"),
                                        json{{"count", 3}, {"symbols", {"BTC", "ETH"}}}, rt);
  REQUIRE(created.error == "");
  PluginInstance& inst = *created.instance;
  CHECK(rt.symbols.find("ETH") == eth_before);
  CHECK(rt.symbols.find("BTC") == 2);

  struct Events {
    std::vector<sh_market_event> events;
    static sh_status emit(void* ctx, const sh_market_event* ev, uint32_t n, uint32_t size) {
      for (uint32_t i = 0; i < n; ++i) {
        static_cast<Events*>(ctx)->events.push_back(*reinterpret_cast<const sh_market_event*>(
            reinterpret_cast<const unsigned char*>(ev) + size_t{i} * size));
      }
      return SH_OK;
    }
  } got;
  sh_event_sink sink{sizeof(sh_event_sink), &got, &Events::emit};
  CHECK(inst.poll(sink, 2) == SH_OK);
  CHECK(inst.poll(sink, 2) == SH_END_OF_DATA);
  REQUIRE(got.events.size() == 3);
  CHECK(got.events[0].ts_ns == 1'700'000'000'000'000'000);
  CHECK(std::string(rt.symbols.name(got.events[0].symbol)) == "ETH");
  CHECK(rt.counters.value("feed.emitted") == 3);
}
