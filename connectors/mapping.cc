// The declarative mapping (format: docs/connectors.md, "The mapping language").
//
// A rule turns one source (from | const | template | concat) into one upstream value through
// a fixed pipeline: default (when the source is missing) → derive → each → codes → multiply →
// number → date → join → as → omit_empty. Parsing checks everything it can up front (and
// against the dictionary when one is given) so that rendering rarely fails.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>

#include "connectors/mapping.h"
#include "core/json_text.h"
#include "forms/expr.h"
#include "forms/id_number.h"
#include "forms/normalize.h"

namespace yb::connectors {

namespace {

enum class Source { kFrom, kConst, kTemplate, kConcat };
enum class Derive { kNone, kBirthDate, kSex, kAge };
enum class As { kNone, kString, kNumber, kBoolean };

// One piece of a template: literal text, or a reference to a value.
struct Piece {
  bool ref = false;
  std::string text;  // literal text, or the key
  bool local = false;
};

// One piece of a date format.
struct DateTok {
  enum class Kind { kLit, kYYYY, kMM, kM, kDD, kD } kind = Kind::kLit;
  std::string lit;
};

}  // namespace

// A source and the transforms applied to it; rules (with `to`) and concat parts share it.
struct MappingRule {
  // Target (rules only; empty for concat parts).
  std::string to;
  std::vector<std::string> to_path;
  std::string config_path;  // "mapping.fields[3]", for runtime messages

  Source source = Source::kFrom;
  std::string from;
  bool from_local = false;  // an item key inside `each`
  Json constant;
  std::vector<Piece> tmpl;
  std::vector<MappingRule> parts;  // concat
  std::string sep;

  std::optional<Json> def;
  Derive derive = Derive::kNone;
  std::vector<std::shared_ptr<const MappingRule>> each;
  bool has_codes = false;
  std::map<std::string, Json> codes;
  std::optional<Json> codes_star;
  std::optional<double> multiply;
  std::optional<int> decimals;
  std::vector<DateTok> date;
  std::optional<std::string> join;
  As as = As::kNone;
  std::string when;
  std::shared_ptr<const forms::Expr> when_expr;
  bool omit_empty = true;
};

// One key of the document a mapping writes: a rule's value, or an object of further keys.
struct OutNode {
  std::string key;
  int rule = -1;                  // index into the mapping's rules, or -1 for an object
  std::vector<OutNode> children;  // in key order, as a nlohmann object keeps (and prints) them
};

namespace {

constexpr size_t kMaxRules = 500;
constexpr size_t kMaxTemplate = 2000;

// ---------------------------------------------------------------------------------------
// Helpers

bool is_local_key(const std::string& k, bool in_each) {
  return in_each && k.find('.') == std::string::npos;
}

std::vector<std::string> split_path(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : s) {
    if (ch == '.') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  out.push_back(cur);
  return out;
}

bool is_empty_value(const Json& v) {
  return v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty()) ||
         (v.is_array() && v.empty()) || (v.is_object() && v.empty());
}

// Plain text of a value, for templates, concat, join and `as: string`.
std::string to_text(const Json& v) {
  switch (v.type()) {
    case Json::value_t::string:
      return v.get<std::string>();
    case Json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return v.dump();
    case Json::value_t::number_float: {
      const double d = v.get<double>();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) {
        return std::to_string(static_cast<int64_t>(d));
      }
      return v.dump();
    }
    case Json::value_t::array: {
      std::string s;
      for (const auto& e : v) {
        if (!s.empty()) s += ",";
        s += to_text(e);
      }
      return s;
    }
    case Json::value_t::null:
      return "";
    default:
      return v.dump();
  }
}

// A code-table key for a value (codes are strings in the dictionary).
std::optional<std::string> code_key(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer() || v.is_number_unsigned() || v.is_boolean()) return to_text(v);
  if (v.is_number_float()) return to_text(v);
  return std::nullopt;
}

std::optional<double> to_number(const Json& v) {
  if (v.is_number()) {
    const double d = v.get<double>();
    return std::isfinite(d) ? std::optional<double>(d) : std::nullopt;
  }
  if (v.is_string()) {
    const std::string s = forms::trim(v.get<std::string>());
    if (s.empty()) return std::nullopt;
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size() || !std::isfinite(d)) return std::nullopt;
    return d;
  }
  if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
  return std::nullopt;
}

Json number_json(double d) {
  if (d == std::floor(d) && std::fabs(d) < 9.0e15) return static_cast<int64_t>(d);
  return d;
}

std::string format_fixed(double d, int decimals) {
  // Round half away from zero on the decimal value, tolerating binary noise (1.005 → 1.01).
  const double scale = std::pow(10.0, decimals);
  double scaled = d * scale;
  scaled = scaled >= 0 ? std::floor(scaled + 0.5 + 1e-9) : -std::floor(-scaled + 0.5 + 1e-9);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, scaled / scale);
  std::string s = buf;
  if (s.find_first_not_of("-0.") == std::string::npos && s[0] == '-') s.erase(0, 1);  // -0.00
  return s;
}

// iso is "YYYY-MM-DD" (normalize_date's output), so its parts are already zero-padded.
std::string format_date(const std::vector<DateTok>& toks, const std::string& iso) {
  const int m = (iso[5] - '0') * 10 + (iso[6] - '0');
  const int d = (iso[8] - '0') * 10 + (iso[9] - '0');
  std::string out;
  for (const auto& t : toks) {
    switch (t.kind) {
      case DateTok::Kind::kLit:
        out += t.lit;
        break;
      case DateTok::Kind::kYYYY:
        out.append(iso, 0, 4);
        break;
      case DateTok::Kind::kMM:
        out.append(iso, 5, 2);
        break;
      case DateTok::Kind::kM:
        out += std::to_string(m);
        break;
      case DateTok::Kind::kDD:
        out.append(iso, 8, 2);
        break;
      case DateTok::Kind::kD:
        out += std::to_string(d);
        break;
    }
  }
  return out;
}

