// bench_replay_parse: rows/s of the `replay` provider through the C ABI
// (dlopen, poll loop, a sink that only counts), against the floor measured in
// the same run on the same files: read(2) in 1 MiB blocks + memchr line split.
// Files are generated in a temp dir (page-cached after writing), so both
// figures measure CPU, not the disk. Median of 5 runs each, timed on the
// process's CPU clock (every thread: the caller's poll loop and the
// provider's parse thread; robust to other processes sharing the machine)
// and on the wall clock.
//
//   bench_replay_parse [rows]      (default 2,000,000 trades and as many quotes)
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench_events.h"
#include "../tests/support/plugin_harness.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kRuns = 5;
constexpr const char* kSymbols[] = {"AAPL", "MSFT", "NVDA", "AMZN", "GOOG", "META", "TSLA", "SPY"};

// Deterministic generator so every run of the bench reads the same bytes.
enum class Kind { kTradesCsv, kQuotesCsv, kTradesJsonl };

// Writes rows of one kind; ts starts at 2024-01-02 and rises 0-999 us a row.
void write_file(const std::string& path, Kind kind, uint64_t rows) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) {
    std::perror(path.c_str());
    std::exit(1);
  }
  std::vector<char> buf(1 << 20);
  std::setvbuf(f, buf.data(), _IOFBF, buf.size());
  if (kind == Kind::kTradesCsv) std::fputs("ts,symbol,price,size,side,trade_id\n", f);
  if (kind == Kind::kQuotesCsv) std::fputs("ts,symbol,bid,bid_size,ask,ask_size\n", f);
  sh_bench::Lcg rng{0x9E3779B97F4A7C15ULL};
  int64_t ts_ns = 1704153600LL * 1000000000LL;
  for (uint64_t i = 0; i < rows; ++i) {
    ts_ns += static_cast<int64_t>(rng.bits() % 1000000);
    const char* sym = kSymbols[rng.bits() % 8];
    const double px = 100.0 + static_cast<double>(rng.bits() % 100000) / 100.0;
    const unsigned size = 1 + static_cast<unsigned>(rng.bits() % 500);
    switch (kind) {
      case Kind::kTradesCsv:
        std::fprintf(f, "%lld,%s,%.2f,%u,%s,%llu\n", static_cast<long long>(ts_ns), sym, px, size,
                     (rng.bits() & 1) ? "buy" : "sell", static_cast<unsigned long long>(i + 1));
        break;
      case Kind::kQuotesCsv:
        std::fprintf(f, "%lld,%s,%.2f,%u,%.2f,%u\n", static_cast<long long>(ts_ns), sym, px, size,
                     px + 0.01 * static_cast<double>(1 + rng.bits() % 5), size + 7);
        break;
      case Kind::kTradesJsonl:
        std::fprintf(f,
                     "{\"ts\":%lld,\"symbol\":\"%s\",\"price\":%.2f,\"size\":%u,\"side\":\"%s\","
                     "\"trade_id\":%llu}\n",
                     static_cast<long long>(ts_ns), sym, px, size, (rng.bits() & 1) ? "buy" : "sell",
                     static_cast<unsigned long long>(i + 1));
        break;
    }
  }
  std::fclose(f);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double process_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Timing {
  double cpu_s;   // median process CPU seconds (all threads)
  double wall_s;  // median wall seconds
};

// Times fn kRuns times; fn returns the rows it saw, which must be expect_rows.
Timing time_median(const std::function<uint64_t()>& fn, uint64_t expect_rows, const char* what) {
  std::vector<double> cpu;
  std::vector<double> wall;
  for (int r = 0; r < kRuns; ++r) {
    const auto t0 = Clock::now();
    const double c0 = process_cpu_s();
    const uint64_t rows = fn();
    cpu.push_back(process_cpu_s() - c0);
    wall.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    if (rows != expect_rows) {
      std::fprintf(stderr, "%s: saw %llu rows, expected %llu\n", what,
                   static_cast<unsigned long long>(rows), static_cast<unsigned long long>(expect_rows));
      std::exit(1);
    }
  }
  return {median(cpu), median(wall)};
}

