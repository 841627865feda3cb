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

// Parses a decimal or scientific double. "nan", "inf" and overflow such as
// "1e999" are kNonFinite so that the caller can report them apart from text.
inline NumStatus parse_double(std::string_view s, double& out) {
  s = trim(s);
  if (s.empty()) return NumStatus::kEmpty;
  const char* b = s.data();
  const char* e = b + s.size();
  if (*b == '+') ++b;  // from_chars refuses a leading '+', which CSV writers emit
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
