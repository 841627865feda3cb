// bench_decision: the decision core at one minute close over N symbols:
// consensus over 4 experts' evidence, the model router over the same 4
// arrays, order intents for the allowed records, and a chain of ten
// in-process risk policies doing representative arithmetic (kill switch,
// confidence floor, notional cap, daily loss, drawdown lock, VaR scale, rate
// limit, vol target, confidence scale, circuit breaker). The evidence changes
// every minute (deterministic LCG). Baseline: a bare loop over the same
// arrays computing the same weighted means and a sized notional, no
// containers, no chain. Prints p50 / p99 per minute of both.
//
//   bench_decision [symbols] [minutes]      (defaults: 1000, 500; target p99 <= 1 ms)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <strategy_host/abi.h>

#include "decision/consensus.h"
#include "decision/model_router.h"
#include "decision/order_intent.h"
#include "decision/risk_chain.h"

using namespace sh::host;

namespace {

constexpr int64_t kT0 = 1704153600000000000;
constexpr int64_t kMinuteNs = 60LL * 1000000000;

struct Lcg {
  uint64_t x = 42;
  double next() {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(x >> 11) * 0x1.0p-53;
  }
};

// Each (expert, symbol) has a stable confidence level plus minute-to-minute
// noise, so the router sees occasional challengers (a few switches a minute)
// rather than a new winner every minute.
void fill_evidence(std::vector<std::vector<sh_evidence>>* arrays, const std::vector<sh_symbol_id>& syms,
                   Lcg* rng) {
  for (size_t k = 0; k < arrays->size(); ++k) {
    auto& arr = (*arrays)[k];
    for (size_t i = 0; i < syms.size(); ++i) {
      sh_evidence& e = arr[i];
      e.struct_size = sizeof e;
      e.symbol = syms[i];
      e.flags = rng->next() < 0.02 ? SH_EVIDENCE_FLAG_ABSTAIN : 0;
      const double bias = (i % 2 == 0) ? 0.25 : -0.25;
      e.prob_long = std::clamp(0.5 + bias + 0.2 * (rng->next() - 0.5), 0.0, 1.0);
      e.prob_short = 1.0 - e.prob_long;
      const double level = 0.6 + 0.3 * static_cast<double>((i * 7 + k * 13) % 10) / 10.0;
      e.confidence = std::clamp(level + 0.06 * (rng->next() - 0.5), 0.0, 1.0);
    }
  }
}

RiskPolicy policy(const char* name,
                  double (*per_intent)(const sh_order_intent&, const sh_portfolio_state&,
                                       sh_risk_verdict&)) {
  RiskPolicy p;
  p.name = name;
  p.evaluate = [per_intent](const sh_order_intent_batch& in, const sh_portfolio_state& pf,
                            sh_risk_verdict_batch& out) {
    for (uint32_t i = 0; i < in.count; ++i) (void)per_intent(in.items[i], pf, out.items[i]);
    return Status::Ok();
  };
  return p;
}

void deny(sh_risk_verdict& v, sh_risk_reason r) {
  v.action = SH_RISK_DENY;
  v.reason = r;
}
void scale(sh_risk_verdict& v, sh_risk_reason r, double s) {
  v.action = SH_RISK_SCALE;
  v.reason = r;
  v.scale = s;
}

std::vector<RiskPolicy> ten_policies() {
  std::vector<RiskPolicy> ps;
  ps.push_back(policy("kill_switch", [](const sh_order_intent&, const sh_portfolio_state& pf,
                                        sh_risk_verdict& v) {
    if (pf.consecutive_errors > 5) deny(v, SH_REASON_KILL_SWITCH);
    return 0.0;
  }));
  ps.push_back(policy("low_confidence", [](const sh_order_intent& in, const sh_portfolio_state&,
                                           sh_risk_verdict& v) {
    if (in.confidence < 0.6) deny(v, SH_REASON_LOW_CONFIDENCE);
    return 0.0;
  }));
  ps.push_back(policy("notional_cap", [](const sh_order_intent& in, const sh_portfolio_state&,
                                         sh_risk_verdict& v) {
    if (in.notional_usd > 1800.0) scale(v, SH_REASON_NOTIONAL_CAP, 1800.0 / in.notional_usd);
    return 0.0;
  }));
  ps.push_back(policy("daily_loss", [](const sh_order_intent&, const sh_portfolio_state& pf,
                                       sh_risk_verdict& v) {
    if (pf.daily_pnl_usd < -0.03 * pf.equity_usd) deny(v, SH_REASON_DAILY_LOSS);
    return 0.0;
  }));
  ps.push_back(policy("drawdown_lock", [](const sh_order_intent&, const sh_portfolio_state& pf,
                                          sh_risk_verdict& v) {
    if (pf.drawdown_pct > 12.0) deny(v, SH_REASON_RISK_LOCKED);
    return 0.0;
  }));
  ps.push_back(policy("var_limit", [](const sh_order_intent& in, const sh_portfolio_state& pf,
                                      sh_risk_verdict& v) {
    const double var = 1.65 * 0.02 * in.notional_usd / std::max(pf.equity_usd, 1.0) * 100.0;
    if (var > 0.03) scale(v, SH_REASON_VAR_LIMIT, std::sqrt(0.03 / var));
    return var;
  }));
  ps.push_back(policy("rate_limit", [](const sh_order_intent& in, const sh_portfolio_state&,
                                       sh_risk_verdict& v) {
    if ((in.intent_id % 97) == 0) deny(v, SH_REASON_RATE_LIMITED);
    return 0.0;
  }));
  ps.push_back(policy("vol_target", [](const sh_order_intent& in, const sh_portfolio_state&,
                                       sh_risk_verdict& v) {
    const double ann_vol = 0.6 + 0.1 * std::fabs(in.prob_long - in.prob_short);
    if (ann_vol > 0.08) scale(v, SH_REASON_VOL_TARGET, std::min(1.0, 0.08 / ann_vol * 8.0));
    return ann_vol;
  }));
  ps.push_back(policy("confidence_scale", [](const sh_order_intent& in, const sh_portfolio_state&,
                                             sh_risk_verdict& v) {
    scale(v, SH_REASON_CONFIDENCE_SCALE, std::clamp(in.confidence, 0.1, 1.0));
    return 0.0;
  }));
  ps.push_back(policy("circuit_breaker", [](const sh_order_intent& in, const sh_portfolio_state&,
                                            sh_risk_verdict& v) {
    if (!std::isfinite(in.price) || in.price <= 0.0) deny(v, SH_REASON_CIRCUIT_OPEN);
    return 0.0;
  }));
  return ps;
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t at = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[at];
}

}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? static_cast<size_t>(std::atol(argv[1])) : 1000;
  const int minutes = argc > 2 ? std::atoi(argv[2]) : 500;
  const std::vector<std::string> experts{"fsm", "classifier", "anomaly", "divergence"};

  ConsensusConfig cc;
  cc.weights = {{"fsm", 0.3}, {"classifier", 0.3}, {"anomaly", 0.2}, {"divergence", 0.2}};
  cc.threshold = 0.6;
  std::unique_ptr<Consensus> consensus;
  if (!Consensus::create(cc, &consensus).ok()) return 1;
  ModelRouterConfig rc;
  rc.candidates = experts;
  rc.min_confidence = 0.6;
  rc.hysteresis = 0.05;
  rc.confirm_minutes = 3;
  std::unique_ptr<ModelRouter> router;
  if (!ModelRouter::create(rc, &router).ok()) return 1;
  RiskChain chain(ten_policies());

  std::vector<sh_symbol_id> syms(n);
  std::vector<double> prices(n);
  for (size_t i = 0; i < n; ++i) {
    syms[i] = static_cast<sh_symbol_id>(i + 1);
    prices[i] = 10.0 + static_cast<double>(i);
  }
  std::vector<std::vector<sh_evidence>> arrays(4, std::vector<sh_evidence>(n));
  std::vector<ExpertEvidence> views(4);
  for (size_t k = 0; k < 4; ++k) {
    views[k].name = experts[k];
    views[k].items = arrays[k].data();
    views[k].count = static_cast<uint32_t>(n);
  }
  sh_portfolio_state pf{};
  pf.struct_size = sizeof pf;
  pf.position_size = sizeof(sh_position);
  pf.equity_usd = 100000;
  pf.peak_equity_usd = 100000;

  std::vector<ConsensusRecord> records;
  std::vector<SwitchRecord> switches;
  std::vector<std::string_view> versions(n);
  std::vector<sh_order_intent> intents;
  intents.reserve(n);
  RiskChainResult result;
  std::vector<double> core_us, base_us, router_us, consensus_us, intents_us, chain_us;
  Lcg rng;
  size_t total_intents = 0, total_allowed = 0, total_switches = 0;
  double sink = 0.0;

  for (int m = 0; m < minutes + 20; ++m) {  // 20 warm-up minutes
    fill_evidence(&arrays, syms, &rng);
    const int64_t ts = kT0 + m * kMinuteNs;

    auto t0 = std::chrono::steady_clock::now();
    switches.clear();
    if (!router->route(ts, syms.data(), n, views, &switches).ok()) return 1;
    router->active_models(syms.data(), n, versions.data());
    auto ta = std::chrono::steady_clock::now();
    if (!consensus->fuse(syms.data(), n, views, versions.data(), &records).ok()) return 1;
    auto tb = std::chrono::steady_clock::now();
    intents.clear();
    for (size_t i = 0; i < n; ++i) {
      if (!records[i].allow) continue;
      // intent_id: a cheap stand-in for the key hash (the key is built only
      // for orders that reach the broker).
      intents.push_back(make_order_intent(records[i], ts, prices[i], 2000.0, syms[i] * 131u + m));
    }
    pf.consecutive_errors = chain.consecutive_errors();
    auto tc = std::chrono::steady_clock::now();
    chain.evaluate(intents.data(), intents.size(), pf, &result);
    auto t1 = std::chrono::steady_clock::now();

    // Baseline: the same weighted means and sizing, bare.
    auto b0 = std::chrono::steady_clock::now();
    const double w[4] = {0.3, 0.3, 0.2, 0.2};
    double acc = 0.0;
    for (size_t i = 0; i < n; ++i) {
      double ws = 0, pl = 0, ps = 0, cf = 0;
      for (size_t k = 0; k < 4; ++k) {
        const sh_evidence& e = arrays[k][i];
        if (e.flags & SH_EVIDENCE_FLAG_ABSTAIN) continue;
        ws += w[k];
        pl += w[k] * e.prob_long;
        ps += w[k] * e.prob_short;
        cf += w[k] * e.confidence;
      }
      if (ws > 0 && (pl / ws >= 0.6 || ps / ws >= 0.6)) acc += 2000.0 / prices[i] * cf / ws;
    }
    auto b1 = std::chrono::steady_clock::now();
    sink += acc;

    if (m < 20) continue;
    core_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    base_us.push_back(std::chrono::duration<double, std::micro>(b1 - b0).count());
    router_us.push_back(std::chrono::duration<double, std::micro>(ta - t0).count());
    consensus_us.push_back(std::chrono::duration<double, std::micro>(tb - ta).count());
    intents_us.push_back(std::chrono::duration<double, std::micro>(tc - tb).count());
    chain_us.push_back(std::chrono::duration<double, std::micro>(t1 - tc).count());
    total_intents += intents.size();
    total_switches += switches.size();
    for (const IntentOutcome& o : result.outcomes) total_allowed += o.action != SH_RISK_DENY;
  }

  std::printf("bench_decision: %zu symbols, 4 experts, 10 risk policies, %d minutes\n", n, minutes);
  std::printf("  per minute: %.0f intents, %.0f through the chain, %.2f router switches\n",
              static_cast<double>(total_intents) / minutes,
              static_cast<double>(total_allowed) / minutes,
              static_cast<double>(total_switches) / minutes);
  std::printf("  %-44s p50 %8.1f us   p99 %8.1f us\n", "decision core (router+consensus+chain):",
              pct(core_us, 0.50), pct(core_us, 0.99));
  std::printf("    %-42s p50 %8.1f us   p99 %8.1f us\n", "router:", pct(router_us, 0.50),
              pct(router_us, 0.99));
  std::printf("    %-42s p50 %8.1f us   p99 %8.1f us\n", "consensus:", pct(consensus_us, 0.50),
              pct(consensus_us, 0.99));
  std::printf("    %-42s p50 %8.1f us   p99 %8.1f us\n", "intents:", pct(intents_us, 0.50),
              pct(intents_us, 0.99));
  std::printf("    %-42s p50 %8.1f us   p99 %8.1f us\n", "risk chain (10 policies):",
              pct(chain_us, 0.50), pct(chain_us, 0.99));
  std::printf("  %-44s p50 %8.1f us   p99 %8.1f us\n", "baseline (bare weighted loop):",
              pct(base_us, 0.50), pct(base_us, 0.99));
  std::printf("  ratio p50 %.1fx; target p99 <= 1000 us: %s   (sink %.3g)\n",
              pct(core_us, 0.50) / std::max(pct(base_us, 0.50), 1e-3),
              pct(core_us, 0.99) <= 1000.0 ? "met" : "NOT met", sink);
  return 0;
}
