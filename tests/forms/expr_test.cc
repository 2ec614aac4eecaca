#include "forms/expr.h"

#include <doctest/doctest.h>

#include <map>

using namespace yb::forms;
using yb::Result;

namespace {

struct Env {
  std::map<std::string, Value> vars;
  Value current;
  std::string today = "2024-06-01";

  Result<Value> eval(const std::string& src) const {
    Compiled c = compile_expr(src);
    if (!c.ok()) {
      return yb::Error::make(yb::ErrorKind::kValidation, c.error->code, c.error->message.zh,
                             c.error->message.en);
    }
    EvalContext ctx;
    ctx.lookup = [this](const std::string& k) {
      auto it = vars.find(k);
      return it == vars.end() ? Value::null() : it->second;
    };
    ctx.current = current;
    ctx.today = today;
    return evaluate(*c.expr, ctx);
  }
  double num(const std::string& src) const {
    auto r = eval(src);
    REQUIRE_MESSAGE(r.ok(), src, " failed: ", (r.ok() ? "" : r.error().message.en));
    REQUIRE(r.value().kind == Value::Kind::kNumber);
    return r.value().n;
  }
  bool boolean(const std::string& src) const {
    auto r = eval(src);
    REQUIRE_MESSAGE(r.ok(), src, " failed: ", (r.ok() ? "" : r.error().message.en));
    REQUIRE(r.value().kind == Value::Kind::kBool);
    return r.value().b;
  }
  bool is_null(const std::string& src) const {
    auto r = eval(src);
    REQUIRE(r.ok());
    return r.value().is_null();
  }
  std::string error_code(const std::string& src) const {
    auto r = eval(src);
    return r.ok() ? "" : r.error().code;
  }
};

Value list(std::initializer_list<Value> vs) {
  Value v;
  v.kind = Value::Kind::kList;
  v.list = vs;
  return v;
}

}  // namespace

TEST_CASE("precedence: * / mod bind tighter than + -, unary minus tightest") {
  Env e;
  CHECK(e.num("1 + 2 * 3") == 7);
  CHECK(e.num("(1 + 2) * 3") == 9);
  CHECK(e.num("10 - 4 - 3") == 3);  // left associative
  CHECK(e.num("12 / 3 / 2") == 2);
  CHECK(e.num("7 mod 4 * 2") == 6);
  CHECK(e.num("-2 * 3") == -6);
  CHECK(e.num("2 - -3") == 5);
  CHECK(e.num("1.5 + 0.25") == 1.75);
}

TEST_CASE("precedence: or < and < not < comparison < arithmetic") {
  Env e;
  CHECK(e.boolean("true or false and false"));  // or binds loosest
  CHECK_FALSE(e.boolean("(true or false) and false"));
  CHECK(e.boolean("not 1 > 2"));           // not (1 > 2)
  CHECK(e.boolean("not false and true"));  // (not false) and true
  CHECK(e.boolean("1 + 1 = 2"));
  CHECK(e.boolean("2 * 3 >= 6 and 1 != 2"));
  CHECK(e.boolean("not not true"));
}

TEST_CASE("types: strings, booleans, equality and ordering") {
  Env e;
  CHECK(e.boolean("'abc' = \"abc\""));
  CHECK(e.boolean("'abc' < 'abd'"));
  CHECK(e.boolean("'2024-01-05' < '2024-02-01'"));  // ISO dates compare as text
  CHECK(e.boolean("true = true"));
  CHECK(e.boolean("'a' + 'b' = 'ab'"));
  CHECK(e.boolean("'it\\'s' = \"it's\""));
}

TEST_CASE("references: ${key} and . (the current value)") {
  Env e;
  e.vars["person.age"] = Value::number(85);
  e.vars["person.sex"] = Value::string("1");
  e.current = Value::number(4);
  CHECK(e.boolean("${person.age} >= 80"));
  CHECK(e.boolean("${person.sex} = '1'"));
  CHECK(e.boolean(". >= 1 and . <= 20"));
  CHECK(e.num(". * 2") == 8);
}

