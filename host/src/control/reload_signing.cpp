#include "control/reload_signing.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <nlohmann/json.hpp>

namespace sh::host {
namespace {

using json = nlohmann::json;

bool raw_hmac(const std::string& secret, const std::string& data, unsigned char* out,
              unsigned int* len) {
  return HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, len) != nullptr;
}

std::string to_hex(const unsigned char* bytes, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0xf];
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string hmac_sha256_hex(const std::string& secret, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!raw_hmac(secret, data, mac, &len)) return "";
  return to_hex(mac, len);
}

bool hmac_sha256_verify(const std::string& secret, const std::string& data,
                        const std::string& mac_hex) {
  unsigned char expected[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!raw_hmac(secret, data, expected, &len)) return false;
  if (mac_hex.size() != size_t{len} * 2) return false;
  unsigned char given[EVP_MAX_MD_SIZE];
  for (unsigned int i = 0; i < len; ++i) {
    const int hi = hex_value(mac_hex[2 * i]);
    const int lo = hex_value(mac_hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    given[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return CRYPTO_memcmp(expected, given, len) == 0;
}

std::string random_nonce() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return "";
  return to_hex(bytes, sizeof bytes);
}

std::string sign_reload_message(const std::string& secret, const std::string& body) {
  json j = json::object();
  j["body"] = body;
  j["hmac"] = hmac_sha256_hex(secret, body);
  return j.dump();
}

MessageCheck unwrap_reload_message(const std::string& text, const std::string& secret,
                                   bool signing_required, std::string* body) {
  *body = text;
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  const bool envelope = j.is_object() && (j.contains("body") || j.contains("hmac"));
  if (!envelope) {
    if (signing_required) return MessageCheck::refuse("signature", "refused: missing signature");
    return MessageCheck::accept();
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() != "body" && it.key() != "hmac") {
      return MessageCheck::refuse("invalid", "signed envelope: unknown field '" + it.key() +
                                                 "' (expected body, hmac)");
    }
  }
  if (!j.contains("body") || !j["body"].is_string()) {
    return MessageCheck::refuse("invalid", "signed envelope: body must be a string holding the message JSON");
  }
  *body = j["body"].get<std::string>();
  if (!signing_required) return MessageCheck::accept();
  if (!j.contains("hmac")) return MessageCheck::refuse("signature", "refused: missing signature");
  if (!j["hmac"].is_string() || !hmac_sha256_verify(secret, *body, j["hmac"].get<std::string>())) {
    return MessageCheck::refuse("signature", "refused: bad signature");
  }
  return MessageCheck::accept();
}

}  // namespace sh::host
