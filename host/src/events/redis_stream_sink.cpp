#include "events/redis_stream_sink.h"

#include "events/output_digest.h"

namespace sh::host {

RedisStreamSink::RedisStreamSink(RedisStreamSinkOptions options)
    : options_(std::move(options)),
      client_(options_.host, options_.port, options_.timeout_ms) {}

Status RedisStreamSink::write(const EventRecord& record) {
  std::string line = format_event_json(record);
  if (options_.digest != nullptr) {
    line.push_back('\n');
    options_.digest->add(options_.digest_stream, line);
    line.pop_back();
  }
  std::vector<std::string> argv;
  argv.reserve(14);
  argv.emplace_back("XADD");
  argv.push_back(options_.stream);
  if (options_.maxlen > 0) {
    argv.emplace_back("MAXLEN");
    argv.emplace_back("~");
    argv.push_back(std::to_string(options_.maxlen));
  }
  argv.emplace_back("*");
  argv.emplace_back("seq");
  argv.push_back(std::to_string(record.seq));
  argv.emplace_back("symbol");
  argv.push_back(record.symbol);
  argv.emplace_back("class");
  argv.push_back(record.hit_class);
  argv.emplace_back("event");
  argv.push_back(std::move(line));
  pending_.push_back(std::move(argv));
  return Status::Ok();
}

// One attempt: connect if needed, pipeline everything pending. Entries the
// server acknowledged (added, or rejected with an error reply) leave pending_.
Status RedisStreamSink::send_pending() {
  if (!client_.connected()) {
    Status st = client_.connect();
    if (!st.ok()) return st;
  }
  std::vector<RedisReply> replies;
  Status st = client_.pipeline(pending_, &replies);
  // replies.size() commands were answered, in order.
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(replies.size()));
  if (st.code() == Status::Code::kRemoteError) {
    // Deterministic rejections (e.g. WRONGTYPE): resending cannot help.
    size_t failed = 0;
    for (const RedisReply& r : replies) failed += r.type == RedisReply::Type::kError ? 1 : 0;
    return Status::RemoteError("redis stream " + options_.stream + ": " +
                               std::to_string(failed) + " of " + std::to_string(replies.size()) +
                               " entries rejected; first: " + st.message());
  }
  return st;
}

Status RedisStreamSink::flush() {
  if (pending_.empty()) return Status::Ok();
  Status st = send_pending();
  if (st.code() != Status::Code::kUnavailable) return st;
  // Connection refused or broken: reconnect once and resend the rest.
  client_.close();
  st = send_pending();
  if (st.code() == Status::Code::kUnavailable) {
    return Status::Unavailable(st.message() + " (" + std::to_string(pending_.size()) +
                               " events kept for the next flush)");
  }
  return st;
}

}  // namespace sh::host
