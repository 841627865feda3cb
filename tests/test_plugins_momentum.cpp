// [plugins] The momentum expert through the C ABI: probabilities in range,
// leaning with mom_20, damped by RSI extremes, abstaining on nulls.
#include <catch2/catch.hpp>

#include "test_plugins_support.h"

#include <limits>
#include <string>
#include <vector>

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

sh_feature_row row(sh_symbol_id symbol, double mom_20, double rsi_14, double z_ret = kNaN) {
  sh_feature_row r{};
  r.struct_size = sizeof(r);
  r.symbol = symbol;
  for (double* d = &r.open; d <= &r.rs_benchmark; ++d) *d = kNaN;
  r.mom_20 = mom_20;
  r.rsi_14 = rsi_14;
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
  sh_evidence_batch out{};
  out.struct_size = sizeof(out);
  out.item_size = sizeof(sh_evidence);
  out.count = static_cast<uint32_t>(ev.size());
  out.items = ev.data();
  REQUIRE(p.desc().expert->evaluate(inst.get(), &batch, &ctx, &out) == SH_OK);
  return ev;
}

bool abstained(const sh_evidence& e) {
  return (e.flags & SH_EVIDENCE_FLAG_ABSTAIN) != 0 && std::isnan(e.prob_long);
}

}  // namespace

TEST_CASE("momentum leans with mom_20 and keeps probabilities in range", "[plugins]") {
  sh_test::TestHost host;
  sh_test::LoadedPlugin p(sh_test::plugin_path("momentum"));
  REQUIRE(p.desc().kind == SH_KIND_EXPERT);
  sh_test::Instance inst(p, host, R"({"scale": 0.01})");
  REQUIRE(inst.create_rc() == SH_OK);

  std::vector<sh_feature_row> rows;
  for (int i = -10; i <= 10; ++i) rows.push_back(row(1 + uint32_t(i + 10), i * 0.01, 50.0, i * 2.0));
  const auto ev = evaluate(p, inst, rows);
  for (size_t i = 0; i < ev.size(); ++i) {
    INFO("row " << i);
    CHECK_FALSE(abstained(ev[i]));
    CHECK(ev[i].symbol == rows[i].symbol);
    CHECK(ev[i].prob_long >= 0.0);
    CHECK(ev[i].prob_long <= 1.0);
    CHECK(ev[i].prob_short >= 0.0);
    CHECK(ev[i].prob_long + ev[i].prob_short <= 1.0 + 1e-12);
    CHECK(ev[i].confidence == Approx(std::fabs(ev[i].prob_long - ev[i].prob_short)));
    if (i > 0) CHECK(ev[i].prob_long >= ev[i - 1].prob_long);  // monotone in momentum
  }
  CHECK(ev[10].prob_long == Approx(0.5));  // flat: no lean
  CHECK(ev[20].prob_long > 0.99);          // +10%: strong long
  CHECK(ev[0].prob_short > 0.99);          // -10%: strong short
}

TEST_CASE("momentum abstains on null inputs and below min_abs_mom", "[plugins]") {
  sh_test::TestHost host;
  sh_test::LoadedPlugin p(sh_test::plugin_path("momentum"));
  sh_test::Instance inst(p, host, R"({"min_abs_mom": 0.002})");
  REQUIRE(inst.create_rc() == SH_OK);
  const auto ev = evaluate(p, inst,
                           {row(1, kNaN, 50.0), row(2, 0.02, kNaN), row(3, 0.001, 50.0),
                            row(4, 0.02, 50.0, kNaN)});
  CHECK(abstained(ev[0]));
  CHECK(abstained(ev[1]));
  CHECK(abstained(ev[2]));
  CHECK_FALSE(abstained(ev[3]));  // z_ret is optional
  CHECK(ev[3].prob_long > 0.5);
}

TEST_CASE("momentum damps a lean RSI calls stretched, and set_config applies live",
          "[plugins]") {
  sh_test::TestHost host;
  sh_test::LoadedPlugin p(sh_test::plugin_path("momentum"));
  sh_test::Instance inst(p, host, R"({"z_weight": 0})");
  REQUIRE(inst.create_rc() == SH_OK);
  const std::vector<sh_feature_row> rows = {row(1, 0.01, 50.0), row(2, 0.01, 85.0),
                                            row(3, -0.01, 15.0)};
  auto ev = evaluate(p, inst, rows);
  const double lean = ev[0].prob_long - 0.5;
  CHECK(ev[1].prob_long - 0.5 == Approx(lean * 0.5));
  CHECK(0.5 - ev[2].prob_long == Approx(lean * 0.5));

  REQUIRE(inst.set_config(R"({"z_weight": 0, "rsi_damping": 0})") == SH_OK);
  ev = evaluate(p, inst, rows);
  CHECK(ev[1].prob_long == Approx(0.5));
  CHECK(ev[1].confidence == Approx(0.0).margin(1e-12));

  CHECK(inst.set_config(R"({"scale": 0})") == SH_ERR_CONFIG);
  CHECK(inst.set_config(R"({"rsi_damping": 2})") == SH_ERR_CONFIG);
  ev = evaluate(p, inst, rows);
  CHECK(ev[1].prob_long == Approx(0.5));  // the refused configs left rsi_damping 0 in force
}
