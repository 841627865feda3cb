// [plugins][risk] Gates: kill_switch (file present / removed), confidence_gate
// (LOW_CONFIDENCE below 0.6) and rate_limit (RATE_LIMITED at the edges of the
// rolling event-time window).
#include <catch2/catch.hpp>

#include "test_plugins_risk_support.h"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
using namespace sh_risk_test;

namespace {

// A fresh directory under the build tree, removed at scope exit.
struct TempDir {
  TempDir() {
    path = fs::path(SH_BINARY_DIR) / ("risk_gates_" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

}  // namespace

TEST_CASE("kill_switch denies new exposure while the file exists and resumes when it is removed",
          "[plugins][risk]") {
  TempDir dir;
  const fs::path file = dir.path / "KILL_SWITCH";
  Policy ks("kill_switch", nlohmann::json{{"path", file.string()}}.dump());
  REQUIRE(ks.create_rc() == SH_OK);
  const auto pf = portfolio();
  const std::vector<sh_position> long_btc = {position(ks.btc, 5000)};
  const std::vector<sh_order_intent> batch = {
      intent(ks.btc, SH_SIDE_BUY, 1000),   // adds to the long
      intent(ks.eth, SH_SIDE_SELL, 1000),  // opens a short
      intent(ks.btc, SH_SIDE_SELL, 2000),  // reduces the long
  };

  auto v = ks.evaluate(batch, pf, long_btc);
  for (const auto& x : v) CHECK(x.action == SH_RISK_ALLOW);

  std::ofstream(file.string()) << "halt\n";
  v = ks.evaluate(batch, pf, long_btc);
  CHECK(v[0].action == SH_RISK_DENY);
  CHECK(v[0].reason == SH_REASON_KILL_SWITCH);
  CHECK(verdict_text(v[0]) == "kill switch " + file.string() + " present");
  CHECK(v[1].action == SH_RISK_DENY);
  CHECK(v[1].reason == SH_REASON_KILL_SWITCH);
  CHECK(v[2].action == SH_RISK_ALLOW);  // flattening stays possible
  CHECK(ks.logged("kill switch engaged"));
  CHECK(ks.host.counter("denied") == 2);

  fs::remove(file);
  v = ks.evaluate(batch, pf, long_btc);
  for (const auto& x : v) CHECK(x.action == SH_RISK_ALLOW);
  CHECK(ks.logged("kill switch released"));

  // block_reductions halts everything.
  REQUIRE(ks.set_config(nlohmann::json{{"path", file.string()}, {"block_reductions", true}}.dump()) ==
          SH_OK);
  std::ofstream(file.string()) << "";
  v = ks.evaluate(batch, pf, long_btc);
  for (const auto& x : v) CHECK(x.action == SH_RISK_DENY);
}

TEST_CASE("kill_switch fails closed when the file cannot be checked, and says why",
          "[plugins][risk]") {
  TempDir dir;
  // A symbolic link to itself: stat() fails with ELOOP, as root too, so the
  // policy cannot tell whether the switch is engaged.
  const fs::path loop = dir.path / "loop";
  fs::create_symlink(loop, loop);
  const fs::path file = loop / "KILL_SWITCH";
  Policy ks("kill_switch", nlohmann::json{{"path", file.string()}}.dump());
  REQUIRE(ks.create_rc() == SH_OK);
  const std::vector<sh_position> long_btc = {position(ks.btc, 5000)};
  const std::vector<sh_order_intent> batch = {
      intent(ks.btc, SH_SIDE_BUY, 1000),   // adds to the long
      intent(ks.eth, SH_SIDE_SELL, 1000),  // opens a short
      intent(ks.btc, SH_SIDE_SELL, 2000),  // reduces the long
  };
  const auto v = ks.evaluate(batch, portfolio(), long_btc);
  for (int i : {0, 1}) {
    INFO(i);
    CHECK(v[i].action == SH_RISK_DENY);
    CHECK(v[i].reason == SH_REASON_POLICY_ERROR);  // 503: the switch's state is unknown
    CHECK(verdict_text(v[i]) == "kill switch " + file.string() +
                                    " unreadable: Too many levels of symbolic links");
  }
  CHECK(v[2].action == SH_RISK_ALLOW);  // reducing stays possible
  CHECK(ks.logged("kill switch engaged: " + file.string() + " cannot be checked"));
  CHECK(ks.host.counter("denied") == 2);

  // Once the path can be checked again and the file is absent, trading resumes.
  fs::remove(loop);
  for (const auto& x : ks.evaluate(batch, portfolio(), long_btc)) CHECK(x.action == SH_RISK_ALLOW);
  CHECK(ks.logged("kill switch released"));
}

TEST_CASE("kill_switch names a file at a deep path in full", "[plugins][risk]") {
  TempDir dir;
  const fs::path deep = dir.path / std::string(120, 'd') / std::string(120, 'e');
  fs::create_directories(deep);
  const fs::path file = deep / "KILL_SWITCH";
  std::ofstream(file.string()) << "halt\n";
  Policy ks("kill_switch", nlohmann::json{{"path", file.string()}}.dump());
  REQUIRE(ks.create_rc() == SH_OK);
  const auto v = ks.one(intent(ks.btc, SH_SIDE_BUY, 1000), portfolio());
  CHECK(v.action == SH_RISK_DENY);
  const std::string expected = "kill switch " + file.string() + " present";
  REQUIRE(expected.size() > sizeof(v.detail));
  CHECK(verdict_text(v) == expected);  // detail_ext: the whole text
  // The fixed field holds its first 95 bytes, NUL-terminated.
  CHECK(std::string(v.detail) == expected.substr(0, sizeof(v.detail) - 1));
}

TEST_CASE("kill_switch defaults to state/KILL_SWITCH relative to the working directory",
          "[plugins][risk]") {
  TempDir dir;
  struct CwdGuard {
    fs::path old = fs::current_path();
    ~CwdGuard() { fs::current_path(old); }
  } guard;
  fs::current_path(dir.path);
  {
    Policy ks("kill_switch", "{}");
    REQUIRE(ks.create_rc() == SH_OK);
    CHECK(ks.one(intent(ks.btc, SH_SIDE_BUY, 1000), portfolio()).action == SH_RISK_ALLOW);
    fs::create_directories("state");
    std::ofstream("state/KILL_SWITCH") << "";
    const auto v = ks.one(intent(ks.btc, SH_SIDE_BUY, 1000), portfolio());
    CHECK(v.action == SH_RISK_DENY);
    CHECK(std::string(v.detail) == "kill switch state/KILL_SWITCH present");
    CHECK(ks.set_config(R"({"path": ""})") == SH_ERR_CONFIG);
    CHECK(ks.set_config(R"({"file": "x"})") == SH_ERR_CONFIG);
  }
}

TEST_CASE("confidence_gate denies LOW_CONFIDENCE below min_confidence (default 0.6)",
          "[plugins][risk]") {
  Policy g("confidence_gate", "{}");
  REQUIRE(g.create_rc() == SH_OK);
  const auto v = g.evaluate({intent(g.btc, SH_SIDE_BUY, 2000, 0.59),
                             intent(g.btc, SH_SIDE_BUY, 2000, 0.6),
                             intent(g.eth, SH_SIDE_BUY, 2000, 0.9),
                             intent(g.eth, SH_SIDE_BUY, 2000, std::nan("")),
                             intent(g.btc, SH_SIDE_SELL, 2000, 0.1)},
                            portfolio(), {position(g.btc, 10000)});
  CHECK(v[0].action == SH_RISK_DENY);
  CHECK(v[0].reason == SH_REASON_LOW_CONFIDENCE);
  CHECK(std::string(v[0].detail) == "BTC confidence 0.59 < 0.60");
  CHECK(v[1].action == SH_RISK_ALLOW);  // at the threshold: allowed
  CHECK(v[2].action == SH_RISK_ALLOW);
  CHECK(v[3].action == SH_RISK_DENY);   // NaN confidence is refused, not compared
  CHECK(v[3].reason == SH_REASON_LOW_CONFIDENCE);
  CHECK_THAT(std::string(v[3].detail), Catch::Contains("invalid"));
  CHECK(v[4].action == SH_RISK_ALLOW);  // a reduction needs no conviction

  REQUIRE(g.set_config(R"({"min_confidence": 0.95, "gate_reductions": true})") == SH_OK);
  const auto w = g.evaluate({intent(g.eth, SH_SIDE_BUY, 2000, 0.9),
                             intent(g.btc, SH_SIDE_SELL, 2000, 0.1)},
                            portfolio(), {position(g.btc, 10000)});
  CHECK(w[0].action == SH_RISK_DENY);
  CHECK(w[1].action == SH_RISK_DENY);
  CHECK(g.set_config(R"({"min_confidence": 1.5})") == SH_ERR_CONFIG);
  CHECK(g.last_error() == "min_confidence must be within 0..1, got 1.5");
}

TEST_CASE("rate_limit counts intents per symbol over a rolling event-time window",
          "[plugins][risk]") {
  Policy rl("rate_limit", R"({"window_ms": 60000, "max_intents": 100, "max_intents_per_symbol": 2})");
  REQUIRE(rl.create_rc() == SH_OK);
  const int64_t t0 = 1000 * kMinuteNs;
  const int64_t s = 1000000000LL;
  auto at = [&](sh_symbol_id sym, int64_t ts) {
    return rl.one(intent(sym, SH_SIDE_BUY, 1000, 0.8, ts), portfolio(ts));
  };
  CHECK(at(rl.btc, t0).action == SH_RISK_ALLOW);
  CHECK(at(rl.btc, t0 + 10 * s).action == SH_RISK_ALLOW);
  auto v = at(rl.btc, t0 + 60 * s - 1);  // 1 ns before the first one expires
  CHECK(v.action == SH_RISK_DENY);
  CHECK(v.reason == SH_REASON_RATE_LIMITED);
  CHECK(std::string(v.detail) == "BTC 2 intents in 60000ms >= max 2");
  CHECK(at(rl.eth, t0 + 60 * s - 1).action == SH_RISK_ALLOW);  // other symbol, own budget
  CHECK(at(rl.btc, t0 + 60 * s).action == SH_RISK_ALLOW);      // exactly window_ms later: expired
  CHECK(at(rl.btc, t0 + 60 * s).action == SH_RISK_DENY);       // t0+10s and t0+60s fill it
  CHECK(at(rl.btc, t0 + 70 * s).action == SH_RISK_ALLOW);      // t0+10s expired
  CHECK(rl.host.counter("denied") == 2);
}

TEST_CASE("rate_limit applies a global budget within one batch and keeps windows on reload",
          "[plugins][risk]") {
  Policy rl("rate_limit", R"({"max_intents": 3, "max_intents_per_symbol": 0})");
  REQUIRE(rl.create_rc() == SH_OK);
  const int64_t t = 500 * kMinuteNs;
  std::vector<sh_order_intent> batch;
  for (int i = 0; i < 5; ++i) batch.push_back(intent(i % 2 ? rl.eth : rl.btc, SH_SIDE_BUY, 100, 0.8, t));
  auto v = rl.evaluate(batch, portfolio(t));
  CHECK(v[0].action == SH_RISK_ALLOW);
  CHECK(v[2].action == SH_RISK_ALLOW);
  CHECK(v[3].action == SH_RISK_DENY);
  CHECK(v[3].reason == SH_REASON_RATE_LIMITED);
  CHECK(std::string(v[3].detail) == "3 intents in 60000ms >= max 3");
  CHECK(v[4].action == SH_RISK_DENY);

  // Raising the limit keeps the three already counted.
  REQUIRE(rl.set_config(R"({"max_intents": 4, "max_intents_per_symbol": 0})") == SH_OK);
  v = rl.evaluate(batch, portfolio(t + 1));
  CHECK(v[0].action == SH_RISK_ALLOW);
  CHECK(v[1].action == SH_RISK_DENY);
  // Intents without a timestamp use the portfolio's.
  v = rl.evaluate({intent(rl.btc, SH_SIDE_BUY, 100, 0.8, 0)}, portfolio(t + kMinuteNs + 1));
  CHECK(v[0].action == SH_RISK_ALLOW);
  CHECK(rl.set_config(R"({"window_ms": 0})") == SH_ERR_CONFIG);
  CHECK(rl.set_config(R"({"max_intents": 1.5})") == SH_ERR_CONFIG);
}
