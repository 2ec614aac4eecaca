// Helpers shared by the connector type tests.
#pragma once

#include <string>

#include "connectors/connector.h"

namespace yb::connectors::test_util {

// Parses a config with every built-in type registered, without a dictionary.
inline Result<ConnectorPtr> parse(const nlohmann::json& j) {
  ConnectorRegistry r;
  register_builtin_connectors(r);
  return r.parse(j, nullptr);
}

// True when parsing failed with a problem at `path` with `code`.
inline bool has_error(const Result<ConnectorPtr>& r, const std::string& path,
                      const std::string& code) {
  if (r.ok()) return false;
  for (const auto& d : r.error().details) {
    if (d.path == path && d.code == code) return true;
  }
  return false;
}

}  // namespace yb::connectors::test_util