std::vector<DateTok> parse_date_format(const std::string& f) {
  std::vector<DateTok> out;
  auto lit = [&](char ch) {
    if (out.empty() || out.back().kind != DateTok::Kind::kLit) out.push_back({});
    out.back().lit += ch;
  };
  for (size_t i = 0; i < f.size();) {
    if (f.compare(i, 4, "YYYY") == 0) {
      out.push_back({DateTok::Kind::kYYYY, {}});
      i += 4;
    } else if (f.compare(i, 2, "MM") == 0) {
      out.push_back({DateTok::Kind::kMM, {}});
      i += 2;
    } else if (f[i] == 'M') {
      out.push_back({DateTok::Kind::kM, {}});
      i += 1;
    } else if (f.compare(i, 2, "DD") == 0) {
      out.push_back({DateTok::Kind::kDD, {}});
      i += 2;
    } else if (f[i] == 'D') {
      out.push_back({DateTok::Kind::kD, {}});
      i += 1;
    } else {
      lit(f[i]);
      i += 1;
    }
  }
  return out;
}

// Parses "{key}" placeholders with "{{" / "}}" escapes. Returns false on a malformed template.
bool parse_template(const std::string& s, bool in_each, std::vector<Piece>& out) {
  std::string lit;
  for (size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    if (ch == '{') {
      if (i + 1 < s.size() && s[i + 1] == '{') {
        lit += '{';
        ++i;
        continue;
      }
      const size_t close = s.find('}', i + 1);
      if (close == std::string::npos) return false;
      std::string key = s.substr(i + 1, close - i - 1);
      if (key.empty() || key.find('{') != std::string::npos) return false;
      if (!lit.empty()) out.push_back({false, std::move(lit), false});
      lit.clear();
      const bool local = is_local_key(key, in_each);
      out.push_back({true, std::move(key), local});
      i = close;
    } else if (ch == '}') {
      if (i + 1 < s.size() && s[i + 1] == '}') {
        lit += '}';
        ++i;
        continue;
      }
      return false;
    } else {
      lit += ch;
    }
  }
  if (!lit.empty()) out.push_back({false, std::move(lit), false});
  return true;
}

// ---------------------------------------------------------------------------------------
// Parsing

class Parser {
 public:
  Parser(const forms::Dictionary* dict, std::set<std::string>& reads)
      : dict_(dict), reads_(reads) {}

  std::vector<FieldError> errs;

  void err(const std::string& path, const std::string& code, std::string zh, std::string en) {
    if (errs.size() >= 500) return;
    errs.push_back(FieldError{path, code, Text{std::move(zh), std::move(en)}});
  }

  // A rule with `to` (top level or inside `each`).
  std::optional<MappingRule> rule(const Json& j, const std::string& path, bool in_each,
                                  const forms::DictionaryField* repeat) {
    if (!j.is_object()) {
      err(path, "type",
          "映射规则必须是 JSON 对象，例如 {\"to\": \"xm\", \"from\": \"person.name\"}",
          "A mapping rule must be a JSON object, e.g. {\"to\": \"xm\", \"from\": \"person.name\"}");
      return std::nullopt;
    }
    MappingRule r;
    r.config_path = path;
    auto to = j.find("to");
    if (to == j.end()) {
      err(path + ".to", "required", "缺少 to（上游字段名），请填写，例如 \"xm\" 或 \"dz.qz\"",
          "\"to\" (the upstream field name) is missing; add one, e.g. \"xm\" or \"dz.qz\"");
    } else if (!to->is_string() || to->get_ref<const std::string&>().empty()) {
      err(path + ".to", "type", "to 必须是非空字符串（用点号表示嵌套，例如 \"dz.qz\"）",
          "\"to\" must be a non-empty string (dots nest objects, e.g. \"dz.qz\")");
    } else {
      r.to = to->get<std::string>();
      r.to_path = split_path(r.to);
      for (const auto& seg : r.to_path) {
        if (seg.empty()) {
          err(path + ".to", "bad_path", "to 中有空的路径段：“" + r.to + "”，请去掉多余的点号",
              "\"to\" has an empty path segment: \"" + r.to + "\"; remove the extra dot");
          break;
        }
      }
    }
    spec(j, path, in_each, repeat, /*is_part=*/false, r);
    return r;
  }

