#include "history/calendar.h"

#include <cstdio>

namespace sh::host {

std::string format_day(int32_t day) {
  int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  civil_from_days(day, &y, &m, &d);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

bool parse_day(std::string_view t, int32_t* day) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return false;
  int v[3] = {0, 0, 0};
  const size_t starts[3] = {0, 5, 8}, lens[3] = {4, 2, 2};
  for (int i = 0; i < 3; ++i) {
    for (size_t k = 0; k < lens[i]; ++k) {
      const char c = t[starts[i] + k];
      if (c < '0' || c > '9') return false;
      v[i] = v[i] * 10 + (c - '0');
    }
  }
  if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31) return false;
  const auto d = static_cast<int32_t>(
      days_from_civil(v[0], static_cast<unsigned>(v[1]), static_cast<unsigned>(v[2])));
  if (format_day(d) != t) return false;  // 2021-02-30 and the like
  *day = d;
  return true;
}

}  // namespace sh::host
