// The unified form schema: the field dictionary, versioned forms and validation of answers.
// Pure functions over plain structs; no I/O, no clock (the caller passes "today").
// Read first: docs/forms.md (JSON format, expression grammar, a complete example).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace yb::forms {

using Json = nlohmann::json;

enum class FieldType {
  kText,
  kInteger,
  kDecimal,
  kBoolean,
  kDate,            // ISO "YYYY-MM-DD" after normalisation
  kSelectOne,       // one code from `choices`
  kSelectMultiple,  // array of codes from `choices`
  kIdNumber,        // GB 11643 resident identity number, stored as 18 upper-case ASCII chars
  kPhone,           // mainland mobile or landline, stored without +86
  kRepeat,          // repeat group: array of objects keyed by the child fields' keys
};
const char* to_string(FieldType t);
std::optional<FieldType> field_type_from_string(const std::string& s);

enum class Sensitivity { kPublic, kPersonal, kSensitive };  // PIPL art. 28 for kSensitive
const char* to_string(Sensitivity s);                       // "public", "personal", "sensitive"

struct Labels {
  std::string zh;  // zh-CN, required
  std::string en;
  std::string ug;  // Uyghur (Arabic script)
};

struct Choice {
  std::string value;  // the code stored, e.g. "1"
  Labels label;
};

struct Constraints {
  bool required = false;
  std::optional<double> min, max;  // integer/decimal value; date as days? no: see docs
  std::optional<std::string> min_date, max_date;  // dates, "YYYY-MM-DD" or "today"
  std::optional<size_t> min_length, max_length;   // text length in code points
  std::optional<std::string> pattern;             // ECMAScript regex the whole text must match
  std::optional<size_t> min_items, max_items;     // repeat groups and select_multiple
};

// One entry of the unified dictionary (canonical key such as "person.id_number").
struct DictionaryField {
  std::string key;
  FieldType type = FieldType::kText;
  Labels label;
  Labels hint;
  std::vector<Choice> choices;  // select_one / select_multiple
  Constraints constraints;      // defaults for every form using the field
  Sensitivity sensitivity = Sensitivity::kPersonal;
  std::string subject;  // "person", "household" or "event"
  int fresh_days = 0;   // how long a known value stays fresh; 0 = forever
};

class Dictionary {
 public:
  const DictionaryField* find(const std::string& key) const;
  const std::map<std::string, DictionaryField>& fields() const { return fields_; }
  Json to_json() const;

 private:
  friend Result<Dictionary> parse_dictionary(const Json& j);
  std::map<std::string, DictionaryField> fields_;
};

// Parses {"fields": [...]}. Unknown keys, bad types, duplicate keys: ALL reported at once as
// ErrorKind::kValidation with one FieldError per problem (path like "fields[3].type").
Result<Dictionary> parse_dictionary(const Json& j);

struct Expr;             // compiled expression, see forms/expr.h
struct CompiledPattern;  // compiled `pattern` constraint (forms/schema.cc)

// Defaults applied by parse_dictionary/parse_form when a constraint is not given.
inline constexpr size_t kDefaultTextMaxLength = 200;  // code points
inline constexpr size_t kDefaultRepeatMaxItems = 50;

// One field as placed on a form: a dictionary field (by `field`, default = `key`) plus the
// form's own rules. Inside a repeat group, keys are local ("name"), paths are
// "household.members[0].name".
struct FormField {
  std::string key;          // answer key
  std::string field;        // dictionary key
  DictionaryField def;      // resolved copy of the dictionary entry (labels may be overridden)
  Constraints constraints;  // merged: dictionary defaults, then the form's overrides
  std::string relevant, constraint, calculate;  // expression sources (empty = none)
  Labels constraint_message;
  bool readonly = false;
  std::shared_ptr<const Expr> relevant_expr, constraint_expr, calculate_expr;
  std::shared_ptr<const CompiledPattern> pattern_re;  // from constraints.pattern, if any
  std::vector<FormField> children;                    // kRepeat only
};

struct Section {
  std::string id;
  Labels title;
  std::vector<FormField> fields;
};

enum class FormStatus { kDraft, kPublished, kClosed };
const char* to_string(FormStatus s);  // "draft", "published", "closed"

struct Form {
  std::string id;   // stable id, e.g. "resident_household"
  int version = 1;  // increases on every published change
  FormStatus status = FormStatus::kDraft;
  Labels title;
  Labels description;
  std::vector<Section> sections;

  // The form as clients see it: self-describing enough to render and validate without the
  // dictionary (every field's key, type, required, labels, choices, constraints, relevance,
  // calculation, repeat children). Stable key order.
  Json to_json() const;
};

// Parses a form definition against the dictionary. Every problem reported at once (unknown
// dictionary key, bad expression, unknown reference in an expression, duplicate key ...).
Result<Form> parse_form(const Json& j, const Dictionary& dict);

struct ValidationOptions {
  std::string today;  // "YYYY-MM-DD", for today() and "today" date bounds
};

// Validates an answer (`values`: object keyed by the form's field keys) and returns the
// normalised values: ID numbers upper-case 18-char ASCII, dates ISO, phones without prefix,
// calculated fields computed, values of non-relevant fields removed. On failure returns
// ErrorKind::kValidation listing EVERY problem, each with path, code and zh/en message.
// Unknown keys are errors ("unknown_field"). Never throws.
Result<Json> validate(const Form& form, const Json& values, const ValidationOptions& opts);

}  // namespace yb::forms
