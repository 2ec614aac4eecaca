// The cadre's HTML pages over real HTTP against the real gateway (TestGateway: App on port 0,
// temporary database, demo county): cookie flags, CSRF, the Content-Security-Policy, escaping of
// hostile values, form posts without JavaScript re-rendering what was typed, masking, and the
// assisted-entry channel through both the pages and the JSON API. Plus the pure helpers.
#include <doctest/doctest.h>

#include "admin/demo.h"
#include "gateway/web/pages.h"
#include "tests/support/test_gateway.h"
#include "tests/support/web_browser.h"

using namespace yb;
using Json = nlohmann::json;
using test::Browser;
using test::cookie_value;
using test::form_body;
using test::hidden;
using test::set_cookie_line;
using test::TestGateway;

namespace {

// The demo form's answer as a form post, members as household.members[i].key.
std::vector<std::pair<std::string, std::string>> as_post(const Json& values) {
  std::vector<std::pair<std::string, std::string>> kv;
  for (auto it = values.begin(); it != values.end(); ++it) {
    if (it->is_array() && it.key() == "household.members") {
      for (size_t i = 0; i < it->size(); ++i) {
        for (auto c = (*it)[i].begin(); c != (*it)[i].end(); ++c) {
          kv.emplace_back(it.key() + "[" + std::to_string(i) + "]." + c.key(),
                          c->is_string() ? c->get<std::string>() : c->dump());
        }
      }
    } else if (it->is_array()) {
      for (const auto& x : *it) kv.emplace_back(it.key(), x.get<std::string>());
    } else {
      kv.emplace_back(it.key(), it->is_string() ? it->get<std::string>() : it->dump());
    }
  }
  return kv;
}

}  // namespace

TEST_CASE("pages: strict CSP, no inline script or style, zh-CN by default") {
  TestGateway gw;
  Browser b{gw};
  auto r = b.get("/");
  CHECK(r->status == 200);
  const std::string csp = r->get_header_value("Content-Security-Policy");
  CHECK(csp.find("script-src 'self'") != std::string::npos);
  CHECK(csp.find("unsafe-inline") == std::string::npos);
  CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
  CHECK(r->get_header_value("X-Content-Type-Options") == "nosniff");
  CHECK(r->body.find("<html lang=\"zh-CN\" dir=\"ltr\"") != std::string::npos);
  CHECK(r->body.find("<script src=\"/static/app.js\"") != std::string::npos);
  CHECK(r->body.find("<script>") == std::string::npos);
  CHECK(r->body.find(" style=") == std::string::npos);
  CHECK(r->body.find(" onclick=") == std::string::npos);
  CHECK(r->body.find("长辈版") != std::string::npos);
  b.login();
  auto form = b.get("/forms/resident_household");
  CHECK(form->status == 200);
  CHECK(form->body.find(" style=") == std::string::npos);
  CHECK(form->body.find("<script>") == std::string::npos);
  auto js = b.get("/static/app.js");
  CHECK(js->status == 200);
  CHECK(js->get_header_value("Content-Type").find("javascript") != std::string::npos);
}

