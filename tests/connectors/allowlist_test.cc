// The upstream host allowlist: URL host parsing that tricks do not fool, entry normalisation,
// config checks (url, token_url, templates), and the guarded client refusing before sending.
#include <doctest/doctest.h>

#include "connectors/delivery/allowlist.h"
#include "tests/support/temp_dir.h"

using namespace yb;
using connectors::HostAllowlist;
using connectors::url_host;

namespace {

struct Recorder : connectors::HttpClient {
  std::vector<std::string> urls;
  connectors::HttpResponse send(const connectors::HttpRequest& r,
                                const connectors::SendOptions&) override {
    urls.push_back(r.url);
    connectors::HttpResponse out;
    out.status = 200;
    return out;
  }
};

struct Fixture {
  test::TempDir dir;
  ManualClock clock;
  std::unique_ptr<db::Database> db;
  std::unique_ptr<HostAllowlist> allow;
  Fixture() {
    auto d = db::Database::open(dir.file("a.db"), {});
    REQUIRE(d.ok());
    db = std::move(*d);
    allow = std::make_unique<HostAllowlist>(*db, clock);
  }
};

}  // namespace

TEST_CASE("url_host reads host and port, and refuses user info and non-http schemes") {
  auto h = url_host("https://MZ.Example.gov.cn/api?x=1");
  REQUIRE(h);
  CHECK(h->host == "mz.example.gov.cn");
  CHECK(h->port == 443);
  CHECK(url_host("http://127.0.0.1:18080/x")->port == 18080);
  CHECK(url_host("http://[::1]:8080/x")->host == "::1");
  CHECK(url_host("http://host")->port == 80);
  CHECK_FALSE(url_host("http://127.0.0.1@evil.example/"));
  CHECK_FALSE(url_host("http://evil.example\\@127.0.0.1/"));
  CHECK_FALSE(url_host("ftp://host/"));
  CHECK_FALSE(url_host("file:///etc/passwd"));
  CHECK_FALSE(url_host("http:///nohost"));
  CHECK_FALSE(url_host("http://h:99999/"));
  CHECK_FALSE(url_host("http://h:0/"));
  CHECK_FALSE(url_host("http://h:/"));
  CHECK_FALSE(url_host("http://h:8a/"));
}

TEST_CASE("allowlist entries are normalised; malformed ones refused") {
  CHECK(connectors::normalise_host_entry("MZ.example.gov.cn") == "mz.example.gov.cn");
  CHECK(connectors::normalise_host_entry("10.0.0.5:8443") == "10.0.0.5:8443");
  CHECK(connectors::normalise_host_entry("[::1]") == "[::1]");
  for (const char* bad : {"", "http://x", "x/y", "a b", "x:70000", "-x", "x@y", "*.example"}) {
    INFO(bad);
    CHECK_FALSE(connectors::normalise_host_entry(bad));
  }
}

TEST_CASE("only listed hosts pass; other spellings of an address do not") {
  Fixture f;
  REQUIRE(f.allow->replace({"127.0.0.1", "mz.example.gov.cn:8443"}, "t").ok());
  CHECK(f.allow->check_url("http://127.0.0.1:18080/x").ok());
  CHECK(f.allow->check_url("https://mz.example.gov.cn:8443/api").ok());
  CHECK_FALSE(f.allow->check_url("https://mz.example.gov.cn/api").ok());  // other port
  for (const char* url : {"http://127.1/", "http://2130706433/", "http://localhost/",
                          "http://127.0.0.1./", "http://169.254.169.254/", "http://[::1]/"}) {
    INFO(url);
    auto st = f.allow->check_url(url);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().kind == ErrorKind::kForbidden);
  }
  // Whole configs: url, auth.token_url and {url} templates are checked.
  nlohmann::json cfg = {{"url", "http://127.0.0.1:1/x"},
                        {"update", {{"url", "{url}/{upstream_id}"}}},
                        {"auth", {{"token_url", "https://idp.example/token"}}}};
  CHECK_FALSE(f.allow->check_config(cfg).ok());
  cfg["auth"]["token_url"] = "https://mz.example.gov.cn:8443/token";
  CHECK(f.allow->check_config(cfg).ok());
  cfg["update"]["url"] = "http://{host}/x";
  CHECK_FALSE(f.allow->check_config(cfg).ok());
}

TEST_CASE("the guarded client refuses before sending, and follows list changes") {
  Fixture f;
  auto rec = std::make_unique<Recorder>();
  Recorder* r = rec.get();
  auto client = connectors::make_guarded_http_client(std::move(rec), *f.allow);
  connectors::HttpRequest req;
  req.url = "http://127.0.0.1:9/x";
  auto refused = client->send(req, {});
  CHECK(refused.status == 0);
  CHECK(refused.error.find("not allowed") != std::string::npos);
  CHECK(r->urls.empty());
  REQUIRE(f.allow->add("127.0.0.1", "t").ok());
  CHECK(client->send(req, {}).status == 200);
  CHECK(r->urls.size() == 1);
  REQUIRE(f.allow->replace({}, "t").ok());
  CHECK(client->send(req, {}).status == 0);
  CHECK(r->urls.size() == 1);
}
