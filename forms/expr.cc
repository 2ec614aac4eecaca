#include "forms/expr.h"

#include <cmath>
#include <cstdlib>
#include <regex>

#include "forms/messages.h"
#include "forms/normalize.h"

namespace yb::forms {

using Json = nlohmann::json;

Value value_from_json(const Json& j) {
  switch (j.type()) {
    case Json::value_t::boolean:
      return Value::boolean(j.get<bool>());
    case Json::value_t::number_integer:
      return Value::number(static_cast<double>(j.get<int64_t>()));
    case Json::value_t::number_unsigned:
      return Value::number(static_cast<double>(j.get<uint64_t>()));
    case Json::value_t::number_float: {
      const double d = j.get<double>();
      return std::isfinite(d) ? Value::number(d) : Value::null();
    }
    case Json::value_t::string:
      return Value::string(j.get<std::string>());
    case Json::value_t::array: {
      Value v;
      v.kind = Value::Kind::kList;
      v.list.reserve(j.size());
      for (const auto& e : j) {
        v.list.push_back(e.is_array() || e.is_object() ? Value::null() : value_from_json(e));
      }
      return v;
    }
    default:
      return Value::null();
  }
}

Json value_to_json(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNull:
      return nullptr;
    case Value::Kind::kBool:
      return v.b;
    case Value::Kind::kNumber:
      if (std::isfinite(v.n) && v.n == std::floor(v.n) && std::fabs(v.n) < 9.0e15) {
        return static_cast<int64_t>(v.n);
      }
      return v.n;
    case Value::Kind::kString:
      return v.s;
    case Value::Kind::kList: {
      Json a = Json::array();
      for (const auto& e : v.list) a.push_back(value_to_json(e));
      return a;
    }
  }
  return nullptr;
}

enum class ExprOp {
  kLit,
  kRef,
  kCurrent,
  kNot,
  kNeg,
  kAnd,
  kOr,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kCall
};

struct Expr {
  ExprOp op = ExprOp::kLit;
  size_t pos = 0;  // 1-based
  Value lit;
  std::string name;  // ref key or function name
  std::vector<std::unique_ptr<Expr>> args;
  std::shared_ptr<const std::regex> re;  // regex() with a literal pattern
  int depth = 1;
};

namespace {

struct FuncInfo {
  const char* name;
  int min_args;
  int max_args;
};
constexpr FuncInfo kFuncs[] = {
    {"count", 1, 1},    {"sum", 1, 1},          {"today", 0, 0},         {"age", 1, 1},
    {"if", 3, 3},       {"selected", 2, 2},     {"string-length", 1, 1}, {"empty", 1, 1},
    {"coalesce", 2, 8}, {"regex", 2, 2},        {"substr", 2, 3},        {"date", 1, 1},
    {"number", 1, 1},   {"string", 1, 1},       {"round", 1, 2},         {"min", 1, 8},
    {"max", 1, 8},      {"days-between", 2, 2},
};
const FuncInfo* find_func(const std::string& n) {
  for (const auto& f : kFuncs) {
    if (n == f.name) return &f;
  }
  return nullptr;
}

enum class Tok { kEnd, kNum, kStr, kRef, kDot, kIdent, kLParen, kRParen, kComma, kOp };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;
  double num = 0;
  size_t pos = 0;  // 1-based
};

struct Fail {
  ExprError err;
};

class Parser {
 public:
  Parser(std::string_view src, const CompileOptions& o) : src_(src), opts_(o) {}

  Compiled run() {
    Compiled out;
    if (src_.size() > opts_.max_length) {
      out.error =
          ExprError{0, "too_long", msg("expr.too_long", {same(std::to_string(opts_.max_length))})};
      return out;
    }
    if (!lex()) {
      out.error = err_;
      return out;
    }
    auto e = parse_or(0);
    if (!e) {
      out.error = err_;
      return out;
    }
    if (peek().kind != Tok::kEnd) {
      fail(peek().pos, "syntax", msg("expr.unexpected", {same(peek().text)}));
      out.error = err_;
      return out;
    }
    out.expr = std::shared_ptr<const Expr>(std::move(e));
    return out;
  }

