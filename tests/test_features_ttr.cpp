// [features] The configurable feature columns (config `features:`) against
// R's TTR on its `ttrc` dataset (5,550 real daily bars): every indicator to
// 1e-12 relative, warm-up rows null where TTR's are NA. Fixtures and the R
// script that made them: tests/fixtures/features/ (tests never run R).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/config_source.h"
#include "config/features_config.h"
#include "config/host_config.h"
#include "conveyor/feature_engine.h"
#include "conveyor/feature_set.h"

using namespace sh::host;

namespace {

const std::string kDir = std::string(SH_SOURCE_DIR) + "/tests/fixtures/features/";

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<double>> rows;
};

Table read_csv(const std::string& path, size_t skip_columns) {
  std::ifstream in(path);
  Table t;
  std::string line;
  REQUIRE(std::getline(in, line));
  std::stringstream hs(line);
  for (std::string cell; std::getline(hs, cell, ',');) t.header.push_back(cell);
  t.header.erase(t.header.begin(), t.header.begin() + static_cast<long>(skip_columns));
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::vector<double> v;
    size_t k = 0;
    for (std::string cell; std::getline(ss, cell, ','); ++k) {
      if (k < skip_columns) continue;
      v.push_back(cell == "NA" ? std::nan("") : std::strtod(cell.c_str(), nullptr));
    }
    REQUIRE(v.size() == t.header.size());
    t.rows.push_back(v);
  }
  return t;
}

std::shared_ptr<const FeatureSet> fixture_set() {
  const HostConfig cfg = HostConfig::load_file(kDir + "features.yaml");
  return parse_features(cfg, cfg.root());
}

sh_feature_row bar_row(const std::vector<double>& bar) {  // open, high, low, close, volume
  sh_feature_row r;
  std::memset(&r, 0, sizeof r);
  r.struct_size = sizeof r;
  r.open = bar[0];
  r.high = bar[1];
  r.low = bar[2];
  r.close = bar[3];
  r.volume = bar[4];
  r.vwap = r.spread_bps = std::nan("");
  return r;
}

// Runs the set over the ttrc bars: values[row][column].
std::vector<std::vector<double>> run(const FeatureSet& set, const Table& bars) {
  FeatureState state(set);
  std::vector<std::vector<double>> out;
  for (const auto& bar : bars.rows) {
    sh_feature_row r = bar_row(bar);
    std::vector<double> cols(set.size());
    state.update(r, cols.data());
    out.push_back(cols);
  }
  return out;
}

}  // namespace

TEST_CASE("every configured indicator agrees with TTR on ttrc (5,550 daily bars) to 1e-12 relative",
          "[features][ttr]") {
  const Table bars = read_csv(kDir + "ttrc.csv", 1);
  const Table ref = read_csv(kDir + "reference.csv", 0);
  REQUIRE(bars.rows.size() == 5550);
  REQUIRE(ref.rows.size() == bars.rows.size());
  const auto set = fixture_set();
  REQUIRE(set->size() == ref.header.size());
  const auto ours = run(*set, bars);
  for (size_t j = 0; j < set->size(); ++j) {
    const std::string& name = set->specs()[j].name;
    INFO("column " << name << " (" << set->specs()[j].signature() << ")");
    REQUIRE(ref.header[j] == name);
    size_t compared = 0, nulls = 0, bad = 0;
    double worst = 0.0;
    size_t worst_at = 0;
    for (size_t i = 0; i < ours.size(); ++i) {
      const double a = ours[i][j], b = ref.rows[i][j];
      if (std::isnan(a) || std::isnan(b)) {
        if (std::isnan(a) != std::isnan(b)) {
          if (bad++ < 3) FAIL_CHECK("row " << i << ": ours " << a << ", TTR " << b << " (null in one only)");
        }
        ++nulls;
        continue;
      }
      ++compared;
      const double rel = a == b ? 0.0 : std::fabs(a - b) / std::max(std::fabs(a), std::fabs(b));
      if (rel > worst) {
        worst = rel;
        worst_at = i;
      }
    }
    INFO("worst relative difference " << worst << " at row " << worst_at << ": ours "
                                      << ours[worst_at][j] << ", TTR " << ref.rows[worst_at][j]);
    CHECK(bad == 0);
    CHECK(worst <= 1e-12);
    CHECK(compared > 5000);  // warm-up rows are a few dozen at most
    CHECK(nulls < 100);
  }
}

