// Users, org scope, sessions and login throttling, with a manual clock.
#include <doctest/doctest.h>

#include "admin/accounts.h"
#include "admin/demo.h"
#include "tests/support/temp_dir.h"

using namespace yb;
using admin::Role;

namespace {
struct Fixture {
  test::TempDir dir;
  ManualClock clock;
  std::unique_ptr<db::Database> db;
  std::unique_ptr<admin::Accounts> acc;
  explicit Fixture(admin::AccountsOptions o = {}) {
    o.hash_cost = crypto::HashCost::kMin;
    auto d = db::Database::open(dir.file("a.db"), {});
    REQUIRE(d.ok());
    db = std::move(*d);
    acc = std::make_unique<admin::Accounts>(*db, clock, o);
    REQUIRE(acc->add_org_unit({"130111000000", "县", std::nullopt, "county"}).ok());
    REQUIRE(acc->add_org_unit({"130111200000", "乡", "130111000000", "township"}).ok());
    REQUIRE(acc->add_org_unit({"130111200201", "村A", "130111200000", "village"}).ok());
    REQUIRE(acc->add_org_unit({"130111200202", "村B", "130111200000", "village"}).ok());
  }
};
}  // namespace

TEST_CASE("scope covers the subtree and nothing else") {
  Fixture f;
  CHECK(f.acc->in_scope(std::string("130111000000"), "130111200201"));
  CHECK(f.acc->in_scope(std::string("130111200000"), "130111200202"));
  CHECK(f.acc->in_scope(std::string("130111200201"), "130111200201"));
  CHECK_FALSE(f.acc->in_scope(std::string("130111200201"), "130111200202"));
  CHECK_FALSE(f.acc->in_scope(std::string("130111200201"), "130111200000"));
  CHECK(f.acc->in_scope(std::nullopt, "130111200202"));
  CHECK_FALSE(f.acc->in_scope(std::nullopt, "999999999999"));  // unknown unit
}

TEST_CASE("org unit codes are 12 digits and parents must exist") {
  Fixture f;
  CHECK(f.acc->add_org_unit({"1301", "x", std::nullopt, "city"}).error().kind ==
        ErrorKind::kInvalidArgument);
  CHECK_FALSE(f.acc->add_org_unit({"130111300201", "x", "130111300000", "village"}).ok());
}

TEST_CASE("add_user reports every problem at once") {
  Fixture f;
  auto u = f.acc->add_user("A!", "short", Role::kCadre, std::string("000000000001"));
  REQUIRE_FALSE(u.ok());
  CHECK(u.error().kind == ErrorKind::kValidation);
  REQUIRE(u.error().details.size() == 3);
  CHECK(u.error().details[0].path == "username");
  CHECK(u.error().details[1].path == "password");
  CHECK(u.error().details[2].path == "org");
  auto nouser = f.acc->add_user("cadre9", "long-enough", Role::kCadre, std::nullopt);
  REQUIRE_FALSE(nouser.ok());
  CHECK(nouser.error().details[0].code == "required");
}

TEST_CASE("a taken username is a conflict") {
  Fixture f;
  REQUIRE(f.acc->add_user("cadre1", "password-1", Role::kCadre, std::string("130111200201")).ok());
  auto again = f.acc->add_user("cadre1", "password-2", Role::kCadre, std::string("130111200201"));
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().kind == ErrorKind::kConflict);
}

