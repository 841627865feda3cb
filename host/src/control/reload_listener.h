// ReloadListener: the control thread of the Redis control plane. It turns
// `param.reload` messages into validated ReloadRequests for the swap side,
// and publishes what became of them.
//
// Loop (one thread, two Redis connections: a subscriber and a command one):
//   connect → SUBSCRIBE <channel> (confirmed) → reconcile: HGETALL
//   <desired_key> and deliver every component whose desired version differs
//   from current_version(component) (pub/sub is at-most-once: this recovers
//   what was published while disconnected) → read messages, waking every
//   poll_interval_ms for stop() and queued outcomes → on any error: log once,
//   close, reconnect with jittered exponential backoff (initial..max),
//   re-subscribe, reconcile again.
//
// Per message: signature (reload_signing.h) → shape and paths
// (reload_message.h) → freshness of signed ones (replay_guard.h) → rate limit (max_messages_per_second, token bucket;
// beyond it a component's newer message supersedes its waiting one, which is
// refused "superseded ...": the last message of a burst always gets through)
// → guard (non-dry-run only; VaR keys, see VarGuardSettings) → on_request.
// Anything refused is logged "Configuration reload refused: ..." and written
// to the switch stream like every outcome; the listener carries on.
//
// Exactly once across reconcile and live delivery: reconcile skips a desired
// message whose version key equals current_version(component) or whose body
// is the last one this listener delivered for that component, and a live
// message identical to one reconcile just delivered (published between
// SUBSCRIBE and HGETALL) is dropped once. Live messages are never
// deduplicated otherwise: re-publishing the same message reloads again.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "control/control_config.h"
#include "control/reload_request.h"
#include "control/replay_guard.h"
#include "events/redis_client.h"
#include "config/pipeline_config.h"

namespace sh::host {

struct ReloadListenerStats {
  uint64_t received = 0;            // messages read from the channel
  uint64_t delivered = 0;           // on_request calls, live and reconcile
  uint64_t reconciled = 0;          // of which origin "reconcile"
  uint64_t reconcile_skipped = 0;   // desired messages already in effect / delivered
  uint64_t duplicates_dropped = 0;  // live copies of a message reconcile just delivered
  uint64_t applied = 0;             // outcomes published with applied = true
  uint64_t refused = 0;             // outcomes published with a reason
  std::map<std::string, uint64_t> refused_by_reason;  // by MessageCheck category
  uint64_t connects = 0;            // successful connect + subscribe, the first included
  uint64_t reconnects = 0;          // of which after a failure or a lost connection
  uint64_t connect_failures = 0;    // failed attempts and lost connections (each then backs off)
  uint64_t outcomes_written = 0;    // entries XADDed to the switch stream
  uint64_t outcomes_dropped = 0;    // backlog overflow while Redis was away
  bool connected = false;
};

class ReloadListener {
 public:
  struct Callbacks {
    // Required. Called on the control thread, one request at a time; the
    // callee prepares the candidate and later reports via publish_outcome().
    std::function<void(ReloadRequest)> on_request;
    // For reconcile: the version in effect for a component, "" when unknown.
    // Called on the control thread.
    std::function<std::string(const std::string& component)> current_version;
    // Optional observer of every outcome (after it is logged), on the
    // control thread: refusals by the listener and outcomes published.
    std::function<void(const ReloadOutcome&)> on_outcome;
    // Optional: the host's portfolio VaR in percent (NaN: none yet), for the
    // guard and the published key. Called on the control thread.
    std::function<double()> host_var_pct;
  };

  ReloadListener(ControlConfig config, RedisSettings redis, Callbacks callbacks);
  // Calls stop().
  ~ReloadListener();
  ReloadListener(const ReloadListener&) = delete;
  ReloadListener& operator=(const ReloadListener&) = delete;

  // Starts the control thread (no-op when running). Never blocks on Redis:
  // an unreachable server is retried in the background.
  void start();
  // Stops and joins the thread: within poll_interval_ms plus one in-flight
  // Redis command (bounded by redis.timeout_ms). Outcomes still queued are
  // logged; those not yet written to the stream are dropped. Idempotent.
  void stop();

  // Thread-safe, never blocks on Redis. Queues the outcome for the control
  // thread, which logs
  //   Configuration reloaded: <component> version <v> (hash <h>) effective at event <seq>
  //   Configuration reload refused: <component>: <reason>
  //   Configuration reload dry run passed: <component> version <v> (hash <h>)
  // and XADDs it to switch_stream (MAXLEN ~): fields component, applied,
  // version, hash, seq, reason, origin, message, dry_run, config_version,
  // refusal (the category; "swap" for refusals reported here). Entries wait
  // (up to 10000) while Redis is away.
  void publish_outcome(const ReloadOutcome& outcome);
  // Thread-safe, never blocks on Redis: XADDs one more entry with these
  // field/value pairs (e.g. a model-router switch) to switch_stream; it
  // waits in the outcomes' bounded backlog while Redis is away.
  void publish_stream_entry(std::vector<std::string> fields);

  ReloadListenerStats stats() const;
  const ControlConfig& config() const { return config_; }

 private:
  struct Pending {
    ReloadRequest request;
    std::string body;  // the message JSON (inside the envelope, if any)
  };
  struct QueuedOutcome {
    ReloadOutcome outcome;
    std::string category;  // "" = applied or dry run
  };

  void run();
  Status connect_and_subscribe();
  Status reconcile();
  Status read_loop();
  void close_connections();
  // Waits until `ms` passed or stop(), logging queued outcomes meanwhile.
  void sleep_ms(int ms);

  void handle_text(const std::string& text, const std::string& origin,
                   const std::string& desired_field);
  void enqueue(Pending pending);
  void drain_pending();
  void deliver(Pending pending, bool* guard_read, MessageCheck* guard);
  MessageCheck check_guard();
  // SETs guard.publish_key to the host's VaR when it changed (best effort).
  void publish_var();
  double published_var_ = std::numeric_limits<double>::quiet_NaN();
  // Signed messages: ts_ms / nonce freshness (replay_guard.h); opens the
  // nonce store on first use.
  MessageCheck check_freshness(const ReloadRequest& request, bool live);
  void refuse(const ReloadRequest& request, const std::string& category, const std::string& reason);

  void queue_outcome(QueuedOutcome q);
  // Logs queued outcomes and writes the backlog when connected. Returns a
  // transport error of the command connection.
  Status process_outcomes();
  void log_outcome(const QueuedOutcome& q);

  const ControlConfig config_;
  const RedisSettings redis_;
  const Callbacks callbacks_;

  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::unique_ptr<ReplayGuard> replay_guard_;  // control thread only

  mutable std::mutex mu_;  // guards outcomes_, stats_
  std::condition_variable cv_;
  std::deque<QueuedOutcome> outcomes_;
  std::deque<std::vector<std::string>> entries_;  // publish_stream_entry fields
  ReloadListenerStats stats_;

  // Control thread only below.
  std::unique_ptr<RedisClient> sub_;
  std::unique_ptr<RedisClient> cmd_;
  std::deque<std::vector<std::string>> xadd_backlog_;
  std::map<std::string, Pending> pending_;        // component -> newest waiting message
  std::deque<std::string> pending_order_;         // components in arrival order
  double tokens_ = 0;
  int64_t tokens_at_ns_ = 0;
  std::map<std::string, std::string> last_delivered_body_;  // component -> body
  std::multiset<std::string> reconciled_bodies_;  // delivered by the last reconcile, not yet seen live
  int64_t last_traffic_ns_ = 0;
  int64_t ping_sent_ns_ = 0;
};

}  // namespace sh::host
