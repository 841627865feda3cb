// The decision path's fast helpers give the same answers as the plain forms
// they replace: KeySet vs std::unordered_set (across several table growths),
// sh::PositionIndex vs position_notional_usd (sorted, unsorted, repeated
// symbols, null notionals), and the text fast paths (small integers, the
// ISO-8601 minute, JSON escaping, TextWriter) vs the reference renderings.
#include <catch2/catch.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include <strategy_host/plugin.hpp>

#include "decision/key_set.h"
#include "store/text_format.h"
#include "store/time_format.h"

using namespace sh::host;

TEST_CASE("KeySet answers as an unordered_set while it grows", "[decision][fast]") {
  KeySet ks;
  std::unordered_set<std::string> ref;
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20000; ++i) {
    const std::string k = "SYM" + std::to_string(rng() % 30000) + "/2024-01-02T00:00:00Z/buy";
    if (i % 3 == 0) {
      if (!ks.contains(k)) ks.add_new(k);
    } else {
      ks.insert(k);
    }
    ref.insert(k);
    if (i % 499 == 0) {
      for (int j = 0; j < 40; ++j) {
        const std::string q = "SYM" + std::to_string(j * 97) + "/2024-01-02T00:00:00Z/buy";
        REQUIRE(ks.contains(q) == (ref.count(q) != 0));
      }
    }
  }
  CHECK(ks.size() == ref.size());
  for (const std::string& k : ref) REQUIRE(ks.contains(k));
  CHECK_FALSE(ks.contains("never/inserted"));
  ks.clear();
  CHECK(ks.size() == 0);
  CHECK_FALSE(ks.contains(*ref.begin()));
}

TEST_CASE("PositionIndex gives position_notional_usd's answer", "[decision][fast]") {
  auto pos = [](sh_symbol_id s, double qty, double mark, double notional) {
    sh_position p{};
    p.struct_size = sizeof p;
    p.symbol = s;
    p.qty = qty;
    p.mark_price = mark;
    p.notional_usd = notional;
    return p;
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<std::vector<sh_position>> books = {
      {},
      {pos(2, 1, 10, 10), pos(5, -2, 3, -6), pos(9, 1, 1, nan)},       // sorted
      {pos(9, 1, 1, 1), pos(2, 1, 10, 10), pos(5, -2, 3, -6)},         // unsorted
      {pos(4, 1, 2, 2), pos(4, 5, 5, 25), pos(1, 1, nan, nan)},        // repeated: first wins
  };
  for (const auto& book : books) {
    sh_portfolio_state pf{};
    pf.struct_size = sizeof pf;
    pf.position_size = sizeof(sh_position);
    pf.position_count = static_cast<uint32_t>(book.size());
    pf.positions = book.empty() ? nullptr : book.data();
    const sh::PositionIndex index(pf);
    for (sh_symbol_id s = 0; s < 12; ++s) {
      CHECK(index.notional_usd(s) == sh::position_notional_usd(pf, s));
      for (sh_side side : {SH_SIDE_BUY, SH_SIDE_SELL}) {
        sh_order_intent in{};
        in.struct_size = sizeof in;
        in.symbol = s;
        in.side = side;
        in.qty = 1;
        in.price = 7;
        in.notional_usd = 7;
        CHECK(sh::increases_exposure(in, index) == sh::increases_exposure(in, pf));
      }
    }
  }
}

TEST_CASE("text fast paths render as the reference forms", "[decision][fast]") {
  auto shortest = [](double v) {
    char b[64];
    auto r = std::to_chars(b, b + sizeof b, v);
    return std::string(b, static_cast<size_t>(r.ptr - b));
  };
  for (double v : {0.0, -0.0, 1.0, -1.0, 2000.0, 99999.0, -99999.0, 100000.0, 1e6, 0.5, 0.25,
                   12345.5, 1e-300, 2147483648.0}) {
    std::string s;
    append_double(&s, v);
    CHECK(s == shortest(v));
  }
  for (int i = -100500; i <= 100500; i += 7) {
    std::string s;
    append_double(&s, i);
    REQUIRE(s == shortest(i));
  }

  // ISO-8601: the digits of the snprintf form it replaced.
  CHECK(format_iso8601_utc(1704175140000000000) == "2024-01-02T05:59:00Z");
  CHECK(format_iso8601_utc(1704153600123456789) == "2024-01-02T00:00:00.123456789Z");
  CHECK(format_iso8601_utc(-1) == "1969-12-31T23:59:59.999999999Z");
  CHECK(format_iso8601_utc(0) == "1970-01-01T00:00:00Z");
  CHECK(format_iso8601_utc(4102444799000000000) == "2099-12-31T23:59:59Z");

  // JSON strings: every byte, and runs longer than the 8-byte check.
  std::string all;
  for (int c = 1; c < 256; ++c) all.push_back(static_cast<char>(c));
  all += "a long plain run of text with no escapes at all \"q\" \\ end";
  std::string expect = "\"";
  for (unsigned char c : all) {
    switch (c) {
      case '"': expect += "\\\""; break;
      case '\\': expect += "\\\\"; break;
      case '\b': expect += "\\b"; break;
      case '\f': expect += "\\f"; break;
      case '\n': expect += "\\n"; break;
      case '\r': expect += "\\r"; break;
      case '\t': expect += "\\t"; break;
      default:
        if (c < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          expect += b;
        } else {
          expect.push_back(static_cast<char>(c));
        }
    }
  }
  expect += "\"";
  std::string s;
  append_json_string(&s, all);
  CHECK(s == expect);

  // TextWriter writes what the append_* functions write, growing as needed.
  std::string a = "prefix:", b = "prefix:";
  {
    TextWriter w(&b, 4);
    for (int i = 0; i < 200; ++i) {
      const double v = i % 5 == 0 ? std::nan("") : i * 0.37 - 20;
      append_json_double(&a, v);
      w.json_double(v);
      append_double(&a, v);
      w.number(v);
      append_json_string(&a, all);
      w.json_string(all);
      a += std::to_string(i - 100);
      w.integer(i - 100);
      a += ",";
      w.lit(",");
    }
  }
  CHECK(a == b);
}