  // The source and transforms shared by rules and concat parts.
  void spec(const Json& j, const std::string& path, bool in_each,
            const forms::DictionaryField* repeat, bool is_part, MappingRule& r) {
    static const char* const kRuleKeys[] = {"to",     "from",       "const", "template", "concat",
                                            "sep",    "codes",      "date",  "number",   "multiply",
                                            "derive", "default",    "as",    "each",     "join",
                                            "when",   "omit_empty", "field"};
    static const char* const kPartKeys[] = {"from",    "const",  "template", "codes",
                                            "date",    "number", "multiply", "derive",
                                            "default", "as",     "field"};
    for (auto it = j.begin(); it != j.end(); ++it) {
      bool known = false;
      if (is_part) {
        for (const char* k : kPartKeys) known = known || it.key() == k;
      } else {
        for (const char* k : kRuleKeys) known = known || it.key() == k;
      }
      if (it.key() == "field" && !in_each) known = false;
      if (!known) {
        err(path + "." + it.key(), "unknown_key",
            "未知的映射键“" + it.key() + "”，请删除或改正拼写（可用键见 docs/connectors.md）",
            "Unknown mapping key \"" + it.key() +
                "\"; remove it or fix the spelling (keys: see docs/connectors.md)");
      }
    }

    // --- source: exactly one of from | const | template | concat
    int sources = 0;
    for (const char* k : {"from", "const", "template", "concat"}) sources += j.contains(k) ? 1 : 0;
    if (sources != 1) {
      err(path, sources == 0 ? "no_source" : "many_sources",
          "每条规则必须且只能有一个来源：from、const、template 或 concat",
          "Each rule needs exactly one source: from, const, template or concat");
    }
    // The dictionary field whose values this rule reads (for type and code checks).
    const forms::DictionaryField* src_field = nullptr;
    bool src_known = false;  // whether checks against the dictionary are possible

    if (auto it = j.find("from"); it != j.end()) {
      r.source = Source::kFrom;
      if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
        err(path + ".from", "type", "from 必须是字段键（字符串），例如 \"person.name\"",
            "\"from\" must be a field key (a string), e.g. \"person.name\"");
      } else {
        r.from = it->get<std::string>();
        r.from_local = is_local_key(r.from, in_each);
        if (!r.from_local) {
          reads_.insert(r.from);
          if (dict_) {
            src_field = dict_->find(r.from);
            src_known = true;
            if (!src_field) {
              err(path + ".from", "unknown_field",
                  "字典中没有字段“" + r.from + "”，请检查拼写或先在字典中添加该字段",
                  "The dictionary has no field \"" + r.from +
                      "\"; check the spelling or add the field to the dictionary first");
            }
          }
        }
      }
    } else if (auto it = j.find("const"); it != j.end()) {
      r.source = Source::kConst;
      r.constant = *it;
    } else if (auto it = j.find("template"); it != j.end()) {
      r.source = Source::kTemplate;
      if (!it->is_string()) {
        err(path + ".template", "type", "template 必须是字符串，例如 \"{person.name}（户主）\"",
            "\"template\" must be a string, e.g. \"{person.name} (head)\"");
      } else if (it->get_ref<const std::string&>().size() > kMaxTemplate ||
                 !parse_template(it->get<std::string>(), in_each, r.tmpl)) {
        err(path + ".template", "bad_template",
            "模板格式错误：占位符写作 {字段键}，字面的花括号写作 {{ 和 }}",
            "Malformed template: placeholders are {field.key}; write literal braces as {{ and }}");
      } else {
        for (const auto& p : r.tmpl) {
          if (!p.ref || p.local) continue;
          reads_.insert(p.text);
          if (dict_ && !dict_->find(p.text)) {
            err(path + ".template", "unknown_field", "模板引用了字典中没有的字段“" + p.text + "”",
                "The template refers to \"" + p.text + "\", which is not in the dictionary");
          }
        }
      }
    } else if (auto it = j.find("concat"); it != j.end()) {
      r.source = Source::kConcat;
      if (!it->is_array() || it->empty()) {
        err(path + ".concat", "type",
            "concat 必须是非空数组，元素为 {\"from\": ...}、{\"const\": ...} 或字段键字符串",
            "\"concat\" must be a non-empty array of {\"from\": ...}, {\"const\": ...} or field "
            "key strings");
      } else {
        for (size_t i = 0; i < it->size(); ++i) {
          const std::string p = path + ".concat[" + std::to_string(i) + "]";
          const Json& e = (*it)[i];
          MappingRule part;
          part.config_path = p;
          if (e.is_string()) {
            spec(Json{{"from", e}}, p, in_each, repeat, true, part);
          } else if (e.is_object()) {
            spec(e, p, in_each, repeat, true, part);
          } else {
            err(p, "type", "concat 的元素必须是对象或字段键字符串",
                "Elements of \"concat\" must be objects or field key strings");
            continue;
          }
          r.parts.push_back(std::move(part));
        }
      }
    }
    if (auto it = j.find("sep"); it != j.end()) {
      if (!j.contains("concat")) {
        err(path + ".sep", "not_applicable", "sep 只能与 concat 一起使用",
            "\"sep\" only goes with \"concat\"");
      } else if (!it->is_string()) {
        err(path + ".sep", "type", "sep 必须是字符串", "\"sep\" must be a string");
      } else {
        r.sep = it->get<std::string>();
      }
    }

    // --- field: the dictionary key an item-local `from` stands for (checks only)
    if (auto it = j.find("field"); it != j.end() && in_each) {
      if (!it->is_string()) {
        err(path + ".field", "type", "field 必须是字典字段键（字符串）",
            "\"field\" must be a dictionary field key (a string)");
      } else if (!r.from_local) {
        err(path + ".field", "not_applicable", "field 只用于 each 中的本地键 from",
            "\"field\" only applies to an item-local \"from\" inside \"each\"");
      } else if (dict_) {
        src_field = dict_->find(it->get<std::string>());
        src_known = true;
        if (!src_field) {
          err(path + ".field", "unknown_field", "字典中没有字段“" + it->get<std::string>() + "”",
              "The dictionary has no field \"" + it->get<std::string>() + "\"");
        }
      }
    }

    // --- default
    if (auto it = j.find("default"); it != j.end()) r.def = *it;

    // --- derive
    std::optional<forms::FieldType> value_type;  // type of the value after derive/each
    if (src_field) value_type = src_field->type;
    if (auto it = j.find("derive"); it != j.end()) {
      const std::string d = it->is_string() ? it->get<std::string>() : "";
      if (d == "birth_date") {
        r.derive = Derive::kBirthDate;
      } else if (d == "sex") {
        r.derive = Derive::kSex;
      } else if (d == "age") {
        r.derive = Derive::kAge;
      } else {
        err(path + ".derive", "bad_value", "derive 只能是 \"birth_date\"、\"sex\" 或 \"age\"",
            "\"derive\" must be \"birth_date\", \"sex\" or \"age\"");
      }
      if (r.source != Source::kFrom) {
        err(path + ".derive", "not_applicable", "derive 需要 from 指向身份证号字段",
            "\"derive\" needs \"from\" naming an ID number field");
      } else if (src_field && src_field->type != forms::FieldType::kIdNumber) {
        err(path + ".derive", "not_id_number", "derive 只能用于身份证号字段，“" + r.from + "”不是",
            "\"derive\" only works on an ID number field; \"" + r.from + "\" is not one");
      }
      value_type = r.derive == Derive::kBirthDate ? forms::FieldType::kDate
                   : r.derive == Derive::kAge     ? forms::FieldType::kInteger
                                                  : forms::FieldType::kSelectOne;
      src_known = src_known || r.derive == Derive::kSex;
    }

