// Calendar days for daily history: a day is its number of days since
// 1970-01-01 (UTC); its timestamp is that day's 00:00 UTC in ns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/time_format.h"

namespace sh::host {

constexpr int64_t kNsPerDay = 86'400'000'000'000;

// Days since the epoch of a civil date: days_from_civil (store/time_format.h).
// "YYYY-MM-DD" of a day.
std::string format_day(int32_t day);
// Parses "YYYY-MM-DD" (a real date); false otherwise.
bool parse_day(std::string_view text, int32_t* day);
// 0 = Sunday ... 6 = Saturday.
inline int weekday(int32_t day) { return static_cast<int>(((day % 7) + 11) % 7); }
inline bool is_weekend(int32_t day) { const int w = weekday(day); return w == 0 || w == 6; }
// The day holding ts_ns (floor).
inline int32_t day_of_ns(int64_t ts_ns) {
  return static_cast<int32_t>(ts_ns >= 0 ? ts_ns / kNsPerDay : -((-ts_ns + kNsPerDay - 1) / kNsPerDay));
}

}  // namespace sh::host
