// bench_venue_submit: intent to venue submit inside the host, at 1,000
// symbols (issue 14). Figure: the host's Broker in front of the real
// paper_venue plugin (dlopen'd, called through the ABI 1.4 venue table),
// per order: Broker::submit (checks, the NEW record, the transition line,
// the venue's submit call and its ACKNOWLEDGED report applied), p50 / p99;
// and per minute close: the bars to the venue (which fills the previous
// minute's 1,000 orders: 1,000 fill reports booked), 1,000 submits, and the
// minute's LMDB commit (orders, positions, account, the venue's state).
// Baseline in the same run: the built-in paper broker this replaced (git
// d90e711, kept verbatim in bench/baseline/), same minutes, same orders,
// same store settings.
//
//   bench_venue_submit [runs=5] [minutes=60] [symbols=1000]   (Release build)
//
// Realistic shape: every symbol gets one order every minute (alternating
// side), the worst case of a 1,000-symbol book; prices move every minute.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "baseline/paper_broker_v0.h"
#include "decision/broker.h"
#include "decision/order_intent.h"
#include "plugins/plugin_instance.h"
#include "plugins/plugin_library.h"
#include "services/host_services.h"
#include "store/state_store.h"
#include "store/time_format.h"

namespace fs = std::filesystem;
using namespace sh::host;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int64_t kMinuteNs = 60LL * 1000000000LL;
constexpr int64_t kT0 = 1704153600000000000;  // 2024-01-02T00:00:00Z

struct Figures {
  std::vector<double> submit_ns;  // per order
  std::vector<double> minute_us;  // per minute: bars + submits + commit
};

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

double median(std::vector<double> v) { return pct(std::move(v), 0.5); }

