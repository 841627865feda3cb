// entry_parser.h: one stream entry (its field/value pairs) -> one market
// event, or the reason it cannot be one. The entry schema is documented in
// README.md ("The entry schema"). Runs on the reader thread: it touches no
// host service, so the symbol travels as text and poll() interns it.
#ifndef SH_REDIS_STREAM_ENTRY_PARSER_H
#define SH_REDIS_STREAM_ENTRY_PARSER_H

#include <strategy_host/abi.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "stream_config.h"

namespace redis_stream {

// A stream entry id, <ms>-<seq>; ordered as Redis orders them.
struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;
  bool operator<(const StreamId& o) const { return ms != o.ms ? ms < o.ms : seq < o.seq; }
  bool operator<=(const StreamId& o) const { return !(o < *this); }
  bool operator==(const StreamId& o) const { return ms == o.ms && seq == o.seq; }
  std::string str() const { return std::to_string(ms) + "-" + std::to_string(seq); }
  // "<ms>" or "<ms>-<seq>"; false when s is neither.
  static bool parse(std::string_view s, StreamId& out);
};

enum class EntryStatus : uint8_t {
  kOk,           // event holds it (symbol: the name, not yet interned)
  kMalformed,    // missing or bad field, bad symbol, a deleted entry
  kUnknownType,  // a `type` this provider does not know
  kFiltered      // a symbol outside the `symbols` allow-list
};

struct ParsedEntry {
  StreamId id;
  int64_t recv_ts_ns = 0;  // wall time the entry was read
  EntryStatus status = EntryStatus::kOk;
  std::string symbol;
  std::string reason;  // not kOk: a short category ("missing field"), the rate-limit key
  std::string detail;  // not kOk: what exactly ("field 'price' is missing")
  sh_market_event event{};  // kOk: every field but symbol
};

using FieldList = std::vector<std::pair<std::string_view, std::string_view>>;

// Longest symbol name taken (the host takes up to 256 bytes).
constexpr size_t kMaxSymbolBytes = 64;

class EntryParser {
 public:
  explicit EntryParser(const StreamConfig& config);
  // Fills out (id and recv_ts_ns are the caller's).
  void parse(const FieldList& fields, ParsedEntry& out) const;

 private:
  int64_t ts_unit_ns_;
  std::unordered_set<std::string> allowed_;  // empty = every symbol
};

// Timestamp text -> ns since the epoch: an integer in unit_ns, or ISO-8601
// UTC "2026-01-01T00:00:00.123Z" (also with an offset, or without a zone).
bool parse_timestamp(std::string_view s, int64_t unit_ns, int64_t& ts_ns);

}  // namespace redis_stream

#endif
