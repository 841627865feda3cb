#include "decision/trading_mode.h"

#include <string>

namespace sh::host {

const char* trading_mode_name(TradingMode mode) {
  return mode == TradingMode::kLive ? "live" : "paper";
}

Status select_trading_mode(std::string_view mode_text, bool live_flag,
                           bool broker_plugin_configured, TradingMode* mode) {
  if (mode_text.empty() || mode_text == "paper") {
    *mode = TradingMode::kPaper;
    return Status::Ok();
  }
  if (mode_text != "live") {
    return Status::InvalidArgument("trading.mode: '" + std::string(mode_text) +
                                   "' is not one of paper, live");
  }
  if (!live_flag) {
    return Status::FailedPrecondition(
        "trading.mode is live but the explicit live flag was not given; refusing to start");
  }
  if (!broker_plugin_configured) {
    return Status::FailedPrecondition(std::string(kLiveNeedsBrokerMessage));
  }
  *mode = TradingMode::kLive;
  return Status::Ok();
}

}  // namespace sh::host
