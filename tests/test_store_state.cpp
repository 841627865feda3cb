// The LMDB state store with real files: minute writes, UPSERT, range scans,
// map full, crash safety (kill -9 of a writer process), generic helpers.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "events/event_gate.h"
#include "events/output_digest.h"
#include "store/snapshot_codec.h"
#include "store/state_store.h"

using namespace sh::host;

namespace {

constexpr int64_t kMinuteNs = 60LL * 1000000000;
constexpr int64_t kT0 = 1704153600000000000;  // 2024-01-02T00:00:00Z

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/sh_store_test_XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

std::unique_ptr<StateStore> open_store(const std::string& dir, uint64_t map_size = 1ull << 30,
                                       uint64_t max_map_size = 0) {
  StateStoreOptions opts;
  opts.dir = dir;
  opts.map_size_bytes = map_size;
  opts.max_map_size_bytes = max_map_size;
  std::unique_ptr<StateStore> store;
  Status st = StateStore::open(opts, &store);
  INFO(st.to_string());
  REQUIRE(st.ok());
  return store;
}

SnapshotRow make_row(const std::string& symbol, int64_t minute_ts_ns, double close) {
  SnapshotRow r;
  r.symbol = symbol;
  r.row = null_feature_row();
  r.row.symbol = 17;  // a process-local id: must not be persisted
  r.row.minute_ts_ns = minute_ts_ns;
  r.row.close = close;
  r.row.volume = close * 2;
  return r;
}

MinuteWrite make_minute(int64_t minute_ts_ns, const std::vector<std::string>& symbols,
                        double close) {
  MinuteWrite m;
  m.minute_ts_ns = minute_ts_ns;
  for (const auto& s : symbols) m.rows.push_back(make_row(s, minute_ts_ns, close));
  return m;
}

// minute -> symbols stored, over the whole features_snapshot database.
std::map<int64_t, std::set<std::string>> all_rows(const StateStore& store) {
  std::map<int64_t, std::set<std::string>> out;
  StateTxn txn;
  REQUIRE(store.begin_read(&txn).ok());
  REQUIRE(txn.scan(StateDb::kFeaturesSnapshot, "", "",
                   [&](std::string_view key, std::string_view) {
                     std::string sym;
                     int64_t ts = 0;
                     REQUIRE(parse_snapshot_key(key, &sym, &ts));
                     out[ts].insert(sym);
                     return true;
                   })
              .ok());
  return out;
}

}  // namespace

TEST_CASE("state store creates its databases and round-trips a minute", "[store]") {
  TempDir tmp;
  {
    auto store = open_store(tmp.path);
    CHECK(store->map_size_bytes() == (1ull << 30));
    MinuteWrite m = make_minute(kT0, {"BTCUSDT", "ETHUSDT"}, 100.5);
    EventRecord e;
    e.symbol = "BTCUSDT";
    e.minute_ts_ns = kT0;
    e.hit_class = "return_spike";
    e.score = 80;
    e.severity = 80;
    e.seq = 7;
    m.events.push_back(e);
    Status st = store->write_minute(m);
    INFO(st.to_string());
    REQUIRE(st.ok());
  }
  CHECK(std::filesystem::exists(tmp.path + "/data.mdb"));
  auto store = open_store(tmp.path);
  sh_feature_row row;
  REQUIRE(store->get_snapshot("ETHUSDT", kT0, &row).ok());
  CHECK(row.close == 100.5);
  CHECK(row.volume == 201.0);
  CHECK(row.symbol == SH_INVALID_SYMBOL);
  CHECK(row.struct_size == sizeof(sh_feature_row));
  CHECK(std::isnan(row.rsi_14));
  uint64_t seq = 0;
  REQUIRE(store->last_seq(&seq).ok());
  CHECK(seq == 7);
  int64_t last_minute = 0;
  REQUIRE(store->last_minute_ts_ns(&last_minute).ok());
  CHECK(last_minute == kT0);

  StateTxn txn;
  REQUIRE(store->begin_read(&txn).ok());
  std::string value;
  REQUIRE(txn.get(StateDb::kEvents, std::string("\0\0\0\0\0\0\0\x07", 8), &value).ok());
  EventRecord back;
  REQUIRE(parse_event_json(value, &back).ok());
  CHECK(back.symbol == "BTCUSDT");
  CHECK(back.seq == 7);
  for (StateDb db : {StateDb::kPositions, StateDb::kOrders, StateDb::kConfigVersions,
                     StateDb::kSwapJournal}) {
    int n = 0;
    REQUIRE(txn.scan(db, "", "", [&](std::string_view, std::string_view) { return ++n, true; })
                .ok());
    CHECK(n == 0);  // exists and is empty
  }
  uint64_t schema = 0;
  REQUIRE(meta_get_u64(txn, kMetaSchemaVersion, &schema).ok());
  CHECK(schema == kStateSchemaVersion);

  CHECK(store->get_snapshot("SOLUSDT", kT0, &row).is_not_found());
}

