// The connector registry, the configuration shared by every type, and payload rendering.
#include "connectors/connector.h"

#include <algorithm>
#include <exception>

#include "connectors/feed/feed.h"
#include "connectors/http_form/http_form.h"
#include "connectors/http_json/http_json.h"
#include "connectors/spreadsheet/spreadsheet.h"

namespace yb::connectors {

namespace {

void add_err(std::vector<FieldError>& errs, std::string path, std::string code, std::string zh,
             std::string en) {
  if (errs.size() >= 500) return;
  errs.push_back(FieldError{std::move(path), std::move(code), Text{std::move(zh), std::move(en)}});
}

std::string join_names(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

std::string child(const std::string& base, const std::string& key) {
  return base.empty() ? key : base + "." + key;
}

}  // namespace

// ---- helpers ------------------------------------------------------------------------------

void reject_unknown_keys(const Json& j, const std::string& path,
                         const std::vector<std::string>& allowed, std::vector<FieldError>& errs) {
  if (!j.is_object()) return;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) != allowed.end()) continue;
    add_err(
        errs, child(path, it.key()), "unknown_key",
        "未知的配置项“" + it.key() + "”，请删除或改正拼写。可用的配置项：" + join_names(allowed),
        "Unknown key \"" + it.key() +
            "\"; remove it or fix the spelling. Allowed keys: " + join_names(allowed));
  }
}

Error connector_config_error(std::vector<FieldError> errs) {
  Error e = Error::make(ErrorKind::kValidation, "invalid_connector",
                        "连接器配置有误，请按各项提示修改后重新保存",
                        "The connector configuration is invalid; fix each problem listed and "
                        "save again");
  e.details = std::move(errs);
  return e;
}

bool valid_connector_id(const std::string& s) {
  if (s.empty() || s.size() > 40) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool valid_secret_name(const std::string& s) {
  if (s.empty() || s.size() > 64 || s.rfind("whsec_", 0) == 0) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

// ---- Connector ----------------------------------------------------------------------------

Result<HttpRequest> Connector::build_request(const Json& /*payload*/, const RequestContext& /*ctx*/,
                                             const SecretLookup& /*secrets*/) const {
  return Error::make(ErrorKind::kValidation, "not_a_push_connector",
                     "连接器“" + id + "”（类型 " + type + "）不主动推送，不能构造 HTTP 请求",
                     "Connector \"" + id + "\" (type " + type +
                         ") is not a push connector and builds no HTTP request");
}

// ---- registry -----------------------------------------------------------------------------

Status ConnectorRegistry::add(std::unique_ptr<ConnectorType> t) {
  if (!t) {
    return Error::make(ErrorKind::kInvalidArgument, "null_connector_type", "连接器类型为空",
                       "The connector type is null");
  }
  const std::string n = t->name();
  if (types_.count(n)) {
    return Error::make(ErrorKind::kConflict, "connector_type_exists",
                       "连接器类型“" + n + "”已注册，不能重复注册",
                       "Connector type \"" + n + "\" is already registered");
  }
  types_.emplace(n, std::move(t));
  return ok_status();
}

std::vector<std::string> ConnectorRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [n, t] : types_) out.push_back(n);
  return out;
}

Result<ConnectorPtr> ConnectorRegistry::parse(const Json& config,
                                              const forms::Dictionary* dict) const {
  std::vector<FieldError> errs;
  const std::string known = join_names(names());
  if (!config.is_object()) {
    add_err(errs, "", "type", "连接器配置必须是 JSON 对象",
            "A connector configuration must be a JSON object");
    return connector_config_error(std::move(errs));
  }
  auto it = config.find("type");
  if (it == config.end() || !it->is_string()) {
    add_err(errs, "type", it == config.end() ? "required" : "type",
            "缺少连接器类型 type，请填写以下之一：" + known,
            "The connector \"type\" is missing; use one of: " + known);
    return connector_config_error(std::move(errs));
  }
  auto t = types_.find(it->get<std::string>());
  if (t == types_.end()) {
    add_err(errs, "type", "unknown_type",
            "未知的连接器类型“" + it->get<std::string>() + "”，请使用以下之一：" + known,
            "Unknown connector type \"" + it->get<std::string>() + "\"; use one of: " + known);
    return connector_config_error(std::move(errs));
  }
  try {
    return t->second->parse(config, dict);
  } catch (const std::exception& e) {
    return Error::make(ErrorKind::kInternal, "connector_parse_internal",
                       std::string("解析连接器配置时发生内部错误：") + e.what(),
                       std::string("Internal error while parsing the connector: ") + e.what());
  }
}

