#include "events/jsonl_file_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "events/output_digest.h"

namespace sh::host {
namespace {

Status os_error(const std::string& path, const char* what, int err) {
  std::string msg = "event sink " + path + ": " + what + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return Status::Full(std::move(msg));
  return Status::IoError(std::move(msg));
}

}  // namespace

Status JsonlFileSink::open(const JsonlFileSinkOptions& options,
                           std::unique_ptr<JsonlFileSink>* sink) {
  if (options.path.empty()) return Status::InvalidArgument("event sink: empty path");
  const std::filesystem::path parent = std::filesystem::path(options.path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return Status::IoError("event sink " + options.path + ": cannot create directory: " +
                             ec.message());
    }
  }
  const int fd = ::open(options.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return os_error(options.path, "open", errno);
  std::unique_ptr<JsonlFileSink> s(new JsonlFileSink(options));
  s->fd_ = fd;
  *sink = std::move(s);
  return Status::Ok();
}

JsonlFileSink::~JsonlFileSink() {
  if (fd_ >= 0) {
    (void)flush();
    ::close(fd_);
  }
}

Status JsonlFileSink::append_line(std::string_view line) {
  if (line.find('\n') != std::string_view::npos) {
    return Status::InvalidArgument("event sink " + options_.path + ": line contains a newline");
  }
  const size_t start = buffer_.size();
  buffer_.append(line);
  buffer_.push_back('\n');
  if (options_.digest != nullptr) {
    options_.digest->add(options_.digest_stream, std::string_view(buffer_).substr(start));
  }
  return Status::Ok();
}

Status JsonlFileSink::write(const EventRecord& record) {
  return append_line(format_event_json(record));
}

Status JsonlFileSink::flush() {
  size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      buffer_.erase(0, done);
      return os_error(options_.path, "write", err);
    }
    done += static_cast<size_t>(n);
  }
  buffer_.clear();
  if (options_.fsync_on_flush && ::fsync(fd_) != 0) return os_error(options_.path, "fsync", errno);
  return Status::Ok();
}

}  // namespace sh::host
