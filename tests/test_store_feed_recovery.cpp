// [store] Feed recovery after a crash: lines of minutes the store never
// committed are trimmed from the feed files' tails; committed ones stay.
#include <catch2/catch.hpp>

#include <string>

#include "events/feed_recovery.h"
#include "test_host_support.h"

using sh::host::FeedFormat;
using sh::host::trim_feed_after;
using namespace sh_test;

namespace {

std::string jl(int64_t minute) {
  return "{\"seq\":" + std::to_string(minute) + ",\"minute_ts_ns\":" + std::to_string(minute) +
         ",\"symbol\":\"BTC\"}\n";
}

}  // namespace

TEST_CASE("trim_feed_after drops the uncommitted tail of a JSON-lines feed", "[store]") {
  ScratchDir dir("feed_trim");
  const fs::path f = dir / "decisions.jsonl";
  write_file(f, jl(60) + jl(120) + jl(120) + jl(180) + jl(240));
  size_t removed = 0;
  REQUIRE(trim_feed_after(f, FeedFormat::kJsonLines, 120, &removed).ok());
  CHECK(removed == 2);
  CHECK(read_file(f) == jl(60) + jl(120) + jl(120));
  // Idempotent, and nothing to do when everything is committed.
  REQUIRE(trim_feed_after(f, FeedFormat::kJsonLines, 120, &removed).ok());
  CHECK(removed == 0);
  CHECK(read_file(f) == jl(60) + jl(120) + jl(120));
  // A torn last line (no newline) goes even when its minute is committed.
  write_file(f, jl(60) + "{\"seq\":2,\"minute_ts_ns\":60,\"sym");
  REQUIRE(trim_feed_after(f, FeedFormat::kJsonLines, 60, &removed).ok());
  CHECK(removed == 1);
  CHECK(read_file(f) == jl(60));
  // A missing file is fine.
  REQUIRE(trim_feed_after(dir / "none.jsonl", FeedFormat::kJsonLines, 0, &removed).ok());
  CHECK(removed == 0);
}

TEST_CASE("trim_feed_after keeps a CSV header and reads minutes across a long tail", "[store]") {
  ScratchDir dir("feed_trim_csv");
  const fs::path f = dir / "trades.csv";
  std::string text = "timestamp,ts_ns,symbol\n";
  for (int m = 1; m <= 5000; ++m) text += "t," + std::to_string(m * 60) + ",BTC\n";
  write_file(f, text);
  size_t removed = 0;
  // Everything uncommitted: only the header stays (the tail is > 64 KiB).
  REQUIRE(trim_feed_after(f, FeedFormat::kCsvTsSecondColumn, 0, &removed).ok());
  CHECK(removed == 5000);
  CHECK(read_file(f) == "timestamp,ts_ns,symbol\n");
  write_file(f, text);
  REQUIRE(trim_feed_after(f, FeedFormat::kCsvTsSecondColumn, 60 * 4999, &removed).ok());
  CHECK(removed == 1);
  CHECK(read_file(f) == text.substr(0, text.size() - std::string("t,300000,BTC\n").size()));
}
