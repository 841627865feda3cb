// decode_support.h: small pieces every venue's frame decoder uses on the
// polling thread: log lines limited per reason, events that start from a
// symbol and two times, and per-symbol non-decreasing event times.
#ifndef SH_EXCHANGE_DECODE_SUPPORT_H
#define SH_EXCHANGE_DECODE_SUPPORT_H

#include <strategy_host/plugin.hpp>

#include <cstdint>
#include <map>
#include <string>

namespace exchange {

// At most `limit` log lines per reason, then one saying the rest are only
// counted (the counters carry on).
class LimitedLog {
 public:
  LimitedLog(const sh::Host& host, uint32_t limit) : host_(host), limit_(limit) {}
  void log(sh_log_level level, const std::string& reason, const std::string& msg) {
    uint32_t& n = logged_[reason];
    if (n < limit_) {
      host_.log(level, msg);
    } else if (n == limit_) {
      host_.log(level, reason + ": further messages of this kind are only counted");
    }
    ++n;
  }

 private:
  sh::Host host_;
  uint32_t limit_;
  std::map<std::string, uint32_t> logged_;  // reason -> lines logged
};

inline sh_market_event make_event(sh_symbol_id symbol, sh_event_type type, int64_t ts_ns, int64_t recv_ts_ns) {
  sh_market_event ev{};
  ev.struct_size = sizeof(sh_market_event);
  ev.type = type;
  ev.symbol = symbol;
  ev.ts_ns = ts_ns;
  ev.recv_ts_ns = recv_ts_ns;
  return ev;
}

// Events leave in non-decreasing ts_ns per symbol (the ABI's promise):
// ts_ns, or *last_ts_ns when it is earlier (then *clamped is set).
inline int64_t non_decreasing(int64_t* last_ts_ns, int64_t ts_ns, bool* clamped) {
  *clamped = ts_ns < *last_ts_ns;
  if (*clamped) ts_ns = *last_ts_ns;
  *last_ts_ns = ts_ns;
  return ts_ns;
}

}  // namespace exchange

#endif
