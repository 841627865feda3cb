// Helpers of the synthetic-stream benchmarks: a small deterministic random
// generator (the same sequence every run, so runs compare) and a zeroed
// market event of a type, symbol and time.
#pragma once

#include <strategy_host/abi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "../tests/support/market_event.h"

namespace sh_bench {

struct Lcg {
  uint64_t s;
  uint64_t step() { return s = s * 6364136223846793005ull + 1442695040888963407ull; }
  double next() { return static_cast<double>(step() >> 11) / 9007199254740992.0; }  // [0, 1)
  uint64_t bits() { return step() >> 33; }  // 31 random bits
  double normal() {  // Box-Muller
    const double u = std::max(next(), 1e-12), v = next();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
  }
};

using sh_test::make_event;

}  // namespace sh_bench
