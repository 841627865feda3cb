// [plugins] Each in-tree plugin's config schema is what the host enforces
// before create(): it compiles in the host's validator, accepts the documented
// configs, refuses unknown keys and wrong types, and agrees with the plugin's
// own checks on every sample below.
#include <catch2/catch.hpp>

#include "config/schema_validator.h"
#include "test_plugins_support.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace {

struct Sample {
  const char* config;
  bool valid;
};

struct PluginSamples {
  const char* plugin;
  std::vector<Sample> samples;
};

const std::vector<PluginSamples>& all_samples() {
  static const std::vector<PluginSamples> v = {
      {"synthetic",
       {{R"({})", true},
        {R"({"symbols": ["BTC", "ETH"], "seed": 3, "events": 1000, "l2_levels": 10})", true},
        {R"({"symbol_count": 50, "duration_s": 60, "events_per_second": 1e6})", true},
        {R"({"symbol_count": 0})", false},
        {R"({"seed": "x"})", false},
        {R"({"l2_levels": 65})", false},
        {R"({"regime_vol_mults": []})", false},
        {R"({"symbols": ["A", "A"]})", false},
        {R"({"sped": 1})", false},
        {R"({"speed": 60})", true},
        {R"({"speed": -1})", false}}},
      {"zscore_spike",
       {{R"({})", true},
        {R"({"field": "z_spread", "threshold": 3.5, "class": "wide", "require_dq_ok": true})",
         true},
        {R"({"field": "z_price"})", false},
        {R"({"threshold": 0})", false},
        {R"({"threshold": "4"})", false},
        {R"({"class": ""})", false},
        {R"({"treshold": 4})", false}}},
      {"return_spike",
       {{R"({})", true},
        {R"({"z_threshold": 5, "min_abs_ret_bps": 0})", true},
        {R"({"z_threshold": -1})", false},
        {R"({"min_abs_ret_bps": -1})", false},
        {R"({"class": "x"})", false}}},
      {"volume_spike",
       {{R"({})", true},
        {R"({"z_threshold": 3, "min_quantile": 0.99})", true},
        {R"({"min_quantile": 1.01})", false},
        {R"({"require_dq_ok": 1})", false}}},
      {"spread_blowout",
       {{R"({})", true},
        {R"({"z_threshold": 6, "max_spread_bps": 25})", true},
        {R"({"max_spread_bps": 0})", false},
        {R"({"max_spread": 25})", false}}},
      {"momentum",
       {{R"({})", true},
        {R"({"scale": 0.02, "min_abs_mom": 0.001, "z_weight": 0, "rsi_overbought": 80,
             "rsi_oversold": 20, "rsi_damping": 1})",
         true},
        {R"({"scale": 0})", false},
        {R"({"rsi_overbought": 40})", false},
        {R"({"lookback": 20})", false}}},
      {"notional_cap",
       {{R"({})", true},
        {R"({"max_notional_usd": 50000, "per_symbol": {"BTC": 20000}, "mode": "deny"})", true},
        {R"({"mode": "clip"})", false},
        {R"({"per_symbol": {"BTC": 0}})", false},
        {R"({"per_symbol": ["BTC"]})", false},
        {R"({"max_notional_usd": -5})", false}}},
  };
  return v;
}

}  // namespace

TEST_CASE("plugin schemas are draft-07 objects that the host compiles", "[plugins]") {
  for (const auto& ps : all_samples()) {
    INFO(ps.plugin);
    sh_test::LoadedPlugin p(sh_test::plugin_path(ps.plugin));
    const auto schema = nlohmann::json::parse(p.desc().config_schema);
    CHECK(schema.at("$schema") == "http://json-schema.org/draft-07/schema#");
    CHECK(schema.at("type") == "object");
    CHECK(schema.at("additionalProperties") == false);
    for (const auto& prop : schema.at("properties").items()) {
      INFO(prop.key());
      CHECK(prop.value().contains("type"));
    }
    std::string error;
    CHECK(sh::host::SchemaValidator::compile(schema, &error) != nullptr);
    CHECK(error.empty());
  }
}

TEST_CASE("plugin schemas and plugin config checks agree", "[plugins]") {
  for (const auto& ps : all_samples()) {
    sh_test::LoadedPlugin p(sh_test::plugin_path(ps.plugin));
    std::string error;
    const auto validator =
        sh::host::SchemaValidator::compile(nlohmann::json::parse(p.desc().config_schema), &error);
    REQUIRE(validator);
    for (const Sample& s : ps.samples) {
      INFO(ps.plugin << " " << s.config);
      const auto problem = validator->validate(nlohmann::json::parse(s.config));
      CHECK(problem.has_value() == !s.valid);
      sh_test::TestHost host;
      sh_test::Instance inst(p, host, s.config);
      CHECK((inst.create_rc() == SH_OK) == s.valid);
      if (!s.valid) CHECK(inst.create_rc() == SH_ERR_CONFIG);
    }
  }
}
