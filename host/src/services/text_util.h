// Small helpers several host areas used to keep their own copies of (and
// that a unity build of the host core would see twice): suffix test, list
// joining, %g formatting, sh_log_level -> spdlog level. (The wall clock is HostClock::wall_ns.)
#pragma once

#include <spdlog/spdlog.h>
#include <strategy_host/abi.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace sh::host {

inline bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "a, b, c" (or with another separator).
inline std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

// printf's %.<digits>g of v ("1.8", "1.963", "1e+300"; "nan", "inf").
inline std::string format_g(double v, int digits) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

inline spdlog::level::level_enum to_spdlog(sh_log_level level) {
  switch (level) {
    case SH_LOG_TRACE: return spdlog::level::trace;
    case SH_LOG_DEBUG: return spdlog::level::debug;
    case SH_LOG_INFO: return spdlog::level::info;
    case SH_LOG_WARN: return spdlog::level::warn;
    default: return spdlog::level::err;
  }
}

}  // namespace sh::host
