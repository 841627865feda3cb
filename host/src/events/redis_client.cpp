#include "events/redis_client.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <cstring>

namespace sh::host {
namespace {

timeval to_timeval(int ms) {
  timeval tv;
  tv.tv_sec = ms / 1000;
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  return tv;
}

void convert(const redisReply* r, RedisReply* out) {
  out->elements.clear();
  out->str.clear();
  out->integer = 0;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out->type = RedisReply::Type::kString;
      out->str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out->type = RedisReply::Type::kStatus;
      out->str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out->type = RedisReply::Type::kError;
      out->str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out->type = RedisReply::Type::kInteger;
      out->integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out->type = RedisReply::Type::kArray;
      out->elements.resize(r->elements);
      for (size_t i = 0; i < r->elements; ++i) convert(r->element[i], &out->elements[i]);
      break;
    default:
      out->type = RedisReply::Type::kNil;
  }
}

// Blocks SIGPIPE in this thread while alive and discards one raised
// meanwhile, so that writing to a reset socket fails with EPIPE instead of
// killing the host (Linux has no SO_NOSIGPIPE and hiredis 0.14 uses
// write(2)). Leaves the process-wide disposition alone.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeGuard() {
    if (!was_pending_) {
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec zero{0, 0};
        while (sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
        }
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

struct Argv {
  explicit Argv(const std::vector<std::string>& args) {
    ptrs.reserve(args.size());
    lens.reserve(args.size());
    for (const std::string& a : args) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
  }
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
};

}  // namespace

RedisClient::RedisClient(std::string host, int port, int timeout_ms)
    : host_(std::move(host)), port_(port), timeout_ms_(timeout_ms) {}

RedisClient::~RedisClient() { close(); }

std::string RedisClient::endpoint() const { return host_ + ":" + std::to_string(port_); }

void RedisClient::close() {
  if (ctx_ != nullptr) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
}

Status RedisClient::connect() {
  close();
  redisContext* c = redisConnectWithTimeout(host_.c_str(), port_, to_timeval(timeout_ms_));
  if (c == nullptr) {
    return Status::Unavailable("redis " + endpoint() + ": connect failed: out of memory");
  }
  if (c->err != 0) {
    std::string msg = "redis " + endpoint() + ": connect failed: " + c->errstr;
    redisFree(c);
    return Status::Unavailable(std::move(msg));
  }
  // Bound every later blocking read/write; keepalive notices dead peers on
  // idle subscriber connections.
  if (redisSetTimeout(c, to_timeval(timeout_ms_)) != REDIS_OK) {
    std::string msg = "redis " + endpoint() + ": set timeout failed: " + c->errstr;
    redisFree(c);
    return Status::Unavailable(std::move(msg));
  }
  redisEnableKeepAlive(c);
  ctx_ = c;
  return Status::Ok();
}

Status RedisClient::transport_error(const char* what) {
  std::string reason = "connection lost";
  if (ctx_ != nullptr && ctx_->errstr[0] != '\0') reason = ctx_->errstr;
  close();
  return Status::Unavailable("redis " + endpoint() + ": " + what + ": " + reason);
}

Status RedisClient::command(const std::vector<std::string>& argv, RedisReply* reply) {
  if (ctx_ == nullptr) return Status::Unavailable("redis " + endpoint() + ": not connected");
  if (argv.empty()) return Status::InvalidArgument("redis: empty command");
  Argv a(argv);
  SigpipeGuard no_sigpipe;
  auto* r = static_cast<redisReply*>(redisCommandArgv(ctx_, static_cast<int>(a.ptrs.size()),
                                                      a.ptrs.data(), a.lens.data()));
  if (r == nullptr) return transport_error(argv[0].c_str());
  RedisReply local;
  RedisReply* out = reply != nullptr ? reply : &local;
  convert(r, out);
  freeReplyObject(r);
  if (out->type == RedisReply::Type::kError) {
    return Status::RemoteError("redis " + endpoint() + ": " + argv[0] + ": " + out->str);
  }
  return Status::Ok();
}

Status RedisClient::pipeline(const std::vector<std::vector<std::string>>& commands,
                             std::vector<RedisReply>* replies) {
  replies->clear();
  if (ctx_ == nullptr) return Status::Unavailable("redis " + endpoint() + ": not connected");
  SigpipeGuard no_sigpipe;
  for (const auto& argv : commands) {
    if (argv.empty()) return Status::InvalidArgument("redis: empty command in pipeline");
    Argv a(argv);
    if (redisAppendCommandArgv(ctx_, static_cast<int>(a.ptrs.size()), a.ptrs.data(),
                               a.lens.data()) != REDIS_OK) {
      return transport_error("append");
    }
  }
  Status first_error;
  replies->resize(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    // The first call writes the whole output buffer, then reads.
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
      replies->resize(i);
      return transport_error(commands[i][0].c_str());
    }
    auto* r = static_cast<redisReply*>(raw);
    convert(r, &(*replies)[i]);
    freeReplyObject(r);
    if ((*replies)[i].type == RedisReply::Type::kError && first_error.ok()) {
      first_error = Status::RemoteError("redis " + endpoint() + ": " + commands[i][0] + ": " +
                                        (*replies)[i].str);
    }
  }
  return first_error;
}

Status RedisClient::send(const std::vector<std::string>& argv) {
  if (ctx_ == nullptr) return Status::Unavailable("redis " + endpoint() + ": not connected");
  if (argv.empty()) return Status::InvalidArgument("redis: empty command");
  Argv a(argv);
  SigpipeGuard no_sigpipe;
  if (redisAppendCommandArgv(ctx_, static_cast<int>(a.ptrs.size()), a.ptrs.data(),
                             a.lens.data()) != REDIS_OK) {
    return transport_error("append");
  }
  int done = 0;
  while (!done) {
    if (redisBufferWrite(ctx_, &done) != REDIS_OK) return transport_error(argv[0].c_str());
  }
  return Status::Ok();
}

Status RedisClient::read_reply(int timeout_ms, RedisReply* reply, bool* got) {
  *got = false;
  if (ctx_ == nullptr) return Status::Unavailable("redis " + endpoint() + ": not connected");
  for (int round = 0; round < 2; ++round) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(ctx_, &raw) != REDIS_OK) return transport_error("read");
    if (raw != nullptr) {
      convert(static_cast<redisReply*>(raw), reply);
      freeReplyObject(raw);
      *got = true;
      return Status::Ok();
    }
    if (round == 1) break;  // a partial reply: the caller reads again
    // Wait with poll() rather than the socket timeout: a timed-out hiredis
    // read marks the context as failed, a poll timeout does not.
    pollfd pfd{ctx_->fd, POLLIN, 0};
    const int n = ::poll(&pfd, 1, timeout_ms);
    if (n == 0 || (n < 0 && errno == EINTR)) return Status::Ok();
    if (n < 0) return transport_error("poll");
    if (redisBufferRead(ctx_) != REDIS_OK) return transport_error("read");
  }
  return Status::Ok();
}

}  // namespace sh::host
