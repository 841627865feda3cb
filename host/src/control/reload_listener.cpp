#include "control/reload_listener.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <random>

#include "control/reload_message.h"
#include "control/reload_signing.h"
#include "services/host_clock.h"

namespace sh::host {
namespace {

constexpr size_t kMaxBacklog = 10000;      // outcome entries kept while Redis is away
constexpr size_t kMaxPendingComponents = 1024;
constexpr size_t kMaxGuardKeys = 100000;
constexpr int64_t kPingIdleNs = 5'000'000'000;  // subscriber liveness PING after 5 s idle

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string outcome_version(const ReloadOutcome& o) {
  if (!o.request.version.empty()) return o.request.version;
  if (!o.content_hash.empty()) return o.content_hash;
  return "-";
}

bool parse_number(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  while (end != nullptr && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')) ++end;
  if (end == nullptr || *end != '\0' || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

std::string printable(const std::string& s) {
  std::string out;
  for (char c : s.substr(0, 64)) out += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
  return s.size() > 64 ? out + "..." : out;
}

}  // namespace

ReloadListener::ReloadListener(ControlConfig config, RedisSettings redis, Callbacks callbacks)
    : config_(std::move(config)), redis_(std::move(redis)), callbacks_(std::move(callbacks)) {
  tokens_ = config_.max_messages_per_second;
}

ReloadListener::~ReloadListener() { stop(); }

void ReloadListener::start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void ReloadListener::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

ReloadListenerStats ReloadListener::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void ReloadListener::publish_outcome(const ReloadOutcome& outcome) {
  QueuedOutcome q;
  q.outcome = outcome;
  if (!outcome.applied && !outcome.reason.empty()) q.category = "swap";
  queue_outcome(std::move(q));
}

void ReloadListener::publish_stream_entry(std::vector<std::string> fields) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.push_back(std::move(fields));
  }
  cv_.notify_all();
}

void ReloadListener::queue_outcome(QueuedOutcome q) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    outcomes_.push_back(std::move(q));
  }
  cv_.notify_all();
}

// ---- control thread -------------------------------------------------------

void ReloadListener::run() {
  std::minstd_rand rng(std::random_device{}());
  int backoff_ms = config_.reconnect_initial_ms;
  bool ever_connected = false;
  bool failing = false;  // an outage is in progress (logged once)
  uint64_t failed_attempts = 0;
  while (!stop_) {
    (void)process_outcomes();
    Status st = connect_and_subscribe();
    if (st.ok()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++stats_.connects;
        if (ever_connected || failing) ++stats_.reconnects;
        stats_.connected = true;
      }
      if (failing) {
        spdlog::info("control: reconnected to redis {} after {} failed attempt(s); subscribed to {}",
                     sub_->endpoint(), failed_attempts, config_.channel);
      } else {
        spdlog::info("control: subscribed to {} on redis {}", config_.channel, sub_->endpoint());
      }
      ever_connected = true;
      failing = false;
      failed_attempts = 0;
      st = reconcile();
      if (st.ok()) {
        backoff_ms = config_.reconnect_initial_ms;
        st = read_loop();
      }
    }
    // A clean stop still delivers what is queued while the connection is up.
    if (stop_ && cmd_ && cmd_->connected()) (void)process_outcomes();
    close_connections();
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.connected = false;
    }
    if (stop_) break;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.connect_failures;
    }
    ++failed_attempts;
    if (!failing) {
      spdlog::warn("control: {}; reconnecting with backoff {}..{} ms", st.message(),
                   config_.reconnect_initial_ms, config_.reconnect_max_ms);
      failing = true;
    } else {
      spdlog::debug("control: reconnect attempt {} failed: {}", failed_attempts, st.message());
    }
    // Equal jitter: hosts that lost Redis together do not come back in step.
    const int half = backoff_ms / 2;
    sleep_ms(half + static_cast<int>(rng() % static_cast<unsigned>(backoff_ms - half + 1)));
    backoff_ms = std::min(backoff_ms * 2, config_.reconnect_max_ms);
  }
  close_connections();
  // Log what is still queued; the stream writes are lost with the connection.
  (void)process_outcomes();
}

void ReloadListener::sleep_ms(int ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!stop_) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, deadline, [this] { return stop_.load() || !outcomes_.empty() || !entries_.empty(); });
    }
    (void)process_outcomes();
    if (std::chrono::steady_clock::now() >= deadline) return;
  }
}

void ReloadListener::close_connections() {
  if (sub_) sub_->close();
  if (cmd_) cmd_->close();
}

