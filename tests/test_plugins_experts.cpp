// [plugins][experts] The fsm_regime, classifier, anomaly and divergence
// experts through the C ABI: evidence in range, abstention on nulls (never a
// NaN out), state that survives set_config, and a classifier that refuses a
// missing or malformed model file with the file's name.
#include <catch2/catch.hpp>

#include "config/schema_validator.h"
#include "test_plugins_support.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

sh_feature_row blank_row(sh_symbol_id symbol) {
  sh_feature_row r{};
  r.struct_size = sizeof(r);
  r.symbol = symbol;
  for (double* d = &r.open; d <= &r.rs_benchmark; ++d) *d = kNaN;
  return r;
}

sh_feature_row fsm_row(sh_symbol_id symbol, double rv_5, double mom_20, double z_ret = kNaN) {
  sh_feature_row r = blank_row(symbol);
  r.rv_5 = rv_5;
  r.mom_20 = mom_20;
  r.z_ret = z_ret;
  return r;
}

// Evidence records as the host pre-fills them: abstain, NaN probabilities.
std::vector<sh_evidence> evaluate(const sh_test::LoadedPlugin& p, const sh_test::Instance& inst,
                                  const std::vector<sh_feature_row>& rows) {
  std::vector<sh_evidence> ev(rows.size());
  for (auto& e : ev) {
    e = sh_evidence{};
    e.struct_size = sizeof(e);
    e.flags = SH_EVIDENCE_FLAG_ABSTAIN;
    e.prob_long = e.prob_short = e.confidence = kNaN;
  }
  sh_feature_batch batch{};
  batch.struct_size = sizeof(batch);
  batch.row_size = sizeof(sh_feature_row);
  batch.count = static_cast<uint32_t>(rows.size());
  batch.rows = rows.data();
  sh_market_context ctx{};
  ctx.struct_size = sizeof(ctx);
  ctx.benchmark_ret = kNaN;
  sh_evidence_batch out{};
  out.struct_size = sizeof(out);
  out.item_size = sizeof(sh_evidence);
  out.count = static_cast<uint32_t>(ev.size());
  out.items = ev.data();
  REQUIRE(p.desc().expert->evaluate(inst.get(), &batch, &ctx, &out) == SH_OK);
  return ev;
}

bool abstained(const sh_evidence& e) {
  return (e.flags & SH_EVIDENCE_FLAG_ABSTAIN) != 0 && std::isnan(e.prob_long) &&
         std::isnan(e.prob_short) && std::isnan(e.confidence);
}

// Every opinion is a proper one: finite, in range, and not abstaining.
void check_opinion(const sh_evidence& e) {
  CHECK((e.flags & SH_EVIDENCE_FLAG_ABSTAIN) == 0);
  CHECK(std::isfinite(e.prob_long));
  CHECK(std::isfinite(e.prob_short));
  CHECK(std::isfinite(e.confidence));
  CHECK(e.prob_long >= 0.0);
  CHECK(e.prob_short >= 0.0);
  CHECK(e.prob_long + e.prob_short <= 1.0 + 1e-12);
  CHECK(e.confidence >= 0.0);
  CHECK(e.confidence <= 1.0);
}

std::string model(const std::string& file) {
  return std::string(SH_SOURCE_DIR) + "/tests/data/models/" + file;
}

std::string classifier_config(const std::string& path) {
  return nlohmann::json{{"model_path", path}}.dump();
}

