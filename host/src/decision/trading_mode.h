// Trading mode: paper (the default) or live. Live needs an explicit flag AND
// a broker plugin; the host refuses to start otherwise. The paper broker
// refuses to be constructed for live.
#ifndef SH_HOST_DECISION_TRADING_MODE_H
#define SH_HOST_DECISION_TRADING_MODE_H

#include <string_view>

#include "store/status.h"

namespace sh::host {

enum class TradingMode { kPaper, kLive };

const char* trading_mode_name(TradingMode mode);  // "paper" | "live"

inline constexpr std::string_view kLiveNeedsBrokerMessage =
    "live trading needs a broker plugin; none is configured";

// mode_text: the configured mode ("" means paper). live_flag: the explicit
// command-line opt-in. Errors (FailedPrecondition / InvalidArgument):
//   unknown mode text; "live" without the flag; live without a broker plugin.
Status select_trading_mode(std::string_view mode_text, bool live_flag,
                           bool broker_plugin_configured, TradingMode* mode);

}  // namespace sh::host

#endif  // SH_HOST_DECISION_TRADING_MODE_H
