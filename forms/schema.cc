// Parsing and serialising the field dictionary and forms (JSON formats: docs/forms.md).
#include <cmath>
#include <set>

#include "forms/expr.h"
#include "forms/forms.h"
#include "forms/messages.h"
#include "forms/normalize.h"
#include "forms/pattern.h"

namespace yb::forms {

namespace {

constexpr const char* kTypeNames[] = {"text",  "integer",    "decimal",         "boolean",
                                      "date",  "select_one", "select_multiple", "id_number",
                                      "phone", "repeat"};

}  // namespace

const char* to_string(FieldType t) { return kTypeNames[static_cast<int>(t)]; }

std::optional<FieldType> field_type_from_string(const std::string& s) {
  for (int i = 0; i < 10; ++i) {
    if (s == kTypeNames[i]) return static_cast<FieldType>(i);
  }
  return std::nullopt;
}

const char* to_string(Sensitivity s) {
  switch (s) {
    case Sensitivity::kPublic:
      return "public";
    case Sensitivity::kPersonal:
      return "personal";
    case Sensitivity::kSensitive:
      return "sensitive";
  }
  return "personal";
}

const char* to_string(FormStatus s) {
  switch (s) {
    case FormStatus::kDraft:
      return "draft";
    case FormStatus::kPublished:
      return "published";
    case FormStatus::kClosed:
      return "closed";
  }
  return "draft";
}

const DictionaryField* Dictionary::find(const std::string& key) const {
  auto it = fields_.find(key);
  return it == fields_.end() ? nullptr : &it->second;
}

namespace {

// Collects configuration errors with their JSON paths.
class Errs {
 public:
  void add(const std::string& path, const std::string& code, Text m) {
    if (list_.size() >= 500) return;
    list_.push_back(FieldError{path, code, std::move(m)});
  }
  bool empty() const { return list_.empty(); }
  size_t size() const { return list_.size(); }
  Error to_error() {
    Text t = msg("schema.invalid");
    Error e = Error::make(ErrorKind::kValidation, "invalid_configuration", t.zh, t.en);
    e.details = std::move(list_);
    return e;
  }

 private:
  std::vector<FieldError> list_;
};

std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}
std::string at(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

bool check_object(const Json& j, const std::string& path,
                  std::initializer_list<const char*> allowed, Errs& errs) {
  if (!j.is_object()) {
    errs.add(path, "type", msg("schema.not_object"));
    return false;
  }
  for (const auto& [k, v] : j.items()) {
    (void)v;
    bool ok = false;
    for (const char* a : allowed) ok = ok || k == a;
    if (!ok) errs.add(join(path, k), "unknown_key", msg("schema.unknown_key", {same(k)}));
  }
  return true;
}

std::optional<std::string> get_string(const Json& o, const char* key, const std::string& path,
                                      Errs& errs, bool required) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) {
    if (required) errs.add(join(path, key), "required", msg("schema.missing", {same(key)}));
    return std::nullopt;
  }
  if (!it->is_string()) {
    errs.add(join(path, key), "type", msg("schema.type", {msg("want.text")}));
    return std::nullopt;
  }
  return it->get<std::string>();
}

std::optional<bool> get_bool(const Json& o, const char* key, const std::string& path, Errs& errs) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) {
    errs.add(join(path, key), "type", msg("schema.type", {msg("want.boolean")}));
    return std::nullopt;
  }
  return it->get<bool>();
}

std::optional<double> get_number(const Json& o, const char* key, const std::string& path,
                                 Errs& errs) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::nullopt;
  if (!it->is_number() || !std::isfinite(it->get<double>())) {
    errs.add(join(path, key), "type", msg("schema.type", {msg("want.decimal")}));
    return std::nullopt;
  }
  return it->get<double>();
}

std::optional<size_t> get_count(const Json& o, const char* key, const std::string& path, Errs& errs,
                                size_t limit) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer() || it->get<int64_t>() < 0) {
    errs.add(join(path, key), "type", msg("schema.type", {msg("want.integer")}));
    return std::nullopt;
  }
  if (it->get<int64_t>() > static_cast<int64_t>(limit)) {
    errs.add(join(path, key), "too_large", msg("schema.too_large"));
    return std::nullopt;
  }
  return static_cast<size_t>(it->get<int64_t>());
}

