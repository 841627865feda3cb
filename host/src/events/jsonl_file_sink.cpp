#include "events/jsonl_file_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "events/output_digest.h"
#include "store/write_batch.h"

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
  if (options_.digest != nullptr && !options_.digest_on_write) {
    options_.digest->add(options_.digest_stream, std::string_view(buffer_).substr(start));
  }
  return Status::Ok();
}

Status JsonlFileSink::write(const EventRecord& record) {
  return append_line(format_event_json(record));
}

Status JsonlFileSink::write_out(std::string_view bytes, size_t* done) {
  *done = 0;
  Status st;
  while (*done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + *done, bytes.size() - *done);
    if (n < 0) {
      if (errno == EINTR) continue;
      st = os_error(options_.path, "write", errno);
      break;
    }
    *done += static_cast<size_t>(n);
  }
  if (options_.digest != nullptr && options_.digest_on_write && *done > 0) {
    options_.digest->add(options_.digest_stream, bytes.substr(0, *done));
  }
  if (!st.ok()) return st;
  if (options_.fsync_on_flush && !bytes.empty() && ::fsync(fd_) != 0) {
    return os_error(options_.path, "fsync", errno);
  }
  return Status::Ok();
}

Status JsonlFileSink::flush() {
  size_t done = 0;
  const Status st = write_out(buffer_, &done);
  buffer_.erase(0, done);  // on failure the unwritten tail stays buffered
  return st;
}

void JsonlFileSink::hand_over(WriteBatch* batch, std::function<void(std::string*)> more) {
  in_flight_.clear();
  std::swap(buffer_, in_flight_);
  if (in_flight_.empty() && !more) return;
  batch->before_txn([this, more = std::move(more)] {
    if (more) more(&in_flight_);
    size_t done = 0;
    return write_out(in_flight_, &done);
  });
}

}  // namespace sh::host
