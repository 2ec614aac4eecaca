// Standard Webhooks signatures (https://www.standardwebhooks.com): headers webhook-id,
// webhook-timestamp and webhook-signature = "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>",
// where the key is the base64 part of a "whsec_..." secret. Verifiable by the standard
// libraries (npm `standardwebhooks`). Pure apart from libsodium.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace yb::connectors {

// A new random secret, "whsec_" + base64 of 24 random bytes.
std::string new_webhook_secret();

// "v1,<base64>" for the message, or an error when the secret is not "whsec_<base64>".
Result<std::string> webhook_signature(std::string_view secret, std::string_view msg_id,
                                      int64_t timestamp_s, std::string_view body);

// A new delivery id: "msg_" + 26 random base32 characters. Stable once stored.
std::string new_delivery_id();
// A new delivery id that sorts by time: "msg_" + 10 base32 characters of now_ms + 16 random
// ones (80 bits), like a ULID. Stored ids then land at the end of the id index instead of at
// random places in it, which keeps the outbox write cost flat as it grows.
std::string new_delivery_id(int64_t now_ms);
// n such ids with one read of the system's random source (an answer fans out to several
// upstreams; a read per id was a system call each).
std::vector<std::string> new_delivery_ids(int64_t now_ms, size_t n);

}  // namespace yb::connectors
