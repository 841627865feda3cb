#include "file_source.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>

#include "number_parse.h"
#include "text_split.h"
#include "timestamp_parse.h"

namespace replay {

namespace {

constexpr int64_t kNoTs = std::numeric_limits<int64_t>::min();
constexpr uint32_t bit(int f) { return 1u << f; }

// The offending text for a message, quoted and cut to a readable length.
std::string shown(std::string_view v) {
  constexpr size_t kMax = 40;
  std::string s = "\"";
  s.append(v.substr(0, kMax));
  if (v.size() > kMax) s += "...";
  s += '"';
  return s;
}

// Why the host refused a symbol name, with its start (the whole name may be
// kilobytes of garbage).
std::string refused_symbol(std::string_view v) {
  std::string why = "a control character";
  if (v.size() > 256) why = std::to_string(v.size()) + " bytes, over 256";
  return shown(v) + " refused by the host (" + why + ")";
}

// A token of up to 8 bytes as one word, byte k in bits 8k..8k+7 (the empty
// token is 0). Tokens are compared as words: writing bytes to a buffer and
// comparing them with wider loads stalls on store forwarding, and this runs
// for every row (it was a third of build_trade).
constexpr uint64_t pack(std::string_view v) {
  uint64_t w = 0;
  for (size_t k = 0; k < v.size(); ++k) w |= static_cast<uint64_t>(static_cast<unsigned char>(v[k])) << (8 * k);
  return w;
}

// The lower-cased token as a word; false if it is longer than 8 bytes or
// holds a NUL (which would make "b\0" equal "b").
bool lower_packed(std::string_view v, uint64_t& out) {
  if (v.size() > 8) return false;
  uint64_t w = 0;
  for (size_t k = 0; k < v.size(); ++k) {
    unsigned char c = static_cast<unsigned char>(v[k]);
    if (c == 0) return false;
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
    w |= static_cast<uint64_t>(c) << (8 * k);
  }
  out = w;
  return true;
}

// Aggressor side of a trade; an empty field is SH_SIDE_UNKNOWN.
bool parse_trade_side(std::string_view v, sh_side& out) {
  uint64_t w = 0;
  if (!lower_packed(trim(v), w)) return false;
  switch (w) {
    case 0: out = SH_SIDE_UNKNOWN; return true;
    case pack("buy"): case pack("b"): case pack("1"): out = SH_SIDE_BUY; return true;
    case pack("sell"): case pack("s"): case pack("-1"): out = SH_SIDE_SELL; return true;
    default: return false;
  }
}

// Book side of an L2 row: BUY is the bid side, SELL the ask side.
bool parse_book_side(std::string_view v, sh_side& out) {
  uint64_t w = 0;
  if (!lower_packed(trim(v), w)) return false;
  switch (w) {
    case pack("bid"): case pack("b"): case pack("buy"): case pack("1"): out = SH_SIDE_BUY; return true;
    case pack("ask"): case pack("a"): case pack("sell"): case pack("offer"): case pack("-1"):
      out = SH_SIDE_SELL;
      return true;
    default: return false;
  }
}

bool truthy(std::string_view v) {
  uint64_t w = 0;
  if (!lower_packed(trim(v), w)) return false;
  switch (w) {
    case pack("1"): case pack("true"): case pack("t"): case pack("yes"): case pack("y"): return true;
    default: return false;
  }
}

std::string ts_text(int64_t ts_ns) { return std::to_string(ts_ns); }

// a - base > limit, without signed overflow for any int64 pair.
bool ahead_by_more_than(int64_t a, int64_t base, int64_t limit) {
  return a > base && static_cast<uint64_t>(a) - static_cast<uint64_t>(base) > static_cast<uint64_t>(limit);
}

}  // namespace

FileSource::FileSource(const FileSpec& spec, SymbolTable& symbols, const BadRowCounters& counters,
                       const sh::Host& host, const SourceSettings& settings)
    : spec_(spec),
      symbols_(symbols),
      host_(host),
      settings_(settings),
      log_(host, counters, spec.path, settings.log_limit),
      reader_(std::make_unique<LineReader>()) {
  if (!reader_->open(spec_.path, settings_.buffer_bytes))
    throw sh::ConfigError("replay: cannot open '" + spec_.path + "': " + reader_->error());
  file_symbol_ = !spec_.symbol.empty() ? spec_.symbol
                                       : std::filesystem::path(spec_.path).stem().string();
  if (spec_.type) type_ = *spec_.type;
  if (spec_.format == Format::kCsv) {
    read_header(!spec_.type.has_value());
  } else if (!spec_.type) {
    infer_jsonl_type();
  }
  // A CSV file without a symbol column has one symbol for all its rows; when
  // the allow-list excludes it, skip the file whole instead of every row.
  if (reader_ && spec_.format == Format::kCsv && !has_symbol_column_) {
    file_symbol_local_ = file_symbol_.empty() ? SymbolTable::kUnknown : symbols_.find(file_symbol_);
    file_symbol_resolved_ = true;
    if (file_symbol_local_ == SymbolTable::kUnknown) {
      host_.info(spec_.path + ": skipped: its symbol '" + file_symbol_ +
                 "' is not in the symbols allow-list");
      close();
    }
  }
}

void FileSource::read_header(bool infer_type) {
  std::string_view line;
  for (;;) {
    const LineReader::Status st = reader_->next(line);
    if (st == LineReader::Status::kEof) {
      if (infer_type)
        throw sh::ConfigError("replay: '" + spec_.path + "' is empty: cannot infer its type");
      host_.info(spec_.path + ": empty file");
      close();
      return;
    }
    if (st != LineReader::Status::kLine)
      throw sh::ConfigError("replay: cannot read the header of '" + spec_.path +
                            "': " + (st == LineReader::Status::kTooLong ? "line too long"
                                                                         : reader_->error()));
    if (!trim(line).empty()) break;
  }
  uint32_t present = 0;
  std::string duplicate;
  split_csv(line, [&](size_t, std::string_view cell) {
    const int f = field_for_header(cell);
    if (f != kNoField) {
      if (present & bit(f)) duplicate = field_name(static_cast<Field>(f));
      present |= bit(f);
    }
    column_field_.push_back(static_cast<int8_t>(f));
  });
  column_count_ = column_field_.size();
  if (!duplicate.empty())
    throw sh::ConfigError("replay: '" + spec_.path + "': two header columns name the field '" +
                          duplicate + "'");
  if (infer_type && !infer_row_type(present, type_))
    throw sh::ConfigError("replay: '" + spec_.path + "': cannot infer trades/quotes/l2/bars from header '" +
                          std::string(line) + "'; set type");
  const uint32_t missing = required_fields(type_) & ~present;
  if (missing != 0)
    throw sh::ConfigError("replay: '" + spec_.path + "': missing column(s) " + field_list(missing) +
                          " required for " + row_type_name(type_) + " (header: " +
                          std::string(line) + ")");
  has_symbol_column_ = (present & bit(kSymbol)) != 0;
}

void FileSource::infer_jsonl_type() {
  std::string_view line;
  for (;;) {
    const LineReader::Status st = reader_->next(line);
    if (st == LineReader::Status::kEof)
      throw sh::ConfigError("replay: '" + spec_.path + "' is empty: cannot infer its type");
    if (st != LineReader::Status::kLine)
      throw sh::ConfigError("replay: cannot read '" + spec_.path + "'");
    if (!trim(line).empty()) break;
  }
  uint32_t present = 0;
  const bool ok = scan_flat_object(line, [&](std::string_view key, std::string_view, bool) {
    const int f = field_for_header(key);
    if (f != kNoField) present |= bit(f);
  });
  if (!ok || !infer_row_type(present, type_))
    throw sh::ConfigError("replay: '" + spec_.path +
                          "': cannot infer trades/quotes/l2/bars from its first line; set type");
  if (!reader_->rewind())
    throw sh::ConfigError("replay: cannot rewind '" + spec_.path + "': " + reader_->error());
}

void FileSource::close() {
  reader_.reset();  // frees the buffer and the descriptor as soon as possible
}

bool FileSource::next(Head& out) {
  if (has_ready_) {
    out = ready_;
    has_ready_ = false;
    return true;
  }
  // The row is parsed straight into `out`: a parsed Head copied out of a
  // local just after its fields were written stalled on store forwarding
  // (wide loads over narrow fresh stores), most of this function's time.
  for (;;) {
    if (!read_candidate(out)) {
      if (has_held_) {
        log_.report(held_.line, BadRow::kFutureTs, "ts",
                    ts_text(held_.ev.ts_ns) + " is more than max_future_s after " +
                        ts_text(max_accepted_ts_ns_) + " (last row, not confirmed)");
        has_held_ = false;
      }
      log_.finish();
      close();
      return false;
    }
    const int64_t limit_ns = jump_limit_ns(out);
    const bool jumps =
        have_accepted_ && ahead_by_more_than(out.ev.ts_ns, max_accepted_ts_ns_, limit_ns);
    if (has_held_) {
      has_held_ = false;
      if (jumps && out.ev.ts_ns >= held_.ev.ts_ns &&
          !ahead_by_more_than(out.ev.ts_ns, held_.ev.ts_ns, limit_ns)) {
        // A real gap: the held row is confirmed. This row was checked for
        // order without it, but its ts >= held.ts, so accepting both keeps
        // order.
        accept(held_);
        accept(out);
        ready_ = out;
        has_ready_ = true;
        out = held_;
        return true;
      }
      log_.report(held_.line, BadRow::kFutureTs, "ts",
                  ts_text(held_.ev.ts_ns) + " is more than max_future_s after " +
                      ts_text(max_accepted_ts_ns_));
    }
    if (jumps) {
      held_ = out;
      has_held_ = true;
      continue;
    }
    accept(out);
    return true;
  }
}

int64_t FileSource::jump_limit_ns(const Head& h) const {
  if (type_ != RowType::kBars) return settings_.max_future_ns;
  const int64_t d = h.ev.data.bar.duration_ns;
  if (d > std::numeric_limits<int64_t>::max() / 7) return std::numeric_limits<int64_t>::max();
  return std::max(settings_.max_future_ns, 7 * d);
}

void FileSource::accept(const Head& h) {
  last_ts_by_symbol_[static_cast<size_t>(h.symbol_local)] = h.ev.ts_ns;
  if (!have_accepted_ || h.ev.ts_ns > max_accepted_ts_ns_) max_accepted_ts_ns_ = h.ev.ts_ns;
  have_accepted_ = true;
}

bool FileSource::read_candidate(Head& out) {
  if (!reader_) return false;
  std::string_view line;
  for (;;) {
    const LineReader::Status st = reader_->next(line);
    if (st == LineReader::Status::kLine) {
      if (line.empty()) continue;
      if (parse_row(line, reader_->line_number(), out)) return true;
      continue;
    }
    if (st == LineReader::Status::kTooLong) {
      log_.report(reader_->line_number(), BadRow::kLineTooLong, "line",
                  "longer than " + std::to_string(LineReader::kMaxLineBytes) + " bytes");
      continue;
    }
    if (st == LineReader::Status::kIoError) {
      host_.error(spec_.path + ": read error after line " +
                  std::to_string(reader_->line_number()) + ": " + reader_->error() +
                  "; the rest of the file is skipped");
      host_.add(settings_.read_error_counter, 1);
    }
    return false;
  }
}

bool FileSource::split_csv_row(std::string_view line, uint64_t line_no) {
  const int8_t* map = column_field_.data();
  const size_t ncols = column_count_;
  const size_t n = split_csv(line, [&](size_t col, std::string_view cell) {
    if (col < ncols && map[col] >= 0) fields_[map[col]] = cell;
  });
  if (n != ncols) {
    if (n == 1 && trim(line).empty()) return false;  // a blank line is not a row
    log_.report(line_no, BadRow::kColumnCount, "row",
                std::to_string(n) + " fields, header has " + std::to_string(ncols));
    return false;
  }
  return true;
}

bool FileSource::split_json_row(std::string_view line, uint64_t line_no) {
  for (auto& f : fields_) f = std::string_view();
  uint32_t present = 0;
  size_t i = 0;
  const bool ok = scan_flat_object(line, [&](std::string_view key, std::string_view value, bool) {
    int f;
    if (i < key_cache_.size() && key_cache_[i].key == key) {
      f = key_cache_[i].field;
    } else {
      f = field_for_header(key);
      if (i < key_cache_.size()) key_cache_[i] = KeySlot{std::string(key), f};
      else if (i < 64) key_cache_.push_back(KeySlot{std::string(key), f});
    }
    ++i;
    if (f != kNoField && !value.empty()) {
      fields_[f] = value;
      present |= bit(f);
    }
  });
  if (!ok) {
    if (trim(line).empty()) return false;
    log_.report(line_no, BadRow::kMalformedJson, "row", "not one flat JSON object");
    return false;
  }
  missing_required_ = required_fields(type_) & ~present;
  return true;
}

int32_t FileSource::find_packed(std::string_view text) {
  // Byte by byte, not memcpy: a variable-length copy into a stack word then
  // an 8-byte load stalls on store forwarding (it was 18 % of a replay).
  uint64_t packed = 0;
  const uint32_t len = static_cast<uint32_t>(text.size());
  for (uint32_t k = 0; k < len; ++k)
    packed |= static_cast<uint64_t>(static_cast<unsigned char>(text[k])) << (8 * k);
  size_t mask = packed_symbols_.size() - 1;
  size_t i = static_cast<size_t>(((packed ^ len) * 0x9E3779B97F4A7C15ULL) >> 40) & mask;
  for (;; i = (i + 1) & mask) {
    const PackedSymbol& e = packed_symbols_[i];
    if (e.len == 0) break;
    if (e.packed == packed && e.len == len) return e.local;
  }
  const int32_t local = symbols_.find(text);
  if (packed_count_ >= kMaxPackedSymbols) return local;
  if (2 * (packed_count_ + 1) > packed_symbols_.size()) {  // grow, keep it at most half full
    std::vector<PackedSymbol> old(packed_symbols_.size() * 2);
    old.swap(packed_symbols_);
    mask = packed_symbols_.size() - 1;
    for (const PackedSymbol& e : old) {
      if (e.len == 0) continue;
      size_t j = static_cast<size_t>(((e.packed ^ e.len) * 0x9E3779B97F4A7C15ULL) >> 40) & mask;
      while (packed_symbols_[j].len != 0) j = (j + 1) & mask;
      packed_symbols_[j] = e;
    }
    i = static_cast<size_t>(((packed ^ len) * 0x9E3779B97F4A7C15ULL) >> 40) & mask;
    while (packed_symbols_[i].len != 0) i = (i + 1) & mask;
  }
  packed_symbols_[i] = {packed, len, local};
  ++packed_count_;
  return local;
}

bool FileSource::resolve_symbol(uint64_t line_no, int32_t& local) {
  const std::string_view text = trim(fields_[kSymbol]);
  if (text.empty()) {
    if (spec_.format == Format::kCsv && has_symbol_column_) {
      log_.report(line_no, BadRow::kMissingField, "symbol", {});
      return false;
    }
    // No symbol column (CSV) or key (JSONL): the file's symbol.
    if (!file_symbol_resolved_) {
      file_symbol_local_ = file_symbol_.empty() ? SymbolTable::kUnknown : symbols_.find(file_symbol_);
      file_symbol_resolved_ = true;
    }
    local = file_symbol_local_;
    if (local == SymbolTable::kRefused) {
      log_.report(line_no, BadRow::kBadSymbol, "symbol", refused_symbol(file_symbol_) + " (file symbol)");
      return false;
    }
    if (local == SymbolTable::kUnknown) {
      log_.report(line_no, BadRow::kUnknownSymbol, "symbol", shown(file_symbol_) + " (file symbol)");
      return false;
    }
  } else if (text.size() <= 8) {
    local = find_packed(text);
  } else {
    local = symbols_.find(text);
  }
  if (local == SymbolTable::kRefused) {
    log_.report(line_no, BadRow::kBadSymbol, "symbol", refused_symbol(text));
    return false;
  }
  if (local == SymbolTable::kUnknown) {
    log_.report(line_no, BadRow::kUnknownSymbol, "symbol", shown(text));
    return false;
  }
  if (static_cast<size_t>(local) >= last_ts_by_symbol_.size())
    last_ts_by_symbol_.resize(symbols_.size(), kNoTs);
  return true;
}

// Inlined into the row builders: it runs for every numeric field of every row.
__attribute__((always_inline)) inline bool FileSource::number(Field f, uint64_t line_no,
                                                              double& out) {
  const NumStatus st = parse_double(fields_[f], out);
  if (__builtin_expect(st == NumStatus::kOk, 1)) return true;
  report_number(f, line_no, st);
  return false;
}

void FileSource::report_number(Field f, uint64_t line_no, NumStatus st) {
  switch (st) {
    case NumStatus::kOk:
      return;
    case NumStatus::kEmpty:
      log_.report(line_no, BadRow::kMissingField, field_name(f), {});
      return;
    case NumStatus::kNotNumber:
      log_.report(line_no, BadRow::kNonNumeric, field_name(f), shown(fields_[f]));
      return;
    case NumStatus::kNonFinite:
      log_.report(line_no, BadRow::kNonFinite, field_name(f), shown(fields_[f]));
      return;
  }
}

bool FileSource::optional_number(Field f, uint64_t line_no, double& out) {
  if (trim(fields_[f]).empty()) {
    out = sh::kNull;
    return true;
  }
  return number(f, line_no, out);
}

bool FileSource::parse_row(std::string_view line, uint64_t line_no, Head& out) {
  if (spec_.format == Format::kCsv) {
    if (!split_csv_row(line, line_no)) return false;
  } else {
    if (!split_json_row(line, line_no)) return false;
    if (missing_required_ != 0) {
      const int f = __builtin_ctz(missing_required_);
      log_.report(line_no, BadRow::kMissingField, field_name(static_cast<Field>(f)), {});
      return false;
    }
  }

  sh_market_event& ev = out.ev;
  ev = sh_market_event{};
  ev.struct_size = sizeof(sh_market_event);
  bool date_only = false;
  switch (parse_timestamp(fields_[kTs], ev.ts_ns, date_only)) {
    case TsStatus::kOk:
      break;
    case TsStatus::kEmpty:
      log_.report(line_no, BadRow::kMissingField, "ts", {});
      return false;
    case TsStatus::kBad:
      log_.report(line_no, BadRow::kBadTimestamp, "ts", shown(fields_[kTs]));
      return false;
  }
  if (!fields_[kRecvTs].empty()) {
    bool unused;
    const TsStatus st = parse_timestamp(fields_[kRecvTs], ev.recv_ts_ns, unused);
    if (st == TsStatus::kBad) {
      log_.report(line_no, BadRow::kBadTimestamp, "recv_ts", shown(fields_[kRecvTs]));
      return false;
    }
    if (st == TsStatus::kEmpty) ev.recv_ts_ns = 0;
  }

  int32_t local;
  if (!resolve_symbol(line_no, local)) return false;
  ev.symbol = symbols_.host_id(local);
  out.symbol_local = local;
  out.line = line_no;

  bool ok = false;
  switch (type_) {
    case RowType::kTrades: ok = build_trade(line_no, ev); break;
    case RowType::kQuotes: ok = build_quote(line_no, ev); break;
    case RowType::kL2: ok = build_l2(line_no, ev); break;
    case RowType::kBars: ok = build_bar(line_no, date_only, ev); break;
  }
  if (!ok) return false;

  const int64_t last_ts = last_ts_by_symbol_[static_cast<size_t>(local)];
  if (last_ts != kNoTs && ev.ts_ns < last_ts) {
    log_.report(line_no, BadRow::kOutOfOrder, "ts",
                ts_text(ev.ts_ns) + " < " + ts_text(last_ts) + " (earlier row of this symbol)");
    return false;
  }
  if (ev.ts_ns > settings_.wall_limit_ns) {
    log_.report(line_no, BadRow::kFutureTs, "ts",
                ts_text(ev.ts_ns) + " is more than max_future_s after the wall clock");
    return false;
  }
  return true;
}

bool FileSource::build_trade(uint64_t line_no, sh_market_event& ev) {
  ev.type = SH_EVENT_TRADE;
  sh_trade& t = ev.data.trade;
  if (!number(kPrice, line_no, t.price) || !number(kSize, line_no, t.size)) return false;
  if (!parse_trade_side(fields_[kSide], t.side)) {
    log_.report(line_no, BadRow::kBadSide, "side", shown(fields_[kSide]));
    return false;
  }
  if (!trim(fields_[kTradeId]).empty() && parse_u64(fields_[kTradeId], t.trade_id) != NumStatus::kOk) {
    log_.report(line_no, BadRow::kNonNumeric, "trade_id", shown(fields_[kTradeId]));
    return false;
  }
  if (!(t.price > 0)) {
    log_.report(line_no, BadRow::kBadPrice, "price", shown(fields_[kPrice]));
    return false;
  }
  if (!(t.size > 0)) {
    log_.report(line_no, BadRow::kBadSize, "size", shown(fields_[kSize]));
    return false;
  }
  return true;
}

bool FileSource::build_quote(uint64_t line_no, sh_market_event& ev) {
  ev.type = SH_EVENT_QUOTE;
  sh_quote& q = ev.data.quote;
  if (!number(kBid, line_no, q.bid) || !number(kBidSize, line_no, q.bid_size) ||
      !number(kAsk, line_no, q.ask) || !number(kAskSize, line_no, q.ask_size))
    return false;
  if (!(q.bid > 0)) {
    log_.report(line_no, BadRow::kBadPrice, "bid", shown(fields_[kBid]));
    return false;
  }
  if (!(q.ask > 0)) {
    log_.report(line_no, BadRow::kBadPrice, "ask", shown(fields_[kAsk]));
    return false;
  }
  if (!(q.bid_size > 0)) {
    log_.report(line_no, BadRow::kBadSize, "bid_size", shown(fields_[kBidSize]));
    return false;
  }
  if (!(q.ask_size > 0)) {
    log_.report(line_no, BadRow::kBadSize, "ask_size", shown(fields_[kAskSize]));
    return false;
  }
  if (q.bid >= q.ask) {
    log_.report(line_no, BadRow::kCrossedBook, "bid",
                "bid " + std::string(trim(fields_[kBid])) + " >= ask " +
                    std::string(trim(fields_[kAsk])));
    return false;
  }
  return true;
}

bool FileSource::build_l2(uint64_t line_no, sh_market_event& ev) {
  ev.type = SH_EVENT_L2;
  sh_l2_level& l = ev.data.l2;
  if (!parse_book_side(fields_[kSide], l.side) || l.side == SH_SIDE_UNKNOWN) {
    log_.report(line_no, BadRow::kBadSide, "side", shown(fields_[kSide]));
    return false;
  }
  uint64_t level;
  if (parse_u64(fields_[kLevel], level) != NumStatus::kOk || level > UINT32_MAX) {
    log_.report(line_no, BadRow::kBadLevel, "level", shown(fields_[kLevel]));
    return false;
  }
  l.level = static_cast<uint32_t>(level);
  if (!number(kPrice, line_no, l.price) || !number(kSize, line_no, l.size)) return false;
  if (!(l.price > 0)) {
    log_.report(line_no, BadRow::kBadPrice, "price", shown(fields_[kPrice]));
    return false;
  }
  if (l.size < 0) {
    log_.report(line_no, BadRow::kBadSize, "size", shown(fields_[kSize]));
    return false;
  }
  if (l.level >= settings_.l2_levels) {
    host_.add(settings_.l2_beyond_counter, 1);  // deeper than configured: dropped, not bad
    return false;
  }
  if (truthy(fields_[kSnapshot])) ev.flags |= SH_EVENT_FLAG_SNAPSHOT;
  return true;
}

bool FileSource::build_bar(uint64_t line_no, bool date_only, sh_market_event& ev) {
  ev.type = SH_EVENT_BAR;
  sh_bar& b = ev.data.bar;
  if (!number(kOpen, line_no, b.open) || !number(kHigh, line_no, b.high) ||
      !number(kLow, line_no, b.low) || !number(kClose, line_no, b.close) ||
      !optional_number(kVolume, line_no, b.volume))
    return false;
  const Field prices[] = {kOpen, kHigh, kLow, kClose};
  const double values[] = {b.open, b.high, b.low, b.close};
  for (int i = 0; i < 4; ++i) {
    if (!(values[i] > 0)) {
      log_.report(line_no, BadRow::kBadPrice, field_name(prices[i]), shown(fields_[prices[i]]));
      return false;
    }
  }
  if (b.volume < 0) {  // NaN (no volume column) compares false: kept as null
    log_.report(line_no, BadRow::kBadSize, "volume", shown(fields_[kVolume]));
    return false;
  }
  if (b.high < b.low) {
    log_.report(line_no, BadRow::kBadBar, "high", "high < low");
    return false;
  }
  if (b.open < b.low || b.open > b.high) {
    log_.report(line_no, BadRow::kBadBar, "open", "open outside [low, high]");
    return false;
  }
  if (b.close < b.low || b.close > b.high) {
    log_.report(line_no, BadRow::kBadBar, "close", "close outside [low, high]");
    return false;
  }
  b.duration_ns = spec_.bar_duration_ns > 0 ? spec_.bar_duration_ns
                  : date_only               ? 86400LL * 1000000000LL
                                            : settings_.bar_duration_ns;
  return true;
}

}  // namespace replay
