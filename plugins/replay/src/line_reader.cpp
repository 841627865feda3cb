#include "line_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace replay {

LineReader::~LineReader() {
  if (fd_ >= 0) ::close(fd_);
}

bool LineReader::open(const std::string& path, size_t buffer_bytes) {
  // O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever,
  // before the type check below could refuse it. Reads of a regular file
  // never block anyway.
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd_ < 0) {
    error_ = std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    error_ = std::strerror(errno);
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    error_ = "is a directory";
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    // /dev/zero or a pipe never ends: a replay reads files (a live stream is
    // a provider of its own).
    error_ = std::string("not a regular file (") +
             (S_ISCHR(st.st_mode) ? "a character device" : S_ISFIFO(st.st_mode) ? "a pipe" :
              S_ISSOCK(st.st_mode) ? "a socket" : S_ISBLK(st.st_mode) ? "a block device" : "not a file") +
             "); replay reads files";
    return false;
  }
  // Small files get a buffer just large enough; +1 so that reading the whole
  // file still leaves room to detect end of file in the same read.
  size_t cap = std::clamp<size_t>(buffer_bytes, 4096, kMaxLineBytes);
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) + 1 < cap)
    cap = std::max<size_t>(static_cast<size_t>(st.st_size) + 1, 256);
  cap_ = cap;
  buf_.reset(new char[cap_]);
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  return true;
}

bool LineReader::rewind() {
  if (::lseek(fd_, 0, SEEK_SET) != 0) {
    error_ = std::strerror(errno);
    return false;
  }
  begin_ = end_ = 0;
  eof_ = false;
  line_no_ = 0;
  return true;
}

bool LineReader::fill() {
  if (begin_ > 0) {
    std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == cap_) {
    // A line fills the whole buffer: grow up to the line limit.
    const size_t cap = std::min(cap_ * 2, kMaxLineBytes);
    if (cap == cap_) return true;  // caller sees a full buffer and skips the line
    std::unique_ptr<char[]> grown(new char[cap]);
    std::memcpy(grown.get(), buf_.get(), end_);
    buf_ = std::move(grown);
    cap_ = cap;
  }
  for (;;) {
    const ssize_t n = ::read(fd_, buf_.get() + end_, cap_ - end_);
    if (n > 0) {
      end_ += static_cast<size_t>(n);
      return true;
    }
    if (n == 0) {
      eof_ = true;
      return true;
    }
    if (errno == EINTR) continue;
    error_ = std::strerror(errno);
    return false;
  }
}

LineReader::Status LineReader::next(std::string_view& line) {
  bool skipping = false;  // inside a line longer than kMaxLineBytes
  for (;;) {
    const char* base = buf_.get() + begin_;
    const size_t avail = end_ - begin_;
    const char* nl = avail ? static_cast<const char*>(std::memchr(base, '\n', avail)) : nullptr;
    if (nl != nullptr) {
      size_t len = static_cast<size_t>(nl - base);
      begin_ += len + 1;
      ++line_no_;
      if (skipping) return Status::kTooLong;
      if (len > 0 && base[len - 1] == '\r') --len;
      line = std::string_view(base, len);
      return Status::kLine;
    }
    if (eof_) {
      if (avail == 0) {
        if (!skipping) return Status::kEof;
        ++line_no_;  // an over-long last line without '\n'
        return Status::kTooLong;
      }
      begin_ = end_;  // the last line has no '\n'
      ++line_no_;
      if (skipping) return Status::kTooLong;
      size_t len = avail;
      if (base[len - 1] == '\r') --len;
      line = std::string_view(base, len);
      return Status::kLine;
    }
    if (avail == cap_ && cap_ >= kMaxLineBytes) {
      skipping = true;  // drop what we have and keep looking for the newline
      begin_ = end_ = 0;
    }
    if (!fill()) return Status::kIoError;
  }
}

}  // namespace replay