TEST_CASE("null semantics: missing values are null") {
  Env e;
  CHECK(e.is_null("${missing} + 1"));
  CHECK(e.is_null("-${missing}"));
  CHECK(e.is_null("${missing} * 2 + 3"));
  CHECK_FALSE(e.boolean("${missing} > 1"));
  CHECK_FALSE(e.boolean("${missing} <= 1"));
  CHECK_FALSE(e.boolean("${missing} = 1"));
  CHECK(e.boolean("${missing} != 1"));
  CHECK(e.boolean("${missing} = null"));
  CHECK_FALSE(e.boolean("${missing} != null"));
  CHECK(e.boolean("null = null"));
  CHECK_FALSE(e.boolean("${missing} and true"));
  CHECK(e.boolean("${missing} or true"));
  CHECK(e.boolean("not ${missing}"));
  CHECK(e.num("coalesce(${missing}, 5)") == 5);
  CHECK(e.boolean("empty(${missing})"));
  CHECK(e.num("count(${missing})") == 0);
  CHECK(e.num("string-length(${missing})") == 0);
}

TEST_CASE("functions") {
  Env e;
  e.vars["household.members"] = list({Value::null(), Value::null(), Value::null()});
  e.vars["household.members.income"] =
      list({Value::number(100), Value::null(), Value::number(50.5)});
  e.vars["risk.type"] = list({Value::string("1"), Value::string("3")});
  e.vars["birth"] = Value::string("1944-06-02");
  CHECK(e.num("count(${household.members})") == 3);
  CHECK(e.num("sum(${household.members.income})") == 150.5);
  CHECK(e.boolean("today() = '2024-06-01'"));
  CHECK(e.num("age(${birth})") == 79);
  CHECK(e.num("age('1944-06-01')") == 80);
  CHECK(e.num("age('1944年6月1日')") == 80);
  CHECK(e.num("if(1 < 2, 10, 20)") == 10);
  CHECK(e.num("if(${missing}, 10, 20)") == 20);
  CHECK(e.boolean("selected(${risk.type}, '3')"));
  CHECK_FALSE(e.boolean("selected(${risk.type}, '2')"));
  CHECK(e.boolean("selected('1 3', '3')"));
  CHECK(e.num("string-length('南高村')") == 3);
  CHECK(e.boolean("empty('')"));
  CHECK_FALSE(e.boolean("empty('x')"));
  CHECK(e.boolean("regex('13800138000', '^1[3-9][0-9]{9}$')"));
  CHECK_FALSE(e.boolean("regex('abc', '^[0-9]+$')"));
  CHECK(e.boolean("substr('南高村三组', 1, 2) = '高村'"));
  CHECK(e.boolean("substr('abcdef', 4) = 'ef'"));
  CHECK(e.boolean("date('2024/1/5') = '2024-01-05'"));
  CHECK(e.num("number('42') + 1") == 43);
  CHECK(e.boolean("string(42) = '42'"));
  CHECK(e.num("round(2.567, 2)") == doctest::Approx(2.57));
  CHECK(e.num("min(3, 1, 2)") == 1);
  CHECK(e.num("max(${household.members.income})") == 100);
  CHECK(e.num("days-between('2024-01-01', '2024-03-01')") == 60);
  e.today = "";
  CHECK(e.is_null("today()"));
  CHECK(e.is_null("age('1944-06-01')"));
}

TEST_CASE("evaluation errors are values, never crashes") {
  Env e;
  CHECK(e.error_code("'a' * 2") == "expression_error");
  CHECK(e.error_code("1 / 0") == "expression_error");
  CHECK(e.error_code("5 mod 0") == "expression_error");
  CHECK(e.error_code("'1' = 1") == "expression_error");
  CHECK(e.error_code("true < false") == "expression_error");
  CHECK(e.error_code("1 and true") == "expression_error");
  CHECK(e.error_code("not 'x'") == "expression_error");
  CHECK(e.error_code("count(3)") == "expression_error");
  CHECK(e.error_code("age('not a date')") == "expression_error");
  CHECK(e.error_code("number('abc')") == "expression_error");
  CHECK(e.error_code("substr('abc', -1, 2)") == "expression_error");
  auto r = e.eval("'a' * 2");
  CHECK(r.error().message.en.find("at character 5") != std::string::npos);
  CHECK(!r.error().message.zh.empty());
}

