// [features][cli] The `features:` section through the real host binary:
// validation errors at file:line (--validate-config), configured columns
// reaching a Lua detector rule by name (row.<name>), a reload of features:
// refused with its reason, and a store that refuses to open with another
// feature set than the one it was created with.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "test_host_support.h"

using namespace sh_test;
using Catch::Matchers::Contains;

namespace {

HostRun validate(const ScratchDir& dir, const std::string& features) {
  write_file(dir / "cfg.yaml", "host: {mode: replay}\n" + features);
  return run_host({"--validate-config", "--config", "cfg.yaml"}, dir.path());
}

std::string production_config(const std::string& state_dir, const std::string& features) {
  return "host:\n"
         "  mode: production\n"
         "  plugin_dirs: ['" SH_PLUGIN_DIR "']\n"
         "  state_dir: " + state_dir + "\n"
         "  output_dir: out\n"
         "state: {durability: process}\n"
         "providers:\n"
         "  - {name: synth, plugin: synthetic, config: {symbol_count: 5, seed: 3,\n"
         "     events_per_second: 50, duration_s: 1800}}\n"
         "detectors:\n"
         "  - {name: return_spike, plugin: return_spike}\n" + features;
}

const char* const kSmaFeatures =
    "features:\n"
    "  - {name: sma_3, indicator: sma, input: close, window: 3}\n"
    "  - {name: rsi_14, indicator: rsi, input: close, window: 14}\n";

}  // namespace

TEST_CASE("host --validate-config refuses bad features: entries at file:line", "[features][cli]") {
  ScratchDir dir("features_validate");
  SECTION("a good set") {
    const HostRun r = validate(dir,
                               "features:\n"
                               "  - {name: sma_50, indicator: sma, input: close, window: 50}\n"
                               "  - {name: bb, indicator: bbands, input: typical, window: 20, k: 2, output: upper}\n"
                               "  - {name: macd_h, indicator: macd, fast: 12, slow: 26, signal: 9, output: hist}\n"
                               "  - {name: rsi_14, indicator: rsi, input: close, window: 14}\n");
    INFO(r.err);
    CHECK(r.exit_code == 0);
  }
  SECTION("an unknown indicator, with a suggestion") {
    const HostRun r = validate(dir,
                               "features:\n"
                               "  - {name: sma_50, indicator: sma, window: 50}\n"
                               "  - name: boll\n"
                               "    indicator: bband\n"
                               "    window: 20\n");
    CHECK(r.exit_code == 1);
    CHECK(r.err ==
          "cfg.yaml:5:16: unknown indicator 'bband' in features[1].indicator (did you mean 'bbands'? "
          "expected one of: sma, ema, sd, rsi, atr, mom, min, max, bbands, macd, vwap_dev)\n");
  }
  SECTION("a bad window") {
    const HostRun r = validate(dir, "features:\n  - {name: sd_1, indicator: sd, input: close, window: 1}\n");
    CHECK(r.exit_code == 1);
    CHECK(r.err == "cfg.yaml:3:55: features[0] (sd_1): window must be in 2..2000 for sd, not 1\n");
    const HostRun neg = validate(dir, "features:\n  - {name: x, indicator: sma, window: -3}\n");
    CHECK(neg.exit_code == 1);
    CHECK(neg.err == "cfg.yaml:3:39: features[0].window must be in 1..2000, not -3\n");
    const HostRun text = validate(dir, "features:\n  - {name: x, indicator: sma, window: ten}\n");
    CHECK(text.exit_code == 1);
    CHECK(text.err == "cfg.yaml:3:39: features[0].window must be a whole number of rows, not 'ten'\n");
    const HostRun macd = validate(dir, "features:\n  - {name: m, indicator: macd, fast: 26, slow: 12}\n");
    CHECK(macd.exit_code == 1);
    CHECK(macd.err == "cfg.yaml:3:38: features[0] (m): fast (26) must be shorter than slow (12)\n");
  }
  SECTION("a duplicate column name") {
    const HostRun r = validate(dir,
                               "features:\n"
                               "  - {name: fast, indicator: sma, window: 5}\n"
                               "  - {name: slow, indicator: sma, window: 50}\n"
                               "  - {name: fast, indicator: ema, window: 5}\n");
    CHECK(r.exit_code == 1);
    CHECK(r.err == "cfg.yaml:5:12: features[2]: duplicate column name 'fast' (features[0] at line 3 has it)\n");
  }
  SECTION("an unknown key, input or output; a fixed row field or a default column redefined") {
    const HostRun key = validate(dir, "features:\n  - {name: a, indicator: sma, windw: 5}\n");
    CHECK(key.exit_code == 1);
    CHECK_THAT(key.err, Catch::StartsWith("cfg.yaml:3:31: unknown key 'windw' in features[0] (sma) (did you mean 'window'?"));
    const HostRun input = validate(dir, "features:\n  - {name: a, indicator: sma, input: clse, window: 5}\n");
    CHECK(input.exit_code == 1);
    CHECK_THAT(input.err, Catch::StartsWith("cfg.yaml:3:38: unknown input 'clse' in features[0].input"));
    const HostRun field = validate(dir, "features:\n  - {name: close, indicator: sma, window: 5}\n");
    CHECK(field.exit_code == 1);
    CHECK(field.err == "cfg.yaml:3:12: features[0] (close): name 'close' is a fixed field of the feature "
                       "row; choose another column name\n");
    const HostRun legacy = validate(dir, "features:\n  - {name: rsi_14, indicator: rsi, window: 21}\n");
    CHECK(legacy.exit_code == 1);
    CHECK_THAT(legacy.err, Contains("cfg.yaml:3:12: features[0] (rsi_14): column 'rsi_14' is the row field of "
                                    "today's default set; it must be rsi(close,n=14)"));
    const HostRun list = validate(dir, "features: {name: a}\n");
    CHECK(list.exit_code == 1);
    CHECK_THAT(list.err, Catch::StartsWith("cfg.yaml:2:11: features: expected a list"));
  }
}

