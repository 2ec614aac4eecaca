// The connector registry and the configuration common to every type.
#include <doctest/doctest.h>

#include "connectors/connector.h"

using namespace yb;
using namespace yb::connectors;

namespace {

class FakeType : public ConnectorType {
 public:
  explicit FakeType(std::string n) : n_(std::move(n)) {}
  std::string name() const override { return n_; }
  Result<ConnectorPtr> parse(const Json& config, const forms::Dictionary* dict) const override {
    auto c = std::make_shared<Connector>();
    std::vector<FieldError> errs;
    std::vector<std::string> allowed;
    parse_common(config, dict, *c, errs, allowed);
    reject_unknown_keys(config, "", allowed, errs);
    if (!errs.empty()) return connector_config_error(std::move(errs));
    return ConnectorPtr(c);
  }

 private:
  std::string n_;
};

bool has_error(const Error& e, const std::string& path, const std::string& code) {
  for (const auto& d : e.details) {
    if (d.path == path && d.code == code) return true;
  }
  return false;
}

Json minimal(const std::string& type) {
  return Json{
      {"id", "demo_1"},
      {"type", type},
      {"name", {{"zh-CN", "测试"}, {"en", "Test"}}},
      {"mapping", {{"fields", Json::array({Json{{"to", "xm"}, {"from", "person.name"}}})}}}};
}

}  // namespace

TEST_CASE("the built-in types are registered by name; duplicates are refused") {
  ConnectorRegistry r;
  register_builtin_connectors(r);
  CHECK(r.names() == std::vector<std::string>{"feed", "http_form", "http_json", "spreadsheet"});
  auto dup = r.add(std::make_unique<FakeType>("http_json"));
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().kind == ErrorKind::kConflict);
  CHECK(r.add(std::make_unique<FakeType>("fake")).ok());
  CHECK(r.names().size() == 5);
  CHECK_FALSE(r.add(nullptr).ok());
}

TEST_CASE("parse dispatches on type; unknown or missing type lists the known ones") {
  ConnectorRegistry r;
  register_builtin_connectors(r);
  r.add(std::make_unique<FakeType>("fake")).value();
  auto ok = r.parse(minimal("fake"), nullptr);
  REQUIRE(ok.ok());
  CHECK(ok.value()->type == "fake");
  CHECK(ok.value()->id == "demo_1");
  CHECK_FALSE(ok.value()->pushes());

  for (const Json& bad : {minimal("smoke_signal"), Json{{"id", "x"}}, Json::array()}) {
    auto res = r.parse(bad, nullptr);
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().kind == ErrorKind::kValidation);
    REQUIRE_FALSE(res.error().details.empty());
    if (bad.is_object()) {
      CHECK(res.error().details[0].path == "type");
      CHECK(res.error().details[0].message.en.find("http_json") != std::string::npos);
      CHECK(res.error().details[0].message.zh.find("spreadsheet") != std::string::npos);
    }
  }
}

TEST_CASE("common keys: all problems at once, with paths") {
  ConnectorRegistry r;
  r.add(std::make_unique<FakeType>("fake")).value();
  Json j = {{"id", "Bad-Id"},
            {"type", "fake"},
            {"name", {{"en", "no chinese"}, {"fr", "non"}}},
            {"forms", Json::array({"a", 1})},
            {"when", "${x} = "},
            {"subject_field", 5},
            {"description", 1},
            {"colour", "red"}};
  auto res = r.parse(j, nullptr);
  REQUIRE_FALSE(res.ok());
  const Error& e = res.error();
  CHECK(has_error(e, "id", "bad_id"));
  CHECK(has_error(e, "name.zh-CN", "required"));
  CHECK(has_error(e, "name.fr", "unknown_key"));
  CHECK(has_error(e, "forms[1]", "type"));
  CHECK(has_error(e, "when", "bad_expression"));
  CHECK(has_error(e, "subject_field", "type"));
  CHECK(has_error(e, "description", "type"));
  CHECK(has_error(e, "mapping", "required"));
  CHECK(has_error(e, "colour", "unknown_key"));
  for (const auto& d : e.details) {
    CHECK_FALSE(d.message.zh.empty());
    CHECK_FALSE(d.message.en.empty());
  }
  // Missing id.
  Json k = minimal("fake");
  k.erase("id");
  auto r2 = r.parse(k, nullptr);
  REQUIRE_FALSE(r2.ok());
  CHECK(has_error(r2.error(), "id", "required"));
}

TEST_CASE("with a dictionary, when references and subject_field must exist") {
  auto d = forms::parse_dictionary(Json::parse(R"({"fields": [
    {"key": "person.name", "type": "text", "label": "姓名"},
    {"key": "person.id_number", "type": "id_number", "label": "身份证号"}]})"));
  REQUIRE(d.ok());
  ConnectorRegistry r;
  r.add(std::make_unique<FakeType>("fake")).value();
  Json j = minimal("fake");
  j["when"] = "${person.nope} = 'x'";
  j["subject_field"] = "person.nope";
  auto res = r.parse(j, &d.value());
  REQUIRE_FALSE(res.ok());
  CHECK(has_error(res.error(), "when", "bad_expression"));
  CHECK(has_error(res.error(), "subject_field", "unknown_field"));
  CHECK(r.parse(minimal("fake"), &d.value()).ok());
}

TEST_CASE("render_payload: forms filter, when, mapping; default build_request refuses") {
  ConnectorRegistry r;
  r.add(std::make_unique<FakeType>("fake")).value();
  Json j = minimal("fake");
  j["forms"] = Json::array({"resident_household"});
  j["when"] = "${person.has_disability} = true";
  auto c = r.parse(j, nullptr);
  REQUIRE(c.ok());
  Json v = {{"person.name", "王芳"}, {"person.has_disability", true}, {"person.phone", "1"}};
  auto p = render_payload(*c.value(), "resident_household", v, "2024-06-01");
  REQUIRE(p.ok());
  REQUIRE(p.value().has_value());
  CHECK(*p.value() == Json{{"xm", "王芳"}});  // only mapped fields leave

  auto other_form = render_payload(*c.value(), "elderly_allowance", v, "2024-06-01");
  REQUIRE(other_form.ok());
  CHECK_FALSE(other_form.value().has_value());

  v["person.has_disability"] = false;
  auto skipped = render_payload(*c.value(), "resident_household", v, "2024-06-01");
  REQUIRE(skipped.ok());
  CHECK_FALSE(skipped.value().has_value());

  v["person.has_disability"] = "yes";  // a type error in the condition is an error, not a skip
  auto bad = render_payload(*c.value(), "resident_household", v, "2024-06-01");
  CHECK_FALSE(bad.ok());

  auto req =
      c.value()->build_request(Json::object(), RequestContext{"msg_1", 1, std::nullopt}, nullptr);
  REQUIRE_FALSE(req.ok());
  CHECK(req.error().kind == ErrorKind::kValidation);
}

TEST_CASE("helpers: ids and secret names") {
  CHECK(valid_connector_id("civil_affairs"));
  CHECK_FALSE(valid_connector_id(""));
  CHECK_FALSE(valid_connector_id("Civil"));
  CHECK_FALSE(valid_connector_id(std::string(41, 'a')));
  CHECK(valid_secret_name("civil_affairs_webhook"));
  CHECK_FALSE(valid_secret_name("whsec_abc"));
  CHECK_FALSE(valid_secret_name("abc+/="));
}
