// The minute writer (pipeline/minute_writer.h) with a real LMDB store: the
// stages' staged writes (store/write_batch.h) land in the minute's one
// transaction on the writer's thread, in order, all or nothing.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/minute_writer.h"
#include "store/snapshot_codec.h"
#include "store/state_store.h"
#include "store/write_batch.h"

using namespace sh::host;

namespace {

constexpr int64_t kMinuteNs = 60LL * 1000000000;
constexpr int64_t kT0 = 1704153600000000000;  // 2024-01-02T00:00:00Z

struct TempStore {
  explicit TempStore(uint64_t map_size = uint64_t{1} << 30, uint64_t max_map_size = 0) {
    char tmpl[] = "/tmp/sh_writer_test_XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
    StateStoreOptions o;
    o.dir = path;
    o.map_size_bytes = map_size;
    o.max_map_size_bytes = max_map_size;
    const Status st = StateStore::open(o, &store);
    INFO(st.to_string());
    REQUIRE(st.ok());
  }
  ~TempStore() {
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string get(StateDb db, const std::string& key) const {
    StateTxn txn;
    REQUIRE(store->begin_read(&txn).ok());
    std::string v;
    const Status st = txn.get(db, key, &v);
    return st.ok() ? v : "<" + std::string(st.is_not_found() ? "absent" : st.message()) + ">";
  }
  int64_t last_minute() const {
    int64_t last = 0;
    REQUIRE(store->last_minute_ts_ns(&last).ok());
    return last;
  }
  size_t rows() const {
    StateTxn txn;
    REQUIRE(store->begin_read(&txn).ok());
    size_t n = 0;
    REQUIRE(txn.scan(StateDb::kFeaturesSnapshot, "", "", [&n](std::string_view, std::string_view) {
                 ++n;
                 return true;
               }).ok());
    return n;
  }
  std::string path;
  std::unique_ptr<StateStore> store;
};

MinuteWrite minute_of(int64_t ts, size_t symbols) {
  MinuteWrite m;
  m.minute_ts_ns = ts;
  for (size_t i = 0; i < symbols; ++i) {
    SnapshotRow r;
    r.symbol = "SYM" + std::to_string(i);
    r.row = null_feature_row();
    r.row.minute_ts_ns = ts;
    r.row.close = 100.0 + static_cast<double>(i);
    m.rows.push_back(r);
  }
  return m;
}

}  // namespace

TEST_CASE("staged writes land in the minute's one transaction on the writer's thread, in the order made",
          "[store][writer]") {
  TempStore t;
  WriteBatch batch;
  StateTxn staged = StateTxn::staged(&batch);
  REQUIRE(staged.is_staged());
  REQUIRE(staged.put(StateDb::kMeta, "a", "1").ok());
  REQUIRE(staged.put(StateDb::kPositions, "BTC", "{\"qty\":2}").ok());
  REQUIRE(staged.del(StateDb::kMeta, "never-written").ok());  // absent: not an error when applied
  REQUIRE(staged.put(StateDb::kMeta, "a", "3").ok());         // later wins
  // Work that reads inside the transaction sees the writes staged before it.
  std::string seen_inside;
  std::thread::id hook_thread;
  REQUIRE(staged.in_txn([&](StateTxn& real) {
                  hook_thread = std::this_thread::get_id();
                  Status st = real.get(StateDb::kMeta, "a", &seen_inside);
                  if (st.ok()) st = real.put(StateDb::kMeta, "from_hook", "yes");
                  return st;
                }).ok());
  // A staged transaction cannot read or commit: it names why.
  std::string v;
  const Status read = staged.get(StateDb::kMeta, "a", &v);
  CHECK(read.message().find("staged") != std::string::npos);
  CHECK_FALSE(staged.commit().ok());
  CHECK(batch.size() == 5);

  MinuteWriter writer(*t.store);
  MinuteWrite write = minute_of(kT0, 50);
  writer.submit(&write, &batch);
  // The caller's buffers come back empty (the writer's spares).
  CHECK(write.rows.empty());
  CHECK(batch.empty());
  REQUIRE(writer.pending());
  const MinuteWriter::Result r = writer.wait();
  INFO(r.status.message());
  REQUIRE(r.status.ok());
  CHECK_FALSE(writer.pending());
  CHECK(r.txn_id > 0);
  CHECK(r.write_ns > 0);
  CHECK(hook_thread != std::this_thread::get_id());
  CHECK(seen_inside == "3");
  CHECK(t.get(StateDb::kMeta, "a") == "3");
  CHECK(t.get(StateDb::kMeta, "from_hook") == "yes");
  CHECK(t.get(StateDb::kPositions, "BTC") == "{\"qty\":2}");
  CHECK(t.rows() == 50);
  CHECK(t.last_minute() == kT0);
  CHECK(t.store->last_txn_id() == r.txn_id);

  // The next minute reuses the buffers; a second result is that minute's.
  MinuteWrite next = minute_of(kT0 + kMinuteNs, 50);
  StateTxn again = StateTxn::staged(&batch);
  REQUIRE(again.put(StateDb::kMeta, "a", "4").ok());
  writer.submit(&next, &batch);
  const MinuteWriter::Result r2 = writer.wait();
  REQUIRE(r2.status.ok());
  CHECK(r2.txn_id == r.txn_id + 1);
  CHECK(t.get(StateDb::kMeta, "a") == "4");
  CHECK(t.rows() == 100);
}

TEST_CASE("a minute the writer cannot store fails whole, names the minute and leaves earlier minutes",
          "[store][writer]") {
  const uint64_t cap = 1 << 20;
  TempStore t(cap, cap);
  MinuteWriter writer(*t.store);
  WriteBatch batch;
  {
    MinuteWrite first = minute_of(kT0, 10);
    StateTxn staged = StateTxn::staged(&batch);
    REQUIRE(staged.put(StateDb::kMeta, "first", "kept").ok());
    writer.submit(&first, &batch);
    REQUIRE(writer.wait().status.ok());
  }
  // A staged value larger than the capped map: the whole minute fails.
  MinuteWrite second = minute_of(kT0 + kMinuteNs, 10);
  StateTxn staged = StateTxn::staged(&batch);
  REQUIRE(staged.put(StateDb::kMeta, "small", "x").ok());
  REQUIRE(staged.put(StateDb::kMeta, "huge", std::string(2 * cap, 'z')).ok());
  writer.submit(&second, &batch);
  // done() turns true without blocking once the writer finished.
  for (int i = 0; i < 2000 && !writer.done(); ++i) writer.wait_for(std::chrono::milliseconds(5));
  REQUIRE(writer.done());
  const MinuteWriter::Result r = writer.wait();
  REQUIRE_FALSE(r.status.ok());
  CHECK(r.status.is_full());
  CHECK(r.status.message().find("writing minute 2024-01-02T00:01:00Z") != std::string::npos);
  CHECK(r.txn_id == 0);
  CHECK(t.get(StateDb::kMeta, "first") == "kept");
  CHECK(t.get(StateDb::kMeta, "small") == "<absent>");
  CHECK(t.rows() == 10);
  CHECK(t.last_minute() == kT0);
}