Status ReloadListener::connect_and_subscribe() {
  if (!sub_) sub_ = std::make_unique<RedisClient>(redis_.host, redis_.port, redis_.timeout_ms);
  if (!cmd_) cmd_ = std::make_unique<RedisClient>(redis_.host, redis_.port, redis_.timeout_ms);
  Status st = sub_->connect();
  if (st.ok()) st = cmd_->connect();
  if (st.ok()) st = sub_->send({"SUBSCRIBE", config_.channel});
  if (!st.ok()) return st;
  // Subscribe first: anything published from now on reaches us, so what
  // reconcile reads next cannot fall in a gap.
  const auto deadline = steady_ns() + int64_t{redis_.timeout_ms} * 1'000'000;
  while (steady_ns() < deadline && !stop_) {
    RedisReply r;
    bool got = false;
    st = sub_->read_reply(config_.poll_interval_ms, &r, &got);
    if (!st.ok()) return st;
    if (!got) continue;
    if (r.type == RedisReply::Type::kError) {
      return Status::RemoteError("redis " + sub_->endpoint() + ": SUBSCRIBE: " + r.str);
    }
    if (r.type == RedisReply::Type::kArray && r.elements.size() == 3 &&
        r.elements[0].str == "subscribe") {
      last_traffic_ns_ = steady_ns();
      ping_sent_ns_ = 0;
      return Status::Ok();
    }
  }
  if (stop_) return Status::Unavailable("stopping");
  return Status::Unavailable("redis " + sub_->endpoint() + ": SUBSCRIBE " + config_.channel +
                             ": no confirmation within " + std::to_string(redis_.timeout_ms) + " ms");
}

Status ReloadListener::reconcile() {
  reconciled_bodies_.clear();
  RedisReply r;
  Status st = cmd_->command({"HGETALL", config_.desired_key}, &r);
  if (st.code() == Status::Code::kRemoteError) {
    // WRONGTYPE and the like: the desired state is unusable, the channel is not.
    spdlog::warn("control: reconcile skipped: {}", st.message());
    return Status::Ok();
  }
  if (!st.ok()) return st;
  std::map<std::string, std::string> desired;  // sorted: a deterministic order
  for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
    desired[r.elements[i].str] = r.elements[i + 1].str;
  }
  for (const auto& [field, text] : desired) {
    if (stop_) break;
    handle_text(text, "reconcile", field);
  }
  drain_pending();
  return cmd_->connected() ? Status::Ok()
                           : Status::Unavailable("redis " + cmd_->endpoint() + ": connection lost");
}

void ReloadListener::publish_var() {
  const VarGuardSettings& g = config_.guard;
  if (g.publish_key.empty() || !callbacks_.host_var_pct || !cmd_ || !cmd_->connected()) return;
  const double v = callbacks_.host_var_pct();
  if (!std::isfinite(v) || v == published_var_) return;
  RedisReply r;
  const Status st = cmd_->command({"SET", g.publish_key, fmt::format("{:.6f}", v), "EX", "604800"}, &r);
  if (st.ok()) {
    published_var_ = v;
  } else {
    spdlog::debug("control: SET {}: {}", g.publish_key, st.message());
  }
}

Status ReloadListener::read_loop() {
  while (!stop_) {
    Status st = process_outcomes();
    if (!st.ok()) return st;
    publish_var();
    drain_pending();
    if (!cmd_->connected()) {
      return Status::Unavailable("redis " + cmd_->endpoint() + ": command connection lost");
    }
    RedisReply r;
    bool got = false;
    st = sub_->read_reply(config_.poll_interval_ms, &r, &got);
    if (!st.ok()) return st;
    const int64_t now = steady_ns();
    if (!got) {
      // Anything published before reconcile's HGETALL has arrived by now.
      reconciled_bodies_.clear();
      if (ping_sent_ns_ != 0 && now - ping_sent_ns_ > int64_t{redis_.timeout_ms} * 1'000'000 + kPingIdleNs / 5) {
        return Status::Unavailable("redis " + sub_->endpoint() + ": no answer to PING on the subscriber connection");
      }
      if (ping_sent_ns_ == 0 && now - last_traffic_ns_ > kPingIdleNs) {
        st = sub_->send({"PING"});
        if (!st.ok()) return st;
        ping_sent_ns_ = now;
      }
      continue;
    }
    last_traffic_ns_ = now;
    ping_sent_ns_ = 0;
    if (r.type != RedisReply::Type::kArray || r.elements.empty()) continue;
    const std::string& kind = r.elements[0].str;
    if (kind == "message" && r.elements.size() == 3) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++stats_.received;
      }
      handle_text(r.elements[2].str, "redis", "");
    }
    // "subscribe" confirmations and "pong" replies need nothing more.
  }
  return Status::Ok();
}