bool valid_key(const std::string& k) {
  if (k.empty() || k.size() > 100) return false;
  bool seg_start = true;
  for (char c : k) {
    if (c == '.') {
      if (seg_start) return false;
      seg_start = true;
      continue;
    }
    const bool lower = c >= 'a' && c <= 'z';
    const bool other = (c >= '0' && c <= '9') || c == '_';
    if (seg_start && !lower) return false;
    if (!lower && !other) return false;
    seg_start = false;
  }
  return !seg_start;
}

Labels parse_labels(const Json& j, const std::string& path, Errs& errs, bool zh_required) {
  Labels l;
  if (j.is_string()) {
    l.zh = j.get<std::string>();
  } else if (check_object(j, path, {"zh-CN", "en", "ug"}, errs)) {
    l.zh = get_string(j, "zh-CN", path, errs, false).value_or("");
    l.en = get_string(j, "en", path, errs, false).value_or("");
    l.ug = get_string(j, "ug", path, errs, false).value_or("");
  } else {
    return l;  // already reported
  }
  if (zh_required && l.zh.empty())
    errs.add(join(path, "zh-CN"), "required", msg("schema.label_zh"));
  return l;
}

Json labels_json(const Labels& l) { return Json{{"zh-CN", l.zh}, {"en", l.en}, {"ug", l.ug}}; }

Json number_json(double d) {
  if (d == std::floor(d) && std::fabs(d) < 9.0e15) return static_cast<int64_t>(d);
  return d;
}

bool valid_date_bound(const std::string& s) {
  return s == "today" || normalize_date(s).has_value();
}

// Parses a "constraints" object into `c` (only keys present are changed).
void parse_constraints(const Json& j, const std::string& path, Errs& errs, Constraints& c) {
  if (!check_object(j, path,
                    {"min", "max", "min_length", "max_length", "pattern", "min_items", "max_items",
                     "min_date", "max_date"},
                    errs)) {
    return;
  }
  if (auto v = get_number(j, "min", path, errs)) c.min = v;
  if (auto v = get_number(j, "max", path, errs)) c.max = v;
  if (auto v = get_count(j, "min_length", path, errs, 100000)) c.min_length = v;
  if (auto v = get_count(j, "max_length", path, errs, 100000)) c.max_length = v;
  if (auto v = get_count(j, "min_items", path, errs, 1000)) c.min_items = v;
  if (auto v = get_count(j, "max_items", path, errs, 1000)) c.max_items = v;
  if (auto v = get_string(j, "pattern", path, errs, false)) c.pattern = v;
  for (const char* k : {"min_date", "max_date"}) {
    if (auto v = get_string(j, k, path, errs, false)) {
      if (!valid_date_bound(*v)) {
        errs.add(join(path, k), "date_format", msg("schema.bad_date", {same(*v)}));
      } else {
        (k[1] == 'i' ? c.min_date : c.max_date) = *v == "today" ? *v : *normalize_date(*v);
      }
    }
  }
}