TEST_CASE("features_snapshot is UPSERT: the same symbol and minute overwrites", "[store]") {
  TempDir tmp;
  auto store = open_store(tmp.path);
  REQUIRE(store->write_minute(make_minute(kT0, {"BTCUSDT"}, 1.0)).ok());
  REQUIRE(store->write_minute(make_minute(kT0, {"BTCUSDT"}, 2.0)).ok());
  sh_feature_row row;
  REQUIRE(store->get_snapshot("BTCUSDT", kT0, &row).ok());
  CHECK(row.close == 2.0);
  CHECK(all_rows(*store).size() == 1);
}

TEST_CASE("snapshot range scans are per symbol, time ordered and half-open", "[store]") {
  TempDir tmp;
  auto store = open_store(tmp.path);
  // Written out of order; "BTC" is a prefix of "BTCUSDT" and must not mix.
  for (int i : {3, 0, 2, 1, 4}) {
    REQUIRE(store->write_minute(make_minute(kT0 + i * kMinuteNs, {"BTCUSDT", "BTC"}, i)).ok());
  }
  std::vector<double> closes;
  REQUIRE(store
              ->scan_snapshots("BTCUSDT", kT0 + kMinuteNs, kT0 + 4 * kMinuteNs,
                               [&](const sh_feature_row& r) {
                                 closes.push_back(r.close);
                                 return true;
                               })
              .ok());
  CHECK(closes == std::vector<double>{1, 2, 3});
  closes.clear();
  REQUIRE(store
              ->scan_snapshots("BTC", 0, INT64_MAX,
                               [&](const sh_feature_row& r) {
                                 closes.push_back(r.close);
                                 return closes.size() < 2;  // stop early
                               })
              .ok());
  CHECK(closes == std::vector<double>{0, 1});
}

TEST_CASE("a full map at its cap fails the minute with a clear message and keeps earlier minutes",
          "[store]") {
  TempDir tmp;
  const uint64_t small_map = 256 * 1024;
  std::vector<std::string> few = {"AAA", "BBB", "CCC"};
  std::vector<std::string> many;
  for (int i = 0; i < 5000; ++i) many.push_back("SYM" + std::to_string(i));
  {
    auto store = open_store(tmp.path, small_map, small_map);
    REQUIRE(store->write_minute(make_minute(kT0, few, 1.0)).ok());
    MinuteWrite big = make_minute(kT0 + 5 * kMinuteNs, many, 2.0);
    Status st = store->write_minute(big);
    REQUIRE_FALSE(st.ok());
    CHECK(st.is_full());
    CHECK(st.message() == "state store " + tmp.path +
                              ": map full writing minute 2024-01-02T00:05:00Z (0 MB) "
                              "(the map is at state.max_map_size_mb (0 MB))");
    // Nothing of the failed minute; the store keeps working.
    CHECK(all_rows(*store).size() == 1);
    REQUIRE(store->write_minute(make_minute(kT0 + kMinuteNs, few, 3.0)).ok());
  }
  auto store = open_store(tmp.path, small_map);
  auto rows = all_rows(*store);
  REQUIRE(rows.size() == 2);
  CHECK(rows[kT0].size() == 3);
  CHECK(rows[kT0 + kMinuteNs].size() == 3);
  int64_t last = 0;
  REQUIRE(store->last_minute_ts_ns(&last).ok());
  CHECK(last == kT0 + kMinuteNs);
}