    // --- each
    if (auto it = j.find("each"); it != j.end()) {
      if (in_each) {
        err(path + ".each", "nested_each", "each 不能嵌套", "\"each\" cannot be nested");
      } else if (r.source != Source::kFrom) {
        err(path + ".each", "not_applicable", "each 需要 from 指向重复组（例如家庭成员）",
            "\"each\" needs \"from\" naming a repeat group (e.g. household members)");
      } else if (!it->is_array() || it->empty()) {
        err(path + ".each", "type", "each 必须是非空的规则数组",
            "\"each\" must be a non-empty array of rules");
      } else {
        if (src_field && src_field->type != forms::FieldType::kRepeat) {
          err(path + ".each", "not_repeat", "each 只能用于重复组字段，“" + r.from + "”不是",
              "\"each\" only works on a repeat group; \"" + r.from + "\" is not one");
        }
        std::set<std::string> tos;
        for (size_t i = 0; i < it->size(); ++i) {
          const std::string p = path + ".each[" + std::to_string(i) + "]";
          auto sub = rule((*it)[i], p, true, src_field);
          if (!sub) continue;
          if (!sub->to.empty() && !tos.insert(sub->to).second) {
            err(p + ".to", "duplicate_to", "同一个 each 中重复的目标字段“" + sub->to + "”",
                "Duplicate target \"" + sub->to + "\" within one \"each\"");
          }
          r.each.push_back(std::make_shared<const MappingRule>(std::move(*sub)));
        }
        check_prefix_conflicts(r.each);
      }
      value_type = std::nullopt;
    } else if (src_field && src_field->type == forms::FieldType::kRepeat && !is_part) {
      err(path + ".from", "repeat_needs_each",
          "“" + r.from + "”是重复组，请用 each 为每个成员列出要发送的字段",
          "\"" + r.from + "\" is a repeat group; use \"each\" to list the fields sent per member");
    }

    // --- codes
    if (auto it = j.find("codes"); it != j.end()) {
      if (!it->is_object() || it->empty()) {
        err(path + ".codes", "type",
            "codes 必须是非空对象：规范代码 → 上游值，例如 {\"1\": \"男\", \"2\": \"女\"}",
            "\"codes\" must be a non-empty object: canonical code → upstream value, e.g. "
            "{\"1\": \"M\", \"2\": \"F\"}");
      } else {
        r.has_codes = true;
        for (auto c = it->begin(); c != it->end(); ++c) {
          if (c.key() == "*") {
            r.codes_star = c.value();
          } else {
            r.codes[c.key()] = c.value();
          }
        }
        check_codes(r, path, src_field, src_known);
      }
    }