fs::path scratch(const char* what) {
  const fs::path p = fs::temp_directory_path() /
                     ("sh_bench_venue_" + std::string(what) + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::unique_ptr<StateStore> open_store(const fs::path& dir) {
  StateStoreOptions so;
  so.dir = dir.string();
  so.sync_commits = false;  // as replay and dry-run: the commit, not the disk
  std::unique_ptr<StateStore> store;
  const Status st = StateStore::open(so, &store);
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", st.to_string().c_str());
    std::exit(1);
  }
  return store;
}

double price_of(size_t s, int minute) {
  return 100.0 + static_cast<double>(s % 97) + 0.5 * std::sin(0.1 * minute + static_cast<double>(s));
}

// One session with either broker. B: Broker or v0::PaperBroker; Bar: its
// BarPrice.
template <typename B, typename Bar, typename Sub>
void run_session(B& broker, StateStore& store, const std::vector<sh_symbol_id>& ids, int minutes,
                 Figures* f) {
  std::vector<Bar> bars(ids.size());
  std::string key;
  for (int m = 0; m < minutes; ++m) {
    const int64_t ts = kT0 + m * kMinuteNs;
    for (size_t s = 0; s < ids.size(); ++s) {
      const double p = price_of(s, m);
      bars[s] = Bar{};
      bars[s].symbol = ids[s];
      bars[s].open = p;
      bars[s].close = p * 1.0001;
      bars[s].mid = std::nan("");
    }
    const auto m0 = Clock::now();
    if (!broker.on_minute_close(ts, bars.data(), bars.size()).ok()) std::exit(2);
    for (size_t s = 0; s < ids.size(); ++s) {
      sh_order_intent in{};
      in.struct_size = sizeof in;
      in.symbol = ids[s];
      in.side = ((m + static_cast<int>(s)) % 2 == 0) ? SH_SIDE_BUY : SH_SIDE_SELL;
      in.price = bars[s].close;
      in.qty = 2000.0 / in.price;
      in.notional_usd = 2000.0;
      in.ts_ns = ts;
      key = make_idempotency_key(std::to_string(s), ts, in.side);
      in.intent_id = intent_id_for_key(key);
      Sub r;
      const auto t0 = Clock::now();
      const Status st = broker.submit(in, key, &r);
      const auto t1 = Clock::now();
      if (!st.ok()) std::exit(3);
      f->submit_ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
    }
    MinuteWrite mw;
    mw.minute_ts_ns = ts;
    const Status ws = store.write_minute(mw, broker.persist_hook());
    if (!ws.ok() || !broker.on_commit(ws).ok()) std::exit(4);
    (void)broker.take_committed_fills();
    f->minute_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - m0).count());
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 5;
  const int minutes = argc > 2 ? std::atoi(argv[2]) : 60;
  const size_t symbols = argc > 3 ? static_cast<size_t>(std::atoll(argv[3])) : 1000;
  spdlog::set_level(spdlog::level::warn);

  auto opened = PluginLibrary::open(std::string(SH_PLUGIN_DIR) + "/libpaper_venue.so");
  if (opened.status != "ok") {
    std::fprintf(stderr, "paper_venue: %s\n", opened.status.c_str());
    return 1;
  }
  std::vector<double> venue_p50, venue_p99, venue_min, base_p50, base_p99, base_min;
  for (int run = 0; run < runs; ++run) {
    {
      HostRuntime rt;
      std::vector<sh_symbol_id> ids;
      for (size_t s = 0; s < symbols; ++s) ids.push_back(rt.symbols.intern("S" + std::to_string(s)));
      auto created = PluginInstance::create("venue", opened.library,
                                            nlohmann::json{{"slippage_bps", 1.0}}, rt);
      if (!created.instance) {
        std::fprintf(stderr, "%s\n", created.error.c_str());
        return 1;
      }
      const fs::path dir = scratch("plugin");
      auto store = open_store(dir);
      std::unique_ptr<Broker> broker;
      if (!Broker::open(store.get(), &rt.symbols, created.instance.get(), BrokerOptions{}, &broker).ok())
        return 1;
      Figures f;
      run_session<Broker, BarPrice, SubmitResult>(*broker, *store, ids, minutes, &f);
      venue_p50.push_back(pct(f.submit_ns, 0.5));
      venue_p99.push_back(pct(f.submit_ns, 0.99));
      venue_min.push_back(pct(f.minute_us, 0.99));
      broker.reset();
      store.reset();
      fs::remove_all(dir);
    }
    {
      SymbolTable symbols_table;
      std::vector<sh_symbol_id> ids;
      for (size_t s = 0; s < symbols; ++s) ids.push_back(symbols_table.intern("S" + std::to_string(s)));
      const fs::path dir = scratch("builtin");
      auto store = open_store(dir);
      v0::PaperBrokerOptions o;
      o.slippage_bps = 1.0;
      std::unique_ptr<v0::PaperBroker> broker;
      if (!v0::PaperBroker::open(store.get(), &symbols_table, o, &broker).ok()) return 1;
      Figures f;
      run_session<v0::PaperBroker, v0::BarPrice, v0::SubmitResult>(*broker, *store, ids, minutes, &f);
      base_p50.push_back(pct(f.submit_ns, 0.5));
      base_p99.push_back(pct(f.submit_ns, 0.99));
      base_min.push_back(pct(f.minute_us, 0.99));
      broker.reset();
      store.reset();
      fs::remove_all(dir);
    }
  }
  std::printf("intent -> venue submit, %zu symbols, %d minutes, %d runs (medians of the runs)\n",
              symbols, minutes, runs);
  std::printf("  paper_venue plugin (ABI 1.4)   submit p50 %7.0f ns  p99 %7.0f ns   minute close p99 %8.0f us\n",
              median(venue_p50), median(venue_p99), median(venue_min));
  std::printf("  built-in paper broker (before) submit p50 %7.0f ns  p99 %7.0f ns   minute close p99 %8.0f us\n",
              median(base_p50), median(base_p99), median(base_min));
  std::printf("  ratio (plugin / built-in)      submit p99 %.2fx                      minute close p99 %.2fx\n",
              median(venue_p99) / median(base_p99), median(venue_min) / median(base_min));
  return 0;
}