// Checks that the constraints fit the type and are consistent; fills defaults.
void check_constraints(FieldType t, Constraints& c, const std::string& path, Errs& errs) {
  const bool numeric = t == FieldType::kInteger || t == FieldType::kDecimal;
  const bool text = t == FieldType::kText;
  const bool items = t == FieldType::kRepeat || t == FieldType::kSelectMultiple;
  const bool date = t == FieldType::kDate;
  auto not_for = [&](bool present, const char* key) {
    if (present) {
      errs.add(join(path, key), "not_for_type",
               msg("schema.not_for_type", {same(key), same(to_string(t))}));
    }
  };
  if (!numeric) {
    not_for(c.min.has_value(), "min");
    not_for(c.max.has_value(), "max");
  }
  if (!text) {
    not_for(c.min_length.has_value(), "min_length");
    not_for(c.max_length.has_value(), "max_length");
    not_for(c.pattern.has_value(), "pattern");
  }
  if (!items) {
    not_for(c.min_items.has_value(), "min_items");
    not_for(c.max_items.has_value(), "max_items");
  }
  if (!date) {
    not_for(c.min_date.has_value(), "min_date");
    not_for(c.max_date.has_value(), "max_date");
  }
  if (c.min && c.max && *c.min > *c.max)
    errs.add(join(path, "min"), "min_gt_max", msg("schema.min_gt_max"));
  if (c.min_length && c.max_length && *c.min_length > *c.max_length) {
    errs.add(join(path, "min_length"), "min_gt_max", msg("schema.min_gt_max"));
  }
  if (c.min_items && c.max_items && *c.min_items > *c.max_items) {
    errs.add(join(path, "min_items"), "min_gt_max", msg("schema.min_gt_max"));
  }
  if (text && !c.max_length) c.max_length = kDefaultTextMaxLength;
  if (t == FieldType::kRepeat && !c.max_items) c.max_items = kDefaultRepeatMaxItems;
}

std::shared_ptr<const CompiledPattern> compile_pattern(const std::string& p,
                                                       const std::string& path, Errs& errs) {
  if (p.size() > 500) {
    errs.add(path, "too_large", msg("schema.too_large"));
    return nullptr;
  }
  try {
    auto cp = std::make_shared<CompiledPattern>();
    cp->re = std::regex(p, std::regex::ECMAScript);
    return cp;
  } catch (const std::exception&) {
    errs.add(path, "pattern", msg("schema.bad_pattern"));
    return nullptr;
  }
}

std::optional<DictionaryField> parse_dict_field(const Json& j, const std::string& path,
                                                Errs& errs) {
  const size_t before = errs.size();
  if (!check_object(j, path,
                    {"key", "type", "label", "hint", "choices", "constraints", "required",
                     "sensitivity", "subject", "fresh_days"},
                    errs)) {
    return std::nullopt;
  }
  DictionaryField f;
  f.key = get_string(j, "key", path, errs, true).value_or("");
  if (!f.key.empty() && !valid_key(f.key)) {
    errs.add(join(path, "key"), "bad_key", msg("schema.bad_key", {same(f.key)}));
  }
  if (auto t = get_string(j, "type", path, errs, true)) {
    if (auto ft = field_type_from_string(*t)) {
      f.type = *ft;
    } else {
      errs.add(join(path, "type"), "bad_type", msg("schema.bad_type", {same(*t)}));
    }
  }
  if (j.contains("label")) {
    f.label = parse_labels(j["label"], join(path, "label"), errs, true);
  } else {
    errs.add(join(path, "label"), "required", msg("schema.missing", {same("label")}));
  }
  if (j.contains("hint")) f.hint = parse_labels(j["hint"], join(path, "hint"), errs, false);
  if (j.contains("constraints")) {
    parse_constraints(j["constraints"], join(path, "constraints"), errs, f.constraints);
  }
  if (auto r = get_bool(j, "required", path, errs)) f.constraints.required = *r;
  if (auto s = get_string(j, "sensitivity", path, errs, false)) {
    if (*s == "public") {
      f.sensitivity = Sensitivity::kPublic;
    } else if (*s == "personal") {
      f.sensitivity = Sensitivity::kPersonal;
    } else if (*s == "sensitive") {
      f.sensitivity = Sensitivity::kSensitive;
    } else {
      errs.add(join(path, "sensitivity"), "bad_value",
               msg("schema.bad_enum", {same(*s), same("public, personal, sensitive")}));
    }
  }
  if (auto s = get_string(j, "subject", path, errs, false)) {
    if (*s != "person" && *s != "household" && *s != "event") {
      errs.add(join(path, "subject"), "bad_value",
               msg("schema.bad_enum", {same(*s), same("person, household, event")}));
    }
    f.subject = *s;
  }
  if (auto d = get_count(j, "fresh_days", path, errs, 36500)) f.fresh_days = static_cast<int>(*d);
  const bool select = f.type == FieldType::kSelectOne || f.type == FieldType::kSelectMultiple;
  if (j.contains("choices")) {
    const Json& cj = j["choices"];
    const std::string cpath = join(path, "choices");
    if (!select) {
      errs.add(cpath, "not_for_type",
               msg("schema.not_for_type", {same("choices"), same(to_string(f.type))}));
    } else if (!cj.is_array()) {
      errs.add(cpath, "type", msg("schema.type", {same("array")}));
    } else {
      std::set<std::string> seen;
      for (size_t i = 0; i < cj.size(); ++i) {
        const std::string p = at(cpath, i);
        if (!check_object(cj[i], p, {"value", "label"}, errs)) continue;
        Choice c;
        const Json& v = cj[i].contains("value") ? cj[i]["value"] : Json();
        if (v.is_number_integer()) {
          c.value = v.dump();
        } else if (v.is_string() && !v.get<std::string>().empty()) {
          c.value = v.get<std::string>();
        } else {
          errs.add(join(p, "value"), "required", msg("schema.missing", {same("value")}));
          continue;
        }
        if (c.value.find_first_of(" ,\t\n") != std::string::npos || c.value.size() > 64) {
          errs.add(join(p, "value"), "bad_key", msg("schema.bad_key", {same(c.value)}));
        }
        if (!seen.insert(c.value).second) {
          errs.add(join(p, "value"), "duplicate", msg("schema.duplicate", {same(c.value)}));
        }
        if (cj[i].contains("label")) {
          c.label = parse_labels(cj[i]["label"], join(p, "label"), errs, true);
        } else {
          errs.add(join(p, "label"), "required", msg("schema.missing", {same("label")}));
        }
        f.choices.push_back(std::move(c));
      }
    }
  }
  if (select && f.choices.empty())
    errs.add(join(path, "choices"), "required", msg("schema.need_choices"));
  check_constraints(f.type, f.constraints, join(path, "constraints"), errs);
  if (f.constraints.pattern)
    compile_pattern(*f.constraints.pattern, join(path, "constraints.pattern"), errs);
  if (errs.size() != before) return std::nullopt;
  return f;
}

