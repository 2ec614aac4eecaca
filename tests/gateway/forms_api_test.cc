// The dictionary and forms editor and the upstream form registry over real HTTP: validation
// reporting every problem at once, draft -> publish -> close as cadres see it, types that never
// change, coverage and mapping suggestions, connectors generated from a registration, audit
// records, and hostile input.
#include <doctest/doctest.h>

#include "admin/demo.h"
#include "tests/support/fake_http.h"
#include "tests/support/test_gateway.h"

using namespace yb;
using Json = nlohmann::json;
using test::TestGateway;

namespace {

struct Api {
  TestGateway gw;
  std::string county = gw.login("county1");
  std::string admin = gw.login("admin", test::kAdminPassword);
  std::string cadre = gw.login("cadre1");

  httplib::Result call(const std::string& method, const std::string& path, const std::string& body,
                       const std::string& token) {
    auto c = gw.client();
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    if (method == "GET") return c.Get(path.c_str(), h);
    if (method == "PUT") return c.Put(path.c_str(), h, body, "application/json");
    return c.Post(path.c_str(), h, body, "application/json");
  }
  Json expect(const httplib::Result& r, int status) {
    REQUIRE(r);
    INFO(r->body.substr(0, 2000));
    REQUIRE(r->status == status);
    return r->body.empty() ? Json() : Json::parse(r->body);
  }
  Json dict() { return expect(call("GET", "/api/v1/admin/dictionary", "", county), 200); }
  std::set<std::string> detail_paths(const Json& err) {
    std::set<std::string> out;
    for (const auto& d : err["error"]["errors"]) {
      out.insert(d["path"].get<std::string>() + " " + d["code"].get<std::string>());
    }
    return out;
  }
  Json audit(const std::string& action) {
    auto auditor = gw.login("auditor1");
    return expect(call("GET", "/api/v1/admin/audit?action=" + action, "", auditor), 200)["records"];
  }
  std::set<std::string> cadre_forms() {
    std::set<std::string> out;
    const Json list = expect(call("GET", "/api/v1/forms", "", cadre), 200);
    for (const auto& f : list["forms"]) {
      out.insert(f["id"].get<std::string>());
    }
    return out;
  }
};

Json survey_form(const std::string& age_field = "person.age") {
  return Json::parse(R"({"title": {"zh-CN": "老年人走访表", "en": "Elderly visit"},
    "sections": [{"id": "s", "title": "基本", "fields": [
      {"field": "person.name", "required": true},
      {"field": "person.id_number", "required": true},
      {"key": "age", "field": ")" +
                     age_field + R"("}]}]})");
}

}  // namespace

