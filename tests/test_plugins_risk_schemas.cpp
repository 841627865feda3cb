// [plugins][risk] The risk policies' config schemas: draft-07 objects with
// additionalProperties false that compile in the host's validator, and that
// agree with each plugin's own checks on the samples below.
#include <catch2/catch.hpp>

#include "config/schema_validator.h"
#include "test_plugins_support.h"

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace {

struct Sample {
  const char* config;
  bool valid;
};

const std::vector<std::pair<const char*, std::vector<Sample>>>& risk_samples() {
  static const std::vector<std::pair<const char*, std::vector<Sample>>> v = {
      {"kill_switch",
       {{"{}", true},
        {R"({"path": "/tmp/HALT", "block_reductions": true})", true},
        {R"({"path": ""})", false},
        {R"({"block_reductions": "yes"})", false},
        {R"({"file": "x"})", false}}},
      {"confidence_gate",
       {{"{}", true},
        {R"({"min_confidence": 0.65, "gate_reductions": true})", true},
        {R"({"min_confidence": 1.1})", false},
        {R"({"min_confidence": "0.6"})", false},
        {R"({"threshold": 0.6})", false}}},
      {"confidence_sizing",
       {{"{}", true},
        {R"({"exponent": 2, "min_scale": 0.2})", true},
        {R"({"exponent": 0})", false},
        {R"({"min_scale": -0.1})", false},
        {R"({"scale": 1})", false}}},
      {"kelly_var",
       {{"{}", true},
        {R"({"kelly_fraction": 0.1, "payoff_ratio": 1.5, "var_limit_pct": 1.5, "var_emergency_pct": 2})",
         true},
        {R"({"kelly_fraction": 1.5})", false},
        {R"({"payoff_ratio": 0})", false},
        {R"({"var_limit": 2})", false}}},
      {"vol_target",
       {{"{}", true},
        {R"({"target_ann_vol": 0.08, "default_ann_vol": 0.6, "ann_vol": {"BTC": 0.7}})", true},
        {R"({"target_ann_vol": 0})", false},
        {R"({"ann_vol": {"BTC": -1}})", false},
        {R"({"ann_vol": [0.5]})", false}}},
      {"drawdown_lock",
       {{"{}", true},
        {R"({"max_drawdown_pct": 10, "release_drawdown_pct": 4, "reset": true})", true},
        {R"({"max_drawdown_pct": 0})", false},
        {R"({"max_drawdown_pct": 120})", false},
        {R"({"reset": 1})", false}}},
      {"daily_loss",
       {{"{}", true},
        {R"({"daily_loss_pct": 2, "reset": false})", true},
        {R"({"daily_loss_pct": -3})", false},
        {R"({"daily_loss": 3})", false}}},
      {"circuit_breaker",
       {{"{}", true},
        {R"({"var_trip_pct": 3, "latency_trip_ms": 250, "half_open_scale": 0.25, "half_open_batches": 3})",
         true},
        {R"({"half_open_batches": 0})", false},
        {R"({"half_open_scale": 0})", false},
        {R"({"latency_ms": 100})", false}}},
      {"safe_mode",
       {{"{}", true},
        {R"({"max_consecutive_errors": 3, "exposure_scale": 0.2, "clean_cycles": 5})", true},
        {R"({"clean_cycles": 0})", false},
        {R"({"exposure_scale": 1.5})", false},
        {R"({"max_errors": 5})", false}}},
      {"rate_limit",
       {{"{}", true},
        {R"({"window_ms": 1000, "max_intents": 0, "max_intents_per_symbol": 5})", true},
        {R"({"window_ms": 0})", false},
        {R"({"max_intents": -1})", false},
        {R"({"rate": 10})", false}}},
  };
  return v;
}

}  // namespace

TEST_CASE("risk policy schemas compile in the host validator and agree with the plugins",
          "[plugins][risk]") {
  for (const auto& ps : risk_samples()) {
    INFO(ps.first);
    sh_test::LoadedPlugin p(sh_test::plugin_path(ps.first));
    CHECK(p.desc().kind == SH_KIND_RISK);
    CHECK(p.desc().set_config != nullptr);  // every policy reloads live, keeping its state
    const auto schema = nlohmann::json::parse(p.desc().config_schema);
    CHECK(schema.at("$schema") == "http://json-schema.org/draft-07/schema#");
    CHECK(schema.at("type") == "object");
    CHECK(schema.at("additionalProperties") == false);
    for (const auto& prop : schema.at("properties").items()) {
      INFO(prop.key());
      CHECK(prop.value().contains("type"));
      CHECK(prop.value().contains("description"));
    }
    std::string error;
    const auto validator = sh::host::SchemaValidator::compile(schema, &error);
    REQUIRE(validator);
    for (const Sample& s : ps.second) {
      INFO(s.config);
      CHECK(validator->validate(nlohmann::json::parse(s.config)).has_value() == !s.valid);
      sh_test::TestHost host;
      sh_test::Instance inst(p, host, s.config);
      CHECK((inst.create_rc() == SH_OK) == s.valid);
      if (!s.valid) {
        CHECK(inst.create_rc() == SH_ERR_CONFIG);
        CHECK_FALSE(inst.last_error().empty());
      }
    }
  }
}
