// json_text.hpp: writing small JSON documents straight into a string, for
// state a plugin saves every minute (save_state). Building an sh::Json tree
// and dumping it allocates a node per value; at hundreds of symbols a
// minute that was a few percent of a replay's CPU. The output is plain
// JSON that sh::Json::parse reads back exactly (numbers in the shortest
// form that round-trips; strings escaped as RFC 8259 requires).
#ifndef STRATEGY_HOST_JSON_TEXT_HPP
#define STRATEGY_HOST_JSON_TEXT_HPP

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace sh::json_text {

// A JSON string: quoted, with '"', '\\' and control characters escaped.
inline void put_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  out += '"';
}

template <typename Int>
void put_int(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// The shortest text that reads back as the same double; null when not
// finite (JSON has no NaN or infinity).
inline void put_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace sh::json_text

#endif  // STRATEGY_HOST_JSON_TEXT_HPP
