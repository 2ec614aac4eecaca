#include "core/crypto.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <cstdlib>

namespace yb::crypto {
namespace {

void ensure_init() {
  // Idempotent and thread-safe; cheap after the first call.
  if (sodium_init() < 0) std::abort();  // no usable randomness: refuse to run
}

std::string to_hex(const unsigned char* p, size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), p, n);
  out.pop_back();
  return out;
}

}  // namespace

Result<std::string> hash_password(std::string_view password, HashCost cost) {
  ensure_init();
  char out[crypto_pwhash_STRBYTES];
  unsigned long long ops =
      cost == HashCost::kMin ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE;
  size_t mem =
      cost == HashCost::kMin ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE;
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops, mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Error::make(ErrorKind::kInternal, "hash_failed", "密码处理失败",
                       "password hashing ran out of memory");
  }
  return std::string(out);
}

bool verify_password(const std::string& hash, std::string_view password) {
  ensure_init();
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string random_hex(size_t n) {
  ensure_init();
  std::string buf(n, '\0');
  randombytes_buf(buf.data(), n);
  return to_hex(reinterpret_cast<const unsigned char*>(buf.data()), n);
}

namespace {

// RFC 4648's base32 alphabet, lower-case: a random byte's low 5 bits pick a character, which
// is uniform since 32 divides 256.
constexpr char kBase32[] = "abcdefghijklmnopqrstuvwxyz234567";

void append_base32(std::string& out, const unsigned char* bytes, size_t n) {
  for (size_t i = 0; i < n; ++i) out += kBase32[bytes[i] & 31];
}

}  // namespace

std::string random_base32(std::string_view prefix, size_t n) {
  ensure_init();
  std::vector<unsigned char> bytes(n + 1);  // never empty: libsodium's rule
  randombytes_buf(bytes.data(), bytes.size());
  std::string out;
  out.reserve(prefix.size() + n);
  out.assign(prefix);
  append_base32(out, bytes.data(), n);
  return out;
}

std::vector<std::string> sortable_ids(std::string_view prefix, int64_t now_ms, size_t n,
                                      size_t random_chars) {
  if (n == 0) return {};
  ensure_init();
  // The time part in an alphabet in ASCII order, so that later times sort later.
  static constexpr char kSorted[] = "0123456789abcdefghjkmnpqrstvwxyz";
  uint64_t t = static_cast<uint64_t>(now_ms < 0 ? 0 : now_ms);
  char time_part[10];
  for (int i = 9; i >= 0; --i) {
    time_part[i] = kSorted[t & 31];
    t >>= 5;
  }
  std::vector<unsigned char> bytes(random_chars * n + 1);  // never empty: libsodium's rule
  randombytes_buf(bytes.data(), bytes.size());
  std::vector<std::string> out(n);
  for (size_t k = 0; k < n; ++k) {
    std::string& id = out[k];
    id.reserve(prefix.size() + sizeof time_part + random_chars);
    id.assign(prefix).append(time_part, sizeof time_part);
    append_base32(id, bytes.data() + k * random_chars, random_chars);
  }
  return out;
}

std::string random_password() {
  ensure_init();
  static constexpr char kAlphabet[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string out;
  for (int i = 0; i < 16; ++i) out += kAlphabet[randombytes_uniform(sizeof kAlphabet - 1)];
  return out;
}

uint32_t random_uniform(uint32_t upper) {
  ensure_init();
  return randombytes_uniform(upper);
}

std::string sha256_hex(std::string_view data) {
  // OpenSSL's SHA-256 uses the CPU's SHA extensions where it has them: ~10x libsodium's portable
  // code, and every submission (replays included) hashes its canonical content. The algorithm is
  // fetched once; libsodium stays the fallback should OpenSSL have no SHA-256 to give.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned char h[crypto_hash_sha256_BYTES];
  unsigned int n = 0;
  if (kSha256 == nullptr || EVP_Digest(data.data(), data.size(), h, &n, kSha256, nullptr) != 1 ||
      n != sizeof h) {
    crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  }
  return to_hex(h, sizeof h);
}

bool equal_ct(std::string_view a, std::string_view b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace yb::crypto
