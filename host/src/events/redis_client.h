// RedisClient: a small synchronous Redis connection over hiredis 0.14
// (RESP2). Binary-safe commands as argv vectors, replies converted to a
// value type, errors as Status naming host:port. One client = one TCP
// connection, used from one thread; a subscriber (SUBSCRIBE param.reload)
// uses its own client with send() + read_reply(). Writes to a reset
// connection return an error: SIGPIPE is blocked in the calling thread for
// the duration of each write (the process-wide disposition is not touched).
#ifndef SH_HOST_EVENTS_REDIS_CLIENT_H
#define SH_HOST_EVENTS_REDIS_CLIENT_H

#include <cstdint>
#include <string>
#include <vector>

#include "store/status.h"

struct redisContext;

namespace sh::host {

struct RedisReply {
  enum class Type { kNil, kStatus, kError, kInteger, kString, kArray };
  Type type = Type::kNil;
  std::string str;                  // kStatus, kError, kString (binary-safe)
  int64_t integer = 0;              // kInteger
  std::vector<RedisReply> elements; // kArray
};

class RedisClient {
 public:
  // timeout_ms bounds connect and every blocking read/write of command().
  RedisClient(std::string host, int port, int timeout_ms = 1000);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // (Re)connects, dropping any previous connection. Status::Unavailable with
  // "redis <host>:<port>: ..." when the server cannot be reached.
  Status connect();
  void close();
  bool connected() const { return ctx_ != nullptr; }
  // "host:port".
  std::string endpoint() const;

  // Sends one command, waits for its reply. A transport failure returns
  // Status::Unavailable and closes the connection (connect() again to
  // retry). An error reply ("-ERR ...") returns Status::RemoteError with the
  // server's text, and *reply is still filled. reply may be nullptr.
  Status command(const std::vector<std::string>& argv, RedisReply* reply);

  // Sends all commands at once, then reads one reply per command, in order.
  // Transport failure: Status::Unavailable (replies incomplete). Error
  // replies: Status::RemoteError naming the first one; all replies are read
  // and stored in *replies (type kError where a command failed).
  Status pipeline(const std::vector<std::vector<std::string>>& commands,
                  std::vector<RedisReply>* replies);

  // For pub/sub: sends a command without waiting for its reply.
  Status send(const std::vector<std::string>& argv);
  // Waits up to timeout_ms for the next reply or pushed message. *got is
  // false when none arrived in time; the connection stays usable.
  Status read_reply(int timeout_ms, RedisReply* reply, bool* got);

 private:
  Status transport_error(const char* what);

  std::string host_;
  int port_;
  int timeout_ms_;
  redisContext* ctx_ = nullptr;
};

}  // namespace sh::host

#endif  // SH_HOST_EVENTS_REDIS_CLIENT_H
