// decimal.h: prices and sizes as the exchanges print them, decimal strings.
#ifndef SH_EXCHANGE_DECIMAL_H
#define SH_EXCHANGE_DECIMAL_H

#include <charconv>
#include <string_view>

namespace exchange {

// Strict decimal: digits with an optional '.', nothing else (no sign, no
// exponent), at most 40 characters.
inline bool parse_decimal(std::string_view s, double* out) {
  if (s.empty() || s.size() > 40) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '.')) return false;
  }
  const auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace exchange

#endif