TEST_CASE("a writer killed with SIGKILL leaves every committed minute and no partial one",
          "[store]") {
  TempDir tmp;
  const std::vector<std::string> symbols = {"AAA", "BBB", "CCC", "DDD", "EEE", "FFF"};
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Child: write minutes forever, reporting each committed one.
    ::close(fds[0]);
    StateStoreOptions opts;
    opts.dir = tmp.path;
    std::unique_ptr<StateStore> store;
    if (!StateStore::open(opts, &store).ok()) ::_exit(2);
    for (int32_t i = 0;; ++i) {
      if (!store->write_minute(make_minute(kT0 + i * kMinuteNs, symbols, i)).ok()) ::_exit(3);
      if (::write(fds[1], &i, sizeof i) != sizeof i) ::_exit(4);
    }
  }
  ::close(fds[1]);
  int32_t confirmed = -1;
  while (confirmed < 25) {
    int32_t v;
    REQUIRE(::read(fds[0], &v, sizeof v) == sizeof v);
    confirmed = v;
  }
  ::kill(child, SIGKILL);  // mid-way through some later minute
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  int32_t v;
  while (::read(fds[0], &v, sizeof v) == sizeof v) confirmed = v;
  ::close(fds[0]);

  auto store = open_store(tmp.path);
  auto rows = all_rows(*store);
  REQUIRE(static_cast<int64_t>(rows.size()) >= confirmed + 1);
  int64_t expect = kT0;
  for (const auto& [ts, syms] : rows) {
    CHECK(ts == expect);  // contiguous from the first minute
    CHECK(syms.size() == symbols.size());  // never a partial minute
    expect += kMinuteNs;
  }
  int64_t last = 0;
  REQUIRE(store->last_minute_ts_ns(&last).ok());
  CHECK(last == rows.rbegin()->first);
  // The store resumes: the next minute writes fine.
  REQUIRE(store->write_minute(make_minute(expect, symbols, 0)).ok());
}

TEST_CASE("a process that dies inside an open transaction leaves nothing of it", "[store]") {
  TempDir tmp;
  {
    auto store = open_store(tmp.path);
    REQUIRE(store->write_minute(make_minute(kT0, {"AAA", "BBB"}, 1)).ok());
  }
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    StateStoreOptions opts;
    opts.dir = tmp.path;
    std::unique_ptr<StateStore> store;
    if (!StateStore::open(opts, &store).ok()) ::_exit(2);
    // The hook runs after the rows are put, before commit: die there.
    store->write_minute(make_minute(kT0 + kMinuteNs, {"AAA", "BBB"}, 2), [](StateTxn&) {
      ::_exit(0);
      return Status::Ok();
    });
    ::_exit(5);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  auto store = open_store(tmp.path);
  auto rows = all_rows(*store);
  REQUIRE(rows.size() == 1);
  CHECK(rows.begin()->first == kT0);
}

TEST_CASE("write_minute is all-or-nothing: a failing hook or a bad row stores nothing",
          "[store]") {
  TempDir tmp;
  auto store = open_store(tmp.path);
  MinuteWrite m = make_minute(kT0, {"AAA"}, 1);
  Status st = store->write_minute(m, [](StateTxn& txn) {
    Status put = txn.put(StateDb::kOrders, "order-1", "x");
    if (!put.ok()) return put;
    return Status::InvalidArgument("orders: duplicate idempotency key order-1");
  });
  CHECK(st.message() == "orders: duplicate idempotency key order-1");
  CHECK(all_rows(*store).empty());
  StateTxn txn;
  REQUIRE(store->begin_read(&txn).ok());
  std::string value;
  CHECK(txn.get(StateDb::kOrders, "order-1", &value).is_not_found());
  txn.abort();

  m.rows.push_back(make_row("", kT0, 1));
  st = store->write_minute(m);
  CHECK(st.code() == Status::Code::kInvalidArgument);
  CHECK(st.message() == "state store " + tmp.path +
                            ": bad row writing minute 2024-01-02T00:00:00Z: empty symbol name");
  CHECK(all_rows(*store).empty());
}