TEST_CASE("configured feature columns reach a Lua detector rule by name", "[features][lua][run]") {
  ScratchDir dir("features_lua");
  // The rule recomputes sma_3 from the closes it saw and compares, and says
  // so in its log (hits pass the gate's debounce, so they would not count
  // every row). mom_20 is not configured: its row field is null.
  write_file(dir / "rules/cols.lua",
             "local seen, matched = {}, 0\n"
             "function detect(row, ctx)\n"
             "  local h = seen[row.symbol] or {}\n"
             "  seen[row.symbol] = h\n"
             "  h[#h + 1] = row.close\n"
             "  local n = #h\n"
             "  if row.sma_3 ~= row.sma_3 then return nil end\n"
             "  if row.mom_20 == row.mom_20 then print('legacy field not null') end\n"
             "  local want = (h[n] + h[n - 1] + h[n - 2]) / 3\n"
             "  if math.abs(row.sma_3 - want) <= 1e-9 * want and row.sma_vol_2 >= 0 then\n"
             "    matched = matched + 1\n"
             "    if matched == 500 then print('sma_3 matched on 500 rows') end\n"
             "    return 50, 'match', row.sma_3\n"
             "  end\n"
             "  print('mismatch: sma_3 ' .. row.sma_3 .. ' want ' .. want)\n"
             "end\n");
  write_file(dir / "host.yaml",
             "host:\n"
             "  mode: replay\n"
             "  plugin_dirs: ['" SH_PLUGIN_DIR "']\n"
             "  rule_dirs: [rules]\n"
             "  state_dir: state\n"
             "  output_dir: out\n" +
                 sample_providers_yaml() +
                 "detectors:\n"
                 "  - {name: cols, lua: rules/cols.lua}\n"
                 "features:\n"
                 "  - {name: sma_3, indicator: sma, input: close, window: 3}\n"
                 "  - {name: sma_vol_2, indicator: sma, input: volume, window: 2}\n");
  const HostRun r = run_host({"--config", "host.yaml"}, dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Contains("sma_3 matched on 500 rows"));
  CHECK_THAT(r.err, !Contains("mismatch"));
  CHECK_THAT(r.err, !Contains("legacy field not null"));
  // Its hits carry the column as their value.
  CHECK_THAT(read_file(dir / "out/events.jsonl"), Contains("\"class\":\"match\""));

  // A name that is not a column: the rule is refused at load, naming the columns.
  write_file(dir / "rules/cols.lua", "function detect(row, ctx) if row.sma_33 > 0 then return 1 end end\n");
  const HostRun bad = run_host({"--config", "host.yaml"}, dir.path());
  CHECK(bad.exit_code != 0);
  CHECK_THAT(bad.err, Contains("row has no field or configured feature column 'sma_33' (columns: sma_3, sma_vol_2)"));
}

