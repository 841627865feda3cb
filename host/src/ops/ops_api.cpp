#include "ops/ops_api.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>
#include <nlohmann/json.hpp>

#include "decision/operator_commands.h"
#include "ops/status_json.h"
#include "ops/status_page.h"
#include "services/host_clock.h"

namespace sh::host {
namespace bhttp = boost::beast::http;

namespace {

constexpr std::array<const char*, 6> kCommands = {"stop", "resume", "flatten", "pause", "unpause",
                                                  "reset-risk"};

void reply(HttpResponse& res, bhttp::status code, std::string body,
           const char* type = "text/plain; charset=utf-8") {
  res.result(code);
  res.set(bhttp::field::content_type, type);
  res.set(bhttp::field::cache_control, "no-store");
  res.body() = std::move(body);
}

void reply_json(HttpResponse& res, bhttp::status code, const nlohmann::json& j) {
  reply(res, code, j.dump() + "\n", "application/json");
}

std::array<unsigned char, SHA256_DIGEST_LENGTH> sha256_of(std::string_view s) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> d{};
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d.data());
  return d;
}

}  // namespace

OpsApi::OpsApi(const HttpConfig& config, const StatusBoard& board, const HostRuntime& runtime,
               StateStore* store, const MetricsRegistry& metrics)
    : config_(config), board_(board), runtime_(runtime), store_(store), metrics_(metrics) {}

void OpsApi::handle(const HttpRequest& req, const boost::asio::ip::address& peer, HttpResponse& res) {
  const std::string target(req.target());
  const std::string path = target.substr(0, target.find('?'));
  const bool get = req.method() == bhttp::verb::get;
  const char* allow = "GET";
  std::string command;
  if (path.rfind("/api/", 0) == 0) {
    for (const char* c : kCommands) {
      if (path.compare(5, std::string::npos, c) == 0) command = c;
    }
  }
  if (!command.empty()) allow = "POST";
  const bool page = path == "/" || path == "/index.html";
  const bool known = !command.empty() || page || path == "/health" || path == "/api/ready" ||
                     path == "/api/status" || path == "/metrics";
  if (!known) {
    reply(res, bhttp::status::not_found, "no such path: " + path + "\n");
  } else if (command.empty() != get || (!command.empty() && req.method() != bhttp::verb::post)) {
    reply(res, bhttp::status::method_not_allowed,
          std::string(req.method_string()) + " is not allowed on " + path + " (allowed: " + allow + ")\n");
    res.set(bhttp::field::allow, allow);
  } else if (!command.empty()) {
    this->command(command, req, peer, res);
  } else if (page) {
    reply(res, bhttp::status::ok, std::string(status_page_html()), "text/html; charset=utf-8");
  } else if (path == "/health") {
    health(res);
  } else if (path == "/api/ready") {
    ready(res);
  } else if (path == "/api/status") {
    status(res);
  } else {
    metrics(res);
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++responses_[res.result_int()];
}

std::map<unsigned, uint64_t> OpsApi::responses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return responses_;
}

void OpsApi::tick() {
  const uint64_t turns = runtime_.loop_turns.load(std::memory_order_relaxed);
  if (turns != last_turns_) {
    last_turns_ = turns;
    last_progress_ = std::chrono::steady_clock::now();
  }
}

void OpsApi::health(HttpResponse& res) {
  tick();
  const auto still_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - last_progress_)
                            .count();
  if (still_ms > config_.health_stall_ms) {
    reply(res, bhttp::status::service_unavailable,
          "stalled: the pipeline loop has made no progress for " + std::to_string(still_ms) +
              " ms (host.http.health_stall_ms " + std::to_string(config_.health_stall_ms) + ")\n");
    return;
  }
  reply(res, bhttp::status::ok, "ok\n");
}

void OpsApi::ready(HttpResponse& res) {
  const auto s = board_.current();
  nlohmann::json missing = nlohmann::json::array();
  if (!s || !s->store_open) {
    missing.push_back("the state store is not open yet");
  } else {
    if (s->summary.minutes_closed < s->warmup_minutes) {
      missing.push_back("warm-up: " + std::to_string(s->summary.minutes_closed) + " of " +
                        std::to_string(s->warmup_minutes) + " minutes closed (conveyor.baseline_warmup)");
    }
    for (const ProviderStatus& p : s->providers) {
      if (p.failed) {
        missing.push_back("provider '" + p.name + "' failed");
      } else if (!p.connected) {
        missing.push_back("provider '" + p.name + "' has not delivered data yet");
      }
    }
  }
  reply_json(res, missing.empty() ? bhttp::status::ok : bhttp::status::service_unavailable,
             {{"ready", missing.empty()}, {"missing", missing}});
}

void OpsApi::status(HttpResponse& res) {
  const auto s = board_.current();
  if (!s) {
    reply_json(res, bhttp::status::service_unavailable, {{"error", "no status published yet"}});
    return;
  }
  reply_json(res, bhttp::status::ok, status_to_json(*s, HostClock::wall_ns()));
}

void OpsApi::metrics(HttpResponse& res) {
  const auto s = board_.current();
  const StatusSnapshot empty;
  reply(res, bhttp::status::ok, metrics_.render(s ? *s : empty), "text/plain; version=0.0.4; charset=utf-8");
}

// Constant time: the digests of both, compared with CRYPTO_memcmp, so
// neither the content nor the length of the token leaks through timing.
bool OpsApi::token_matches(const HttpRequest& req) const {
  const auto it = req.find(bhttp::field::authorization);
  if (it == req.end()) return false;
  const std::string_view value(it->value().data(), it->value().size());
  constexpr std::string_view kBearer = "Bearer ";
  if (value.size() <= kBearer.size() || value.substr(0, kBearer.size()) != kBearer) return false;
  const auto given = sha256_of(value.substr(kBearer.size()));
  const auto want = sha256_of(config_.token);
  return CRYPTO_memcmp(given.data(), want.data(), given.size()) == 0;
}

void OpsApi::command(const std::string& name, const HttpRequest& req,
                     const boost::asio::ip::address& peer, HttpResponse& res) {
  if (!peer.is_loopback() && !config_.allow_remote) {
    reply(res, bhttp::status::forbidden,
          "operator commands are accepted from loopback only (host.http.allow_remote: false); peer " +
              peer.to_string() + "\n");
    return;
  }
  if (config_.token.empty()) {
    reply(res, bhttp::status::service_unavailable,
          "operator commands are off: no token configured (set the variable named by "
          "host.http.token_env, " + config_.token_env + ", or host.http.token_file)\n");
    return;
  }
  if (!token_matches(req)) {
    reply(res, bhttp::status::unauthorized, "missing or wrong bearer token\n");
    res.set(bhttp::field::www_authenticate, "Bearer realm=\"strategy-host\"");
    return;
  }
  if (store_ == nullptr) {
    reply(res, bhttp::status::service_unavailable, "the state store is not open\n");
    return;
  }
  StateTxn txn;
  uint64_t seq = 0;
  Status st = store_->begin_write(&txn);
  if (st.ok()) st = put_trade_command(txn, name, HostClock::wall_ns(), &seq);
  if (st.ok()) st = txn.commit();
  if (!st.ok()) {
    reply(res, bhttp::status::internal_server_error, "could not queue '" + name + "': " + st.message() + "\n");
    return;
  }
  reply_json(res, bhttp::status::accepted,
             {{"queued", name}, {"seq", seq}, {"applied", "at the next minute close"}});
}

}  // namespace sh::host
