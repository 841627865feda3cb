// signing.h: what a signed Binance request needs (rest-api.md "SIGNED
// Endpoint security", web-socket-api.md "SIGNED request example (HMAC)"):
// HMAC-SHA256 hex over the payload, percent-encoded query strings, and the
// client order id rule (newClientOrderId must match ^[a-zA-Z0-9-_]{1,36}$).
#ifndef SH_BINANCE_VENUE_SIGNING_H
#define SH_BINANCE_VENUE_SIGNING_H

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace binance_venue {

inline std::string to_hex(const unsigned char* p, size_t n) {
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 15];
  }
  return out;
}

// Lower-case hex HMAC-SHA256 of payload under secret.
inline std::string hmac_sha256_hex(std::string_view secret, std::string_view payload) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac, &len);
  return to_hex(mac, len);
}

inline std::string sha256_hex(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return to_hex(md, sizeof md);
}

// RFC 3986 unreserved characters stay, everything else is %XX.
inline std::string percent_encode(std::string_view s) {
  static const char* const kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

using Params = std::vector<std::pair<std::string, std::string>>;

// "k=v&k=v" in the given order, values percent-encoded.
inline std::string query_string(const Params& params) {
  std::string q;
  for (const auto& [k, v] : params) {
    if (!q.empty()) q += '&';
    q += k;
    q += '=';
    q += percent_encode(v);
  }
  return q;
}

// True when Binance accepts id as newClientOrderId as it is.
inline bool fits_binance_client_id(std::string_view id) {
  if (id.empty() || id.size() > 36) return false;
  for (unsigned char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// The newClientOrderId for a host key: the key itself when it fits, else
// "x-" and the first 34 hex digits of its SHA-256 (36 characters, stable
// across processes, so a restarted host cancelling by key reaches the same
// order).
inline std::string binance_client_id(std::string_view host_key) {
  if (fits_binance_client_id(host_key)) return std::string(host_key);
  return "x-" + sha256_hex(host_key).substr(0, 34);
}

// A quantity or price as a plain decimal (no exponent), at most 8 places
// (Binance's precision), trailing zeros trimmed.
inline std::string format_decimal(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.8f", v);
  std::string s(buf);
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  return s;
}

}  // namespace binance_venue

#endif
