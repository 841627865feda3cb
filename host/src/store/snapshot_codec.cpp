#include "store/snapshot_codec.h"

#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>

namespace sh::host {
namespace {

// Smallest row we accept: the fixed header fields up to and incl. late_events.
constexpr size_t kMinRowBytes = offsetof(sh_feature_row, late_events) + sizeof(uint32_t);

void put_le16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v & 0xff));
  out->push_back(static_cast<char>(v >> 8));
}
void put_le32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t get_le(std::string_view s, size_t off, int n) {
  uint32_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[off + i]);
  return v;
}

}  // namespace

Status validate_snapshot_symbol(std::string_view symbol) {
  if (symbol.empty()) return Status::InvalidArgument("empty symbol name");
  if (symbol.size() > kMaxSymbolBytes) {
    return Status::InvalidArgument("symbol name longer than " + std::to_string(kMaxSymbolBytes) +
                                   " bytes");
  }
  if (symbol.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("symbol name contains a NUL byte");
  }
  return Status::Ok();
}

std::string snapshot_key(std::string_view symbol, int64_t minute_ts_ns) {
  std::string key;
  key.reserve(symbol.size() + 8);
  const auto ts = static_cast<uint64_t>(minute_ts_ns);
  for (int i = 7; i >= 0; --i) key.push_back(static_cast<char>((ts >> (8 * i)) & 0xff));
  key.append(symbol);
  return key;
}

bool parse_snapshot_key(std::string_view key, std::string* symbol, int64_t* minute_ts_ns) {
  if (key.size() < 9) return false;
  uint64_t ts = 0;
  for (size_t i = 0; i < 8; ++i) ts = (ts << 8) | static_cast<unsigned char>(key[i]);
  symbol->assign(key.substr(8));
  *minute_ts_ns = static_cast<int64_t>(ts);
  return true;
}

sh_feature_row null_feature_row() {
  sh_feature_row row;
  std::memset(&row, 0, sizeof row);
  row.struct_size = sizeof row;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // All fields after late_events are doubles (ABI: append-only doubles block).
  auto* first = reinterpret_cast<unsigned char*>(&row) + offsetof(sh_feature_row, open);
  const size_t n = (sizeof row - offsetof(sh_feature_row, open)) / sizeof(double);
  for (size_t i = 0; i < n; ++i) std::memcpy(first + i * sizeof(double), &nan, sizeof nan);
  return row;
}

Status encode_snapshot_row(const sh_feature_row& row, std::string* value, const double* extra,
                           uint32_t extra_count) {
  if (row.struct_size < kMinRowBytes || row.struct_size > sizeof(sh_feature_row)) {
    return Status::InvalidArgument("feature row struct_size " + std::to_string(row.struct_size) +
                                   " outside [" + std::to_string(kMinRowBytes) + ", " +
                                   std::to_string(sizeof(sh_feature_row)) + "]");
  }
  sh_feature_row copy = row;
  copy.symbol = SH_INVALID_SYMBOL;
  value->clear();
  value->reserve(kSnapshotHeaderBytes + row.struct_size);
  put_le16(value, kSnapshotFormatVersion);
  put_le16(value, static_cast<uint16_t>(kSnapshotHeaderBytes));
  put_le32(value, row.struct_size);
  value->append(reinterpret_cast<const char*>(&copy), row.struct_size);
  if (extra_count > 0) value->append(reinterpret_cast<const char*>(extra), extra_count * sizeof(double));
  return Status::Ok();
}

Status decode_snapshot_row(std::string_view value, sh_feature_row* row, std::vector<double>* extra) {
  if (value.size() < kSnapshotHeaderBytes) {
    return Status::Corruption("snapshot value of " + std::to_string(value.size()) +
                              " bytes is shorter than its header");
  }
  const uint32_t version = get_le(value, 0, 2);
  const uint32_t header_bytes = get_le(value, 2, 2);
  const uint32_t row_bytes = get_le(value, 4, 4);
  if (version != kSnapshotFormatVersion) {
    return Status::Corruption("snapshot format version " + std::to_string(version) +
                              " is not supported by this host (supports " +
                              std::to_string(kSnapshotFormatVersion) + ")");
  }
  if (header_bytes < kSnapshotHeaderBytes || row_bytes < kMinRowBytes ||
      static_cast<uint64_t>(header_bytes) + row_bytes > value.size() ||
      (value.size() - header_bytes - row_bytes) % sizeof(double) != 0) {
    return Status::Corruption("snapshot value sizes disagree (header " +
                              std::to_string(header_bytes) + ", row " +
                              std::to_string(row_bytes) + ", value " +
                              std::to_string(value.size()) + ")");
  }
  sh_feature_row out = null_feature_row();
  const size_t n = row_bytes < sizeof out ? row_bytes : sizeof out;
  std::memcpy(&out, value.data() + header_bytes, n);
  out.struct_size = sizeof out;
  out.symbol = SH_INVALID_SYMBOL;
  *row = out;
  if (extra != nullptr) {
    const size_t at = size_t{header_bytes} + row_bytes;
    extra->resize((value.size() - at) / sizeof(double));
    if (!extra->empty()) std::memcpy(extra->data(), value.data() + at, extra->size() * sizeof(double));
  }
  return Status::Ok();
}

}  // namespace sh::host
