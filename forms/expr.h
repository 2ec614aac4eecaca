// The forms expression language: relevance, constraints and calculated fields.
// Grammar, types and null semantics: docs/expressions.md. No exceptions escape.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace yb::forms {

// A runtime value. Lists come from repeat groups and select_multiple answers.
struct Value {
  enum class Kind { kNull, kBool, kNumber, kString, kList };
  Kind kind = Kind::kNull;
  bool b = false;
  double n = 0;
  std::string s;
  std::vector<Value> list;

  static Value null() { return {}; }
  static Value boolean(bool v) {
    Value x;
    x.kind = Kind::kBool;
    x.b = v;
    return x;
  }
  static Value number(double v) {
    Value x;
    x.kind = Kind::kNumber;
    x.n = v;
    return x;
  }
  static Value string(std::string v) {
    Value x;
    x.kind = Kind::kString;
    x.s = std::move(v);
    return x;
  }
  bool is_null() const { return kind == Kind::kNull; }
};

// JSON -> Value: null, bool, number, string; arrays become lists (one level; nested arrays
// and objects inside become null elements); objects become null.
Value value_from_json(const nlohmann::json& j);
// Value -> JSON; integral numbers become JSON integers.
nlohmann::json value_to_json(const Value& v);

struct Expr;

struct ExprError {
  size_t position = 0;  // 1-based character (byte) offset into the source; 0 = whole expression
  std::string code;     // syntax, unknown_function, arity, unknown_reference, too_deep, too_long
  Text message;
};

struct CompileOptions {
  // Whether `${key}` names something; unset accepts every reference.
  std::function<bool(const std::string&)> known_ref;
  bool allow_current = true;  // whether `.` (the field's own value) may be used
  size_t max_length = 2000;   // bytes of source
  int max_depth = 64;         // nesting of the syntax tree
};

struct Compiled {
  std::shared_ptr<const Expr> expr;
  std::optional<ExprError> error;
  bool ok() const { return expr != nullptr; }
};

Compiled compile_expr(std::string_view source, const CompileOptions& opts = {});

// Every `${key}` the expression mentions, in order of first appearance.
std::vector<std::string> expr_refs(const Expr& e);

struct EvalContext {
  std::function<Value(const std::string& key)> lookup;  // unset -> every reference is null
  Value current;                                        // `.`
  std::string today;                                    // "YYYY-MM-DD"; empty -> today() is null
};

// Evaluates; a type error, division by zero etc. is an Error (code "expression_error").
Result<Value> evaluate(const Expr& e, const EvalContext& ctx);

// Truthiness used by relevance and constraints: true -> true; false/null -> false; any other
// type is an error.
Result<bool> evaluate_condition(const Expr& e, const EvalContext& ctx);

}  // namespace yb::forms
