// text_split.h: splits one input line into fields without copying: CSV cells
// and the members of a flat JSON object. Views point into the line buffer.
#ifndef SH_REPLAY_TEXT_SPLIT_H
#define SH_REPLAY_TEXT_SPLIT_H

#include <cstddef>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace replay {

// Calls on_cell(column_index, cell) for every comma-separated cell and returns
// the number of cells. A cell that starts with '"' runs to the matching quote
// (a doubled "" inside is kept as is); its view excludes the quotes. A line
// "a,b," has three cells, the last one empty.
template <typename OnCell>
inline size_t split_csv_quoted(std::string_view line, OnCell&& on_cell) {
  const char* p = line.data();
  const char* const end = p + line.size();
  size_t col = 0;
  for (;;) {
    const char* b;
    const char* e;
    if (p < end && *p == '"') {
      b = ++p;
      for (;;) {
        while (p < end && *p != '"') ++p;
        if (p + 1 < end && p[1] == '"') {
          p += 2;  // escaped quote
          continue;
        }
        break;
      }
      e = p;
      while (p < end && *p != ',') ++p;  // text after the closing quote is ignored
    } else {
      b = p;
      while (p < end && *p != ',') ++p;
      e = p;
    }
    on_cell(col, std::string_view(b, static_cast<size_t>(e - b)));
    ++col;
    if (p >= end) return col;
    ++p;  // the comma
  }
}

// The common case, a line without quotes: commas are found 16 bytes at a
// time (SSE2 compare + bit scan) instead of one byte at a time.
template <typename OnCell>
inline size_t split_csv(std::string_view line, OnCell&& on_cell) {
  const char* const base = line.data();
  const size_t n = line.size();
  if (std::memchr(base, '"', n) != nullptr) return split_csv_quoted(line, on_cell);
  size_t col = 0;
  size_t start = 0;
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i comma = _mm_set1_epi8(',');
  for (; i + 16 <= n; i += 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(base + i));
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(block, comma)));
    while (mask != 0) {
      const size_t pos = i + static_cast<size_t>(__builtin_ctz(mask));
      on_cell(col++, std::string_view(base + start, pos - start));
      start = pos + 1;
      mask &= mask - 1;
    }
  }
#endif
  for (; i < n; ++i) {
    if (base[i] == ',') {
      on_cell(col++, std::string_view(base + start, i - start));
      start = i + 1;
    }
  }
  on_cell(col++, std::string_view(base + start, n - start));
  return col;
}

namespace detail {
inline const char* skip_ws(const char* p, const char* end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) ++p;
  return p;
}
// p points just past an opening quote; returns the closing quote or end.
inline const char* string_end(const char* p, const char* end) {
  while (p < end && *p != '"') p += (*p == '\\' && p + 1 < end) ? 2 : 1;
  return p;
}
}  // namespace detail

// Scans a line holding exactly one flat JSON object and calls
// on_member(key, value, is_string) for each member. A string value's view
// excludes the quotes and keeps escapes raw (market-data symbols and numbers
// need none). A JSON null is passed as an empty non-string value. Returns
// false when the line is not one flat object (nested values, bad syntax,
// trailing text).
template <typename OnMember>
inline bool scan_flat_object(std::string_view line, OnMember&& on_member) {
  using detail::skip_ws;
  const char* p = line.data();
  const char* const end = p + line.size();
  p = skip_ws(p, end);
  if (p == end || *p != '{') return false;
  p = skip_ws(p + 1, end);
  if (p < end && *p == '}') return skip_ws(p + 1, end) == end;
  for (;;) {
    if (p == end || *p != '"') return false;
    const char* kb = p + 1;
    const char* ke = detail::string_end(kb, end);
    if (ke == end) return false;
    p = skip_ws(ke + 1, end);
    if (p == end || *p != ':') return false;
    p = skip_ws(p + 1, end);
    if (p == end) return false;
    std::string_view value;
    bool is_string = false;
    if (*p == '"') {
      const char* vb = p + 1;
      const char* ve = detail::string_end(vb, end);
      if (ve == end) return false;
      value = std::string_view(vb, static_cast<size_t>(ve - vb));
      is_string = true;
      p = ve + 1;
    } else if (*p == '{' || *p == '[') {
      return false;  // nested values are not part of the row formats
    } else {
      const char* vb = p;
      while (p < end && *p != ',' && *p != '}' && *p != ' ' && *p != '\t') ++p;
      value = std::string_view(vb, static_cast<size_t>(p - vb));
      if (value.empty()) return false;
      if (value == "null") value = std::string_view();
    }
    on_member(std::string_view(kb, static_cast<size_t>(ke - kb)), value, is_string);
    p = skip_ws(p, end);
    if (p == end) return false;
    if (*p == '}') return skip_ws(p + 1, end) == end;
    if (*p != ',') return false;
    p = skip_ws(p + 1, end);
  }
}

}  // namespace replay

#endif  // SH_REPLAY_TEXT_SPLIT_H
