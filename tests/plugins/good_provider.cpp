// A well-behaved provider for the host tests: emits `count` trades on the
// symbols it is given (interned through the host), stamped with the host
// clock, then reports end of data.
#include <strategy_host/plugin.hpp>
#include <string>
#include <vector>

class GoodProvider : public sh::Provider {
 public:
  static constexpr const char* kName = "good_provider";
  static constexpr const char* kVersion = "0.1.0";
  static constexpr const char* kDescription = "test provider: N trades";
  static constexpr const char* kConfigSchema = R"({
    "type": "object",
    "properties": {
      "count": {"type": "integer", "minimum": 0},
      "symbols": {"type": "array", "items": {"type": "string"}, "minItems": 1}
    },
    "required": ["count", "symbols"]
  })";

  GoodProvider(const sh::Host& host, const sh::Json& config)
      : sh::Provider(host),
        left_(config.at("count").get<int>()),
        emitted_(host.counter("emitted")) {
    for (const auto& s : config.at("symbols"))
      symbols_.push_back(host.intern(s.get<std::string>()));
  }

  sh_status poll(const sh::EventSink& sink, uint32_t max_events) override {
    uint32_t n = 0;
    while (left_ > 0 && n < max_events) {
      sh_market_event ev{};
      ev.struct_size = sizeof(ev);
      ev.type = SH_EVENT_TRADE;
      ev.symbol = symbols_[static_cast<size_t>(left_) % symbols_.size()];
      ev.ts_ns = host().now_ns();
      ev.data.trade.price = 100.0 + left_;
      ev.data.trade.size = 1;
      if (sink.emit(ev) != SH_OK) return SH_ERR_HOST;
      host().add(emitted_);
      --left_;
      ++n;
    }
    return left_ > 0 ? SH_OK : SH_END_OF_DATA;
  }

 private:
  int left_;
  uint32_t emitted_;
  std::vector<sh_symbol_id> symbols_;
};

SH_EXPORT_PLUGIN(GoodProvider)
