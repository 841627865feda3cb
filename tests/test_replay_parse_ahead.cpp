// [replay] Parsing runs on the provider's own thread, batches ahead of the
// poller (plugins/replay/src/parse_ahead.h): the stream, the bad-row logs and
// the counters must be exactly those of a merge on the polling thread, and
// they reach the host in step with the batches the poller takes.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/plugin_harness.h"

using nlohmann::json;
using sh_test::HarnessHost;
using sh_test::PluginInstance;
using sh_test::PluginLibrary;

namespace {

const PluginLibrary& replay_lib() {
  static const PluginLibrary lib(sh_test::plugin_path("replay"));
  return lib;
}

constexpr int64_t kJan2 = 1704153600LL * 1000000000LL;

// A name per symbol index: short ones (the packed per-file table) and, every
// 50th, a name longer than 8 bytes (the table's fallback).
std::string name_of(int s) {
  return s % 50 == 49 ? "LONGNAME_" + std::to_string(s) : "S" + std::to_string(s);
}

struct TempCsv {
  std::filesystem::path path;
  // rows trades over `symbols` symbols, 1 ms apart; the row at each line in
  // bad_lines (1-based, the header is line 1) has a non-numeric price.
  TempCsv(int rows, int symbols, const std::vector<int>& bad_lines) {
    path = std::filesystem::temp_directory_path() /
           ("sh_parse_ahead_" + std::to_string(::getpid()) + "_" + std::to_string(rows) + ".csv");
    std::ofstream f(path);
    f << "ts,symbol,price,size,side\n";
    for (int i = 0; i < rows; ++i) {
      const int line = i + 2;
      bool bad = false;
      for (int b : bad_lines) bad = bad || b == line;
      f << kJan2 + int64_t{i} * 1000000 << ',' << name_of(i % symbols) << ','
        << (bad ? std::string("x1.5") : std::to_string(100 + i % 7) + ".25") << ",0.5,buy\n";
    }
  }
  ~TempCsv() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

json config_for(const TempCsv& f) { return {{"files", {{{"path", f.path.string()}}}}}; }

}  // namespace

TEST_CASE("replay parse-ahead gives the same stream whatever the poll size, across many batches",
          "[replay]") {
  const int rows = 100000, symbols = 300;  // 24 batches of 4,096 through a ring of 8
  TempCsv csv(rows, symbols, {});
  std::vector<std::vector<sh_market_event>> runs;
  for (uint32_t per_poll : {7u, 1000u, 5000u}) {
    HarnessHost host;
    PluginInstance inst(replay_lib(), host, config_for(csv));
    REQUIRE(inst.ok());
    sh_status st = SH_OK;
    runs.push_back(inst.drain_events(per_poll, &st));
    CHECK(st == SH_END_OF_DATA);
    REQUIRE(runs.back().size() == static_cast<size_t>(rows));
    CHECK(host.counter("events_emitted") == rows);
    for (int i = 0; i < rows; i += 997) {
      const sh_market_event& e = runs.back()[static_cast<size_t>(i)];
      CHECK(e.ts_ns == kJan2 + int64_t{i} * 1000000);
      CHECK(host.symbol_name(e.symbol) == name_of(i % symbols));
      CHECK(e.data.trade.price == 100 + i % 7 + 0.25);
    }
  }
  for (size_t r = 1; r < runs.size(); ++r) {
    bool same = true;
    for (size_t i = 0; i < runs[0].size() && same; ++i)
      same = runs[r][i].ts_ns == runs[0][i].ts_ns && runs[r][i].symbol == runs[0][i].symbol &&
             runs[r][i].data.trade.price == runs[0][i].data.trade.price;
    CHECK(same);
  }
}

TEST_CASE("replay parse-ahead reports a bad row when the poller reaches its batch, once",
          "[replay]") {
  // Line 30,002 is row 30,001: in the 8th batch of 4,096 events.
  TempCsv csv(40000, 10, {5, 30002});
  HarnessHost host;
  PluginInstance inst(replay_lib(), host, config_for(csv));
  REQUIRE(inst.ok());
  std::vector<sh_market_event> ev;
  REQUIRE(inst.poll(ev, 100) == SH_OK);
  // The producer has parsed ahead (up to 8 batches), but what it met after the
  // first batch is not the host's to see yet: line 5 is, line 30,002 not.
  CHECK(host.logs_containing(csv.path.string() + ":5: non_numeric (price)") == 1);
  CHECK(host.logs_containing(":30002: ") == 0);
  CHECK(host.counter("bad_rows.non_numeric") == 1);
  sh_status st = SH_OK;
  const auto rest = inst.drain_events(1000, &st);
  CHECK(st == SH_END_OF_DATA);
  CHECK(ev.size() + rest.size() == 39998);
  CHECK(host.logs_containing(csv.path.string() + ":30002: non_numeric (price)") == 1);
  CHECK(host.counter("bad_rows.non_numeric") == 2);
  CHECK(host.logs_containing(csv.path.string() + ": skipped 2 bad rows:") == 1);
}

TEST_CASE("replay parse-ahead: an instance stopped mid-stream or never polled ends cleanly",
          "[replay]") {
  TempCsv csv(60000, 20, {50000});
  {
    HarnessHost host;
    PluginInstance inst(replay_lib(), host, config_for(csv));
    REQUIRE(inst.ok());
    std::vector<sh_market_event> ev;
    REQUIRE(inst.poll(ev, 10) == SH_OK);
    CHECK(ev.size() == 10);
  }  // destroyed while the producer is blocked on a full ring: joins, no hang
  {
    HarnessHost host;
    PluginInstance inst(replay_lib(), host, config_for(csv));
    REQUIRE(inst.ok());
    // create() read up to the first accepted row only; nothing else ran.
    CHECK(host.counter("bad_rows.non_numeric") == 0);
    CHECK(host.logs_containing(":50000: ") == 0);
  }
}
