// The catalog stores dictionary and form versions and serves the latest published form.
#include <doctest/doctest.h>

#include "admin/catalog.h"
#include "admin/demo.h"
#include "tests/support/temp_dir.h"

using namespace yb;
using Json = nlohmann::json;

namespace {
struct Fixture {
  test::TempDir dir;
  ManualClock clock;
  std::unique_ptr<db::Database> db;
  std::unique_ptr<admin::Catalog> cat;
  Fixture() {
    auto d = db::Database::open(dir.file("c.db"), {});
    REQUIRE(d.ok());
    db = std::move(*d);
    cat = std::make_unique<admin::Catalog>(*db, clock);
  }
};
}  // namespace

TEST_CASE("no dictionary yet is not found; a form cannot be stored without one") {
  Fixture f;
  CHECK(f.cat->dictionary().error().kind == ErrorKind::kNotFound);
  CHECK_FALSE(
      f.cat->put_form(Json::parse(admin::demo_form_json()), forms::FormStatus::kPublished).ok());
}

TEST_CASE("an invalid dictionary is refused with its problems and nothing is stored") {
  Fixture f;
  auto r =
      f.cat->put_dictionary(Json{{"fields", Json::array({Json{{"key", "x"}, {"type", "nope"}}})}});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::kValidation);
  CHECK_FALSE(r.error().details.empty());
  CHECK(f.cat->dictionary().error().kind == ErrorKind::kNotFound);
}

TEST_CASE("publishing stores versions; the latest published one is served") {
  Fixture f;
  REQUIRE(f.cat->put_dictionary(Json::parse(admin::demo_dictionary_json())).value() == 1);
  auto form = Json::parse(admin::demo_form_json());
  auto v1 = f.cat->put_form(form, forms::FormStatus::kPublished);
  REQUIRE(v1.ok());
  CHECK((*v1)->version == 1);
  form["title"]["zh-CN"] = "新版标题";
  auto v2 = f.cat->put_form(form, forms::FormStatus::kDraft);
  REQUIRE(v2.ok());
  CHECK((*v2)->version == 2);
  auto pub = f.cat->published_form("resident_household");
  REQUIRE(pub.ok());
  CHECK((*pub)->version == 1);  // a draft does not replace the published version
  auto v3 = f.cat->put_form(form, forms::FormStatus::kPublished);
  REQUIRE(v3.ok());
  pub = f.cat->published_form("resident_household");
  CHECK((*pub)->version == 3);
  CHECK((*pub)->title.zh == "新版标题");
  auto old = f.cat->form_version("resident_household", 1);
  REQUIRE(old.ok());
  CHECK(old.value()->title.zh != "新版标题");
  CHECK(f.cat->published_forms().value().size() == 1);
  CHECK(f.cat->published_form("nope").error().kind == ErrorKind::kNotFound);
}

TEST_CASE("another catalog on the same database sees a publish within the cache lifetime") {
  Fixture f;
  REQUIRE(f.cat->put_dictionary(Json::parse(admin::demo_dictionary_json())).ok());
  admin::Catalog other(*f.db, f.clock);
  CHECK(other.published_forms().value().empty());
  REQUIRE(
      f.cat->put_form(Json::parse(admin::demo_form_json()), forms::FormStatus::kPublished).ok());
  CHECK(other.published_forms().value().empty());  // cached
  f.clock.advance_s(6);
  CHECK(other.published_forms().value().size() == 1);
}

TEST_CASE("the demo sample answers validate against the demo form for many seeds") {
  Fixture f;
  REQUIRE(f.cat->put_dictionary(Json::parse(admin::demo_dictionary_json())).ok());
  auto form = f.cat->put_form(Json::parse(admin::demo_form_json()), forms::FormStatus::kPublished);
  REQUIRE(form.ok());
  for (int seed = 1; seed <= 60; ++seed) {
    auto v = forms::validate(**form, admin::demo_sample_values(seed), {"2026-11-27"});
    INFO("seed " << seed << ": "
                 << (v.ok() ? "" : v.error().details[0].path + " " + v.error().details[0].code));
    CHECK(v.ok());
  }
}
