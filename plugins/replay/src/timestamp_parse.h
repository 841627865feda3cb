// timestamp_parse.h: one timestamp field -> int64 nanoseconds since the Unix
// epoch (UTC). Accepted forms:
//
//  - An unsigned integer whose unit is told by its magnitude. Integers below
//    1e11 are seconds, below 1e14 milliseconds, below 1e17 microseconds, and
//    nanoseconds from 1e17 on. Every unit crosses its threshold in March 1973
//    (1e11 ms = 1e14 us = 1e17 ns = 1973-03-03), and no unit reaches the next
//    threshold before the year 5138, so any instant from 1973-03-03 to the
//    end of int64 ns (2262) is read correctly in any of the four units. An
//    earlier instant is only read correctly when written in seconds.
//  - The same with a fraction ("1704153600.25"): the integer part picks the
//    unit as above and the fraction is in that unit (up to 9 digits kept).
//  - ISO-8601: "YYYY-MM-DD", optionally followed by 'T' or ' ' and
//    "HH:MM[:SS[.fffffffff]]", optionally followed by 'Z' or an offset
//    "+HH:MM" / "+HHMM" / "-HH:MM". No offset means UTC. A date alone is
//    00:00:00Z of that day and is flagged date_only (a daily bar).
//
// Inline: the integer branch runs once or twice per row on the hot path.
#ifndef SH_REPLAY_TIMESTAMP_PARSE_H
#define SH_REPLAY_TIMESTAMP_PARSE_H

#include <cstdint>
#include <cstring>
#include <string_view>

#include "number_parse.h"

