// feed: configuration and cursors.
#include <doctest/doctest.h>

#include "connectors/connector.h"
#include "connectors/feed/feed.h"
#include "tests/connectors/test_util.h"

using namespace yb;
using namespace yb::connectors;

namespace {

Json valid() {
  return Json::parse(R"({
    "id": "veterans_pull",
    "type": "feed",
    "name": {"zh-CN": "退役军人信息采集（拉取）"},
    "token_secret": "veterans_pull_token",
    "mapping": {"fields": [{"to": "xm", "from": "person.name"}]}
  })");
}

using yb::connectors::test_util::has_error;
using yb::connectors::test_util::parse;

}  // namespace

TEST_CASE("feed config: defaults, bounds, required token secret name") {
  auto r = parse(valid());
  REQUIRE(r.ok());
  auto f = dynamic_cast<const FeedConnector*>(r.value().get());
  REQUIRE(f);
  CHECK_FALSE(f->pushes());
  CHECK(f->page_size == 100);
  CHECK(f->token_secret == "veterans_pull_token");
  CHECK(feed_page_limit(*f, std::nullopt) == 100);
  CHECK(feed_page_limit(*f, 10) == 10);
  CHECK(feed_page_limit(*f, 5000) == 100);
  CHECK(feed_page_limit(*f, -1) == 100);

  Json j = valid();
  j["page_size"] = 1000;
  auto big = parse(j);
  REQUIRE(big.ok());
  CHECK(dynamic_cast<const FeedConnector*>(big.value().get())->page_size == 1000);

  j["page_size"] = 1001;
  j.erase("token_secret");
  j["url"] = "https://x";
  auto bad = parse(j);
  CHECK(has_error(bad, "page_size", "out_of_range"));
  CHECK(has_error(bad, "token_secret", "required"));
  CHECK(has_error(bad, "url", "unknown_key"));

  Json k = valid();
  k["token_secret"] = "whsec_abcdef";
  k["page_size"] = "100";
  auto bad2 = parse(k);
  CHECK(has_error(bad2, "token_secret", "bad_secret_name"));
  CHECK(has_error(bad2, "page_size", "out_of_range"));
}

TEST_CASE("cursors round-trip, are opaque, and are bound to their connector") {
  const std::string c = encode_cursor("veterans_pull", 123456789);
  CHECK(c.rfind("c1_", 0) == 0);
  CHECK(c.find("123456789") == std::string::npos);
  auto d = decode_cursor("veterans_pull", c);
  REQUIRE(d.ok());
  CHECK(d.value() == 123456789);
  CHECK(decode_cursor("veterans_pull", "").value() == 0);
  CHECK(decode_cursor("veterans_pull", encode_cursor("veterans_pull", 0)).value() == 0);

  auto other = decode_cursor("civil_affairs", c);
  REQUIRE_FALSE(other.ok());
  CHECK(other.error().kind == ErrorKind::kInvalidArgument);
  for (const char* bad : {"garbage", "c1_", "c1_!!!!", "c1_dmV0ZXJhbnNfcHVsbDp4", "c1_A"}) {
    CHECK_MESSAGE(!decode_cursor("veterans_pull", bad).ok(), bad);
  }
  CHECK_FALSE(decode_cursor("veterans_pull", std::string(500, 'a')).ok());
}
