// line_reader.h: streams a file as lines through one reusable buffer (large
// read(2) calls, memchr for the newline). Memory stays at the buffer size
// however large the file is; no allocation per line.
#ifndef SH_REPLAY_LINE_READER_H
#define SH_REPLAY_LINE_READER_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace replay {

class LineReader {
 public:
  // A line longer than this is skipped and reported as kTooLong.
  static constexpr size_t kMaxLineBytes = 1 << 20;

  enum class Status : uint8_t { kLine, kEof, kTooLong, kIoError };

  LineReader() = default;
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Opens path. buffer_bytes is the read size (clamped to [4 KiB, 1 MiB] and
  // to the file's size). On failure returns false and sets error().
  bool open(const std::string& path, size_t buffer_bytes);
  // Starts again from the first byte of the file.
  bool rewind();

  // The next line without its '\n' (and without a trailing '\r'). The view
  // is valid until the next call. line_number() is its 1-based number.
  Status next(std::string_view& line);
  uint64_t line_number() const { return line_no_; }
  const std::string& error() const { return error_; }

 private:
  bool fill();  // reads more bytes after end_; false on I/O error

  int fd_ = -1;
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;
  size_t begin_ = 0;  // first unread byte
  size_t end_ = 0;    // one past the last valid byte
  bool eof_ = false;
  uint64_t line_no_ = 0;
  std::string error_;
};

}  // namespace replay

#endif  // SH_REPLAY_LINE_READER_H
