#include "bad_row_log.h"

namespace replay {

namespace {
constexpr const char* kNames[] = {
    "column_count", "malformed_json", "missing_field", "bad_timestamp", "non_numeric",
    "non_finite",   "bad_side",       "bad_level",     "bad_price",     "bad_size",
    "crossed_book", "bad_bar",        "unknown_symbol", "out_of_order", "future_ts",
    "line_too_long", "bad_symbol"};
static_assert(sizeof(kNames) / sizeof(kNames[0]) == static_cast<size_t>(BadRow::kCount),
              "one name per reason");
}  // namespace

const char* bad_row_name(BadRow r) { return kNames[static_cast<size_t>(r)]; }

BadRowCounters::BadRowCounters(const sh::Host& host) {
  for (size_t i = 0; i < ids_.size(); ++i)
    ids_[i] = host.counter(std::string("bad_rows.") + kNames[i]);
}

BadRowLog::BadRowLog(const sh::Host& host, const BadRowCounters& counters, std::string file_label,
                     uint32_t log_limit)
    : host_(host), counters_(counters), label_(std::move(file_label)), log_limit_(log_limit) {}

void BadRowLog::report(uint64_t line, BadRow reason, std::string_view field,
                       std::string_view detail) {
  const size_t r = static_cast<size_t>(reason);
  ++total_;
  host_.add(counters_.id(reason), 1);
  if (++counts_[r] > log_limit_) return;
  std::string msg;
  msg.reserve(label_.size() + 64 + detail.size());
  msg += label_;
  msg += ':';
  msg += std::to_string(line);
  msg += ": ";
  msg += kNames[r];
  msg += " (";
  msg += field;
  msg += ')';
  if (!detail.empty()) {
    msg += ' ';
    msg += detail;
  }
  host_.warn(msg);
}

void BadRowLog::finish() {
  if (finished_ || total_ == 0) return;
  finished_ = true;
  std::string msg = label_ + ": skipped " + std::to_string(total_) + " bad row" +
                    (total_ == 1 ? "" : "s") + ":";
  bool first = true;
  for (size_t r = 0; r < counts_.size(); ++r) {
    if (counts_[r] == 0) continue;
    msg += first ? " " : ", ";
    first = false;
    msg += kNames[r];
    msg += '=';
    msg += std::to_string(counts_[r]);
  }
  msg += " (at most " + std::to_string(log_limit_) + " logged per reason)";
  host_.warn(msg);
}

}  // namespace replay