Json constraints_json(const Constraints& c) {
  Json j = Json::object();
  if (c.min) j["min"] = number_json(*c.min);
  if (c.max) j["max"] = number_json(*c.max);
  if (c.min_length) j["min_length"] = *c.min_length;
  if (c.max_length) j["max_length"] = *c.max_length;
  if (c.pattern) j["pattern"] = *c.pattern;
  if (c.min_items) j["min_items"] = *c.min_items;
  if (c.max_items) j["max_items"] = *c.max_items;
  if (c.min_date) j["min_date"] = *c.min_date;
  if (c.max_date) j["max_date"] = *c.max_date;
  return j;
}

Json choices_json(const std::vector<Choice>& cs) {
  Json a = Json::array();
  for (const auto& c : cs) a.push_back(Json{{"value", c.value}, {"label", labels_json(c.label)}});
  return a;
}

}  // namespace

Json Dictionary::to_json() const {
  Json fields = Json::array();
  for (const auto& [k, f] : fields_) {
    Json j;
    j["key"] = f.key;
    j["type"] = to_string(f.type);
    j["label"] = labels_json(f.label);
    j["hint"] = labels_json(f.hint);
    if (!f.choices.empty()) j["choices"] = choices_json(f.choices);
    Constraints c = f.constraints;
    j["constraints"] = constraints_json(c);
    j["required"] = c.required;
    j["sensitivity"] = to_string(f.sensitivity);
    j["subject"] = f.subject;
    j["fresh_days"] = f.fresh_days;
    fields.push_back(std::move(j));
  }
  return Json{{"fields", std::move(fields)}};
}

