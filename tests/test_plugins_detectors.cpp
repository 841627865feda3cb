// [plugins] The detector plugins (zscore_spike, return_spike, volume_spike,
// spread_blowout) loaded from the build's plugin directory and driven through
// the C ABI exactly as the host drives them.
#include <catch2/catch.hpp>

#include "test_plugins_support.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int64_t kMinuteTsNs = 1'704'153'600'000'000'000LL;

// A row as a newer host might lay it out: trailing bytes the plugin does not
// know of, so the plugin must walk the batch by row_size.
struct PaddedRow {
  sh_feature_row row;
  unsigned char future_fields[40];
};

PaddedRow null_row(sh_symbol_id symbol) {
  PaddedRow p{};
  sh_feature_row& r = p.row;
  r.struct_size = sizeof(sh_feature_row);
  r.symbol = symbol;
  r.minute_ts_ns = kMinuteTsNs;
  r.dq = SH_DQ_OK;
  double* first = &r.open;
  double* last = &r.rs_benchmark;
  for (double* d = first; d <= last; ++d) *d = kNaN;
  return p;
}

struct Hit {
  sh_symbol_id symbol;
  int64_t minute_ts_ns;
  double score;
  std::string hit_class;
  double value;
  double threshold;
};

struct HitCollector {
  std::vector<Hit> hits;
  sh_hit_sink sink{};
  HitCollector() {
    sink.struct_size = sizeof(sink);
    sink.sink_ctx = this;
    sink.emit = [](void* ctx, const sh_detector_hit* h, uint32_t n, uint32_t item_size) {
      auto* self = static_cast<HitCollector*>(ctx);
      const auto* p = reinterpret_cast<const unsigned char*>(h);
      for (uint32_t i = 0; i < n; ++i) {
        const auto& x = *reinterpret_cast<const sh_detector_hit*>(p + size_t(i) * item_size);
        self->hits.push_back({x.symbol, x.minute_ts_ns, x.score,
                              x.hit_class ? x.hit_class : "", x.value, x.threshold});
      }
      return sh_status(SH_OK);
    };
  }
};

// Runs one detect call over rows and returns the hits.
std::vector<Hit> detect(const sh_test::LoadedPlugin& p, const sh_test::Instance& inst,
                        const std::vector<PaddedRow>& rows) {
  sh_feature_batch batch{};
  batch.struct_size = sizeof(batch);
  batch.row_size = sizeof(PaddedRow);
  batch.count = static_cast<uint32_t>(rows.size());
  batch.minute_ts_ns = kMinuteTsNs;
  batch.rows = rows.empty() ? nullptr : &rows[0].row;
  sh_market_context ctx{};
  ctx.struct_size = sizeof(ctx);
  ctx.symbol_count = batch.count;
  ctx.minute_ts_ns = kMinuteTsNs;
  ctx.benchmark_ret = kNaN;
  HitCollector out;
  const sh_status rc = p.desc().detector->detect(inst.get(), &batch, &ctx, &out.sink);
  REQUIRE(rc == SH_OK);
  return out.hits;
}

PaddedRow with(PaddedRow r, double sh_feature_row::*field, double v) {
  r.row.*field = v;
  return r;
}

}  // namespace

TEST_CASE("detector descriptors are detectors with live config", "[plugins]") {
  for (const char* name : {"zscore_spike", "return_spike", "volume_spike", "spread_blowout"}) {
    sh_test::LoadedPlugin p(sh_test::plugin_path(name));
    INFO(name);
    CHECK(std::string(p.desc().name) == name);
    CHECK(p.desc().kind == SH_KIND_DETECTOR);
    CHECK(p.desc().detector != nullptr);
    CHECK(p.desc().set_config != nullptr);
    const auto schema = nlohmann::json::parse(p.desc().config_schema);
    CHECK(schema.at("type") == "object");
    CHECK(schema.at("additionalProperties") == false);
  }
}

TEST_CASE("zscore_spike fires on |z_ret| >= 4 by default and scores 50..100", "[plugins]") {
  sh_test::TestHost host;
  sh_test::LoadedPlugin p(sh_test::plugin_path("zscore_spike"));
  sh_test::Instance inst(p, host, "{}");
  REQUIRE(inst.create_rc() == SH_OK);

  const std::vector<PaddedRow> rows = {
      with(null_row(1), &sh_feature_row::z_ret, 1.0),   // normal minute
      with(null_row(2), &sh_feature_row::z_ret, -5.0),  // spike down
      null_row(3),                                      // not warm: null
      with(null_row(4), &sh_feature_row::z_ret, 4.0),   // exactly at threshold
      with(null_row(5), &sh_feature_row::z_ret, 12.0),  // far beyond: score capped
      with(null_row(6), &sh_feature_row::z_volume, 9.0),  // other field ignored
  };
  const auto hits = detect(p, inst, rows);
  REQUIRE(hits.size() == 3);
  CHECK(hits[0].symbol == 2);
  CHECK(hits[0].hit_class == "zscore_spike");
  CHECK(hits[0].value == -5.0);
  CHECK(hits[0].threshold == 4.0);
  CHECK(hits[0].score == Approx(62.5));
  CHECK(hits[0].minute_ts_ns == kMinuteTsNs);
  CHECK(hits[1].symbol == 4);
  CHECK(hits[1].score == Approx(50.0));
  CHECK(hits[2].symbol == 5);
  CHECK(hits[2].score == Approx(100.0));
}

