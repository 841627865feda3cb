// A symbol's daily history as a provider delivered it, and its encoding in
// the store (one value per symbol in price_history: the rows in delivery
// order, duplicates and disorder included, so that verify judges what the
// provider actually said).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sh::host {

struct DailyRow {
  int32_t day = 0;  // days since 1970-01-01 (history/calendar.h)
  double open = 0, high = 0, low = 0, close = 0, adj_close = 0, volume = 0;
};
using DailySeries = std::vector<DailyRow>;

// "SHD1", u32 row count, then 52 bytes per row (i32 day, six doubles),
// little-endian (the store is machine-local).
std::string encode_series(const DailySeries& rows);
// false (and *error) when the bytes are not such a value.
bool decode_series(std::string_view bytes, DailySeries* rows, std::string* error);

}  // namespace sh::host
