// Log throttling for recurring problems on the pipeline thread.
#pragma once

#include <cstdint>

namespace sh::host {

// Logs the first few occurrences of a recurring problem, then every 1000th.
inline bool should_log(uint64_t occurrence) { return occurrence <= 5 || occurrence % 1000 == 0; }

}  // namespace sh::host
