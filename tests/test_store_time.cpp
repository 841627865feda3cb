// Time text: ISO-8601 output and the --from/--to parser.
#include <catch2/catch.hpp>

#include "store/time_format.h"

using sh::host::format_iso8601_utc;
using sh::host::parse_time_ns;

namespace {
constexpr int64_t kMinute0005 = 1704153900000000000;  // 2024-01-02T00:05:00Z
}

TEST_CASE("ISO-8601 formatting of event-time nanoseconds", "[store]") {
  CHECK(format_iso8601_utc(0) == "1970-01-01T00:00:00Z");
  CHECK(format_iso8601_utc(kMinute0005) == "2024-01-02T00:05:00Z");
  CHECK(format_iso8601_utc(kMinute0005 + 250000000) == "2024-01-02T00:05:00.250000000Z");
  CHECK(format_iso8601_utc(951782400LL * 1000000000) == "2000-02-29T00:00:00Z");
  CHECK(format_iso8601_utc(-1) == "1969-12-31T23:59:59.999999999Z");
}

TEST_CASE("time parser accepts ISO-8601, dates and integer ns", "[store]") {
  int64_t ts = 0;
  REQUIRE(parse_time_ns("2024-01-02T00:05:00Z", &ts).ok());
  CHECK(ts == kMinute0005);
  REQUIRE(parse_time_ns("2024-01-02T00:05Z", &ts).ok());
  CHECK(ts == kMinute0005);
  REQUIRE(parse_time_ns("2024-01-02 00:05:00z", &ts).ok());
  CHECK(ts == kMinute0005);
  REQUIRE(parse_time_ns("2024-01-02T02:05:00+02:00", &ts).ok());
  CHECK(ts == kMinute0005);
  REQUIRE(parse_time_ns("2024-01-01T19:05:00-0500", &ts).ok());
  CHECK(ts == kMinute0005);
  REQUIRE(parse_time_ns("2024-01-02T00:05:00.25Z", &ts).ok());
  CHECK(ts == kMinute0005 + 250000000);
  REQUIRE(parse_time_ns("2024-01-02", &ts).ok());
  CHECK(ts == kMinute0005 - 300LL * 1000000000);
  REQUIRE(parse_time_ns("1704153900000000000", &ts).ok());
  CHECK(ts == kMinute0005);
  REQUIRE(parse_time_ns("-5", &ts).ok());
  CHECK(ts == -5);
  // Round trip through the formatter.
  REQUIRE(parse_time_ns(format_iso8601_utc(kMinute0005 + 7), &ts).ok());
  CHECK(ts == kMinute0005 + 7);
}

TEST_CASE("time parser rejects ambiguous or malformed input with the text quoted", "[store]") {
  int64_t ts = 42;
  for (const char* bad : {"", "2024-01-02T00:05:00", "2024-13-01", "2024-02-30", "2023-02-29",
                          "2024-01-02T24:00Z", "2024-01-02T00:05:00.Z", "yesterday",
                          "2024-01-02T00:05:00Zjunk", "99999999999999999999",
                          "2024-01-02T00:05:00.1234567891Z", "2300-01-01"}) {
    INFO(bad);
    auto st = parse_time_ns(bad, &ts);
    CHECK_FALSE(st.ok());
    CHECK(st.message().find(std::string("\"") + bad + "\"") != std::string::npos);
    CHECK(ts == 42);
  }
  auto st = parse_time_ns("2024-01-02T00:05:00", &ts);
  CHECK(st.message().find("add 'Z' for UTC") != std::string::npos);
}
