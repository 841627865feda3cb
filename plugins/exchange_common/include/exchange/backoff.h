// backoff.h: reconnect delays, exponential with jitter:
// min(max_ms, initial_ms * multiplier^attempt) * (1 + jitter * U(-1, 1)).
#ifndef SH_EXCHANGE_BACKOFF_H
#define SH_EXCHANGE_BACKOFF_H

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

namespace exchange {

struct BackoffConfig {
  int64_t initial_ms = 500;
  int64_t max_ms = 30000;
  double multiplier = 2.0;
  double jitter = 0.2;
};

// Delay before attempt number `attempt` (0 = the first retry), in ms, >= 1.
// rng: jitter only; it never reaches an event.
inline double backoff_delay_ms(const BackoffConfig& b, uint32_t attempt, std::mt19937_64& rng) {
  const double base = std::min<double>(static_cast<double>(b.max_ms),
                                       static_cast<double>(b.initial_ms) * std::pow(b.multiplier, attempt));
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  return std::max(1.0, base * (1.0 + b.jitter * u(rng)));
}

}  // namespace exchange

#endif