    // --- multiply / number
    if (auto it = j.find("multiply"); it != j.end()) {
      if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() == 0) {
        err(path + ".multiply", "type", "multiply 必须是非零数字，例如 100（元→分）",
            "\"multiply\" must be a non-zero number, e.g. 100 (yuan → fen)");
      } else {
        r.multiply = it->get<double>();
      }
      check_numeric_source(r, path + ".multiply", value_type);
    }
    if (auto it = j.find("number"); it != j.end()) {
      const std::string f = it->is_string() ? it->get<std::string>() : "";
      bool good = !f.empty() && f[0] == '0';
      if (good && f.size() > 1) {
        good = f[1] == '.' && f.size() > 2 && f.size() <= 12 &&
               f.find_first_not_of('0', 2) == std::string::npos;
      }
      if (!good) {
        err(path + ".number", "bad_format",
            "number 格式只能是 \"0\"、\"0.0\"、\"0.00\" 等（小数位数由 0 的个数决定）",
            "\"number\" must be \"0\", \"0.0\", \"0.00\" ... (the zeros give the decimals)");
      } else {
        r.decimals = f.size() > 1 ? static_cast<int>(f.size() - 2) : 0;
      }
      check_numeric_source(r, path + ".number", value_type);
    }

    // --- date
    if (auto it = j.find("date"); it != j.end()) {
      if (!it->is_string() || it->get_ref<const std::string&>().empty() ||
          it->get_ref<const std::string&>().size() > 100) {
        err(path + ".date", "type",
            "date 必须是日期格式字符串，例如 \"YYYYMMDD\" 或 \"YYYY年M月D日\"",
            "\"date\" must be a format string, e.g. \"YYYYMMDD\" or \"YYYY/MM/DD\"");
      } else {
        r.date = parse_date_format(it->get<std::string>());
        bool any = false;
        for (const auto& t : r.date) any = any || t.kind != DateTok::Kind::kLit;
        if (!any) {
          err(path + ".date", "bad_format", "date 格式中没有 YYYY、MM、DD、M 或 D",
              "The \"date\" format has none of YYYY, MM, DD, M or D");
        }
      }
      if (value_type && *value_type != forms::FieldType::kDate) {
        err(path + ".date", "not_date", "date 只能用于日期字段（或 derive: birth_date）",
            "\"date\" only works on a date field (or derive: birth_date)");
      }
    }

    // --- join
    if (auto it = j.find("join"); it != j.end()) {
      if (!it->is_string()) {
        err(path + ".join", "type", "join 必须是分隔符字符串，例如 \"、\"",
            "\"join\" must be a separator string, e.g. \",\"");
      } else {
        r.join = it->get<std::string>();
      }
      if (value_type && *value_type != forms::FieldType::kSelectMultiple) {
        err(path + ".join", "not_list", "join 只能用于多选字段或 each",
            "\"join\" only works on a select_multiple field or with \"each\"");
      }
      if (!r.each.empty() && r.each.size() != 1) {
        err(path + ".join", "join_each_single",
            "each 与 join 一起使用时，each 只能有一条规则（可用 template 组合多个值）",
            "With \"join\", \"each\" must have exactly one rule (use a template to combine "
            "several values)");
      }
    }

    // --- as
    if (auto it = j.find("as"); it != j.end()) {
      const std::string a = it->is_string() ? it->get<std::string>() : "";
      if (a == "string") {
        r.as = As::kString;
      } else if (a == "number") {
        r.as = As::kNumber;
      } else if (a == "boolean") {
        r.as = As::kBoolean;
      } else {
        err(path + ".as", "bad_value", "as 只能是 \"string\"、\"number\" 或 \"boolean\"",
            "\"as\" must be \"string\", \"number\" or \"boolean\"");
      }
    }

    // --- when
    if (auto it = j.find("when"); it != j.end()) {
      if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
        err(path + ".when", "type",
            "when 必须是表达式字符串，例如 \"${person.has_disability} = true\"",
            "\"when\" must be an expression string, e.g. \"${person.has_disability} = true\"");
      } else {
        r.when = it->get<std::string>();
        forms::CompileOptions opts;
        opts.allow_current = false;
        const forms::Dictionary* dict = dict_;
        if (dict) {
          opts.known_ref = [dict, in_each](const std::string& k) {
            return is_local_key(k, in_each) || dict->find(k) != nullptr;
          };
        }
        auto c = forms::compile_expr(r.when, opts);
        if (!c.ok()) {
          const auto& e = *c.error;
          err(path + ".when", "bad_expression",
              "when 表达式有误（第 " + std::to_string(e.position) + " 个字符）：" + e.message.zh,
              "The \"when\" expression is invalid (at character " + std::to_string(e.position) +
                  "): " + e.message.en);
        } else {
          r.when_expr = c.expr;
          for (const auto& ref : forms::expr_refs(*c.expr)) {
            if (!is_local_key(ref, in_each)) reads_.insert(ref);
          }
        }
      }
    }

    // --- omit_empty
    if (auto it = j.find("omit_empty"); it != j.end()) {
      if (!it->is_boolean()) {
        err(path + ".omit_empty", "type", "omit_empty 必须是 true 或 false",
            "\"omit_empty\" must be true or false");
      } else {
        r.omit_empty = it->get<bool>();
      }
    }
  }

  // Rejects targets where one is a prefix of another ("a" and "a.b"), and duplicates.
  void check_prefix_conflicts(const std::vector<std::shared_ptr<const MappingRule>>& rules) {
    for (size_t i = 0; i < rules.size(); ++i) {
      for (size_t k = 0; k < rules.size(); ++k) {
        if (i == k || rules[i]->to.empty() || rules[k]->to.empty()) continue;
        const std::string& a = rules[i]->to;
        const std::string& b = rules[k]->to;
        if (b.size() > a.size() && b.compare(0, a.size(), a) == 0 && b[a.size()] == '.') {
          err(rules[k]->config_path + ".to", "path_conflict",
              "目标“" + b + "”与“" + a + "”冲突：一个字段不能既是值又是对象",
              "Target \"" + b + "\" conflicts with \"" + a +
                  "\": a field cannot be both a value and an object");
        }
      }
    }
  }

 private:
  void check_numeric_source(const MappingRule& r, const std::string& path,
                            const std::optional<forms::FieldType>& t) {
    (void)r;
    if (t && *t != forms::FieldType::kInteger && *t != forms::FieldType::kDecimal) {
      err(path, "not_number", "此规则的来源不是数字字段（integer 或 decimal）",
          "The source of this rule is not a number field (integer or decimal)");
    }
  }

  void check_codes(const MappingRule& r, const std::string& path,
                   const forms::DictionaryField* field, bool known) {
    if (!known) return;
    std::vector<std::string> choices;
    if (r.derive == Derive::kSex) {
      choices = {"1", "2"};
    } else if (field && (field->type == forms::FieldType::kSelectOne ||
                         field->type == forms::FieldType::kSelectMultiple)) {
      for (const auto& c : field->choices) choices.push_back(c.value);
    } else {
      return;  // free values (text, numbers): no list to check against
    }
    std::set<std::string> valid(choices.begin(), choices.end());
    for (const auto& [k, v] : r.codes) {
      if (!valid.count(k)) {
        err(path + ".codes", "unknown_code",
            "代码表中的“" + k + "”不是来源字段的可选代码，请检查（例如 \"1\" 与 \"01\"）",
            "\"" + k +
                "\" in the code table is not a code of the source field; check it (e.g. "
                "\"1\" vs \"01\")");
      }
    }
    if (r.codes_star) return;
    std::string missing;
    for (const auto& c : choices) {
      if (!r.codes.count(c)) missing += (missing.empty() ? "" : ", ") + c;
    }
    if (!missing.empty()) {
      err(path + ".codes", "incomplete_codes",
          "代码表缺少这些代码：" + missing + "。请补上，或用 \"*\" 给出其余代码的默认值",
          "The code table misses these codes: " + missing +
              ". Add them, or give a default for the rest with \"*\"");
    }
  }

  const forms::Dictionary* dict_;
  std::set<std::string>& reads_;
};

// ---------------------------------------------------------------------------------------
// Applying

// A rule's value while it is worked out: the source value, a constant or a code table's entry
// as it is (borrowed from the answer or the mapping, which outlive the rendering), or a value
// made here. Absent when the rule gives nothing.
class Val {
 public:
  Val() = default;
  explicit Val(Json j) : own_(std::move(j)) {}
  static Val ref(const Json& j) {
    Val v;
    v.ref_ = &j;
    return v;
  }
  explicit operator bool() const { return ref_ != nullptr || own_.has_value(); }
  const Json& operator*() const { return ref_ ? *ref_ : *own_; }
  const Json* operator->() const { return &**this; }
  const Json* borrowed() const { return ref_; }
  // The value to keep (a copy when it is borrowed). REQUIRES: present.
  Json take() && { return ref_ ? *ref_ : std::move(*own_); }

 private:
  const Json* ref_ = nullptr;
  std::optional<Json> own_;
};

