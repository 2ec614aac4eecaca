// The submission envelope: types, client_id format, unknown members, all problems at once.
#include <doctest/doctest.h>

#include "intake/submissions.h"

using yb::intake::decode_submit_request;
using Json = nlohmann::json;

TEST_CASE("a complete envelope decodes") {
  auto r = decode_submit_request(Json{{"form", "f"},
                                      {"client_id", "2b9c-11:x_y.z"},
                                      {"org_unit", "130111200201"},
                                      {"values", Json::object()}});
  REQUIRE(r.ok());
  CHECK(r->form_id == "f");
  CHECK(r->client_id == "2b9c-11:x_y.z");
  CHECK(r->org_unit == "130111200201");
}

TEST_CASE("org_unit is optional; null counts as absent") {
  auto r = decode_submit_request(
      Json{{"form", "f"}, {"client_id", "a"}, {"org_unit", nullptr}, {"values", Json::object()}});
  REQUIRE(r.ok());
  CHECK_FALSE(r->org_unit.has_value());
}

TEST_CASE("every problem is reported at once") {
  auto r = decode_submit_request(
      Json{{"form", 7}, {"client_id", std::string(129, 'a')}, {"values", "text"}, {"extra", true}});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == yb::ErrorKind::kValidation);
  std::map<std::string, std::string> got;
  for (const auto& d : r.error().details) got[d.path] = d.code;
  CHECK(got == std::map<std::string, std::string>{{"form", "type"},
                                                  {"client_id", "format"},
                                                  {"values", "type"},
                                                  {"extra", "unknown_field"}});
}

TEST_CASE("client ids with spaces, quotes or non-ASCII are refused") {
  for (const char* bad : {"a b", "a'b", "编号", "", "a/b"}) {
    auto r =
        decode_submit_request(Json{{"form", "f"}, {"client_id", bad}, {"values", Json::object()}});
    CHECK_FALSE(r.ok());
  }
}

TEST_CASE("a missing form, client_id and values are each named") {
  auto r = decode_submit_request(Json::object());
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.error().details.size() == 3);
  for (const auto& d : r.error().details) CHECK(d.code == "required");
}
