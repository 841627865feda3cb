// stream_reader.cpp: StreamReader. Every connection transition is counted in
// the IoReport and logged; poll() forwards both to the host.
#include "stream_reader.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cmath>
#include <memory>

namespace redis_stream {

namespace {

int64_t wall_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

timeval to_timeval(int64_t ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  return tv;
}

std::string reply_text(const redisReply* r) {
  return r != nullptr && r->str != nullptr ? std::string(r->str, r->len) : std::string();
}

bool is_error(const redisReply* r, const char* prefix) {
  return r->type == REDIS_REPLY_ERROR && reply_text(r).rfind(prefix, 0) == 0;
}

struct ReplyFree {
  void operator()(redisReply* r) const {
    if (r != nullptr) freeReplyObject(r);
  }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

constexpr size_t kAckChunk = 1000;
constexpr int64_t kStepMs = 10;  // sleep granularity while waiting (stop, clock)

}  // namespace

StreamReader::StreamReader(const StreamConfig& config, EntryQueue& queue, IoReport& report)
    : config_(config), queue_(queue), report_(report), parser_(config), rng_(std::random_device{}()) {}

StreamReader::~StreamReader() { stop(); }

void StreamReader::start() {
  last_entry_at_ = Steady::now();
  thread_ = std::thread([this] { run(); });
}

void StreamReader::stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true, std::memory_order_release);
  queue_.wake();
  thread_.join();
}

size_t StreamReader::batch_limit() const {
  size_t n = std::min<size_t>(config_.count, config_.queue_capacity);
  if (config_.stop_after_entries > 0)
    n = std::min<size_t>(n, config_.stop_after_entries - std::min(entries_total_, config_.stop_after_entries));
  return n;
}

void StreamReader::run() {
  while (!stopping_.load(std::memory_order_acquire)) {
    if (ctx_ == nullptr && !connect()) {
      wait_backoff();
      continue;
    }
    Outcome out = flush_acks();
    if (out == Outcome::kOk && !ended_) {
      const size_t limit = batch_limit();
      // Behind (queue full): neither read nor move the clock; Redis keeps the rest.
      if (!queue_.wait_for_room(limit, 50)) continue;
      out = read_once();
    } else if (out == Outcome::kOk) {
      // Ended: keep sending acks until stopped; nothing more is read.
      std::this_thread::sleep_for(std::chrono::milliseconds(kStepMs));
      queue_.advance_clock(wall_now_ns());
    }
    if (out == Outcome::kNoGroup) {
      report_.log(SH_LOG_WARN, "consumer group '" + config_.group + "' is gone (NOGROUP); creating it again");
      if (!ensure_group()) disconnect("cannot create the group again: " + last_error_);
    } else if (out == Outcome::kFailed) {
      disconnect(last_error_);
    }
  }
  if (ctx_ != nullptr) {
    flush_acks();  // what poll() handed back before stop(); the rest stays pending
    redisFree(ctx_);
    ctx_ = nullptr;
  }
}

redisReply* StreamReader::command(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> argvlen;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    argvlen.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(
      redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), argvlen.data()));
  if (r == nullptr) last_error_ = ctx_->errstr[0] != '\0' ? ctx_->errstr : "connection lost";
  return r;
}

bool StreamReader::connect() {
  report_.add(IoReport::kConnectAttempts);
  ctx_ = redisConnectWithTimeout(config_.host.c_str(), config_.port, to_timeval(config_.connect_timeout_ms));
  if (ctx_ == nullptr || ctx_->err != 0) {
    last_error_ = ctx_ != nullptr ? ctx_->errstr : "out of memory";
    if (ctx_ != nullptr) redisFree(ctx_);
    ctx_ = nullptr;
    report_.add(IoReport::kConnectFailures);
    report_.log(SH_LOG_WARN, "cannot connect to " + config_.endpoint() + ": " + last_error_);
    return false;
  }
  // A blocked read returns within block_ms; a silent server is cut after this.
  redisSetTimeout(ctx_, to_timeval(config_.block_ms + config_.connect_timeout_ms));
  redisEnableKeepAlive(ctx_);
  auto setup = [&](const std::vector<std::string>& args, const char* what) {
    Reply r(command(args));
    if (!r) return false;
    if (r->type == REDIS_REPLY_ERROR) {
      last_error_ = std::string(what) + ": " + reply_text(r.get());
      return false;
    }
    return true;
  };
  bool ok = true;
  if (!config_.password.empty()) {
    ok = config_.user.empty() ? setup({"AUTH", config_.password}, "AUTH")
                              : setup({"AUTH", config_.user, config_.password}, "AUTH");
  }
  if (ok && config_.db != 0) ok = setup({"SELECT", std::to_string(config_.db)}, "SELECT");
  if (ok) ok = config_.uses_group() ? ensure_group() : resolve_start();
  if (!ok) {
    redisFree(ctx_);
    ctx_ = nullptr;
    report_.add(IoReport::kConnectFailures);
    report_.log(SH_LOG_WARN, "connected to " + config_.endpoint() + " but setup failed: " + last_error_);
    return false;
  }
  reading_pending_ = config_.uses_group();
  cursor_ = config_.uses_group() ? StreamId{} : cursor_;
  attempt_ = 0;
  report_.add(IoReport::kConnections);
  if (sessions_ > 0) report_.add(IoReport::kReconnects);
  ++sessions_;
  std::string what = "connected to " + config_.endpoint() + (sessions_ > 1 ? " (reconnect)" : "") +
                     ": stream '" + config_.stream + "'";
  if (config_.uses_group())
    what += ", group '" + config_.group + "' as '" + config_.consumer + "' (pending entries first)";
  else
    what += " after id " + cursor_.str();
  report_.log(SH_LOG_INFO, what);
  return true;
}

