// Standard Webhooks signing over libsodium. Thread-safe (libsodium is, after sodium_init(),
// which is itself safe to call from any thread, any number of times).
#include "connectors/delivery/signing.h"

#include <sodium.h>

#include <array>
#include <cstdlib>
#include <vector>

#include "core/crypto.h"

namespace yb::connectors {

namespace {

constexpr std::string_view kSecretPrefix = "whsec_";
constexpr size_t kSecretBytes = 24;
constexpr size_t kIdChars = 26;

void ensure_sodium() {
  // Returns 1 when already initialised; -1 only when libsodium cannot work at all (no
  // randomness source): a signing service must not run on.
  if (sodium_init() < 0) std::abort();
}

std::string to_base64(const unsigned char* data, size_t len) {
  std::string out(sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), data, len, sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

Error bad_secret() {
  return Error::make(ErrorKind::kValidation, "bad_webhook_secret",
                     "签名密钥格式错误，应为 whsec_ 加 base64",
                     "the signing secret is not \"whsec_\" followed by base64");
}

}  // namespace

std::string new_webhook_secret() {
  ensure_sodium();
  std::array<unsigned char, kSecretBytes> key{};
  randombytes_buf(key.data(), key.size());
  std::string s(kSecretPrefix);
  s += to_base64(key.data(), key.size());
  sodium_memzero(key.data(), key.size());
  return s;
}

Result<std::string> webhook_signature(std::string_view secret, std::string_view msg_id,
                                      int64_t timestamp_s, std::string_view body) {
  ensure_sodium();
  if (!secret.starts_with(kSecretPrefix)) return bad_secret();
  const std::string_view b64 = secret.substr(kSecretPrefix.size());
  if (b64.empty()) return bad_secret();
  std::vector<unsigned char> key(b64.size());
  size_t key_len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(key.data(), key.size(), b64.data(), b64.size(), nullptr, &key_len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != b64.data() + b64.size() || key_len == 0)
    return bad_secret();

  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.data(), key_len);
  sodium_memzero(key.data(), key.size());
  const std::string ts = std::to_string(timestamp_s);
  auto update = [&st](std::string_view part) {
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(part.data()),
                                  part.size());
  };
  update(msg_id);
  update(".");
  update(ts);
  update(".");
  update(body);
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_final(&st, mac.data());
  sodium_memzero(&st, sizeof st);
  return "v1," + to_base64(mac.data(), mac.size());
}

std::string new_delivery_id() { return crypto::random_base32("msg_", kIdChars); }

std::string new_delivery_id(int64_t now_ms) { return new_delivery_ids(now_ms, 1).front(); }

std::vector<std::string> new_delivery_ids(int64_t now_ms, size_t n) {
  return crypto::sortable_ids("msg_", now_ms, n, kIdChars - 10);
}

}  // namespace yb::connectors
