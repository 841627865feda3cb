// A zeroed market event of a type, symbol and time (struct_size set): what
// the conveyor tests and the synthetic-stream benchmarks build events from.
#pragma once

#include <strategy_host/abi.h>

#include <cstdint>
#include <cstring>

namespace sh_test {

inline sh_market_event make_event(sh_event_type type, sh_symbol_id sym, int64_t ts_ns) {
  sh_market_event e;
  std::memset(&e, 0, sizeof e);
  e.struct_size = sizeof e;
  e.type = type;
  e.symbol = sym;
  e.ts_ns = ts_ns;
  return e;
}

}  // namespace sh_test