TEST_CASE("generic txn helpers: put, get, delete, range scan, typed meta", "[store]") {
  TempDir tmp;
  auto store = open_store(tmp.path);
  StateTxn w;
  REQUIRE(store->begin_write(&w).ok());
  for (const char* k : {"k1", "k2", "k3", "k4"}) REQUIRE(w.put(StateDb::kPositions, k, k).ok());
  REQUIRE(w.put(StateDb::kPositions, std::string("bin\0ary", 7), std::string("v\0v", 3)).ok());
  REQUIRE(meta_put_u64(w, "custom", 0x0102030405060708ull).ok());
  REQUIRE(w.del(StateDb::kPositions, "k2").ok());
  CHECK(w.del(StateDb::kPositions, "nope").is_not_found());
  REQUIRE(w.commit().ok());
  CHECK_FALSE(w.active());

  StateTxn r;
  REQUIRE(store->begin_read(&r).ok());
  std::vector<std::string> keys;
  REQUIRE(r.scan(StateDb::kPositions, "k1", "k4",
                 [&](std::string_view k, std::string_view) {
                   keys.emplace_back(k);
                   return true;
                 })
              .ok());
  CHECK(keys == std::vector<std::string>{"k1", "k3"});
  std::string v;
  REQUIRE(r.get(StateDb::kPositions, std::string("bin\0ary", 7), &v).ok());
  CHECK(v == std::string("v\0v", 3));
  uint64_t u = 0;
  REQUIRE(meta_get_u64(r, "custom", &u).ok());
  CHECK(u == 0x0102030405060708ull);
  CHECK(meta_get_u64(r, "absent", &u).is_not_found());
  CHECK(r.put(StateDb::kMeta, "x", "y").code() == Status::Code::kFailedPrecondition);
}

TEST_CASE("one open per directory per process, read-only open of nothing fails", "[store]") {
  TempDir tmp;
  auto store = open_store(tmp.path);
  std::unique_ptr<StateStore> second;
  StateStoreOptions opts;
  opts.dir = tmp.path + "/.";  // same directory, other spelling
  Status st = StateStore::open(opts, &second);
  CHECK(st.code() == Status::Code::kFailedPrecondition);
  CHECK(st.message().find("already open in this process") != std::string::npos);
  store.reset();
  REQUIRE(StateStore::open(opts, &second).ok());
  second.reset();

  TempDir empty;
  opts.dir = empty.path;
  opts.read_only = true;
  st = StateStore::open(opts, &second);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find(empty.path) != std::string::npos);
}

TEST_CASE("a read-only store reads what a writer committed", "[store]") {
  TempDir tmp;
  {
    auto store = open_store(tmp.path);
    REQUIRE(store->write_minute(make_minute(kT0, {"AAA"}, 9)).ok());
  }
  StateStoreOptions opts;
  opts.dir = tmp.path;
  opts.read_only = true;
  std::unique_ptr<StateStore> ro;
  REQUIRE(StateStore::open(opts, &ro).ok());
  sh_feature_row row;
  REQUIRE(ro->get_snapshot("AAA", kT0, &row).ok());
  CHECK(row.close == 9);
  CHECK(ro->write_minute(make_minute(kT0, {"AAA"}, 1)).code() ==
        Status::Code::kFailedPrecondition);
}