// The floor: read every file in 1 MiB blocks and find every '\n' with memchr.
// Returns the data lines (header lines excluded for CSV).
uint64_t split_lines(const std::vector<std::string>& paths, bool csv) {
  static std::unique_ptr<char[]> buf(new char[1 << 20]);
  uint64_t lines = 0;
  for (const auto& p : paths) {
    const int fd = ::open(p.c_str(), O_RDONLY);
    if (fd < 0) std::exit(1);
    ssize_t n;
    while ((n = ::read(fd, buf.get(), 1 << 20)) > 0) {
      const char* q = buf.get();
      const char* end = q + n;
      while ((q = static_cast<const char*>(std::memchr(q, '\n', static_cast<size_t>(end - q))))) {
        ++lines;
        ++q;
      }
    }
    ::close(fd);
    if (csv) --lines;
  }
  return lines;
}

struct CountingSink {
  uint64_t events = 0;
  int64_t ts_sum = 0;  // keeps the read of every event observable
};

uint64_t run_provider(const sh_test::PluginLibrary& lib, const std::vector<std::string>& paths) {
  sh_test::HarnessHost host;
  nlohmann::json files = nlohmann::json::array();
  for (const auto& p : paths) files.push_back({{"path", p}});
  sh_test::PluginInstance inst(lib, host, {{"files", files}});
  if (!inst.ok()) {
    std::fprintf(stderr, "create failed: %s\n", inst.last_error().c_str());
    std::exit(1);
  }
  CountingSink state;
  const sh_event_sink sink{
      sizeof(sh_event_sink), &state,
      [](void* ctx, const sh_market_event* events, uint32_t count, uint32_t item_size) {
        auto* s = static_cast<CountingSink*>(ctx);
        const auto* p = reinterpret_cast<const unsigned char*>(events);
        for (uint32_t i = 0; i < count; ++i)
          s->ts_sum += reinterpret_cast<const sh_market_event*>(p + size_t{i} * item_size)->ts_ns;
        s->events += count;
        return static_cast<sh_status>(SH_OK);
      }};
  sh_status st;
  while ((st = inst.poll(sink, 4096)) == SH_OK) {
  }
  if (st != SH_END_OF_DATA) {
    std::fprintf(stderr, "poll failed: %d %s\n", st, inst.last_error().c_str());
    std::exit(1);
  }
  if (host.counter("bad_rows.crossed_book") + host.counter("bad_rows.out_of_order") != 0) {
    std::fprintf(stderr, "unexpected bad rows:\n%s", host.log_text().c_str());
    std::exit(1);
  }
  return state.events;
}

void report(const char* name, uint64_t rows, uint64_t bytes, Timing floor, Timing provider) {
  const double r = static_cast<double>(rows);
  const double b = static_cast<double>(bytes);
  std::printf("%-24s cpu: provider %6.2f M rows/s (%5.0f MB/s)  floor %6.2f M rows/s (%5.0f MB/s)  "
              "ratio %.2f | wall: provider %6.2f  floor %6.2f M rows/s\n",
              name, r / provider.cpu_s / 1e6, b / provider.cpu_s / 1e6, r / floor.cpu_s / 1e6,
              b / floor.cpu_s / 1e6, floor.cpu_s / provider.cpu_s, r / provider.wall_s / 1e6,
              r / floor.wall_s / 1e6);
}

uint64_t file_bytes(const std::vector<std::string>& paths) {
  uint64_t n = 0;
  for (const auto& p : paths) n += std::filesystem::file_size(p);
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t rows = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2000000;
  sh_test::TempDir dir;
  const std::string trades = (dir.path() / "trades.csv").string();
  const std::string quotes = (dir.path() / "quotes.csv").string();
  const std::string trades_jsonl = (dir.path() / "trades.jsonl").string();
  write_file(trades, Kind::kTradesCsv, rows);
  write_file(quotes, Kind::kQuotesCsv, rows);
  write_file(trades_jsonl, Kind::kTradesJsonl, rows);

  const sh_test::PluginLibrary lib(sh_test::plugin_path("replay"));
  std::printf("replay provider through the ABI, %llu rows per file, median of %d runs\n",
              static_cast<unsigned long long>(rows), kRuns);

  struct Case {
    const char* name;
    std::vector<std::string> paths;
    bool csv;
  };
  const Case cases[] = {{"trades csv", {trades}, true},
                        {"trades+quotes csv merge", {trades, quotes}, true},
                        {"trades jsonl", {trades_jsonl}, false}};
  for (const Case& c : cases) {
    const uint64_t expect = rows * c.paths.size();
    const Timing floor = time_median([&] { return split_lines(c.paths, c.csv); }, expect, c.name);
    const Timing prov = time_median([&] { return run_provider(lib, c.paths); }, expect, c.name);
    report(c.name, expect, file_bytes(c.paths), floor, prov);
  }
  return 0;
}
