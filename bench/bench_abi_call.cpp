// bench_abi_call: the cost of calling a detector through the C ABI. The
// zscore_spike plugin is loaded with Boost.DLL and called through its
// descriptor on a batch of rows; the same core function the plugin runs
// (plugins/zscore_spike/zscore_spike_core.h) is called directly in this
// process on the same rows as the baseline. Both paths hand their hits to the
// same sink. Prints median ns per batch and per row of each, and their ratio.
//
//   bench_abi_call [plugin_dir] [rows]      (defaults: SH_PLUGIN_DIR, 1000)
#ifndef BOOST_DLL_USE_STD_FS
#define BOOST_DLL_USE_STD_FS 1
#endif
#include <boost/dll/shared_library.hpp>

#include "../plugins/zscore_spike/zscore_spike_core.h"

#include <strategy_host/abi.h>
#include <strategy_host/plugin.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

constexpr int kReps = 200;        // timed repetitions per path; the median is reported
constexpr int kBatchesPerRep = 200;

struct SinkState {
  uint64_t hits = 0;
};

sh_status count_hits(void* ctx, const sh_detector_hit*, uint32_t n, uint32_t) {
  static_cast<SinkState*>(ctx)->hits += n;
  return SH_OK;
}

// Rows as the conveyor hands them over: mostly normal minutes, 1% spikes
// (row 0 among them), a few nulls (baselines not warm).
std::vector<sh_feature_row> make_rows(uint32_t n) {
  std::vector<sh_feature_row> rows(n);
  uint64_t x = 42;
  for (uint32_t i = 0; i < n; ++i) {
    sh_feature_row& r = rows[i];
    r = sh_feature_row{};
    r.struct_size = sizeof(sh_feature_row);
    r.symbol = i + 1;
    r.minute_ts_ns = 1'704'153'600'000'000'000LL;
    for (double* d = &r.open; d <= &r.rs_benchmark; ++d) *d = sh::kNull;
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const double u = static_cast<double>(x >> 11) * 0x1.0p-53;
    r.z_ret = (i % 100 == 0) ? 5.5 : (i % 50 == 3) ? sh::kNull : 4.0 * (u - 0.5);
  }
  return rows;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The baseline's core call, kept out of line like the plugin's own so both
// paths run one compiled copy of detect_batch rather than one inlined here.
__attribute__((noinline)) uint32_t direct_detect(const sh::FeatureRows& rows,
                                                 const zscore_spike::Params& p,
                                                 sh_detector_hit* out) {
  return zscore_spike::detect_batch(rows, p, out);
}

template <typename F>
double time_rep(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  for (int b = 0; b < kBatchesPerRep; ++b) f();
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / kBatchesPerRep;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : SH_PLUGIN_DIR;
  const uint32_t n_rows = argc > 2 ? static_cast<uint32_t>(std::atoi(argv[2])) : 1000;
  const std::string path = dir + "/libzscore_spike.so";

  boost::dll::shared_library lib(
      path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  const sh_plugin_descriptor* d =
      lib.get<const sh_plugin_descriptor*()>(SH_PLUGIN_ENTRY_SYMBOL)();
  sh_host_services services{};
  services.struct_size = sizeof(services);
  services.abi_major = SH_ABI_MAJOR;
  services.abi_minor = SH_ABI_MINOR;
  sh_status rc = SH_ERR_INTERNAL;
  void* inst = d->create(&services, R"({"field": "z_ret", "threshold": 4.0})", &rc);
  if (rc != SH_OK) {
    std::fprintf(stderr, "create failed: %s\n", inst ? d->last_error(inst) : "");
    return 1;
  }

  const std::vector<sh_feature_row> rows = make_rows(n_rows);
  const sh_feature_batch batch{sizeof(sh_feature_batch), sizeof(sh_feature_row), n_rows, 0,
                               rows[0].minute_ts_ns, rows.data(), 0, 0, nullptr, nullptr};
  sh_market_context ctx{};
  ctx.struct_size = sizeof(ctx);
  SinkState abi_state, direct_state;
  const sh_hit_sink abi_sink{sizeof(sh_hit_sink), &abi_state, &count_hits};
  const sh_hit_sink direct_sink{sizeof(sh_hit_sink), &direct_state, &count_hits};

  zscore_spike::Params params;  // field z_ret, threshold 4: the plugin's config above
  std::vector<sh_detector_hit> hits(n_rows);

  auto via_abi = [&] {
    if (d->detector->detect(inst, &batch, &ctx, &abi_sink) != SH_OK) std::abort();
  };
  auto direct = [&] {
    const uint32_t n = direct_detect(
        sh::FeatureRows(rows.data(), n_rows, sizeof(sh_feature_row)), params, hits.data());
    if (n != 0) direct_sink.emit(direct_sink.sink_ctx, hits.data(), n, sizeof(sh_detector_hit));
  };

  for (int i = 0; i < 1000; ++i) {  // warm caches, branch predictors and the clock
    via_abi();
    direct();
  }
  const uint64_t hits_per_batch = abi_state.hits / 1000;
  if (abi_state.hits != direct_state.hits || abi_state.hits == 0) {
    std::fprintf(stderr, "paths disagree: %llu vs %llu hits\n",
                 static_cast<unsigned long long>(abi_state.hits),
                 static_cast<unsigned long long>(direct_state.hits));
    return 1;
  }

  std::vector<double> abi_ns, direct_ns;
  for (int r = 0; r < kReps; ++r) {  // interleaved so drift hits both paths alike
    abi_ns.push_back(time_rep(via_abi));
    direct_ns.push_back(time_rep(direct));
  }
  const double a = median(abi_ns), b = median(direct_ns);
  std::printf("bench_abi_call: zscore_spike detect, %u rows/batch, %llu hits/batch, "
              "%d reps x %d batches, medians\n",
              n_rows, static_cast<unsigned long long>(hits_per_batch), kReps,
              kBatchesPerRep);
  std::printf("  %-22s %12s %10s\n", "path", "ns/batch", "ns/row");
  std::printf("  %-22s %12.1f %10.3f\n", "direct (same core)", b, b / n_rows);
  std::printf("  %-22s %12.1f %10.3f\n", "through the C ABI", a, a / n_rows);
  std::printf("  ratio ABI/direct %.3f, ABI overhead %+.1f ns per call\n", a / b, a - b);

  d->destroy(inst);
  return 0;
}