bool logged(const sh_test::TestHost& host, const std::string& needle) {
  for (const auto& l : host.logs)
    if (l.msg.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("fsm_regime moves through calm, trends and volatile with hysteresis",
          "[plugins][experts]") {
  sh_test::TestHost host;
  sh_test::LoadedPlugin p(sh_test::plugin_path("fsm_regime"));
  REQUIRE(p.desc().kind == SH_KIND_EXPERT);
  sh_test::Instance inst(p, host, "{}");  // vol 0.003/0.002, trend 0.01/0.005, full 0.03, z 4
  REQUIRE(inst.create_rc() == SH_OK);

  auto step = [&](double rv, double mom, double z = kNaN) {
    const auto ev = evaluate(p, inst, {fsm_row(1, rv, mom, z)});
    check_opinion(ev[0]);
    return ev[0];
  };
  // calm: no lean, no confidence.
  auto e = step(0.001, 0.002);
  CHECK(e.prob_long == Approx(0.5));
  CHECK(e.confidence == Approx(0.0).margin(1e-12));
  // mom 0.008 < trend_enter: still calm.
  CHECK(step(0.001, 0.008).confidence == Approx(0.0).margin(1e-12));
  // mom 0.015 >= 0.01: trending_up, confidence 0.015 / 0.03.
  e = step(0.001, 0.015);
  CHECK(e.confidence == Approx(0.5));
  CHECK(e.prob_long == Approx(0.75));
  CHECK(e.prob_short == Approx(0.25));
  // Hysteresis: mom 0.007 is below enter but above exit: the trend holds.
  e = step(0.001, 0.007);
  CHECK(e.prob_long > 0.5);
  CHECK(e.confidence == Approx(0.007 / 0.03));
  // mom 0.004 <= exit: back to calm.
  CHECK(step(0.001, 0.004).prob_long == Approx(0.5));
  // Straight into a down trend, then a flip on a strong reversal.
  CHECK(step(0.001, -0.03).prob_short == Approx(1.0));
  CHECK(step(0.001, 0.012).prob_long == Approx(0.7));
  // rv_5 at vol_enter: volatile, stay out (half the mass on neither).
  e = step(0.003, 0.02);
  CHECK(e.prob_long == Approx(0.25));
  CHECK(e.prob_short == Approx(0.25));
  CHECK(e.confidence == Approx(0.0).margin(1e-12));
  // rv 0.0025: below enter but not below exit: still volatile.
  CHECK(step(0.0025, 0.02).prob_long == Approx(0.25));
  // rv below exit: leaves volatile, the trend rules run from calm.
  CHECK(step(0.0015, 0.02).prob_long == Approx(0.5 + (0.02 / 0.03) / 2));
  // A return shock forces volatile whatever rv_5 says.
  CHECK(step(0.001, 0.02, -4.5).prob_long == Approx(0.25));
}

TEST_CASE("fsm_regime keeps per-symbol state across set_config and abstains on nulls",
          "[plugins][experts]") {
  sh_test::TestHost host;
  sh_test::LoadedPlugin p(sh_test::plugin_path("fsm_regime"));
  sh_test::Instance inst(p, host, "{}");
  REQUIRE(inst.create_rc() == SH_OK);

  auto ev = evaluate(p, inst, {fsm_row(1, 0.001, 0.015), fsm_row(2, 0.001, 0.002)});
  CHECK(ev[0].prob_long > 0.5);            // symbol 1 trending up
  CHECK(ev[1].prob_long == Approx(0.5));  // symbol 2 calm

  // Raise trend_enter: symbol 1 keeps its trend (0.008 > exit 0.005), symbol 2
  // needs 0.02 to start one.
  REQUIRE(inst.set_config(R"({"trend_enter": 0.02, "trend_full": 0.04})") == SH_OK);
  ev = evaluate(p, inst, {fsm_row(1, 0.001, 0.008), fsm_row(2, 0.001, 0.015)});
  CHECK(ev[0].prob_long == Approx(0.5 + (0.008 / 0.04) / 2));
  CHECK(ev[1].prob_long == Approx(0.5));

  // Nulls abstain and do not move the state.
  ev = evaluate(p, inst, {fsm_row(1, kNaN, 0.05), fsm_row(1, 0.001, kNaN)});
  CHECK(abstained(ev[0]));
  CHECK(abstained(ev[1]));
  ev = evaluate(p, inst, {fsm_row(1, 0.001, 0.008)});
  CHECK(ev[0].prob_long > 0.5);  // still trending

  CHECK(inst.set_config(R"({"vol_exit": 0.01})") == SH_ERR_CONFIG);  // exit above enter
  CHECK(inst.last_error() == "vol_exit must be <= vol_enter");  // a rule across keys: code
  CHECK(inst.set_config(R"({"trend_exit": 0.03})") == SH_ERR_CONFIG);
  CHECK(inst.set_config(R"({"hysteresis": 1})") == SH_ERR_CONFIG);
  CHECK_THAT(inst.last_error(), Catch::Contains("hysteresis"));
}

TEST_CASE("classifier scores rows with the model file and reports its model_version",
          "[plugins][experts]") {
  sh_test::TestHost host;
  sh_test::LoadedPlugin p(sh_test::plugin_path("classifier"));
  REQUIRE(p.desc().kind == SH_KIND_EXPERT);
  sh_test::Instance inst(p, host, classifier_config(model("good.json")));
  REQUIRE(inst.create_rc() == SH_OK);
  CHECK(logged(host, "model_version=test_v1"));
  CHECK(logged(host, "good.json"));

  // logit = z_ret + 50 * mom_20 - 0.5
  std::vector<sh_feature_row> rows(4, blank_row(1));
  rows[0].z_ret = 1.0, rows[0].mom_20 = 0.01;   // logit 1.0
  rows[1].z_ret = -2.0, rows[1].mom_20 = 0.01;  // logit -2.0
  rows[2].z_ret = kNaN, rows[2].mom_20 = 0.01;  // null feature: abstain
  rows[3].z_ret = 800.0, rows[3].mom_20 = 0.0;  // saturates, stays finite
  for (size_t i = 0; i < rows.size(); ++i) rows[i].symbol = static_cast<sh_symbol_id>(i + 1);
  const auto ev = evaluate(p, inst, rows);
  const double p0 = 1.0 / (1.0 + std::exp(-1.0));
  check_opinion(ev[0]);
  CHECK(ev[0].symbol == 1);
  CHECK(ev[0].prob_long == Approx(p0));
  CHECK(ev[0].prob_short == Approx(1.0 - p0));
  CHECK(ev[0].confidence == Approx(2 * p0 - 1));
  check_opinion(ev[1]);
  CHECK(ev[1].prob_long == Approx(1.0 / (1.0 + std::exp(2.0))));
  CHECK(abstained(ev[2]));
  check_opinion(ev[3]);
  CHECK(ev[3].prob_long == Approx(1.0));
  CHECK(host.counter("model_version.test_v1.scored") == 3);

  // A live reload to another model file switches version and features.
  REQUIRE(inst.set_config(classifier_config(model("good_v2.json"))) == SH_OK);
  CHECK(logged(host, "model_version=test_v2"));
  sh_feature_row r = blank_row(1);
  r.rs_benchmark = 0.01;  // logit -1
  CHECK(evaluate(p, inst, {r})[0].prob_long == Approx(1.0 / (1.0 + std::exp(1.0))));
  CHECK(host.counter("model_version.test_v2.scored") == 1);
}

TEST_CASE("classifier refuses a missing or malformed model file and names it",
          "[plugins][experts]") {
  sh_test::TestHost host;
  sh_test::LoadedPlugin p(sh_test::plugin_path("classifier"));

  struct Bad {
    const char* file;
    const char* reason;
  };
  const std::vector<Bad> bad = {
      {"does_not_exist.json", "cannot open"},
      {"malformed.json", "malformed JSON"},
      {"unknown_feature.json", "unknown feature 'z_price'"},
      {"length_mismatch.json", "weights has 1 entries, features has 2"},
      {"no_version.json", "missing key 'model_version'"},
      {"bad_weight.json", "weights[0] must be a number"},
  };
  for (const Bad& b : bad) {
    INFO(b.file);
    sh_test::Instance inst(p, host, classifier_config(model(b.file)));
    CHECK(inst.create_rc() == SH_ERR_CONFIG);
    CHECK_THAT(inst.last_error(), Catch::Contains(b.file));
    CHECK_THAT(inst.last_error(), Catch::Contains(b.reason));
  }
  {
    sh_test::Instance inst(p, host, "{}");
    CHECK(inst.create_rc() == SH_ERR_CONFIG);
    CHECK_THAT(inst.last_error(), Catch::Contains("model_path"));
  }

  // A bad reload keeps the serving model.
  sh_test::Instance inst(p, host, classifier_config(model("good.json")));
  REQUIRE(inst.create_rc() == SH_OK);
  CHECK(inst.set_config(classifier_config(model("malformed.json"))) == SH_ERR_CONFIG);
  CHECK_THAT(inst.last_error(), Catch::Contains("malformed.json"));
  sh_feature_row r = blank_row(1);
  r.z_ret = 1.0, r.mom_20 = 0.01;
  CHECK(evaluate(p, inst, {r})[0].prob_long == Approx(1.0 / (1.0 + std::exp(-1.0))));
}

TEST_CASE("classifier loads the shipped example model", "[plugins][experts]") {
  sh_test::TestHost host;
  sh_test::LoadedPlugin p(sh_test::plugin_path("classifier"));
  sh_test::Instance inst(
      p, host, classifier_config(std::string(SH_SOURCE_DIR) + "/config/models/logistic_example.json"));
  REQUIRE(inst.create_rc() == SH_OK);
  CHECK(logged(host, "model_version=example_20250101_000000"));
  sh_feature_row r = blank_row(1);
  r.z_ret = 2.0, r.mom_20 = 0.01, r.rsi_14 = 50.0, r.z_volume = 0.0;
  const auto ev = evaluate(p, inst, {r});
  check_opinion(ev[0]);
  CHECK(ev[0].prob_long > 0.5);
}

TEST_CASE("anomaly turns large z-scores into confidence in the direction of z_ret",
          "[plugins][experts]") {
  sh_test::TestHost host;
  sh_test::LoadedPlugin p(sh_test::plugin_path("anomaly"));
  sh_test::Instance inst(p, host, "{}");  // threshold 3, full 6, follow
  REQUIRE(inst.create_rc() == SH_OK);

  std::vector<sh_feature_row> rows(6, blank_row(1));
  rows[0].z_ret = 2.0, rows[0].z_volume = 1.0;   // nothing unusual: abstain
  rows[1].z_ret = 4.5;                           // c = (4.5 - 3) / 3 = 0.5, long
  rows[2].z_ret = -0.5, rows[2].z_volume = 9.0;  // volume shock, slight down move: c 1, short
  rows[3].z_ret = kNaN, rows[3].z_volume = 9.0;  // no direction: abstain
  rows[4].z_ret = 0.0, rows[4].z_spread = 7.0;   // anomalous but flat: no lean
  rows[5].z_ret = kNaN;
  const auto ev = evaluate(p, inst, rows);
  CHECK(abstained(ev[0]));
  check_opinion(ev[1]);
  CHECK(ev[1].confidence == Approx(0.5));
  CHECK(ev[1].prob_long == Approx(0.75));
  check_opinion(ev[2]);
  CHECK(ev[2].confidence == Approx(1.0));
  CHECK(ev[2].prob_short == Approx(1.0));
  CHECK(abstained(ev[3]));
  check_opinion(ev[4]);
  CHECK(ev[4].prob_long == Approx(0.5));
  CHECK(abstained(ev[5]));

  // fade reverses the lean; fields narrows the score.
  REQUIRE(inst.set_config(R"({"mode": "fade", "fields": ["z_ret"]})") == SH_OK);
  const auto ev2 = evaluate(p, inst, rows);
  CHECK(ev2[1].prob_short == Approx(0.75));
  CHECK(abstained(ev2[2]));  // z_volume no longer counts
  CHECK(inst.set_config(R"({"z_threshold": 5, "z_full": 4})") == SH_ERR_CONFIG);
  CHECK(inst.set_config(R"({"fields": ["z_rsi"]})") == SH_ERR_CONFIG);
  CHECK(inst.last_error() == "fields[0] must be one of z_ret, z_volume, z_spread; got 'z_rsi'");
}

TEST_CASE("divergence reads price against thin volume, or against relative strength",
          "[plugins][experts]") {
  sh_test::TestHost host;
  sh_test::LoadedPlugin p(sh_test::plugin_path("divergence"));
  sh_test::Instance inst(p, host, "{}");  // volume mode on mom_20
  REQUIRE(inst.create_rc() == SH_OK);

  std::vector<sh_feature_row> rows(5, blank_row(1));
  rows[0].mom_20 = 0.02, rows[0].z_volume = -3.0;   // rally on thin volume: bearish, c 1
  rows[1].mom_20 = -0.01, rows[1].z_volume = -1.5;  // sell-off on thin volume: bullish
  rows[2].mom_20 = 0.02, rows[2].z_volume = 2.0;    // volume confirms: abstain
  rows[3].mom_20 = 0.002, rows[3].z_volume = -3.0;  // move too small: abstain
  rows[4].mom_20 = 0.02, rows[4].z_volume = kNaN;   // null: abstain
  auto ev = evaluate(p, inst, rows);
  check_opinion(ev[0]);
  CHECK(ev[0].prob_short == Approx(1.0));
  check_opinion(ev[1]);
  CHECK(ev[1].confidence == Approx(0.5 * 0.5));
  CHECK(ev[1].prob_long > 0.5);
  CHECK(abstained(ev[2]));
  CHECK(abstained(ev[3]));
  CHECK(abstained(ev[4]));

  REQUIRE(inst.set_config(R"({"mode": "rs"})") == SH_OK);  // min 0.001, full 0.005
  rows.assign(4, blank_row(1));
  rows[0].log_ret = 0.001, rows[0].rs_benchmark = -0.004;  // up but lagging: bearish
  rows[1].log_ret = -0.002, rows[1].rs_benchmark = 0.006;  // down but beating: bullish, c 1
  rows[2].log_ret = 0.003, rows[2].rs_benchmark = 0.002;   // leading a rally: no divergence
  rows[3].log_ret = 0.003, rows[3].rs_benchmark = kNaN;
  ev = evaluate(p, inst, rows);
  check_opinion(ev[0]);
  CHECK(ev[0].confidence == Approx(0.8));
  CHECK(ev[0].prob_short == Approx(0.9));
  check_opinion(ev[1]);
  CHECK(ev[1].prob_long == Approx(1.0));
  CHECK(abstained(ev[2]));
  CHECK(abstained(ev[3]));
  CHECK(inst.set_config(R"({"mode": "obv"})") == SH_ERR_CONFIG);
}

TEST_CASE("expert schemas compile in the host validator and agree with the plugins",
          "[plugins][experts]") {
  struct Sample {
    std::string config;
    bool valid;
  };
  const std::string good = classifier_config(model("good.json"));
  const std::vector<std::pair<const char*, std::vector<Sample>>> all = {
      {"fsm_regime",
       {{"{}", true},
        {R"({"vol_enter": 0.004, "vol_exit": 0.003, "trend_enter": 0.02, "trend_exit": 0.01,
             "trend_full": 0.05, "z_shock": 5})", true},
        {R"({"vol_enter": 0})", false},
        {R"({"z_shock": "4"})", false},
        {R"({"states": 4})", false}}},
      {"classifier",
       {{good, true},
        {"{}", false},
        {R"({"model_path": ""})", false},
        {R"({"model_path": 5})", false}}},
      {"anomaly",
       {{"{}", true},
        {R"({"fields": ["z_volume"], "z_threshold": 2, "z_full": 4, "mode": "fade"})", true},
        {R"({"fields": []})", false},
        {R"({"mode": "revert"})", false},
        {R"({"z_threshold": -1})", false}}},
      {"divergence",
       {{"{}", true},
        {R"({"mode": "rs", "min_abs_rs": 0.002, "rs_full": 0.01, "price_field": "log_ret"})", true},
        {R"({"price_field": "close"})", false},
        {R"({"rs_full": 0})", false},
        {R"({"window": 5})", false}}},
  };
  for (const auto& ps : all) {
    INFO(ps.first);
    sh_test::LoadedPlugin p(sh_test::plugin_path(ps.first));
    const auto schema = nlohmann::json::parse(p.desc().config_schema);
    CHECK(schema.at("$schema") == "http://json-schema.org/draft-07/schema#");
    CHECK(schema.at("additionalProperties") == false);
    std::string error;
    const auto validator = sh::host::SchemaValidator::compile(schema, &error);
    REQUIRE(validator);
    for (const Sample& s : ps.second) {
      INFO(s.config);
      CHECK(validator->validate(nlohmann::json::parse(s.config)).has_value() == !s.valid);
      sh_test::TestHost host;
      sh_test::Instance inst(p, host, s.config);
      CHECK((inst.create_rc() == SH_OK) == s.valid);
    }
  }
}

TEST_CASE("fsm_regime's regimes survive into a new instance by symbol name", "[plugins][experts]") {
  sh_test::TestHost host;
  const sh_symbol_id up = host.intern("UPUP"), calm = host.intern("CALM");
  sh_test::LoadedPlugin p(sh_test::plugin_path("fsm_regime"));
  REQUIRE(p.desc().save_state != nullptr);
  sh_test::Instance a(p, host, "{}");
  REQUIRE(a.create_rc() == SH_OK);
  auto ev = evaluate(p, a, {fsm_row(up, 0.001, 0.015), fsm_row(calm, 0.001, 0.002)});
  REQUIRE(ev[0].prob_long > 0.5);
  const char* data = nullptr;
  size_t size = 0;
  REQUIRE(p.desc().save_state(a.get(), &data, &size) == SH_OK);
  const std::string bytes(data, size);
  // Names in order, as compact as JSON gets (it is written every minute).
  CHECK(bytes == R"({"regimes":{"CALM":"calm","UPUP":"trending_up"}})");

  // A new process interns the names in another order: state follows names.
  sh_test::TestHost host2;
  const sh_symbol_id calm2 = host2.intern("CALM"), up2 = host2.intern("UPUP");
  sh_test::Instance b(p, host2, "{}");
  REQUIRE(p.desc().load_state(b.get(), bytes.data(), bytes.size()) == SH_OK);
  // 0.008 keeps a trend (above trend_exit) but does not start one.
  ev = evaluate(p, b, {fsm_row(up2, 0.001, 0.008), fsm_row(calm2, 0.001, 0.008)});
  CHECK(ev[0].prob_long > 0.5);
  CHECK(ev[1].prob_long == Approx(0.5));
  const std::string bad = R"({"regimes": {"UPUP": "sideways"}})";
  CHECK(p.desc().load_state(b.get(), bad.data(), bad.size()) == SH_ERR_EXCEPTION);
  CHECK_THAT(b.last_error(), Catch::Contains("unknown regime 'sideways' for UPUP"));
}