TEST_CASE("zscore_spike watches the configured field and reports the configured class",
          "[plugins]") {
  sh_test::TestHost host;
  sh_test::LoadedPlugin p(sh_test::plugin_path("zscore_spike"));
  sh_test::Instance inst(p, host, R"({"field":"z_volume","threshold":3,"class":"vol_z"})");
  REQUIRE(inst.create_rc() == SH_OK);
  const auto hits = detect(p, inst,
                           {with(null_row(1), &sh_feature_row::z_ret, 9.0),
                            with(null_row(2), &sh_feature_row::z_volume, 3.5)});
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].symbol == 2);
  CHECK(hits[0].hit_class == "vol_z");
  CHECK(hits[0].threshold == 3.0);
}

TEST_CASE("zscore_spike set_config applies live and rejects bad configs whole", "[plugins]") {
  sh_test::TestHost host;
  sh_test::LoadedPlugin p(sh_test::plugin_path("zscore_spike"));
  sh_test::Instance inst(p, host, "{}");
  REQUIRE(inst.create_rc() == SH_OK);
  const std::vector<PaddedRow> rows = {with(null_row(1), &sh_feature_row::z_ret, 5.0),
                                       with(null_row(2), &sh_feature_row::z_ret, 7.0)};
  CHECK(detect(p, inst, rows).size() == 2);

  REQUIRE(inst.set_config(R"({"threshold": 6})") == SH_OK);
  auto hits = detect(p, inst, rows);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].symbol == 2);

  // Each is refused and leaves threshold 6 in force; the valid key in the
  // last one must not be applied either.
  for (const char* bad : {R"({"threshold": -1})", R"({"threshold": 0})", R"({"field": "z_foo"})",
                          R"({"thresold": 2})", R"({"threshold": "2"})", "[1,2]", "{not json",
                          R"({"threshold": 2, "class": ""})"}) {
    INFO(bad);
    CHECK(inst.set_config(bad) != SH_OK);
    CHECK_FALSE(inst.last_error().empty());
    hits = detect(p, inst, rows);
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].threshold == 6.0);
  }
  // The keys, types and ranges are the schema's (sh::config::Reader), with a
  // did-you-mean and the value that was refused.
  CHECK(inst.set_config(R"({"thresold": 2})") == SH_ERR_CONFIG);
  CHECK(inst.last_error() ==
        "unknown config key 'thresold' (did you mean 'threshold'? expected one of: class, field, "
        "require_dq_ok, threshold)");
  CHECK(inst.set_config(R"({"threshold": 0})") == SH_ERR_CONFIG);
  CHECK(inst.last_error() == "threshold must be > 0, got 0");
  CHECK(inst.set_config(R"({"class": ""})") == SH_ERR_CONFIG);
  CHECK(inst.last_error() == "class must be a non-empty string");
  CHECK(inst.set_config("{not json") == SH_ERR_CONFIG);  // as at create, not an exception
}

TEST_CASE("zscore_spike rejects an invalid config at create", "[plugins]") {
  sh_test::TestHost host;
  sh_test::LoadedPlugin p(sh_test::plugin_path("zscore_spike"));
  sh_test::Instance inst(p, host, R"({"field": "price"})");
  CHECK(inst.create_rc() == SH_ERR_CONFIG);
  CHECK(inst.last_error() == "field must be one of z_ret, z_volume, z_spread; got 'price'");
}

TEST_CASE("detectors gate on dq only when require_dq_ok is set", "[plugins]") {
  sh_test::TestHost host;
  sh_test::LoadedPlugin p(sh_test::plugin_path("zscore_spike"));
  PaddedRow stale = with(null_row(1), &sh_feature_row::z_ret, 10.0);
  stale.row.dq = SH_DQ_STALE_BOOK;
  sh_test::Instance lax(p, host, "{}");
  sh_test::Instance strict(p, host, R"({"require_dq_ok": true})");
  CHECK(detect(p, lax, {stale}).size() == 1);
  CHECK(detect(p, strict, {stale}).empty());
}

TEST_CASE("detectors treat fields beyond an older producer's row as null", "[plugins]") {
  sh_test::TestHost host;
  sh_test::LoadedPlugin p(sh_test::plugin_path("zscore_spike"));
  sh_test::Instance inst(p, host, "{}");
  PaddedRow old = with(null_row(1), &sh_feature_row::z_ret, 10.0);
  old.row.struct_size = offsetof(sh_feature_row, z_ret);  // a producer without z_ret
  CHECK(detect(p, inst, {old}).empty());
  // The same value in a row that has the field fires, also beside the short
  // row in one batch: only the short row's missing field reads as null.
  const PaddedRow full = with(null_row(2), &sh_feature_row::z_ret, 10.0);
  const auto hits = detect(p, inst, {old, full});
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].symbol == 2);
}

