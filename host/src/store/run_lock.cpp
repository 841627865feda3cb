#include "store/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>

#include "store/time_format.h"

namespace sh::host {

namespace {

std::string read_record(int fd) {
  std::string text;
  char buf[256];
  off_t at = 0;
  for (;;) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    at += n;
    if (text.size() > 4096) break;
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.pop_back();
  return text;
}

std::string lock_path(const std::string& state_dir) {
  return (std::filesystem::path(state_dir) / RunLock::kFileName).string();
}

}  // namespace

Status RunLock::acquire(const std::string& state_dir, std::unique_ptr<RunLock>* out,
                        std::string* previous_holder) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) return Status::IoError("state dir " + state_dir + ": cannot create: " + ec.message());
  const std::string path = lock_path(state_dir);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError(path + ": cannot open the run lock: " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::string record = read_record(fd);
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return Status::FailedPrecondition(
          "state dir " + state_dir + " is in use by another host (" +
          (record.empty() ? std::string("holder unknown") : record) +
          "): one host per state dir; stop that host or set another host.state_dir");
    }
    return Status::IoError(path + ": cannot lock: " + std::strerror(err));
  }
  if (previous_holder != nullptr) *previous_holder = read_record(fd);
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const std::string record = "pid " + std::to_string(::getpid()) + " since " +
                             format_iso8601_utc(now_ns / 1000000000 * 1000000000) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, record.data(), record.size(), 0) != static_cast<ssize_t>(record.size())) {
    const int err = errno;
    ::close(fd);
    return Status::IoError(path + ": cannot write the run lock: " + std::strerror(err));
  }
  out->reset(new RunLock(fd));
  return Status::Ok();
}

std::string RunLock::holder(const std::string& state_dir) {
  const int fd = ::open(lock_path(state_dir).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string record;
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    record = read_record(fd);
    if (record.empty()) record = "holder unknown";
  } else {
    ::flock(fd, LOCK_UN);
  }
  ::close(fd);
  return record;
}

RunLock::~RunLock() {
  // Leave the file (a later start reads the record as "left by"); clear it so
  // a clean stop is not mistaken for a killed host.
  if (::ftruncate(fd_, 0) != 0) {
    // Nothing to do: the lock itself is released by close().
  }
  ::close(fd_);
}

}  // namespace sh::host