class Applier {
 public:
  Applier(const Json& values, const std::string& today) : values_(values), today_(today) {
    // One expression context for every condition: `when_item_` says where local keys are read.
    when_ctx_.today = today_;
    when_ctx_.lookup = [this](const std::string& k) {
      const Json* v =
          lookup(k, when_item_ != nullptr && k.find('.') == std::string::npos, when_item_);
      return v ? forms::value_from_json(*v) : forms::Value::null();
    };
  }
  Applier(const Applier&) = delete;  // when_ctx_ refers to this one
  Applier& operator=(const Applier&) = delete;

  std::vector<FieldError> errs;

  void err(const std::string& path, const std::string& code, std::string zh, std::string en) {
    if (errs.size() >= 500) return;
    errs.push_back(FieldError{path, code, Text{std::move(zh), std::move(en)}});
  }

  // Applies `rules` to the top-level values (item == nullptr) or to one repeat item.
  Json apply(const std::vector<std::shared_ptr<const MappingRule>>& rules, const Json* item,
             const std::string& item_path) {
    Json out = Json::object();
    for (const auto& rp : rules) {
      const MappingRule& r = *rp;
      Val v = output(r, item, item_path);
      if (!v) continue;
      Json* node = &out;
      for (size_t i = 0; i + 1 < r.to_path.size(); ++i) {
        Json& next = (*node)[r.to_path[i]];
        if (!next.is_object()) next = Json::object();
        node = &next;
      }
      (*node)[r.to_path.back()] = std::move(v).take();
    }
    return out;
  }

  // The top-level document as the text json_dump(apply(rules, nullptr, "")) gives: the rules
  // are evaluated in the same order (so the same errors), then written in the order of `shape`.
  // A rule that passes its source on unchanged points at it instead of copying it.
  std::string write(const std::vector<std::shared_ptr<const MappingRule>>& rules,
                    const std::vector<OutNode>& shape, int& entries) {
    std::vector<Json> owned;
    owned.reserve(rules.size());  // never reallocated: `outs` points into it
    std::vector<const Json*> outs(rules.size(), nullptr);
    for (size_t i = 0; i < rules.size(); ++i) {
      const MappingRule& r = *rules[i];
      if (r.when_expr && !condition(r, nullptr)) continue;
      Val v = settle(r, value(r, nullptr, ""));
      if (!v) continue;
      if (const Json* b = v.borrowed()) {
        outs[i] = b;
      } else {
        owned.push_back(std::move(v).take());
        outs[i] = &owned.back();
      }
    }
    std::string text;
    text.reserve(64 * rules.size());
    entries = 0;
    write_object(shape, outs, text, entries);
    return text;
  }

 private:
  // What a rule puts under its target; absent when it leaves the target out.
  Val output(const MappingRule& r, const Json* item, const std::string& item_path) {
    if (r.when_expr && !condition(r, item)) return Val();
    return settle(r, value(r, item, item_path));
  }

  // A rule's value as it goes under the target: null for a missing one the rule keeps, nothing
  // for an empty one it omits.
  static Val settle(const MappingRule& r, Val v) {
    if (!v) {
      if (r.omit_empty) return Val();
      return Val(Json(nullptr));
    }
    if (r.omit_empty && is_empty_value(*v)) return Val();
    return v;
  }

  // An object apply() would have created: one with at least one value beneath it.
  static bool written(const OutNode& n, const std::vector<const Json*>& outs) {
    if (n.rule >= 0) return outs[static_cast<size_t>(n.rule)] != nullptr;
    return std::any_of(n.children.begin(), n.children.end(),
                       [&](const OutNode& c) { return written(c, outs); });
  }

  static void write_object(const std::vector<OutNode>& nodes, const std::vector<const Json*>& outs,
                           std::string& text, int& entries) {
    text.push_back('{');
    bool first = true;
    for (const auto& n : nodes) {
      if (!written(n, outs)) continue;
      if (!first) text.push_back(',');
      first = false;
      append_json_string(text, n.key);
      text.push_back(':');
      if (n.rule >= 0) {
        const Json& v = *outs[static_cast<size_t>(n.rule)];
        append_json(text, v);
        entries += count_entries(v);
      } else {
        write_object(n.children, outs, text, entries);
      }
    }
    text.push_back('}');
  }

  const Json* lookup(const std::string& key, bool local, const Json* item) const {
    const Json& src = (local && item) ? *item : values_;
    if (!src.is_object()) return nullptr;
    auto it = src.find(key);
    if (it == src.end() || it->is_null()) return nullptr;
    return &*it;
  }

  std::string source_path(const MappingRule& r, const std::string& item_path) const {
    if (r.source != Source::kFrom) return r.config_path;
    return r.from_local ? item_path + "." + r.from : r.from;
  }

  bool condition(const MappingRule& r, const Json* item) {
    when_item_ = item;
    auto res = forms::evaluate_condition(*r.when_expr, when_ctx_);
    if (!res.ok()) {
      err(r.config_path + ".when", "when_failed",
          "规则条件无法计算（" + r.to + "）：" + res.error().message.zh,
          "The rule condition could not be evaluated (" + r.to + "): " + res.error().message.en);
      return false;
    }
    return res.value();
  }

  // The raw source value, absent when missing.
  Val raw(const MappingRule& r, const Json* item, const std::string& item_path) {
    switch (r.source) {
      case Source::kFrom: {
        const Json* v = lookup(r.from, r.from_local, item);
        if (!v) return Val();
        return Val::ref(*v);
      }
      case Source::kConst:
        return Val::ref(r.constant);
      case Source::kTemplate: {
        std::string s;
        bool any_ref = false, any_value = false;
        for (const auto& p : r.tmpl) {
          if (!p.ref) {
            s += p.text;
            continue;
          }
          any_ref = true;
          if (const Json* v = lookup(p.text, p.local, item)) {
            any_value = true;
            s += to_text(*v);
          }
        }
        if (any_ref && !any_value) return Val();
        return Val(Json(std::move(s)));
      }
      case Source::kConcat: {
        std::string s;
        bool any = false;
        for (const auto& part : r.parts) {
          auto v = value(part, item, item_path);
          if (!v || is_empty_value(*v)) continue;
          if (any) s += r.sep;
          s += to_text(*v);
          any = true;
        }
        if (!any) return Val();
        return Val(Json(std::move(s)));
      }
    }
    return Val();
  }

