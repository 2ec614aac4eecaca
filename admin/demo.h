// First-start bootstrap and the demo county. Both are idempotent: running them against a
// database that already has the data changes nothing.
#pragma once

#include <string>
#include <vector>

#include "admin/accounts.h"
#include "admin/catalog.h"
#include "connectors/outbox/store.h"

namespace yb::admin {

struct Bootstrap {
  bool created = false;  // the admin user was created now
  bool password_generated = false;
  std::string password;  // set only when generated (to be printed once)
};

// Creates user `admin` (system_admin, whole tree) when the database has no user yet, with
// `password` or, when empty, a random one returned for printing once.
Result<Bootstrap> bootstrap_admin(Accounts& accounts, const std::string& password);

struct DemoLogin {
  std::string username;
  std::string role;
  std::string org_name;
};

struct DemoSeed {
  bool seeded = false;  // false when the demo county was already there
  std::vector<DemoLogin> logins;
};

// Seeds the demo county (a county, two townships, four villages), its users with `password`,
// the demo field dictionary, the published demo form, the demo upstream connectors and their
// (demo-only) webhook secrets, from admin/demo/*.json compiled into the binary.
Result<DemoSeed> seed_demo(Accounts& accounts, Catalog& catalog,
                           connectors::ConnectorStore& connectors, const std::string& password);

// A valid, realistic answer to the demo form, different for each seed (deterministic): a head
// of household with a valid ID number, a spouse, income, a disability for every third seed.
// Used by the benchmark, the tests and the demo tools.
forms::Json demo_sample_values(int seed);

// A demo asset compiled into the binary ("demo/secrets.json" ...), for tests and tools.
std::string demo_asset_for_tests(const std::string& path);

// The demo dictionary and form definitions (for tests and tools).
std::string demo_dictionary_json();
std::string demo_form_json();

}  // namespace yb::admin
