// Signed `param.reload` messages: HMAC-SHA256 with a shared secret.
//
// Envelope (a JSON object with exactly these two fields):
//   {"body": "<the message JSON, as a string>",
//    "hmac": "<64 lowercase hex digits of HMAC-SHA256(secret, body bytes)>"}
// The MAC covers the body's bytes exactly as they appear after JSON string
// unescaping, so the signer and the host agree without canonicalizing JSON.
//
// Policy (decided here, documented in README):
// - secret configured (control.hmac_secret_env): every message must be an
//   envelope with a valid MAC; a plain message is "refused: missing
//   signature", a wrong/garbled MAC "refused: bad signature".
// - no secret: plain messages are accepted, and an envelope is unwrapped
//   without checking its MAC (there is nothing to check it against).
//
// Freshness: the body of a signed message also carries ts_ms and a nonce,
// checked by the listener against a window and the nonces already seen
// (replay_guard.h), so a captured message cannot be published again later.
#pragma once

#include <string>

#include "control/reload_message.h"

namespace sh::host {

// Lowercase hex HMAC-SHA256(secret, data).
std::string hmac_sha256_hex(const std::string& secret, const std::string& data);

// Constant-time check of a hex MAC (either case) against the expected one.
bool hmac_sha256_verify(const std::string& secret, const std::string& data,
                        const std::string& mac_hex);

// 32 hex digits from the OS's CSPRNG (OpenSSL RAND_bytes): a message nonce.
std::string random_nonce();

// The envelope JSON for `body`.
std::string sign_reload_message(const std::string& secret, const std::string& body);

// Unwraps `text` per the policy above: *body is the message JSON to parse
// (text itself when not an envelope). Refusals: category "signature"
// ("refused: missing signature", "refused: bad signature") or "invalid"
// (a malformed envelope). Text that is not JSON at all passes through, so
// the message parser reports it.
MessageCheck unwrap_reload_message(const std::string& text, const std::string& secret,
                                   bool signing_required, std::string* body);

}  // namespace sh::host