void register_builtin_connectors(ConnectorRegistry& r) {
  (void)r.add(make_http_json_type());
  (void)r.add(make_http_form_type());
  (void)r.add(make_spreadsheet_type());
  (void)r.add(make_feed_type());
}

// ---- common configuration -----------------------------------------------------------------

void parse_common(const Json& j, const forms::Dictionary* dict, Connector& c,
                  std::vector<FieldError>& errs, std::vector<std::string>& allowed) {
  for (const char* k :
       {"id", "type", "name", "forms", "when", "subject_field", "mapping", "description"}) {
    allowed.push_back(k);
  }
  if (!j.is_object()) {
    add_err(errs, "", "type", "连接器配置必须是 JSON 对象",
            "A connector configuration must be a JSON object");
    return;
  }
  c.raw = j;

  // id
  if (auto it = j.find("id"); it == j.end()) {
    add_err(errs, "id", "required", "缺少连接器 id，请填写小写字母、数字或下划线（最多 40 个）",
            "The connector \"id\" is missing; use lower-case letters, digits or _ (at most 40)");
  } else if (!it->is_string() || !valid_connector_id(it->get<std::string>())) {
    add_err(errs, "id", "bad_id", "连接器 id 只能由小写字母、数字和下划线组成，长度 1–40",
            "The connector \"id\" must be 1–40 lower-case letters, digits or _");
  } else {
    c.id = it->get<std::string>();
  }

  // type
  if (auto it = j.find("type"); it != j.end() && it->is_string()) c.type = it->get<std::string>();

  // name
  if (auto it = j.find("name"); it == j.end()) {
    add_err(
        errs, "name", "required",
        "缺少名称 name，例如 {\"zh-CN\": \"民政 低保系统\", \"en\": \"Civil affairs\"}",
        "The \"name\" is missing, e.g. {\"zh-CN\": \"民政 低保系统\", \"en\": \"Civil affairs\"}");
  } else if (it->is_string()) {
    c.name.zh = it->get<std::string>();
    if (c.name.zh.empty()) {
      add_err(errs, "name", "required", "名称不能为空", "The \"name\" must not be empty");
    }
  } else if (it->is_object()) {
    reject_unknown_keys(*it, "name", {"zh-CN", "en", "ug"}, errs);
    for (auto [key, dst] : {std::pair<const char*, std::string*>{"zh-CN", &c.name.zh},
                            {"en", &c.name.en},
                            {"ug", &c.name.ug}}) {
      auto v = it->find(key);
      if (v == it->end()) continue;
      if (!v->is_string()) {
        add_err(errs, std::string("name.") + key, "type", "名称必须是字符串",
                "Names must be strings");
      } else {
        *dst = v->get<std::string>();
      }
    }
    if (c.name.zh.empty()) {
      add_err(errs, "name.zh-CN", "required", "缺少中文名称 name.zh-CN",
              "The Chinese name \"name.zh-CN\" is required");
    }
  } else {
    add_err(errs, "name", "type", "name 必须是对象 {\"zh-CN\", \"en\", \"ug\"} 或字符串",
            "\"name\" must be an object {\"zh-CN\", \"en\", \"ug\"} or a string");
  }

  // forms
  if (auto it = j.find("forms"); it != j.end()) {
    if (!it->is_array()) {
      add_err(errs, "forms", "type", "forms 必须是表单 id 的数组（空数组表示所有表单）",
              "\"forms\" must be an array of form ids (empty = every form)");
    } else {
      for (size_t i = 0; i < it->size(); ++i) {
        const Json& f = (*it)[i];
        if (!f.is_string() || f.get_ref<const std::string&>().empty()) {
          add_err(errs, "forms[" + std::to_string(i) + "]", "type", "表单 id 必须是非空字符串",
                  "A form id must be a non-empty string");
        } else {
          c.forms.push_back(f.get<std::string>());
        }
      }
    }
  }

  // when
  if (auto it = j.find("when"); it != j.end()) {
    if (!it->is_string()) {
      add_err(errs, "when", "type",
              "when 必须是表达式字符串，例如 \"${person.has_disability} = true\"",
              "\"when\" must be an expression string, e.g. \"${person.has_disability} = true\"");
    } else if (!it->get_ref<const std::string&>().empty()) {
      c.when = it->get<std::string>();
      forms::CompileOptions opts;
      opts.allow_current = false;
      if (dict) opts.known_ref = [dict](const std::string& k) { return dict->find(k) != nullptr; };
      auto compiled = forms::compile_expr(c.when, opts);
      if (!compiled.ok()) {
        const auto& e = *compiled.error;
        add_err(errs, "when", "bad_expression",
                "when 表达式有误（第 " + std::to_string(e.position) + " 个字符）：" + e.message.zh,
                "The \"when\" expression is invalid (at character " + std::to_string(e.position) +
                    "): " + e.message.en);
      } else {
        c.when_expr = compiled.expr;
      }
    }
  }

  // subject_field
  if (auto it = j.find("subject_field"); it != j.end()) {
    if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
      add_err(errs, "subject_field", "type",
              "subject_field 必须是字段键，例如 \"person.id_number\"",
              "\"subject_field\" must be a field key, e.g. \"person.id_number\"");
    } else {
      c.subject_field = it->get<std::string>();
    }
  }
  if (dict && !dict->find(c.subject_field)) {
    add_err(errs, "subject_field", "unknown_field",
            "字典中没有字段“" + c.subject_field + "”，请改为能识别上游记录的字段",
            "The dictionary has no field \"" + c.subject_field +
                "\"; use a field that identifies the upstream record");
  }

  // description
  if (auto it = j.find("description"); it != j.end() && !it->is_string()) {
    add_err(errs, "description", "type", "description 必须是字符串",
            "\"description\" must be a string");
  }

  // mapping
  if (auto it = j.find("mapping"); it == j.end()) {
    add_err(errs, "mapping", "required",
            "缺少映射 mapping：没有映射的字段不会发送，请至少映射一个字段",
            "The \"mapping\" is missing: unmapped fields are never sent, so map at least one");
  } else {
    auto m = parse_mapping(*it, dict);
    if (!m.ok()) {
      for (const auto& e : m.error().details) {
        if (errs.size() < 500) errs.push_back(e);
      }
    } else {
      c.mapping = std::move(m.value());
    }
  }
}

