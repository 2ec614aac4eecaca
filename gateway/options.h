// One declarative table of the gateway's options (name, default, meaning). It drives the
// command line, the config file and `yibiao --help`; docs/configuration.md documents each
// entry and a test keeps the two in step.
#pragma once

#include <string>
#include <vector>

namespace yb::gateway {

struct OptionSpec {
  const char* name;           // long option and config-file key
  const char* default_value;  // "" = no default (required or optional as said in help)
  const char* help;
  bool flag = false;  // a switch without a value
};

// Options of `yibiao serve`.
const std::vector<OptionSpec>& serve_options();

}  // namespace yb::gateway
