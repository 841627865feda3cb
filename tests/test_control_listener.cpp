// ReloadListener against a real redis-server on a free loopback port: live
// messages, refusals, bursts, Redis going away (reconnect, re-subscribe,
// reconcile exactly once), the VaR guard, signing, and the switch log.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "control/reload_listener.h"
#include "control/reload_signing.h"
#include "events/redis_client.h"
#include "support/redis_server.h"
#include "test_host_support.h"

using namespace sh::host;
using sh::test::RedisServer;
using sh_test::ScratchDir;
using sh_test::write_file;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

template <typename Pred>
bool eventually(Pred pred, int timeout_ms = 5000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

// Records what the listener hands over; current_version answers what the
// "swap side" last accepted (the request's version label).
struct Recorder {
  mutable std::mutex mu;
  std::vector<ReloadRequest> requests;
  std::vector<ReloadOutcome> outcomes;
  std::map<std::string, std::string> versions;
  bool accept_versions = true;

  ReloadListener::Callbacks callbacks() {
    ReloadListener::Callbacks cb;
    cb.on_request = [this](ReloadRequest r) {
      std::lock_guard<std::mutex> lock(mu);
      if (accept_versions && !r.version.empty()) versions[r.component] = r.version;
      requests.push_back(std::move(r));
    };
    cb.current_version = [this](const std::string& c) {
      std::lock_guard<std::mutex> lock(mu);
      auto it = versions.find(c);
      return it == versions.end() ? std::string() : it->second;
    };
    cb.on_outcome = [this](const ReloadOutcome& o) {
      std::lock_guard<std::mutex> lock(mu);
      outcomes.push_back(o);
    };
    return cb;
  }
  size_t request_count() const {
    std::lock_guard<std::mutex> lock(mu);
    return requests.size();
  }
  size_t outcome_count() const {
    std::lock_guard<std::mutex> lock(mu);
    return outcomes.size();
  }
  ReloadRequest request(size_t i) const {
    std::lock_guard<std::mutex> lock(mu);
    return requests.at(i);
  }
  ReloadOutcome outcome(size_t i) const {
    std::lock_guard<std::mutex> lock(mu);
    return outcomes.at(i);
  }
};

// The default logger replaced by an in-memory one for the test's duration.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(4096)) {
    sink_->set_pattern("%v");
    old_ = spdlog::default_logger();
    auto logger = std::make_shared<spdlog::logger>("capture", sink_);
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(old_); }
  bool has(const std::string& line) const {
    for (std::string l : sink_->last_formatted()) {
      while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.pop_back();
      if (l == line) return true;
    }
    return false;
  }
  bool contains(const std::string& text) const {
    for (const std::string& l : sink_->last_formatted()) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> old_;
};

struct Setup {
  ScratchDir dir{"control_listener"};
  RedisServer redis;
  ControlConfig control;
  RedisSettings settings;
  Setup() {
    write_file(dir / "conf/risk.yaml", "max_notional: 1\n");
    write_file(dir / "plugins/libmomentum.so", "ELF");
    control.paths.base_dir = dir.path();
    control.paths.plugin_dirs = {dir / "plugins"};
    control.paths.rule_dirs = {dir / "rules"};
    control.paths.config_dirs = {dir.path()};
    settings.enabled = true;
    settings.host = redis.host();
    settings.port = redis.port();
    settings.timeout_ms = 500;
  }
  RedisClient client() const {
    return RedisClient(redis.host(), redis.port(), 1000);
  }
  void command(const std::vector<std::string>& argv, RedisReply* reply = nullptr) const {
    RedisClient c(redis.host(), redis.port(), 1000);
    REQUIRE(c.connect().ok());
    RedisReply r;
    const Status st = c.command(argv, reply ? reply : &r);
    INFO(st.to_string());
    REQUIRE(st.ok());
  }
  int64_t publish(const std::string& text) const {
    RedisReply r;
    command({"PUBLISH", control.channel, text}, &r);
    return r.integer;
  }
};

bool subscribed(const ReloadListener& l, uint64_t connects = 1) {
  return eventually([&] {
    const auto s = l.stats();
    return s.connected && s.connects >= connects;
  });
}

