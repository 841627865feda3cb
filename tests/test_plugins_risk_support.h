// test_plugins_risk_support.h: builds intents, positions and portfolio states
// for the risk-policy tests and runs one batch through a real plugin's
// sh_risk_api, with verdicts pre-filled ALLOW the way the host does.
#ifndef SH_TESTS_TEST_PLUGINS_RISK_SUPPORT_H
#define SH_TESTS_TEST_PLUGINS_RISK_SUPPORT_H

#include <catch2/catch.hpp>

#include "test_plugins_support.h"

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sh_risk_test {

constexpr int64_t kMinuteNs = 60LL * 1000000000LL;
constexpr int64_t kDayNs = 86400LL * 1000000000LL;

// An intent for usd of notional at a price of 100 (qty = usd / 100).
inline sh_order_intent intent(sh_symbol_id symbol, sh_side side, double usd,
                              double confidence = 0.8, int64_t ts_ns = 0) {
  sh_order_intent in{};
  in.struct_size = sizeof(in);
  in.symbol = symbol;
  in.intent_id = symbol * 1000 + static_cast<uint64_t>(usd);
  in.ts_ns = ts_ns;
  in.side = side;
  in.price = 100.0;
  in.qty = usd / in.price;
  in.notional_usd = usd;
  in.confidence = confidence;
  in.prob_long = side == SH_SIDE_BUY ? 0.5 + confidence / 2 : 0.5 - confidence / 2;
  in.prob_short = 1.0 - in.prob_long;
  return in;
}

// A verdict's whole reason, as the host reads it: detail_ext when the
// plugin's text was longer than the fixed field (valid until the instance's
// next call), else the field.
inline std::string verdict_text(const sh_risk_verdict& v) {
  return v.detail_ext != nullptr ? std::string(v.detail_ext) : std::string(v.detail);
}

// A position of signed usd notional at a mark of 100.
inline sh_position position(sh_symbol_id symbol, double usd) {
  sh_position p{};
  p.struct_size = sizeof(p);
  p.symbol = symbol;
  p.mark_price = p.avg_price = 100.0;
  p.qty = usd / 100.0;
  p.notional_usd = usd;
  return p;
}

// A healthy 100k USD portfolio; tests change the fields they are about.
inline sh_portfolio_state portfolio(int64_t ts_ns = kMinuteNs) {
  sh_portfolio_state pf{};
  pf.struct_size = sizeof(pf);
  pf.position_size = sizeof(sh_position);
  pf.ts_ns = ts_ns;
  pf.equity_usd = 100000.0;
  pf.cash_usd = 100000.0;
  pf.peak_equity_usd = 100000.0;
  pf.drawdown_pct = 0.0;
  pf.var_pct = 1.0;
  pf.decision_latency_ms = 20.0;
  return pf;
}

// One plugin instance with BTC (1) and ETH (2) interned before create.
class Policy {
 public:
  Policy(const std::string& plugin, const std::string& config)
      : btc(host.intern("BTC")), eth(host.intern("ETH")), lib_(sh_test::plugin_path(plugin)) {
    REQUIRE(lib_.desc().kind == SH_KIND_RISK);
    inst_ = std::make_unique<sh_test::Instance>(lib_, host, config);
  }

  sh_status create_rc() const { return inst_->create_rc(); }
  std::string last_error() const { return inst_->last_error(); }
  sh_status set_config(const std::string& json) const { return inst_->set_config(json); }

  std::vector<sh_risk_verdict> evaluate(const std::vector<sh_order_intent>& intents,
                                        sh_portfolio_state pf,
                                        const std::vector<sh_position>& positions = {}) {
    std::vector<sh_risk_verdict> v(intents.size());
    for (auto& x : v) {
      x = sh_risk_verdict{};
      x.struct_size = sizeof(x);
      x.action = SH_RISK_ALLOW;
      x.scale = 1.0;
    }
    sh_order_intent_batch in{};
    in.struct_size = sizeof(in);
    in.item_size = sizeof(sh_order_intent);
    in.count = static_cast<uint32_t>(intents.size());
    in.items = intents.data();
    pf.position_count = static_cast<uint32_t>(positions.size());
    pf.positions = positions.empty() ? nullptr : positions.data();
    sh_risk_verdict_batch out{};
    out.struct_size = sizeof(out);
    out.item_size = sizeof(sh_risk_verdict);
    out.count = static_cast<uint32_t>(v.size());
    out.items = v.data();
    const sh_status rc = lib_.desc().risk->evaluate(inst_->get(), &in, &pf, &out);
    REQUIRE(rc == SH_OK);
    for (const auto& x : v) {
      INFO(x.detail);
      CHECK(std::isfinite(x.scale));  // never a NaN out
      if (x.action == SH_RISK_SCALE) {
        CHECK(x.scale > 0.0);
        CHECK(x.scale < 1.0);
      }
    }
    return v;
  }

  // One intent, one verdict.
  sh_risk_verdict one(const sh_order_intent& in, const sh_portfolio_state& pf,
                      const std::vector<sh_position>& positions = {}) {
    return evaluate({in}, pf, positions)[0];
  }

  // ABI 1.1 durable state through the descriptor, as the host calls it.
  std::string save_state() const {
    const char* data = nullptr;
    size_t size = 0;
    REQUIRE(lib_.desc().save_state != nullptr);
    REQUIRE(lib_.desc().save_state(inst_->get(), &data, &size) == SH_OK);
    return std::string(data, size);
  }
  sh_status load_state(const std::string& bytes) const {
    REQUIRE(lib_.desc().load_state != nullptr);
    return lib_.desc().load_state(inst_->get(), bytes.data(), bytes.size());
  }

  bool logged(const std::string& needle) const {
    for (const auto& l : host.logs)
      if (l.msg.find(needle) != std::string::npos) return true;
    return false;
  }

  sh_test::TestHost host;
  const sh_symbol_id btc;
  const sh_symbol_id eth;

 private:
  sh_test::LoadedPlugin lib_;
  std::unique_ptr<sh_test::Instance> inst_;
};

}  // namespace sh_risk_test

#endif  // SH_TESTS_TEST_PLUGINS_RISK_SUPPORT_H
