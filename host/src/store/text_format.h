// How values are rendered as text in everything the host writes (snapshot
// exports, event lines). One place, so that CSV, JSONL and Redis agree byte
// for byte and the output digest is stable.
#ifndef SH_HOST_STORE_TEXT_FORMAT_H
#define SH_HOST_STORE_TEXT_FORMAT_H

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <strategy_host/abi.h>

namespace sh::host {

// Appends the shortest decimal text that parses back to exactly `value`
// (std::to_chars round-trip; e.g. 0.1 -> "0.1", 1e21 -> "1e+21").
// Non-finite values are written as "nan", "inf", "-inf": callers that must
// render null (NaN) differently check std::isnan first.
void append_double(std::string* out, double value);
std::string format_double(double value);

// Appends `text` as a JSON string literal (quotes included). Control
// characters are escaped as \uXXXX (\n, \t, ... by their short forms); bytes
// >= 0x80 are copied unchanged (callers pass UTF-8).
void append_json_string(std::string* out, std::string_view text);

// Appends a double as a JSON value: null for NaN, the string "inf"/"-inf"
// for infinities (JSON has no literal for them), the round-trip number
// otherwise.
void append_json_double(std::string* out, double value);

// Writes into the end of a std::string through a cursor: each piece is an
// inline memcpy into room reserved ahead (grown geometrically), not a
// std::string::append call. For formatters that write hundreds of small
// pieces per line (the decision log). The same bytes as the append_*
// functions above. The string has its final size once finish() ran (the
// destructor calls it if it was not called); do not touch the string in
// between, nor write through the writer after finish().
class TextWriter {
 public:
  explicit TextWriter(std::string* out, size_t reserve = 256) : s_(out), n_(out->size()) {
    s_->resize(n_ + reserve);
  }
  ~TextWriter() {
    if (!finished_) finish();
  }
  TextWriter(const TextWriter&) = delete;
  TextWriter& operator=(const TextWriter&) = delete;

  template <size_t K>
  void lit(const char (&text)[K]) {  // a string literal, without its NUL
    put(text, K - 1);
  }
  void put(std::string_view text) { put(text.data(), text.size()); }
  void put(const char* p, size_t k) {
    std::memcpy(room(k), p, k);
    n_ += k;
  }
  void put(char c) {
    *room(1) = c;
    ++n_;
  }
  void integer(int64_t v);
  void number(double v);        // as append_double
  void json_double(double v);   // as append_json_double
  void json_string(std::string_view text);  // as append_json_string
  void finish() {
    s_->resize(n_);
    finished_ = true;
  }

 private:
  char* room(size_t k) {
    if (n_ + k > s_->size()) grow(k);
    return &(*s_)[n_];
  }
  void grow(size_t k);
  std::string* s_;
  size_t n_;
  bool finished_ = false;
};

// Appends `text` as one CSV cell (RFC 4180): quoted when it contains a comma,
// a quote, CR or LF; quotes doubled.
void append_csv_cell(std::string* out, std::string_view text);

// The one list of DQ names: "ok", "stale_book", "no_trades", "gap", "late",
// "clock_skew" (SH_DQ_* in order, from 0); nullptr for a value this host
// does not know (a newer producer).
const char* dq_known_name(sh_dq_status dq);
// dq_known_name, or "dq_<n>" for an unknown value.
std::string dq_status_name(sh_dq_status dq);

}  // namespace sh::host

#endif  // SH_HOST_STORE_TEXT_FORMAT_H