TEST_CASE("the store refuses to open with another feature set, a new store takes any", "[features][run][store]") {
  ScratchDir dir("features_store");
  write_file(dir / "host.yaml", production_config("state", ""));
  const HostRun first = run_host({"--config", "host.yaml"}, dir.path());
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  // The default set written out is the same set: it opens.
  write_file(dir / "host.yaml",
             production_config("state",
                               "features:\n"
                               "  - {name: mom_20, indicator: mom, input: close, window: 20}\n"
                               "  - {name: rv_5, indicator: sd, input: log_ret, window: 5}\n"
                               "  - {name: rsi_14, indicator: rsi, input: close, window: 14}\n"
                               "  - {name: atr_14, indicator: atr, window: 14}\n"
                               "  - {name: ema_20, indicator: ema, input: close, window: 20}\n"));
  const HostRun same = run_host({"--config", "host.yaml"}, dir.path());
  INFO(same.err);
  CHECK(same.exit_code == 0);

  write_file(dir / "host.yaml", production_config("state", kSmaFeatures));
  const HostRun other = run_host({"--config", "host.yaml"}, dir.path());
  CHECK(other.exit_code != 0);
  CHECK_THAT(other.err, Contains("was created with another feature set (features: defines the columns of "
                                 "features_snapshot): stored [mom_20=mom(close,n=20);"));
  CHECK_THAT(other.err, Contains("configured [sma_3=sma(close,n=3);rsi_14=rsi(close,n=14)]; start with a new "
                                 "state_dir (a new store)"));

  // As a new store: runs, and then holds its own set.
  write_file(dir / "host.yaml", production_config("state2", kSmaFeatures));
  const HostRun fresh = run_host({"--config", "host.yaml"}, dir.path());
  INFO(fresh.err);
  CHECK(fresh.exit_code == 0);
  // Its rows carry the configured column that has no row field: `host
  // snapshot` exports it after the fixed fields.
  const HostRun exp = run_host({"--config", "host.yaml", "snapshot", "--symbol", "SYM0001", "--format", "csv"},
                               dir.path());
  INFO(exp.err);
  REQUIRE(exp.exit_code == 0);
  const auto rows = lines(exp.out);
  REQUIRE(rows.size() > 10);
  CHECK(rows[0].size() > 6);
  CHECK(rows[0].substr(rows[0].size() - 6) == ",sma_3");
  CHECK(rows[1].back() == ',');   // warm-up: null
  CHECK(rows.back().back() != ',');  // then a value
  write_file(dir / "host.yaml", production_config("state2", ""));
  const HostRun back = run_host({"--config", "host.yaml"}, dir.path());
  CHECK(back.exit_code != 0);
  CHECK_THAT(back.err, Contains("stored [sma_3=sma(close,n=3);rsi_14=rsi(close,n=14)]"));
}

TEST_CASE("host reload of features: is refused with the reason", "[features][reload]") {
  ScratchDir dir("features_reload");
  write_file(dir / "host.yaml", production_config("state", kSmaFeatures) + "redis: {host: 127.0.0.1, port: 1}\n");
  const HostRun r = run_host({"reload", "--component", "features", "--config-path", "features.yaml",
                              "--config", "host.yaml"},
                             dir.path());
  CHECK(r.exit_code == 1);
  CHECK(r.err ==
        "host reload: refused: component 'features': the feature columns (features:) define the state "
        "store's schema (the columns of features_snapshot) and are not changed by a reload; edit "
        "features: and start the host as a new store (a new state_dir; a replay always starts one)\n");
}
