#include "ops/ops_server.h"

#include <spdlog/spdlog.h>

#include "ops/metrics_host.h"

namespace sh::host {

OpsServer::OpsServer(HttpConfig config, const HostRuntime& runtime)
    : config_(std::move(config)), runtime_(runtime) {
  metrics_.add([](const StatusSnapshot& s, MetricsWriter& w) { write_status_metrics(s, w); });
  metrics_.add([this](const StatusSnapshot&, MetricsWriter& w) {
    write_counter_metrics(runtime_.counters, w);
    if (!server_ || !api_) return;
    if (w.family("sh_http_responses_total", "counter", "HTTP responses sent, by status code")) {
      for (const auto& [code, n] : api_->responses()) {
        w.sample({{"code", std::to_string(code)}}, static_cast<double>(n));
      }
    }
    write_server_metrics(server_->stats(), w);
  });
}

OpsServer::~OpsServer() { stop(); }

Status OpsServer::start(StateStore* store) {
  api_ = std::make_unique<OpsApi>(config_, board_, runtime_, store, metrics_);
  OpsApi* api = api_.get();
  server_ = std::make_unique<HttpServer>(
      config_,
      [api](const HttpRequest& req, const boost::asio::ip::address& peer, HttpResponse& res) {
        api->handle(req, peer, res);
      },
      [api] { api->tick(); });
  const Status st = server_->start();
  if (!st.ok()) {
    server_.reset();
    return st;
  }
  spdlog::info("http: serving /health, /api/ready, /api/status, /metrics and operator commands on "
               "{}:{} (commands: {})",
               config_.bind, server_->port(),
               config_.token.empty() ? "off, no token configured" : "token from " + config_.token_source);
  return Status::Ok();
}

void OpsServer::stop() {
  if (server_) server_->stop();
}

}  // namespace sh::host