 private:
  using P = std::unique_ptr<Expr>;

  void fail(size_t pos, std::string code, Text m) {
    if (failed_) return;
    failed_ = true;
    err_.position = pos;
    err_.code = std::move(code);
    Text where = msg("expr.at", {same(std::to_string(pos))});
    err_.message = {where.zh + m.zh, where.en + m.en};
  }

  bool lex() {
    size_t i = 0;
    const size_t n = src_.size();
    auto ident_start = [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    };
    auto ident_char = [&](char c) { return ident_start(c) || (c >= '0' && c <= '9'); };
    while (i < n) {
      const char c = src_[i];
      Token t;
      t.pos = i + 1;
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++i;
        continue;
      }
      if (c >= '0' && c <= '9') {
        size_t j = i;
        while (j < n && src_[j] >= '0' && src_[j] <= '9') ++j;
        if (j + 1 < n && src_[j] == '.' && src_[j + 1] >= '0' && src_[j + 1] <= '9') {
          ++j;
          while (j < n && src_[j] >= '0' && src_[j] <= '9') ++j;
        }
        if (j < n && ident_char(src_[j])) {
          fail(j + 1, "syntax", msg("expr.bad_number"));
          return false;
        }
        t.kind = Tok::kNum;
        t.text = std::string(src_.substr(i, j - i));
        t.num = std::strtod(t.text.c_str(), nullptr);
        i = j;
      } else if (c == '\'' || c == '"') {
        size_t j = i + 1;
        std::string s;
        bool closed = false;
        while (j < n) {
          if (src_[j] == c) {
            closed = true;
            break;
          }
          if (src_[j] == '\\' && j + 1 < n && (src_[j + 1] == c || src_[j + 1] == '\\')) {
            s.push_back(src_[j + 1]);
            j += 2;
            continue;
          }
          s.push_back(src_[j]);
          ++j;
        }
        if (!closed) {
          fail(i + 1, "syntax", msg("expr.unclosed_string"));
          return false;
        }
        t.kind = Tok::kStr;
        t.text = std::move(s);
        i = j + 1;
      } else if (c == '$') {
        if (i + 1 >= n || src_[i + 1] != '{') {
          fail(i + 1, "syntax", msg("expr.bad_ref"));
          return false;
        }
        size_t j = i + 2;
        std::string key;
        while (j < n && src_[j] != '}') {
          const char k = src_[j];
          if (!(ident_char(k) || k == '.' || k == '-')) break;
          key.push_back(k);
          ++j;
        }
        if (j >= n || src_[j] != '}' || key.empty()) {
          fail(i + 1, "syntax", msg("expr.bad_ref"));
          return false;
        }
        t.kind = Tok::kRef;
        t.text = std::move(key);
        i = j + 1;
      } else if (ident_start(c)) {
        size_t j = i;
        while (j < n &&
               (ident_char(src_[j]) || (src_[j] == '-' && j + 1 < n && ident_start(src_[j + 1])))) {
          ++j;
        }
        t.kind = Tok::kIdent;
        t.text = std::string(src_.substr(i, j - i));
        i = j;
      } else if (c == '.') {
        t.kind = Tok::kDot;
        t.text = ".";
        ++i;
      } else if (c == '(') {
        t.kind = Tok::kLParen;
        t.text = "(";
        ++i;
      } else if (c == ')') {
        t.kind = Tok::kRParen;
        t.text = ")";
        ++i;
      } else if (c == ',') {
        t.kind = Tok::kComma;
        t.text = ",";
        ++i;
      } else if (c == '!' || c == '<' || c == '>') {
        t.kind = Tok::kOp;
        if (i + 1 < n && src_[i + 1] == '=') {
          t.text = std::string(src_.substr(i, 2));
          i += 2;
        } else if (c == '!') {
          fail(i + 1, "syntax", msg("expr.unexpected", {same("!")}));
          return false;
        } else {
          t.text = std::string(1, c);
          ++i;
        }
      } else if (c == '=' || c == '+' || c == '-' || c == '*' || c == '/') {
        t.kind = Tok::kOp;
        t.text = std::string(1, c);
        ++i;
      } else {
        fail(i + 1, "syntax", msg("expr.unexpected", {same(std::string(1, c))}));
        return false;
      }
      toks_.push_back(std::move(t));
    }
    Token end;
    end.pos = n + 1;
    end.text = msg("expr.end").en;
    toks_.push_back(end);
    return true;
  }

  const Token& peek() const { return toks_[idx_]; }
  const Token& next() { return toks_[idx_ < toks_.size() - 1 ? idx_++ : idx_]; }
  bool is_op(const char* s) const { return peek().kind == Tok::kOp && peek().text == s; }
  bool is_word(const char* s) const { return peek().kind == Tok::kIdent && peek().text == s; }

  P make(ExprOp op, size_t pos, P a, P b) {
    auto e = std::make_unique<Expr>();
    e->op = op;
    e->pos = pos;
    e->depth = 1 + std::max(a ? a->depth : 0, b ? b->depth : 0);
    if (a) e->args.push_back(std::move(a));
    if (b) e->args.push_back(std::move(b));
    if (e->depth > max_tree_depth()) {
      fail(pos, "too_deep", msg("expr.too_deep", {same(std::to_string(opts_.max_depth))}));
      return nullptr;
    }
    return e;
  }

  // Operator chains (a + b + c ...) deepen the tree without nesting; allow them more room.
  int max_tree_depth() const { return opts_.max_depth * 4; }

  bool guard(int level) {
    if (level > opts_.max_depth) {
      fail(peek().pos, "too_deep", msg("expr.too_deep", {same(std::to_string(opts_.max_depth))}));
      return false;
    }
    return true;
  }

  P parse_or(int level) {
    if (!guard(level)) return nullptr;
    P l = parse_and(level);
    while (l && is_word("or")) {
      const size_t pos = next().pos;
      P r = parse_and(level);
      if (!r) return nullptr;
      l = make(ExprOp::kOr, pos, std::move(l), std::move(r));
    }
    return l;
  }
  P parse_and(int level) {
    P l = parse_not(level);
    while (l && is_word("and")) {
      const size_t pos = next().pos;
      P r = parse_not(level);
      if (!r) return nullptr;
      l = make(ExprOp::kAnd, pos, std::move(l), std::move(r));
    }
    return l;
  }
  P parse_not(int level) {
    if (!guard(level)) return nullptr;
    if (is_word("not")) {
      const size_t pos = next().pos;
      P a = parse_not(level + 1);
      if (!a) return nullptr;
      return make(ExprOp::kNot, pos, std::move(a), nullptr);
    }
    return parse_cmp(level);
  }
  P parse_cmp(int level) {
    P l = parse_add(level);
    if (!l) return nullptr;
    static constexpr std::pair<const char*, ExprOp> kCmp[] = {
        {"=", ExprOp::kEq},  {"!=", ExprOp::kNe}, {"<", ExprOp::kLt},
        {"<=", ExprOp::kLe}, {">", ExprOp::kGt},  {">=", ExprOp::kGe}};
    for (const auto& [s, op] : kCmp) {
      if (is_op(s)) {
        const size_t pos = next().pos;
        P r = parse_add(level);
        if (!r) return nullptr;
        l = make(op, pos, std::move(l), std::move(r));
        if (!l) return nullptr;
        for (const auto& [s2, op2] : kCmp) {
          (void)op2;
          if (is_op(s2)) {
            fail(peek().pos, "syntax", msg("expr.chained_cmp"));
            return nullptr;
          }
        }
        return l;
      }
    }
    return l;
  }
  P parse_add(int level) {
    P l = parse_mul(level);
    while (l && (is_op("+") || is_op("-"))) {
      const Token& t = next();
      const ExprOp op = t.text == "+" ? ExprOp::kAdd : ExprOp::kSub;
      P r = parse_mul(level);
      if (!r) return nullptr;
      l = make(op, t.pos, std::move(l), std::move(r));
    }
    return l;
  }
  P parse_mul(int level) {
    P l = parse_unary(level);
    while (l && (is_op("*") || is_op("/") || is_word("mod"))) {
      const Token& t = next();
      const ExprOp op = t.text == "*" ? ExprOp::kMul : t.text == "/" ? ExprOp::kDiv : ExprOp::kMod;
      P r = parse_unary(level);
      if (!r) return nullptr;
      l = make(op, t.pos, std::move(l), std::move(r));
    }
    return l;
  }
  P parse_unary(int level) {
    if (!guard(level)) return nullptr;
    if (is_op("-")) {
      const size_t pos = next().pos;
      P a = parse_unary(level + 1);
      if (!a) return nullptr;
      return make(ExprOp::kNeg, pos, std::move(a), nullptr);
    }
    return parse_primary(level);
  }
  P parse_primary(int level) {
    if (!guard(level)) return nullptr;
    const Token t = next();
    auto e = std::make_unique<Expr>();
    e->pos = t.pos;
    switch (t.kind) {
      case Tok::kNum:
        e->lit = Value::number(t.num);
        return e;
      case Tok::kStr:
        e->lit = Value::string(t.text);
        return e;
      case Tok::kRef:
        if (opts_.known_ref && !opts_.known_ref(t.text)) {
          fail(t.pos, "unknown_reference", msg("expr.unknown_ref", {same(t.text)}));
          return nullptr;
        }
        e->op = ExprOp::kRef;
        e->name = t.text;
        return e;
      case Tok::kDot:
        if (!opts_.allow_current) {
          fail(t.pos, "syntax", msg("expr.no_current"));
          return nullptr;
        }
        e->op = ExprOp::kCurrent;
        return e;
      case Tok::kLParen: {
        P inner = parse_or(level + 1);
        if (!inner) return nullptr;
        if (peek().kind != Tok::kRParen) {
          fail(peek().pos, "syntax", msg("expr.expected", {same(")"), same(peek().text)}));
          return nullptr;
        }
        next();
        return inner;
      }
      case Tok::kIdent: {
        if (t.text == "true" || t.text == "false") {
          e->lit = Value::boolean(t.text == "true");
          return e;
        }
        if (t.text == "null") return e;
        if (peek().kind != Tok::kLParen) {
          fail(t.pos, "syntax", msg("expr.unexpected", {same(t.text)}));
          return nullptr;
        }
        const FuncInfo* f = find_func(t.text);
        if (!f) {
          fail(t.pos, "unknown_function", msg("expr.unknown_func", {same(t.text)}));
          return nullptr;
        }
        next();  // (
        e->op = ExprOp::kCall;
        e->name = t.text;
        if (peek().kind != Tok::kRParen) {
          while (true) {
            P a = parse_or(level + 1);
            if (!a) return nullptr;
            e->depth = std::max(e->depth, a->depth + 1);
            e->args.push_back(std::move(a));
            if (peek().kind == Tok::kComma) {
              next();
              continue;
            }
            break;
          }
        }
        if (peek().kind != Tok::kRParen) {
          fail(peek().pos, "syntax", msg("expr.expected", {same(")"), same(peek().text)}));
          return nullptr;
        }
        next();
        const int argc = static_cast<int>(e->args.size());
        if (argc < f->min_args || argc > f->max_args) {
          const std::string want = f->min_args == f->max_args ? std::to_string(f->min_args)
                                                              : std::to_string(f->min_args) + "-" +
                                                                    std::to_string(f->max_args);
          fail(t.pos, "arity",
               msg("expr.arity", {same(t.text), same(want), same(std::to_string(argc))}));
          return nullptr;
        }
        if (e->depth > max_tree_depth()) {
          fail(t.pos, "too_deep", msg("expr.too_deep", {same(std::to_string(opts_.max_depth))}));
          return nullptr;
        }
        if (t.text == "regex") {
          const Expr& pat = *e->args[1];
          if (pat.op != ExprOp::kLit || pat.lit.kind != Value::Kind::kString ||
              pat.lit.s.size() > 500) {
            fail(pat.pos, "syntax", msg("expr.regex_literal"));
            return nullptr;
          }
          try {
            e->re = std::make_shared<const std::regex>(pat.lit.s, std::regex::ECMAScript);
          } catch (const std::exception&) {
            fail(pat.pos, "syntax", msg("expr.bad_regex"));
            return nullptr;
          }
        }
        return e;
      }
      default:
        fail(t.pos, "syntax", msg("expr.unexpected", {same(t.text)}));
        return nullptr;
    }
  }

  std::string_view src_;
  const CompileOptions& opts_;
  std::vector<Token> toks_;
  size_t idx_ = 0;
  bool failed_ = false;
  ExprError err_;
};

