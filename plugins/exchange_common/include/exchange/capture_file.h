// capture_file.h: raw frames with their receive time, as they travel from the
// I/O thread to poll(), and as captures store them (format: README.md,
// "Capture format"; the same for every venue but the name). A capture
// replayed through the same decoder gives the same events.
#ifndef SH_EXCHANGE_CAPTURE_FILE_H
#define SH_EXCHANGE_CAPTURE_FILE_H

#include <zlib.h>

#include <cstdint>
#include <string>
#include <vector>

namespace exchange {

enum class FrameKind : char {
  kText = 'W',          // a WebSocket text frame (payload: the frame)
  kSnapshot = 'S',      // a REST snapshot reply (symbol; payload: the body)
  kConnected = 'C',     // a new stream session began (payload: the URL target)
  kDisconnected = 'D',  // the session ended (payload: the reason)
  kOverflow = 'O',      // the queue was full and frames were dropped (payload: count)
  kEnd = 'E',           // the feed stopped for good
  kClock = 'T'          // the host read the receive clock: every frame received before
                        // recv_ts_ns is above this line (minutes close on it)
};

struct RawFrame {
  int64_t recv_ts_ns = 0;
  FrameKind kind = FrameKind::kText;
  std::string symbol;   // kSnapshot only: the configured symbol
  std::string payload;  // capacity() >= size() + kFramePadding when built by make_frame
};

// Bytes a JSON parser may read past a payload's end (simdjson's
// SIMDJSON_PADDING; the venue parsers check that it is enough).
inline constexpr size_t kFramePadding = 64;

// A frame whose payload has room for kFramePadding more bytes.
RawFrame make_frame(int64_t recv_ts_ns, FrameKind kind, const char* data, size_t len,
                    std::string symbol = std::string());

// Writes rotating gzip files DIR/<venue>-<first recv_ts_ns>-<seq>.cap.gz,
// each starting with the line "# sh-<venue>-capture v1".
class CaptureWriter {
 public:
  CaptureWriter(std::string dir, uint64_t rotate_frames, std::string venue);
  ~CaptureWriter();
  CaptureWriter(const CaptureWriter&) = delete;
  CaptureWriter& operator=(const CaptureWriter&) = delete;
  // False on an I/O error (error() says which); later calls try a new file.
  bool write(const RawFrame& f);
  void flush();
  const std::string& error() const { return error_; }
  uint64_t files_opened() const { return seq_; }

 private:
  bool open(int64_t first_ts_ns);
  void close();
  std::string dir_;
  uint64_t rotate_frames_;
  std::string venue_;
  gzFile gz_ = nullptr;
  uint64_t frames_in_file_ = 0;
  uint64_t seq_ = 0;
  std::string line_;
  std::string error_;
};

// Reads a capture file, or every *.cap.gz of a directory in name order.
class CaptureReader {
 public:
  explicit CaptureReader(const std::string& file_or_dir);  // throws std::runtime_error
  ~CaptureReader();
  CaptureReader(const CaptureReader&) = delete;
  CaptureReader& operator=(const CaptureReader&) = delete;
  // False at the end of the last file. A line that does not parse is skipped
  // and counted in bad_lines().
  bool next(RawFrame* out);
  uint64_t bad_lines() const { return bad_lines_; }

 private:
  bool read_line(std::string* line);
  std::vector<std::string> files_;
  size_t file_index_ = 0;
  gzFile gz_ = nullptr;
  std::vector<char> buf_;
  uint64_t bad_lines_ = 0;
};

}  // namespace exchange

#endif