void ReloadListener::handle_text(const std::string& text, const std::string& origin,
                                 const std::string& desired_field) {
  ReloadRequest req;
  std::string body;
  MessageCheck chk =
      unwrap_reload_message(text, config_.hmac_secret, config_.signing_required(), &body);
  if (chk.ok()) chk = parse_reload_message(body, config_.paths, &req);
  if (chk.ok() && config_.signing_required()) chk = check_freshness(req, origin != "reconcile");
  req.raw = text;
  req.origin = origin;
  req.received_wall_ns = HostClock::wall_ns();
  if (chk.ok() && !desired_field.empty() && desired_field != req.component) {
    chk = MessageCheck::refuse("invalid", config_.desired_key + " field '" + desired_field +
                                              "' holds a message for component '" + req.component + "'");
  }
  if (!chk.ok()) {
    if (req.component.empty()) req.component = desired_field;
    refuse(req, chk.category, chk.reason);
    return;
  }
  if (origin == "reconcile" && req.shadow != ShadowAction::kNone) {
    // Trials do not survive a restart (README "Shadow trials"), and a
    // promote's result is re-applied from the host's own store.
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.reconcile_skipped;
    return;
  }
  if (origin == "reconcile") {
    std::string current;
    try {
      if (callbacks_.current_version) current = callbacks_.current_version(req.component);
    } catch (const std::exception& e) {
      spdlog::warn("control: current_version({}) failed: {}", req.component, e.what());
    }
    const std::string key = reload_version_key(req, body);
    const auto last = last_delivered_body_.find(req.component);
    if (key == current || (last != last_delivered_body_.end() && last->second == body)) {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.reconcile_skipped;
      return;
    }
    spdlog::info("control: reconcile: {} desired version {} differs from current '{}'", req.component,
                 key, current);
    reconciled_bodies_.insert(body);
  } else {
    const auto dup = reconciled_bodies_.find(body);
    if (dup != reconciled_bodies_.end()) {
      // Published between SUBSCRIBE and HGETALL: reconcile delivered it already.
      reconciled_bodies_.erase(dup);
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.duplicates_dropped;
      return;
    }
  }
  enqueue(Pending{std::move(req), std::move(body)});
}

MessageCheck ReloadListener::check_freshness(const ReloadRequest& request, bool live) {
  if (!replay_guard_) {
    if (config_.nonce_store_dir.empty()) {
      return MessageCheck::refuse("store", "refused: signed messages need a nonce store (no state dir)");
    }
    const Status st =
        ReplayGuard::open(config_.nonce_store_dir, config_.signature_max_age_ms, &replay_guard_);
    if (!st.ok()) return MessageCheck::refuse("store", "refused: " + st.message());
  }
  return replay_guard_->check(request, live, HostClock::wall_ns() / 1000000);
}

void ReloadListener::enqueue(Pending pending) {
  const std::string component = pending.request.component;
  auto it = pending_.find(component);
  if (it != pending_.end()) {
    refuse(it->second.request, "rate",
           "superseded by a newer message for " + component + " while rate-limited (max " +
               std::to_string(config_.max_messages_per_second) + " messages/s)");
    it->second = std::move(pending);
  } else if (pending_.size() >= kMaxPendingComponents) {
    refuse(pending.request, "rate",
           "rate limit exceeded (max " + std::to_string(config_.max_messages_per_second) +
               " messages/s) with " + std::to_string(pending_.size()) + " components waiting");
    return;
  } else {
    pending_order_.push_back(component);
    pending_.emplace(component, std::move(pending));
  }
  drain_pending();
}

void ReloadListener::drain_pending() {
  if (pending_order_.empty()) return;
  // Token bucket: max_messages_per_second, bursts up to one second's worth.
  const double rate = config_.max_messages_per_second;
  const int64_t now = steady_ns();
  if (tokens_at_ns_ != 0) tokens_ = std::min(rate, tokens_ + rate * double(now - tokens_at_ns_) / 1e9);
  tokens_at_ns_ = now;
  bool guard_read = false;  // the guard is read once per pass
  MessageCheck guard;
  while (!pending_order_.empty() && tokens_ >= 1.0 && !stop_) {
    const std::string component = pending_order_.front();
    pending_order_.pop_front();
    auto it = pending_.find(component);
    Pending p = std::move(it->second);
    pending_.erase(it);
    tokens_ -= 1.0;
    deliver(std::move(p), &guard_read, &guard);
  }
}