TEST_CASE("snapshot values are versioned: older shorter rows read back with nulls", "[store]") {
  sh_feature_row row = null_feature_row();
  row.minute_ts_ns = kT0;
  row.close = 5;
  row.rs_benchmark = 0.5;
  row.struct_size = offsetof(sh_feature_row, z_ret);  // an "older" producer
  std::string value;
  REQUIRE(encode_snapshot_row(row, &value).ok());
  CHECK(value.size() == kSnapshotHeaderBytes + offsetof(sh_feature_row, z_ret));
  CHECK(value.substr(0, 4) == std::string("\x01\x00\x08\x00", 4));
  sh_feature_row back;
  REQUIRE(decode_snapshot_row(value, &back).ok());
  CHECK(back.struct_size == sizeof(sh_feature_row));
  CHECK(back.close == 5);
  CHECK(std::isnan(back.rs_benchmark));  // beyond the stored struct_size

  value[0] = 9;  // unknown format version
  Status st = decode_snapshot_row(value, &back);
  CHECK(st.code() == Status::Code::kCorruption);
  CHECK(st.message().find("format version 9") != std::string::npos);
}

TEST_CASE("committed snapshot rows feed the output digest deterministically", "[store]") {
  TempDir a, b;
  OutputDigest da, db;
  for (auto [dir, digest] : {std::pair{&a, &da}, std::pair{&b, &db}}) {
    auto store = open_store(dir->path);
    store->set_output_digest(digest);
    REQUIRE(store->write_minute(make_minute(kT0, {"AAA", "BBB"}, 1)).ok());
    REQUIRE(store->write_minute(make_minute(kT0 + kMinuteNs, {"AAA", "BBB"}, 2)).ok());
  }
  CHECK(da.hex_digest() == db.hex_digest());
  REQUIRE(da.streams().size() == 1);
  CHECK(da.streams()[0].name == "features_snapshot");
}

TEST_CASE("event seq and gate state resume after a restart from the minute's txn (a store from before the gate's rows)", "[store]") {
  TempDir tmp;
  EventGateConfig cfg;  // defaults: 15 min cooldown
  {
    auto store = open_store(tmp.path);
    uint64_t last = 99;
    REQUIRE(store->last_seq(&last).ok());
    CHECK(last == 0);  // fresh store
    EventGate gate(cfg, last + 1);
    EventCandidate c;
    c.symbol = "BTCUSDT";
    c.hit_class = "return_spike";
    c.minute_ts_ns = kT0;
    c.score = 70;
    GateDecision d = gate.offer(c);
    REQUIRE(d.published());
    MinuteWrite m = make_minute(kT0, {"BTCUSDT"}, 1);
    m.events.push_back(d.record);
    const std::string saved = gate.save_state();
    REQUIRE(store
                ->write_minute(m, [&](StateTxn& txn) {
                  return txn.put(StateDb::kMeta, "event_gate_state", saved);
                })
                .ok());
  }
  auto store = open_store(tmp.path);
  uint64_t last = 0;
  REQUIRE(store->last_seq(&last).ok());
  CHECK(last == 1);
  EventGate gate(cfg, last + 1);
  StateTxn txn;
  REQUIRE(store->begin_read(&txn).ok());
  REQUIRE(load_gate_state(txn, &gate).ok());
  EventCandidate c;
  c.symbol = "BTCUSDT";
  c.hit_class = "return_spike";
  c.minute_ts_ns = kT0 + 10 * kMinuteNs;
  CHECK(gate.offer(c).reason == SuppressReason::kCooldown);  // not re-published
  c.symbol = "ETHUSDT";
  CHECK(gate.offer(c).record.seq == 2);
}