Result<Dictionary> parse_dictionary(const Json& j) {
  try {
    Errs errs;
    Dictionary d;
    if (check_object(j, "", {"fields"}, errs)) {
      auto it = j.find("fields");
      if (it == j.end() || !it->is_array()) {
        errs.add("fields", "type", msg("schema.type", {same("array")}));
      } else {
        for (size_t i = 0; i < it->size(); ++i) {
          const std::string path = at("fields", i);
          auto f = parse_dict_field((*it)[i], path, errs);
          if (!f) continue;
          if (d.fields_.count(f->key)) {
            errs.add(join(path, "key"), "duplicate", msg("schema.duplicate", {same(f->key)}));
            continue;
          }
          std::string key = f->key;
          d.fields_.emplace(std::move(key), std::move(*f));
        }
      }
    }
    if (!errs.empty()) return errs.to_error();
    return d;
  } catch (const std::exception& e) {
    return Error::make(ErrorKind::kInternal, "internal", "读取字段字典时出错", e.what());
  }
}

// ---------------- forms ----------------

namespace {

struct PendingExprs {
  FormField* field;
  FormField* parent;  // repeat group holding this child, or null
  std::string path;
};

void parse_form_field(const Json& j, const std::string& path, const Dictionary& dict,
                      bool in_repeat, Errs& errs, std::vector<FormField>& out) {
  if (!check_object(j, path,
                    {"key", "field", "label", "hint", "required", "constraints", "relevant",
                     "constraint", "constraint_message", "calculate", "readonly", "fields"},
                    errs)) {
    return;
  }
  const size_t before = errs.size();
  FormField f;
  auto fkey = get_string(j, "field", path, errs, false);
  auto key = get_string(j, "key", path, errs, false);
  if (!fkey && !key) {
    errs.add(join(path, "field"), "required", msg("schema.missing", {same("field")}));
    return;
  }
  f.field = fkey ? *fkey : *key;
  f.key = key ? *key : *fkey;
  if (!valid_key(f.key))
    errs.add(join(path, "key"), "bad_key", msg("schema.bad_key", {same(f.key)}));
  const DictionaryField* def = dict.find(f.field);
  if (!def) {
    errs.add(join(path, fkey ? "field" : "key"), "unknown_field",
             msg("schema.unknown_field", {same(f.field)}));
    return;
  }
  f.def = *def;
  if (j.contains("label")) f.def.label = parse_labels(j["label"], join(path, "label"), errs, true);
  if (j.contains("hint")) f.def.hint = parse_labels(j["hint"], join(path, "hint"), errs, false);
  f.constraints = def->constraints;
  if (j.contains("constraints")) {
    parse_constraints(j["constraints"], join(path, "constraints"), errs, f.constraints);
  }
  if (auto r = get_bool(j, "required", path, errs)) f.constraints.required = *r;
  if (auto r = get_bool(j, "readonly", path, errs)) f.readonly = *r;
  f.relevant = get_string(j, "relevant", path, errs, false).value_or("");
  f.constraint = get_string(j, "constraint", path, errs, false).value_or("");
  f.calculate = get_string(j, "calculate", path, errs, false).value_or("");
  if (j.contains("constraint_message")) {
    f.constraint_message =
        parse_labels(j["constraint_message"], join(path, "constraint_message"), errs, false);
  }
  check_constraints(f.def.type, f.constraints, join(path, "constraints"), errs);
  if (f.constraints.pattern) {
    f.pattern_re = compile_pattern(*f.constraints.pattern, join(path, "constraints.pattern"), errs);
  }
  const bool repeat = f.def.type == FieldType::kRepeat;
  if (repeat && !f.calculate.empty()) {
    errs.add(join(path, "calculate"), "not_for_type",
             msg("schema.not_for_type", {same("calculate"), same("repeat")}));
  }
  if (j.contains("fields")) {
    const std::string cpath = join(path, "fields");
    if (!repeat) {
      errs.add(cpath, "not_for_type",
               msg("schema.not_for_type", {same("fields"), same(to_string(f.def.type))}));
    } else if (in_repeat) {
      errs.add(cpath, "nested_repeat", msg("schema.nested_repeat"));
    } else if (!j["fields"].is_array()) {
      errs.add(cpath, "type", msg("schema.type", {same("array")}));
    } else {
      const Json& cj = j["fields"];
      std::set<std::string> seen;
      for (size_t i = 0; i < cj.size(); ++i) {
        const size_t n = f.children.size();
        parse_form_field(cj[i], at(cpath, i), dict, true, errs, f.children);
        if (f.children.size() > n && !seen.insert(f.children.back().key).second) {
          errs.add(join(at(cpath, i), "key"), "duplicate",
                   msg("schema.duplicate", {same(f.children.back().key)}));
        }
      }
    }
  }
  if (repeat && f.children.empty() && errs.size() == before) {
    errs.add(join(path, "fields"), "required", msg("schema.need_children"));
  }
  out.push_back(std::move(f));
}

void compile_field_exprs(FormField& f, FormField* parent, const std::string& path,
                         const std::map<std::string, const FormField*>& top, Errs& errs) {
  CompileOptions opts;
  opts.known_ref = [&](const std::string& k) {
    if (parent) {
      for (const auto& c : parent->children) {
        if (c.key == k) return true;
      }
    }
    if (top.count(k)) return true;
    // "repeat.child" projection
    for (size_t dot = k.find('.'); dot != std::string::npos; dot = k.find('.', dot + 1)) {
      auto it = top.find(k.substr(0, dot));
      if (it == top.end() || it->second->def.type != FieldType::kRepeat) continue;
      for (const auto& c : it->second->children) {
        if (c.key == k.substr(dot + 1)) return true;
      }
    }
    return false;
  };
  auto one = [&](const std::string& src, const char* what, bool allow_current,
                 std::shared_ptr<const Expr>& dst) {
    if (src.empty()) return;
    opts.allow_current = allow_current;
    Compiled c = compile_expr(src, opts);
    if (!c.ok()) {
      errs.add(join(path, what), c.error->code, msg("schema.expr", {c.error->message}));
      return;
    }
    dst = c.expr;
  };
  one(f.relevant, "relevant", false, f.relevant_expr);
  one(f.constraint, "constraint", true, f.constraint_expr);
  one(f.calculate, "calculate", false, f.calculate_expr);
}

}  // namespace