std::vector<std::map<std::string, std::string>> read_stream(const Setup& s, const std::string& stream) {
  RedisReply reply;
  s.command({"XRANGE", stream, "-", "+"}, &reply);
  std::vector<std::map<std::string, std::string>> out;
  for (const RedisReply& entry : reply.elements) {
    std::map<std::string, std::string> m;
    const RedisReply& fields = entry.elements.at(1);
    for (size_t i = 0; i + 1 < fields.elements.size(); i += 2) m[fields.elements[i].str] = fields.elements[i + 1].str;
    out.push_back(m);
  }
  return out;
}

}  // namespace

TEST_CASE("reload listener: a published message reaches on_request, bad ones are refused", "[reload][redis]") {
  Setup s;
  LogCapture logs;
  Recorder rec;
  ReloadListener listener(s.control, s.settings, rec.callbacks());
  listener.start();
  REQUIRE(subscribed(listener));

  CHECK(s.publish(R"({"component": "risk_harmoniser", "config_path": "conf/risk.yaml"})") == 1);
  REQUIRE(eventually([&] { return rec.request_count() == 1; }));
  const ReloadRequest r = rec.request(0);
  CHECK(r.component == "risk_harmoniser");
  CHECK(r.config_path == fs::weakly_canonical(s.dir / "conf/risk.yaml").string());
  CHECK(r.origin == "redis");
  CHECK(r.raw == R"({"component": "risk_harmoniser", "config_path": "conf/risk.yaml"})");
  CHECK(r.received_wall_ns > 0);

  // Refused with the reason, logged, and the listener carries on.
  s.publish(R"({"component": "risk_harmoniser", "confg_path": "conf/risk.yaml"})");
  s.publish("not json at all");
  s.publish(R"({"component": "momentum", "plugin_path": "/tmp/libevil.so"})");
  REQUIRE(eventually([&] { return rec.outcome_count() == 3; }));
  CHECK_THAT(rec.outcome(0).reason, Contains("unknown field 'confg_path'"));
  CHECK(rec.outcome(0).request.component == "risk_harmoniser");
  CHECK_THAT(rec.outcome(1).reason, Contains("invalid JSON"));
  CHECK_THAT(rec.outcome(2).reason, Contains("outside the plugin dirs"));
  CHECK(logs.contains("Configuration reload refused: risk_harmoniser: unknown field 'confg_path'"));
  CHECK(logs.contains("Configuration reload refused: invalid JSON: "));
  s.publish(R"({"component": "momentum", "plugin_path": "plugins/libmomentum.so", "version": "7"})");
  REQUIRE(eventually([&] { return rec.request_count() == 2; }));
  CHECK(rec.request(1).version == "7");

  const auto st = listener.stats();
  CHECK(st.received == 5);
  CHECK(st.delivered == 2);
  CHECK(st.refused == 3);
  CHECK(st.refused_by_reason.at("invalid") == 2);
  CHECK(st.refused_by_reason.at("path") == 1);
  // The refusals are in the switch log too.
  REQUIRE(eventually([&] { return listener.stats().outcomes_written == 3; }));
  const auto entries = read_stream(s, "model.switch.log");
  REQUIRE(entries.size() == 3);
  CHECK(entries[2].at("refusal") == "path");
  CHECK(entries[2].at("applied") == "0");
  CHECK(entries[2].at("origin") == "redis");

  // stop() is prompt.
  const auto t0 = std::chrono::steady_clock::now();
  listener.stop();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(200));
  CHECK(s.publish(R"({"component": "x", "rollback": 1})") == 0);
}