void ReloadListener::deliver(Pending p, bool* guard_read, MessageCheck* guard) {
  if (!p.request.dry_run) {
    if (!*guard_read) {
      *guard = check_guard();
      *guard_read = true;
    }
    if (!guard->ok()) {
      if (p.request.emergency.empty()) {
        refuse(p.request, "guard", guard->reason + " (a de-risking change may pass with \"emergency\": \"<reason>\")");
        return;
      }
      spdlog::warn("control: {}: let through the guard ({}) as an emergency: {}", p.request.component,
                   guard->reason, p.request.emergency);
    }
  }
  last_delivered_body_[p.request.component] = p.body;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.delivered;
    if (p.request.origin == "reconcile") ++stats_.reconciled;
  }
  if (!callbacks_.on_request) {
    refuse(p.request, "internal", "no reload handler in this host");
    return;
  }
  ReloadRequest copy = p.request;
  try {
    callbacks_.on_request(std::move(copy));
  } catch (const std::exception& e) {
    refuse(p.request, "internal", std::string("internal error: ") + e.what());
  }
}

MessageCheck ReloadListener::check_guard() {
  const VarGuardSettings& g = config_.guard;
  if (g.host_var && callbacks_.host_var_pct) {
    const double v = callbacks_.host_var_pct();
    if (std::isfinite(v) && v > g.max_var_pct) {
      return MessageCheck::refuse("guard", fmt::format("refused by guard: the host's portfolio VaR {:.3f} % > {} "
                                                       "(never hot-reload during high VaR)", v, g.max_var_pct));
    }
  }
  if (g.var_key_pattern.empty()) return MessageCheck::accept();
  const auto fail = [&](const std::string& why) {
    return MessageCheck::refuse("guard", "refused by guard: cannot read " + g.var_key_pattern + ": " + why);
  };
  std::vector<std::string> keys;
  std::string cursor = "0";
  do {
    RedisReply r;
    Status st = cmd_->command({"SCAN", cursor, "MATCH", g.var_key_pattern, "COUNT", "1000"}, &r);
    if (!st.ok()) return fail(st.message());
    if (r.type != RedisReply::Type::kArray || r.elements.size() != 2) return fail("unexpected SCAN reply");
    cursor = r.elements[0].str;
    for (const RedisReply& k : r.elements[1].elements) {
      if (k.str != g.publish_key) keys.push_back(k.str);  // our own value was read above
    }
    if (keys.size() > kMaxGuardKeys) return fail("more than " + std::to_string(kMaxGuardKeys) + " keys");
  } while (cursor != "0");
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());

  std::string max_key, max_raw;
  double max_value = 0;
  bool any = false;
  for (size_t i = 0; i < keys.size(); i += 500) {
    std::vector<std::string> mget = {"MGET"};
    for (size_t k = i; k < keys.size() && k < i + 500; ++k) mget.push_back(keys[k]);
    RedisReply r;
    Status st = cmd_->command(mget, &r);
    if (!st.ok()) return fail(st.message());
    for (size_t k = 0; k < r.elements.size(); ++k) {
      const std::string& key = mget[k + 1];
      const RedisReply& v = r.elements[k];
      if (v.type == RedisReply::Type::kNil) {
        // Deleted since SCAN, or not a string (MGET says nil for both).
        RedisReply t;
        if (cmd_->command({"TYPE", key}, &t).ok() && t.str == "none") continue;
        return MessageCheck::refuse("guard", "refused by guard: " + key + " is a " + t.str +
                                                 ", not a number");
      }
      double value = 0;
      if (!parse_number(v.str, &value)) {
        return MessageCheck::refuse("guard", "refused by guard: " + key + " = '" + printable(v.str) +
                                                 "' is not a number");
      }
      if (!any || value > max_value) {
        max_value = value;
        max_key = key;
        max_raw = v.str;
        any = true;
      }
    }
  }
  if (any && max_value > g.max_var_pct) {
    return MessageCheck::refuse("guard", fmt::format("refused by guard: {} = {} > {}", max_key,
                                                     printable(max_raw), g.max_var_pct));
  }
  return MessageCheck::accept();
}

void ReloadListener::refuse(const ReloadRequest& request, const std::string& category,
                            const std::string& reason) {
  QueuedOutcome q;
  q.outcome.request = request;
  q.outcome.applied = false;
  q.outcome.reason = reason;
  q.category = category.empty() ? "invalid" : category;
  queue_outcome(std::move(q));
}

