// bench_history_verify [SYMBOLS] [ROWS] [PASSES]: `host history verify`'s
// core (history/verify.h: read each symbol's stored rows from LMDB, decode,
// the runbook 001 quality score and state, the state and transition records,
// one commit) over SYMBOLS x ROWS daily rows (default 5,000 x 1,260), printed
// beside reading the same rows alone (read + decode, no judging, no writes).
// Median of PASSES (default 5). Run a Release build:
//   nice -n 19 build-rel/bench/bench_history_verify
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

#include "bench_timing.h"
#include "history/calendar.h"
#include "history/daily_series.h"
#include "history/history_config.h"
#include "history/history_store.h"
#include "history/verify.h"

using namespace sh::host;

namespace {

// A symbol's rows: weekdays, a random walk, a few duplicates and gaps so
// the judging does real work.
DailySeries make_rows(int symbol, int rows) {
  DailySeries out;
  uint64_t x = 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(symbol + 1);
  double price = 100;
  int32_t day = days_from_civil(2020, 1, 2);
  while (static_cast<int>(out.size()) < rows) {
    if (is_weekend(day)) {
      ++day;
      continue;
    }
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    price *= 1.0 + (static_cast<double>(x % 2001) - 1000.0) * 2e-5;
    if (x % 997 != 0) out.push_back({day, price, price * 1.01, price * 0.99, price, price, 1e6});
    if (x % 1499 == 0 && !out.empty()) out.push_back(out.back());
    ++day;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const int symbols = argc > 1 ? std::atoi(argv[1]) : 5000;
  const int rows = argc > 2 ? std::atoi(argv[2]) : 1260;
  const int passes = argc > 3 ? std::atoi(argv[3]) : 5;
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("bench_history_verify-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::unique_ptr<StateStore> store;
  Status st = open_history_store(dir, false, &store);
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  std::vector<std::pair<std::string, std::string>> names;
  for (int chunk = 0; st.ok() && chunk < symbols; chunk += 500) {  // LMDB's dirty-page limit
    StateTxn txn;
    st = store->begin_write(&txn);
    for (int s = chunk; st.ok() && s < std::min(symbols, chunk + 500); ++s) {
      const std::string name = "SYM" + std::to_string(s);
      names.emplace_back(name, "stocks");
      st = txn.put(StateDb::kPriceHistory, name, encode_series(make_rows(s, rows)));
      if (st.ok()) {
        st = write_governance_json(txn, governance_backfill_key(name),
                                   {{"decision", "stored"}, {"provider", "bench"}, {"run_id", "bench"}});
      }
    }
    if (st.ok()) st = txn.commit();
  }
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  HistoryConfig history;
  size_t read_rows = 0;
  const double read_s = sh_bench::median_seconds(passes, [&] {
    StateTxn txn;
    store->begin_read(&txn);
    DailySeries series;
    std::string error;
    read_rows = 0;
    txn.scan(StateDb::kPriceHistory, "", "", [&](std::string_view, std::string_view value) {
      decode_series(value, &series, &error);
      read_rows += series.size();
      return true;
    });
  });
  VerifySummary sum;
  const double verify_s = sh_bench::median_seconds(passes, [&] {
    sum = VerifySummary{};
    Status vs = verify_symbols(*store, names, history, "bench", nullptr, &sum, nullptr);
    if (!vs.ok()) std::fprintf(stderr, "verify: %s\n", vs.message().c_str());
  });
  std::printf("history verify, %d symbols x %d rows (%zu rows read), median of %d passes\n", symbols, rows,
              read_rows, passes);
  std::printf("  reading the rows alone (LMDB read + decode):  %.3f s\n", read_s);
  std::printf("  verify (read + decode + score + states + commit): %.3f s  (%.2fx the read; target <= 2 s)\n",
              verify_s, verify_s / read_s);
  std::printf("  states: %zu ACTIVE, %zu DEGRADED, %zu QUARANTINED, mean quality %.4f\n", sum.active,
              sum.degraded, sum.quarantined, sum.mean_quality);
  store.reset();
  std::filesystem::remove_all(dir);
  return 0;
}