TEST_CASE("adding indicators never changes another column's values", "[features]") {
  const Table bars = read_csv(kDir + "ttrc.csv", 1);
  const auto all = fixture_set();
  // Every third column alone, then with all the others around it.
  std::vector<FeatureSpec> some;
  for (size_t j = 0; j < all->size(); j += 3) some.push_back(all->specs()[j]);
  const FeatureSet subset(some);
  const auto alone = run(subset, bars);
  const auto among = run(*all, bars);
  for (size_t k = 0; k < subset.size(); ++k) {
    const size_t j = static_cast<size_t>(all->index_of(subset.specs()[k].name));
    INFO(subset.specs()[k].name);
    size_t differ = 0;
    for (size_t i = 0; i < alone.size(); ++i) {
      const double a = alone[i][k], b = among[i][j];
      differ += !(std::memcmp(&a, &b, sizeof a) == 0);
    }
    CHECK(differ == 0);
  }
}

TEST_CASE("the default set is today's five columns, in the row fields too, and matches TTR",
          "[features][ttr]") {
  const auto def = FeatureSet::default_set();
  REQUIRE(def->size() == 5);
  CHECK(std::string(def->name_ptrs()[0]) == "mom_20");
  CHECK(std::string(def->name_ptrs()[4]) == "ema_20");
  CHECK(def->extra_columns().empty());  // the stored rows keep today's layout
  const Table bars = read_csv(kDir + "ttrc.csv", 1);
  const Table ref = read_csv(kDir + "reference.csv", 0);
  FeatureState state(*def);
  double cols[5];
  size_t checked = 0;
  for (size_t i = 0; i < bars.rows.size(); ++i) {
    sh_feature_row r = bar_row(bars.rows[i]);
    state.update(r, cols);
    const double fields[5] = {r.mom_20, r.rv_5, r.rsi_14, r.atr_14, r.ema_20};
    for (size_t j = 0; j < 5; ++j) {
      REQUIRE(std::memcmp(&fields[j], &cols[j], sizeof(double)) == 0);
      const int k = [&] {
        for (size_t c = 0; c < ref.header.size(); ++c) {
          if (ref.header[c] == def->specs()[j].name) return static_cast<int>(c);
        }
        return -1;
      }();
      REQUIRE(k >= 0);
      const double b = ref.rows[i][static_cast<size_t>(k)];
      if (std::isnan(b) || std::isnan(cols[j])) {
        CHECK(std::isnan(b) == std::isnan(cols[j]));
        continue;
      }
      CHECK(std::fabs(cols[j] - b) <= 1e-12 * std::max(std::fabs(cols[j]), std::fabs(b)));
      ++checked;
    }
  }
  CHECK(checked > 27000);
}

TEST_CASE("an empty features list leaves the row fields null", "[features]") {
  const FeatureSet none(std::vector<FeatureSpec>{});
  FeatureState state(none);
  sh_feature_row r = bar_row({1, 2, 0.5, 1.5, 10});
  for (int i = 0; i < 30; ++i) state.update(r, nullptr);
  CHECK(std::isnan(r.mom_20));
  CHECK(std::isnan(r.rsi_14));
  CHECK(std::isnan(r.ema_20));
  CHECK(!std::isnan(r.log_ret));
}

TEST_CASE("the feature set's signature names every column's definition", "[features]") {
  const auto set = fixture_set();
  CHECK(set->specs()[3].signature() == "ema_wilder_14=ema(close,n=14,wilder=true)");
  CHECK(set->specs()[10].signature() == "atr_14=atr(hlc,n=14)");
  CHECK(set->specs()[22].signature() == "bb_tp_pctb=bbands(typical,n=20,k=2.5,output=pctb)");
  CHECK(set->specs()[26].signature() ==
        "macd_abs_hist=macd(close,fast=5,slow=35,signal=5,percent=false,output=hist)");
  CHECK(FeatureSet::default_set()->signature() ==
        "mom_20=mom(close,n=20);rv_5=sd(log_ret,n=5,sample=true);rsi_14=rsi(close,n=14);"
        "atr_14=atr(hlc,n=14);ema_20=ema(close,n=20,wilder=false)");
}
