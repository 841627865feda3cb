// tls_context.h: the OpenSSL client context shared by the WebSocket and the
// REST connections, and the per-connection peer checks (SNI, host name or IP
// in the certificate).
#ifndef SH_EXCHANGE_TLS_CONTEXT_H
#define SH_EXCHANGE_TLS_CONTEXT_H

#include <boost/asio/ssl.hpp>

#include <memory>
#include <string>

namespace exchange {

// verify: check the peer's chain against ca_file (PEM) or, when ca_file is
// "", the system store. Throws std::runtime_error when ca_file cannot be read.
std::unique_ptr<boost::asio::ssl::context> make_tls_context(bool verify, const std::string& ca_file);

// Sets SNI (names only) and the name or IP address the peer's certificate
// must carry. False with *error set when OpenSSL refuses.
bool prepare_tls_peer(SSL* ssl, const std::string& host, bool verify, std::string* error);

// A readable reason for a TLS handshake failure (OpenSSL's verify result
// when the chain was refused).
std::string tls_failure_reason(SSL* ssl, const std::string& what);

}  // namespace exchange

#endif