TEST_CASE("dictionary: reported problems name every field, types never change, unused adds") {
  Api a;
  Json d = a.dict();
  const int v0 = d["version"];
  CHECK(v0 >= 1);
  Json def = d["definition"];
  REQUIRE(def["fields"][0]["key"] == "person.name");

  // Several problems at once: a type change, a bad type, a duplicate key.
  Json bad = def;
  bad["fields"][0]["type"] = "integer";
  bad["fields"].push_back({{"key", "x.new"}, {"type", "colour"}, {"label", "颜色"}});
  bad["fields"].push_back({{"key", "person.phone"}, {"type", "phone"}, {"label", "电话"}});
  auto err = a.expect(a.call("PUT", "/api/v1/admin/dictionary", bad.dump(), a.county), 422);
  auto paths = a.detail_paths(err);
  const std::string n = std::to_string(def["fields"].size());
  CHECK(paths.count("fields[0].type type_changed") == 1);
  CHECK(paths.count("fields[" + n + "].type bad_type") == 1);
  CHECK(paths.size() >= 3);  // and the duplicate person.phone

  Json type_change = def;
  type_change["fields"][0]["type"] = "integer";
  err = a.expect(a.call("PUT", "/api/v1/admin/dictionary", type_change.dump(), a.county), 422);
  CHECK(a.detail_paths(err).count("fields[0].type type_changed") == 1);
  for (const auto& e : err["error"]["errors"]) {
    if (e["code"] == "type_changed") {
      CHECK(e["message"].get<std::string>().find("person.name") != std::string::npos);
    }
  }

  // Removing a field a published form uses is refused, naming the form.
  Json removed = def;
  removed["fields"].erase(0);
  err = a.expect(a.call("PUT", "/api/v1/admin/dictionary", removed.dump(), a.county), 422);
  bool in_use = false;
  for (const auto& p : a.detail_paths(err)) {
    in_use = in_use || (p.rfind("forms.resident_household", 0) == 0 &&
                        p.find("field_in_use") != std::string::npos);
  }
  CHECK(in_use);

  // Adding a field stores a new version; saving the same again stores nothing.
  Json added = def;
  added["fields"].push_back({{"key", "person.visit_note"},
                             {"type", "text"},
                             {"label", {{"zh-CN", "走访记录"}, {"en", "Visit note"}}},
                             {"sensitivity", "personal"},
                             {"subject", "person"}});
  auto ok = a.expect(a.call("PUT", "/api/v1/admin/dictionary", added.dump(), a.county), 200);
  CHECK(ok["version"] == v0 + 1);
  CHECK(ok["changed"] == true);
  ok = a.expect(a.call("PUT", "/api/v1/admin/dictionary", added.dump(), a.admin), 200);
  CHECK(ok["version"] == v0 + 1);
  CHECK(ok["changed"] == false);
  CHECK(a.dict()["definition"] == added);

  // The once-stored type of the new field is kept too.
  added["fields"].back()["type"] = "date";
  err = a.expect(a.call("PUT", "/api/v1/admin/dictionary", added.dump(), a.county), 422);
  CHECK(a.detail_paths(err).count("fields[" + std::to_string(added["fields"].size() - 1) +
                                  "].type type_changed") == 1);

  // Audited: the change and the refusals.
  Json recs = a.audit("dictionary.put");
  int oks = 0, invalids = 0;
  for (const auto& r : recs) {
    oks += r["result"] == "ok";
    invalids += r["result"] == "invalid";
  }
  CHECK(oks == 1);
  CHECK(invalids == 4);

  // Hostile input.
  a.expect(a.call("PUT", "/api/v1/admin/dictionary", "[1,2]", a.county), 400);
  a.expect(a.call("PUT", "/api/v1/admin/dictionary", "{\"fields\": ", a.county), 400);
  a.expect(a.call("PUT", "/api/v1/admin/dictionary",
                  std::string(2000, '[') + std::string(2000, ']'), a.county),
           400);
  err = a.expect(a.call("PUT", "/api/v1/admin/dictionary", R"({"fields": "x"})", a.county), 422);
  a.expect(a.call("PUT", "/api/v1/admin/dictionary", added.dump(), a.cadre), 403);
  a.expect(a.call("GET", "/api/v1/admin/dictionary", "", a.cadre), 403);
}