TEST_CASE("reload listener: publish_outcome logs the line and lands in model.switch.log", "[reload][redis]") {
  Setup s;
  s.control.switch_stream_maxlen = 100;
  LogCapture logs;
  Recorder rec;
  ReloadListener listener(s.control, s.settings, rec.callbacks());
  // Queued before the thread runs: written once it is connected.
  ReloadOutcome applied;
  applied.request.component = "risk_harmoniser";
  applied.request.version = "2024-06-01a";
  applied.request.origin = "redis";
  applied.request.raw = R"({"component": "risk_harmoniser", "config_path": "conf/risk.yaml"})";
  applied.applied = true;
  applied.content_hash = "ab12cd34";
  applied.config_version = 4;
  applied.effective_seq = 123456;
  listener.publish_outcome(applied);
  listener.start();
  ReloadOutcome refused = applied;
  refused.applied = false;
  refused.reason = "config does not match the plugin's schema: max_notional must be a number";
  refused.config_version = 0;
  refused.effective_seq = 0;
  std::thread other([&] { listener.publish_outcome(refused); });  // from any thread
  other.join();
  ReloadOutcome dry = applied;
  dry.applied = false;
  dry.request.dry_run = true;
  listener.publish_outcome(dry);

  REQUIRE(eventually([&] { return listener.stats().outcomes_written == 3; }));
  CHECK(logs.has("Configuration reloaded: risk_harmoniser version 2024-06-01a (hash ab12cd34) effective at event 123456"));
  CHECK(logs.has("Configuration reload refused: risk_harmoniser: config does not match the plugin's schema: "
                 "max_notional must be a number"));
  CHECK(logs.has("Configuration reload dry run passed: risk_harmoniser version 2024-06-01a (hash ab12cd34)"));
  const auto entries = read_stream(s, "model.switch.log");
  REQUIRE(entries.size() == 3);
  const auto& e = entries[0];
  CHECK(e.at("component") == "risk_harmoniser");
  CHECK(e.at("applied") == "1");
  CHECK(e.at("version") == "2024-06-01a");
  CHECK(e.at("hash") == "ab12cd34");
  CHECK(e.at("seq") == "123456");
  CHECK(e.at("reason").empty());
  CHECK(e.at("origin") == "redis");
  CHECK(e.at("message") == applied.request.raw);
  CHECK(e.at("config_version") == "4");
  CHECK(entries[1].at("applied") == "0");
  CHECK(entries[1].at("reason") == refused.reason);
  CHECK(entries[1].at("refusal") == "swap");
  CHECK(entries[2].at("dry_run") == "1");
  const auto st = listener.stats();
  CHECK(st.applied == 1);
  CHECK(st.refused == 1);
  CHECK(st.refused_by_reason.at("swap") == 1);
}