// ---- rendering ----------------------------------------------------------------------------

namespace {

// Whether the connector takes this answer at all: its forms, then its `when`.
Result<bool> takes(const Connector& c, const std::string& form_id, const Json& values,
                   const std::string& today) {
  if (!c.forms.empty() && std::find(c.forms.begin(), c.forms.end(), form_id) == c.forms.end()) {
    return false;
  }
  if (!c.when_expr) return true;
  forms::EvalContext ctx;
  ctx.today = today;
  ctx.lookup = [&values](const std::string& k) {
    if (!values.is_object()) return forms::Value::null();
    auto it = values.find(k);
    return it == values.end() ? forms::Value::null() : forms::value_from_json(*it);
  };
  auto r = forms::evaluate_condition(*c.when_expr, ctx);
  if (!r.ok()) {
    Error e = Error::make(ErrorKind::kValidation, "when_failed",
                          "连接器“" + c.id + "”的条件 when 无法计算：" + r.error().message.zh,
                          "The \"when\" condition of connector \"" + c.id +
                              "\" could not be evaluated: " + r.error().message.en);
    e.details.push_back(FieldError{"when", "when_failed", r.error().message});
    return e;
  }
  return r.value();
}

}  // namespace

Result<std::optional<Json>> render_payload(const Connector& c, const std::string& form_id,
                                           const Json& values, const std::string& today) {
  auto t = takes(c, form_id, values, today);
  if (!t) return t.take_error();
  if (!*t) return std::optional<Json>();
  auto m = apply_mapping(c.mapping, values, today);
  if (!m.ok()) return m.take_error();
  return std::optional<Json>(std::move(m.value()));
}

Result<std::optional<std::string>> render_payload_text(const Connector& c,
                                                       const std::string& form_id,
                                                       const Json& values, const std::string& today,
                                                       int* entries) {
  auto t = takes(c, form_id, values, today);
  if (!t) return t.take_error();
  if (!*t) return std::optional<std::string>();
  auto m = render_mapping(c.mapping, values, today, entries);
  if (!m.ok()) return m.take_error();
  return std::optional<std::string>(std::move(m.value()));
}

}  // namespace yb::connectors
