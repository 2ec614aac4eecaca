// Validation and normalisation of answers against a form (rules: docs/forms.md).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <set>

#include "forms/expr.h"
#include "forms/forms.h"
#include "forms/id_number.h"
#include "forms/messages.h"
#include "forms/normalize.h"
#include "forms/pattern.h"

namespace yb::forms {

namespace {

constexpr size_t kMaxErrors = 200;
constexpr size_t kMaxRawItems = 1000;  // select_multiple elements looked at

std::string fmt_number(double d) {
  if (d == std::floor(d) && std::fabs(d) < 9.0e15) return std::to_string(static_cast<int64_t>(d));
  Json j = d;
  return j.dump();
}

// The field's name as people read it.
Text field_name(const FormField& f) {
  return Text{f.def.label.zh, f.def.label.en.empty() ? f.def.label.zh : f.def.label.en,
              f.def.label.ug.empty() ? f.def.label.zh : f.def.label.ug};
}

// A field's name as people read it, put together only when a message needs it: building
// "第 2 位家庭成员的 姓名" for every field of every valid answer would cost more than the checks.
struct Name {
  const FormField* field;
  const FormField* repeat = nullptr;  // set for a child inside repeat item number `item`
  size_t item = 0;
  operator Text() const {  // NOLINT(google-explicit-constructor): used inside msg({...})
    if (!repeat) return field_name(*field);
    return msg("field.item",
               {field_name(*repeat), same(std::to_string(item + 1)), field_name(*field)});
  }
};

bool is_missing(const Json& v) {
  if (v.is_null()) return true;
  if (v.is_string()) return trim(v.get_ref<const std::string&>()).empty();
  if (v.is_array()) return v.empty();
  return false;
}

// Errors of one field (or one repeat item child), kept apart until relevance is known.
struct FieldErrors {
  std::vector<FieldError> list;
  void add(const std::string& path, const char* code, Text m) {
    list.push_back(FieldError{path, code, std::move(m)});
  }
};

// A scalar given as a JSON string or number, as text; nullopt for other JSON types.
std::optional<std::string> scalar_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  return std::nullopt;
}

class Validator {
 public:
  Validator(const Form& form, const ValidationOptions& opts) : form_(form), opts_(opts) {}

  Result<Json> run(const Json& values) {
    if (!values.is_object()) {
      add_error(FieldError{"", "type", msg("values_not_object")});
      return finish();
    }
    for (const auto& s : form_.sections) {
      for (const auto& f : s.fields) order_.push_back(&f);
    }
    // Pass 1: normalise every field's raw value on its own (errors kept per field, by position).
    std::vector<FieldErrors> pending(order_.size());
    size_t known = 0;  // the answer's keys that are the form's
    for (size_t i = 0; i < order_.size(); ++i) {
      const FormField* f = order_[i];
      auto it = values.find(f->key);
      if (it == values.end()) continue;
      ++known;
      if (!f->calculate.empty()) continue;  // computed below, client value ignored
      FieldErrors& fe = pending[i];
      Json norm = f->def.type == FieldType::kRepeat
                      ? normalize_repeat(*f, *it, f->key, Name{f}, fe, item_errors_[f])
                      : normalize(*f, *it, f->key, Name{f}, fe);
      if (!norm.is_null()) vals_[f->key] = std::move(norm);
    }
    // Keys the form does not have, named (only looked for when there are some).
    if (known < values.size()) {
      for (const auto& [k, v] : values.items()) {
        (void)v;
        const bool is_field = std::any_of(order_.begin(), order_.end(),
                                          [&k = k](const FormField* f) { return f->key == k; });
        if (!is_field) {
          add_error(FieldError{k, "unknown_field", msg("unknown_field", {same(k.substr(0, 100))})});
        }
      }
    }
    // Pass 2: relevance, calculation, requiredness and constraints in document order. One
    // context serves every field (its lookups read the values as they are at the time).
    EvalContext ctx = top_context();
    for (size_t i = 0; i < order_.size(); ++i) {
      const FormField* f = order_[i];
      const std::string& path = f->key;
      const Name name{f};
      if (f->relevant_expr && !relevant(*f, path, name, ctx)) {
        vals_.erase(f->key);
        continue;
      }
      for (auto& e : pending[i].list) add_error(std::move(e));
      const bool had_errors = !pending[i].list.empty();
      if (f->calculate_expr) {
        calculate(*f, path, name, ctx, vals_);
        continue;
      }
      if (f->def.type == FieldType::kRepeat) check_repeat_items(*f);
      auto it = vals_.find(f->key);
      if (it == vals_.end()) {
        if (f->constraints.required && !f->readonly && !had_errors) {
          add_error(FieldError{path, "required", msg("required", {name})});
        }
        continue;
      }
      if (f->constraint_expr && !had_errors) {
        ctx.current = value_from_json(it.value());
        check_constraint(*f, path, name, ctx);
        ctx.current = Value::null();
      }
    }
    return finish();
  }

