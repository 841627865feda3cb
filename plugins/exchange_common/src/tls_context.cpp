// tls_context.cpp: make_tls_context, prepare_tls_peer.
#include "exchange/tls_context.h"

#include <boost/asio/ip/address.hpp>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace exchange {

namespace ssl = boost::asio::ssl;

std::unique_ptr<ssl::context> make_tls_context(bool verify, const std::string& ca_file) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  if (verify) {
    boost::system::error_code ec;
    if (!ca_file.empty()) {
      ctx->load_verify_file(ca_file, ec);
      if (ec) throw std::runtime_error("cannot load ca_file " + ca_file + ": " + ec.message());
    } else {
      ctx->set_default_verify_paths(ec);
      if (ec) throw std::runtime_error("cannot load the system CA store: " + ec.message());
    }
    ctx->set_verify_mode(ssl::verify_peer);
  } else {
    ctx->set_verify_mode(ssl::verify_none);
  }
  return ctx;
}

bool prepare_tls_peer(SSL* ssl, const std::string& host, bool verify, std::string* error) {
  boost::system::error_code ec;
  const auto addr = boost::asio::ip::make_address(host, ec);
  const bool is_ip = !ec;
  if (!is_ip && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) {
    *error = "cannot set SNI to " + host;
    return false;
  }
  if (!verify) return true;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  const int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                       : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  if (ok != 1) {
    *error = "cannot require the certificate to name " + host;
    return false;
  }
  (void)addr;
  return true;
}

std::string tls_failure_reason(SSL* ssl, const std::string& what) {
  const long v = ssl != nullptr ? SSL_get_verify_result(ssl) : X509_V_OK;
  if (v != X509_V_OK) return what + " (certificate: " + X509_verify_cert_error_string(v) + ")";
  return what;
}

}  // namespace exchange
