// [hostile][replay] Market data that must never stop the host: a row whose
// symbol the host cannot take (longer than a snapshot key allows, or with a
// control character) is skipped and counted as bad_symbol, with its
// FILE:LINE, and the run goes on with every other row.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <string>
#include <utility>

#include "services/symbol_table.h"
#include "test_host_support.h"

using namespace sh_test;
using Catch::Matchers::Contains;

TEST_CASE("the host refuses symbol names it could not store", "[hostile][replay]") {
  sh::host::SymbolTable t;
  CHECK(t.intern(std::string(256, 'A')) != SH_INVALID_SYMBOL);
  CHECK(t.intern(std::string(257, 'A')) == SH_INVALID_SYMBOL);
  CHECK(t.intern("BTC\nETH") == SH_INVALID_SYMBOL);
  CHECK(t.intern(std::string("A\0B", 3)) == SH_INVALID_SYMBOL);
  CHECK(t.intern("") == SH_INVALID_SYMBOL);
  CHECK(t.intern("BRK.B") != SH_INVALID_SYMBOL);
}

TEST_CASE("a row with a 300-byte symbol is a bad row, not the end of the run", "[hostile][replay]") {
  ScratchDir dir("hostile_long_symbol");
  const std::string huge(300, 'X');
  std::string csv = "ts,symbol,price,size\n";
  // Two symbols trading for 5 minutes, the bad row in the middle.
  for (int m = 0; m < 5; ++m) {
    for (int k = 0; k < 3; ++k) {
      const std::string ts = std::to_string(1704153600 + m * 60 + k * 10);
      csv += ts + ",BTC,42000." + std::to_string(k) + ",0.5\n";
      csv += ts + ",ETH,2200." + std::to_string(k) + ",1.5\n";
      if (m == 2 && k == 1) csv += ts + "," + huge + ",1.0,1\n";
    }
  }
  write_file(dir / "trades.csv", csv);
  write_file(dir / "host.yaml",
             "host: {mode: replay}\n"
             "providers:\n"
             "  - name: file\n"
             "    plugin: replay\n"
             "    config: {files: [{path: '" + (dir / "trades.csv").string() + "', type: trades}]}\n");
  const HostRun r = run_host({"--config", "host.yaml"}, dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Contains((dir / "trades.csv").string() + ":18: bad_symbol (symbol) \"XXXX"));
  CHECK_THAT(r.err, Contains("refused by the host (300 bytes, over 256)"));
  CHECK_THAT(r.out, Contains("events in          30"));
  CHECK_THAT(r.out, Contains("minutes closed     5"));
  CHECK_THAT(r.out, Contains("file.bad_rows.bad_symbol 1"));
}

TEST_CASE("a device or a pipe as a replay file is refused at start, not read forever",
          "[hostile][replay]") {
  ScratchDir dir("hostile_dev_zero");
  ::mkfifo((dir / "pipe").c_str(), 0600);
  for (const auto& [path, what] : {std::pair<std::string, std::string>{"/dev/zero", "a character device"},
                                   {(dir / "pipe").string(), "a pipe"}}) {
    write_file(dir / "host.yaml",
               "host: {mode: replay}\n"
               "providers:\n"
               "  - {name: file, plugin: replay, config: {files: [{path: '" + path + "', type: trades}]}}\n");
    const HostRun r = run_host({"--config", "host.yaml"}, dir.path());
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("replay: cannot open '" + path + "': not a regular file (" + what +
                               "); replay reads files"));
  }
}

TEST_CASE("absurd prints and repeated trades are quarantined, counted and written out, the bars stay clean",
          "[hostile][replay][conveyor]") {
  ScratchDir dir("hostile_quarantine");
  std::string csv = "ts,symbol,price,size,trade_id\n";
  uint64_t id = 100;
  for (int m = 0; m < 4; ++m) {
    for (int k = 0; k < 3; ++k) {
      const std::string ts = std::to_string(1704153600 + m * 60 + k * 10);
      csv += ts + ",BTC,4200" + std::to_string(k) + ",0.5," + std::to_string(++id) + "\n";
      if (m == 1 && k == 1) {
        csv += ts + ",BTC,1e300,0.5," + std::to_string(++id) + "\n";   // price_bounds
        csv += ts + ",BTC,1e-300,0.5," + std::to_string(++id) + "\n";  // price_bounds
        csv += ts + ",BTC,42001,0.5," + std::to_string(id - 2) + "\n";  // the trade before, again
        csv += ts + ",BTC,42001,0.5," + std::to_string(id - 2) + "\n";  // and again
      }
    }
  }
  write_file(dir / "trades.csv", csv);
  write_file(dir / "host.yaml",
             "host: {mode: replay}\n"
             "providers:\n"
             "  - {name: file, plugin: replay, config: {files: [{path: '" + (dir / "trades.csv").string() +
                 "', type: trades}]}}\n");
  const HostRun r = run_host({"--config", "host.yaml"}, dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("quarantined events 4  (duplicate_trade=2, price_bounds=2)"));
  CHECK_THAT(r.err, Contains("market data quarantined: price_bounds BTC at 2024-01-02T00:01:10Z (input event 5): "
                             "price 1e+300 outside [1e-12, 1e+12]"));
  CHECK_THAT(r.err, Contains("market data quarantined: duplicate_trade BTC"));
  const auto rejects = lines(read_file(dir / "out/rejects.jsonl"));
  REQUIRE(rejects.size() == 4);
  CHECK_THAT(rejects[0], Contains("\"reason\":\"price_bounds\",\"input_event\":5,\"symbol\":\"BTC\""));
  CHECK_THAT(rejects[3], Contains("\"reason\":\"duplicate_trade\""));
  // The minute with the bad prints is a clean bar: high is a real price.
  const HostRun snap = run_host({"snapshot", "--symbol", "BTC", "--from", "2024-01-02T00:01Z", "--to",
                                 "2024-01-02T00:02Z", "--format", "jsonl", "--config", "host.yaml"},
                                dir.path());
  INFO(snap.err);
  REQUIRE(snap.exit_code == 0);
  CHECK_THAT(snap.out, Contains("\"high\":42002"));
  CHECK_THAT(snap.out, Contains("\"trade_count\":3"));
  CHECK_THAT(snap.out, Contains("\"dq\":\"ok\""));
}
