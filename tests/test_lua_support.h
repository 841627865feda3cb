// test_lua_support.h: shared helpers of the [lua] tests (rows, sinks, files).
#ifndef SH_TESTS_TEST_LUA_SUPPORT_H
#define SH_TESTS_TEST_LUA_SUPPORT_H

#include "lua/lua_rule.h"

#include <strategy_host/abi.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <unistd.h>
#include <vector>

namespace lua_test {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

inline std::string source_path(const std::string& rel) { return std::string(SH_SOURCE_DIR) + "/" + rel; }
inline std::string fixture(const std::string& name) { return source_path("tests/data/lua/" + name); }

// A fresh directory under /tmp, removed with its .lua files at scope exit.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/sh_lua_test_XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::string cmd = "rm -rf '" + path + "'";
    if (std::system(cmd.c_str()) != 0) std::perror("rm");
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::string p = path + "/" + name;
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
    return p;
  }
};

// A quiet row: every feature present, nothing unusual.
inline sh_feature_row row(uint32_t symbol) {
  sh_feature_row r;
  std::memset(&r, 0, sizeof r);
  r.struct_size = sizeof r;
  r.symbol = symbol;
  r.minute_ts_ns = 1'700'000'040'000'000'000;
  r.dq = SH_DQ_OK;
  r.open = r.high = r.low = r.close = r.vwap = r.ema_20 = 100;
  r.volume = 10;
  r.trade_count = 20;
  r.log_ret = 0.0001;
  r.rsi_14 = 50;
  r.atr_14 = 0.2;
  r.spread_bps = 2;
  r.z_ret = 0.3;
  r.z_volume = 0.1;
  r.z_spread = -0.2;
  r.q_ret = r.q_volume = r.q_spread = 0.5;
  return r;
}

inline sh_market_context context(uint32_t symbol_count) {
  sh_market_context c;
  std::memset(&c, 0, sizeof c);
  c.struct_size = sizeof c;
  c.symbol_count = symbol_count;
  c.minute_ts_ns = 1'700'000'040'000'000'000;
  c.breadth = 0.5;
  c.leader = 1;
  c.leader_ret = 0.001;
  c.benchmark_ret = kNaN;
  return c;
}

inline sh_feature_batch batch(const std::vector<sh_feature_row>& rows) {
  sh_feature_batch b;
  std::memset(&b, 0, sizeof b);
  b.struct_size = sizeof b;
  b.row_size = sizeof(sh_feature_row);
  b.count = static_cast<uint32_t>(rows.size());
  b.minute_ts_ns = rows.empty() ? 0 : rows[0].minute_ts_ns;
  b.rows = rows.data();
  return b;
}

struct Hit {
  sh_symbol_id symbol;
  int64_t minute_ts_ns;
  double score;
  std::string cls;
  double value;
  double threshold;
};

// Collects emitted hits (copying the borrowed class names).
struct HitCollector {
  std::vector<Hit> hits;
  sh_hit_sink sink() {
    sh_hit_sink s;
    s.struct_size = sizeof s;
    s.sink_ctx = this;
    s.emit = [](void* ctx, const sh_detector_hit* h, uint32_t n, uint32_t item_size) -> sh_status {
      auto* self = static_cast<HitCollector*>(ctx);
      for (uint32_t i = 0; i < n; ++i) {
        const auto* x = reinterpret_cast<const sh_detector_hit*>(
            reinterpret_cast<const unsigned char*>(h) + static_cast<size_t>(i) * item_size);
        self->hits.push_back({x->symbol, x->minute_ts_ns, x->score, x->hit_class, x->value, x->threshold});
      }
      return SH_OK;
    };
    return s;
  }
};

inline sh::host::LuaRuleConfig detector_config(const std::string& path) {
  sh::host::LuaRuleConfig c;
  c.name = "test_rule";
  c.path = path;
  c.kind = sh::host::RuleKind::Detector;
  c.log = [](sh_log_level, const std::string&) {};  // keep test output quiet
  return c;
}

// Runs one detect batch, returning the status and the hits.
inline sh_status run(sh::host::LuaRule& rule, const std::vector<sh_feature_row>& rows,
                     uint32_t symbol_count, std::vector<Hit>* hits = nullptr) {
  HitCollector col;
  const sh_market_context ctx = context(symbol_count);
  const sh_hit_sink sink = col.sink();
  sh_status st = rule.detect(batch(rows), ctx, sink);
  if (hits) *hits = col.hits;
  return st;
}

inline bool contains(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

}  // namespace lua_test

#endif  // SH_TESTS_TEST_LUA_SUPPORT_H
