// number_parse.h: allocation-free parsing of one text field (CSV cell or JSON
// scalar) into a number. Hot path: called several times per input row, so
// every function is inline and reports failure as a value, never by throwing.
#ifndef SH_REPLAY_NUMBER_PARSE_H
#define SH_REPLAY_NUMBER_PARSE_H

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <system_error>

namespace replay {

enum class NumStatus : uint8_t {
  kOk,
  kEmpty,      // the field is empty (after trimming blanks)
  kNotNumber,  // not a number, or trailing garbage
  kNonFinite   // NaN, inf, or a magnitude beyond double's range
};

// Strips ASCII spaces and tabs at both ends (CSV written as "a, b").
inline std::string_view trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}

namespace detail {

// Plain decimals ("-123.4500") with at most 19 digits whose digits fit in
// 53 bits: value = digits / 10^k is then exact over exact operands, so one
// IEEE division gives the correctly rounded result (Clinger's fast path),
// identical to from_chars. False: not this shape, use from_chars.
inline bool parse_plain_decimal(const char* p, const char* e, double& out) {
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19};
  const bool neg = *p == '-';
  if (neg) ++p;
  uint64_t m = 0;
  int digits = 0;
  int frac_digits = 0;
  bool dot = false;
  for (; p < e; ++p) {
    const unsigned d = static_cast<unsigned>(*p - '0');
    if (d < 10) {
      m = m * 10 + d;
      ++digits;
      frac_digits += dot ? 1 : 0;
    } else if (*p == '.' && !dot) {
      dot = true;
    } else {
      return false;
    }
    if (digits > 19) return false;
  }
  if (digits == 0 || m > (1ULL << 53)) return false;
  const double v = static_cast<double>(m) / kPow10[frac_digits];
  out = neg ? -v : v;
  return true;
}

}  // namespace detail

// Parses a decimal or scientific double. "nan", "inf" and overflow such as
// "1e999" are kNonFinite so that the caller can report them apart from text.
inline NumStatus parse_double(std::string_view s, double& out) {
  s = trim(s);
  if (s.empty()) return NumStatus::kEmpty;
  const char* b = s.data();
  const char* e = b + s.size();
  if (*b == '+') ++b;  // from_chars refuses a leading '+', which CSV writers emit
  if (b < e && detail::parse_plain_decimal(b, e, out)) return NumStatus::kOk;
  const auto r = std::from_chars(b, e, out);
  if (r.ec == std::errc::result_out_of_range) return NumStatus::kNonFinite;
  if (r.ec != std::errc() || r.ptr != e) return NumStatus::kNotNumber;
  if (!std::isfinite(out)) return NumStatus::kNonFinite;
  return NumStatus::kOk;
}

// Parses an unsigned decimal integer that fits in 64 bits.
inline NumStatus parse_u64(std::string_view s, uint64_t& out) {
  s = trim(s);
  if (s.empty()) return NumStatus::kEmpty;
  const char* b = s.data();
  const char* e = b + s.size();
  if (*b == '+') ++b;
  const auto r = std::from_chars(b, e, out);
  if (r.ec != std::errc() || r.ptr != e) return NumStatus::kNotNumber;
  return NumStatus::kOk;
}

}  // namespace replay

#endif  // SH_REPLAY_NUMBER_PARSE_H
