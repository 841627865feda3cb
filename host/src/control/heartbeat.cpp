#include "control/heartbeat.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <system_error>
#include <utility>

#include "events/redis_client.h"
#include "services/host_clock.h"
#include "store/time_format.h"

namespace sh::host {

Heartbeat::Heartbeat(HeartbeatOptions options, std::function<HeartbeatFigures()> figures)
    : options_(std::move(options)), figures_(std::move(figures)) {}

Heartbeat::~Heartbeat() { stop(); }

void Heartbeat::start() {
  started_wall_ns_ = HostClock::wall_ns();
  if (options_.redis.enabled) {
    redis_ = std::make_unique<RedisClient>(options_.redis.host, options_.redis.port,
                                           options_.redis.timeout_ms);
  }
  beat(false);  // at once: `host status` sees a starting host as running
  thread_ = std::thread([this] { run(); });
}

void Heartbeat::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (started_wall_ns_ != 0) beat(true);
}

void Heartbeat::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (cv_.wait_for(lock, std::chrono::milliseconds(options_.interval_ms), [this] { return stop_; })) {
      return;
    }
    lock.unlock();
    beat(false);
    lock.lock();
  }
}

void Heartbeat::beat(bool stopped) {
  const int64_t now = HostClock::wall_ns();
  const HeartbeatFigures f = figures_ ? figures_() : HeartbeatFigures{};
  const int64_t uptime_s = (now - started_wall_ns_) / 1000000000LL;
  nlohmann::json j = {{"pid", static_cast<int64_t>(::getpid())},
                      {"wall_ns", now},
                      {"interval_ms", options_.interval_ms},
                      {"uptime_s", uptime_s},
                      {"mode", options_.mode},
                      {"minutes", f.minutes},
                      {"last_minute_ts_ns", f.last_minute_ts_ns},
                      {"events", f.events},
                      {"stopped", stopped}};
  const std::string text = j.dump();
  if (!stopped) {
    spdlog::info("heartbeat uptime={}s mode={} minutes={} last_minute={} events={} pid={}", uptime_s,
                 options_.mode, f.minutes,
                 f.last_minute_ts_ns > 0 ? format_iso8601_utc(f.last_minute_ts_ns) : "none", f.events,
                 ::getpid());
  }
  ++beats_;
  if (!options_.file.empty()) {
    std::filesystem::path tmp = options_.file;
    tmp += ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << text << '\n';
    }
    std::error_code ec;
    std::filesystem::rename(tmp, options_.file, ec);
    if (ec) spdlog::warn("heartbeat: {}: {}", options_.file.string(), ec.message());
  }
  if (redis_) {
    if (!redis_->connected()) (void)redis_->connect();
    if (redis_->connected()) {
      const std::string ttl_ms = std::to_string(3 * options_.interval_ms);
      const Status st = stopped ? redis_->command({"DEL", options_.redis_key}, nullptr)
                                : redis_->command({"SET", options_.redis_key, text, "PX", ttl_ms}, nullptr);
      if (!st.ok()) spdlog::warn("heartbeat: redis {}: {}", redis_->endpoint(), st.message());
    }
  }
}

HeartbeatState read_heartbeat(const std::filesystem::path& file, int64_t now_wall_ns) {
  HeartbeatState s;
  std::ifstream in(file);
  if (!in) {
    s.summary = "not running (no heartbeat: " + file.string() + ")";
    return s;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  s.record = nlohmann::json::parse(text, nullptr, false);
  if (s.record.is_discarded() || !s.record.is_object() || !s.record.contains("wall_ns")) {
    s.summary = "unknown (" + file.string() + " is not a heartbeat record)";
    s.record = nlohmann::json();
    return s;
  }
  s.present = true;
  const int64_t wall = s.record.value("wall_ns", int64_t{0});
  const int64_t interval = s.record.value("interval_ms", int64_t{5000});
  s.age_s = static_cast<double>(now_wall_ns - wall) / 1e9;
  s.stopped = s.record.value("stopped", false);
  const std::string pid = std::to_string(s.record.value("pid", int64_t{0}));
  char age[32];
  std::snprintf(age, sizeof age, "%.1f", s.age_s);
  if (s.stopped) {
    s.summary = "not running (stopped cleanly at " + format_iso8601_utc(wall) + ", pid " + pid + ")";
  } else if (now_wall_ns - wall <= 3 * interval * 1000000LL) {
    s.running = true;
    s.summary = "running (pid " + pid + ", " + s.record.value("mode", std::string("?")) +
                ", heartbeat " + age + " s ago)";
  } else {
    s.summary = "not running (heartbeat stale: last at " + format_iso8601_utc(wall) + ", " + age +
                " s ago, pid " + pid + "; the host died or hangs)";
  }
  return s;
}

}  // namespace sh::host