Result<Form> parse_form(const Json& j, const Dictionary& dict) {
  try {
    Errs errs;
    Form form;
    if (!check_object(j, "", {"id", "version", "status", "title", "description", "sections"},
                      errs)) {
      return errs.to_error();
    }
    form.id = get_string(j, "id", "", errs, true).value_or("");
    if (!form.id.empty() && !valid_key(form.id)) {
      errs.add("id", "bad_key", msg("schema.bad_key", {same(form.id)}));
    }
    if (j.contains("version")) {
      if (!j["version"].is_number_integer() || j["version"].get<int64_t>() < 1 ||
          j["version"].get<int64_t>() > 1000000) {
        errs.add("version", "type", msg("schema.type", {msg("want.integer")}));
      } else {
        form.version = static_cast<int>(j["version"].get<int64_t>());
      }
    }
    if (auto s = get_string(j, "status", "", errs, false)) {
      if (*s == "draft") {
        form.status = FormStatus::kDraft;
      } else if (*s == "published") {
        form.status = FormStatus::kPublished;
      } else if (*s == "closed") {
        form.status = FormStatus::kClosed;
      } else {
        errs.add("status", "bad_value",
                 msg("schema.bad_enum", {same(*s), same("draft, published, closed")}));
      }
    }
    if (j.contains("title")) {
      form.title = parse_labels(j["title"], "title", errs, true);
    } else {
      errs.add("title", "required", msg("schema.missing", {same("title")}));
    }
    if (j.contains("description"))
      form.description = parse_labels(j["description"], "description", errs, false);
    auto sit = j.find("sections");
    std::vector<std::vector<std::string>> paths;  // per section, per field: JSON path
    if (sit == j.end() || !sit->is_array()) {
      errs.add("sections", "type", msg("schema.type", {same("array")}));
    } else {
      std::set<std::string> section_ids, keys;
      for (size_t s = 0; s < sit->size(); ++s) {
        const std::string spath = at("sections", s);
        const Json& sj = (*sit)[s];
        Section sec;
        paths.emplace_back();
        if (!check_object(sj, spath, {"id", "title", "fields"}, errs)) {
          form.sections.push_back(std::move(sec));
          continue;
        }
        sec.id = get_string(sj, "id", spath, errs, true).value_or("");
        if (!sec.id.empty() && !section_ids.insert(sec.id).second) {
          errs.add(join(spath, "id"), "duplicate", msg("schema.duplicate", {same(sec.id)}));
        }
        if (sj.contains("title"))
          sec.title = parse_labels(sj["title"], join(spath, "title"), errs, true);
        auto fit = sj.find("fields");
        if (fit == sj.end() || !fit->is_array()) {
          errs.add(join(spath, "fields"), "type", msg("schema.type", {same("array")}));
        } else {
          for (size_t i = 0; i < fit->size(); ++i) {
            const std::string fpath = at(join(spath, "fields"), i);
            const size_t n = sec.fields.size();
            parse_form_field((*fit)[i], fpath, dict, false, errs, sec.fields);
            if (sec.fields.size() > n) {
              paths.back().push_back(fpath);
              if (!keys.insert(sec.fields.back().key).second) {
                errs.add(join(fpath, "key"), "duplicate",
                         msg("schema.duplicate", {same(sec.fields.back().key)}));
              }
            }
          }
        }
        form.sections.push_back(std::move(sec));
      }
    }
    // Expressions: every key is known now.
    std::map<std::string, const FormField*> top;
    for (const auto& sec : form.sections) {
      for (const auto& f : sec.fields) top.emplace(f.key, &f);
    }
    for (size_t s = 0; s < form.sections.size(); ++s) {
      for (size_t i = 0; i < form.sections[s].fields.size(); ++i) {
        FormField& f = form.sections[s].fields[i];
        const std::string& fpath = paths[s][i];
        compile_field_exprs(f, nullptr, fpath, top, errs);
        for (size_t c = 0; c < f.children.size(); ++c) {
          // Child paths: children that failed to parse are skipped, so recompute by key.
          compile_field_exprs(f.children[c], &f, at(join(fpath, "fields"), c), top, errs);
        }
      }
    }
    if (!errs.empty()) return errs.to_error();
    return form;
  } catch (const std::exception& e) {
    return Error::make(ErrorKind::kInternal, "internal", "读取表单定义时出错", e.what());
  }
}

