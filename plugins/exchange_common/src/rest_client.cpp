// rest_client.cpp: RestClient (exchange/rest_client.h).
#include "exchange/rest_client.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <stdexcept>

#include "exchange/tls_context.h"

namespace exchange {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

RestClient::RestClient(const std::string& rest_url, const std::string& ca_file, int64_t timeout_ms,
                       std::string user_agent)
    : url_(exchange::parse_url(rest_url)), timeout_ms_(timeout_ms), user_agent_(std::move(user_agent)) {
  if (!url_.tls) throw std::invalid_argument("rest_url must be https://: " + rest_url);
  tls_ = exchange::make_tls_context(true, ca_file);
}

HttpResult RestClient::request(const std::string& method, const std::string& target,
                               const std::string& api_key) const {
  HttpResult out;
  net::io_context ioc;
  net::ip::tcp::resolver resolver(ioc);
  beast::ssl_stream<beast::tcp_stream> stream(ioc, *tls_);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
  http::request<http::empty_body> req;
  http::response<http::string_body> res;
  beast::flat_buffer buffer;
  bool sent = false;  // a byte of the request may have left
  bool done = false;
  auto fail = [&](const std::string& what) {
    if (done) return;
    done = true;
    out.outcome = sent ? HttpResult::kUnknown : HttpResult::kNotSent;
    out.error = what;
    beast::error_code ignored;
    beast::get_lowest_layer(stream).socket().close(ignored);
  };
  http::verb verb = http::string_to_verb(method);
  req.version(11);
  req.method(verb);
  req.target(url_.path + target);
  req.set(http::field::host, url_.host);
  req.set(http::field::user_agent, user_agent_);
  req.set(http::field::connection, "close");
  if (!api_key.empty()) req.set("X-MBX-APIKEY", api_key);

  // The resolve is bounded by the deadline too (a steady timer closes it).
  net::steady_timer resolve_timer(ioc);
  resolve_timer.expires_at(deadline);
  resolve_timer.async_wait([&](beast::error_code ec) {
    if (!ec) resolver.cancel();
  });
  resolver.async_resolve(url_.host, url_.port, [&](beast::error_code ec, auto results) {
    resolve_timer.cancel();
    if (ec) return fail("resolve " + url_.host + ": " + ec.message());
    auto& tcp = beast::get_lowest_layer(stream);
    tcp.expires_at(deadline);
    tcp.async_connect(results, [&](beast::error_code ec2, const auto&) {
      if (ec2) return fail("connect: " + ec2.message());
      std::string err;
      if (!exchange::prepare_tls_peer(stream.native_handle(), url_.host, true, &err)) return fail(err);
      beast::get_lowest_layer(stream).expires_at(deadline);
      stream.async_handshake(net::ssl::stream_base::client, [&](beast::error_code ec3) {
        if (ec3)
          return fail(exchange::tls_failure_reason(stream.native_handle(), "TLS: " + ec3.message()));
        sent = true;
        beast::get_lowest_layer(stream).expires_at(deadline);
        http::async_write(stream, req, [&](beast::error_code ec4, size_t) {
          if (ec4) return fail("write: " + ec4.message());
          beast::get_lowest_layer(stream).expires_at(deadline);
          http::async_read(stream, buffer, res, [&](beast::error_code ec5, size_t) {
            if (ec5)
              return fail(ec5 == beast::error::timeout ? std::string("timed out waiting for the response")
                                                       : "read: " + ec5.message());
            done = true;
            out.outcome = HttpResult::kResponse;
            out.status = static_cast<int>(res.result_int());
            out.body = std::move(res.body());
            if (auto it = res.find("Retry-After"); it != res.end()) out.retry_after = std::string(it->value());
            if (auto it = res.find(http::field::content_type); it != res.end())
              out.content_type = std::string(it->value());
            if (auto it = res.find("X-MBX-USED-WEIGHT-1M"); it != res.end())
              out.used_weight = std::string(it->value());
            beast::error_code ignored;
            beast::get_lowest_layer(stream).socket().close(ignored);
          });
        });
      });
    });
  });
  ioc.run();
  if (!done) {
    out.outcome = sent ? HttpResult::kUnknown : HttpResult::kNotSent;
    out.error = "request did not complete";
  }
  return out;
}

}  // namespace exchange
