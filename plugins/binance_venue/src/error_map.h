// error_map.h: Binance error codes (errors.md) -> sh_venue_reason.
#ifndef SH_BINANCE_VENUE_ERROR_MAP_H
#define SH_BINANCE_VENUE_ERROR_MAP_H

#include <strategy_host/abi.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace binance_venue {

inline bool contains_ci(std::string hay, std::string needle) {
  auto lower = [](std::string& s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  };
  lower(hay);
  lower(needle);
  return hay.find(needle) != std::string::npos;
}

// Execution status unknown: the order may exist (errors.md -1006, -1007;
// any 5xx, rest-api.md "HTTP Return Codes").
inline bool status_unknown(int http_status, int code) {
  return http_status >= 500 || code == -1006 || code == -1007;
}

// Why Binance refused an order: http status (4xx), error code and message.
inline sh_venue_reason reason_for(int http_status, int code, const std::string& msg) {
  switch (code) {
    case -1002:  // UNAUTHORIZED
    case -1022:  // INVALID_SIGNATURE (wrong secret)
    case -2014:  // BAD_API_KEY_FMT
    case -2015:  // REJECTED_MBX_KEY: invalid key, IP or permissions
      return SH_VENUE_REASON_UNAUTHORIZED;
    case -1021:  // INVALID_TIMESTAMP: outside recvWindow / ahead of the server
      return SH_VENUE_REASON_CLOCK_SKEW;
    case -1121:  // BAD_SYMBOL
      return SH_VENUE_REASON_UNKNOWN_SYMBOL;
    case -1003:  // TOO_MANY_REQUESTS
    case -1015:  // TOO_MANY_ORDERS
      return SH_VENUE_REASON_RATE_LIMITED;
    case -1014:  // UNKNOWN_ORDER_COMPOSITION
    case -1020:  // UNSUPPORTED_OPERATION
    case -1115:  // INVALID_TIF
    case -1116:  // INVALID_ORDER_TYPE
      return SH_VENUE_REASON_UNSUPPORTED;
    case -1000:
    case -1001:
    case -1006:
    case -1007:
    case -1008:
    case -1016:
      return SH_VENUE_REASON_UNAVAILABLE;
    case -2010:  // NEW_ORDER_REJECTED: the message says why
      if (contains_ci(msg, "insufficient balance")) return SH_VENUE_REASON_INSUFFICIENT_FUNDS;
      if (contains_ci(msg, "duplicate order")) return SH_VENUE_REASON_DUPLICATE;
      if (contains_ci(msg, "not supported")) return SH_VENUE_REASON_UNSUPPORTED;
      if (contains_ci(msg, "market is closed")) return SH_VENUE_REASON_UNAVAILABLE;
      if (contains_ci(msg, "may not place") || contains_ci(msg, "disabled on this account") ||
          contains_ci(msg, "not permitted") || contains_ci(msg, "restricted"))
        return SH_VENUE_REASON_UNAUTHORIZED;
      return SH_VENUE_REASON_INVALID_ORDER;
    default:
      break;
  }
  if (http_status == 401) return SH_VENUE_REASON_UNAUTHORIZED;
  // 403 is Binance's web application firewall (a rate or security rule,
  // http-return-codes.md), not the keys: no reason to halt trading on it.
  if (http_status == 403 || http_status == 429 || http_status == 418) return SH_VENUE_REASON_RATE_LIMITED;
  if (http_status >= 500) return SH_VENUE_REASON_UNAVAILABLE;
  return SH_VENUE_REASON_INVALID_ORDER;  // -1013 filter failures, -11xx bad parameters, ...
}

// The counter a refusal bumps.
inline const char* counter_for(sh_venue_reason r) {
  switch (r) {
    case SH_VENUE_REASON_UNAUTHORIZED: return "unauthorized";
    case SH_VENUE_REASON_CLOCK_SKEW: return "clock_skew";
    case SH_VENUE_REASON_UNKNOWN_SYMBOL: return "unknown_symbol";
    case SH_VENUE_REASON_INSUFFICIENT_FUNDS: return "insufficient_funds";
    case SH_VENUE_REASON_RATE_LIMITED: return "rate_limited";
    case SH_VENUE_REASON_UNSUPPORTED: return "unsupported";
    case SH_VENUE_REASON_UNAVAILABLE: return "unavailable";
    case SH_VENUE_REASON_DUPLICATE: return "duplicate";
    case SH_VENUE_REASON_REDUCE_ONLY: return "reduce_only";
    default: return "invalid_order";
  }
}

}  // namespace binance_venue

#endif