TEST_CASE("forms: draft, publish, close as cadres see it; stored answers stay readable") {
  Api a;
  auto list = a.expect(a.call("GET", "/api/v1/admin/forms", "", a.county), 200)["forms"];
  REQUIRE(list.size() == 1);
  CHECK(list[0]["id"] == "resident_household");
  CHECK(list[0]["status"] == "published");
  CHECK(list[0]["published_version"] == 1);
  CHECK(list[0]["draft_version"].is_null());

  // Every problem of a bad draft at once, nothing stored.
  Json bad = survey_form("person.nope");
  bad["sections"][0]["fields"].push_back({{"field", "person.phone"}, {"relevant", "${zzz} = 1"}});
  auto err = a.expect(a.call("PUT", "/api/v1/admin/forms/survey_x", bad.dump(), a.county), 422);
  CHECK(err["error"]["errors"].size() >= 2);
  a.expect(a.call("GET", "/api/v1/admin/forms/survey_x", "", a.county), 404);

  // A draft is not offered to cadres but can be previewed.
  auto f =
      a.expect(a.call("PUT", "/api/v1/admin/forms/survey_x", survey_form().dump(), a.county), 200);
  CHECK(f["status"] == "draft");
  CHECK(f["draft_version"] == 1);
  CHECK(f["draft"]["id"] == "survey_x");
  CHECK(a.cadre_forms().count("survey_x") == 0);
  auto preview = a.expect(a.call("GET", "/api/v1/admin/forms/survey_x/draft", "", a.county), 200);
  CHECK(preview["id"] == "survey_x");
  CHECK(preview["status"] == "draft");
  CHECK(preview["sections"][0]["fields"].size() == 3);
  CHECK(a.gw.app().form_editor().draft("survey_x").ok());

  // Saving again replaces the draft in place (same version) and the preview follows.
  Json v2 = survey_form();
  v2["title"] = "老年人走访表（修订）";
  f = a.expect(a.call("PUT", "/api/v1/admin/forms/survey_x", v2.dump(), a.county), 200);
  CHECK(f["draft_version"] == 1);
  CHECK(f["versions"].size() == 1);
  preview = a.expect(a.call("GET", "/api/v1/admin/forms/survey_x/draft", "", a.county), 200);
  CHECK(preview["title"]["zh-CN"] == "老年人走访表（修订）");

  // Publish: now offered, and cadres can submit.
  f = a.expect(a.call("POST", "/api/v1/admin/forms/survey_x/publish", "", a.county), 200);
  CHECK(f["status"] == "published");
  CHECK(f["published_version"] == 1);
  CHECK(f["draft_version"].is_null());
  CHECK(a.cadre_forms().count("survey_x") == 1);
  a.expect(a.call("POST", "/api/v1/admin/forms/survey_x/publish", "", a.county), 409);
  Json values{{"person.name", "张三"}, {"person.id_number", "11010519491231002X"}, {"age", 76}};
  auto sub = a.expect(
      a.call("POST", "/api/v1/submissions",
             Json{{"form", "survey_x"}, {"client_id", "s-1"}, {"values", values}}.dump(), a.cadre),
      201);
  const std::string subpath = "/api/v1/submissions/" + std::to_string(sub["id"].get<int64_t>());

  // A new draft on top of the published version: cadres keep the published one.
  Json v3 = survey_form();
  v3["sections"][0]["fields"].push_back({{"field", "person.phone"}});
  f = a.expect(a.call("PUT", "/api/v1/admin/forms/survey_x", v3.dump(), a.county), 200);
  CHECK(f["status"] == "published");
  CHECK(f["draft_version"] == 2);
  CHECK(f["published"]["sections"][0]["fields"].size() == 3);
  CHECK(f["draft"]["sections"][0]["fields"].size() == 4);

  // Close: no longer offered, submitting refused, the stored answer still readable.
  f = a.expect(a.call("POST", "/api/v1/admin/forms/survey_x/close", "", a.admin), 200);
  CHECK(f["status"] == "closed");
  CHECK(a.cadre_forms().count("survey_x") == 0);
  err = a.expect(
      a.call("POST", "/api/v1/submissions",
             Json{{"form", "survey_x"}, {"client_id", "s-2"}, {"values", values}}.dump(), a.cadre),
      422);
  CHECK(a.detail_paths(err).count("form not_found") == 1);
  auto stored = a.expect(a.call("GET", subpath, "", a.cadre), 200);
  CHECK(stored.dump().find("张三") != std::string::npos);
  a.expect(a.call("POST", "/api/v1/admin/forms/survey_x/close", "", a.admin), 409);

  // Publishing the pending draft offers the form again, as version 2.
  f = a.expect(a.call("POST", "/api/v1/admin/forms/survey_x/publish", "", a.county), 200);
  CHECK(f["published_version"] == 2);
  CHECK(a.cadre_forms().count("survey_x") == 1);

  // Every step audited with who did it.
  CHECK(a.audit("form.publish").size() >= 2);
  auto closes = a.audit("form.close");
  REQUIRE(closes.size() >= 1);
  CHECK(closes[0]["actor"] == "admin");

  // Not found, bad ids, roles, mismatched id.
  a.expect(a.call("POST", "/api/v1/admin/forms/nope_x/publish", "", a.county), 404);
  a.expect(a.call("POST", "/api/v1/admin/forms/nope_x/close", "", a.county), 404);
  a.expect(a.call("GET", "/api/v1/admin/forms/nope_x/draft", "", a.county), 404);
  a.expect(a.call("GET", "/api/v1/admin/forms/Bad-Id", "", a.county), 404);
  Json other = survey_form();
  other["id"] = "another";
  err = a.expect(a.call("PUT", "/api/v1/admin/forms/survey_x", other.dump(), a.county), 422);
  CHECK(a.detail_paths(err).count("id id_mismatch") == 1);
  a.expect(a.call("PUT", "/api/v1/admin/forms/survey_x", survey_form().dump(), a.cadre), 403);
  a.expect(a.call("POST", "/api/v1/admin/forms/survey_x/close", "", a.gw.login("auditor1")), 403);
}