  // `spath()` gives the source's path, for error messages.
  template <class PathFn>
  Val map_code(const MappingRule& r, const Json& v, const PathFn& spath, bool* ok) {
    const auto key = code_key(v);
    if (key) {
      auto it = r.codes.find(*key);
      if (it != r.codes.end()) return Val::ref(it->second);
    }
    if (r.codes_star) return Val::ref(*r.codes_star);
    const std::string shown = key ? *key : v.dump();
    err(spath(), "unmapped_code",
        "字段“" + spath() + "”的代码“" + shown + "”在连接器代码表（目标 " + r.to +
            "）中没有对应值，请在映射的 codes 中补上",
        "Code \"" + shown + "\" of field \"" + spath() +
            "\" has no entry in the code table for \"" + r.to +
            "\"; add it to the mapping's codes");
    *ok = false;
    return Val();
  }

  // The final value of a rule or part, absent when missing (or after an error).
  Val value(const MappingRule& r, const Json* item, const std::string& item_path) {
    // The source's path is only for error messages: built when the first one is written.
    std::string spath_text;
    auto spath = [&]() -> const std::string& {
      if (spath_text.empty()) spath_text = source_path(r, item_path);
      return spath_text;
    };
    Val v = raw(r, item, item_path);
    if (!v) return r.def ? Val::ref(*r.def) : Val();

    if (r.derive != Derive::kNone) {
      const std::string s = v->is_string() ? v->get<std::string>() : "";
      auto id = forms::parse_id_number(s);
      if (!id.id) {
        err(spath(), "derive_failed", "无法从“" + spath() + "”推算（不是有效的身份证号）",
            "Cannot derive a value from \"" + spath() + "\" (not a valid ID number)");
        return Val();
      }
      if (r.derive == Derive::kBirthDate) {
        v = Val(Json(id.id->birth_date));
      } else if (r.derive == Derive::kSex) {
        v = Val(Json(id.id->male ? "1" : "2"));
      } else {
        auto age = forms::age_in_years(id.id->birth_date, today_);
        if (!age) {
          err(spath(), "derive_failed", "无法计算年龄：缺少或无效的当天日期",
              "Cannot compute the age: today's date is missing or invalid");
          return Val();
        }
        v = Val(Json(*age));
      }
    }

    if (!r.each.empty()) {
      if (!v->is_array()) {
        err(spath(), "not_a_list", "“" + spath() + "”应为成员列表",
            "\"" + spath() + "\" should be a list");
        return Val();
      }
      Json arr = Json::array();
      for (size_t i = 0; i < v->size(); ++i) {
        const Json& it = (*v)[i];
        const std::string ip = spath() + "[" + std::to_string(i) + "]";
        if (!it.is_object()) {
          err(ip, "not_an_object", "“" + ip + "”应为对象", "\"" + ip + "\" should be an object");
          continue;
        }
        Json obj = apply(r.each, &it, ip);
        if (r.join) {
          // One rule per item: take its single value (nested or not).
          const Json* leaf = &obj;
          while (leaf->is_object() && leaf->size() == 1) leaf = &leaf->begin().value();
          if (leaf->is_object()) continue;  // omitted
          arr.push_back(*leaf);
        } else {
          arr.push_back(std::move(obj));
        }
      }
      v = Val(std::move(arr));
    }

    if (r.has_codes) {
      bool ok = true;
      if (v->is_array() && r.each.empty()) {
        Json arr = Json::array();
        for (const auto& e : *v) {
          Val m = map_code(r, e, spath, &ok);
          arr.push_back(m ? *m : Json());
        }
        v = Val(std::move(arr));
      } else {
        v = map_code(r, *v, spath, &ok);
      }
      if (!ok) return Val();
    }

    if (r.multiply || r.decimals) {
      auto n = to_number(*v);
      if (!n) {
        err(spath(), "not_a_number", "“" + spath() + "”的值不是数字：" + to_text(*v),
            "The value of \"" + spath() + "\" is not a number: " + to_text(*v));
        return Val();
      }
      double d = *n;
      if (r.multiply) d *= *r.multiply;
      if (r.decimals) {
        v = Val(Json(format_fixed(d, *r.decimals)));
      } else {
        v = Val(number_json(d));
      }
    }

    if (!r.date.empty()) {
      std::optional<std::string> iso;
      if (v->is_string()) iso = forms::normalize_date(v->get<std::string>());
      if (!iso) {
        err(spath(), "not_a_date", "“" + spath() + "”的值不是日期：" + to_text(*v),
            "The value of \"" + spath() + "\" is not a date: " + to_text(*v));
        return Val();
      }
      v = Val(Json(format_date(r.date, *iso)));
    }

    if (r.join && v->is_array()) {
      std::string s;
      bool first = true;
      for (const auto& e : *v) {
        if (is_empty_value(e)) continue;
        if (!first) s += *r.join;
        s += to_text(e);
        first = false;
      }
      v = Val(Json(std::move(s)));
    }

    switch (r.as) {
      case As::kNone:
        break;
      case As::kString:
        v = Val(Json(to_text(*v)));
        break;
      case As::kNumber: {
        auto n = to_number(*v);
        if (!n) {
          err(spath(), "coercion_failed", "“" + spath() + "”的值无法转换为数字：" + to_text(*v),
              "The value of \"" + spath() + "\" cannot be turned into a number: " + to_text(*v));
          return Val();
        }
        v = Val(number_json(*n));
        break;
      }
      case As::kBoolean: {
        std::optional<bool> b;
        if (v->is_boolean()) b = v->get<bool>();
        const std::string t = to_text(*v);
        if (t == "true" || t == "1") b = true;
        if (t == "false" || t == "0") b = false;
        if (!b) {
          err(spath(), "coercion_failed", "“" + spath() + "”的值无法转换为布尔值：" + t,
              "The value of \"" + spath() + "\" cannot be turned into a boolean: " + t);
          return Val();
        }
        v = Val(Json(*b));
        break;
      }
    }
    return v;
  }

