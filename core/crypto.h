// Password hashing (argon2id), tokens and digests, over libsodium (SHA-256 over OpenSSL, which
// uses the CPU's SHA instructions). Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace yb::crypto {

// argon2id cost. kInteractive is libsodium's interactive profile (64 MiB, ~0.1 s); kMin is for
// tests that create many users.
enum class HashCost { kInteractive, kMin };

Result<std::string> hash_password(std::string_view password, HashCost cost);
bool verify_password(const std::string& hash, std::string_view password);

// n random bytes as lower-case hex (2n characters).
std::string random_hex(size_t n);
// `prefix` then n random characters of RFC 4648's base32 alphabet (lower-case, 5 bits each),
// with one read of the random source.
std::string random_base32(std::string_view prefix, size_t n);
// n ids that sort by the time they were made, like ULIDs: `prefix`, 10 characters of now_ms in
// a base32 alphabet in ASCII order, then `random_chars` random base32 characters (5 bits each),
// with one read of the random source for all of them. A b-tree keyed by such ids is appended to at
// its end, where random ids would land on a random page each (a page written per insert).
std::vector<std::string> sortable_ids(std::string_view prefix, int64_t now_ms, size_t n,
                                      size_t random_chars);
// A password people can type: 16 characters from an unambiguous alphabet.
std::string random_password();
// A uniform random number in [0, upper).
uint32_t random_uniform(uint32_t upper);
// SHA-256 of data, lower-case hex.
std::string sha256_hex(std::string_view data);
// Constant-time comparison.
bool equal_ct(std::string_view a, std::string_view b);

}  // namespace yb::crypto