void collect_refs(const Expr& e, std::vector<std::string>& out) {
  if (e.op == ExprOp::kRef) {
    bool seen = false;
    for (const auto& r : out) seen = seen || r == e.name;
    if (!seen) out.push_back(e.name);
  }
  for (const auto& a : e.args) collect_refs(*a, out);
}

// ---- evaluation ----

struct EvalFail {
  Error err;
};

Text kind_name(Value::Kind k) {
  switch (k) {
    case Value::Kind::kNull:
      return msg("type.null");
    case Value::Kind::kBool:
      return msg("type.boolean");
    case Value::Kind::kNumber:
      return msg("type.number");
    case Value::Kind::kString:
      return msg("type.text");
    case Value::Kind::kList:
      return msg("type.list");
  }
  return msg("type.null");
}

class Evaluator {
 public:
  explicit Evaluator(const EvalContext& c) : ctx_(c) {}
  std::optional<Error> error;

  Value eval(const Expr& e) {
    if (error) return Value::null();
    switch (e.op) {
      case ExprOp::kLit:
        return e.lit;
      case ExprOp::kRef:
        return ctx_.lookup ? ctx_.lookup(e.name) : Value::null();
      case ExprOp::kCurrent:
        return ctx_.current;
      case ExprOp::kNot: {
        const Value a = eval(*e.args[0]);
        return Value::boolean(!truth(a, e));
      }
      case ExprOp::kAnd: {
        if (!truth(eval(*e.args[0]), e)) return Value::boolean(false);
        return Value::boolean(truth(eval(*e.args[1]), e));
      }
      case ExprOp::kOr: {
        if (truth(eval(*e.args[0]), e)) return Value::boolean(true);
        return Value::boolean(truth(eval(*e.args[1]), e));
      }
      case ExprOp::kNeg: {
        const Value a = eval(*e.args[0]);
        if (a.is_null()) return a;
        if (a.kind != Value::Kind::kNumber) return type_error(e, "-", a, a);
        return Value::number(-a.n);
      }
      case ExprOp::kEq:
      case ExprOp::kNe:
      case ExprOp::kLt:
      case ExprOp::kLe:
      case ExprOp::kGt:
      case ExprOp::kGe:
        return compare(e);
      default:
        break;
    }
    if (e.op == ExprOp::kCall) return call(e);
    // arithmetic
    const Value a = eval(*e.args[0]);
    const Value b = eval(*e.args[1]);
    if (error) return Value::null();
    if (a.is_null() || b.is_null()) return Value::null();
    static constexpr const char* kOpNames[] = {"+", "-", "*", "/", "mod"};
    const char* opname = kOpNames[static_cast<int>(e.op) - static_cast<int>(ExprOp::kAdd)];
    if (e.op == ExprOp::kAdd && a.kind == Value::Kind::kString && b.kind == Value::Kind::kString) {
      if (a.s.size() + b.s.size() > 100000) return fail(e, msg("expr.too_long_value"));
      return Value::string(a.s + b.s);
    }
    if (a.kind != Value::Kind::kNumber || b.kind != Value::Kind::kNumber) {
      return type_error(e, opname, a, b);
    }
    double r = 0;
    switch (e.op) {
      case ExprOp::kAdd:
        r = a.n + b.n;
        break;
      case ExprOp::kSub:
        r = a.n - b.n;
        break;
      case ExprOp::kMul:
        r = a.n * b.n;
        break;
      case ExprOp::kDiv:
        if (b.n == 0) return fail(e, msg("expr.div_zero"));
        r = a.n / b.n;
        break;
      case ExprOp::kMod:
        if (b.n == 0) return fail(e, msg("expr.div_zero"));
        r = std::fmod(a.n, b.n);
        break;
      default:
        break;
    }
    if (!std::isfinite(r)) return fail(e, msg("expr.overflow"));
    return Value::number(r);
  }