  const Json& values_;
  const std::string& today_;
  forms::EvalContext when_ctx_;
  const Json* when_item_ = nullptr;  // the repeat item a condition reads from, if any
};

// Puts rule `rule` under its target path in the key tree (targets are unique and none is a
// prefix of another: the parser has checked).
void place(std::vector<OutNode>& level, const std::vector<std::string>& path, size_t at,
           size_t rule) {
  auto it = std::lower_bound(level.begin(), level.end(), path[at],
                             [](const OutNode& n, const std::string& k) { return n.key < k; });
  if (it == level.end() || it->key != path[at]) it = level.insert(it, OutNode{path[at], -1, {}});
  if (at + 1 == path.size()) {
    it->rule = static_cast<int>(rule);
  } else {
    place(it->children, path, at + 1, rule);
  }
}

// An exception while applying a mapping (a bug, or memory): an internal error, not a crash.
Error applying_failed(const std::exception& e) {
  return Error::make(ErrorKind::kInternal, "mapping_internal",
                     std::string("映射时发生内部错误：") + e.what(),
                     std::string("Internal error while mapping: ") + e.what());
}

Error mapping_error(std::vector<FieldError> details, bool config) {
  Error e = config ? Error::make(ErrorKind::kValidation, "invalid_mapping",
                                 "连接器映射配置有误，请按各项提示修改",
                                 "The connector mapping is invalid; fix each problem listed")
                   : Error::make(ErrorKind::kValidation, "mapping_failed",
                                 "无法按连接器映射生成上游数据，请按各项提示修改映射或答案",
                                 "The answer could not be mapped for the upstream; fix the "
                                 "mapping or the answer as listed");
  e.details = std::move(details);
  return e;
}

}  // namespace

Result<Mapping> parse_mapping(const Json& j, const forms::Dictionary* dict) {
  try {
    Mapping m;
    Parser p(dict, m.reads_);
    if (!j.is_object()) {
      p.err("mapping", "type", "mapping 必须是 JSON 对象：{\"fields\": [规则, ...]}",
            "\"mapping\" must be a JSON object: {\"fields\": [rule, ...]}");
      return mapping_error(std::move(p.errs), true);
    }
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() != "fields") {
        p.err("mapping." + it.key(), "unknown_key",
              "mapping 中未知的键“" + it.key() + "”，只能有 fields",
              "Unknown key \"" + it.key() + "\" in mapping; only \"fields\" is allowed");
      }
    }
    auto fields = j.find("fields");
    if (fields == j.end() || !fields->is_array() || fields->empty()) {
      p.err("mapping.fields", fields == j.end() ? "required" : "type",
            "mapping.fields 必须是非空的规则数组（没有映射的字段不会发送给上游）",
            "mapping.fields must be a non-empty array of rules (unmapped fields are never sent)");
      return mapping_error(std::move(p.errs), true);
    }
    if (fields->size() > kMaxRules) {
      p.err("mapping.fields", "too_many", "映射规则过多（最多 500 条）",
            "Too many mapping rules (at most 500)");
      return mapping_error(std::move(p.errs), true);
    }
    std::set<std::string> tos;
    for (size_t i = 0; i < fields->size(); ++i) {
      const std::string path = "mapping.fields[" + std::to_string(i) + "]";
      auto r = p.rule((*fields)[i], path, false, nullptr);
      if (!r) continue;
      if (!r->to.empty() && !tos.insert(r->to).second) {
        p.err(path + ".to", "duplicate_to", "目标字段“" + r->to + "”重复出现，请只保留一条规则",
              "Target \"" + r->to + "\" appears twice; keep one rule");
      }
      if (!r->to.empty()) m.writes_.push_back(r->to);
      m.rules_.push_back(std::make_shared<const MappingRule>(std::move(*r)));
    }
    p.check_prefix_conflicts(m.rules_);
    if (!p.errs.empty()) return mapping_error(std::move(p.errs), true);
    auto shape = std::make_shared<std::vector<OutNode>>();
    for (size_t i = 0; i < m.rules_.size(); ++i) place(*shape, m.rules_[i]->to_path, 0, i);
    m.shape_ = std::move(shape);
    return m;
  } catch (const std::exception& e) {
    return Error::make(ErrorKind::kInternal, "mapping_internal",
                       std::string("解析映射时发生内部错误：") + e.what(),
                       std::string("Internal error while parsing the mapping: ") + e.what());
  }
}

Result<Json> apply_mapping(const Mapping& m, const Json& values, const std::string& today) {
  try {
    Applier a(values, today);
    Json out = a.apply(m.rules_, nullptr, "");
    if (!a.errs.empty()) return mapping_error(std::move(a.errs), false);
    return out;
  } catch (const std::exception& e) {
    return applying_failed(e);
  }
}

Result<std::string> render_mapping(const Mapping& m, const Json& values, const std::string& today,
                                   int* entries) {
  try {
    if (!m.shape_) {  // no rules (a mapping never parsed): the empty document
      if (entries) *entries = 0;
      return std::string("{}");
    }
    Applier a(values, today);
    int n = 0;
    std::string text = a.write(m.rules_, *m.shape_, n);
    if (!a.errs.empty()) return mapping_error(std::move(a.errs), false);
    if (entries) *entries = n;
    return text;
  } catch (const std::exception& e) {
    return applying_failed(e);
  }
}

int count_entries(const Json& j) {
  if (j.is_object() || j.is_array()) {
    int n = 0;
    for (const auto& v : j) n += count_entries(v);
    return n;
  }
  if (j.is_null()) return 0;
  if (j.is_string() && j.get_ref<const std::string&>().empty()) return 0;
  return 1;
}

}  // namespace yb::connectors
