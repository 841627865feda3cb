// OpsApi: what each HTTP path means (the server, ops/http_server.h, only
// parses and bounds requests). Runs on the server thread.
//
//   GET  /health       200 "ok", or 503 with the reason when the pipeline's
//                      run loop has not turned for host.http.health_stall_ms
//   GET  /api/ready    200, or 503 listing what is missing: the store, the
//                      baseline warm-up, a provider that has not delivered
//   GET  /api/status   the status snapshot as JSON (ops/status_json.h)
//   GET  /metrics      Prometheus text exposition 0.0.4 (ops/metrics_host.h)
//   POST /api/stop|resume|flatten|pause|unpause|reset-risk
//                      the `host trade` command, queued in the store for the
//                      next minute close: 202; 401 without the bearer token,
//                      403 from a non-loopback peer unless allow_remote, 503
//                      when no token is configured
//   anything else      404, or 405 for a known path with the wrong method
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "ops/http_config.h"
#include "ops/http_server.h"
#include "ops/metrics_registry.h"
#include "ops/status_snapshot.h"
#include "services/host_services.h"
#include "store/state_store.h"

namespace sh::host {

class OpsApi {
 public:
  // Everything borrowed outlives the API; store may be null (commands: 503).
  OpsApi(const HttpConfig& config, const StatusBoard& board, const HostRuntime& runtime,
         StateStore* store, const MetricsRegistry& metrics);

  // HttpServer::Handler.
  void handle(const HttpRequest& req, const boost::asio::ip::address& peer, HttpResponse& res);
  // HttpServer::Tick: watches the run loop's progress.
  void tick();
  // Responses sent, by status code (the sh_http_requests_total family).
  std::map<unsigned, uint64_t> responses() const;

 private:
  void health(HttpResponse& res);
  void ready(HttpResponse& res);
  void status(HttpResponse& res);
  void metrics(HttpResponse& res);
  void command(const std::string& name, const HttpRequest& req, const boost::asio::ip::address& peer,
               HttpResponse& res);
  bool token_matches(const HttpRequest& req) const;

  const HttpConfig& config_;
  const StatusBoard& board_;
  const HostRuntime& runtime_;
  StateStore* store_;
  const MetricsRegistry& metrics_;
  // The run loop's progress as tick() last saw it (server thread).
  uint64_t last_turns_ = 0;
  std::chrono::steady_clock::time_point last_progress_ = std::chrono::steady_clock::now();
  mutable std::mutex mu_;
  std::map<unsigned, uint64_t> responses_;  // guarded by mu_
};

}  // namespace sh::host
