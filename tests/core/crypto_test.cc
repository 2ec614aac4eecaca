// SHA-256 digests: the published test vectors (FIPS 180-2), across block boundaries and for
// binary input, so that a change of implementation cannot change a stored content hash. And ids
// that sort by time (delivery ids, the web form's answer ids).
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/crypto.h"

using namespace yb;

TEST_CASE("sha256_hex gives the published digests") {
  CHECK(crypto::sha256_hex("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(crypto::sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(crypto::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(crypto::sha256_hex(std::string(1'000'000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256_hex hashes every byte, NULs and non-ASCII included") {
  const std::string with_nul("a\0b", 3);
  CHECK(crypto::sha256_hex(with_nul) != crypto::sha256_hex("ab"));
  CHECK(crypto::sha256_hex(with_nul).size() == 64);
  // UTF-8 text as stored in content hashes.
  CHECK(crypto::sha256_hex("张三") ==
        "1d841bc0ee98309cb7916670b7f0fdef5f4c35150711a41405ef3633b56322cf");
  // Lengths either side of SHA-256's 64-byte blocks and its 55-byte padding limit (digests
  // from Python's hashlib).
  const std::pair<size_t, const char*> kBlocks[] = {
      {55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072"},
      {56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e"},
      {63, "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2"},
      {64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"},
      {65, "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9"},
      {119, "000b48d4edf0fa7bee3c6236ecd2785baa5db4eeb8bb54341b029e0d9fa5fb0c"},
      {120, "13f05a0b594787f5ecd315edc96141bd3243203d1b7d4f0836f37308b276ba98"},
      {128, "24da1b81d0b16df6428eee73c69fcb2a93c76bc6df706f0c6670fe6bfe800464"},
  };
  for (const auto& [n, digest] : kBlocks) {
    CAPTURE(n);
    CHECK(crypto::sha256_hex(std::string(n, 'x')) == digest);
  }
}

TEST_CASE("sortable_ids sort by time, and differ within the same millisecond") {
  const int64_t t = 1'795'923'037'007;  // 2026-11-28
  const auto now = crypto::sortable_ids("w-", t, 200, 16);
  REQUIRE(now.size() == 200);
  std::set<std::string> distinct(now.begin(), now.end());
  CHECK(distinct.size() == 200);
  const std::string time_chars = "0123456789abcdefghjkmnpqrstvwxyz";
  const std::string random_chars = "abcdefghijklmnopqrstuvwxyz234567";
  for (const auto& id : now) {
    REQUIRE(id.size() == 2 + 10 + 16);
    CHECK(id.rfind("w-", 0) == 0);
    CHECK(id.substr(2, 10) == now.front().substr(2, 10));  // one time part for the call
    CHECK(id.find_first_not_of(time_chars, 2) >= 12);
    CHECK(id.find_first_not_of(random_chars, 12) == std::string::npos);
  }
  // Every later millisecond sorts after, across carries of the base32 digits as well.
  for (int64_t later : {t + 1, t + 31, t + 32, t + 1024, t + 86'400'000}) {
    const auto next = crypto::sortable_ids("w-", later, 1, 16);
    CHECK(*std::max_element(now.begin(), now.end()) < next.front());
  }
  // The time part is the clock in base32, most significant digit first.
  CHECK(crypto::sortable_ids("", 0, 1, 0).front() == "0000000000");
  CHECK(crypto::sortable_ids("", 33, 1, 0).front() == "0000000011");
  CHECK(crypto::sortable_ids("", -5, 1, 0).front() == "0000000000");  // before 1970: zero
  CHECK(crypto::sortable_ids("msg_", t, 0, 16).empty());
}
