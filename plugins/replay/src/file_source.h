// file_source.h: one input file as a sequence of validated market events.
//
// Rows are read streaming (LineReader) and checked in this order; the first
// failed check names the row's one reason, the row is skipped (BadRowLog) and
// reading carries on:
//
//   1. shape        column_count (CSV) | malformed_json (JSONL) | line_too_long
//   2. ts           missing_field | bad_timestamp; recv_ts likewise if present
//   3. symbol       missing_field | unknown_symbol (not in the allow-list)
//   4. numbers      missing_field | non_numeric | non_finite (NaN, inf)
//   5. enums        bad_side (trades: buy/sell/b/s/1/-1/empty; L2: bid/ask/
//                   b/a/buy/sell/1/-1), bad_level (L2 level not an integer)
//   6. values       bad_price (any price <= 0), bad_size (trade and quote sizes
//                   <= 0; L2 size or bar volume < 0: 0 removes an L2 level,
//                   and a bar with no volume is valid), crossed_book (bid >=
//                   ask), bad_bar (high < low, or open or close outside
//                   [low, high])
//   7. time         out_of_order: ts older than the latest accepted row of the
//                   same symbol in this file.
//                   future_ts: ts later than (wall clock read once at create()
//                   + max_future_s); or ts more than max_future_s after the
//                   latest accepted ts of this file, unless the next row that
//                   passes checks 1-7 confirms the jump (it lies within
//                   [ts, ts + max_future_s]): then both are accepted. So an
//                   isolated bad stamp is dropped, but a real gap (a weekend
//                   in a tick file, a holiday in daily bars) is not. A jump on
//                   the file's last row cannot be confirmed and is dropped.
//                   For bars the jump allowance is max(max_future_s, 7 bar
//                   durations), so daily bars cross weekends and holidays
//                   without needing confirmation.
//
// L2 rows whose level >= l2_levels are not errors: they are dropped and
// counted in the host counter "l2_beyond_levels".
#ifndef SH_REPLAY_FILE_SOURCE_H
#define SH_REPLAY_FILE_SOURCE_H

#include <strategy_host/plugin.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bad_row_log.h"
#include "line_reader.h"
#include "number_parse.h"
#include "replay_config.h"
#include "row_schema.h"
#include "symbol_table.h"

namespace replay {

// One accepted row.
struct Head {
  sh_market_event ev;
  uint64_t line;         // 1-based line in the file
  int32_t symbol_local;  // SymbolTable local index
};

// Settings shared by every file of one provider instance.
struct SourceSettings {
  int64_t max_future_ns;
  int64_t wall_limit_ns;    // wall clock at create() + max_future_ns
  uint32_t l2_levels;
  int64_t bar_duration_ns;  // intraday bars without a per-file duration
  uint32_t log_limit;
  size_t buffer_bytes;      // read size per file
  uint32_t l2_beyond_counter;
  uint32_t read_error_counter;
};

class FileSource {
 public:
  // Opens the file and reads its header (CSV), or its first object (JSONL)
  // when the type must be inferred. Throws sh::ConfigError naming the path
  // when the file cannot be read, a required column is missing, or the type
  // cannot be inferred.
  FileSource(const FileSpec& spec, SymbolTable& symbols, const BadRowCounters& counters,
             const sh::Host& host, const SourceSettings& settings);

  // The next accepted row in file order; false once the file is exhausted
  // (the summary of bad rows has then been logged and the file closed).
  bool next(Head& out);

  // Skips an already-accepted row for a reason found outside the file (the
  // merge's per-symbol order across files).
  void reject(const Head& h, BadRow reason, std::string_view field, std::string_view detail) {
    log_.report(h.line, reason, field, detail);
  }

  const std::string& path() const { return spec_.path; }
  RowType type() const { return type_; }

 private:
  bool read_candidate(Head& out);  // next row passing checks 1-7 except the jump rule
  bool parse_row(std::string_view line, uint64_t line_no, Head& out);
  bool split_csv_row(std::string_view line, uint64_t line_no);
  bool split_json_row(std::string_view line, uint64_t line_no);
  bool resolve_symbol(uint64_t line_no, int32_t& local);
  bool number(Field f, uint64_t line_no, double& out);
  void report_number(Field f, uint64_t line_no, NumStatus st);  // the failure path of number()
  bool optional_number(Field f, uint64_t line_no, double& out);
  bool build_trade(uint64_t line_no, sh_market_event& ev);
  bool build_quote(uint64_t line_no, sh_market_event& ev);
  bool build_l2(uint64_t line_no, sh_market_event& ev);
  bool build_bar(uint64_t line_no, bool date_only, sh_market_event& ev);
  void accept(const Head& h);
  int64_t jump_limit_ns(const Head& h) const;  // allowed gap after the latest accepted ts
  void close();
  void read_header(bool infer_type);
  void infer_jsonl_type();

  FileSpec spec_;
  RowType type_ = RowType::kTrades;
  SymbolTable& symbols_;
  sh::Host host_;
  SourceSettings settings_;
  BadRowLog log_;
  std::unique_ptr<LineReader> reader_;  // null once the file is exhausted

  // CSV: header column -> Field (or kNoField); the count a row must have.
  std::vector<int8_t> column_field_;
  size_t column_count_ = 0;
  bool has_symbol_column_ = false;
  // JSONL: the i-th key of the previous line and its field; files repeat
  // their keys in one order, so this usually avoids the alias lookup.
  struct KeySlot {
    std::string key;
    int field;
  };
  std::vector<KeySlot> key_cache_;

  std::string_view fields_[kFieldCount];  // current row, views into the line
  uint32_t missing_required_ = 0;         // JSONL: required fields absent

  std::string file_symbol_;  // spec symbol or the file stem
  int32_t file_symbol_local_ = SymbolTable::kUnknown;
  bool file_symbol_resolved_ = false;
  // Symbols of up to 8 bytes seen in this file, packed into an integer and
  // kept in an open-addressing table (linear probing, at most half full), so
  // that a row's lookup is a multiply and an integer compare or two, not a
  // string hash and memcmp, however many symbols the file holds. Capped at
  // kMaxPackedSymbols names; beyond that rows use SymbolTable::find.
  struct PackedSymbol {
    uint64_t packed;
    uint32_t len;  // 0: empty slot
    int32_t local;
  };
  static constexpr size_t kMaxPackedSymbols = 1 << 16;
  std::vector<PackedSymbol> packed_symbols_ = std::vector<PackedSymbol>(64);
  size_t packed_count_ = 0;
  int32_t find_packed(std::string_view text);

  std::vector<int64_t> last_ts_by_symbol_;  // local index -> latest accepted ts_ns
  int64_t max_accepted_ts_ns_ = 0;
  bool have_accepted_ = false;
  Head held_{};  // a row that jumped ahead, waiting for confirmation
  bool has_held_ = false;
  Head ready_{};  // the confirming row, returned by the next call
  bool has_ready_ = false;
};

}  // namespace replay

#endif  // SH_REPLAY_FILE_SOURCE_H
