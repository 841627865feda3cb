// rule_instrument.cpp: a Lua 5.1/LuaJIT 2.1 lexer that finds the places
// where a budget check must go.
//
// It follows LuaJIT's own lexer (lj_lex.c) rule for rule wherever a token's
// extent is decided: newlines (\n, \r, \r\n, \n\r), every string escape
// (\\ \" \' \a..\v, \<newline>, \z + whitespace incl. newlines, \xXX, \ddd,
// \u{X...}), long brackets of any level for strings and comments, the
// numeral scan (identifier characters, dots, and a sign only after an
// exponent letter: e/E for decimals, p/P for hex, so `0xe-1` is three
// tokens), UTF-8 BOM and `#` first line. Where LuaJIT would refuse the source
// (an unfinished string, a bad escape or long-bracket delimiter) the lexer
// stops with a lexical error instead of guessing: source it cannot read is
// never run (the caller asks LuaJIT for its own message for the operator).
#include "lua/rule_instrument.h"

#include <cstddef>
#include <cstring>
#include <vector>

namespace sh::host {
namespace {

bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_xdigit(unsigned char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
// LuaJIT's LJ_CHAR_IDENT: letters, digits, '_' and every byte >= 0x80.
bool is_ident(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || is_digit(c) || c >= 0x80;
}
bool is_eol(unsigned char c) { return c == '\n' || c == '\r'; }
// lj_char_isspace: what `\z` skips.
bool is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

struct Insertion {
  size_t pos;        // byte offset in the original source
  const char* text;  // inserted before the byte at pos
};

class Lexer {
 public:
  Lexer(const std::string& s, size_t start) : s_(s), n_(s.size()), p_(start) {}

  enum Kind { kEof, kName, kOpenParen, kCloseParen, kOther, kError };
  struct Token {
    Kind kind;
    size_t begin, end;
    int line;
  };

  // Next significant token (whitespace, newlines and comments skipped;
  // strings and numbers are kOther).
  Token next() {
    while (p_ < n_) {
      const unsigned char c = at(p_);
      const int line = line_;
      const size_t b = p_;
      if (is_eol(c)) {
        newline();
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\v' || c == '\f') {
        ++p_;
        continue;
      }
      if (is_ident(c)) {
        if (is_digit(c)) return number(b);
        while (p_ < n_ && is_ident(at(p_))) ++p_;
        return {kName, b, p_, line};
      }
      switch (c) {
        case '-':
          if (p_ + 1 < n_ && at(p_ + 1) == '-') {
            p_ += 2;
            if (!comment()) return error("unfinished long comment", line);
            continue;
          }
          ++p_;
          return {kOther, b, p_, line};
        case '[': {
          long level = open_long_bracket();
          if (level >= 0) {
            if (!long_bracket_body(static_cast<size_t>(level))) {
              return error("unfinished long string", line);
            }
            return {kOther, b, p_, line};
          }
          if (level == -1) return {kOther, b, p_, line};  // p_ already past '['
          return error("invalid long string delimiter", line);
        }
        case '"':
        case '\'':
          if (!short_string(c)) return error(error_, error_line_);
          return {kOther, b, p_, line};
        case '.':
          if (p_ + 1 < n_ && is_digit(at(p_ + 1))) return number(b);
          ++p_;
          return {kOther, b, p_, line};
        case '(':
          ++p_;
          return {kOpenParen, b, p_, line};
        case ')':
          ++p_;
          return {kCloseParen, b, p_, line};
        default:
          ++p_;
          return {kOther, b, p_, line};
      }
    }
    return {kEof, n_, n_, line_};
  }

  const char* error_message() const { return error_; }
  int error_line() const { return error_line_; }

 private:
  unsigned char at(size_t i) const { return static_cast<unsigned char>(s_[i]); }

  // At \n or \r: one line break ("\r\n" and "\n\r" count once, as in LuaJIT).
  void newline() {
    const unsigned char old = at(p_);
    ++p_;
    if (p_ < n_ && is_eol(at(p_)) && at(p_) != old) ++p_;
    ++line_;
  }

  Token error(const char* msg, int line) {
    error_ = msg;
    error_line_ = line;
    return {kError, p_, p_, line};
  }

  // lex_number: starts at a digit, or at '.' followed by a digit.
  Token number(size_t b) {
    const int line = line_;
    if (at(p_) == '.') ++p_;
    unsigned char prev = at(p_);
    const unsigned char xp = (prev == '0' && p_ + 1 < n_ && (at(p_ + 1) | 0x20) == 'x') ? 'p' : 'e';
    ++p_;
    while (p_ < n_) {
      const unsigned char d = at(p_);
      if (is_ident(d) || d == '.' || ((d == '-' || d == '+') && (prev | 0x20) == xp)) {
        prev = d;
        ++p_;
      } else {
        break;
      }
    }
    return {kOther, b, p_, line};
  }

  // At '[': skips `[=*[` and returns its level; -1 for a lone '[' (p_ moved
  // past it); -2 for `[=` not followed by '[' (LuaJIT refuses it).
  long open_long_bracket() {
    size_t j = p_ + 1;
    while (j < n_ && at(j) == '=') ++j;
    if (j < n_ && at(j) == '[') {
      const long level = static_cast<long>(j - p_ - 1);
      p_ = j + 1;
      return level;
    }
    if (j == p_ + 1) {
      ++p_;
      return -1;
    }
    p_ = j;
    return -2;
  }

  // After the opening bracket: up to and including `]=*]` of `level`.
  bool long_bracket_body(size_t level) {
    while (p_ < n_) {
      const unsigned char c = at(p_);
      if (is_eol(c)) {
        newline();
      } else if (c == ']') {
        size_t j = p_ + 1;
        while (j < n_ && at(j) == '=') ++j;
        if (j < n_ && at(j) == ']' && j - p_ - 1 == level) {
          p_ = j + 1;
          return true;
        }
        p_ = j;  // as lex_skipeq: resume at the first byte that is not '='
      } else {
        ++p_;
      }
    }
    return false;
  }

  // After `--`: a long comment when `[=*[` follows, else to the end of line.
  bool comment() {
    if (p_ < n_ && at(p_) == '[') {
      const size_t save = p_;
      const long level = open_long_bracket();
      if (level >= 0) return long_bracket_body(static_cast<size_t>(level));
      p_ = save;
    }
    while (p_ < n_ && !is_eol(at(p_))) ++p_;
    return true;
  }

  bool string_error(const char* msg) {
    error_ = msg;
    error_line_ = line_;
    return false;
  }

  // lex_string: at the opening quote.
  bool short_string(unsigned char delim) {
    ++p_;
    while (true) {
      if (p_ >= n_) return string_error("unfinished string");
      const unsigned char c = at(p_);
      if (c == delim) {
        ++p_;
        return true;
      }
      if (is_eol(c)) return string_error("unfinished string");
      if (c != '\\') {
        ++p_;
        continue;
      }
      ++p_;  // the backslash
      if (p_ >= n_) return string_error("unfinished string");
      const unsigned char e = at(p_);
      if (is_eol(e)) {
        newline();
      } else if (e == 'z') {
        ++p_;
        while (p_ < n_ && is_space(at(p_))) {
          if (is_eol(at(p_))) {
            newline();
          } else {
            ++p_;
          }
        }
      } else if (e == 'x') {
        if (p_ + 2 >= n_ || !is_xdigit(at(p_ + 1)) || !is_xdigit(at(p_ + 2))) {
          return string_error("invalid escape sequence");
        }
        p_ += 3;
      } else if (e == 'u') {
        if (p_ + 1 >= n_ || at(p_ + 1) != '{') return string_error("invalid escape sequence");
        size_t j = p_ + 2;
        unsigned long v = 0;
        while (j < n_ && is_xdigit(at(j))) {
          v = (v << 4) | static_cast<unsigned long>(is_digit(at(j)) ? at(j) - '0' : (at(j) | 0x20) - 'a' + 10);
          if (v >= 0x80000000ul) return string_error("invalid escape sequence");
          ++j;
        }
        if (j == p_ + 2 || j >= n_ || at(j) != '}') return string_error("invalid escape sequence");
        p_ = j + 1;
      } else if (is_digit(e)) {
        int v = 0;
        size_t j = p_;
        while (j < n_ && j < p_ + 3 && is_digit(at(j))) v = v * 10 + (at(j++) - '0');
        if (v > 255) return string_error("invalid escape sequence");
        p_ = j;
      } else if (std::strchr("abfnrtv\\\"'", e) != nullptr) {
        ++p_;
      } else {
        return string_error("invalid escape sequence");
      }
    }
  }

  const std::string& s_;
  const size_t n_;
  size_t p_;
  int line_ = 1;
  const char* error_ = "";
  int error_line_ = 0;
};

bool word_is(const std::string& s, const Lexer::Token& t, const char* kw) {
  const size_t len = t.end - t.begin;
  return len == std::strlen(kw) && s.compare(t.begin, len, kw) == 0;
}

bool is_keyword(const std::string& s, const Lexer::Token& t) {
  static const char* const kKeywords[] = {"and",   "break", "do",     "else", "elseif", "end",
                                          "false", "for",   "function", "goto", "if",   "in",
                                          "local", "nil",   "not",    "or",   "repeat", "return",
                                          "then",  "true",  "until",  "while"};
  for (const char* k : kKeywords) {
    if (word_is(s, t, k)) return true;
  }
  return false;
}

// Whether a statement may begin right after token `i` of `toks` (i < 0: at
// the start of the chunk). LuaJIT (5.1 mode) reads `goto` as a name wherever
// a name may stand, and as a goto statement only where a statement begins
// and a name follows; after an operator, `(`, `,` or a keyword that wants an
// expression or a name, a statement cannot begin.
bool statement_may_start_after(const std::string& s, const std::vector<Lexer::Token>& toks, long i) {
  if (i < 0) return true;
  const Lexer::Token& t = toks[static_cast<size_t>(i)];
  switch (t.kind) {
    case Lexer::kOpenParen:
      return false;
    case Lexer::kCloseParen:
      return true;
    case Lexer::kName:
      for (const char* k : {"local", "return", "and", "or", "not", "in", "until", "while", "if",
                            "elseif", "function", "for", "goto"}) {
        if (word_is(s, t, k)) return false;
      }
      return true;  // an identifier, or do/then/else/end/repeat/break/nil/true/false
    case Lexer::kOther: {
      const char c = s[t.begin];
      if (c == ';' || c == ']' || c == '}' || c == '"' || c == '\'' || (c >= '0' && c <= '9')) return true;
      if (c == '[') return t.end - t.begin > 1;  // a long string, not an index
      if (c == '.') return t.end - t.begin == 3 || (t.end - t.begin > 1 && s[t.begin + 1] >= '0' &&
                                                    s[t.begin + 1] <= '9');  // `...` or `.5`
      if (c == ':') return i > 0 && toks[static_cast<size_t>(i - 1)].kind == Lexer::kOther &&
                           s[toks[static_cast<size_t>(i - 1)].begin] == ':' &&
                           toks[static_cast<size_t>(i - 1)].end == t.begin;  // the `::` closing a label
      return false;  // an operator, `,`, `=`, `{`
    }
    default:
      return false;
  }
}

}  // namespace

bool instrument_rule_source(const std::string& src, const std::string& chunk_label,
                            std::string* out, std::string* error, bool* lexical_error) {
  if (lexical_error) *lexical_error = false;
  const size_t n = src.size();
  size_t start = 0;
  // As lj_lex_setup: a UTF-8 BOM, then a `#` first line, are skipped.
  if (n >= 3 && static_cast<unsigned char>(src[0]) == 0xef &&
      static_cast<unsigned char>(src[1]) == 0xbb && static_cast<unsigned char>(src[2]) == 0xbf) {
    start = 3;
  }
  const size_t bom_end = start;
  size_t shebang_end = start;
  if (start < n && src[start] == '#') {
    while (shebang_end < n && !is_eol(static_cast<unsigned char>(src[shebang_end]))) ++shebang_end;
  }
  if ((shebang_end < n && src[shebang_end] == '\x1b') || (!src.empty() && src[0] == '\x1b')) {
    *error = chunk_label + ": precompiled bytecode is not accepted; rules must be Lua source";
    return false;
  }

  std::vector<Insertion> ins;
  Lexer lex(src, shebang_end);
  std::vector<Lexer::Token> toks;  // the whole chunk: `goto` looks one token back and ahead
  for (Lexer::Token t = lex.next(); t.kind != Lexer::kEof; t = lex.next()) {
    if (t.kind == Lexer::kError) {
      *error = chunk_label + ":" + std::to_string(t.line) + ": " + lex.error_message();
      if (lexical_error) *lexical_error = true;
      return false;
    }
    toks.push_back(t);
  }
  // After `function`: 0 = not in a header, 1 = waiting for `(`, 2 = inside the
  // parameter list (which cannot contain parentheses).
  int fn_header = 0;
  for (size_t k = 0; k < toks.size(); ++k) {
    const Lexer::Token& t = toks[k];
    if (t.kind == Lexer::kName) {
      const size_t len = t.end - t.begin;
      if (len >= 5 && src.compare(t.begin, 5, kReservedPrefix) == 0) {
        *error = chunk_label + ":" + std::to_string(t.line) + ": identifier '" +
                 src.substr(t.begin, len) + "' is reserved for the host (names starting with " +
                 kReservedPrefix + ")";
        return false;
      }
      if (word_is(src, t, "do") || word_is(src, t, "repeat")) {
        ins.push_back({t.end, " __sh_tick();"});
      } else if (word_is(src, t, "goto") && k + 1 < toks.size() && toks[k + 1].kind == Lexer::kName &&
                 !is_keyword(src, toks[k + 1]) &&
                 statement_may_start_after(src, toks, static_cast<long>(k) - 1)) {
        ins.push_back({t.begin, "__sh_tick(); "});
      } else if (word_is(src, t, "function")) {
        fn_header = 1;
      }
    } else if (t.kind == Lexer::kOpenParen && fn_header == 1) {
      fn_header = 2;
    } else if (t.kind == Lexer::kCloseParen && fn_header == 2) {
      ins.push_back({t.end, " __sh_tick();"});
      fn_header = 0;
    }
  }

  out->clear();
  out->reserve(n + 64 + ins.size() * 14);
  size_t copied = bom_end;  // the BOM is dropped: the prefix goes first
  if (shebang_end > bom_end) {
    out->append(shebang_end - bom_end, ' ');  // keep the line, drop its content
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