 private:
  Value fail(const Expr& e, Text m) {
    if (!error) {
      Text where = msg("expr.at", {same(std::to_string(e.pos))});
      error =
          Error::make(ErrorKind::kValidation, "expression_error", where.zh + m.zh, where.en + m.en);
    }
    return Value::null();
  }
  Value type_error(const Expr& e, const char* op, const Value& a, const Value& b) {
    return fail(e, msg("expr.type", {same(op), kind_name(a.kind), kind_name(b.kind)}));
  }

  bool truth(const Value& v, const Expr& e) {
    if (v.kind == Value::Kind::kBool) return v.b;
    if (v.is_null()) return false;
    fail(e, msg("expr.not_boolean", {kind_name(v.kind)}));
    return false;
  }

  Value compare(const Expr& e) {
    const Value a = eval(*e.args[0]);
    const Value b = eval(*e.args[1]);
    if (error) return Value::null();
    if (e.op == ExprOp::kEq || e.op == ExprOp::kNe) {
      bool eq = false;
      if (a.is_null() || b.is_null()) {
        eq = a.is_null() && b.is_null();
      } else if (a.kind != b.kind) {
        return type_error(e, e.op == ExprOp::kEq ? "=" : "!=", a, b);
      } else if (a.kind == Value::Kind::kBool) {
        eq = a.b == b.b;
      } else if (a.kind == Value::Kind::kNumber) {
        eq = a.n == b.n;
      } else if (a.kind == Value::Kind::kString) {
        eq = a.s == b.s;
      } else {
        return type_error(e, "=", a, b);
      }
      return Value::boolean(e.op == ExprOp::kEq ? eq : !eq);
    }
    if (a.is_null() || b.is_null()) return Value::boolean(false);
    int c = 0;
    if (a.kind == Value::Kind::kNumber && b.kind == Value::Kind::kNumber) {
      c = a.n < b.n ? -1 : a.n > b.n ? 1 : 0;
    } else if (a.kind == Value::Kind::kString && b.kind == Value::Kind::kString) {
      c = a.s.compare(b.s);
    } else {
      return type_error(e, "<", a, b);
    }
    switch (e.op) {
      case ExprOp::kLt:
        return Value::boolean(c < 0);
      case ExprOp::kLe:
        return Value::boolean(c <= 0);
      case ExprOp::kGt:
        return Value::boolean(c > 0);
      default:
        return Value::boolean(c >= 0);
    }
  }

