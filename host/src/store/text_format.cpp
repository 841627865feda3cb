#include "store/text_format.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace sh::host {

void append_double(std::string* out, double value) {
  if (std::isnan(value)) {
    out->append("nan");
    return;
  }
  if (std::isinf(value)) {
    out->append(value < 0 ? "-inf" : "inf");
    return;
  }
  char buf[64];
  // Integers below 1e5 (the decision log's 0, 1, 2000, scales and codes):
  // the integer's digits are what the shortest round-trip form below gives
  // (fixed wins over "1e+05"-style forms up to 5 digits, ties go to fixed),
  // at a fraction of its cost. -0 is left to to_chars ("-0").
  if (value > -1e5 && value < 1e5 && value == static_cast<double>(static_cast<int32_t>(value)) &&
      !(value == 0.0 && std::signbit(value))) {
    auto res = std::to_chars(buf, buf + sizeof buf, static_cast<int32_t>(value));
    out->append(buf, static_cast<size_t>(res.ptr - buf));
    return;
  }
  // Shortest representation that round-trips (no precision argument).
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  out->append(buf, static_cast<size_t>(res.ptr - buf));
}

std::string format_double(double value) {
  std::string s;
  append_double(&s, value);
  return s;
}

namespace {

// True when any of the 8 bytes at p is < 0x20, '"' or '\\' (exact: the
// classic has-zero / has-less-than byte tests).
inline bool needs_escape8(const char* p) {
  uint64_t x;
  std::memcpy(&x, p, sizeof x);
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  const uint64_t lt20 = (x - kOnes * 0x20) & ~x & kHigh;
  const uint64_t q = x ^ (kOnes * static_cast<uint8_t>('"'));
  const uint64_t bs = x ^ (kOnes * static_cast<uint8_t>('\\'));
  const uint64_t zq = (q - kOnes) & ~q & kHigh;
  const uint64_t zb = (bs - kOnes) & ~bs & kHigh;
  return (lt20 | zq | zb) != 0;
}

}  // namespace

void append_json_string(std::string* out, std::string_view text) {
  out->push_back('"');
  // Runs without anything to escape (nearly all text) are appended in bulk;
  // eight bytes at a time are checked for a control character, '"' or '\\'.
  size_t run = 0;
  const size_t n = text.size();
  for (size_t i = 0; i < n; ++i) {
    while (i + 8 <= n && !needs_escape8(text.data() + i)) i += 8;
    if (i >= n) break;
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out->append(buf);
    }
  }
  out->append(text.data() + run, n - run);
  out->push_back('"');
}

void append_json_double(std::string* out, double value) {
  if (std::isnan(value)) {
    out->append("null");
  } else if (std::isinf(value)) {
    out->append(value < 0 ? "\"-inf\"" : "\"inf\"");
  } else {
    append_double(out, value);
  }
}

void append_csv_cell(std::string* out, std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(text);
    return;
  }
  out->push_back('"');
  for (char ch : text) {
    if (ch == '"') out->push_back('"');
    out->push_back(ch);
  }
  out->push_back('"');
}

std::string dq_status_name(sh_dq_status dq) {
  switch (dq) {
    case SH_DQ_OK: return "ok";
    case SH_DQ_STALE_BOOK: return "stale_book";
    case SH_DQ_NO_TRADES: return "no_trades";
    case SH_DQ_GAP: return "gap";
    case SH_DQ_LATE: return "late";
    default: return "dq_" + std::to_string(dq);
  }
}

}  // namespace sh::host
