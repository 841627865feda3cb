// rule_params.cpp: a strict little JSON reader that builds Lua values
// directly (sh_lua links only the SDK and LuaJIT).
#include "lua/rule_params.h"

#include <lua.hpp>

#include <cstdlib>
#include <string>

namespace sh::host {
namespace {

constexpr int kMaxDepth = 32;

struct Reader {
  lua_State* L;
  const std::string& s;
  size_t i = 0;

  [[noreturn]] void fail(const char* what) {
    luaL_error(L, "params: %s at byte %d", what, static_cast<int>(i));
    std::abort();  // not reached: luaL_error does not return
  }
  void skip_ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  }
  bool literal(const char* w) {
    size_t n = std::char_traits<char>::length(w);
    if (s.compare(i, n, w) == 0) {
      i += n;
      return true;
    }
    return false;
  }
  void append_utf8(std::string* out, unsigned cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  // Pushes the string's content. (On x64 LuaJIT raises errors by unwinding
  // like a C++ exception, so `out` is destroyed properly on failure.)
  void string_value() {
    ++i;  // opening quote
    std::string out;
    bool ok = true;
    const char* err = nullptr;
    while (true) {
      if (i >= s.size()) { err = "unterminated string"; ok = false; break; }
      char c = s[i++];
      if (c == '"') break;
      if (static_cast<unsigned char>(c) < 0x20) { err = "control character in string"; ok = false; break; }
      if (c != '\\') { out.push_back(c); continue; }
      if (i >= s.size()) { err = "unterminated string"; ok = false; break; }
      char e = s[i++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          if (i + 4 > s.size()) { err = "truncated \\u escape"; ok = false; break; }
          unsigned cp = 0;
          bool good = true;
          for (int k = 0; k < 4; ++k) {
            char h = s[i + static_cast<size_t>(k)];
            cp <<= 4;
            if (h >= '0' && h <= '9') cp |= static_cast<unsigned>(h - '0');
            else if (h >= 'a' && h <= 'f') cp |= static_cast<unsigned>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F') cp |= static_cast<unsigned>(h - 'A' + 10);
            else good = false;
          }
          if (!good) { err = "bad \\u escape"; ok = false; break; }
          i += 4;
          append_utf8(&out, cp);
          break;
        }
        default: err = "bad escape in string"; ok = false; break;
      }
      if (!ok) break;
    }
    if (!ok) fail(err);
    lua_pushlstring(L, out.data(), out.size());
  }
  void number_value() {
    const char* begin = s.c_str() + i;
    char* end = nullptr;
    double v = std::strtod(begin, &end);
    if (end == begin) fail("bad value");
    i += static_cast<size_t>(end - begin);
    lua_pushnumber(L, v);
  }
  // Pushes one value; returns false for null (nothing pushed).
  bool value(int depth) {
    skip_ws();
    if (i >= s.size()) fail("unexpected end");
    const char c = s[i];
    if (c == '{') {
      if (depth >= kMaxDepth) fail("nesting too deep");
      object(depth + 1);
      return true;
    }
    if (c == '[') {
      if (depth >= kMaxDepth) fail("nesting too deep");
      array(depth + 1);
      return true;
    }
    if (c == '"') {
      string_value();
      return true;
    }
    if (literal("true")) { lua_pushboolean(L, 1); return true; }
    if (literal("false")) { lua_pushboolean(L, 0); return true; }
    if (literal("null")) return false;
    if (c == '-' || (c >= '0' && c <= '9')) {
      number_value();
      return true;
    }
    fail("bad value");
  }
  void object(int depth) {
    ++i;  // {
    lua_newtable(L);
    skip_ws();
    if (i < s.size() && s[i] == '}') { ++i; return; }
    while (true) {
      skip_ws();
      if (i >= s.size() || s[i] != '"') fail("expected a string key");
      string_value();  // key
      skip_ws();
      if (i >= s.size() || s[i] != ':') fail("expected ':'");
      ++i;
      if (value(depth)) lua_rawset(L, -3);
      else lua_pop(L, 1);  // null: drop the key
      skip_ws();
      if (i < s.size() && s[i] == ',') { ++i; continue; }
      if (i < s.size() && s[i] == '}') { ++i; return; }
      fail("expected ',' or '}'");
    }
  }
  void array(int depth) {
    ++i;  // [
    lua_newtable(L);
    skip_ws();
    if (i < s.size() && s[i] == ']') { ++i; return; }
    int n = 0;
    while (true) {
      ++n;
      if (value(depth)) lua_rawseti(L, -2, n);
      skip_ws();
      if (i < s.size() && s[i] == ',') { ++i; continue; }
      if (i < s.size() && s[i] == ']') { ++i; return; }
      fail("expected ',' or ']'");
    }
  }
};

}  // namespace

int push_params_from_json(lua_State* L) {
  const auto* json = static_cast<const std::string*>(lua_touserdata(L, 1));
  Reader r{L, *json};
  r.skip_ws();
  if (r.i >= json->size()) {
    lua_newtable(L);
    return 1;
  }
  if ((*json)[r.i] != '{') r.fail("the parameters must be a JSON object");
  r.value(0);
  r.skip_ws();
  if (r.i != json->size()) r.fail("trailing characters");
  return 1;
}

}  // namespace sh::host
