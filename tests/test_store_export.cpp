// `host snapshot` export: exact CSV and JSONL text for known rows.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "store/snapshot_codec.h"
#include "store/snapshot_export.h"
#include "store/state_store.h"
#include "store/time_format.h"

using namespace sh::host;

namespace {

constexpr int64_t kMinuteNs = 60LL * 1000000000;
constexpr int64_t kT0005 = 1704153900000000000;  // 2024-01-02T00:05:00Z

struct TempStore {
  TempStore() {
    char tmpl[] = "/tmp/sh_export_test_XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    StateStoreOptions opts;
    opts.dir = dir;
    REQUIRE(StateStore::open(opts, &store).ok());
  }
  ~TempStore() {
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string dir;
  std::unique_ptr<StateStore> store;
};

sh_feature_row known_row() {
  sh_feature_row r = null_feature_row();
  r.minute_ts_ns = kT0005;
  r.dq = SH_DQ_LATE;
  r.late_events = 3;
  r.open = 42000.5;
  r.high = 42100.25;
  r.low = 41950;
  r.close = 42050.125;
  r.volume = 12.5;
  r.vwap = 42031.0625;
  r.trade_count = 321;
  r.log_ret = 0.1;
  r.mom_20 = -0.0123;
  r.rv_5 = 1e-05;
  r.rsi_14 = 55.5;
  r.ema_20 = 42010;
  r.spread_bps = 0.1 + 0.2;  // 0.30000000000000004: needs 17 digits
  r.l2_imbalance = -1;
  r.book_staleness_ms = 250;
  r.ingest_lag_ms = 12.75;
  r.z_ret = 2.5;
  r.q_ret = 0.99;
  r.rs_benchmark = -0.3;
  return r;
}

const char* const kHeader =
    "minute,minute_ts_ns,symbol,dq,late_events,open,high,low,close,volume,vwap,trade_count,"
    "log_ret,mom_20,rv_5,rsi_14,atr_14,ema_20,spread_bps,l2_imbalance,book_staleness_ms,"
    "ingest_lag_ms,z_ret,z_volume,z_spread,q_ret,q_volume,q_spread,rs_benchmark\n";
const char* const kCsvRow =
    "2024-01-02T00:05:00Z,1704153900000000000,BTCUSDT,late,3,42000.5,42100.25,41950,42050.125,"
    "12.5,42031.0625,321,0.1,-0.0123,1e-05,55.5,,42010,0.30000000000000004,-1,250,12.75,2.5,,,"
    "0.99,,,-0.3\n";
const char* const kJsonRow =
    "{\"minute\":\"2024-01-02T00:05:00Z\",\"minute_ts_ns\":1704153900000000000,"
    "\"symbol\":\"BTCUSDT\",\"dq\":\"late\",\"late_events\":3,\"open\":42000.5,"
    "\"high\":42100.25,\"low\":41950,\"close\":42050.125,\"volume\":12.5,"
    "\"vwap\":42031.0625,\"trade_count\":321,\"log_ret\":0.1,\"mom_20\":-0.0123,"
    "\"rv_5\":1e-05,\"rsi_14\":55.5,\"atr_14\":null,\"ema_20\":42010,"
    "\"spread_bps\":0.30000000000000004,\"l2_imbalance\":-1,\"book_staleness_ms\":250,"
    "\"ingest_lag_ms\":12.75,\"z_ret\":2.5,\"z_volume\":null,\"z_spread\":null,"
    "\"q_ret\":0.99,\"q_volume\":null,\"q_spread\":null,\"rs_benchmark\":-0.3}\n";

void write_known(StateStore& store) {
  MinuteWrite m;
  m.minute_ts_ns = kT0005;
  m.rows.push_back({"BTCUSDT", known_row()});
  sh_feature_row next = null_feature_row();
  next.minute_ts_ns = kT0005 + kMinuteNs;
  next.dq = SH_DQ_OK;
  next.close = 1;
  m.rows.push_back({"BTCUSDT", next});
  sh_feature_row other = known_row();
  other.close = 7;
  m.rows.push_back({"ETHUSDT", other});
  REQUIRE(store.write_minute(m).ok());
}

}  // namespace

TEST_CASE("snapshot export as CSV: header, every ABI field, nulls empty", "[store]") {
  TempStore t;
  write_known(*t.store);
  std::ostringstream out;
  Status st = export_snapshots(*t.store, "BTCUSDT", kT0005, kT0005 + kMinuteNs,
                               SnapshotFormat::kCsv, out);
  REQUIRE(st.ok());
  CHECK(out.str() == std::string(kHeader) + kCsvRow);
}

TEST_CASE("snapshot export as JSONL: one object per row, nulls as null", "[store]") {
  TempStore t;
  write_known(*t.store);
  std::ostringstream out;
  REQUIRE(export_snapshots(*t.store, "BTCUSDT", kT0005, kT0005 + 2 * kMinuteNs,
                           SnapshotFormat::kJsonl, out)
              .ok());
  std::istringstream lines(out.str());
  std::string first, second, third;
  REQUIRE(std::getline(lines, first));
  REQUIRE(std::getline(lines, second));
  CHECK_FALSE(std::getline(lines, third));
  CHECK(first + "\n" == kJsonRow);
  const auto j = nlohmann::json::parse(second);
  CHECK(j["minute"] == "2024-01-02T00:06:00Z");
  CHECK(j["dq"] == "ok");
  CHECK(j["close"] == 1.0);
  CHECK(j["open"].is_null());
  // Every double round-trips exactly through the text.
  const auto k = nlohmann::json::parse(first);
  CHECK(k["spread_bps"].get<double>() == 0.1 + 0.2);
  CHECK(k["mom_20"].get<double>() == -0.0123);
}

TEST_CASE("snapshot export range is half-open and per symbol", "[store]") {
  TempStore t;
  write_known(*t.store);
  std::ostringstream csv;
  REQUIRE(export_snapshots(*t.store, "BTCUSDT", kT0005 + 1, kT0005 + kMinuteNs,
                           SnapshotFormat::kCsv, csv)
              .ok());
  CHECK(csv.str() == kHeader);  // header even with no rows
  std::ostringstream eth;
  int64_t from = 0, to = 0;
  REQUIRE(parse_time_ns("2024-01-02", &from).ok());
  REQUIRE(parse_time_ns("2024-01-03", &to).ok());
  REQUIRE(export_snapshots(*t.store, "ETHUSDT", from, to, SnapshotFormat::kCsv, eth).ok());
  std::string expected = std::string(kHeader) + kCsvRow;
  expected.replace(expected.find("BTCUSDT"), 7, "ETHUSDT");
  expected.replace(expected.find(",42050.125,"), 11, ",7,");
  CHECK(eth.str() == expected);
}

TEST_CASE("snapshot export reports bad formats and broken output streams", "[store]") {
  SnapshotFormat f;
  REQUIRE(parse_snapshot_format("jsonl", &f).ok());
  CHECK(f == SnapshotFormat::kJsonl);
  Status st = parse_snapshot_format("xml", &f);
  CHECK(st.message() == "unknown snapshot format \"xml\" (expected csv or jsonl)");

  TempStore t;
  write_known(*t.store);
  std::ostringstream out;
  out.setstate(std::ios::badbit);
  st = export_snapshots(*t.store, "BTCUSDT", 0, INT64_MAX, SnapshotFormat::kCsv, out);
  CHECK(st.code() == Status::Code::kIoError);
  CHECK(st.message().find("BTCUSDT") != std::string::npos);
}

TEST_CASE("CSV cells with commas or quotes are quoted", "[store]") {
  sh_feature_row r = null_feature_row();
  r.minute_ts_ns = 0;
  const std::string line = format_snapshot_csv("A,\"B\"", r);
  CHECK(line.rfind("1970-01-01T00:00:00Z,0,\"A,\"\"B\"\"\",ok,0,", 0) == 0);
}
