// The declarative mapping from canonical (validated, normalised) answer values to one
// upstream's own document: rename and nest (dot paths), code tables, date and number formats,
// constants, string templates, values derived from the ID number, repeat groups to arrays.
// Pure functions; the format is documented in docs/connectors.md.
//
// Example:
//   {"fields": [
//     {"to": "xm",        "from": "person.name"},
//     {"to": "xb",        "from": "person.sex", "codes": {"1": "男", "2": "女"}},
//     {"to": "csrq",      "from": "person.birth_date", "date": "YYYYMMDD"},
//     {"to": "nl",        "from": "person.id_number", "derive": "age"},
//     {"to": "jtsr",      "from": "household.annual_income", "number": "0.00"},
//     {"to": "ly",        "const": "yibiao"},
//     {"to": "dz.qz",     "template": "{person.registered_address}（{person.current_address}）"},
//     {"to": "cy",        "from": "household.members", "each": [{"to": "xm", "from": "name"}]}
//   ]}
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "forms/forms.h"

namespace yb::connectors {

using Json = nlohmann::json;

struct MappingRule;  // defined in mapping.cc
struct OutNode;      // defined in mapping.cc

class Mapping {
 public:
  // The canonical field keys the mapping reads (top level; "household.members" for repeats).
  // A connector receives nothing else.
  const std::set<std::string>& reads() const { return reads_; }
  // Upstream field paths written, in order (for previews and the admin view).
  const std::vector<std::string>& writes() const { return writes_; }

 private:
  friend Result<Mapping> parse_mapping(const Json& j, const forms::Dictionary* dict);
  friend Result<Json> apply_mapping(const Mapping& m, const Json& values, const std::string& today);
  friend Result<std::string> render_mapping(const Mapping& m, const Json& values,
                                            const std::string& today, int* entries);
  std::vector<std::shared_ptr<const MappingRule>> rules_;
  // The document's keys as a tree, each level in json_dump() order, leaves naming their rule.
  std::shared_ptr<const std::vector<OutNode>> shape_;
  std::set<std::string> reads_;
  std::vector<std::string> writes_;
};

// Parses a mapping; every problem reported at once (kValidation, paths like
// "mapping.fields[2].codes"). With a dictionary, also checks that `from` keys exist and that
// code tables cover every choice of the source field (an unmapped code is a configuration
// error caught here, not junk sent later).
Result<Mapping> parse_mapping(const Json& j, const forms::Dictionary* dict);

// Builds the upstream document from canonical values. A value absent from `values` is left
// out (no key), unless the rule has "default". A code with no entry in a code table is an
// error (kValidation, code "unmapped_code", naming the field and the value).
Result<Json> apply_mapping(const Mapping& m, const Json& values, const std::string& today);

// The same document as JSON text: exactly json_dump(apply_mapping(...)), written from the rules'
// values without building the document first (each answer renders one per connector on the
// request thread). `entries` (if given) receives count_entries() of the document.
Result<std::string> render_mapping(const Mapping& m, const Json& values, const std::string& today,
                                   int* entries = nullptr);

// The entries a payload fills in upstream: every non-empty scalar, at any depth. Pure.
int count_entries(const Json& payload);

}  // namespace yb::connectors
