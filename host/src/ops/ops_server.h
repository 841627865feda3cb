// OpsServer: the host's HTTP endpoints as one piece for `host run`: the
// status board the pipeline publishes on, the metrics registry (host
// families first; another module adds its own with metrics().add()), the
// API and the server thread.
#pragma once

#include <memory>

#include "ops/http_config.h"
#include "ops/http_server.h"
#include "ops/metrics_registry.h"
#include "ops/ops_api.h"
#include "ops/status_snapshot.h"

namespace sh::host {

class OpsServer {
 public:
  // runtime outlives the server.
  OpsServer(HttpConfig config, const HostRuntime& runtime);
  ~OpsServer();

  // Before open(): Pipeline::set_status_board(&board()).
  StatusBoard& board() { return board_; }
  MetricsRegistry& metrics() { return metrics_; }
  // After the pipeline's store is open: listens and serves. The error names
  // host.http.port and the address.
  Status start(StateStore* store);
  void stop();
  uint16_t port() const { return server_ ? server_->port() : 0; }

 private:
  HttpConfig config_;
  const HostRuntime& runtime_;
  StatusBoard board_;
  MetricsRegistry metrics_;
  std::unique_ptr<OpsApi> api_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace sh::host