void StreamReader::disconnect(const std::string& why) {
  if (ctx_ == nullptr) return;
  redisFree(ctx_);
  ctx_ = nullptr;
  report_.add(IoReport::kDisconnects);
  report_.log(SH_LOG_WARN, "connection to " + config_.endpoint() + " lost: " + why);
}

bool StreamReader::ensure_group() {
  // Missing after entries were handed over (Redis restarted without its
  // data): created after the last of them, so that entries added since Redis
  // came back are read and none is doubled.
  const std::string id = delivered_any_ ? last_delivered_.str() : config_.start_id;
  Reply r(command({"XGROUP", "CREATE", config_.stream, config_.group, id, "MKSTREAM"}));
  if (!r) return false;
  if (is_error(r.get(), "BUSYGROUP")) return true;
  if (r->type == REDIS_REPLY_ERROR) {
    last_error_ = "XGROUP CREATE: " + reply_text(r.get());
    return false;
  }
  report_.add(IoReport::kGroupsCreated);
  report_.log(SH_LOG_INFO, "created consumer group '" + config_.group + "' on '" + config_.stream +
                               "' at id " + id);
  reading_pending_ = true;
  cursor_ = StreamId{};
  return true;
}

bool StreamReader::resolve_start() {
  if (have_cursor_) return true;
  if (config_.start_id != "$") {
    StreamId::parse(config_.start_id, cursor_);
    have_cursor_ = true;
    return true;
  }
  Reply r(command({"XREVRANGE", config_.stream, "+", "-", "COUNT", "1"}));
  if (!r) return false;
  if (r->type != REDIS_REPLY_ARRAY) {
    last_error_ = "XREVRANGE: " + (r->type == REDIS_REPLY_ERROR ? reply_text(r.get()) : "unexpected reply");
    return false;
  }
  cursor_ = StreamId{};
  if (r->elements > 0 && r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements > 0)
    StreamId::parse(reply_text(r->element[0]->element[0]), cursor_);
  have_cursor_ = true;
  return true;
}