 private:
  void add_error(FieldError e) {
    if (errors_.size() < kMaxErrors) {
      errors_.push_back(std::move(e));
    } else {
      truncated_ = true;
    }
  }

  Result<Json> finish() {
    if (errors_.empty()) return std::move(vals_);
    if (truncated_) {
      errors_.push_back(FieldError{"", "too_many_errors",
                                   msg("too_many_errors", {same(std::to_string(kMaxErrors))})});
    }
    Text t = msg("validation_failed");
    Error e = Error::make(ErrorKind::kValidation, "validation_failed", t.zh, t.en);
    e.details = std::move(errors_);
    return e;
  }

  // Looks up a top-level key, or a "repeat.child" projection (list of the child's values).
  Value lookup_top(const std::string& k) const {
    auto it = vals_.find(k);
    if (it != vals_.end()) return value_from_json(*it);
    for (const FormField* f : order_) {
      if (f->key == k) return Value::null();
    }
    for (const FormField* f : order_) {
      if (f->def.type != FieldType::kRepeat || k.size() <= f->key.size() + 1 ||
          k.compare(0, f->key.size(), f->key) != 0 || k[f->key.size()] != '.') {
        continue;
      }
      const std::string child = k.substr(f->key.size() + 1);
      Value list;
      list.kind = Value::Kind::kList;
      auto rit = vals_.find(f->key);
      if (rit != vals_.end() && rit->is_array()) {
        for (const auto& item : *rit) {
          auto cit = item.find(child);
          list.list.push_back(cit == item.end() || cit->is_array() || cit->is_object()
                                  ? Value::null()
                                  : value_from_json(*cit));
        }
      }
      return list;
    }
    return Value::null();
  }

  EvalContext top_context() const {
    EvalContext ctx;
    ctx.today = opts_.today;
    ctx.lookup = [this](const std::string& k) { return lookup_top(k); };
    return ctx;
  }

  bool relevant(const FormField& f, const std::string& path, const Name& name,
                const EvalContext& ctx) {
    auto r = evaluate_condition(*f.relevant_expr, ctx);
    if (!r.ok()) {
      add_error(
          FieldError{path, "expression_error", msg("expression_error", {name, r.error().message})});
      return true;
    }
    return r.value();
  }

  void calculate(const FormField& f, const std::string& path, const Name& name,
                 const EvalContext& ctx, Json& target) {
    target.erase(f.key);
    auto r = evaluate(*f.calculate_expr, ctx);
    if (!r.ok()) {
      add_error(
          FieldError{path, "expression_error", msg("expression_error", {name, r.error().message})});
      return;
    }
    const Json raw = value_to_json(r.value());
    if (raw.is_null()) return;
    FieldErrors fe;
    Json norm = normalize(f, raw, path, name, fe);
    if (!fe.list.empty()) {
      add_error(FieldError{path, "expression_error",
                           msg("expression_error", {name, fe.list.front().message})});
      return;
    }
    if (!norm.is_null()) target[f.key] = std::move(norm);
  }

