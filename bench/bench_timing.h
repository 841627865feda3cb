// Timing helper of the parse benchmarks: the median wall time of `passes`
// runs of a pass (these machines are noisy: medians, not bests).
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace sh_bench {

template <typename F>
double median_seconds(int passes, F&& pass) {
  std::vector<double> t;
  for (int p = 0; p < passes; ++p) {
    const auto t0 = std::chrono::steady_clock::now();
    pass();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t.empty() ? 0.0 : t[t.size() / 2];
}

}  // namespace sh_bench