TEST_CASE("the gate stores one row per changed key: a minute's bytes stay flat as keys accumulate, and a restart gets them all back", "[store]") {
  TempDir tmp;
  EventGateConfig cfg;  // the runbook's: at most 60 events per class an hour
  EventGate gate(cfg, 1);
  auto offer_all = [&](int64_t ts, int from, int to) {
    for (int i = from; i < to; ++i) {
      EventCandidate c;
      c.symbol = "S" + std::to_string(i);
      c.hit_class = i % 2 == 0 ? "return_spike" : "volume_burst";
      c.minute_ts_ns = ts;
      c.score = 60;
      gate.offer(c);
    }
  };
  // The bytes the gate puts in a minute's transaction.
  auto write = [&](StateStore& store, int64_t ts) {
    size_t bytes = 0;
    size_t rows = 0;
    REQUIRE(store
                .write_minute(make_minute(ts, {"AAA"}, 1),
                              [&](StateTxn& txn) {
                                bytes = rows = 0;
                                gate.save_changed_keys([&](std::string_view k, std::string_view v) {
                                  bytes += k.size() + v.size();
                                  ++rows;
                                });
                                return store_gate_state(gate, txn);
                              })
                .ok());
    gate.forget_changed();
    return std::pair{rows, bytes + gate.save_header().size()};
  };
  std::pair<size_t, size_t> first, later;
  {
    auto store = open_store(tmp.path);
    offer_all(kT0, 0, 2000);
    first = write(*store, kT0);
    offer_all(kT0 + kMinuteNs, 7, 9);  // two keys again, debounced
    later = write(*store, kT0 + kMinuteNs);
  }
  CHECK(first.first == 2000);
  CHECK(later.first == 2);
  INFO("bytes: first minute " << first.second << ", later " << later.second);
  CHECK(later.second < 3000);  // the header (120 budget times) + two rows, not 2,000 keys
  CHECK(first.second > 40 * later.second);

  auto store = open_store(tmp.path);
  StateTxn txn;
  REQUIRE(store->begin_read(&txn).ok());
  EventGate fresh(cfg, 1);
  REQUIRE(load_gate_state(txn, &fresh).ok());
  CHECK(fresh.save_state() == gate.save_state());
  CHECK(fresh.next_seq() == 121);
  CHECK_FALSE(fresh.has_changed_keys());
  EventCandidate c;
  c.symbol = "S8";
  c.hit_class = "return_spike";
  c.minute_ts_ns = kT0 + 10 * kMinuteNs;  // the last hit at +1 min: a new episode, in cooldown
  CHECK(fresh.offer(c).reason == SuppressReason::kCooldown);

  // A store from before the rows: its whole document becomes rows at the
  // next minute, and the restart after that has every key.
  TempDir old_dir;
  {
    auto old_store = open_store(old_dir.path);
    REQUIRE(old_store
                ->write_minute(make_minute(kT0, {"AAA"}, 1),
                               [&](StateTxn& t) {
                                 return t.put(StateDb::kMeta, "event_gate_state", gate.save_state());
                               })
                .ok());
  }
  {
    auto old_store = open_store(old_dir.path);
    StateTxn t;
    REQUIRE(old_store->begin_read(&t).ok());
    EventGate migrated(cfg, 1);
    REQUIRE(load_gate_state(t, &migrated).ok());
    t = StateTxn();
    CHECK(migrated.save_state() == gate.save_state());
    c.symbol = "NEW";
    migrated.offer(c);
    REQUIRE(old_store
                ->write_minute(make_minute(kT0 + 10 * kMinuteNs, {"AAA"}, 2),
                               [&](StateTxn& w) { return store_gate_state(migrated, w); })
                .ok());
    migrated.forget_changed();
    StateTxn r;
    REQUIRE(old_store->begin_read(&r).ok());
    EventGate again(cfg, 1);
    REQUIRE(load_gate_state(r, &again).ok());
    CHECK(again.save_state() == migrated.save_state());
    CHECK(again.save_state().find("\"S1999\"") != std::string::npos);
    CHECK(again.save_state().find("\"NEW\"") != std::string::npos);
  }
}
TEST_CASE("a minute larger than the whole map grows it as often as needed", "[store]") {
  TempDir tmp;
  std::vector<std::string> many;
  for (int i = 0; i < 5000; ++i) many.push_back("SYM" + std::to_string(i));
  auto store = open_store(tmp.path, 256 * 1024);
  const Status st = store->write_minute(make_minute(kT0, many, 2.0));
  INFO(st.to_string());
  REQUIRE(st.ok());
  CHECK(store->map_growths() >= 2);  // 5000 rows need more than twice 256 KB
  CHECK(all_rows(*store)[kT0].size() == 5000);
}