  void check_constraint(const FormField& f, const std::string& path, const Name& name,
                        const EvalContext& ctx) {
    auto r = evaluate_condition(*f.constraint_expr, ctx);
    if (!r.ok()) {
      add_error(
          FieldError{path, "expression_error", msg("expression_error", {name, r.error().message})});
      return;
    }
    if (r.value()) return;
    Text m = msg("constraint", {name});
    if (!f.constraint_message.zh.empty()) {
      m.zh = f.constraint_message.zh;
      if (!f.constraint_message.en.empty()) m.en = f.constraint_message.en;
      if (!f.constraint_message.ug.empty()) m.ug = f.constraint_message.ug;
    }
    add_error(FieldError{path, "constraint", std::move(m)});
  }

  // Pass 2 inside each item of a repeat group.
  void check_repeat_items(const FormField& rf) {
    auto rit = vals_.find(rf.key);
    auto& item_errs = item_errors_[&rf];
    if (rit == vals_.end() || !rit->is_array()) return;
    Json& items = *rit;
    for (size_t i = 0; i < items.size(); ++i) {
      Json& item = items[i];
      if (!item.is_object()) continue;
      const std::string ipath = rf.key + "[" + std::to_string(i) + "]";
      EvalContext ctx;
      ctx.today = opts_.today;
      ctx.lookup = [this, &rf, &item](const std::string& k) {
        for (const auto& c : rf.children) {
          if (c.key == k) {
            auto it = item.find(k);
            return it == item.end() ? Value::null() : value_from_json(*it);
          }
        }
        return lookup_top(k);
      };
      for (const FormField& c : rf.children) {
        const std::string path = ipath + "." + c.key;
        const Name name{&c, &rf, i};
        if (c.relevant_expr && !relevant(c, path, name, ctx)) {
          item.erase(c.key);
          continue;
        }
        auto eit = item_errs.find(path);
        const bool had_errors = eit != item_errs.end() && !eit->second.list.empty();
        if (had_errors) {
          for (auto& e : eit->second.list) add_error(std::move(e));
        }
        if (c.calculate_expr) {
          calculate(c, path, name, ctx, item);
          continue;
        }
        auto it = item.find(c.key);
        if (it == item.end()) {
          if (c.constraints.required && !c.readonly && !had_errors) {
            add_error(FieldError{path, "required", msg("required", {name})});
          }
          continue;
        }
        if (c.constraint_expr && !had_errors) {
          EvalContext cctx = ctx;
          cctx.current = value_from_json(*it);
          check_constraint(c, path, name, cctx);
        }
      }
    }
    // Structural item errors (not an object, unknown keys) are kept under the item path.
    for (auto& [p, fe] : item_errs) {
      if (p.empty() || p.back() != ']') continue;
      for (auto& e : fe.list) add_error(std::move(e));
    }
  }

  Json normalize_repeat(const FormField& f, const Json& v, const std::string& path,
                        const Name& name, FieldErrors& fe,
                        std::map<std::string, FieldErrors>& item_errs) {
    if (is_missing(v)) return nullptr;
    if (!v.is_array()) {
      fe.add(path, "type", msg("type", {name, msg("want.repeat")}));
      return nullptr;
    }
    const size_t max_items = f.constraints.max_items.value_or(kDefaultRepeatMaxItems);
    if (v.size() > max_items) {
      fe.add(path, "max_items", msg("max_items", {name, same(std::to_string(max_items))}));
      return nullptr;
    }
    if (f.constraints.min_items && v.size() < *f.constraints.min_items) {
      fe.add(path, "min_items",
             msg("min_items", {name, same(std::to_string(*f.constraints.min_items))}));
    }
    Json out = Json::array();
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string ipath = path + "[" + std::to_string(i) + "]";
      const Json& item = v[i];
      Json norm_item = Json::object();
      if (!item.is_object()) {
        item_errs[ipath].add(
            ipath, "type",
            msg("type",
                {msg("field.item_whole", {name, same(std::to_string(i + 1))}), msg("want.item")}));
        out.push_back(nullptr);  // skipped by pass 2
        continue;
      }
      size_t known = 0;  // the item's keys that are the repeat's fields
      for (const FormField& c : f.children) {
        auto it = item.find(c.key);
        if (it == item.end()) continue;
        ++known;
        if (!c.calculate.empty()) continue;
        const std::string cpath = ipath + "." + c.key;
        const Name cname{&c, &f, i};
        FieldErrors ce;  // kept only when there are some: most values have none
        Json n = normalize(c, *it, cpath, cname, ce);
        if (!ce.list.empty()) item_errs[cpath] = std::move(ce);
        if (!n.is_null()) norm_item[c.key] = std::move(n);
      }
      if (known < item.size()) {
        for (const auto& [k, cv] : item.items()) {
          (void)cv;
          bool is_field = false;
          for (const auto& c : f.children) is_field = is_field || c.key == k;
          if (!is_field) {
            item_errs[ipath].add(ipath + "." + k, "unknown_field",
                                 msg("unknown_field", {same(k.substr(0, 100))}));
          }
        }
      }
      out.push_back(std::move(norm_item));
    }
    return out;
  }

