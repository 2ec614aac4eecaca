// Our Standard Webhooks signatures verify with the reference npm library `standardwebhooks`
// (tests/node/verify_signature.mjs, installed by `make test` via scripts/setup.sh). Not
// skipped when node or the package is missing: it fails and says how to install them.
#include <sys/wait.h>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "connectors/delivery/signing.h"
#include "tests/support/temp_dir.h"

#ifndef YB_NODE_DIR
#error "YB_NODE_DIR must name tests/node"
#endif
#ifndef YB_NODE
#define YB_NODE "node"
#endif

namespace yb::connectors {
namespace {

// Runs the verifier on one message; its exit status (0 verified, 1 rejected).
int node_verify(const test::TempDir& dir, const std::string& secret, const std::string& id,
                int64_t ts, const std::string& body, const std::string& signature) {
  const std::string in = dir.file("input.json");
  std::ofstream(in) << nlohmann::json{
      {"secret", secret},
      {"id", id},
      {"timestamp", ts},
      {"body", body},
      {"signature",
       signature}}.dump();
  const std::string cmd =
      std::string("'") + YB_NODE + "' '" + YB_NODE_DIR + "/verify_signature.mjs' '" + in + "'";
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

int64_t now_s() {
  // standardwebhooks rejects timestamps more than 5 minutes from its own clock.
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

TEST_CASE("signatures verify with npm standardwebhooks") {
  REQUIRE_MESSAGE(
      std::filesystem::exists(std::string(YB_NODE_DIR) + "/node_modules/standardwebhooks"),
      "run `make setup-test` (or `npm install` in tests/node) first");
  test::TempDir dir;
  const int64_t ts = now_s();
  const std::string body = R"({"xm":"张三","xb":"1","cy":[{"xm":"阿依古丽·买买提"}]})";

  for (const std::string& secret :
       {std::string("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), new_webhook_secret()}) {
    const std::string id = new_delivery_id();
    auto sig = webhook_signature(secret, id, ts, body);
    REQUIRE(sig.ok());
    CHECK(node_verify(dir, secret, id, ts, body, *sig) == 0);
    // Tampering with any part is caught by the reference library.
    CHECK(node_verify(dir, secret, id, ts, body + " ", *sig) == 1);
    CHECK(node_verify(dir, secret, id + "x", ts, body, *sig) == 1);
    CHECK(node_verify(dir, secret, id, ts + 1, body, *sig) == 1);
    CHECK(node_verify(dir, new_webhook_secret(), id, ts, body, *sig) == 1);
  }
}

}  // namespace yb::connectors
