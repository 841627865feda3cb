// JsonlFileSink: events as JSON Lines appended to a file, one
// format_event_json() object per line. Also the shadow sink (same class, other
// path) and a generic line writer (append_line) for other JSONL outputs.
#ifndef SH_HOST_EVENTS_JSONL_FILE_SINK_H
#define SH_HOST_EVENTS_JSONL_FILE_SINK_H

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "events/event_sink.h"

namespace sh::host {

class OutputDigest;
class WriteBatch;

struct JsonlFileSinkOptions {
  std::string path;  // opened O_APPEND|O_CREAT; parent directories created
  // Bytes accepted by the sink are fed to digest->add(digest_stream, ...)
  // when digest is set. The stream name must not depend on the path.
  OutputDigest* digest = nullptr;  // not owned
  std::string digest_stream = "events";
  // fsync after each flush. Off by default: the `events` database in the
  // state store is the durable record; this file is a feed.
  bool fsync_on_flush = false;
  // Digest the bytes as they are written (flush, or the minute writer after
  // hand_over) rather than as they are appended: the same stream bytes.
  bool digest_on_write = false;
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

  // With the minute writer (pipeline/minute_writer.h): what is buffered is
  // written (and, with digest_on_write, digested) by the writer's thread
  // before the minute's transaction; this thread's buffer is free at once.
  // Until that minute is collected, nothing else may write this sink.
  // `more` (optional) appends further lines ("...\n") on the writer's
  // thread, after what was buffered.
  void hand_over(WriteBatch* batch, std::function<void(std::string*)> more = nullptr);

  const std::string& path() const { return options_.path; }
  size_t buffered_bytes() const { return buffer_.size(); }

 private:
  explicit JsonlFileSink(JsonlFileSinkOptions options) : options_(std::move(options)) {}

  // write(2) of all `bytes` (and fsync if configured); *done: how many went.
  Status write_out(std::string_view bytes, size_t* done);

  JsonlFileSinkOptions options_;
  int fd_ = -1;
  std::string buffer_;
  std::string in_flight_;  // handed over, the writer's until the minute is collected
};

}  // namespace sh::host

#endif  // SH_HOST_EVENTS_JSONL_FILE_SINK_H
