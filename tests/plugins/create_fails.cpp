// A C++-layer detector whose constructor refuses its config: create must fail
// with the plugin's message, and the host must destroy the failed instance.
#include <strategy_host/plugin.hpp>

class CreateFails : public sh::Detector {
 public:
  static constexpr const char* kName = "create_fails";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "refuses every config";
  static constexpr const char* kConfigSchema =
      R"({"type":"object","properties":{"threshold":{"type":"number"}}})";

  CreateFails(const sh::Host& host, const sh::Json&) : sh::Detector(host) {
    throw sh::ConfigError("threshold too high");
  }
  void detect(const sh::FeatureRows&, const sh_market_context&, const sh::HitSink&) override {}
};

SH_EXPORT_PLUGIN(CreateFails)