TEST_CASE("login: CSRF token required; the session cookie is HttpOnly, SameSite=Strict") {
  TestGateway gw;
  Browser b{gw};
  b.get("/");
  auto bad = b.post("/login", form_body({{"_csrf", "0123456789abcdef0123456789abcdef"},
                                         {"username", "cadre1"},
                                         {"password", test::kDemoPassword}}));
  CHECK(bad->status == 403);
  CHECK(set_cookie_line(bad, "yb_session").empty());

  auto page = b.get("/");
  auto wrong = b.post("/login", form_body({{"_csrf", hidden(page->body, "_csrf")},
                                           {"username", "cadre1"},
                                           {"password", "wrong-password"}}));
  CHECK(wrong->status == 401);
  CHECK(wrong->body.find("用户名或密码不对") != std::string::npos);
  CHECK(wrong->body.find("value=\"cadre1\"") != std::string::npos);  // the username is kept

  auto ok = b.post("/login", form_body({{"_csrf", hidden(page->body, "_csrf")},
                                        {"username", "cadre1"},
                                        {"password", test::kDemoPassword},
                                        {"next", "//evil.example/"}}));
  CHECK(ok->status == 303);
  CHECK(ok->get_header_value("Location") == "/home");  // never off-site
  const std::string line = set_cookie_line(ok, "yb_session");
  CHECK(line.find("HttpOnly") != std::string::npos);
  CHECK(line.find("SameSite=Strict") != std::string::npos);
  CHECK(line.find("Secure") == std::string::npos);  // plain HTTP here

  // Behind a TLS-terminating proxy the cookie is Secure.
  Browser tls{gw};
  tls.extra.emplace("X-Forwarded-Proto", "https");
  auto p2 = tls.get("/");
  auto ok2 = tls.post("/login", form_body({{"_csrf", hidden(p2->body, "_csrf")},
                                           {"username", "cadre1"},
                                           {"password", test::kDemoPassword}}));
  CHECK(set_cookie_line(ok2, "yb_session").find("; Secure") != std::string::npos);

  // Without a page asked for, a county admin lands on the console, a cadre on the forms.
  Browser admin{gw};
  auto p3 = admin.get("/");
  auto ok3 = admin.post("/login", form_body({{"_csrf", hidden(p3->body, "_csrf")},
                                             {"username", "county1"},
                                             {"password", test::kDemoPassword}}));
  CHECK(ok3->status == 303);
  CHECK(ok3->get_header_value("Location") == "/admin");
}

TEST_CASE("pages need a session; logout needs the CSRF token and ends the session") {
  TestGateway gw;
  Browser b{gw};
  auto r = b.get("/home");
  CHECK(r->status == 303);
  CHECK(r->get_header_value("Location") == "/?next=/home");
  auto status = b.get("/submissions/1/status");
  CHECK(status->status == 401);
  b.login();
  CHECK(b.get("/home")->status == 200);
  auto forged = b.post("/logout", "_csrf=forged");
  CHECK(forged->status == 403);
  CHECK(b.get("/home")->status == 200);
  auto home = b.get("/home");
  auto out = b.post("/logout", form_body({{"_csrf", hidden(home->body, "_csrf")}}));
  CHECK(out->status == 303);
  CHECK(b.get("/home")->status == 303);
}