  // Normalises one scalar (or select_multiple) value; null = missing or invalid.
  Json normalize(const FormField& f, const Json& v, const std::string& path, const Name& name,
                 FieldErrors& fe) {
    if (is_missing(v)) return nullptr;
    const Constraints& c = f.constraints;
    auto type_err = [&](const char* want) {
      fe.add(path, "type", msg("type", {name, msg(want)}));
      return Json();
    };
    switch (f.def.type) {
      case FieldType::kText: {
        std::string s;
        if (v.is_string()) {
          s = v.get<std::string>();
        } else if (v.is_number_integer() || v.is_number_unsigned()) {
          s = v.dump();
        } else {
          return type_err("want.text");
        }
        if (!utf8_valid(s)) {
          fe.add(path, "invalid_character", msg("invalid_character", {name}));
          return nullptr;
        }
        const size_t max_len = c.max_length.value_or(kDefaultTextMaxLength);
        if (s.size() > max_len * 4 + 4096) {  // clearly too long: don't even trim/copy
          fe.add(path, "max_length", msg("max_length", {name, same(std::to_string(max_len))}));
          return nullptr;
        }
        std::string t;
        t.reserve(s.size());
        for (size_t i = 0; i < s.size(); ++i) {
          if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
          t.push_back(s[i]);
        }
        t = trim(t);
        if (t.empty()) return nullptr;
        for (char ch : t) {
          const auto u = static_cast<unsigned char>(ch);
          if ((u < 0x20 && ch != '\n' && ch != '\t') || u == 0x7F) {
            fe.add(path, "invalid_character", msg("invalid_character", {name}));
            return nullptr;
          }
        }
        const size_t len = utf8_length(t);
        if (len > max_len) {
          fe.add(path, "max_length", msg("max_length", {name, same(std::to_string(max_len))}));
          return nullptr;
        }
        if (c.min_length && len < *c.min_length) {
          fe.add(path, "min_length",
                 msg("min_length", {name, same(std::to_string(*c.min_length))}));
          return nullptr;
        }
        if (f.pattern_re) {
          bool ok = false;
          if (len <= kMaxPatternInput) {
            try {
              ok = std::regex_match(t, f.pattern_re->re);
            } catch (const std::exception&) {
              ok = false;
            }
          }
          if (!ok) {
            fe.add(path, "pattern", msg("pattern", {name}));
            return nullptr;
          }
        }
        return t;
      }
      case FieldType::kInteger: {
        int64_t n = 0;
        if (v.is_number_integer()) {
          n = v.get<int64_t>();
        } else if (v.is_number_unsigned()) {
          if (v.get<uint64_t>() > 9000000000000000ULL) return type_err("want.integer");
          n = static_cast<int64_t>(v.get<uint64_t>());
        } else if (v.is_number_float()) {
          const double d = v.get<double>();
          if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9.0e15) {
            return type_err("want.integer");
          }
          n = static_cast<int64_t>(d);
        } else if (v.is_string()) {
          const std::string s = trim(fold_fullwidth(v.get<std::string>()));
          if (s.empty()) return nullptr;
          size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
          if (i >= s.size() || s.size() - i > 15) return type_err("want.integer");
          for (size_t k = i; k < s.size(); ++k) {
            if (s[k] < '0' || s[k] > '9') return type_err("want.integer");
          }
          n = std::strtoll(s.c_str(), nullptr, 10);
        } else {
          return type_err("want.integer");
        }
        if (!check_range(static_cast<double>(n), c, path, name, fe)) return nullptr;
        return n;
      }
      case FieldType::kDecimal: {
        double d = 0;
        if (v.is_number()) {
          d = v.get<double>();
          if (!std::isfinite(d)) return type_err("want.decimal");
        } else if (v.is_string()) {
          const std::string s = trim(fold_fullwidth(v.get<std::string>()));
          if (s.empty()) return nullptr;
          size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
          size_t int_digits = 0, frac_digits = 0;
          bool dot = false;
          for (size_t k = i; k < s.size(); ++k) {
            if (s[k] == '.' && !dot) {
              dot = true;
            } else if (s[k] >= '0' && s[k] <= '9') {
              ++(dot ? frac_digits : int_digits);
            } else {
              return type_err("want.decimal");
            }
          }
          if (int_digits == 0 || int_digits > 15 || (dot && frac_digits == 0) || frac_digits > 10) {
            return type_err("want.decimal");
          }
          d = std::strtod(s.c_str(), nullptr);
        } else {
          return type_err("want.decimal");
        }
        if (!check_range(d, c, path, name, fe)) return nullptr;
        return d;
      }
      case FieldType::kBoolean: {
        if (v.is_boolean()) return v.get<bool>();
        if (v.is_number_integer() || v.is_number_unsigned()) {
          const auto n = v.get<int64_t>();
          if (n == 0 || n == 1) return n == 1;
          return type_err("want.boolean");
        }
        if (v.is_string()) {
          std::string s = trim(v.get<std::string>());
          for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          if (s == "true" || s == "1" || s == "on" || s == "yes" || s == "是") return true;
          if (s == "false" || s == "0" || s == "off" || s == "no" || s == "否") return false;
        }
        return type_err("want.boolean");
      }
      case FieldType::kDate: {
        auto s = scalar_text(v);
        if (!s) return type_err("want.date");
        auto d = normalize_date(*s);
        if (!d) {
          fe.add(path, "date_format", msg("date_format", {name}));
          return nullptr;
        }
        if (c.min_date) {
          const std::string lo = *c.min_date == "today" ? opts_.today : *c.min_date;
          if (!lo.empty() && *d < lo) {
            fe.add(path, "min", msg("date.min", {name, same(lo)}));
            return nullptr;
          }
        }
        if (c.max_date) {
          const std::string hi = *c.max_date == "today" ? opts_.today : *c.max_date;
          if (!hi.empty() && *d > hi) {
            fe.add(path, "max", msg("date.max", {name, same(hi)}));
            return nullptr;
          }
        }
        return *d;
      }
      case FieldType::kSelectOne: {
        auto s = scalar_text(v);
        if (!s) return type_err("want.select_one");
        auto code = find_choice(f, trim(*s));
        if (!code) {
          fe.add(path, "not_a_choice", msg("not_a_choice", {name, same(trim(*s).substr(0, 50))}));
          return nullptr;
        }
        return *code;
      }
      case FieldType::kSelectMultiple: {
        std::vector<std::string> raw;
        if (v.is_array()) {
          if (v.size() > kMaxRawItems) {
            fe.add(path, "max_items",
                   msg("max_items", {name, same(std::to_string(f.def.choices.size()))}));
            return nullptr;
          }
          for (const auto& e : v) {
            auto s = scalar_text(e);
            if (!s) return type_err("want.select_multiple");
            raw.push_back(trim(*s));
          }
        } else if (v.is_string()) {
          const std::string& s = v.get_ref<const std::string&>();
          if (s.size() > 10000) return type_err("want.select_multiple");
          std::string cur;
          for (char ch : s + " ") {
            if (ch == ' ' || ch == ',' || ch == '\t' || ch == '\n') {
              if (!cur.empty()) raw.push_back(cur);
              cur.clear();
            } else {
              cur.push_back(ch);
            }
          }
        } else if (v.is_number_integer()) {
          raw.push_back(v.dump());
        } else {
          return type_err("want.select_multiple");
        }
        std::set<std::string> chosen;
        bool bad = false;
        for (const auto& r : raw) {
          if (r.empty()) continue;
          auto code = find_choice(f, r);
          if (!code) {
            fe.add(path, "not_a_choice", msg("not_a_choice", {name, same(r.substr(0, 50))}));
            bad = true;
          } else if (!chosen.insert(*code).second) {
            fe.add(path, "duplicate_choice", msg("duplicate_choice", {name, same(*code)}));
            bad = true;
          }
          if (fe.list.size() > 5) break;
        }
        if (bad) return nullptr;
        if (chosen.empty()) return nullptr;
        if (c.min_items && chosen.size() < *c.min_items) {
          fe.add(path, "min_items", msg("min_items", {name, same(std::to_string(*c.min_items))}));
          return nullptr;
        }
        if (c.max_items && chosen.size() > *c.max_items) {
          fe.add(path, "max_items", msg("max_items", {name, same(std::to_string(*c.max_items))}));
          return nullptr;
        }
        Json out = Json::array();
        for (const auto& ch : f.def.choices) {
          if (chosen.count(ch.value)) out.push_back(ch.value);
        }
        return out;
      }
      case FieldType::kIdNumber: {
        auto s = scalar_text(v);
        if (!s) return type_err("want.id_number");
        const IdParse p = parse_id_number(*s);
        switch (p.problem) {
          case IdProblem::kNone:
            break;
          case IdProblem::kFormat:
            fe.add(path, "id_format", msg("id_format", {name}));
            return nullptr;
          case IdProblem::kBirthDate:
            fe.add(path, "id_birth_date", msg("id_birth_date", {name}));
            return nullptr;
          case IdProblem::kCheckDigit:
            fe.add(path, "check_digit", msg("check_digit", {name}));
            return nullptr;
        }
        if (!opts_.today.empty() && p.id->birth_date > opts_.today) {
          fe.add(path, "id_birth_date", msg("id_birth_date", {name}));
          return nullptr;
        }
        return p.id->value;
      }
      case FieldType::kPhone: {
        auto s = scalar_text(v);
        if (!s) return type_err("want.phone");
        auto p = normalize_phone(*s);
        if (!p) {
          fe.add(path, "phone_format", msg("phone_format", {name}));
          return nullptr;
        }
        return *p;
      }
      case FieldType::kRepeat:
        return type_err("want.repeat");  // repeats are handled by normalize_repeat
    }
    return nullptr;
  }

  static std::optional<std::string> find_choice(const FormField& f, const std::string& s) {
    for (const auto& ch : f.def.choices) {
      if (ch.value == s) return ch.value;
    }
    for (const auto& ch : f.def.choices) {  // a zh-CN label is accepted for its code
      if (!s.empty() && ch.label.zh == s) return ch.value;
    }
    return std::nullopt;
  }

  static bool check_range(double d, const Constraints& c, const std::string& path, const Name& name,
                          FieldErrors& fe) {
    if (c.min && d < *c.min) {
      fe.add(path, "min", msg("min", {name, same(fmt_number(*c.min))}));
      return false;
    }
    if (c.max && d > *c.max) {
      fe.add(path, "max", msg("max", {name, same(fmt_number(*c.max))}));
      return false;
    }
    return true;
  }

  const Form& form_;
  const ValidationOptions& opts_;
  std::vector<const FormField*> order_;
  Json vals_ = Json::object();
  std::vector<FieldError> errors_;
  bool truncated_ = false;
  // Per repeat field: errors of items and their children, keyed by path.
  std::map<const FormField*, std::map<std::string, FieldErrors>> item_errors_;
};

}  // namespace

Result<Json> validate(const Form& form, const Json& values, const ValidationOptions& opts) {
  try {
    Validator v(form, opts);
    return v.run(values);
  } catch (const std::exception&) {
    Text t = msg("values_not_object");
    Error e = Error::make(ErrorKind::kValidation, "validation_failed", t.zh, t.en);
    e.details.push_back(FieldError{"", "type", t});
    return e;
  }
}

}  // namespace yb::forms