TEST_CASE("forms: publishing refuses a field whose type changed since an earlier version") {
  Api a;
  a.expect(a.call("PUT", "/api/v1/admin/forms/survey_x", survey_form().dump(), a.county), 200);
  a.expect(a.call("POST", "/api/v1/admin/forms/survey_x/publish", "", a.county), 200);
  // "age" now points at a text field: the draft saves, publishing is refused naming "age".
  a.expect(a.call("PUT", "/api/v1/admin/forms/survey_x",
                  survey_form("person.current_address").dump(), a.county),
           200);
  auto err = a.expect(a.call("POST", "/api/v1/admin/forms/survey_x/publish", "", a.county), 422);
  CHECK(err["error"]["code"] == "type_changed");
  REQUIRE(err["error"]["errors"].size() == 1);
  CHECK(err["error"]["errors"][0]["path"] == "age");
  CHECK(err["error"]["errors"][0]["message_en"].get<std::string>().find("integer") !=
        std::string::npos);
  // Still the old version for cadres.
  auto f = a.expect(a.call("GET", "/api/v1/admin/forms/survey_x", "", a.county), 200);
  CHECK(f["published_version"] == 1);
  CHECK(f["draft_version"] == 2);
  // Also the demo form: its repeat children are compared too.
  auto rh = a.expect(a.call("GET", "/api/v1/admin/forms/resident_household", "", a.county), 200);
  Json def = rh["published"];
  a.expect(a.call("PUT", "/api/v1/admin/forms/resident_household", def.dump(), a.county), 200);
  f = a.expect(a.call("POST", "/api/v1/admin/forms/resident_household/publish", "", a.county), 200);
  CHECK(f["published_version"] == 2);
}