TEST_CASE("form post without JavaScript: CSRF, errors beside fields, typed values kept, escaped") {
  TestGateway gw;
  Browser b{gw};
  b.login();
  auto page = b.get("/forms/resident_household");
  const std::string csrf = hidden(page->body, "_csrf");
  const std::string client_id = hidden(page->body, "_client_id");
  CHECK(client_id.size() > 8);

  Json v = admin::demo_sample_values(5);
  const std::string hostile = "<script>alert(1)</script>\"'&";
  v["person.name"] = hostile;
  v["person.id_number"] = "11010119900307123";  // 17 characters
  auto kv = as_post(v);
  kv.emplace_back("_client_id", client_id);

  // Without the token: refused, nothing stored.
  auto forged = b.post("/forms/resident_household", form_body(kv));
  CHECK(forged->status == 403);

  kv.emplace_back("_csrf", csrf);
  auto r = b.post("/forms/resident_household", form_body(kv));
  CHECK(r->status == 422);
  const std::string& html = r->body;
  CHECK(html.find("<script>alert(1)") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&apos;&amp;") != std::string::npos);
  CHECK(html.find("value=\"11010119900307123\"") != std::string::npos);  // kept to fix
  CHECK(html.find("aria-invalid=\"true\"") != std::string::npos);
  CHECK(html.find("href=\"#f-person-id_number\"") != std::string::npos);  // summary links
  CHECK(html.find("处需要修改") != std::string::npos);
  // both members are still there, and the same client id (a retry stores once)
  CHECK(html.find("name=\"household.members[1].name\"") != std::string::npos);
  CHECK(hidden(html, "_client_id") == client_id);
  CHECK(b.get("/home")->body.find("sub-card") == std::string::npos);  // nothing stored
}

TEST_CASE("form post without JavaScript: add and remove repeat items, then a stored answer") {
  TestGateway gw;
  Browser b{gw};
  b.login();
  auto page = b.get("/forms/resident_household");
  const std::string csrf = hidden(page->body, "_csrf");
  auto add = b.post("/forms/resident_household", form_body({{"_csrf", csrf},
                                                            {"household.members[0].name", "张三"},
                                                            {"_action", "add:household.members"}}));
  CHECK(add->status == 200);
  CHECK(add->body.find("name=\"household.members[1].name\"") != std::string::npos);
  CHECK(add->body.find("value=\"张三\"") != std::string::npos);
  auto rm =
      b.post("/forms/resident_household", form_body({{"_csrf", csrf},
                                                     {"household.members[0].name", "张三"},
                                                     {"household.members[1].name", "李四"},
                                                     {"_action", "remove:household.members:0"}}));
  CHECK(rm->body.find("value=\"李四\"") != std::string::npos);
  CHECK(rm->body.find("value=\"张三\"") == std::string::npos);

  Json v = admin::demo_sample_values(6);
  auto kv = as_post(v);
  kv.emplace_back("_csrf", csrf);
  kv.emplace_back("_client_id", "w-test-1");
  kv.emplace_back("_channel", "phone");
  kv.emplace_back("_paper_ref", "");
  auto ok = b.post("/forms/resident_household", form_body(kv));
  REQUIRE(ok->status == 303);
  const std::string where = ok->get_header_value("Location");
  CHECK(where.rfind("/submissions/", 0) == 0);
  // The same post again (a double tap, an offline queue resending) lands on the same receipt.
  auto again = b.post("/forms/resident_household", form_body(kv));
  CHECK(again->get_header_value("Location") == where);

  auto receipt = b.get(where);
  CHECK(receipt->status == 200);
  const std::string id = v["person.id_number"];
  CHECK(receipt->body.find(id) == std::string::npos);  // masked
  CHECK(receipt->body.find(id.substr(0, 3) + "***********" + id.substr(14)) != std::string::npos);
  CHECK(receipt->body.find("电话代填") != std::string::npos);
  CHECK(receipt->body.find("data-connector=\"civil_affairs\"") != std::string::npos);
  auto home = b.get("/home");
  CHECK(home->body.find(id) == std::string::npos);
  auto st = b.get(where + "/status");
  CHECK(st->status == 200);
  auto sj = Json::parse(st->body);
  CHECK(sj["deliveries"].size() >= 3);
  CHECK(sj["deliveries"][0].contains("label"));

  // The JSON API sees the channel stored with the submission.
  auto token = gw.login("cadre1");
  auto api = gw.get("/api/v1" + where, token);
  REQUIRE(api);
  CHECK(Json::parse(api->body)["channel"] == "phone");
}

TEST_CASE("JSON API: assisted entry channel and paper reference; bad ones 422") {
  TestGateway gw;
  auto token = gw.login("cadre1");
  Json body = {{"form", "resident_household"},
               {"client_id", "paper-1"},
               {"channel", "paper"},
               {"paper_ref", "南高-2026-017"},
               {"values", admin::demo_sample_values(7)}};
  auto r = gw.post("/api/v1/submissions", body.dump(), token);
  REQUIRE(r);
  CHECK(r->status == 201);
  auto j = Json::parse(r->body);
  CHECK(j["channel"] == "paper");
  CHECK(j["paper_ref"] == "南高-2026-017");
  auto stored = gw.get("/api/v1/submissions/" + std::to_string(j["id"].get<int64_t>()), token);
  CHECK(Json::parse(stored->body)["paper_ref"] == "南高-2026-017");

  body["client_id"] = "paper-2";
  body["channel"] = "carrier-pigeon";
  auto bad = gw.post("/api/v1/submissions", body.dump(), token);
  CHECK(bad->status == 422);
  CHECK(bad->body.find("channel") != std::string::npos);
  body["channel"] = nullptr;
  body["paper_ref"] = std::string(65, 'x');
  auto bad2 = gw.post("/api/v1/submissions", body.dump(), token);
  CHECK(bad2->status == 422);
}

TEST_CASE("language and elder mode: remembered in cookies, Uyghur right to left") {
  TestGateway gw;
  Browser b{gw};
  auto r = b.get("/prefs?lang=ug&next=/");
  CHECK(r->status == 303);
  CHECK(r->get_header_value("Location") == "/");
  auto ug = b.get("/");
  CHECK(ug->body.find("<html lang=\"ug\" dir=\"rtl\"") != std::string::npos);
  b.get("/prefs?elder=1&next=//evil.example");
  CHECK(b.cookies["yb_elder"] == "1");
  auto elder = b.get("/");
  CHECK(elder->body.find("class=\"elder\"") != std::string::npos);
  b.get("/prefs?lang=xx");  // unknown: ignored
  CHECK(b.cookies["yb_lang"] == "ug");
}

TEST_CASE("every catalogue has the same keys, every page string comes from one") {
  gateway::web::Pages p;
  const auto& zh = p.catalog("zh-CN");
  for (const char* lang : gateway::web::kLanguages) {
    const auto& c = p.catalog(lang);
    CHECK(c.is_object());
    CHECK(c.size() == zh.size());
    for (auto it = zh.begin(); it != zh.end(); ++it) {
      CHECK_MESSAGE(c.contains(it.key()), lang << " lacks " << it.key());
    }
  }
}

TEST_CASE("form-encoded bodies: decoding, repeat items renumbered, empty answers dropped") {
  using namespace gateway::web;
  auto p = parse_urlencoded("a=1+2&b=%E5%BC%A0%20x&c&=&d=%zz&e=50%");
  REQUIRE(p.size() == 6);
  CHECK(p[0] == std::pair<std::string, std::string>{"a", "1 2"});
  CHECK(p[1].second == "张 x");
  CHECK(p[2] == std::pair<std::string, std::string>{"c", ""});
  CHECK(p[4].second == "%zz");
  CHECK(p[5].second == "50%");

  TestGateway gw;
  auto form = gw.app().catalog().published_form("resident_household");
  REQUIRE(form);
  auto post = read_form_post(**form, {{"person.name", "王五"},
                                      {"household.members[7].name", "甲"},
                                      {"household.members[3].name", "乙"},
                                      {"household.members[7].sex", "1"},
                                      {"household.members[9999999].name", "bad"},
                                      {"household.members[3].nope", "x"},
                                      {"risk.type", "1"},
                                      {"risk.type", "3"},
                                      {"person.phone", ""},
                                      {"_csrf", "t"},
                                      {"_action", "add:household.members"},
                                      {"unknown", "x"}});
  CHECK(post.csrf == "t");
  CHECK(post.action == "add:household.members");
  REQUIRE(post.raw["household.members"].size() == 2);
  CHECK(post.raw["household.members"][0]["name"] == "甲");
  CHECK(post.raw["household.members"][0]["sex"] == "1");
  CHECK(post.raw["household.members"][1]["name"] == "乙");
  CHECK(post.raw["risk.type"] == Json::array({"1", "3"}));
  auto values = values_from_raw(**form, post.raw);
  CHECK_FALSE(values.contains("person.phone"));
  CHECK_FALSE(values.contains("unknown"));
  CHECK(values["person.name"] == "王五");

  CHECK(apply_repeat_action(**form, "remove:household.members:0", post.raw));
  CHECK(post.raw["household.members"].size() == 1);
  CHECK_FALSE(apply_repeat_action(**form, "remove:person.name:0", post.raw));
  CHECK_FALSE(apply_repeat_action(**form, "remove:household.members:x", post.raw));

  CHECK(mask_id_number("11010119900307123X") == "110***********123X");
  CHECK(mask_sensitive("6222021234567890") == "************7890");
}

namespace {

// Every value="..." of inputs named `name` (e.g. the stale fields' "_confirm" boxes).
std::vector<std::string> values_named(const std::string& html, const std::string& name) {
  std::vector<std::string> out;
  const std::string key = "name=\"" + name + "\" value=\"";
  for (size_t p = html.find(key); p != std::string::npos; p = html.find(key, p + 1)) {
    const size_t b = p + key.size();
    out.push_back(html.substr(b, html.find('"', b) - b));
  }
  return out;
}

int64_t submit_api(TestGateway& gw, const std::string& tok, const std::string& cid, const Json& v) {
  auto r =
      gw.post("/api/v1/submissions",
              Json{{"form", "resident_household"}, {"client_id", cid}, {"values", v}}.dump(), tok);
  REQUIRE(r);
  REQUIRE_MESSAGE(r->status == 201, r->body);
  return Json::parse(r->body)["subjects"][0]["id"].get<int64_t>();
}

std::string full_width_digits(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      out += "\xEF\xBC";
      out += static_cast<char>(0x90 + (c - '0'));
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("home: the village's residents, masked, found by name or any ID spelling, paged") {
  TestGateway gw;
  auto tok = gw.login("cadre1");
  Json v1 = admin::demo_sample_values(1), v2 = admin::demo_sample_values(2);
  const int64_t s1 = submit_api(gw, tok, "v-1", v1);
  submit_api(gw, tok, "v-2", v2);
  const std::string id1 = v1["person.id_number"], name1 = v1["person.name"];
  const std::string name2 = v2["person.name"];

  Browser b{gw};
  b.login();
  auto home = b.get("/home");
  REQUIRE(home->status == 200);
  CHECK(home->body.find(name1) != std::string::npos);
  CHECK(home->body.find(name2) != std::string::npos);
  CHECK(home->body.find(id1) == std::string::npos);  // never in full on a list
  CHECK(home->body.find(id1.substr(0, 4) + "**********" + id1.substr(14)) != std::string::npos);
  CHECK(home->body.find("/forms/resident_household?subject=" + std::to_string(s1)) !=
        std::string::npos);
  CHECK(home->body.find("户主") != std::string::npos);

  // The ID number in full-width digits with spaces finds that one person.
  // (Only the village section: the recent submissions name both, too.)
  auto village = [](const std::string& html) {
    auto from = html.find("id=\"h-village\""), to = html.find("id=\"h-queue\"");
    REQUIRE(from != std::string::npos);
    return html.substr(from, to - from);
  };
  auto by_id =
      village(b.get("/home?q=" + gateway::web::url_encode(full_width_digits(id1.substr(0, 6)) +
                                                          " " + id1.substr(6)))
                  ->body);
  CHECK(by_id.find(name1) != std::string::npos);
  CHECK(by_id.find(name2) == std::string::npos);
  auto by_name = village(b.get("/home?q=" + gateway::web::url_encode(name2))->body);
  CHECK(by_name.find(name2) != std::string::npos);
  auto none = b.get("/home?q=" + gateway::web::url_encode("<script>x</script>"));
  CHECK(none->status == 200);
  CHECK(none->body.find("<script>x") == std::string::npos);
  CHECK(none->body.find("没有找到") != std::string::npos);
  CHECK(b.get("/home?q=" + std::string(300, 'a'))->status == 200);
  CHECK(b.get("/home?page=abc")->status == 200);

  // Another township's cadre sees none of them.
  Browser other{gw};
  other.login("cadre2");
  CHECK(other.get("/home")->body.find(name1) == std::string::npos);

  // Paging: 20 people a page, a next link, the rest on page 2.
  for (int i = 10; i < 21; ++i)
    submit_api(gw, tok, "v-" + std::to_string(i), admin::demo_sample_values(i));
  auto p1 = b.get("/home");
  CHECK(p1->body.find("rel=\"next\"") != std::string::npos);
  auto p2 = b.get("/home?page=2");
  CHECK(p2->body.find("rel=\"prev\"") != std::string::npos);
  CHECK(p2->body.find("class=\"card person\"") != std::string::npos);
}

TEST_CASE("form page prefilled: provenance marks, stale fields confirmed, receipt, correction") {
  TestGateway gw;
  auto tok = gw.login("cadre1");
  Json v = admin::demo_sample_values(2);
  const int64_t subject = submit_api(gw, tok, "f-1", v);
  const std::string sid = std::to_string(subject);

  Browser b{gw};
  b.login();
  auto page = b.get("/forms/resident_household?subject=" + sid);
  REQUIRE(page->status == 200);
  const std::string& html = page->body;
  CHECK(html.find("value=\"" + v["person.name"].get<std::string>() + "\"") != std::string::npos);
  CHECK(html.find("已有信息：") != std::string::npos);
  CHECK(html.find("由 cadre1 在《居民及家庭信息采集表（一表通）》填写") != std::string::npos);
  CHECK(html.find("f-person-phone-pf\"") != std::string::npos);
  CHECK(
      html.find("aria-describedby=\"f-person-phone-hint f-person-phone-err f-person-phone-pf\"") !=
      std::string::npos);  // read out with the field
  CHECK(html.find("value=\"" + v["household.members"][1]["name"].get<std::string>() + "\"") !=
        std::string::npos);  // members in the repeat group
  CHECK(hidden(html, "_prefill") == sid);
  CHECK(values_named(html, "_confirm").empty());  // all fresh
  CHECK(b.get("/forms/resident_household?id_number=" +
              gateway::web::url_encode(full_width_digits(v["person.id_number"].get<std::string>())))
            ->status == 200);
  // Hostile and foreign references: a plain 404 page.
  CHECK(b.get("/forms/resident_household?subject=abc")->status == 404);
  CHECK(b.get("/forms/resident_household?subject=99999")->status == 404);
  CHECK(b.get("/forms/resident_household?id_number=%3Cscript%3E")->status == 404);
  Browser other{gw};
  other.login("cadre2");
  CHECK(other.get("/forms/resident_household?subject=" + sid)->status == 404);

  // A year and a day later: the phone and other yearly facts are stale, to be confirmed.
  gw.clock().advance_ms(366LL * 86'400'000);
  b.cookies.clear();
  b.login();
  auto later = b.get("/forms/resident_household?subject=" + sid);
  const auto stale = values_named(later->body, "_confirm");
  CHECK(std::find(stale.begin(), stale.end(), "person.phone") != stale.end());
  CHECK(later->body.find("请确认：") != std::string::npos);
  auto kv = as_post(v);
  kv.emplace_back("_csrf", hidden(later->body, "_csrf"));
  kv.emplace_back("_client_id", hidden(later->body, "_client_id"));
  kv.emplace_back("_prefill", sid);
  auto refused = b.post("/forms/resident_household", form_body(kv));
  CHECK(refused->status == 422);
  CHECK(refused->body.find("可能已过时，请与居民核对") != std::string::npos);
  CHECK(refused->body.find("href=\"#f-person-phone\"") != std::string::npos);
  // Confirm every stale one, change the phone: stored; the receipt counts the prefilled ones.
  for (const auto& p : stale) kv.emplace_back("_confirm", p);
  for (auto& [k, val] : kv) {
    if (k == "person.phone") val = "13900004444";
  }
  auto ok = b.post("/forms/resident_household", form_body(kv));
  REQUIRE_MESSAGE(ok->status == 303, ok->body);
  const std::string receipt_path = ok->get_header_value("Location");
  auto receipt = b.get(receipt_path);
  CHECK(receipt->body.find("预填 ") != std::string::npos);
  CHECK(receipt->body.find("预填 0 项") == std::string::npos);

  // The correction: opened with the stored values, stored as superseding, named both ways.
  const std::string n = receipt_path.substr(receipt_path.rfind('/') + 1);
  CHECK(receipt->body.find("/forms/resident_household?correct=" + n) != std::string::npos);
  auto cpage = b.get("/forms/resident_household?correct=" + n);
  REQUIRE(cpage->status == 200);
  CHECK(hidden(cpage->body, "_supersedes") == n);
  CHECK(cpage->body.find("value=\"13900004444\"") != std::string::npos);
  CHECK(cpage->body.find("正在更正第 " + n + " 号提交") != std::string::npos);
  auto ckv = as_post(v);
  for (auto& [k, val] : ckv) {
    if (k == "person.phone") val = "13900005555";
  }
  ckv.emplace_back("_csrf", hidden(cpage->body, "_csrf"));
  ckv.emplace_back("_client_id", hidden(cpage->body, "_client_id"));
  ckv.emplace_back("_supersedes", n);
  // The person is known: the unchanged answers are marked and count as prefilled.
  CHECK(hidden(cpage->body, "_prefill") == sid);
  CHECK(cpage->body.find("已有信息：") != std::string::npos);
  CHECK(cpage->body.find("f-person-phone-pf") != std::string::npos);
  ckv.emplace_back("_prefill", sid);
  auto cr = b.post("/forms/resident_household", form_body(ckv));
  REQUIRE_MESSAGE(cr->status == 303, cr->body);
  auto newer = b.get(cr->get_header_value("Location"));
  CHECK(newer->body.find("更正了第 " + n + " 号") != std::string::npos);
  // Typed: the phone and the visit date (never prefilled); the rest prefilled.
  CHECK(newer->body.find("本次填写 2 项，预填 ") != std::string::npos);
  auto older = b.get(receipt_path);
  CHECK(older->body.find("已被第 ") != std::string::npos);
  CHECK(b.get("/forms/resident_household?correct=" + n)->status == 409);
  CHECK(b.get("/forms/resident_household?correct=abc")->status == 404);
  other.cookies.clear();
  other.login("cadre2");
  CHECK(other.get("/forms/resident_household?correct=" + n)->status == 404);
}

TEST_CASE("validation messages in Uyghur on a ug page, Chinese on a zh-CN page") {
  TestGateway gw;
  Browser b{gw};
  b.login();
  auto page = b.get("/forms/resident_household");
  Json v = admin::demo_sample_values(5);
  v.erase("person.name");                       // required
  v["person.id_number"] = "11010119900307123";  // 17 characters
  auto kv = as_post(v);
  kv.emplace_back("_csrf", hidden(page->body, "_csrf"));
  auto zh = b.post("/forms/resident_household", form_body(kv));
  CHECK(zh->status == 422);
  CHECK(zh->body.find("请填写姓名（户主）") != std::string::npos);

  b.get("/prefs?lang=ug&next=/home");
  auto ug = b.post("/forms/resident_household", form_body(kv));
  CHECK(ug->status == 422);
  CHECK(ug->body.find("dir=\"rtl\"") != std::string::npos);
  // "Name (head of household)" in Uyghur, then "fill it in"; the ID number's format message.
  CHECK(ug->body.find("ئىسمى (ئائىلە باشلىقى) نى تولدۇرۇڭ") != std::string::npos);
  CHECK(ug->body.find("18 خانىلىق") != std::string::npos);
  CHECK(ug->body.find("请填写") == std::string::npos);

  // The JSON API carries the Uyghur text beside the Chinese and English.
  auto tok = gw.login("cadre1");
  auto r = gw.post(
      "/api/v1/submissions",
      Json{{"form", "resident_household"}, {"client_id", "ug-1"}, {"values", v}}.dump(), tok);
  REQUIRE(r->status == 422);
  INFO(r->body);
  bool seen = false;
  const Json err = Json::parse(r->body);
  for (const auto& e : err["error"]["errors"]) {
    if (e["path"] == "person.name") seen = e["message_ug"] == "ئىسمى (ئائىلە باشلىقى) نى تولدۇرۇڭ";
  }
  CHECK(seen);
}
