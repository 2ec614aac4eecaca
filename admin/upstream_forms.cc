#include "admin/upstream_forms.h"

#include <algorithm>
#include <map>

#include "forms/forms.h"
#include "forms/normalize.h"

namespace yb::admin {
namespace {

using Json = nlohmann::json;

bool valid_id(const std::string& id) {
  return !id.empty() && id.size() <= 40 &&
         id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
}

bool valid_key(const std::string& k) {
  return !k.empty() && k.size() <= 64 &&
         k.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") ==
             std::string::npos;
}

// Label without spaces, punctuation and parenthesised remarks; lower-case ASCII.
std::string normalise_label(const std::string& s) {
  static const std::set<std::string, std::less<>> kDrop = {
      " ", "\t", "(", ")", "[", "]", ":", "：", "（", "）", "【", "】", "、", "，",
      ",", "。", ".", "·", "-", "_", "/", "*",  "＊", "　", "\"", "“",  "”",  "'"};
  std::string out;
  int depth = 0;
  for (std::string_view cp : forms::utf8_code_points(s)) {
    if (cp == "(" || cp == "（" || cp == "【" || cp == "[") {
      ++depth;
      continue;
    }
    if (cp == ")" || cp == "）" || cp == "】" || cp == "]") {
      if (depth > 0) --depth;
      continue;
    }
    if (depth > 0 || kDrop.count(cp)) continue;
    if (cp.size() == 1 && cp[0] >= 'A' && cp[0] <= 'Z') {
      out += static_cast<char>(cp[0] - 'A' + 'a');
    } else {
      out += cp;
    }
  }
  return out;
}

// Words that name the same thing on different departments' forms.
const std::vector<std::set<std::string>>& synonym_groups() {
  static const std::vector<std::set<std::string>> kGroups = {
      {"姓名", "名字", "户主姓名", "申请人姓名", "人员姓名", "xm"},
      {"公民身份号码", "身份证号", "身份证号码", "身份证", "证件号码", "身份号码", "sfzh"},
      {"性别", "xb"},
      {"民族", "mz"},
      {"出生日期", "出生年月", "出生年月日", "生日", "csrq", "csny"},
      {"年龄", "nl"},
      {"联系电话", "电话", "手机", "手机号", "手机号码", "联系方式", "电话号码", "lxdh"},
      {"户籍地址", "户籍所在地", "户口所在地", "户籍地", "户籍住址", "hjdz", "hjszd"},
      {"现住址", "居住地址", "家庭住址", "现居住地", "住址", "现居住地址", "xzz", "jzdz"},
      {"家庭人口", "家庭人口数", "户人口数", "家庭成员数", "共同生活人数"},
      {"与户主关系", "与户主的关系", "关系"},
      {"残疾证号", "残疾人证号", "残疾证号码", "残疾人证号码", "cjzh"},
      {"残疾类别", "残疾类型", "cjlb"},
      {"残疾等级", "残疾级别", "cjdj"},
      {"是否残疾", "有无残疾", "是否有残疾"},
      {"低保状态", "保障类别", "救助类别", "低保类别", "救助类型"},
      {"家庭年收入", "年收入", "家庭年人均收入"},
      {"银行账号", "银行卡号", "社保卡号", "开户账号", "发放账号", "银行帐号", "ffzh"},
      {"调查日期", "采集日期", "填报日期", "登记日期"},
  };
  return kGroups;
}

int group_of(const std::string& normalised) {
  const auto& g = synonym_groups();
  for (size_t i = 0; i < g.size(); ++i) {
    if (g[i].count(normalised)) return static_cast<int>(i);
  }
  return -1;
}

// Dice coefficient over code-point bigrams (single code points for one-character labels).
double similarity(const std::string& a, const std::string& b) {
  auto grams = [](const std::string& s) {
    auto cps = forms::utf8_code_points(s);
    std::multiset<std::string> g;
    if (cps.size() == 1) g.insert(std::string(cps[0]));
    for (size_t i = 0; i + 1 < cps.size(); ++i) g.insert(std::string(cps[i]).append(cps[i + 1]));
    return g;
  };
  auto ga = grams(a), gb = grams(b);
  if (ga.empty() || gb.empty()) return 0;
  size_t common = 0;
  for (auto it = ga.begin(); it != ga.end(); ++it) {
    auto f = gb.find(*it);
    if (f != gb.end()) {
      ++common;
      gb.erase(f);
    }
  }
  return 2.0 * static_cast<double>(common) / static_cast<double>(ga.size() + grams(b).size());
}

double label_score(const std::string& upstream_label, const std::string& upstream_key,
                   const std::string& dict_label) {
  const std::string a = normalise_label(upstream_label), b = normalise_label(dict_label);
  if (a.empty() || b.empty()) return 0;
  if (a == b) return 1.0;
  const int gb = group_of(b);
  if (gb >= 0 && (gb == group_of(a) || gb == group_of(normalise_label(upstream_key)))) return 0.9;
  return similarity(a, b);
}

Error invalid(std::vector<FieldError> details) {
  Error e = Error::make(ErrorKind::kValidation, "invalid_upstream_form",
                        "上游表单登记有误，没有保存，请按提示修改",
                        "The upstream form registration is not valid; nothing was saved");
  e.details = std::move(details);
  return e;
}

Error not_found(const std::string& id) {
  return Error::make(ErrorKind::kNotFound, "upstream_form_not_found", "找不到上游表单 " + id,
                     "No upstream form " + id);
}

Error bad_id(const std::string& id) {
  return Error::make(ErrorKind::kInvalidArgument, "bad_upstream_form_id",
                     "上游表单编号 " + id + " 无效：用 1 到 40 个小写字母、数字或下划线",
                     "Upstream form id " + id + " is not valid: 1-40 of a-z, 0-9 and _");
}

}  // namespace

Result<Json> validate_upstream_form(const Json& body, const forms::Dictionary* dict) {
  if (!body.is_object()) {
    return Error::make(ErrorKind::kInvalidArgument, "malformed_json", "上游表单登记应为 JSON 对象",
                       "An upstream form registration is a JSON object");
  }
  std::vector<FieldError> p;
  auto add = [&](const std::string& path, const std::string& code, const std::string& zh,
                 const std::string& en) {
    p.push_back({path, code, {zh, en}});
  };
  for (const auto& [k, v] : body.items()) {
    if (k != "name" && k != "system" && k != "fields" && k != "mapping" && k != "id") {
      add(k, "unknown_key", "不认识的字段 " + k + "：只能有 name、system、fields、mapping",
          "Unknown key " + k + ": only name, system, fields, mapping");
    }
  }
  auto text = [&](const char* key, size_t max) -> std::string {
    auto it = body.find(key);
    if (it == body.end() || !it->is_string() || it->get<std::string>().empty()) {
      add(key, "required", std::string("请填写 ") + key, std::string(key) + " is required");
      return "";
    }
    const std::string s = *it;
    if (!forms::utf8_valid(s) || forms::utf8_length(s) > max) {
      add(key, "too_long", std::string(key) + " 最多 " + std::to_string(max) + " 个字",
          std::string(key) + " has at most " + std::to_string(max) + " characters");
      return "";
    }
    return s;
  };
  const std::string name = text("name", 100), system = text("system", 50);
  Json fields = Json::array();
  std::set<std::string> keys;
  auto fit = body.find("fields");
  if (fit == body.end() || !fit->is_array() || fit->empty()) {
    add("fields", "required", "请列出上游表单的字段 fields（至少一个）",
        "fields lists the upstream form's fields (at least one)");
  } else if (fit->size() > kMaxUpstreamFields) {
    add("fields", "too_many", "字段最多 " + std::to_string(kMaxUpstreamFields) + " 个",
        "At most " + std::to_string(kMaxUpstreamFields) + " fields");
  } else {
    for (size_t i = 0; i < fit->size(); ++i) {
      const Json& f = (*fit)[i];
      const std::string path = "fields[" + std::to_string(i) + "]";
      if (!f.is_object() || !f.contains("key") || !f["key"].is_string() ||
          !valid_key(f["key"].get<std::string>())) {
        add(path + ".key", "bad_key", "字段 key 应为 1 到 64 个字母、数字或 _ . -",
            "A field key is 1-64 of letters, digits, _ . -");
        continue;
      }
      const std::string key = f["key"];
      for (const auto& [k, v] : f.items()) {
        if (k != "key" && k != "label") {
          add(path + "." + k, "unknown_key", "不认识的字段 " + k + "：只能有 key 和 label",
              "Unknown key " + k + ": only key and label");
        }
      }
      if (!f.contains("label") || !f["label"].is_string() ||
          f["label"].get<std::string>().empty() ||
          !forms::utf8_valid(f["label"].get<std::string>()) ||
          forms::utf8_length(f["label"].get<std::string>()) > 100) {
        add(path + ".label", "bad_label", "请填写字段 " + key + " 的名称 label（最多 100 个字）",
            "Field " + key + " needs a label (at most 100 characters)");
        continue;
      }
      if (!keys.insert(key).second) {
        add(path + ".key", "duplicate", "字段 " + key + " 重复", "Field " + key + " appears twice");
        continue;
      }
      fields.push_back({{"key", key}, {"label", f["label"]}});
    }
  }
  Json mapping = Json::object();
  if (auto mit = body.find("mapping"); mit != body.end() && !mit->is_null()) {
    if (!mit->is_object()) {
      add("mapping", "type", "mapping 应为对象：上游字段 key → 字典字段",
          "mapping is an object: upstream key -> dictionary field");
    } else {
      for (const auto& [k, v] : mit->items()) {
        const std::string path = "mapping." + k;
        if (!keys.count(k)) {
          add(path, "unknown_upstream_field", "上游表单没有字段 " + k,
              "The upstream form has no field " + k);
          continue;
        }
        if (v.is_null()) continue;  // explicitly not mapped
        if (!v.is_string()) {
          add(path, "type", "应为字典字段的 key，例如 person.name",
              "Must be a dictionary key such as person.name");
          continue;
        }
        const std::string target = v;
        if (dict && !dict->find(target)) {
          add(path, "unknown_dictionary_field",
              "字段字典里没有 " + target + "：先在字典中添加它，或留空表示“还未覆盖”",
              "The dictionary has no field " + target +
                  ": add it to the dictionary first, or leave it unmapped");
          continue;
        }
        mapping[k] = target;
      }
    }
  }
  if (!p.empty()) return invalid(std::move(p));
  return Json{{"name", name}, {"system", system}, {"fields", fields}, {"mapping", mapping}};
}

Json upstream_coverage(const Json& reg, const std::set<std::string>& dict_keys) {
  Json covered = Json::array(), missing = Json::array();
  const Json& mapping = reg["mapping"];
  for (const auto& f : reg["fields"]) {
    const std::string key = f["key"];
    auto it = mapping.find(key);
    if (it != mapping.end() && it->is_string() && dict_keys.count(it->get<std::string>())) {
      covered.push_back(key);
    } else {
      missing.push_back(key);
    }
  }
  const size_t n = reg["fields"].size();
  const double ratio = n == 0 ? 0.0 : static_cast<double>(covered.size()) / static_cast<double>(n);
  return {{"covered", covered},
          {"missing", missing},
          {"fields", n},
          {"ratio", static_cast<double>(static_cast<int64_t>(ratio * 1000 + 0.5)) / 1000}};
}

Json suggest_upstream_mapping(const Json& fields, const forms::Dictionary& dict) {
  Json mapping = Json::object(), candidates = Json::object();
  if (!fields.is_array()) return {{"mapping", mapping}, {"candidates", candidates}};
  for (const auto& f : fields) {
    if (!f.is_object() || !f.contains("key") || !f["key"].is_string() || !f.contains("label") ||
        !f["label"].is_string()) {
      continue;
    }
    const std::string key = f["key"], label = f["label"];
    std::vector<std::pair<double, const forms::DictionaryField*>> scored;
    for (const auto& [dkey, df] : dict.fields()) {
      double s = label_score(label, key, df.label.zh);
      if (s >= 0.5) scored.emplace_back(s, &df);
    }
    std::stable_sort(scored.begin(), scored.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    if (scored.size() > 5) scored.resize(5);
    Json list = Json::array();
    for (const auto& [s, df] : scored) {
      list.push_back({{"field", df->key},
                      {"label", df->label.zh},
                      {"score", static_cast<double>(static_cast<int64_t>(s * 100 + 0.5)) / 100}});
    }
    candidates[key] = list;
    if (!scored.empty() && scored[0].first >= 0.6) mapping[key] = scored[0].second->key;
  }
  return {{"mapping", mapping}, {"candidates", candidates}};
}

Status UpstreamForms::refuse(const Caller& c, const std::string& action, const std::string& target,
                             const Error& e) {
  const char* result = refusal_result(e);
  (void)audit_.record({c.user.username, to_string(c.user.role), action, target, c.remote_addr,
                       result, Json{{"code", e.code}}});
  return e;
}

Result<std::set<std::string>> UpstreamForms::dictionary_keys() {
  std::set<std::string> out;
  auto d = catalog_.dictionary();
  if (!d) {
    if (d.error().kind == ErrorKind::kNotFound) return out;
    return d.take_error();
  }
  for (const auto& [k, f] : (*d)->fields()) out.insert(k);
  return out;
}

Result<Json> UpstreamForms::load(const std::string& id) {
  return db_.with_conn([&](db::Conn& c) -> Result<Json> {
    auto q = c.prepare("SELECT definition FROM upstream_forms WHERE id = ?");
    if (!q) return q.take_error();
    q->bind(1, id);
    auto r = q->step();
    if (!r) return r.take_error();
    if (!*r) return not_found(id);
    Json j = Json::parse(q->get_text(0), nullptr, false);
    j["id"] = id;
    return j;
  });
}

Result<Json> UpstreamForms::list(const Caller& c) {
  if (auto st = ConnectorAdmin::require_admin(c.user); !st) return st.take_error();
  auto keys = dictionary_keys();
  if (!keys) return keys.take_error();
  return db_.with_conn([&](db::Conn& conn) -> Result<Json> {
    auto q = conn.prepare("SELECT id, definition FROM upstream_forms ORDER BY id");
    if (!q) return q.take_error();
    Json out = Json::array();
    for (;;) {
      auto r = q->step();
      if (!r) return r.take_error();
      if (!*r) break;
      Json j = Json::parse(q->get_text(1), nullptr, false);
      j["id"] = q->get_text(0);
      j["coverage"] = upstream_coverage(j, *keys);
      out.push_back(std::move(j));
    }
    return Json{{"upstream_forms", out}};
  });
}

Result<Json> UpstreamForms::get(const Caller& c, const std::string& id) {
  if (auto st = ConnectorAdmin::require_admin(c.user); !st) return st.take_error();
  if (!valid_id(id)) return bad_id(id);
  auto j = load(id);
  if (!j) return j.take_error();
  auto keys = dictionary_keys();
  if (!keys) return keys.take_error();
  (*j)["coverage"] = upstream_coverage(*j, *keys);
  Json unmapped = Json::array();
  for (const auto& k : (*j)["coverage"]["missing"]) {
    for (const auto& f : (*j)["fields"]) {
      if (f["key"] == k) unmapped.push_back(f);
    }
  }
  if (auto d = catalog_.dictionary(); d) {
    (*j)["suggested"] = suggest_upstream_mapping(unmapped, **d);
  } else {
    (*j)["suggested"] = {{"mapping", Json::object()}, {"candidates", Json::object()}};
  }
  return *j;
}

Result<Json> UpstreamForms::put(const Caller& c, const std::string& id, const Json& body) {
  const std::string action = "upstream_form.put";
  if (auto st = ConnectorAdmin::require_admin(c.user); !st) {
    return refuse(c, action, id, st.error()).take_error();
  }
  if (!valid_id(id)) return refuse(c, action, id, bad_id(id)).take_error();
  if (body.is_object() && body.contains("id") && body["id"] != id) {
    return refuse(c, action, id,
                  invalid({{"id",
                            "id_mismatch",
                            {"登记中的 id 应与地址中的 " + id + " 相同",
                             "The id in the body must equal " + id + " from the address"}}}))
        .take_error();
  }
  auto d = catalog_.dictionary();
  const forms::Dictionary* dict = d ? d->get() : nullptr;
  if (!d && d.error().kind != ErrorKind::kNotFound) return d.take_error();
  auto reg = validate_upstream_form(body, dict);
  if (!reg) return refuse(c, action, id, reg.error()).take_error();
  bool created = false;
  auto st = audit_.writer().run([&](db::Conn& conn) -> Status {
    auto q = conn.prepare("SELECT 1 FROM upstream_forms WHERE id = ?");
    if (!q) return q.take_error();
    q->bind(1, id);
    auto r = q->step();
    if (!r) return r.take_error();
    created = !*r;
    auto w = conn.prepare(
        created ? "INSERT INTO upstream_forms (definition, updated_at, id) VALUES (?, ?, ?)"
                : "UPDATE upstream_forms SET definition = ?, updated_at = ? WHERE id = ?");
    if (!w) return w.take_error();
    w->bind(1, reg->dump()).bind(2, audit_.clock().now_s()).bind(3, id);
    if (auto s = w->run(); !s) return s;
    return AuditLog::append(
        conn,
        {c.user.username, to_string(c.user.role), action, id, c.remote_addr, "ok",
         Json{{"fields", (*reg)["fields"].size()},
              {"mapped", (*reg)["mapping"].size()},
              {"created", created}}},
        audit_.clock().now_ms());
  });
  if (!st) return refuse(c, action, id, st.error()).take_error();
  auto out = get(c, id);
  if (out) (*out)["created"] = created;
  return out;
}

Result<Json> UpstreamForms::suggest(const Caller& c, const Json& body) {
  if (auto st = ConnectorAdmin::require_admin(c.user); !st) return st.take_error();
  // The field list is validated like a registration's (name and system are not needed here).
  Json probe{{"name", "-"}, {"system", "-"}, {"fields", body.value("fields", Json())}};
  auto reg = validate_upstream_form(probe, nullptr);
  if (!reg) return reg.take_error();
  auto d = catalog_.dictionary();
  if (!d) return d.take_error();
  return suggest_upstream_mapping((*reg)["fields"], **d);
}

Result<Json> UpstreamForms::make_connector(const Caller& c, const std::string& id,
                                           const Json& body) {
  const std::string action = "upstream_form.connector";
  if (auto st = ConnectorAdmin::require_admin(c.user); !st) {
    return refuse(c, action, id, st.error()).take_error();
  }
  if (!valid_id(id)) return refuse(c, action, id, bad_id(id)).take_error();
  if (!body.is_object()) {
    return refuse(c, action, id,
                  Error::make(ErrorKind::kInvalidArgument, "malformed_json", "请求体应为 JSON 对象",
                              "The body is a JSON object"))
        .take_error();
  }
  auto reg = load(id);
  if (!reg) return refuse(c, action, id, reg.error()).take_error();
  auto keys = dictionary_keys();
  if (!keys) return keys.take_error();
  std::vector<FieldError> p;
  for (const char* k : {"mapping", "name", "columns"}) {
    if (body.contains(k)) {
      p.push_back({k,
                   "not_allowed",
                   {std::string(k) + " 由上游表单登记生成，不能在这里指定",
                    std::string(k) + " comes from the registration and cannot be given here"}});
    }
  }
  const Json cov = upstream_coverage(*reg, *keys);
  if (cov["covered"].empty()) {
    p.push_back({"mapping",
                 "nothing_covered",
                 {"这个上游表单还没有任何字段对应到字段字典，接口无字段可发送",
                  "None of this upstream form's fields maps onto the dictionary yet; the "
                  "connector would send nothing"}});
  }
  if (!p.empty()) return refuse(c, action, id, invalid(std::move(p))).take_error();

  Json config = body;
  const std::string cid = body.value("id", id);
  config["id"] = cid;
  config["name"] = {{"zh-CN", (*reg)["name"]}};
  if (!config.contains("description")) {
    config["description"] =
        "由上游表单登记 " + id + " 生成（" + (*reg)["system"].get<std::string>() + "）";
  }
  if (!config.contains("forms")) {
    auto pub = catalog_.published_forms();
    if (!pub) return pub.take_error();
    Json ids = Json::array();
    for (const auto& f : *pub) ids.push_back(f->id);
    config["forms"] = ids;
  }
  Json mfields = Json::array();
  for (const auto& k : cov["covered"]) {
    mfields.push_back({{"to", k}, {"from", (*reg)["mapping"][k.get<std::string>()]}});
  }
  config["mapping"] = {{"fields", mfields}};
  if (auto st = hosts_.check_config(config); !st) {
    return refuse(c, action, id, st.error()).take_error();
  }
  auto saved = connectors_.put(cid, config);
  if (!saved) return refuse(c, action, id, saved.error()).take_error();
  (void)audit_.record({c.user.username, to_string(c.user.role), action, id, c.remote_addr, "ok",
                       Json{{"connector", cid}, {"fields", cov["covered"].size()}}});
  return Json{{"connector", *saved}, {"sent", cov["covered"]}, {"not_sent", cov["missing"]}};
}

}  // namespace yb::admin
