#include "events/feed_recovery.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace sh::host {
namespace {

std::optional<int64_t> parse_int(std::string_view s) {
  if (s.empty()) return std::nullopt;
  size_t i = 0;
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    i = 1;
  }
  if (i == s.size()) return std::nullopt;
  int64_t v = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') break;
    v = v * 10 + (c - '0');
  }
  return neg ? -v : v;
}

std::optional<int64_t> line_minute(std::string_view line, FeedFormat format) {
  if (format == FeedFormat::kJsonLines) {
    static constexpr std::string_view kKey = "\"minute_ts_ns\":";
    const size_t at = line.find(kKey);
    if (at == std::string_view::npos) return std::nullopt;
    return parse_int(line.substr(at + kKey.size()));
  }
  const size_t first = line.find(',');
  if (first == std::string_view::npos) return std::nullopt;
  const size_t second = line.find(',', first + 1);
  const std::string_view cell = line.substr(first + 1, second == std::string_view::npos
                                                           ? std::string_view::npos
                                                           : second - first - 1);
  if (cell.empty() || cell[0] < '0' || cell[0] > '9') return std::nullopt;
  return parse_int(cell);
}

Status io_error(const std::filesystem::path& file, const char* what) {
  return Status::IoError(file.string() + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

Status trim_feed_after(const std::filesystem::path& file, FeedFormat format,
                       int64_t last_minute_ts_ns, size_t* removed) {
  if (removed != nullptr) *removed = 0;
  const int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? Status::Ok() : io_error(file, "cannot open to recover");
  struct stat sb {};
  if (::fstat(fd, &sb) != 0) {
    const Status st = io_error(file, "cannot stat");
    ::close(fd);
    return st;
  }
  // Read a window of the tail (doubling while every whole line in it goes),
  // walk its lines from the end. A last line without its newline is a torn
  // write: always dropped.
  const off_t size = sb.st_size;
  off_t end = size;  // the kept part is [0, end)
  size_t dropped = 0;
  for (off_t window = off_t{1} << 16;; window *= 2) {
    const off_t from = size > window ? size - window : 0;
    std::string text(static_cast<size_t>(size - from), '\0');
    if (::pread(fd, text.data(), text.size(), from) != static_cast<ssize_t>(text.size())) {
      const Status st = io_error(file, "cannot read");
      ::close(fd);
      return st;
    }
    end = size;
    dropped = 0;
    size_t line_end = text.size();  // exclusive; text[line_end - 1] == '\n' once past the tail
    if (line_end > 0 && text[line_end - 1] != '\n') {
      const size_t nl = text.rfind('\n');
      if (nl == std::string::npos && from > 0) continue;  // the torn line is longer than the window
      line_end = nl == std::string::npos ? 0 : nl + 1;
      end = from + static_cast<off_t>(line_end);
      ++dropped;
    }
    bool decided = false;
    while (line_end > 0) {
      const size_t nl = line_end >= 2 ? text.rfind('\n', line_end - 2) : std::string::npos;
      if (nl == std::string::npos && from > 0) break;  // starts before the window
      const size_t start = nl == std::string::npos ? 0 : nl + 1;
      const std::optional<int64_t> minute =
          line_minute(std::string_view(text.data() + start, line_end - 1 - start), format);
      if (!minute || *minute <= last_minute_ts_ns) {
        decided = true;
        break;
      }
      end = from + static_cast<off_t>(start);
      ++dropped;
      line_end = start;
    }
    if (decided || line_end == 0 || from == 0) break;
  }
  if (end < size && ::ftruncate(fd, end) != 0) {
    const Status st = io_error(file, "cannot truncate");
    ::close(fd);
    return st;
  }
  ::close(fd);
  if (removed != nullptr) *removed = dropped;
  return Status::Ok();
}

}  // namespace sh::host