TEST_CASE("reload listener: a burst of 1000 messages is delivered or refused, never twice", "[reload][redis]") {
  Setup s;
  s.control.max_messages_per_second = 200;
  Recorder rec;
  rec.accept_versions = false;
  ReloadListener listener(s.control, s.settings, rec.callbacks());
  listener.start();
  REQUIRE(subscribed(listener));

  // 1000 messages for 4 components over ~1 s, in batches of 100.
  RedisClient pub(s.redis.host(), s.redis.port(), 2000);
  REQUIRE(pub.connect().ok());
  const int kMessages = 1000;
  for (int batch = 0; batch < 10; ++batch) {
    std::vector<std::vector<std::string>> cmds;
    for (int i = batch * 100; i < (batch + 1) * 100; ++i) {
      cmds.push_back({"PUBLISH", "param.reload",
                      "{\"component\": \"c" + std::to_string(i % 4) + "\", \"rollback\": 1, \"version\": \"v" +
                          std::to_string(i) + "\"}"});
    }
    std::vector<RedisReply> replies;
    REQUIRE(pub.pipeline(cmds, &replies).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(eventually([&] { return rec.request_count() + rec.outcome_count() == size_t{kMessages}; }, 10000));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // nothing more arrives
  std::lock_guard<std::mutex> lock(rec.mu);
  REQUIRE(rec.requests.size() + rec.outcomes.size() == size_t{kMessages});
  std::set<std::string> seen;
  for (const auto& r : rec.requests) CHECK(seen.insert(r.version).second);  // never twice
  for (const auto& o : rec.outcomes) {
    CHECK(seen.insert(o.request.version).second);  // refused ones were not delivered
    CHECK_THAT(o.reason, Contains("superseded by a newer message for " + o.request.component +
                                  " while rate-limited (max 200 messages/s)"));
  }
  CHECK(seen.size() == size_t{kMessages});
  // The rate held: at most a second's burst plus what a second refills, with slack.
  CHECK(rec.requests.size() <= 200 + 260);
  CHECK(rec.requests.size() >= 200);
  // The newest message of every component got through.
  std::set<std::string> delivered;
  for (const auto& r : rec.requests) delivered.insert(r.version);
  for (int i = kMessages - 4; i < kMessages; ++i) CHECK(delivered.count("v" + std::to_string(i)) == 1);
  const auto st = listener.stats();
  CHECK(st.received == uint64_t{kMessages});
  CHECK(st.refused_by_reason.at("rate") == rec.outcomes.size());
}

TEST_CASE("reload listener: Redis restarts, reconnect, re-subscribe, reconcile exactly once", "[reload][redis]") {
  Setup s;
  // A failed connection waits 0.5..1 s before the next attempt: time to
  // restart Redis and write the desired state before the listener is back.
  s.control.reconnect_initial_ms = 1000;
  s.control.reconnect_max_ms = 2000;
  LogCapture logs;
  Recorder rec;
  ReloadListener listener(s.control, s.settings, rec.callbacks());
  listener.start();
  REQUIRE(subscribed(listener));

  const std::string desired = R"({"component": "risk_harmoniser", "config_path": "conf/risk.yaml", "version": "v2"})";
  s.redis.stop();
  REQUIRE(eventually([&] { return listener.stats().connect_failures >= 1; }));
  CHECK_FALSE(listener.stats().connected);
  // While the host is away: PUBLISH would be lost; the desired state is not.
  s.redis.start();
  s.command({"HSET", "param.desired", "risk_harmoniser", desired});
  REQUIRE(subscribed(listener, 2));
  REQUIRE(eventually([&] { return rec.request_count() == 1; }));
  CHECK(rec.request(0).origin == "reconcile");
  CHECK(rec.request(0).version == "v2");
  CHECK(listener.stats().reconnects >= 1);
  CHECK(logs.contains("control: reconnected to redis "));
  // Re-subscribed: live messages flow again.
  CHECK(s.publish(R"({"component": "momentum", "plugin_path": "plugins/libmomentum.so"})") == 1);
  REQUIRE(eventually([&] { return rec.request_count() == 2; }));
  CHECK(rec.request(1).origin == "redis");

  // Another outage: the same desired state is already in effect
  // (current_version says v2), so reconcile delivers nothing.
  const uint64_t skipped = listener.stats().reconcile_skipped;
  s.redis.stop();
  REQUIRE(eventually([&] { return !listener.stats().connected; }));
  s.redis.start();
  s.command({"HSET", "param.desired", "risk_harmoniser", desired});
  REQUIRE(subscribed(listener, 3));
  REQUIRE(eventually([&] { return listener.stats().reconcile_skipped > skipped; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  CHECK(rec.request_count() == 2);
}

TEST_CASE("reload listener: reconcile at start delivers only what differs from current_version", "[reload][redis]") {
  Setup s;
  s.command({"HSET", "param.desired", "a", R"({"component": "a", "rollback": 2, "version": "v1"})"});
  s.command({"HSET", "param.desired", "b", R"({"component": "b", "rollback": 3, "version": "v9"})"});
  s.command({"HSET", "param.desired", "c", R"({"component": "c", "rollback": 4})"});     // no version
  s.command({"HSET", "param.desired", "d", R"({"component": "x", "rollback": 4})"});     // wrong field
  s.command({"HSET", "param.desired", "e", R"({"component": "e", "rolback": 4})"});      // invalid
  Recorder rec;
  rec.versions = {{"a", "v1"}, {"b", "v8"}};
  ReloadListener listener(s.control, s.settings, rec.callbacks());
  listener.start();
  REQUIRE(eventually([&] { return rec.request_count() == 2 && rec.outcome_count() == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(rec.request_count() == 2);
  CHECK(rec.request(0).component == "b");  // in field order
  CHECK(rec.request(0).origin == "reconcile");
  CHECK(rec.request(1).component == "c");
  CHECK(rec.outcome(0).reason == "param.desired field 'd' holds a message for component 'x'");
  CHECK_THAT(rec.outcome(1).reason, Contains("unknown field 'rolback'"));
  CHECK(rec.outcome(1).request.component == "e");
  CHECK(listener.stats().reconcile_skipped == 1);
}

TEST_CASE("reload listener: backs off exponentially while Redis is down", "[reload][redis]") {
  Setup s;
  s.control.reconnect_initial_ms = 100;
  s.control.reconnect_max_ms = 400;
  LogCapture logs;
  Recorder rec;
  s.redis.stop();
  ReloadListener listener(s.control, s.settings, rec.callbacks());
  listener.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  // 50..100, 100..200, then 200..400 ms apart: 5..12 attempts in 2 s
  // (without backoff a refused connect would be retried thousands of times).
  const uint64_t attempts = listener.stats().connect_failures;
  CHECK(attempts >= 4);
  CHECK(attempts <= 14);
  CHECK(logs.contains("reconnecting with backoff 100..400 ms"));
  s.redis.start();
  REQUIRE(subscribed(listener));
  const auto t0 = std::chrono::steady_clock::now();
  listener.stop();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(200));
}

TEST_CASE("reload listener: the VaR guard refuses live reloads above the limit", "[reload][redis]") {
  Setup s;
  Recorder rec;
  ReloadListener listener(s.control, s.settings, rec.callbacks());
  listener.start();
  REQUIRE(subscribed(listener));
  const std::string msg = R"({"component": "risk_harmoniser", "config_path": "conf/risk.yaml"})";
  const std::string dry = R"({"component": "risk_harmoniser", "config_path": "conf/risk.yaml", "dry_run": true})";

  s.command({"SET", "var_pct:BTC", "1.8"});
  s.command({"SET", "var_pct:ETH", "0.9"});
  s.command({"SET", "other:BTC", "99"});
  s.publish(msg);
  REQUIRE(eventually([&] { return rec.outcome_count() == 1; }));
  CHECK_THAT(rec.outcome(0).reason, Catch::StartsWith("refused by guard: var_pct:BTC = 1.8 > 1.5 (a de-risking change may pass with \"emergency\""));
  CHECK(listener.stats().refused_by_reason.at("guard") == 1);
  // A dry run changes nothing: it passes.
  s.publish(dry);
  REQUIRE(eventually([&] { return rec.request_count() == 1; }));
  CHECK(rec.request(0).dry_run);
  // Below the limit: accepted.
  s.command({"SET", "var_pct:BTC", "1.2"});
  s.publish(msg);
  REQUIRE(eventually([&] { return rec.request_count() == 2; }));
  CHECK_FALSE(rec.request(1).dry_run);
  // Unreadable values fail closed.
  s.command({"SET", "var_pct:SOL", "high"});
  s.publish(msg);
  REQUIRE(eventually([&] { return rec.outcome_count() == 2; }));
  CHECK_THAT(rec.outcome(1).reason, Catch::StartsWith("refused by guard: var_pct:SOL = 'high' is not a number"));
  s.command({"DEL", "var_pct:SOL"});
  s.command({"HSET", "var_pct:DOGE", "v", "1"});
  s.publish(msg);
  REQUIRE(eventually([&] { return rec.outcome_count() == 3; }));
  CHECK_THAT(rec.outcome(2).reason, Catch::StartsWith("refused by guard: var_pct:DOGE is a hash, not a number"));
}

TEST_CASE("reload listener: the guard reads the host's own VaR, publishes it, and lets emergencies through",
          "[reload][redis]") {
  Setup s;
  Recorder rec;
  std::atomic<double> var{2.0};
  ReloadListener::Callbacks cb = rec.callbacks();
  cb.host_var_pct = [&var] { return var.load(); };
  ReloadListener listener(s.control, s.settings, cb);
  listener.start();
  REQUIRE(subscribed(listener));
  // Published for other tools (runbook 002's var_pct keys), 7-day expiry.
  auto get = [&](const std::string& cmd, const std::string& key) {
    RedisReply r;
    s.command({cmd, key}, &r);
    return r;
  };
  REQUIRE(eventually([&] { return get("GET", "var_pct:host").str == "2.000000"; }));
  CHECK(get("TTL", "var_pct:host").integer > 600000);

  s.publish(R"({"component": "risk_harmoniser", "config_path": "conf/risk.yaml"})");
  REQUIRE(eventually([&] { return rec.outcome_count() == 1; }));
  CHECK_THAT(rec.outcome(0).reason,
             Catch::StartsWith("refused by guard: the host's portfolio VaR 2.000 % > 1.5 (never hot-reload during high VaR)"));
  // The runbook's emergency Kelly cut: let through, and said so.
  s.publish(R"({"component": "risk_harmoniser", "config_path": "conf/risk.yaml", "emergency": "VaR breach: kelly 0.1"})");
  REQUIRE(eventually([&] { return rec.request_count() == 1; }));
  CHECK(rec.request(0).emergency == "VaR breach: kelly 0.1");
  CHECK(rec.outcome_count() == 1);
  // An empty reason is not an emergency.
  s.publish(R"({"component": "risk_harmoniser", "config_path": "conf/risk.yaml", "emergency": ""})");
  REQUIRE(eventually([&] { return rec.outcome_count() == 2; }));
  CHECK_THAT(rec.outcome(1).reason, Catch::Contains("emergency must be the reason"));
  // VaR back under the limit: the key follows and ordinary reloads pass (the
  // host's own key is not read back as another tool's).
  var.store(0.7);
  REQUIRE(eventually([&] { return get("GET", "var_pct:host").str == "0.700000"; }));
  s.publish(R"({"component": "risk_harmoniser", "config_path": "conf/risk.yaml"})");
  REQUIRE(eventually([&] { return rec.request_count() == 2; }));
}

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A risk_harmoniser message signed at ts_ms with `nonce`, as `host reload`
// builds it.
std::string fresh_body(int64_t ts_ms, const std::string& nonce,
                       const std::string& version = "") {
  nlohmann::json j = {{"component", "risk_harmoniser"}, {"config_path", "conf/risk.yaml"},
                      {"ts_ms", ts_ms}, {"nonce", nonce}};
  if (!version.empty()) j["version"] = version;
  return j.dump();
}

}  // namespace

TEST_CASE("reload listener: with a secret, only correctly signed messages pass", "[reload][redis]") {
  Setup s;
  s.control.hmac_secret_env = "SH_TEST_SECRET";
  s.control.hmac_secret = "k3y";
  s.control.nonce_store_dir = (s.dir / "state/control").string();
  Recorder rec;
  ReloadListener listener(s.control, s.settings, rec.callbacks());
  listener.start();
  REQUIRE(subscribed(listener));
  const std::string body = fresh_body(now_ms(), "n0nce-0001");
  s.publish(body);
  s.publish(sign_reload_message("wrong", body));
  s.publish(sign_reload_message("k3y", body));
  REQUIRE(eventually([&] { return rec.request_count() == 1 && rec.outcome_count() == 2; }));
  CHECK(rec.outcome(0).reason == "refused: missing signature");
  CHECK(rec.outcome(1).reason == "refused: bad signature");
  CHECK(rec.request(0).component == "risk_harmoniser");
  CHECK(rec.request(0).raw == sign_reload_message("k3y", body));
  CHECK(listener.stats().refused_by_reason.at("signature") == 2);
}

TEST_CASE("reload listener: a signed message is taken once, while fresh, also across a restart",
          "[reload][redis]") {
  Setup s;
  s.control.hmac_secret_env = "SH_TEST_SECRET";
  s.control.hmac_secret = "k3y";
  s.control.nonce_store_dir = (s.dir / "state/control").string();
  s.control.signature_max_age_ms = 60000;
  const std::string captured = sign_reload_message("k3y", fresh_body(now_ms(), "captured-01"));
  {
    Recorder rec;
    ReloadListener listener(s.control, s.settings, rec.callbacks());
    listener.start();
    REQUIRE(subscribed(listener));
    s.publish(captured);
    REQUIRE(eventually([&] { return rec.request_count() == 1; }));
    // The same bytes again: a replay.
    s.publish(captured);
    // Signed without freshness fields, or too old, or from the future.
    s.publish(sign_reload_message(
        "k3y", R"({"component": "risk_harmoniser", "config_path": "conf/risk.yaml"})"));
    s.publish(sign_reload_message("k3y", fresh_body(now_ms() - 3600 * 1000, "old-message-1")));
    s.publish(sign_reload_message("k3y", fresh_body(now_ms() + 3600 * 1000, "future-msg-1")));
    REQUIRE(eventually([&] { return rec.outcome_count() == 4; }));
    CHECK_THAT(rec.outcome(0).reason,
               Contains("refused: replayed message (nonce captured-01 already seen, signed at "));
    CHECK_THAT(rec.outcome(1).reason, Contains("refused: signed message without ts_ms and nonce"));
    CHECK_THAT(rec.outcome(2).reason, Contains("refused: stale signature: signed at "));
    CHECK_THAT(rec.outcome(2).reason, Contains(" s ago (window 60 s)"));
    CHECK_THAT(rec.outcome(3).reason, Contains("s in the future (window 60 s)"));
    CHECK(rec.request_count() == 1);
    CHECK(listener.stats().refused_by_reason.at("signature") == 4);
  }
  // A new listener on the same state dir (a restarted host) remembers it.
  Recorder rec;
  ReloadListener listener(s.control, s.settings, rec.callbacks());
  listener.start();
  REQUIRE(subscribed(listener));
  s.publish(captured);
  s.publish(sign_reload_message("k3y", fresh_body(now_ms(), "brand-new-02")));
  REQUIRE(eventually([&] { return rec.outcome_count() == 1 && rec.request_count() == 1; }));
  CHECK_THAT(rec.outcome(0).reason, Contains("refused: replayed message (nonce captured-01"));
  CHECK(rec.request(0).nonce == "brand-new-02");
}

TEST_CASE("reload listener: an old signed envelope planted in the desired hash does not roll back",
          "[reload][redis]") {
  Setup s;
  s.control.hmac_secret_env = "SH_TEST_SECRET";
  s.control.hmac_secret = "k3y";
  s.control.nonce_store_dir = (s.dir / "state/control").string();
  const int64_t t0 = now_ms();
  const std::string v1 = sign_reload_message("k3y", fresh_body(t0 - 1000, "desired-v1", "v1"));
  const std::string v2 = sign_reload_message("k3y", fresh_body(t0, "desired-v2", "v2"));
  {
    // v2 goes live (as `host reload` does: desired state and the channel).
    Recorder rec;
    ReloadListener listener(s.control, s.settings, rec.callbacks());
    listener.start();
    REQUIRE(subscribed(listener));
    s.command({"HSET", s.control.desired_key, "risk_harmoniser", v2});
    s.publish(v2);
    REQUIRE(eventually([&] { return rec.request_count() == 1; }));
  }
  // Someone with Redis access puts the older v1 back as the desired state;
  // the restarted listener reconciles and refuses it. The genuine desired
  // state (v2 again) still reconciles: the desired hash may be old, only
  // not older than what was accepted.
  s.command({"HSET", s.control.desired_key, "risk_harmoniser", v1});
  {
    Recorder rec;
    ReloadListener listener(s.control, s.settings, rec.callbacks());
    listener.start();
    REQUIRE(subscribed(listener));
    REQUIRE(eventually([&] { return rec.outcome_count() == 1; }));
    CHECK_THAT(rec.outcome(0).reason,
               Contains("refused: stale desired state: signed at "));
    CHECK_THAT(rec.outcome(0).reason, Contains("before the newest accepted message for risk_harmoniser"));
    CHECK(rec.request_count() == 0);
  }
  s.command({"HSET", s.control.desired_key, "risk_harmoniser", v2});
  Recorder rec;
  ReloadListener listener(s.control, s.settings, rec.callbacks());
  listener.start();
  REQUIRE(subscribed(listener));
  REQUIRE(eventually([&] { return rec.request_count() == 1; }));
  CHECK(rec.request(0).version == "v2");
  CHECK(rec.request(0).origin == "reconcile");
}