  std::optional<std::string> as_date(const Expr& e, const Value& v) {
    if (v.kind != Value::Kind::kString) {
      fail(e, msg("expr.arg_type", {same(e.name), msg("type.date"), kind_name(v.kind)}));
      return std::nullopt;
    }
    auto d = normalize_date(v.s);
    if (!d) fail(e, msg("expr.not_a_date", {same(v.s.substr(0, 40))}));
    return d;
  }

  Value call(const Expr& e) {
    const std::string& f = e.name;
    if (f == "if") {
      const Value c = eval(*e.args[0]);
      return truth(c, e) ? eval(*e.args[1]) : eval(*e.args[2]);
    }
    if (f == "coalesce") {
      for (const auto& a : e.args) {
        Value v = eval(*a);
        if (error) return Value::null();
        if (!v.is_null() && !(v.kind == Value::Kind::kString && v.s.empty())) return v;
      }
      return Value::null();
    }
    if (f == "today") {
      return ctx_.today.empty() ? Value::null() : Value::string(ctx_.today);
    }
    std::vector<Value> args;
    args.reserve(e.args.size());
    for (const auto& a : e.args) args.push_back(eval(*a));
    if (error) return Value::null();
    const Value& x = args[0];
    if (f == "count") {
      if (x.is_null()) return Value::number(0);
      if (x.kind != Value::Kind::kList) return arg_type(e, "type.list", x);
      return Value::number(static_cast<double>(x.list.size()));
    }
    if (f == "sum") {
      if (x.is_null()) return Value::number(0);
      if (x.kind != Value::Kind::kList) return arg_type(e, "type.list", x);
      double s = 0;
      for (const auto& v : x.list) {
        if (v.is_null()) continue;
        if (v.kind != Value::Kind::kNumber) return arg_type(e, "type.number", v);
        s += v.n;
      }
      return Value::number(s);
    }
    if (f == "age") {
      if (x.is_null() || ctx_.today.empty()) return Value::null();
      auto d = as_date(e, x);
      if (!d) return Value::null();
      auto a = age_in_years(*d, ctx_.today);
      return a ? Value::number(*a) : Value::null();
    }
    if (f == "days-between") {
      if (x.is_null() || args[1].is_null()) return Value::null();
      auto d1 = as_date(e, x);
      auto d2 = d1 ? as_date(e, args[1]) : std::nullopt;
      if (!d1 || !d2) return Value::null();
      return Value::number(static_cast<double>(*date_to_days(*d2) - *date_to_days(*d1)));
    }
    if (f == "date") {
      if (x.is_null()) return x;
      auto d = as_date(e, x);
      return d ? Value::string(*d) : Value::null();
    }
    if (f == "selected") {
      const Value& code = args[1];
      if (x.is_null() || code.is_null()) return Value::boolean(false);
      if (code.kind != Value::Kind::kString) return arg_type(e, "type.text", code);
      if (x.kind == Value::Kind::kString) {
        size_t i = 0;
        while (i < x.s.size()) {
          while (i < x.s.size() && x.s[i] == ' ') ++i;
          size_t j = i;
          while (j < x.s.size() && x.s[j] != ' ') ++j;
          if (j > i && x.s.compare(i, j - i, code.s) == 0 && j - i == code.s.size()) {
            return Value::boolean(true);
          }
          i = j;
        }
        return Value::boolean(false);
      }
      if (x.kind != Value::Kind::kList) return arg_type(e, "type.list", x);
      for (const auto& v : x.list) {
        if (v.kind == Value::Kind::kString && v.s == code.s) return Value::boolean(true);
      }
      return Value::boolean(false);
    }
    if (f == "string-length") {
      if (x.is_null()) return Value::number(0);
      if (x.kind != Value::Kind::kString) return arg_type(e, "type.text", x);
      return Value::number(static_cast<double>(utf8_length(x.s)));
    }
    if (f == "empty") {
      return Value::boolean(x.is_null() || (x.kind == Value::Kind::kString && x.s.empty()) ||
                            (x.kind == Value::Kind::kList && x.list.empty()));
    }
    if (f == "regex") {
      if (x.is_null()) return Value::boolean(false);
      if (x.kind != Value::Kind::kString) return arg_type(e, "type.text", x);
      if (x.s.size() > 4000) return fail(e, msg("expr.too_long_value"));
      try {
        return Value::boolean(std::regex_search(x.s, *e.re));
      } catch (const std::exception&) {
        return fail(e, msg("expr.regex_failed"));
      }
    }
    if (f == "substr") {
      if (x.is_null()) return x;
      if (x.kind != Value::Kind::kString) return arg_type(e, "type.text", x);
      const Value& st = args[1];
      if (st.kind != Value::Kind::kNumber) return arg_type(e, "type.number", st);
      double len = 1e9;
      if (args.size() > 2) {
        if (args[2].kind != Value::Kind::kNumber) return arg_type(e, "type.number", args[2]);
        len = args[2].n;
      }
      if (st.n < 0 || len < 0) return fail(e, msg("expr.negative"));
      return Value::string(utf8_substr(x.s, static_cast<size_t>(std::min(st.n, 1e9)),
                                       static_cast<size_t>(std::min(len, 1e9))));
    }
    if (f == "number") {
      if (x.is_null() || x.kind == Value::Kind::kNumber) return x;
      if (x.kind == Value::Kind::kBool) return Value::number(x.b ? 1 : 0);
      if (x.kind != Value::Kind::kString) return arg_type(e, "type.number", x);
      const std::string s = trim(x.s);
      if (s.empty()) return Value::null();
      char* end = nullptr;
      const double d = std::strtod(s.c_str(), &end);
      if (end != s.c_str() + s.size() || !std::isfinite(d)) {
        return fail(e, msg("expr.not_a_number", {same(s.substr(0, 40))}));
      }
      return Value::number(d);
    }
    if (f == "string") {
      if (x.is_null() || x.kind == Value::Kind::kString) return x;
      if (x.kind == Value::Kind::kBool) return Value::string(x.b ? "true" : "false");
      if (x.kind == Value::Kind::kNumber) return Value::string(value_to_json(x).dump());
      return arg_type(e, "type.text", x);
    }
    if (f == "round") {
      if (x.is_null()) return x;
      if (x.kind != Value::Kind::kNumber) return arg_type(e, "type.number", x);
      int digits = 0;
      if (args.size() > 1) {
        if (args[1].kind != Value::Kind::kNumber) return arg_type(e, "type.number", args[1]);
        digits = static_cast<int>(std::max(-10.0, std::min(10.0, args[1].n)));
      }
      const double p = std::pow(10.0, digits);
      return Value::number(std::round(x.n * p) / p);
    }
    if (f == "min" || f == "max") {
      std::optional<double> best;
      for (const auto& a : args) {
        std::vector<Value> items = a.kind == Value::Kind::kList ? a.list : std::vector<Value>{a};
        for (const auto& v : items) {
          if (v.is_null()) continue;
          if (v.kind != Value::Kind::kNumber) return arg_type(e, "type.number", v);
          if (!best || (f == "min" ? v.n < *best : v.n > *best)) best = v.n;
        }
      }
      return best ? Value::number(*best) : Value::null();
    }
    return fail(e, msg("expr.unknown_func", {same(f)}));
  }

