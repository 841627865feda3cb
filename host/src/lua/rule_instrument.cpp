// rule_instrument.cpp: a small Lua 5.1/LuaJIT lexer that finds the places
// where a budget check must go. It only needs to tell code from strings and
// comments and to recognise a handful of keywords; everything else is copied.
#include "lua/rule_instrument.h"

#include <cstddef>
#include <cstring>
#include <vector>

namespace sh::host {
namespace {

bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;  // LuaJIT accepts UTF-8 bytes in names
}
bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Length of the long bracket opening at s[i] (`[`, `=`*, `[`), or 0 when
// s[i] does not open one. *level receives the number of `=`.
size_t long_bracket_open(const std::string& s, size_t i, size_t* level) {
  if (i >= s.size() || s[i] != '[') return 0;
  size_t j = i + 1;
  while (j < s.size() && s[j] == '=') ++j;
  if (j < s.size() && s[j] == '[') {
    *level = j - i - 1;
    return j - i + 1;
  }
  return 0;
}

// Index just past the `]=*]` closing a long bracket of `level` that starts
// searching at i, or npos when unterminated.
size_t long_bracket_close(const std::string& s, size_t i, size_t level) {
  for (size_t j = i; j < s.size(); ++j) {
    if (s[j] != ']') continue;
    size_t k = j + 1;
    while (k < s.size() && s[k] == '=') ++k;
    if (k < s.size() && s[k] == ']' && k - j - 1 == level) return k + 1;
  }
  return std::string::npos;
}

struct Insertion {
  size_t pos;        // byte offset in the original source
  const char* text;  // inserted before the byte at pos
};

}  // namespace

bool instrument_rule_source(const std::string& src, const std::string& chunk_label,
                            std::string* out, std::string* error) {
  if (!src.empty() && src[0] == '\x1b') {
    *error = chunk_label + ": precompiled bytecode is not accepted; rules must be Lua source";
    return false;
  }
  std::vector<Insertion> ins;
  const size_t n = src.size();
  size_t i = 0;
  int line = 1;
  // A leading `#!` line is skipped by Lua's loader only at byte 0; the prefix
  // we add must not move it, so that line is blanked instead (it is a comment).
  size_t shebang_end = 0;
  if (n > 0 && src[0] == '#') {
    while (shebang_end < n && src[shebang_end] != '\n') ++shebang_end;
    i = shebang_end;
  }
  // After `function`: 0 = not in a header, 1 = waiting for `(`, 2 = inside the
  // parameter list (which cannot contain parentheses).
  int fn_header = 0;
  while (i < n) {
    const char c = src[i];
    if (c == '\n') {
      ++line;
      ++i;
      continue;
    }
    if (c == '-' && i + 1 < n && src[i + 1] == '-') {  // comment
      size_t level = 0;
      if (size_t open = long_bracket_open(src, i + 2, &level)) {
        size_t end = long_bracket_close(src, i + 2 + open, level);
        if (end == std::string::npos) end = n;  // the compiler reports it
        for (size_t k = i; k < end; ++k) line += src[k] == '\n';
        i = end;
      } else {
        while (i < n && src[i] != '\n') ++i;
      }
      continue;
    }
    if (c == '[') {  // long string, or an index bracket
      size_t level = 0;
      if (size_t open = long_bracket_open(src, i, &level)) {
        size_t end = long_bracket_close(src, i + open, level);
        if (end == std::string::npos) end = n;
        for (size_t k = i; k < end; ++k) line += src[k] == '\n';
        i = end;
        continue;
      }
      ++i;
      continue;
    }
    if (c == '"' || c == '\'') {
      size_t j = i + 1;
      while (j < n && src[j] != c && src[j] != '\n') {
        if (src[j] == '\\' && j + 1 < n) {
          if (src[j + 1] == '\n') ++line;
          ++j;
        }
        ++j;
      }
      i = (j < n && src[j] == c) ? j + 1 : j;  // unfinished: compiler reports it
      continue;
    }
    if (is_digit(c) || (c == '.' && i + 1 < n && is_digit(src[i + 1]))) {
      // Numerals: like LuaJIT, swallow every identifier char, dot and signed
      // exponent, so `1e5` or `0xdeadbeef` is never mistaken for a name.
      size_t j = i + 1;
      while (j < n) {
        char d = src[j];
        if (is_ident_char(d) || d == '.') {
          ++j;
        } else if ((d == '+' || d == '-') &&
                   (src[j - 1] == 'e' || src[j - 1] == 'E' || src[j - 1] == 'p' ||
                    src[j - 1] == 'P')) {
          ++j;
        } else {
          break;
        }
      }
      i = j;
      continue;
    }
    if (is_ident_start(c)) {
      size_t j = i + 1;
      while (j < n && is_ident_char(src[j])) ++j;
      const size_t len = j - i;
      const char* w = src.data() + i;
      if (len >= 5 && std::strncmp(w, kReservedPrefix, 5) == 0) {
        *error = chunk_label + ":" + std::to_string(line) + ": identifier '" +
                 src.substr(i, len) + "' is reserved for the host (names starting with " +
                 kReservedPrefix + ")";
        return false;
      }
      auto is = [&](const char* kw) { return len == std::strlen(kw) && std::strncmp(w, kw, len) == 0; };
      if (is("do") || is("repeat")) {
        ins.push_back({j, " __sh_tick();"});
      } else if (is("goto")) {
        ins.push_back({i, "__sh_tick(); "});
      } else if (is("function")) {
        fn_header = 1;
      }
      i = j;
      continue;
    }
    if (c == '(' && fn_header == 1) {
      fn_header = 2;
    } else if (c == ')' && fn_header == 2) {
      ins.push_back({i + 1, " __sh_tick();"});
      fn_header = 0;
    }
    ++i;
  }

  out->clear();
  out->reserve(n + 64 + ins.size() * 14);
  size_t copied = 0;
  if (shebang_end > 0) {
    out->append(shebang_end, ' ');  // keep the line, drop its content
    copied = shebang_end;
  }
  // The prefix goes on line 1 (after a blanked shebang it is still line 1).
  out->append("local __sh_tick = ...; ");
  for (const Insertion& x : ins) {
    out->append(src, copied, x.pos - copied);
    out->append(x.text);
    copied = x.pos;
  }
  out->append(src, copied, std::string::npos);
  return true;
}

}  // namespace sh::host