TEST_CASE("return_spike needs both an extreme z_ret and a large return", "[plugins]") {
  sh_test::TestHost host;
  sh_test::LoadedPlugin p(sh_test::plugin_path("return_spike"));
  sh_test::Instance inst(p, host, "{}");
  REQUIRE(inst.create_rc() == SH_OK);
  auto row = [](sh_symbol_id s, double z, double ret) {
    return with(with(null_row(s), &sh_feature_row::z_ret, z), &sh_feature_row::log_ret, ret);
  };
  const std::vector<PaddedRow> rows = {
      row(1, 5.0, 0.0020),    // 20 bps, z 5: spike
      row(2, 5.0, 0.0005),    // 5 bps: too small to matter
      row(3, 3.0, 0.0050),    // 50 bps but z 3: normal for this symbol
      row(4, -6.0, -0.0030),  // down spike
      row(5, 5.0, kNaN),      // null return
      row(6, 1.0, 0.0001),    // normal minute
  };
  auto hits = detect(p, inst, rows);
  REQUIRE(hits.size() == 2);
  CHECK(hits[0].symbol == 1);
  CHECK(hits[0].hit_class == "return_spike");
  CHECK(hits[0].value == 5.0);
  CHECK(hits[0].score == Approx(62.5));
  CHECK(hits[1].symbol == 4);
  CHECK(hits[1].value == -6.0);

  REQUIRE(inst.set_config(R"({"min_abs_ret_bps": 25})") == SH_OK);
  hits = detect(p, inst, rows);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].symbol == 4);
  CHECK(inst.set_config(R"({"min_abs_ret_bps": -1})") == SH_ERR_CONFIG);
  CHECK(detect(p, inst, rows).size() == 1);
}

TEST_CASE("volume_spike needs high z_volume and a high quantile rank", "[plugins]") {
  sh_test::TestHost host;
  sh_test::LoadedPlugin p(sh_test::plugin_path("volume_spike"));
  sh_test::Instance inst(p, host, "{}");
  REQUIRE(inst.create_rc() == SH_OK);
  auto row = [](sh_symbol_id s, double z, double q) {
    return with(with(null_row(s), &sh_feature_row::z_volume, z), &sh_feature_row::q_volume, q);
  };
  const std::vector<PaddedRow> rows = {
      row(1, 5.0, 0.99),   // spike
      row(2, 5.0, 0.90),   // z high but rank ordinary (fat-tailed symbol)
      row(3, -5.0, 0.01),  // volume collapse: not a spike
      row(4, 5.0, kNaN),   // rank not warm
      row(5, 0.5, 0.60),   // normal
  };
  auto hits = detect(p, inst, rows);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].symbol == 1);
  CHECK(hits[0].hit_class == "volume_spike");
  CHECK(hits[0].threshold == 4.0);

  REQUIRE(inst.set_config(R"({"min_quantile": 0.85})") == SH_OK);
  CHECK(detect(p, inst, rows).size() == 2);
  CHECK(inst.set_config(R"({"min_quantile": 1.5})") == SH_ERR_CONFIG);
  CHECK(inst.set_config(R"({"z_threshold": 0})") == SH_ERR_CONFIG);
  CHECK(detect(p, inst, rows).size() == 2);
}

TEST_CASE("spread_blowout fires on z_spread or on an absolute spread", "[plugins]") {
  sh_test::TestHost host;
  sh_test::LoadedPlugin p(sh_test::plugin_path("spread_blowout"));
  sh_test::Instance inst(p, host, "{}");
  REQUIRE(inst.create_rc() == SH_OK);
  auto row = [](sh_symbol_id s, double z, double bps) {
    return with(with(null_row(s), &sh_feature_row::z_spread, z), &sh_feature_row::spread_bps, bps);
  };
  const std::vector<PaddedRow> rows = {
      row(1, 5.0, 8.0),    // relative blow-out
      row(2, kNaN, 60.0),  // no baseline yet, but absolutely wide
      row(3, 1.0, 3.0),    // normal
      row(4, -6.0, 1.0),   // unusually tight: not a blow-out
  };
  auto hits = detect(p, inst, rows);
  REQUIRE(hits.size() == 2);
  CHECK(hits[0].symbol == 1);
  CHECK(hits[0].hit_class == "spread_blowout");
  CHECK(hits[0].value == 5.0);
  CHECK(hits[0].threshold == 4.0);
  CHECK(hits[1].symbol == 2);
  CHECK(hits[1].value == 60.0);
  CHECK(hits[1].threshold == 50.0);
  CHECK(hits[1].score == Approx(60.0));

  REQUIRE(inst.set_config(R"({"max_spread_bps": 100})") == SH_OK);
  hits = detect(p, inst, rows);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].symbol == 1);
  CHECK(inst.set_config(R"({"max_spread_bps": 100, "mode": "x"})") == SH_ERR_CONFIG);
  CHECK(detect(p, inst, rows).size() == 1);
}
