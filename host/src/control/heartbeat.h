// Heartbeat (runbook 001, "Heartbeat Awareness"): while a host runs in a live
// mode, every host.heartbeat_ms (default 5 s) a thread of its own
//   - logs one line: `heartbeat uptime=12s mode=production minutes=3
//     last_minute=2024-01-02T00:02:00Z events=8411 pid=4242` (a JSON log
//     line when host.log.format is json);
//   - writes <state_dir>/heartbeat.json (atomically: a temp file, then a
//     rename): {"pid","wall_ns","interval_ms","uptime_s","mode","minutes",
//     "last_minute_ts_ns","events","stopped"};
//   - with redis: configured, SETs `host.heartbeat` to the same JSON with a
//     TTL of three intervals, so the key vanishes when the host dies.
// At a clean stop it writes a last record with "stopped": true.
// `host status` reads the file: a record older than three intervals (and not
// stopped) means the host died or hangs: "not running (heartbeat stale)".
// The pipeline thread only stores two atomics per minute (HostRuntime).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "config/pipeline_config.h"

namespace sh::host {

class RedisClient;

struct HeartbeatOptions {
  int64_t interval_ms = 5000;
  std::filesystem::path file;  // <state_dir>/heartbeat.json
  std::string mode;            // "production", ...
  RedisSettings redis;         // enabled: SET key with a TTL
  std::string redis_key = "host.heartbeat";
};

// What a heartbeat reports besides the process facts.
struct HeartbeatFigures {
  uint64_t minutes = 0;
  int64_t last_minute_ts_ns = 0;
  uint64_t events = 0;
};

class Heartbeat {
 public:
  Heartbeat(HeartbeatOptions options, std::function<HeartbeatFigures()> figures);
  ~Heartbeat();  // stop()
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  void start();
  // Writes the "stopped" record and joins the thread. Idempotent.
  void stop();
  uint64_t beats() const { return beats_.load(); }

 private:
  void run();
  void beat(bool stopped);

  HeartbeatOptions options_;
  std::function<HeartbeatFigures()> figures_;
  int64_t started_wall_ns_ = 0;
  std::unique_ptr<RedisClient> redis_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool stopped_ = false;
  std::atomic<uint64_t> beats_{0};
};

// host status: what <state_dir>/heartbeat.json says about the host now.
struct HeartbeatState {
  bool present = false;
  bool running = false;   // fresh (<= 3 intervals old) and not stopped
  bool stopped = false;   // the last record is a clean stop
  double age_s = 0.0;     // since the last record
  nlohmann::json record;  // the record itself
  std::string summary;    // one line for host status
};
HeartbeatState read_heartbeat(const std::filesystem::path& file, int64_t now_wall_ns);

}  // namespace sh::host
