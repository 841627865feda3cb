// Event lines, the JSONL file sink (exact bytes, disk full) and the output
// digest.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "events/event_record.h"
#include "events/jsonl_file_sink.h"
#include "events/output_digest.h"

using namespace sh::host;

namespace {

constexpr int64_t kT0005 = 1704153900000000000;  // 2024-01-02T00:05:00Z

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/sh_sink_test_XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

EventRecord record_a() {
  EventRecord r;
  r.seq = 7;
  r.minute_ts_ns = kT0005;
  r.symbol = "BTCUSDT";
  r.hit_class = "return_spike";
  r.score = 87.5;
  r.severity = 88;
  r.value = 4.25;
  r.threshold = 3;
  r.detector = "spike";
  r.detector_version = "1.2.0";
  r.dq = SH_DQ_OK;
  return r;
}

EventRecord record_b() {
  EventRecord r;
  r.seq = 8;
  r.minute_ts_ns = kT0005 + 60000000000;
  r.symbol = "ETH\"X\n";
  r.hit_class = "c";
  r.score = 0.1 + 0.2;
  r.severity = 0;
  r.value = std::numeric_limits<double>::quiet_NaN();
  r.threshold = 3;
  r.detector = "d";
  r.detector_version = "0.1.0";
  r.dq = SH_DQ_STALE_BOOK;
  return r;
}

const char* const kLineA =
    "{\"seq\":7,\"minute\":\"2024-01-02T00:05:00Z\",\"minute_ts_ns\":1704153900000000000,"
    "\"symbol\":\"BTCUSDT\",\"class\":\"return_spike\",\"score\":87.5,\"severity\":88,"
    "\"value\":4.25,\"threshold\":3,\"detector\":\"spike\",\"detector_version\":\"1.2.0\","
    "\"dq\":\"ok\"}";
const char* const kLineB =
    "{\"seq\":8,\"minute\":\"2024-01-02T00:06:00Z\",\"minute_ts_ns\":1704153960000000000,"
    "\"symbol\":\"ETH\\\"X\\n\",\"class\":\"c\",\"score\":0.30000000000000004,\"severity\":0,"
    "\"value\":null,\"threshold\":3,\"detector\":\"d\",\"detector_version\":\"0.1.0\","
    "\"dq\":\"stale_book\"}";

}  // namespace

TEST_CASE("event JSON line: fixed field order, round-trip doubles, null for NaN", "[events]") {
  CHECK(format_event_json(record_a()) == kLineA);
  CHECK(format_event_json(record_b()) == kLineB);
  EventRecord back;
  REQUIRE(parse_event_json(kLineB, &back).ok());
  CHECK(back.symbol == "ETH\"X\n");
  CHECK(back.score == 0.1 + 0.2);
  CHECK(std::isnan(back.value));
  CHECK(back.dq == SH_DQ_STALE_BOOK);
  CHECK(format_event_json(back) == kLineB);
  CHECK(parse_event_json("{\"seq\":1}", &back).code() == Status::Code::kCorruption);
}

TEST_CASE("JSONL sink: exact bytes, buffered until flush, appends across reopen",
          "[events]") {
  TempDir tmp;
  const std::string path = tmp.path + "/out/events.jsonl";  // parent created
  OutputDigest digest;
  {
    std::unique_ptr<JsonlFileSink> sink;
    JsonlFileSinkOptions opts;
    opts.path = path;
    opts.digest = &digest;
    REQUIRE(JsonlFileSink::open(opts, &sink).ok());
    REQUIRE(sink->write(record_a()).ok());
    REQUIRE(sink->write(record_b()).ok());
    CHECK(slurp(path).empty());  // one flush per minute
    REQUIRE(sink->flush().ok());
    CHECK(slurp(path) == std::string(kLineA) + "\n" + kLineB + "\n");
    CHECK(sink->append_line("a\nb").code() == Status::Code::kInvalidArgument);
  }
  {
    std::unique_ptr<JsonlFileSink> sink;
    JsonlFileSinkOptions opts;
    opts.path = path;
    opts.digest = &digest;
    opts.fsync_on_flush = true;
    REQUIRE(JsonlFileSink::open(opts, &sink).ok());
    REQUIRE(sink->write(record_a()).ok());
    REQUIRE(sink->flush().ok());
  }
  const std::string content = slurp(path);
  CHECK(content == std::string(kLineA) + "\n" + kLineB + "\n" + kLineA + "\n");
  // The digest saw exactly the bytes of the file.
  REQUIRE(digest.streams().size() == 1);
  CHECK(digest.streams()[0].name == "events");
  CHECK(digest.streams()[0].bytes == content.size());
  CHECK(digest.streams()[0].hex_digest == sha256_hex(content));
}

TEST_CASE("JSONL sink: disk full is a clear error naming the path, data stays buffered",
          "[events]") {
  std::unique_ptr<JsonlFileSink> sink;
  JsonlFileSinkOptions opts;
  opts.path = "/dev/full";  // every write fails with ENOSPC
  REQUIRE(JsonlFileSink::open(opts, &sink).ok());
  REQUIRE(sink->write(record_a()).ok());
  Status st = sink->flush();
  CHECK(st.is_full());
  CHECK(st.message() == "event sink /dev/full: write: No space left on device");
  CHECK(sink->buffered_bytes() == std::string(kLineA).size() + 1);

  TempDir tmp;
  opts.path = tmp.path + "/no_such_dir_file";
  std::filesystem::create_directory(opts.path);  // a directory, not a file
  st = JsonlFileSink::open(opts, &sink);
  CHECK(st.code() == Status::Code::kIoError);
  CHECK(st.message() == "event sink " + opts.path + ": open: Is a directory");
}

TEST_CASE("output digest: same input same digest, any change changes it", "[events]") {
  CHECK(sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  OutputDigest empty;
  CHECK(empty.hex_digest() ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

  auto run = [](const std::vector<std::pair<std::string, std::string>>& writes) {
    OutputDigest d;
    for (const auto& [s, b] : writes) d.add(s, b);
    return d.hex_digest();
  };
  const std::string base = run({{"events", "line1\n"}, {"snap", "row"}, {"events", "line2\n"}});
  CHECK(base.size() == 64);
  CHECK(base == run({{"events", "line1\n"}, {"snap", "row"}, {"events", "line2\n"}}));
  // Independent of how a stream is chunked and of interleaving between streams.
  CHECK(base == run({{"snap", "r"}, {"events", "line1\nli"}, {"events", "ne2\n"}, {"snap", "ow"}}));
  // Sensitive to content, order within a stream, and stream names.
  CHECK(base != run({{"events", "line1\n"}, {"snap", "row"}, {"events", "line3\n"}}));
  CHECK(base != run({{"events", "line2\n"}, {"snap", "row"}, {"events", "line1\n"}}));
  CHECK(base != run({{"events", "line1\n"}, {"snap2", "row"}, {"events", "line2\n"}}));
  CHECK(base != run({{"events", "line1\nline2\nrow"}}));
  // Not final: more bytes may follow.
  OutputDigest d;
  d.add("events", "line1\n");
  const std::string mid = d.hex_digest();
  d.add("events", "x");
  CHECK(mid != d.hex_digest());
}