TEST_CASE("upstream forms: register, coverage, suggestions, connector from the registration") {
  Api a;
  const Json reg = Json::parse(R"({
    "name": "残联 残疾人信息采集表", "system": "残联",
    "fields": [{"key": "xm", "label": "姓名"}, {"key": "sfzh", "label": "身份证号码"},
               {"key": "lxdh", "label": "手机号"}, {"key": "cjzh", "label": "残疾人证号"},
               {"key": "jhrxm", "label": "监护人姓名"}],
    "mapping": {"xm": "person.name", "sfzh": "person.id_number", "cjzh": "disability.cert_number"}
  })");
  auto r =
      a.expect(a.call("PUT", "/api/v1/admin/upstream-forms/cl_cjr", reg.dump(), a.county), 201);
  CHECK(r["created"] == true);
  CHECK(r["coverage"]["covered"] == Json({"xm", "sfzh", "cjzh"}));
  CHECK(r["coverage"]["missing"] == Json({"lxdh", "jhrxm"}));
  CHECK(r["coverage"]["ratio"] == doctest::Approx(0.6));
  // The unmapped phone number is suggested from its label.
  CHECK(r["suggested"]["mapping"]["lxdh"] == "person.phone");

  // The dashboard counts it, with its coverage, in the JSON and as a chart.
  auto dash = a.expect(a.call("GET", "/api/v1/admin/dashboard?days=7", "", a.county), 200);
  CHECK(dash["upstream_forms"]["count"] == 1);
  CHECK(dash["upstream_forms"]["fields"] == 5);
  CHECK(dash["upstream_forms"]["covered"] == 3);
  CHECK(dash["upstream_forms"]["list"][0]["name"] == "残联 残疾人信息采集表");
  auto svg = a.gw.get("/api/v1/admin/dashboard/charts/coverage.svg", a.county);
  REQUIRE(svg);
  CHECK(svg->status == 200);
  CHECK(svg->body.find("残联 残疾人信息采集表") != std::string::npos);
  CHECK(svg->body.find("3/5") != std::string::npos);

  r = a.expect(a.call("PUT", "/api/v1/admin/upstream-forms/cl_cjr", reg.dump(), a.admin), 200);
  CHECK(r["created"] == false);
  auto list = a.expect(a.call("GET", "/api/v1/admin/upstream-forms", "", a.county), 200);
  REQUIRE(list["upstream_forms"].size() == 1);
  CHECK(list["upstream_forms"][0]["id"] == "cl_cjr");
  CHECK(list["upstream_forms"][0]["coverage"]["fields"] == 5);

  // Suggestions for a bare field list.
  auto sug = a.expect(
      a.call("POST", "/api/v1/admin/upstream-forms/suggest",
             R"({"fields": [{"key": "a1", "label": "公民身份号码"}, {"key": "a2", "label": "性 别"},
                            {"key": "a3", "label": "出生年月"}, {"key": "a4", "label": "家庭住址"},
                            {"key": "a5", "label": "养殖规模（头）"}]})",
             a.county),
      200);
  CHECK(sug["mapping"]["a1"] == "person.id_number");
  CHECK(sug["mapping"]["a2"] == "person.sex");
  CHECK(sug["mapping"]["a3"] == "person.birth_date");
  CHECK(sug["mapping"]["a4"] == "person.current_address");
  CHECK_FALSE(sug["mapping"].contains("a5"));

  // Every problem at once, each naming its field.
  Json bad = reg;
  bad["name"] = "";
  bad["fields"].push_back({{"key", "xm"}, {"label", "重复"}});
  bad["fields"].push_back({{"key", "bad key!"}, {"label", "x"}});
  bad["mapping"]["lxdh"] = "person.nope";
  bad["mapping"]["zz"] = "person.name";
  bad["colour"] = 1;
  auto err =
      a.expect(a.call("PUT", "/api/v1/admin/upstream-forms/cl_cjr", bad.dump(), a.county), 422);
  auto paths = a.detail_paths(err);
  for (const char* p : {"name required", "fields[5].key duplicate", "fields[6].key bad_key",
                        "mapping.lxdh unknown_dictionary_field",
                        "mapping.zz unknown_upstream_field", "colour unknown_key"}) {
    CHECK_MESSAGE(paths.count(p) == 1, p);
  }
  Json huge = reg;
  huge["fields"] = Json::array();
  for (int i = 0; i < 501; ++i)
    huge["fields"].push_back({{"key", "f" + std::to_string(i)}, {"label", "字段"}});
  err = a.expect(a.call("PUT", "/api/v1/admin/upstream-forms/big", huge.dump(), a.county), 422);
  CHECK(a.detail_paths(err).count("fields too_many") == 1);
  a.expect(a.call("GET", "/api/v1/admin/upstream-forms/nope", "", a.county), 404);
  a.expect(a.call("GET", "/api/v1/admin/upstream-forms/Nope!", "", a.county), 404);
  a.expect(a.call("PUT", "/api/v1/admin/upstream-forms/cl_cjr", "\"x\"", a.county), 400);
  a.expect(a.call("PUT", "/api/v1/admin/upstream-forms/cl_cjr", reg.dump(), a.cadre), 403);
  a.expect(a.call("GET", "/api/v1/admin/upstream-forms", "", a.gw.login("auditor1")), 403);

  // A connector from the registration sends exactly the covered fields under upstream keys.
  err = a.expect(a.call("POST", "/api/v1/admin/upstream-forms/cl_cjr/connector",
                        R"({"type": "http_json", "url": "http://10.9.9.9/x",
                            "tls": {"allow_plain_http": true}})",
                        a.county),
                 403);
  CHECK(err["error"]["code"] == "upstream_host_not_allowed");
  err = a.expect(a.call("POST", "/api/v1/admin/upstream-forms/cl_cjr/connector",
                        R"({"type": "http_json", "url": "http://127.0.0.1:9/x",
                            "mapping": {"fields": []}})",
                        a.county),
                 422);
  CHECK(a.detail_paths(err).count("mapping not_allowed") == 1);
  auto made = a.expect(a.call("POST", "/api/v1/admin/upstream-forms/cl_cjr/connector",
                              R"({"type": "http_json", "url": "http://127.0.0.1:9/cjr",
                                  "tls": {"allow_plain_http": true}})",
                              a.county),
                       200);
  CHECK(made["sent"] == Json({"xm", "sfzh", "cjzh"}));
  CHECK(made["not_sent"] == Json({"lxdh", "jhrxm"}));
  auto prev = a.expect(a.call("POST", "/api/v1/admin/connectors/cl_cjr/preview",
                              Json{{"values", admin::demo_sample_values(3)}}.dump(), a.county),
                       200);
  REQUIRE(prev["payload"].is_object());
  std::set<std::string> keys;
  for (const auto& [k, v] : prev["payload"].items()) keys.insert(k);
  CHECK(keys.count("xm") == 1);
  CHECK(keys.count("sfzh") == 1);
  for (const auto& k : keys) CHECK_MESSAGE((k == "xm" || k == "sfzh" || k == "cjzh"), k);
  a.expect(a.call("POST", "/api/v1/admin/connectors/cl_cjr/pause", "", a.county), 200);
  CHECK(a.audit("upstream_form.connector").size() >= 3);
  a.expect(a.call("POST", "/api/v1/admin/upstream-forms/nope/connector", R"({"type": "http_json"})",
                  a.county),
           404);
}