namespace replay {

enum class TsStatus : uint8_t { kOk, kEmpty, kBad };

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
// (H. Hinnant's days_from_civil).
inline int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned mp = m > 2 ? m - 3 : m + 9;
  const unsigned doy = (153 * mp + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

namespace detail {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly n digits at s[pos..pos+n); false if any is not a digit.
inline bool fixed_digits(std::string_view s, size_t pos, size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (!is_digit(c)) return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  out = v;
  return true;
}

// SWAR: true if the 8 bytes at p are all ASCII digits (little-endian load).
inline bool eight_digits(const char* p, uint64_t& chunk) {
  std::memcpy(&chunk, p, 8);
  return (chunk & 0xF0F0F0F0F0F0F0F0ULL) == 0x3030303030303030ULL &&
         ((chunk + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) == 0x3030303030303030ULL;
}

// Value of 8 ASCII digits loaded by eight_digits (D. Lemire's SWAR method).
inline uint64_t eight_digits_value(uint64_t chunk) {
  chunk -= 0x3030303030303030ULL;
  chunk = chunk * 10 + (chunk >> 8);
  return (((chunk & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
          (((chunk >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >>
         32;
}

inline TsStatus parse_iso8601(std::string_view s, int64_t& ts_ns, bool& date_only) {
  unsigned y, mo, d;
  if (!fixed_digits(s, 0, 4, y) || s[4] != '-' || !fixed_digits(s, 5, 2, mo) || s.size() < 10 ||
      s[7] != '-' || !fixed_digits(s, 8, 2, d))
    return TsStatus::kBad;
  static constexpr unsigned kDaysInMonth[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDaysInMonth[mo - 1]) return TsStatus::kBad;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap) return TsStatus::kBad;

  int64_t day_ns = 0;
  int64_t offset_s = 0;
  size_t pos = 10;
  date_only = s.size() == 10;
  if (!date_only) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return TsStatus::kBad;
    unsigned hh, mm, ss = 0;
    if (!fixed_digits(s, pos + 1, 2, hh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !fixed_digits(s, pos + 4, 2, mm))
      return TsStatus::kBad;
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!fixed_digits(s, pos + 1, 2, ss)) return TsStatus::kBad;
      pos += 3;
    }
    if (hh > 23 || mm > 59 || ss > 59) return TsStatus::kBad;
    int64_t frac_ns = 0;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      int64_t scale = 100000000;  // first fraction digit is 1e8 ns
      const size_t start = pos;
      while (pos < s.size() && is_digit(s[pos])) {
        frac_ns += (s[pos] - '0') * scale;  // digits past the 9th add 0
        scale /= 10;
        ++pos;
      }
      if (pos == start) return TsStatus::kBad;
    }
    if (pos < s.size()) {
      const char z = s[pos];
      if (z == 'Z' || z == 'z') {
        ++pos;
      } else if (z == '+' || z == '-') {
        unsigned oh, om;
        if (!fixed_digits(s, pos + 1, 2, oh)) return TsStatus::kBad;
        size_t p = pos + 3;
        if (p < s.size() && s[p] == ':') ++p;
        if (!fixed_digits(s, p, 2, om) || oh > 23 || om > 59) return TsStatus::kBad;
        offset_s = (z == '+' ? 1 : -1) * static_cast<int64_t>(oh * 3600 + om * 60);
        pos = p + 2;
      }
    }
    if (pos != s.size()) return TsStatus::kBad;
    day_ns = (static_cast<int64_t>(hh) * 3600 + mm * 60 + ss) * 1000000000LL + frac_ns;
  }
  // Fits int64 ns only between 1677 and 2262.
  if (y < 1678 || y > 2261) return TsStatus::kBad;
  const int64_t secs = days_from_civil(y, mo, d) * 86400 - offset_s;
  ts_ns = secs * 1000000000LL + day_ns;
  return TsStatus::kOk;
}

}  // namespace detail

// Parses one timestamp field; date_only is set for a bare ISO date.
inline TsStatus parse_timestamp(std::string_view s, int64_t& ts_ns, bool& date_only) {
  s = trim(s);
  date_only = false;
  if (s.empty()) return TsStatus::kEmpty;
  if (s.size() >= 10 && s[4] == '-') return detail::parse_iso8601(s, ts_ns, date_only);

  // Integer part: at most 19 digits, so it always fits in uint64.
  size_t pos = 0;
  uint64_t v = 0;
  // 8 digits at a time while that cannot pass 19 digits (ns stamps have 19).
  uint64_t chunk;
  while (pos + 8 <= s.size() && pos + 8 <= 19 && detail::eight_digits(s.data() + pos, chunk)) {
    v = v * 100000000ULL + detail::eight_digits_value(chunk);
    pos += 8;
  }
  while (pos < s.size() && detail::is_digit(s[pos])) {
    if (pos == 19) return TsStatus::kBad;
    v = v * 10 + static_cast<uint64_t>(s[pos] - '0');
    ++pos;
  }
  if (pos == 0) return TsStatus::kBad;
  int64_t unit_ns;
  if (v < 100000000000ULL) {
    unit_ns = 1000000000;  // seconds
  } else if (v < 100000000000000ULL) {
    unit_ns = 1000000;  // milliseconds
  } else if (v < 100000000000000000ULL) {
    unit_ns = 1000;  // microseconds
  } else {
    unit_ns = 1;  // nanoseconds
  }
  if (v > static_cast<uint64_t>(INT64_MAX)) return TsStatus::kBad;
  int64_t whole_ns;
  if (__builtin_mul_overflow(static_cast<int64_t>(v), unit_ns, &whole_ns)) return TsStatus::kBad;
  if (pos == s.size()) {
    ts_ns = whole_ns;
    return TsStatus::kOk;
  }
  if (s[pos] != '.') return TsStatus::kBad;
  ++pos;
  // Fraction of one unit, kept to 9 digits: frac / 10^digits * unit_ns.
  int64_t frac = 0;
  int64_t denom = 1;
  const size_t start = pos;
  while (pos < s.size() && detail::is_digit(s[pos])) {
    if (denom < 1000000000) {
      frac = frac * 10 + (s[pos] - '0');
      denom *= 10;
    }
    ++pos;
  }
  if (pos == start || pos != s.size()) return TsStatus::kBad;
  // frac < denom <= 1e9 and unit_ns <= 1e9, so the product fits in int64.
  if (__builtin_add_overflow(whole_ns, frac * unit_ns / denom, &ts_ns)) return TsStatus::kBad;
  return TsStatus::kOk;
}

}  // namespace replay

#endif  // SH_REPLAY_TIMESTAMP_PARSE_H
