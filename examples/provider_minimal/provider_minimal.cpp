// example_provider: the smallest useful market-data provider. It emits
// `count` trades of one symbol, one second apart, then reports end of data.
#include <strategy_host/plugin.hpp>  // the only header a plugin needs

#include <string>
#include <vector>

class ExampleProvider final : public sh::Provider {
 public:
  // Identity the host reads from the descriptor (`host --list-plugins`).
  static constexpr const char* kName = "example_provider";
  static constexpr const char* kVersion = "0.1.0";
  static constexpr const char* kDescription = "Minimal provider: N trades of one symbol";
  // The host validates the config against this schema before create().
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "properties": {
    "symbol": {"type": "string", "minLength": 1, "default": "DEMO"},
    "count": {"type": "integer", "minimum": 0, "default": 10},
    "start_ts_ns": {"type": "integer", "minimum": 0, "default": 1704153600000000000}
  },
  "additionalProperties": false
})json";

  // Throw sh::ConfigError for a bad config; the host gets SH_ERR_CONFIG.
  ExampleProvider(const sh::Host& host, const sh::Json& cfg)
      : sh::Provider(host),
        symbol_(host.intern(cfg.value("symbol", std::string("DEMO")))),  // intern once, here
        count_(cfg.value("count", 10u)),
        ts_ns_(cfg.value("start_ts_ns", int64_t{1704153600000000000})) {}

  // Called repeatedly by the host. Emit a batch in ONE sink call: events are
  // copied by the host during the call, so a local buffer is fine.
  sh_status poll(const sh::EventSink& sink, uint32_t max_events) override {
    std::vector<sh_market_event> batch;
    while (sent_ < count_ && batch.size() < max_events) {
      sh_market_event e{};
      e.struct_size = sizeof(e);  // always set: the host reads it first
      e.type = SH_EVENT_TRADE;
      e.symbol = symbol_;
      e.ts_ns = ts_ns_ + static_cast<int64_t>(sent_) * 1'000'000'000;  // event time, ns
      e.data.trade.price = 100.0 + 0.01 * sent_;
      e.data.trade.size = 1.0;
      e.data.trade.side = SH_SIDE_BUY;
      e.data.trade.trade_id = ++sent_;
      batch.push_back(e);
    }
    if (!batch.empty() && sink.emit(batch.data(), static_cast<uint32_t>(batch.size())) != SH_OK)
      throw std::runtime_error("host refused the batch");  // becomes an error status
    return sent_ < count_ ? SH_OK : SH_END_OF_DATA;
  }

 private:
  sh_symbol_id symbol_;
  uint32_t count_;
  int64_t ts_ns_;
  uint32_t sent_ = 0;
};

SH_EXPORT_PLUGIN(ExampleProvider)  // exactly once per library