TEST_CASE("evaluate_condition: null is false, non-booleans are errors") {
  Compiled c = compile_expr("${x}");
  REQUIRE(c.ok());
  EvalContext ctx;
  auto r = evaluate_condition(*c.expr, ctx);
  REQUIRE(r.ok());
  CHECK_FALSE(r.value());
  Compiled n = compile_expr("1 + 1");
  CHECK_FALSE(evaluate_condition(*n.expr, ctx).ok());
}

TEST_CASE("syntax errors carry a code and a 1-based position") {
  auto err = [](const std::string& src) {
    Compiled c = compile_expr(src);
    REQUIRE_FALSE(c.ok());
    return *c.error;
  };
  CHECK(err("1 +").code == "syntax");
  CHECK(err("1 +").position == 4);
  CHECK(err("(1 + 2").code == "syntax");
  CHECK(err("1 + 2)").position == 6);
  CHECK(err("'abc").code == "syntax");
  CHECK(err("${a b}").code == "syntax");
  CHECK(err("$a").code == "syntax");
  CHECK(err("1 < 2 < 3").code == "syntax");
  CHECK(err("1 # 2").position == 3);
  CHECK(err("foo").code == "syntax");
  CHECK(err("12abc").code == "syntax");
  CHECK(err("1 ! 2").code == "syntax");
  CHECK(err("frobnicate(1)").code == "unknown_function");
  CHECK(err("today(1)").code == "arity");
  CHECK(err("if(1, 2)").code == "arity");
  CHECK(err("regex('a', ${p})").code == "syntax");
  CHECK(err("regex('a', '(')").code == "syntax");
  CHECK(err("1 +").message.en.find("at character 4") != std::string::npos);
}

TEST_CASE("compile options: unknown references and the current value") {
  CompileOptions o;
  o.known_ref = [](const std::string& k) { return k == "person.age"; };
  CHECK(compile_expr("${person.age} > 1", o).ok());
  auto c = compile_expr("${person.agee} > 1", o);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error->code == "unknown_reference");
  CHECK(c.error->position == 1);
  o.allow_current = false;
  CHECK_FALSE(compile_expr(". > 1", o).ok());
}

TEST_CASE("limits: nesting depth and length are guarded") {
  std::string deep(70, '(');
  deep += "1";
  deep += std::string(70, ')');
  auto c = compile_expr(deep);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error->code == "too_deep");
  std::string nots;
  for (int i = 0; i < 100; ++i) nots += "not ";
  CHECK(compile_expr(nots + "true").error->code == "too_deep");
  std::string minus(200, '-');
  CHECK_FALSE(compile_expr(minus + "1").ok());
  std::string chain = "1";
  for (int i = 0; i < 100; ++i) chain += " + 1";
  CHECK(compile_expr(chain).ok());  // long operator chains are fine ...
  for (int i = 0; i < 200; ++i) chain += " + 1";
  CHECK(compile_expr(chain).error->code == "too_deep");  // ... up to a 256-deep tree
  CHECK(compile_expr(std::string(5000, '1')).error->code == "too_long");
  std::string ok(60, '(');
  ok += "1" + std::string(60, ')');
  CHECK(compile_expr(ok).ok());
  // a million nested parentheses neither crash nor hang
  CompileOptions big;
  big.max_length = 2000000;
  CHECK_FALSE(compile_expr(std::string(1000000, '('), big).ok());
}

TEST_CASE("expr_refs lists references once, in order") {
  auto c = compile_expr("${a} + ${b} * ${a} > count(${c})");
  REQUIRE(c.ok());
  CHECK(expr_refs(*c.expr) == std::vector<std::string>{"a", "b", "c"});
}
