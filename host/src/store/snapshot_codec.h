// Key and value encoding of the `features_snapshot` database.
//
// Key:   symbol name, '\0', minute_ts_ns as big-endian uint64.
//        memcmp order (LMDB's default) therefore groups a symbol's rows and
//        orders them by time, so one cursor range scan reads a symbol's
//        history. Names, not ids: symbol ids are process-local. Timestamps
//        must be >= 0 (before 1970 would not sort).
// Value: an 8-byte header, then the sh_feature_row bytes:
//          u16 format_version (little-endian, = kSnapshotFormatVersion)
//          u16 header_bytes   (little-endian, = 8; lets v1 readers skip a
//                              longer header a later version may write)
//          u32 row_bytes      (little-endian, the row's struct_size)
//        The row bytes are the ABI struct in host byte order (LMDB files are
//        not portable across endianness anyway). The row's `symbol` id is
//        stored as 0: it means nothing in another process. A reader copies
//        min(row_bytes, sizeof(sh_feature_row)) bytes over a row pre-filled
//        with nulls, so rows written by an older host (shorter struct) read
//        back with the newer fields null, and a newer host's extra fields are
//        ignored.
//        Then the configured feature columns that have no field in the row
//        (config `features:`; FeatureSet::extra_columns(), in column
//        order), 8 bytes each, host byte order. The default set has none,
//        so its values are the header and the row alone. The store's meta
//        `feature_set` names the columns (state_store.h).
#ifndef SH_HOST_STORE_SNAPSHOT_CODEC_H
#define SH_HOST_STORE_SNAPSHOT_CODEC_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <strategy_host/abi.h>

#include "store/status.h"

namespace sh::host {

constexpr uint16_t kSnapshotFormatVersion = 1;
constexpr size_t kSnapshotHeaderBytes = 8;

// Checks that `symbol` can be part of a key (non-empty, no '\0', not longer
// than kMaxSymbolBytes).
constexpr size_t kMaxSymbolBytes = 256;
Status validate_snapshot_symbol(std::string_view symbol);

// Key of a features_snapshot row: big-endian minute_ts_ns, then the symbol
// name. Minute-major on purpose: a minute close appends its rows contiguously
// (a few dozen dirty pages instead of one per symbol, ~15x less to write per
// 1,000-symbol close); a per-symbol range is read with one seek per minute.
std::string snapshot_key(std::string_view symbol, int64_t minute_ts_ns);
// Splits a key produced by snapshot_key; false if malformed.
bool parse_snapshot_key(std::string_view key, std::string* symbol, int64_t* minute_ts_ns);

// A row with struct_size = sizeof(sh_feature_row), every double NaN and every
// integer 0: the base a decoded row is copied over.
sh_feature_row null_feature_row();

// row.struct_size must be in [offsetof(late_events)+4, sizeof(sh_feature_row)]
// (the host's own rows always have sizeof).
// extra: `extra_count` column values appended after the row.
Status encode_snapshot_row(const sh_feature_row& row, std::string* value,
                           const double* extra = nullptr, uint32_t extra_count = 0);
// On success *row has struct_size = sizeof(sh_feature_row) and symbol = 0;
// *extra (if given) the appended column values.
Status decode_snapshot_row(std::string_view value, sh_feature_row* row,
                           std::vector<double>* extra = nullptr);

}  // namespace sh::host

#endif  // SH_HOST_STORE_SNAPSHOT_CODEC_H
