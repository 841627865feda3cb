// JsonlFileSink: events as JSON Lines appended to a file, one
// format_event_json() object per line. Also the shadow sink (same class, other
// path) and a generic line writer (append_line) for other JSONL outputs.
#ifndef SH_HOST_EVENTS_JSONL_FILE_SINK_H
#define SH_HOST_EVENTS_JSONL_FILE_SINK_H

#include <memory>
#include <string>
#include <string_view>

#include "events/event_sink.h"

namespace sh::host {

class OutputDigest;

struct JsonlFileSinkOptions {
  std::string path;  // opened O_APPEND|O_CREAT; parent directories created
  // Bytes accepted by the sink are fed to digest->add(digest_stream, ...)
  // when digest is set. The stream name must not depend on the path.
  OutputDigest* digest = nullptr;  // not owned
  std::string digest_stream = "events";
  // fsync after each flush. Off by default: the `events` database in the
  // state store is the durable record; this file is a feed.
  bool fsync_on_flush = false;
};

class JsonlFileSink : public EventSink {
 public:
  static Status open(const JsonlFileSinkOptions& options, std::unique_ptr<JsonlFileSink>* sink);
  // Flushes what is buffered (errors cannot be reported here: call flush()
  // first) and closes the file.
  ~JsonlFileSink() override;
  JsonlFileSink(const JsonlFileSink&) = delete;
  JsonlFileSink& operator=(const JsonlFileSink&) = delete;

  Status write(const EventRecord& record) override;
  // write(2) of everything buffered (plus fsync if configured). On failure
  // (e.g. ENOSPC) the unwritten tail stays buffered; the message names the
  // path and the OS error.
  Status flush() override;

  // Appends `line` + "\n" (line must not contain a newline).
  Status append_line(std::string_view line);

  const std::string& path() const { return options_.path; }
  size_t buffered_bytes() const { return buffer_.size(); }

 private:
  explicit JsonlFileSink(JsonlFileSinkOptions options) : options_(std::move(options)) {}

  JsonlFileSinkOptions options_;
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace sh::host

#endif  // SH_HOST_EVENTS_JSONL_FILE_SINK_H