  Value arg_type(const Expr& e, const char* want, const Value& got) {
    return fail(e, msg("expr.arg_type", {same(e.name), msg(want), kind_name(got.kind)}));
  }

  const EvalContext& ctx_;
};

}  // namespace

Compiled compile_expr(std::string_view source, const CompileOptions& opts) {
  try {
    Parser p(source, opts);
    return p.run();
  } catch (const std::exception&) {
    Compiled c;
    c.error = ExprError{0, "syntax", msg("expr.internal")};
    return c;
  }
}

std::vector<std::string> expr_refs(const Expr& e) {
  std::vector<std::string> out;
  collect_refs(e, out);
  return out;
}

Result<Value> evaluate(const Expr& e, const EvalContext& ctx) {
  try {
    Evaluator ev(ctx);
    Value v = ev.eval(e);
    if (ev.error) return *ev.error;
    return v;
  } catch (const std::exception&) {
    return Error::make(ErrorKind::kValidation, "expression_error", msg("expr.internal").zh,
                       msg("expr.internal").en);
  }
}

Result<bool> evaluate_condition(const Expr& e, const EvalContext& ctx) {
  auto r = evaluate(e, ctx);
  if (!r.ok()) return r.take_error();
  const Value& v = r.value();
  if (v.is_null()) return false;
  if (v.kind == Value::Kind::kBool) return v.b;
  const Text m = msg("expr.not_boolean", {kind_name(v.kind)});
  return Error::make(ErrorKind::kValidation, "expression_error", m.zh, m.en);
}

}  // namespace yb::forms
