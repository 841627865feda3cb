// rest_client.h: one blocking HTTPS request per call, one connection per
// request, everything within timeout_ms. Used by binance_venue (orders on its
// worker thread, queries on the pipeline thread) and binance_history (klines
// during `host history backfill`). Thread-safe: each call has its own
// io_context and stream; the TLS context is shared read-only.
#ifndef SH_EXCHANGE_REST_CLIENT_H
#define SH_EXCHANGE_REST_CLIENT_H

#include <boost/asio/ssl.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "exchange/url.h"

namespace exchange {

struct HttpResult {
  enum Outcome {
    kResponse,     // an HTTP response arrived (any status)
    kNotSent,      // failed before any byte of the request left: safe to resend
    kUnknown       // failed after the request went out (timeout, reset): the
                   // venue may have acted on it
  };
  Outcome outcome = kNotSent;
  int status = 0;
  std::string body;
  std::string retry_after;   // Retry-After header (seconds), "" if none
  std::string used_weight;   // X-MBX-USED-WEIGHT-1M header, "" if none
  std::string error;         // what failed (kNotSent / kUnknown)
  std::string content_type;  // Content-Type header, "" if none
};

class RestClient {
 public:
  // Throws std::runtime_error when the TLS context cannot be built.
  // user_agent: the User-Agent header.
  RestClient(const std::string& rest_url, const std::string& ca_file, int64_t timeout_ms,
             std::string user_agent = "strategy-host-binance-venue/1.0");
  // method: "GET", "POST", "DELETE", "PUT". target: path and query.
  // api_key: the X-MBX-APIKEY header ("" = none). Never logs.
  HttpResult request(const std::string& method, const std::string& target,
                     const std::string& api_key) const;
  const exchange::Url& url() const { return url_; }

 private:
  exchange::Url url_;
  int64_t timeout_ms_;
  std::string user_agent_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
};

}  // namespace exchange

#endif
