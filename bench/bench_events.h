// Helpers of the synthetic-stream benchmarks: a small deterministic random
// generator (the same sequence every run, so runs compare) and a zeroed
// market event of a type, symbol and time.
#pragma once

#include <strategy_host/abi.h>

#include <cstdint>
#include <cstring>

namespace sh_bench {

struct Lcg {
  uint64_t s;
  double next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(s >> 11) / 9007199254740992.0;
  }
};

inline sh_market_event make_event(sh_event_type type, sh_symbol_id sym, int64_t ts_ns) {
  sh_market_event e;
  std::memset(&e, 0, sizeof e);
  e.struct_size = sizeof e;
  e.type = type;
  e.symbol = sym;
  e.ts_ns = ts_ns;
  return e;
}

}  // namespace sh_bench
