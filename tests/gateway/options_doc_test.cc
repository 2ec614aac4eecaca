// Every option in the declarative table is documented, with its default, in
// docs/configuration.md.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "gateway/options.h"

TEST_CASE("docs/configuration.md documents every serve option and its default") {
  std::ifstream in(std::string(YB_DOCS_DIR) + "/configuration.md");
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  for (const auto& o : yb::gateway::serve_options()) {
    INFO("option --" << o.name);
    const std::string row = "| `--" + std::string(o.name) + "` |";
    auto at = doc.find(row);
    REQUIRE(at != std::string::npos);
    const std::string line = doc.substr(at, doc.find('\n', at) - at);
    if (*o.default_value)
      CHECK(line.find(std::string("`") + o.default_value + "`") != std::string::npos);
  }
}
