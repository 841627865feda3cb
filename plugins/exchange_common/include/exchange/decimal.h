// decimal.h: prices and sizes as the exchanges print them, decimal strings.
#ifndef SH_EXCHANGE_DECIMAL_H
#define SH_EXCHANGE_DECIMAL_H

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace exchange {

// Strict decimal: digits with an optional '.', nothing else (no sign, no
// exponent), at most 40 characters. The value is the correctly rounded
// double, as std::from_chars gives: when the digits make an integer below
// 2^53 and there are at most 22 after the point, both it and the power of
// ten are exact doubles and one IEEE division rounds correctly (Clinger's
// fast path, which covers the exchanges' prices and sizes); anything longer
// goes to std::from_chars.
inline bool parse_decimal(std::string_view s, double* out) {
  if (s.empty() || s.size() > 40) return false;
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  uint64_t mantissa = 0;
  size_t digits = 0, point = s.size();
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      mantissa = mantissa * 10 + static_cast<uint64_t>(c - '0');  // wraps past 19 digits: then unused
      ++digits;
    } else if (c == '.' && point == s.size()) {
      point = i;
    } else {
      return false;
    }
  }
  if (digits == 0) return false;
  const size_t fraction = point == s.size() ? 0 : s.size() - point - 1;
  if (digits <= 19 && mantissa <= (uint64_t{1} << 53) && fraction <= 22) {
    *out = static_cast<double>(mantissa) / kPow10[fraction];
    return true;
  }
  const auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace exchange

#endif
