#include "store/text_format.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace sh::host {

namespace {

// The round-trip text of a finite double into buf (64 bytes); its length.
size_t finite_double_chars(char* buf, double value) {
  // Integers below 1e5 (the decision log's 0, 1, 2000, scales and codes):
  // the integer's digits are what the shortest round-trip form below gives
  // (fixed wins over "1e+05"-style forms up to 5 digits, ties go to fixed),
  // at a fraction of its cost. -0 is left to to_chars ("-0").
  if (value > -1e5 && value < 1e5 && value == static_cast<double>(static_cast<int32_t>(value)) &&
      !(value == 0.0 && std::signbit(value))) {
    auto res = std::to_chars(buf, buf + 64, static_cast<int32_t>(value));
    return static_cast<size_t>(res.ptr - buf);
  }
  // Shortest representation that round-trips (no precision argument).
  auto res = std::to_chars(buf, buf + 64, value);
  return static_cast<size_t>(res.ptr - buf);
}

// Output adapters, so that one escaping routine serves std::string and
// TextWriter.
struct StringOut {
  std::string* s;
  void put(const char* p, size_t k) { s->append(p, k); }
  void put(char c) { s->push_back(c); }
};

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

template <typename Out>
void json_string_to(Out& out, std::string_view text) {
  out.put('"');
  // Runs without anything to escape (nearly all text) are copied in bulk;
  // eight bytes at a time are checked for a control character, '"' or '\\'.
  size_t run = 0;
  const size_t n = text.size();
  for (size_t i = 0; i < n; ++i) {
    while (i + 8 <= n && !needs_escape8(text.data() + i)) i += 8;
    if (i >= n) break;
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.put(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out.put("\\\"", 2); break;
      case '\\': out.put("\\\\", 2); break;
      case '\b': out.put("\\b", 2); break;
      case '\f': out.put("\\f", 2); break;
      case '\n': out.put("\\n", 2); break;
      case '\r': out.put("\\r", 2); break;
      case '\t': out.put("\\t", 2); break;
      default: {
        char buf[8];
        const int k = std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out.put(buf, static_cast<size_t>(k));
      }
    }
  }
  out.put(text.data() + run, n - run);
  out.put('"');
}

}  // namespace

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
  out->append(buf, finite_double_chars(buf, value));
}

std::string format_double(double value) {
  std::string s;
  append_double(&s, value);
  return s;
}

void append_json_string(std::string* out, std::string_view text) {
  StringOut o{out};
  json_string_to(o, text);
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

const char* dq_known_name(sh_dq_status dq) {
  switch (dq) {
    case SH_DQ_OK: return "ok";
    case SH_DQ_STALE_BOOK: return "stale_book";
    case SH_DQ_NO_TRADES: return "no_trades";
    case SH_DQ_GAP: return "gap";
    case SH_DQ_LATE: return "late";
    case SH_DQ_CLOCK_SKEW: return "clock_skew";
    default: return nullptr;
  }
}

std::string dq_status_name(sh_dq_status dq) {
  const char* name = dq_known_name(dq);
  return name != nullptr ? std::string(name) : "dq_" + std::to_string(dq);
}

void TextWriter::grow(size_t k) {
  size_t want = s_->size() * 2;
  if (want < n_ + k) want = n_ + k;
  s_->resize(want);
}

void TextWriter::integer(int64_t v) {
  char* p = room(24);
  n_ += static_cast<size_t>(std::to_chars(p, p + 24, v).ptr - p);
}

void TextWriter::number(double v) {
  if (std::isnan(v)) {
    lit("nan");
  } else if (std::isinf(v)) {
    if (v < 0) lit("-inf"); else lit("inf");
  } else {
    n_ += finite_double_chars(room(64), v);
  }
}

void TextWriter::json_double(double v) {
  if (std::isnan(v)) {
    lit("null");
  } else if (std::isinf(v)) {
    if (v < 0) lit("\"-inf\""); else lit("\"inf\"");
  } else {
    n_ += finite_double_chars(room(64), v);
  }
}

void TextWriter::json_string(std::string_view text) { json_string_to(*this, text); }

}  // namespace sh::host
