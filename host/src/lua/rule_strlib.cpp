// rule_strlib.cpp: the bounded pattern matcher and string.rep (see
// rule_strlib.h).
//
// The matcher below is ported from Lua 5.1.5's lstrlib.c:
//   Copyright (C) 1994-2012 Lua.org, PUC-Rio.
//   Permission is hereby granted, free of charge, to any person obtaining a
//   copy of this software and associated documentation files (the
//   "Software"), to deal in the Software without restriction, including
//   without limitation the rights to use, copy, modify, merge, publish,
//   distribute, sublicense, and/or sell copies of the Software, and to
//   permit persons to whom the Software is furnished to do so, subject to
//   the following conditions: The above copyright notice and this
//   permission notice shall be included in all copies or substantial
//   portions of the Software. THE SOFTWARE IS PROVIDED "AS IS", WITHOUT
//   WARRANTY OF ANY KIND.
// Changes: step accounting (step()), a recursion limit, and errors raised
// through the rule VM so that they name the rule's file and line. Nothing
// here may hold a C++ object with a destructor across a call that can raise
// a Lua error.
#include "lua/rule_strlib.h"

#include "lua/rule_vm.h"

#include <lua.hpp>

#include <cctype>
#include <cstddef>
#include <cstring>

namespace sh::host {
namespace {

constexpr char kEsc = '%';
constexpr const char* kSpecials = "^$*+?.([%-";
constexpr int kMaxCaptures = 32;
constexpr ptrdiff_t kCapUnfinished = -1;
constexpr ptrdiff_t kCapPosition = -2;

struct MatchState {
  const char* src_init;  // start of the subject
  const char* src_end;   // end ('\0') of the subject
  lua_State* L;
  const char* what;      // "string.find", for messages
  long steps_left;       // until the next charge + clock check
  long steps_used;       // charged so far is steps_used - (kStepsPerCheck - steps_left)
  int depth;             // matcher recursion
  int level;             // total number of captures (finished or unfinished)
  struct {
    const char* init;
    ptrdiff_t len;
  } capture[kMaxCaptures];
};

void init_state(MatchState* ms, lua_State* L, const char* what, const char* s, size_t len) {
  ms->L = L;
  ms->what = what;
  ms->src_init = s;
  ms->src_end = s + len;
  ms->steps_left = kStepsPerCheck;
  ms->steps_used = 0;
  ms->depth = 0;
  ms->level = 0;
}

int raise(MatchState* ms, const char* fmt, const char* arg = nullptr) {
  char buf[200];
  std::snprintf(buf, sizeof buf, fmt, arg ? arg : "");
  char msg[260];
  std::snprintf(msg, sizeof msg, "%s: %s", ms->what, buf);
  return rule_vm_error(ms->L, msg);
}

void charge(MatchState* ms) {
  ms->steps_used += kStepsPerCheck;
  ms->steps_left = kStepsPerCheck;
  char what[96];
  std::snprintf(what, sizeof what, "%s (pattern matching, %ld match steps per tick)", ms->what,
                kStepsPerTick);
  rule_vm_charge(ms->L, static_cast<double>(kStepsPerCheck) / kStepsPerTick, what);
}

inline void step(MatchState* ms, long n = 1) {
  ms->steps_left -= n;
  if (ms->steps_left <= 0) charge(ms);
}

// What the call used since the last charge, without checks (the next tick
// or charge does them): keeps many small calls honest.
void settle(MatchState* ms) {
  const long used = kStepsPerCheck - ms->steps_left;
  if (used > 0) rule_vm_charge_quiet(ms->L, static_cast<double>(used) / kStepsPerTick);
  ms->steps_left = kStepsPerCheck;
}

int check_capture(MatchState* ms, int l) {
  l -= '1';
  if (l < 0 || l >= ms->level || ms->capture[l].len == kCapUnfinished) {
    return raise(ms, "invalid capture index");
  }
  return l;
}

int capture_to_close(MatchState* ms) {
  int level = ms->level;
  for (level--; level >= 0; level--) {
    if (ms->capture[level].len == kCapUnfinished) return level;
  }
  return raise(ms, "invalid pattern capture");
}

const char* class_end(MatchState* ms, const char* p) {
  switch (*p++) {
    case kEsc:
      if (*p == '\0') raise(ms, "malformed pattern (ends with '%%')");
      return p + 1;
    case '[':
      if (*p == '^') p++;
      do {  // look for a ']'
        if (*p == '\0') raise(ms, "malformed pattern (missing ']')");
        if (*(p++) == kEsc && *p != '\0') p++;  // skip escapes (e.g. '%]')
      } while (*p != ']');
      return p + 1;
    default:
      return p;
  }
}

int match_class(int c, int cl) {
  int res;
  switch (std::tolower(cl)) {
    case 'a': res = std::isalpha(c); break;
    case 'c': res = std::iscntrl(c); break;
    case 'd': res = std::isdigit(c); break;
    case 'l': res = std::islower(c); break;
    case 'p': res = std::ispunct(c); break;
    case 's': res = std::isspace(c); break;
    case 'u': res = std::isupper(c); break;
    case 'w': res = std::isalnum(c); break;
    case 'x': res = std::isxdigit(c); break;
    case 'z': res = (c == 0); break;
    default: return (cl == c);
  }
  if (std::islower(cl)) return res;
  return !res;
}

inline int uchar(char c) { return static_cast<unsigned char>(c); }

int match_bracket_class(int c, const char* p, const char* ec) {
  int sig = 1;
  if (*(p + 1) == '^') {
    sig = 0;
    p++;  // skip the '^'
  }
  while (++p < ec) {
    if (*p == kEsc) {
      p++;
      if (match_class(c, uchar(*p))) return sig;
    } else if ((*(p + 1) == '-') && (p + 2 < ec)) {
      p += 2;
      if (uchar(*(p - 2)) <= c && c <= uchar(*p)) return sig;
    } else if (uchar(*p) == c) {
      return sig;
    }
  }
  return !sig;
}

int single_match(int c, const char* p, const char* ep) {
  switch (*p) {
    case '.': return 1;
    case kEsc: return match_class(c, uchar(*(p + 1)));
    case '[': return match_bracket_class(c, p, ep - 1);
    default: return (uchar(*p) == c);
  }
}

const char* do_match(MatchState* ms, const char* s, const char* p);

const char* match_balance(MatchState* ms, const char* s, const char* p) {
  if (*p == 0 || *(p + 1) == 0) raise(ms, "unbalanced pattern");
  if (*s != *p) return nullptr;
  int b = *p;
  int e = *(p + 1);
  int cont = 1;
  while (++s < ms->src_end) {
    step(ms);
    if (*s == e) {
      if (--cont == 0) return s + 1;
    } else if (*s == b) {
      cont++;
    }
  }
  return nullptr;
}

const char* max_expand(MatchState* ms, const char* s, const char* p, const char* ep) {
  ptrdiff_t i = 0;  // counts maximum expand for item
  while ((s + i) < ms->src_end && single_match(uchar(*(s + i)), p, ep)) {
    step(ms);
    i++;
  }
  // keeps trying to match with the maximum repetitions
  while (i >= 0) {
    const char* res = do_match(ms, (s + i), ep + 1);
    if (res) return res;
    i--;  // else didn't match; reduce 1 repetition to try again
  }
  return nullptr;
}

const char* min_expand(MatchState* ms, const char* s, const char* p, const char* ep) {
  for (;;) {
    const char* res = do_match(ms, s, ep + 1);
    if (res != nullptr) return res;
    if (s < ms->src_end && single_match(uchar(*s), p, ep)) {
      s++;  // try with one more repetition
    } else {
      return nullptr;
    }
  }
}

const char* start_capture(MatchState* ms, const char* s, const char* p, ptrdiff_t what) {
  const char* res;
  int level = ms->level;
  if (level >= kMaxCaptures) raise(ms, "too many captures");
  ms->capture[level].init = s;
  ms->capture[level].len = what;
  ms->level = level + 1;
  if ((res = do_match(ms, s, p)) == nullptr) ms->level--;  // match failed: undo capture
  return res;
}

const char* end_capture(MatchState* ms, const char* s, const char* p) {
  int l = capture_to_close(ms);
  const char* res;
  ms->capture[l].len = s - ms->capture[l].init;  // close capture
  if ((res = do_match(ms, s, p)) == nullptr) ms->capture[l].len = kCapUnfinished;  // undo
  return res;
}

const char* match_capture(MatchState* ms, const char* s, int l) {
  l = check_capture(ms, l);
  const size_t len = static_cast<size_t>(ms->capture[l].len);
  step(ms, 1 + static_cast<long>(len / 64));
  if (static_cast<size_t>(ms->src_end - s) >= len &&
      std::memcmp(ms->capture[l].init, s, len) == 0) {
    return s + len;
  }
  return nullptr;
}

const char* match_body(MatchState* ms, const char* s, const char* p) {
init:  // using goto's to optimize tail recursion
  step(ms);
  switch (*p) {
    case '(':  // start capture
      if (*(p + 1) == ')') return start_capture(ms, s, p + 2, kCapPosition);
      return start_capture(ms, s, p + 1, kCapUnfinished);
    case ')':  // end capture
      return end_capture(ms, s, p + 1);
    case kEsc:
      switch (*(p + 1)) {
        case 'b':  // balanced string?
          s = match_balance(ms, s, p + 2);
          if (s == nullptr) return nullptr;
          p += 4;
          goto init;  // else return match(ms, s, p+4);
        case 'f': {  // frontier?
          const char* ep;
          char previous;
          p += 2;
          if (*p != '[') raise(ms, "missing '[' after '%%f' in pattern");
          ep = class_end(ms, p);  // points to what is next
          previous = (s == ms->src_init) ? '\0' : *(s - 1);
          if (match_bracket_class(uchar(previous), p, ep - 1) ||
              !match_bracket_class(uchar(*s), p, ep - 1)) {
            return nullptr;
          }
          p = ep;
          goto init;  // else return match(ms, s, ep);
        }
        default:
          if (std::isdigit(uchar(*(p + 1)))) {  // capture results (%0-%9)?
            s = match_capture(ms, s, uchar(*(p + 1)));
            if (s == nullptr) return nullptr;
            p += 2;
            goto init;  // else return match(ms, s, p+2)
          }
          goto dflt;  // case default
      }
    case '\0':  // end of pattern
      return s;  // match succeeded
    case '$':
      if (*(p + 1) == '\0') return (s == ms->src_end) ? s : nullptr;  // check end of string
      goto dflt;
    default:
    dflt: {  // it is a pattern single item
      const char* ep = class_end(ms, p);  // points to what is next
      int m = s < ms->src_end && single_match(uchar(*s), p, ep);
      switch (*ep) {
        case '?': {  // optional
          const char* res;
          if (m && ((res = do_match(ms, s + 1, ep + 1)) != nullptr)) return res;
          p = ep + 1;
          goto init;  // else return match(ms, s, ep+1);
        }
        case '*':  // 0 or more repetitions
          return max_expand(ms, s, p, ep);
        case '+':  // 1 or more repetitions
          return (m ? max_expand(ms, s + 1, p, ep) : nullptr);
        case '-':  // 0 or more repetitions (minimum)
          return min_expand(ms, s, p, ep);
        default:
          if (!m) return nullptr;
          s++;
          p = ep;
          goto init;  // else return match(ms, s+1, ep);
      }
    }
  }
}

const char* do_match(MatchState* ms, const char* s, const char* p) {
  if (++ms->depth > kMaxMatchDepth) raise(ms, "pattern too complex");
  const char* r = match_body(ms, s, p);
  ms->depth--;
  return r;
}

const char* lmemfind(MatchState* ms, const char* s1, size_t l1, const char* s2, size_t l2) {
  if (l2 == 0) return s1;  // empty strings are everywhere
  if (l2 > l1) return nullptr;  // avoids a negative `l1'
  const char* init;  // to search for a `*s2' inside `s1'
  l2--;  // 1st char will be checked by `memchr'
  l1 = l1 - l2;  // `s2' cannot be found after that
  const long cost = 1 + static_cast<long>(l2 / 64);
  while (l1 > 0 && (init = static_cast<const char*>(std::memchr(s1, *s2, l1))) != nullptr) {
    step(ms, cost);
    init++;  // 1st char is already checked
    if (std::memcmp(init, s2 + 1, l2) == 0) return init - 1;
    l1 -= init - s1;  // correct `l1' and `s1' to try again
    s1 = init;
  }
  return nullptr;  // not found
}

void push_onecapture(MatchState* ms, int i, const char* s, const char* e) {
  if (i >= ms->level) {
    if (i == 0) {
      lua_pushlstring(ms->L, s, e - s);  // add whole match
    } else {
      raise(ms, "invalid capture index");
    }
  } else {
    ptrdiff_t l = ms->capture[i].len;
    if (l == kCapUnfinished) raise(ms, "unfinished capture");
    if (l == kCapPosition) {
      lua_pushinteger(ms->L, ms->capture[i].init - ms->src_init + 1);
    } else {
      lua_pushlstring(ms->L, ms->capture[i].init, l);
    }
  }
}

int push_captures(MatchState* ms, const char* s, const char* e) {
  int nlevels = (ms->level == 0 && s) ? 1 : ms->level;
  luaL_checkstack(ms->L, nlevels, "too many captures");
  for (int i = 0; i < nlevels; i++) push_onecapture(ms, i, s, e);
  return nlevels;  // number of strings pushed
}

ptrdiff_t posrelat(ptrdiff_t pos, size_t len) {
  // relative string position: negative means back from end
  if (pos < 0) pos += static_cast<ptrdiff_t>(len) + 1;
  return (pos >= 0) ? pos : 0;
}

int str_find_aux(lua_State* L, int find) {
  size_t l1, l2;
  const char* s = luaL_checklstring(L, 1, &l1);
  const char* p = luaL_checklstring(L, 2, &l2);
  ptrdiff_t init = posrelat(luaL_optinteger(L, 3, 1), l1) - 1;
  if (init < 0) {
    init = 0;
  } else if (static_cast<size_t>(init) > l1) {
    init = static_cast<ptrdiff_t>(l1);
  }
  MatchState ms;
  init_state(&ms, L, find ? "string.find" : "string.match", s, l1);
  if (find && (lua_toboolean(L, 4) ||  // explicit request?
               std::strpbrk(p, kSpecials) == nullptr)) {  // or no special characters?
    // do a plain search
    const char* s2 = lmemfind(&ms, s + init, l1 - init, p, l2);
    settle(&ms);
    if (s2) {
      lua_pushinteger(L, s2 - s + 1);
      lua_pushinteger(L, s2 - s + l2);
      return 2;
    }
  } else {
    int anchor = (*p == '^') ? (p++, 1) : 0;
    const char* s1 = s + init;
    do {
      const char* res;
      ms.level = 0;
      ms.depth = 0;
      if ((res = do_match(&ms, s1, p)) != nullptr) {
        settle(&ms);
        if (find) {
          lua_pushinteger(L, s1 - s + 1);  // start
          lua_pushinteger(L, res - s);     // end
          return push_captures(&ms, nullptr, nullptr) + 2;
        }
        return push_captures(&ms, s1, res);
      }
    } while (s1++ < ms.src_end && !anchor);
    settle(&ms);
  }
  lua_pushnil(L);  // not found
  return 1;
}

int str_find(lua_State* L) { return str_find_aux(L, 1); }
int str_match(lua_State* L) { return str_find_aux(L, 0); }

int gmatch_aux(lua_State* L) {
  MatchState ms;
  size_t ls;
  const char* s = lua_tolstring(L, lua_upvalueindex(1), &ls);
  const char* p = lua_tostring(L, lua_upvalueindex(2));
  init_state(&ms, L, "string.gmatch", s, ls);
  for (const char* src = s + static_cast<size_t>(lua_tointeger(L, lua_upvalueindex(3)));
       src <= ms.src_end; src++) {
    const char* e;
    ms.level = 0;
    ms.depth = 0;
    if ((e = do_match(&ms, src, p)) != nullptr) {
      settle(&ms);
      lua_Integer newstart = e - s;
      if (e == src) newstart++;  // empty match? go at least one position
      lua_pushinteger(L, newstart);
      lua_replace(L, lua_upvalueindex(3));
      return push_captures(&ms, src, e);
    }
  }
  settle(&ms);
  return 0;  // not found
}

int str_gmatch(lua_State* L) {
  luaL_checkstring(L, 1);
  luaL_checkstring(L, 2);
  lua_settop(L, 2);
  lua_pushinteger(L, 0);
  lua_pushcclosure(L, gmatch_aux, 3);
  return 1;
}

void add_s(MatchState* ms, luaL_Buffer* b, const char* s, const char* e) {
  size_t l;
  const char* news = lua_tolstring(ms->L, 3, &l);
  for (size_t i = 0; i < l; i++) {
    if (news[i] != kEsc) {
      luaL_addchar(b, news[i]);
    } else {
      i++;  // skip ESC
      if (!std::isdigit(uchar(news[i]))) {
        luaL_addchar(b, news[i]);
      } else if (news[i] == '0') {
        luaL_addlstring(b, s, e - s);
      } else {
        push_onecapture(ms, news[i] - '1', s, e);
        luaL_addvalue(b);  // add capture to accumulated result
      }
    }
  }
}

void add_value(MatchState* ms, luaL_Buffer* b, const char* s, const char* e) {
  lua_State* L = ms->L;
  switch (lua_type(L, 3)) {
    case LUA_TNUMBER:
    case LUA_TSTRING:
      add_s(ms, b, s, e);
      return;
    case LUA_TFUNCTION: {
      lua_pushvalue(L, 3);
      int n = push_captures(ms, s, e);
      settle(ms);  // the callback ticks on its own
      lua_call(L, n, 1);
      break;
    }
    case LUA_TTABLE:
      push_onecapture(ms, 0, s, e);
      lua_gettable(L, 3);
      break;
  }
  if (!lua_toboolean(L, -1)) {  // nil or false?
    lua_pop(L, 1);
    lua_pushlstring(L, s, e - s);  // keep original text
  } else if (!lua_isstring(L, -1)) {
    raise(ms, "invalid replacement value (a %s)", luaL_typename(L, -1));
  }
  luaL_addvalue(b);  // add result to accumulator
}

int str_gsub(lua_State* L) {
  size_t srcl;
  const char* src = luaL_checklstring(L, 1, &srcl);
  const char* p = luaL_checkstring(L, 2);
  int tr = lua_type(L, 3);
  int max_s = luaL_optint(L, 4, static_cast<int>(srcl + 1));
  int anchor = (*p == '^') ? (p++, 1) : 0;
  int n = 0;
  luaL_argcheck(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE,
                3, "string/function/table expected");
  MatchState ms;
  init_state(&ms, L, "string.gsub", src, srcl);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  while (n < max_s) {
    const char* e;
    ms.level = 0;
    ms.depth = 0;
    e = do_match(&ms, src, p);
    if (e) {
      n++;
      add_value(&ms, &b, src, e);
    }
    if (e && e > src) {  // non empty match?
      src = e;  // skip it
    } else if (src < ms.src_end) {
      luaL_addchar(&b, *src++);
    } else {
      break;
    }
    if (anchor) break;
  }
  settle(&ms);
  luaL_addlstring(&b, src, ms.src_end - src);
  luaL_pushresult(&b);
  lua_pushinteger(L, n);
  return 2;  // number of strings pushed
}

// string.rep(s, n [, sep]): the result's size is checked against the rule's
// memory limit before anything is built; then LuaJIT's own rep (upvalue 1).
int str_rep(lua_State* L) {
  size_t l = 0, lsep = 0;
  luaL_checklstring(L, 1, &l);
  const lua_Number n = luaL_checknumber(L, 2);
  luaL_optlstring(L, 3, "", &lsep);
  if (!(n >= 1) || (l == 0 && lsep == 0)) {  // also NaN; an empty result needs no loop
    lua_pushliteral(L, "");
    return 1;
  }
  const double total = static_cast<double>(l) * n + static_cast<double>(lsep) * (n - 1);
  const double limit = rule_vm_memory_limit(L);
  if (total > limit) {
    char detail[160];
    std::snprintf(detail, sizeof detail, "string.rep would build a string of %.0f bytes", total);
    return rule_vm_memory_error(L, detail);
  }
  rule_vm_charge(L, total / (64.0 * kStepsPerTick), "string.rep");
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

}  // namespace

void rule_strlib_install(lua_State* L) {
  lua_getglobal(L, "string");
  lua_pushcfunction(L, str_find);
  lua_setfield(L, -2, "find");
  lua_pushcfunction(L, str_match);
  lua_setfield(L, -2, "match");
  lua_pushcfunction(L, str_gmatch);
  lua_setfield(L, -2, "gmatch");
  lua_pushcfunction(L, str_gsub);
  lua_setfield(L, -2, "gsub");
  lua_getfield(L, -1, "rep");
  lua_pushcclosure(L, str_rep, 1);
  lua_setfield(L, -2, "rep");
  lua_pop(L, 1);
}

}  // namespace sh::host