namespace {

Json field_json(const FormField& f) {
  Json j;
  j["key"] = f.key;
  j["field"] = f.field;
  j["type"] = to_string(f.def.type);
  j["label"] = labels_json(f.def.label);
  j["hint"] = labels_json(f.def.hint);
  j["required"] = f.constraints.required;
  j["constraints"] = constraints_json(f.constraints);
  if (!f.def.choices.empty()) j["choices"] = choices_json(f.def.choices);
  if (!f.relevant.empty()) j["relevant"] = f.relevant;
  if (!f.constraint.empty()) j["constraint"] = f.constraint;
  if (!f.constraint_message.zh.empty() || !f.constraint_message.en.empty()) {
    j["constraint_message"] = labels_json(f.constraint_message);
  }
  if (!f.calculate.empty()) j["calculate"] = f.calculate;
  j["readonly"] = f.readonly || !f.calculate.empty();
  j["sensitivity"] = to_string(f.def.sensitivity);
  j["subject"] = f.def.subject;
  if (f.def.fresh_days > 0) j["fresh_days"] = f.def.fresh_days;
  if (f.def.type == FieldType::kRepeat) {
    Json children = Json::array();
    for (const auto& c : f.children) children.push_back(field_json(c));
    j["fields"] = std::move(children);
  }
  return j;
}

}  // namespace

Json Form::to_json() const {
  Json j;
  j["id"] = id;
  j["version"] = version;
  j["status"] = forms::to_string(status);
  j["title"] = labels_json(title);
  if (!description.zh.empty()) j["description"] = labels_json(description);
  Json secs = Json::array();
  for (const auto& s : sections) {
    Json fields = Json::array();
    for (const auto& f : s.fields) fields.push_back(field_json(f));
    secs.push_back(
        Json{{"id", s.id}, {"title", labels_json(s.title)}, {"fields", std::move(fields)}});
  }
  j["sections"] = std::move(secs);
  return j;
}

}  // namespace yb::forms
