// A history provider with runbook 001's "alpaca" row of capabilities: stocks
// and crypto, 730 days of history, entitlement required. Config:
//   entitled: false      -> provider_entitled() says no (no key configured)
//   fetch: not_entitled  -> fetch_daily answers as a 403 would
//   fetch: error         -> fetch_daily fails otherwise
// It serves weekday rows at price 100 across the window asked for.
#include <strategy_host/plugin.hpp>

namespace {

class LimitedHistory final : public sh::Provider {
 public:
  static constexpr const char* kName = "limited_history";
  static constexpr uint32_t kAssetClasses = SH_ASSET_STOCKS | SH_ASSET_CRYPTO;
  static constexpr uint32_t kProviderFlags = SH_PROVIDER_HISTORY | SH_PROVIDER_REQUIRES_ENTITLEMENT;
  static constexpr uint32_t kMaxHistoryDays = 730;
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "test history provider: stocks+crypto, 730 days, entitlement";
  static constexpr const char* kConfigSchema = R"({
    "type": "object",
    "properties": {
      "entitled": {"type": "boolean", "default": true},
      "fetch": {"type": "string", "enum": ["ok", "not_entitled", "error"], "default": "ok"}
    },
    "additionalProperties": false
  })";

  LimitedHistory(const sh::Host& host, const nlohmann::json& config) : sh::Provider(host) {
    entitled_ = config.value("entitled", true);
    fetch_ = config.value("fetch", std::string("ok"));
  }
  sh_status poll(const sh::EventSink&, uint32_t) override { return SH_END_OF_DATA; }
  void entitled() override {
    if (!entitled_) throw sh::NotEntitled("LIMITED_HISTORY_ENABLED is not set (no API key)");
  }
  void fetch_daily(const std::string&, int64_t from_ns, int64_t to_ns, const sh::DailyBarSink& sink) override {
    if (fetch_ == "not_entitled") throw sh::NotEntitled("HTTP 403: subscription does not cover this data");
    if (fetch_ == "error") throw std::runtime_error("HTTP 500 after 3 tries");
    const int64_t day_ns = 86'400'000'000'000;
    for (int64_t t = from_ns; t <= to_ns; t += day_ns) {
      const int64_t wd = ((t / day_ns) % 7 + 11) % 7;
      if (wd == 0 || wd == 6) continue;
      sh_daily_bar b{};
      b.struct_size = sizeof b;
      b.day_ts_ns = t;
      b.open = b.high = b.low = b.close = b.adj_close = 100;
      b.volume = 1000;
      sink.emit(&b, 1);
    }
  }

 private:
  bool entitled_ = true;
  std::string fetch_;
};

}  // namespace

SH_EXPORT_PLUGIN(LimitedHistory)
