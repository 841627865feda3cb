#include "store/time_format.h"

#include <cstdint>
#include <cstdio>
#include <limits>

namespace sh::host {
namespace {

constexpr int64_t kNsPerSec = 1000000000;
constexpr int64_t kSecPerDay = 86400;

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(int64_t y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (m == 2 && is_leap(y)) ? 29 : kDays[m - 1];
}

// Reads exactly n digits at *pos.
bool read_digits(std::string_view s, size_t* pos, size_t n, int64_t* out) {
  if (*pos + n > s.size()) return false;
  int64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool read_char(std::string_view s, size_t* pos, char c) {
  if (*pos < s.size() && s[*pos] == c) {
    ++*pos;
    return true;
  }
  return false;
}

Status bad(std::string_view text, const char* why) {
  return Status::InvalidArgument("cannot parse time \"" + std::string(text) + "\": " + why +
                                 " (expected ISO-8601 UTC such as 2024-01-02T00:05:00Z, a "
                                 "date such as 2024-01-02, or integer nanoseconds)");
}

}  // namespace

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}


std::string format_iso8601_utc(int64_t ts_ns) {
  // Floor division so that negative timestamps format correctly too.
  int64_t secs = ts_ns / kNsPerSec;
  int64_t frac = ts_ns % kNsPerSec;
  if (frac < 0) {
    frac += kNsPerSec;
    --secs;
  }
  int64_t days = secs / kSecPerDay;
  int64_t sod = secs % kSecPerDay;
  if (sod < 0) {
    sod += kSecPerDay;
    --days;
  }
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  char buf[64];
  if (y >= 0 && y <= 9999) {
    // The common case without snprintf (it is called per decision line and
    // per order key): the same digits as the format below.
    auto put2 = [](char* p, unsigned v) {
      p[0] = static_cast<char>('0' + v / 10);
      p[1] = static_cast<char>('0' + v % 10);
    };
    const auto yy = static_cast<unsigned>(y);
    put2(buf, yy / 100);
    put2(buf + 2, yy % 100);
    buf[4] = '-';
    put2(buf + 5, m);
    buf[7] = '-';
    put2(buf + 8, d);
    buf[10] = 'T';
    put2(buf + 11, static_cast<unsigned>(sod / 3600));
    buf[13] = ':';
    put2(buf + 14, static_cast<unsigned>(sod / 60 % 60));
    buf[16] = ':';
    put2(buf + 17, static_cast<unsigned>(sod % 60));
    size_t len = 19;
    if (frac != 0) {
      buf[len++] = '.';
      auto f = static_cast<uint64_t>(frac);
      for (int i = 8; i >= 0; --i) {
        buf[len + static_cast<size_t>(i)] = static_cast<char>('0' + f % 10);
        f /= 10;
      }
      len += 9;
    }
    buf[len++] = 'Z';
    return std::string(buf, len);
  }
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d",
                        static_cast<long long>(y), m, d, static_cast<int>(sod / 3600),
                        static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60));
  std::string out(buf, static_cast<size_t>(n));
  if (frac != 0) {
    n = std::snprintf(buf, sizeof buf, ".%09lld", static_cast<long long>(frac));
    out.append(buf, static_cast<size_t>(n));
  }
  out.push_back('Z');
  return out;
}

Status parse_time_ns(std::string_view text, int64_t* ts_ns) {
  if (text.empty()) return bad(text, "empty");

  // Integer nanoseconds: all digits, optional sign. ISO dates always contain
  // '-' after the 4-digit year, so the forms cannot be confused.
  {
    size_t i = (text[0] == '-') ? 1 : 0;
    bool all_digits = i < text.size();
    for (size_t j = i; j < text.size(); ++j) {
      if (text[j] < '0' || text[j] > '9') {
        all_digits = false;
        break;
      }
    }
    if (all_digits) {
      __int128 v = 0;
      for (size_t j = i; j < text.size(); ++j) {
        v = v * 10 + (text[j] - '0');
        if (v > static_cast<__int128>(std::numeric_limits<int64_t>::max()) + 1) {
          return bad(text, "integer out of range");
        }
      }
      if (i == 1) v = -v;
      if (v > std::numeric_limits<int64_t>::max()) return bad(text, "integer out of range");
      *ts_ns = static_cast<int64_t>(v);
      return Status::Ok();
    }
  }

  size_t pos = 0;
  int64_t year, month, day;
  if (!read_digits(text, &pos, 4, &year) || !read_char(text, &pos, '-') ||
      !read_digits(text, &pos, 2, &month) || !read_char(text, &pos, '-') ||
      !read_digits(text, &pos, 2, &day)) {
    return bad(text, "malformed date");
  }
  if (month < 1 || month > 12) return bad(text, "month out of range");
  if (day < 1 || day > days_in_month(year, static_cast<unsigned>(month))) {
    return bad(text, "day out of range");
  }
  int64_t hour = 0, minute = 0, second = 0, frac_ns = 0, offset_sec = 0;
  if (pos < text.size()) {
    if (!(read_char(text, &pos, 'T') || read_char(text, &pos, 't') ||
          read_char(text, &pos, ' '))) {
      return bad(text, "expected 'T' after the date");
    }
    if (!read_digits(text, &pos, 2, &hour) || !read_char(text, &pos, ':') ||
        !read_digits(text, &pos, 2, &minute)) {
      return bad(text, "malformed time of day");
    }
    if (read_char(text, &pos, ':')) {
      if (!read_digits(text, &pos, 2, &second)) return bad(text, "malformed seconds");
      if (read_char(text, &pos, '.') || read_char(text, &pos, ',')) {
        size_t digits = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
          if (digits == 9) return bad(text, "more than 9 fractional digits");
          frac_ns = frac_ns * 10 + (text[pos] - '0');
          ++pos;
          ++digits;
        }
        if (digits == 0) return bad(text, "empty fraction");
        for (; digits < 9; ++digits) frac_ns *= 10;
      }
    }
    if (hour > 23 || minute > 59 || second > 59) return bad(text, "time of day out of range");
    if (read_char(text, &pos, 'Z') || read_char(text, &pos, 'z')) {
      offset_sec = 0;
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
      const int sign = text[pos] == '-' ? -1 : 1;
      ++pos;
      int64_t oh, om;
      if (!read_digits(text, &pos, 2, &oh)) return bad(text, "malformed zone offset");
      read_char(text, &pos, ':');
      if (!read_digits(text, &pos, 2, &om)) return bad(text, "malformed zone offset");
      if (oh > 23 || om > 59) return bad(text, "zone offset out of range");
      offset_sec = sign * (oh * 3600 + om * 60);
    } else {
      return bad(text, "missing zone: add 'Z' for UTC or an offset like +02:00");
    }
  }
  if (pos != text.size()) return bad(text, "trailing characters");

  const __int128 secs =
      static_cast<__int128>(days_from_civil(year, static_cast<unsigned>(month),
                                            static_cast<unsigned>(day))) *
          kSecPerDay +
      hour * 3600 + minute * 60 + second - offset_sec;
  const __int128 ns = secs * kNsPerSec + frac_ns;
  if (ns > std::numeric_limits<int64_t>::max() || ns < std::numeric_limits<int64_t>::min()) {
    return bad(text, "outside the int64 nanosecond range (years 1677..2262)");
  }
  *ts_ns = static_cast<int64_t>(ns);
  return Status::Ok();
}

}  // namespace sh::host
