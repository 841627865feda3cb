#include "history/daily_series.h"

#include <cstring>

namespace sh::host {

namespace {
constexpr char kSeriesMagic[4] = {'S', 'H', 'D', '1'};
constexpr size_t kSeriesRowBytes = 4 + 6 * 8;
}  // namespace

std::string encode_series(const DailySeries& rows) {
  std::string out(8 + rows.size() * kSeriesRowBytes, '\0');
  char* p = out.data();
  std::memcpy(p, kSeriesMagic, 4);
  const uint32_t n = static_cast<uint32_t>(rows.size());
  std::memcpy(p + 4, &n, 4);
  p += 8;
  for (const DailyRow& r : rows) {
    std::memcpy(p, &r.day, 4);
    const double v[6] = {r.open, r.high, r.low, r.close, r.adj_close, r.volume};
    std::memcpy(p + 4, v, sizeof v);
    p += kSeriesRowBytes;
  }
  return out;
}

bool decode_series(std::string_view bytes, DailySeries* rows, std::string* error) {
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kSeriesMagic, 4) != 0) {
    *error = "not a daily series (bad header)";
    return false;
  }
  uint32_t n = 0;
  std::memcpy(&n, bytes.data() + 4, 4);
  if (bytes.size() != 8 + static_cast<size_t>(n) * kSeriesRowBytes) {
    *error = "daily series of " + std::to_string(n) + " rows has " + std::to_string(bytes.size()) +
             " bytes (truncated or corrupt)";
    return false;
  }
  rows->resize(n);
  const char* p = bytes.data() + 8;
  for (uint32_t i = 0; i < n; ++i, p += kSeriesRowBytes) {
    DailyRow& r = (*rows)[i];
    std::memcpy(&r.day, p, 4);
    double v[6];
    std::memcpy(v, p + 4, sizeof v);
    r.open = v[0], r.high = v[1], r.low = v[2], r.close = v[3], r.adj_close = v[4], r.volume = v[5];
  }
  return true;
}

}  // namespace sh::host
