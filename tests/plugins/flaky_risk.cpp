// A risk policy for the end-to-end decision tests (tests/test_run_decision_*):
// it fails on chosen decision cycles so that the host's fail-closed path
// (POLICY_ERROR, 503) and safe mode can be driven through the real binary.
//
// A cycle is one evaluate call (the host calls the chain only on minutes with
// order intents). The first skip_cycles cycles pass every intent untouched;
// the next fail_cycles cycles throw (the host denies the whole batch with
// POLICY_ERROR and counts an erroring cycle); every later cycle passes again.
// slow_cycle (1-based, 0 = none) sleeps slow_ms before passing: a slow
// decision, which a live-mode host reports as the next minute's latency.
#include <strategy_host/plugin.hpp>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>

class FlakyRisk final : public sh::RiskPolicy {
 public:
  static constexpr const char* kName = "flaky_risk";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "test risk policy: throws on decision cycles skip_cycles+1 .. skip_cycles+fail_cycles; "
      "sleeps slow_ms on slow_cycle";
  static constexpr const char* kConfigSchema = R"({
    "type": "object",
    "properties": {
      "skip_cycles": {"type": "integer", "minimum": 0, "default": 0},
      "fail_cycles": {"type": "integer", "minimum": 0, "default": 0},
      "slow_cycle": {"type": "integer", "minimum": 0, "default": 0},
      "slow_ms": {"type": "integer", "minimum": 0, "maximum": 10000, "default": 0}
    },
    "additionalProperties": false
  })";
  static constexpr bool kLiveConfig = false;

  FlakyRisk(const sh::Host& host, const sh::Json& config)
      : sh::RiskPolicy(host),
        skip_(config.value("skip_cycles", int64_t{0})),
        fail_(config.value("fail_cycles", int64_t{0})),
        slow_cycle_(config.value("slow_cycle", int64_t{0})),
        slow_ms_(config.value("slow_ms", int64_t{0})) {}

  void evaluate(const sh::OrderIntents&, const sh_portfolio_state&, const sh::VerdictsOut&) override {
    const int64_t cycle = ++cycles_;
    if (cycle > skip_ && cycle <= skip_ + fail_) {
      throw std::runtime_error("injected failure on cycle " + std::to_string(cycle));
    }
    if (cycle == slow_cycle_) std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms_));
  }

 private:
  int64_t skip_;
  int64_t fail_;
  int64_t slow_cycle_;
  int64_t slow_ms_;
  int64_t cycles_ = 0;
};

SH_EXPORT_PLUGIN(FlakyRisk)
