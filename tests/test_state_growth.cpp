// [store] A store that lasts (issue 17 point 5): the LMDB map grows when it
// fills instead of stopping the host, up to state.max_map_size_mb; and
// state.retention_days expires old feature snapshots (exporting them first
// with state.retention_export) without changing the run's digest. Through
// the real binary, and the store's resize lock against a reader thread.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "store/state_store.h"
#include "test_host_support.h"

using namespace sh_test;
using Catch::Matchers::Contains;

namespace {

// 40 symbols x 3 hours of synthetic market data: about 2 MB of snapshots.
std::string growth_config(const std::string& state, const std::string& extra) {
  return "host: {mode: replay, state_dir: " + state + ", output_dir: out_" + state + "}\n"
         "providers:\n"
         "  - name: synth\n"
         "    plugin: synthetic\n"
         "    config: {symbol_count: 40, duration_s: 10800, events_per_second: 8}\n"
         "detectors:\n"
         "  - {name: return_spike, plugin: return_spike, config: {}}\n"
         "state: {" + extra + "}\n";
}

std::string digest_of(const std::string& out) {
  const auto at = out.find("digest sha256:");
  return at == std::string::npos ? std::string() : out.substr(at, 14 + 64);
}

size_t count_rows(const ScratchDir& dir, const std::string& config, const std::string& from,
                  const std::string& to) {
  const HostRun r = run_host({"snapshot", "--config", config, "--symbol", "SYM0001", "--from", from,
                              "--to", to, "--format", "csv"},
                             dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto rows = lines(r.out);
  REQUIRE_FALSE(rows.empty());  // the header
  return rows.size() - 1;
}

}  // namespace

TEST_CASE("a full map grows and the run goes on, and a map at max_map_size_mb stops with the reason",
          "[store]") {
  ScratchDir dir("state_growth");
  write_file(dir / "big.yaml", growth_config("big", ""));
  write_file(dir / "small.yaml", growth_config("small", "map_size_mb: 1"));
  write_file(dir / "capped.yaml", growth_config("capped", "map_size_mb: 1, max_map_size_mb: 1"));
  const HostRun big = run_host({"run", "--config", "big.yaml"}, dir.path());
  INFO(big.err);
  REQUIRE(big.exit_code == 0);
  const HostRun small = run_host({"run", "--config", "small.yaml"}, dir.path());
  INFO(small.err);
  REQUIRE(small.exit_code == 0);
  // The same session, stored whole: the same digest, the same rows.
  CHECK_FALSE(digest_of(big.out).empty());
  CHECK(digest_of(small.out) == digest_of(big.out));
  CHECK_THAT(small.err, Contains("map grown from 1 MB to 2 MB"));
  CHECK(count_rows(dir, "small.yaml", "2024-01-02T00:00:00Z", "2024-01-02T03:00:00Z") == 180);

  // Capped: the first minute that does not fit stops the run, naming the
  // minute and the cap; what was committed before it stays readable.
  const HostRun capped = run_host({"run", "--config", "capped.yaml"}, dir.path());
  CHECK(capped.exit_code != 0);
  CHECK_THAT(capped.err, Contains("map full writing minute 2024-01-02T"));
  CHECK_THAT(capped.err, Contains("state.max_map_size_mb (1 MB)"));
  const size_t kept = count_rows(dir, "capped.yaml", "2024-01-02T00:00:00Z", "2024-01-02T03:00:00Z");
  CHECK(kept > 0);
  CHECK(kept < 180);

  // A cap below the starting size is refused at load.
  write_file(dir / "bad.yaml", growth_config("bad", "map_size_mb: 64, max_map_size_mb: 8"));
  const HostRun bad = run_host({"run", "--config", "bad.yaml"}, dir.path());
  CHECK(bad.exit_code != 0);
  CHECK_THAT(bad.err, Contains("bad.yaml:"));
  CHECK_THAT(bad.err, Contains("state.max_map_size_mb must be 0 (no limit) or at least state.map_size_mb"));
}

TEST_CASE("retention_days expires old snapshots, exports them first, and leaves the digest alone",
          "[store]") {
  ScratchDir dir("state_retention");
  write_file(dir / "all.yaml", growth_config("all", ""));
  // 0.05 days = 72 minutes of the 180.
  write_file(dir / "kept.yaml", growth_config("kept", "retention_days: 0.05, retention_export: true"));
  const HostRun all = run_host({"run", "--config", "all.yaml"}, dir.path());
  INFO(all.err);
  REQUIRE(all.exit_code == 0);
  const HostRun kept = run_host({"run", "--config", "kept.yaml"}, dir.path());
  INFO(kept.err);
  REQUIRE(kept.exit_code == 0);
  CHECK(digest_of(kept.out) == digest_of(all.out));
  // The last closed minute is 02:59: rows from 01:47 on stay (72 minutes
  // before it, 01:47 is the cutoff and is kept).
  CHECK(count_rows(dir, "kept.yaml", "2024-01-02T00:00:00Z", "2024-01-02T01:47:00Z") == 0);
  CHECK(count_rows(dir, "kept.yaml", "2024-01-02T01:47:00Z", "2024-01-02T03:00:00Z") == 73);
  CHECK(count_rows(dir, "all.yaml", "2024-01-02T00:00:00Z", "2024-01-02T01:47:00Z") == 107);
  // Every expired row is in the export, once, with the snapshot columns.
  const auto exported = lines(read_file(dir / "out_kept/expired/features_2024-01-02.csv"));
  REQUIRE(exported.size() == 1 + 40 * 107);
  CHECK_THAT(exported[0], Catch::StartsWith("minute,minute_ts_ns,symbol,dq,"));
  size_t sym1 = 0;
  for (const auto& l : exported) sym1 += l.find(",SYM0001,") != std::string::npos ? 1 : 0;
  CHECK(sym1 == 107);
  CHECK_THAT(kept.err, Contains("retention: 4280 feature snapshot rows expired this run"));

  // Bad values are refused with the file and line.
  write_file(dir / "bad.yaml", growth_config("bad", "retention_days: -1"));
  const HostRun bad = run_host({"run", "--config", "bad.yaml"}, dir.path());
  CHECK(bad.exit_code != 0);
  CHECK_THAT(bad.err, Contains("state.retention_days must be 0 (keep everything)"));
}

TEST_CASE("the map grows only when no transaction of the process is active", "[store]") {
  using namespace sh::host;
  ScratchDir dir("state_growth_lock");
  StateStoreOptions o;
  o.dir = (dir / "state").string();
  o.map_size_bytes = uint64_t{1} << 20;
  o.sync_commits = false;
  std::unique_ptr<StateStore> store;
  REQUIRE(StateStore::open(o, &store).ok());
  // A reader on another thread holds a transaction for 300 ms while the
  // writer fills the map: the writer's grow waits for it, then succeeds.
  StateTxn reader;
  REQUIRE(store->begin_read(&reader).ok());
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    reader.abort();
  });
  const std::string value(2000, 'x');
  Status st;
  for (int minute = 0; minute < 600 && st.ok(); ++minute) {
    MinuteWrite w;
    w.minute_ts_ns = int64_t{minute} * 60'000'000'000;
    st = store->write_minute(w, [&](StateTxn& txn) {
      return txn.put(StateDb::kMeta, "blob/" + std::to_string(minute), value);
    });
  }
  release.join();
  INFO(st.message());
  CHECK(st.ok());
  CHECK(store->map_growths() >= 1);
  CHECK(store->map_size_bytes() > (uint64_t{1} << 20));
  CHECK(store->map_used_bytes() > (uint64_t{1} << 20));
}