TEST_CASE("login gives a token that authenticates until idle or absolute expiry") {
  admin::AccountsOptions o;
  o.session_idle_s = 600;
  o.session_max_s = 3600;
  Fixture f(o);
  REQUIRE(f.acc->add_user("cadre1", "password-1", Role::kCadre, std::string("130111200201")).ok());
  auto tok = f.acc->login("cadre1", "password-1", "10.0.0.1");
  REQUIRE(tok.ok());
  auto u = f.acc->authenticate(*tok);
  REQUIRE(u.ok());
  CHECK(u->username == "cadre1");
  CHECK(u->org_code == "130111200201");
  // activity keeps it alive...
  for (int i = 0; i < 5; ++i) {
    f.clock.advance_s(500);
    CHECK(f.acc->authenticate(*tok).ok());
  }
  // ...but not past the absolute lifetime
  f.clock.advance_s(1200);
  CHECK(f.acc->authenticate(*tok).error().kind == ErrorKind::kUnauthenticated);

  auto tok2 = f.acc->login("cadre1", "password-1", "10.0.0.1");
  REQUIRE(tok2.ok());
  f.clock.advance_s(601);
  CHECK_FALSE(f.acc->authenticate(*tok2).ok());  // idle
}

TEST_CASE("a session survives a restart (a new Accounts on the same database)") {
  Fixture f;
  REQUIRE(f.acc->add_user("cadre1", "password-1", Role::kCadre, std::string("130111200201")).ok());
  auto tok = f.acc->login("cadre1", "password-1", "1.2.3.4");
  REQUIRE(tok.ok());
  admin::Accounts fresh(*f.db, f.clock, {});
  CHECK(fresh.authenticate(*tok).ok());
  fresh.logout(*tok);
  admin::Accounts after(*f.db, f.clock, {});
  CHECK_FALSE(after.authenticate(*tok).ok());
}

TEST_CASE("garbage tokens are rejected") {
  Fixture f;
  CHECK_FALSE(f.acc->authenticate("").ok());
  CHECK_FALSE(f.acc->authenticate(std::string(64, 'a')).ok());
  CHECK_FALSE(f.acc->authenticate("' OR 1=1 --").ok());
}

TEST_CASE("wrong passwords lock the username out, and the lock lifts after the window") {
  admin::AccountsOptions o;
  o.login_max_failures = 3;
  o.login_window_s = 900;
  Fixture f(o);
  REQUIRE(f.acc->add_user("cadre1", "password-1", Role::kCadre, std::string("130111200201")).ok());
  for (int i = 0; i < 3; ++i) {
    auto r = f.acc->login("cadre1", "wrong", "addr-" + std::to_string(i));
    CHECK(r.error().kind == ErrorKind::kUnauthenticated);
  }
  auto locked = f.acc->login("cadre1", "password-1", "another-addr");
  REQUIRE_FALSE(locked.ok());
  CHECK(locked.error().kind == ErrorKind::kRateLimited);
  CHECK(locked.error().retry_after_seconds > 0);
  CHECK(locked.error().retry_after_seconds <= 900);
  f.clock.advance_s(901);
  CHECK(f.acc->login("cadre1", "password-1", "another-addr").ok());
}

TEST_CASE("one address guessing many usernames is locked out too") {
  admin::AccountsOptions o;
  o.login_max_failures = 3;
  Fixture f(o);
  REQUIRE(f.acc->add_user("cadre1", "password-1", Role::kCadre, std::string("130111200201")).ok());
  for (int i = 0; i < 3; ++i) (void)f.acc->login("nobody" + std::to_string(i), "x", "6.6.6.6");
  CHECK(f.acc->login("cadre1", "password-1", "6.6.6.6").error().kind == ErrorKind::kRateLimited);
  CHECK(f.acc->login("cadre1", "password-1", "7.7.7.7").ok());
}

TEST_CASE("bootstrap creates admin once, with a generated password when none is given") {
  Fixture f;
  auto b = admin::bootstrap_admin(*f.acc, "");
  REQUIRE(b.ok());
  CHECK(b->created);
  CHECK(b->password_generated);
  CHECK(b->password.size() == 16);
  auto tok = f.acc->login("admin", b->password, "x");
  REQUIRE(tok.ok());
  auto u = f.acc->authenticate(*tok);
  CHECK(u->role == Role::kSystemAdmin);
  CHECK_FALSE(u->org_code.has_value());
  auto again = admin::bootstrap_admin(*f.acc, "");
  REQUIRE(again.ok());
  CHECK_FALSE(again->created);
  CHECK(again->password.empty());
}