void ReloadListener::log_outcome(const QueuedOutcome& q) {
  const ReloadOutcome& o = q.outcome;
  const std::string& c = o.request.component;
  const std::string shadow_line = shadow_outcome_line(o);
  if (!shadow_line.empty()) {
    spdlog::info("{}", shadow_line);
  } else if (o.applied) {
    spdlog::info("Configuration reloaded: {} version {} (hash {}) effective at event {}", c,
                 outcome_version(o), o.content_hash.empty() ? "-" : o.content_hash, o.effective_seq);
  } else if (!o.reason.empty()) {
    if (c.empty()) {
      spdlog::warn("Configuration reload refused: {}", o.reason);
    } else {
      spdlog::warn("Configuration reload refused: {}: {}", c, o.reason);
    }
  } else {
    spdlog::info("Configuration reload dry run passed: {} version {} (hash {})", c,
                 outcome_version(o), o.content_hash.empty() ? "-" : o.content_hash);
  }
}

Status ReloadListener::process_outcomes() {
  std::deque<QueuedOutcome> batch;
  std::deque<std::vector<std::string>> entries;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(outcomes_);
    entries.swap(entries_);
  }
  for (std::vector<std::string>& fields : entries) {
    std::vector<std::string> argv = {"XADD", config_.switch_stream, "MAXLEN", "~",
                                     std::to_string(config_.switch_stream_maxlen), "*"};
    for (std::string& f : fields) argv.push_back(std::move(f));
    xadd_backlog_.push_back(std::move(argv));
    if (xadd_backlog_.size() > kMaxBacklog) {
      xadd_backlog_.pop_front();
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.outcomes_dropped;
    }
  }
  for (const QueuedOutcome& q : batch) {
    log_outcome(q);
    const ReloadOutcome& o = q.outcome;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (o.applied) ++stats_.applied;
      if (!o.applied && !o.reason.empty()) {
        ++stats_.refused;
        ++stats_.refused_by_reason[q.category];
      }
    }
    if (callbacks_.on_outcome) {
      try {
        callbacks_.on_outcome(o);
      } catch (const std::exception& e) {
        spdlog::warn("control: outcome observer failed: {}", e.what());
      }
    }
    xadd_backlog_.push_back({"XADD", config_.switch_stream, "MAXLEN", "~",
                             std::to_string(config_.switch_stream_maxlen), "*",
                             "component", o.request.component,
                             "applied", o.applied ? "1" : "0",
                             "version", o.request.version,
                             "hash", o.content_hash,
                             "seq", std::to_string(o.effective_seq),
                             "reason", o.reason,
                             "origin", o.request.origin,
                             "message", o.request.raw,
                             "dry_run", o.request.dry_run ? "1" : "0",
                             "config_version", std::to_string(o.config_version),
                             "refusal", q.category,
                             "shadow", shadow_action_name(o.request.shadow)});
    // A live message that was applied is the desired state from now on,
    // whatever published it (a raw `redis-cli PUBLISH` as the runbook does,
    // not only `host reload`): reconcile after a restart must not bring back
    // an older desired message over it (the store re-applies it too, see
    // SwapStage::find_restore).
    // A shadow start or discard leaves the serving version alone: not a
    // desired state (a promote is: what it applied serves from now on).
    const bool trial_only = o.request.shadow == ShadowAction::kStart ||
                            o.request.shadow == ShadowAction::kDiscard;
    if (o.applied && !o.request.dry_run && o.request.origin == "redis" && !o.request.raw.empty() &&
        !config_.desired_key.empty() && !trial_only) {
      xadd_backlog_.push_back({"HSET", config_.desired_key, o.request.component, o.request.raw});
    }
    if (xadd_backlog_.size() > kMaxBacklog) {
      xadd_backlog_.pop_front();
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.outcomes_dropped;
    }
  }
  if (xadd_backlog_.empty() || !cmd_ || !cmd_->connected() || !sub_->connected()) return Status::Ok();
  std::vector<std::vector<std::string>> commands(xadd_backlog_.begin(), xadd_backlog_.end());
  std::vector<RedisReply> replies;
  Status st = cmd_->pipeline(commands, &replies);
  // Replies read were executed; on a transport failure the rest stay queued
  // for the next connection.
  const size_t done = replies.size();
  size_t written = 0;
  for (size_t i = 0; i < replies.size(); ++i) {
    written += replies[i].type != RedisReply::Type::kError && commands[i][0] == "XADD";
  }
  xadd_backlog_.erase(xadd_backlog_.begin(), xadd_backlog_.begin() + static_cast<long>(done));
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.outcomes_written += written;
  }
  if (st.code() == Status::Code::kUnavailable) return st;
  if (!st.ok()) spdlog::warn("control: writing {}: {}", config_.switch_stream, st.message());
  return Status::Ok();
}

}  // namespace sh::host
