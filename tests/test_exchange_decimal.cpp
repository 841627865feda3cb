// [exchange] exchange::parse_decimal, the prices and sizes of every exchange
// frame: the same double as std::from_chars (correctly rounded) for every
// decimal it accepts, and the same refusals, on the exchanges' shapes and on
// random digit strings of every length up to 24 with and without a point.
#include <catch2/catch.hpp>

#include <charconv>
#include <random>
#include <string>

#include "exchange/decimal.h"

namespace {

bool reference(const std::string& s, double* out) {
  if (s.empty() || s.size() > 40 || s.find_first_not_of("0123456789.") != std::string::npos) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

TEST_CASE("parse_decimal reads what std::from_chars reads, to the last bit", "[exchange]") {
  std::mt19937_64 rng(20261206);
  std::vector<std::string> cases = {"19863.26", "0.00000001", "87000.00", "0.1", "9007199254740993",
                                    "9007199254740992.5", "123456789012345678901234", "5.", ".5", "0", "000.000"};
  for (int i = 0; i < 300000; ++i) {
    std::string s;
    for (int j = 0, n = 1 + static_cast<int>(rng() % 24); j < n; ++j) s += static_cast<char>('0' + rng() % 10);
    if (rng() % 4) s.insert(rng() % (s.size() + 1), ".");
    cases.push_back(s);
  }
  size_t mismatches = 0;
  std::string first;
  for (const std::string& s : cases) {
    double got = -1, want = -2;
    const bool ok = exchange::parse_decimal(s, &got);
    const bool want_ok = reference(s, &want);
    if (ok != want_ok || (ok && got != want)) {
      if (mismatches++ == 0) first = s;
    }
  }
  INFO("first mismatch: " << first);
  CHECK(mismatches == 0);
}

TEST_CASE("parse_decimal refuses signs, exponents, spaces, a second point and empty text", "[exchange]") {
  double v = 0;
  for (const char* bad : {"", ".", "-1", "+1", "1e5", " 1", "1 ", "1.2.3", "0x10", "nan", "1,5"}) {
    INFO(bad);
    CHECK_FALSE(exchange::parse_decimal(bad, &v));
  }
  CHECK(exchange::parse_decimal(std::string(41, '1'), &v) == false);  // longer than any price
  REQUIRE(exchange::parse_decimal("87001.25", &v));
  CHECK(v == 87001.25);
}