StreamReader::Outcome StreamReader::flush_acks() {
  if (!config_.uses_group()) return Outcome::kOk;
  queue_.take_acks(acks_);
  while (!acks_.empty()) {
    const size_t n = std::min(acks_.size(), kAckChunk);
    std::vector<std::string> args = {"XACK", config_.stream, config_.group};
    for (size_t i = 0; i < n; ++i) args.push_back(acks_[i].str());
    Reply r(command(args));
    if (!r) return Outcome::kFailed;  // kept: sent again after the reconnect
    if (is_error(r.get(), "NOGROUP")) {
      acks_.clear();  // a new group has nothing of these pending
      return Outcome::kNoGroup;
    }
    if (r->type == REDIS_REPLY_INTEGER) report_.add(IoReport::kAcked, r->integer);
    else report_.log(SH_LOG_WARN, "XACK answered: " + reply_text(r.get()));
    acks_.erase(acks_.begin(), acks_.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return Outcome::kOk;
}

StreamReader::Outcome StreamReader::read_once() {
  const std::string count = std::to_string(batch_limit());
  const std::string block = std::to_string(config_.block_ms);
  std::vector<std::string> args;
  if (!config_.uses_group()) {
    args = {"XREAD", "COUNT", count, "BLOCK", block, "STREAMS", config_.stream, cursor_.str()};
  } else if (reading_pending_) {
    args = {"XREADGROUP", "GROUP", config_.group, config_.consumer, "COUNT", count,
            "STREAMS", config_.stream, cursor_.str()};
  } else {
    args = {"XREADGROUP", "GROUP", config_.group, config_.consumer, "COUNT", count,
            "BLOCK", block, "STREAMS", config_.stream, ">"};
  }
  Reply r(command(args));
  const int64_t recv_ts_ns = wall_now_ns();
  if (!r) return Outcome::kFailed;
  if (is_error(r.get(), "NOGROUP")) return Outcome::kNoGroup;
  if (r->type == REDIS_REPLY_ERROR) {
    last_error_ = args[0] + ": " + reply_text(r.get());
    return Outcome::kFailed;
  }
  size_t seen = 0;
  if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 && r->element[0]->type == REDIS_REPLY_ARRAY &&
      r->element[0]->elements == 2 && r->element[0]->element[1]->type == REDIS_REPLY_ARRAY) {
    const redisReply* entries = r->element[0]->element[1];
    FieldList fields;
    for (size_t i = 0; i < entries->elements; ++i) {
      const redisReply* e = entries->element[i];
      if (e->type != REDIS_REPLY_ARRAY || e->elements != 2) continue;
      StreamId id;
      if (!StreamId::parse(reply_text(e->element[0]), id)) continue;
      ++seen;
      cursor_ = id;
      // A pending entry already handed over awaits its ack: not again.
      if (reading_pending_ && delivered_any_ && id <= last_delivered_) continue;
      ParsedEntry p;
      p.id = id;
      p.recv_ts_ns = recv_ts_ns;
      const redisReply* kv = e->element[1];
      if (kv->type != REDIS_REPLY_ARRAY) {
        p.status = EntryStatus::kMalformed;  // deleted (XDEL, trimmed) while pending
        p.reason = "deleted entry";
        p.detail = "the entry was deleted from the stream before it was read";
      } else {
        fields.clear();
        for (size_t k = 0; k + 1 < kv->elements; k += 2)
          fields.emplace_back(std::string_view(kv->element[k]->str ? kv->element[k]->str : "", kv->element[k]->len),
                              std::string_view(kv->element[k + 1]->str ? kv->element[k + 1]->str : "",
                                               kv->element[k + 1]->len));
        parser_.parse(fields, p);
      }
      last_delivered_ = std::max(last_delivered_, id);
      delivered_any_ = true;
      batch_.push_back(std::move(p));
    }
  }
  if (reading_pending_ && seen == 0) reading_pending_ = false;  // the pending list is done: now '>'
  if (!batch_.empty()) {
    entries_total_ += batch_.size();
    report_.add(IoReport::kEntriesRead, static_cast<int64_t>(batch_.size()));
    last_entry_at_ = Steady::now();
    queue_.push(batch_, recv_ts_ns);
  } else {
    queue_.advance_clock(recv_ts_ns);  // nothing arrived before recv_ts_ns
  }
  if (config_.stop_after_entries > 0 && entries_total_ >= config_.stop_after_entries)
    finish("stop_after_entries reached (" + std::to_string(config_.stop_after_entries) + ")");
  check_idle();
  return Outcome::kOk;
}

void StreamReader::check_idle() {
  if (ended_ || config_.stop_when_idle_ms <= 0) return;
  if (Steady::now() - last_entry_at_ >= std::chrono::milliseconds(config_.stop_when_idle_ms))
    finish("no entry for " + std::to_string(config_.stop_when_idle_ms) + " ms (stop_when_idle_ms)");
}

void StreamReader::finish(const std::string& why) {
  if (ended_) return;
  ended_ = true;
  report_.log(SH_LOG_INFO, why + ": the stream ends after " + std::to_string(entries_total_) + " entries");
  queue_.push_end();
}

void StreamReader::wait_backoff() {
  const auto& b = config_.backoff;
  const double base = std::min<double>(static_cast<double>(b.max_ms),
                                       static_cast<double>(b.initial_ms) * std::pow(b.multiplier, attempt_));
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const auto delay_ms = static_cast<int64_t>(std::max(1.0, base * (1.0 + b.jitter * u(rng_))));
  ++attempt_;
  report_.log(SH_LOG_INFO, "reconnecting in " + std::to_string(delay_ms) + " ms (attempt " +
                               std::to_string(attempt_) + ")");
  const auto until = Steady::now() + std::chrono::milliseconds(delay_ms);
  while (!stopping_.load(std::memory_order_acquire) && Steady::now() < until) {
    // Nothing is read while Redis is away: the receive clock moves on.
    queue_.advance_clock(wall_now_ns());
    check_idle();
    std::this_thread::sleep_for(std::min<Steady::duration>(std::chrono::milliseconds(kStepMs),
                                                           until - Steady::now()));
  }
}

}  // namespace redis_stream
