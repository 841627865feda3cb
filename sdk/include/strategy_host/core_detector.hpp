// strategy_host/core_detector.hpp: a whole detector plugin from a pure batch
// function (a "core", kept free of plugin machinery so a benchmark calls the
// same code) and a traits struct naming it:
//
//   struct ZScoreTraits {
//     static constexpr const char* kName = "zscore_spike";
//     static constexpr const char* kVersion = "1.0.0";
//     static constexpr const char* kDescription = "...";
//     static constexpr const char* kConfigSchema = R"json({...})json";
//     struct Config { ... };                              // whole, copyable
//     static Config parse(const sh::config::Reader& r);  // reads; cross-field checks
//     static uint32_t detect(const sh::FeatureRows& rows, const Config& c,
//                            sh_detector_hit* out);      // out has rows.size() slots
//   };
//   using ZScoreSpike = sh::CoreDetector<ZScoreTraits>;
//   SH_EXPORT_PLUGIN(ZScoreSpike)
//
// The detector takes live config changes (all-or-nothing: the new Config is
// built whole before it replaces the old) and emits the core's hits in one
// call from a buffer it reuses, one slot per row.
#ifndef STRATEGY_HOST_CORE_DETECTOR_HPP
#define STRATEGY_HOST_CORE_DETECTOR_HPP

#include <strategy_host/plugin.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace sh {

template <typename Traits>
class CoreDetector final : public Detector {
 public:
  static constexpr const char* kName = Traits::kName;
  static constexpr const char* kVersion = Traits::kVersion;
  static constexpr const char* kDescription = Traits::kDescription;
  static constexpr const char* kConfigSchema = Traits::kConfigSchema;
  static constexpr bool kLiveConfig = true;
  using Config = typename Traits::Config;

  CoreDetector(const Host& host, const Json& config) : Detector(host), config_(parse(config)) {}

  void set_config(const Json& config) override { config_ = parse(config); }

  void detect(const FeatureRows& rows, const sh_market_context&, const HitSink& out) override {
    if (rows.empty()) return;
    if (hits_.size() < rows.size()) hits_.resize(rows.size());
    const uint32_t n = Traits::detect(rows, config_, hits_.data());
    if (n == 0) return;
    if (out.emit(hits_.data(), n) != SH_OK)
      throw std::runtime_error("host refused " + std::to_string(n) + " hits");
  }

  static Config parse(const Json& config) {
    return Traits::parse(config::Reader(config, kConfigSchema));
  }

 private:
  Config config_;
  std::vector<sh_detector_hit> hits_;  // reused output buffer, one slot per row
};

}  // namespace sh

#endif  // STRATEGY_HOST_CORE_DETECTOR_HPP
