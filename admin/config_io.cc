#include "admin/config_io.h"

#include <map>
#include <set>

#include "admin/upstream_forms.h"
#include "forms/forms.h"

namespace yb::admin {
namespace {

using Json = nlohmann::json;
constexpr const char* kFormat = "yibiao-config/1";

void collect_secret_names(const Json& j, std::set<std::string>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      if ((k == "secret" || k == "signing_secret") && v.is_string()) {
        out.insert(v.get<std::string>());
      } else {
        collect_secret_names(v, out);
      }
    }
  } else if (j.is_array()) {
    for (const auto& v : j) collect_secret_names(v, out);
  }
}

Json parse_stored(const std::string& text) { return Json::parse(text, nullptr, false); }

struct Problems {
  std::vector<FieldError> errs;
  void add(const std::string& path, const std::string& code, const std::string& zh,
           const std::string& en) {
    errs.push_back({path, code, {zh, en}});
  }
  void add_all(const std::string& prefix, const Error& e) {
    if (e.details.empty()) {
      errs.push_back({prefix, e.code, e.message});
    }
    for (const auto& d : e.details) {
      errs.push_back({prefix + (d.path.empty() ? "" : "." + d.path), d.code, d.message});
    }
  }
};

std::string id_of(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Result<Json> ConfigIO::export_config() {
  Json out{{"format", kFormat}};
  auto st = db_.with_conn([&](db::Conn& c) -> Status {
    Json orgs = Json::array();
    {
      auto q = c.prepare("SELECT code, name, parent_code, level FROM org_units ORDER BY code");
      if (!q) return q.take_error();
      for (;;) {
        auto r = q->step();
        if (!r) return r.take_error();
        if (!*r) break;
        auto parent = q->get_opt_text(2);
        orgs.push_back({{"code", q->get_text(0)},
                        {"name", q->get_text(1)},
                        {"parent_code", parent ? Json(*parent) : Json(nullptr)},
                        {"level", q->get_text(3)}});
      }
    }
    out["org_units"] = orgs;
    {
      auto q =
          c.prepare("SELECT definition FROM dictionary_versions ORDER BY version DESC LIMIT 1");
      if (!q) return q.take_error();
      auto r = q->step();
      if (!r) return r.take_error();
      out["dictionary"] = *r ? parse_stored(q->get_text(0)) : Json(nullptr);
    }
    Json forms = Json::array();
    {
      // Each form as cadres know it: its newest published (or closed) version. A draft being
      // edited on top of it is work in progress, not configuration; a form never published is
      // exported as its draft.
      auto q = c.prepare(
          "SELECT f.id, f.status, f.definition FROM forms f WHERE f.version = (SELECT "
          "COALESCE(MAX(CASE WHEN g.status <> 'draft' THEN g.version END), MAX(g.version)) "
          "FROM forms g WHERE g.id = f.id) ORDER BY f.id");
      if (!q) return q.take_error();
      for (;;) {
        auto r = q->step();
        if (!r) return r.take_error();
        if (!*r) break;
        forms.push_back({{"status", q->get_text(1)}, {"definition", parse_stored(q->get_text(2))}});
      }
    }
    out["forms"] = forms;
    Json conns = Json::array();
    std::set<std::string> secrets;
    {
      auto q = c.prepare("SELECT id, config, paused FROM connectors ORDER BY id");
      if (!q) return q.take_error();
      for (;;) {
        auto r = q->step();
        if (!r) return r.take_error();
        if (!*r) break;
        Json cfg = parse_stored(q->get_text(1));
        collect_secret_names(cfg, secrets);
        conns.push_back({{"config", cfg}, {"paused", q->get_int(2) != 0}});
      }
    }
    out["connectors"] = conns;
    out["secrets_referenced"] = Json(std::vector<std::string>(secrets.begin(), secrets.end()));
    Json hosts = Json::array();
    {
      auto q = c.prepare("SELECT host FROM upstream_hosts ORDER BY host");
      if (!q) return q.take_error();
      for (;;) {
        auto r = q->step();
        if (!r) return r.take_error();
        if (!*r) break;
        hosts.push_back(q->get_text(0));
      }
    }
    out["upstream_hosts"] = hosts;
    Json ups = Json::array();
    {
      auto q = c.prepare("SELECT id, definition FROM upstream_forms ORDER BY id");
      if (!q) return q.take_error();
      for (;;) {
        auto r = q->step();
        if (!r) return r.take_error();
        if (!*r) break;
        Json j = parse_stored(q->get_text(1));
        j["id"] = q->get_text(0);
        ups.push_back(std::move(j));
      }
    }
    out["upstream_forms"] = ups;
    return ok_status();
  });
  if (!st) return st.take_error();
  return out;
}

std::string ConfigIO::to_text(const Json& config) {
  return config.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<Json> ConfigIO::import_config(const Json& doc, bool dry_run) {
  Problems p;
  if (!doc.is_object()) {
    return Error::make(ErrorKind::kInvalidArgument, "invalid_config", "配置文件应是一个 JSON 对象",
                       "A configuration file is one JSON object");
  }
  static const std::set<std::string> kKeys = {
      "format",     "org_units",      "dictionary",         "forms",
      "connectors", "upstream_hosts", "secrets_referenced", "upstream_forms"};
  for (const auto& [k, v] : doc.items()) {
    if (!kKeys.count(k)) p.add(k, "unknown_key", "不认识的字段 " + k, "Unknown key " + k);
  }
  if (id_of(doc, "format") != kFormat) {
    p.add("format", "format", std::string("format 应为 ") + kFormat,
          std::string("format must be ") + kFormat);
  }
  auto array_at = [&](const char* key) -> Json {
    auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) return Json::array();
    if (!it->is_array()) {
      p.add(key, "type", std::string(key) + " 应为数组", std::string(key) + " must be an array");
      return Json::array();
    }
    return *it;
  };
  const Json orgs = array_at("org_units"), forms_in = array_at("forms"),
             conns = array_at("connectors"), hosts_in = array_at("upstream_hosts"),
             ups_in = array_at("upstream_forms");

  auto current = export_config();
  if (!current) return current.take_error();
  Json changes = Json::array(), kept = Json::array();
  auto change = [&](const std::string& section, const std::string& id, const std::string& what,
                    const std::string& detail = "") {
    changes.push_back({{"section", section}, {"id", id}, {"change", what}, {"detail", detail}});
  };

  // Org units.
  std::map<std::string, Json> cur_orgs, new_orgs;
  for (const auto& o : (*current)["org_units"]) cur_orgs[o["code"]] = o;
  for (size_t i = 0; i < orgs.size(); ++i) {
    const std::string path = "org_units[" + std::to_string(i) + "]";
    const Json& o = orgs[i];
    if (!o.is_object() || id_of(o, "code").empty() || id_of(o, "name").empty() ||
        id_of(o, "level").empty() ||
        !(o.contains("parent_code") &&
          (o["parent_code"].is_null() || o["parent_code"].is_string()))) {
      p.add(path, "org_unit", "单位应有 code、name、level 和 parent_code（可为 null）",
            "An org unit has code, name, level and parent_code (may be null)");
      continue;
    }
    new_orgs[o["code"]] = o;
  }
  for (const auto& [code, o] : new_orgs) {
    const Json parent = o["parent_code"];
    if (parent.is_string() && !new_orgs.count(parent) && !cur_orgs.count(parent)) {
      p.add("org_units." + code, "parent_missing",
            "上级单位 " + parent.get<std::string>() + " 不存在",
            "The parent " + parent.get<std::string>() + " is neither in the file nor the database");
    }
    auto it = cur_orgs.find(code);
    if (it == cur_orgs.end()) {
      change("org_units", code, "add", o["name"].get<std::string>());
    } else if (it->second != o) {
      p.add("org_units." + code, "org_unit_differs",
            "单位 " + code + " 与数据库中的不同；导入不修改已有单位",
            "Org unit " + code +
                " differs from the database; import never edits existing org "
                "units");
    }
  }
  for (const auto& [code, o] : cur_orgs) {
    if (!new_orgs.count(code)) kept.push_back({{"section", "org_units"}, {"id", code}});
  }

  // Upstream hosts.
  std::set<std::string> cur_hosts, new_hosts;
  for (const auto& h : (*current)["upstream_hosts"]) cur_hosts.insert(h.get<std::string>());
  for (size_t i = 0; i < hosts_in.size(); ++i) {
    auto n = hosts_in[i].is_string()
                 ? connectors::normalise_host_entry(hosts_in[i].get<std::string>())
                 : std::nullopt;
    if (!n) {
      p.add("upstream_hosts[" + std::to_string(i) + "]", "bad_host", "不是有效的主机名",
            "Not a host name or address");
      continue;
    }
    new_hosts.insert(*n);
    if (!cur_hosts.count(*n)) change("upstream_hosts", *n, "add");
  }
  for (const auto& h : cur_hosts) {
    if (!new_hosts.count(h)) kept.push_back({{"section", "upstream_hosts"}, {"id", h}});
  }

  // Dictionary.
  std::shared_ptr<forms::Dictionary> dict;
  const Json dict_in = doc.value("dictionary", Json(nullptr));
  const Json& cur_dict = (*current)["dictionary"];
  if (!dict_in.is_null()) {
    auto d = forms::parse_dictionary(dict_in);
    if (!d) {
      p.add_all("dictionary", d.error());
    } else {
      dict = std::make_shared<forms::Dictionary>(std::move(*d));
      if (dict_in != cur_dict) {
        std::set<std::string> before, after;
        if (cur_dict.is_object() && cur_dict.contains("fields"))
          for (const auto& f : cur_dict["fields"]) before.insert(id_of(f, "key"));
        if (dict_in.contains("fields"))
          for (const auto& f : dict_in["fields"]) after.insert(id_of(f, "key"));
        std::string added, removed;
        for (const auto& k : after)
          if (!before.count(k)) added += (added.empty() ? "" : ", ") + k;
        for (const auto& k : before)
          if (!after.count(k)) removed += (removed.empty() ? "" : ", ") + k;
        change("dictionary", "dictionary", cur_dict.is_null() ? "add" : "change",
               "fields added: [" + added + "], removed: [" + removed + "]");
      }
    }
  } else if (!forms_in.empty()) {
    p.add("dictionary", "required", "有表单就要有字段字典", "Forms need a dictionary");
  }

  // Forms.
  std::map<std::string, Json> cur_forms;
  for (const auto& f : (*current)["forms"]) cur_forms[id_of(f["definition"], "id")] = f;
  std::set<std::string> seen_forms;
  for (size_t i = 0; i < forms_in.size(); ++i) {
    const std::string path = "forms[" + std::to_string(i) + "]";
    const Json& f = forms_in[i];
    const std::string status = f.is_object() ? id_of(f, "status") : "";
    if (!f.is_object() || !f.contains("definition") || !f["definition"].is_object() ||
        (status != "draft" && status != "published" && status != "closed")) {
      p.add(path, "form", "表单应有 definition 对象和 status（draft、published 或 closed）",
            "A form has a definition object and a status (draft, published or closed)");
      continue;
    }
    const std::string id = id_of(f["definition"], "id");
    if (!seen_forms.insert(id).second) {
      p.add(path, "duplicate", "表单 " + id + " 重复", "Form " + id + " appears twice");
      continue;
    }
    if (dict) {
      if (auto pf = forms::parse_form(f["definition"], *dict); !pf) {
        p.add_all(path + ".definition", pf.error());
        continue;
      }
    }
    auto it = cur_forms.find(id);
    if (it == cur_forms.end())
      change("forms", id, "add", status);
    else if (it->second != f)
      change("forms", id, "change",
             it->second["status"] != f["status"]
                 ? "status " + it->second["status"].get<std::string>() + " -> " + status
                 : "definition");
  }
  for (const auto& [id, f] : cur_forms) {
    if (!seen_forms.count(id)) kept.push_back({{"section", "forms"}, {"id", id}});
  }

  // Connectors: parsed against the new dictionary, URLs against the new host list.
  std::map<std::string, Json> cur_conns;
  for (const auto& c : (*current)["connectors"]) cur_conns[id_of(c["config"], "id")] = c;
  std::set<std::string> seen_conns;
  for (size_t i = 0; i < conns.size(); ++i) {
    const std::string path = "connectors[" + std::to_string(i) + "]";
    const Json& c = conns[i];
    if (!c.is_object() || !c.contains("config") || !c["config"].is_object() ||
        !c.contains("paused") || !c["paused"].is_boolean()) {
      p.add(path, "connector", "连接器应有 config 对象和 paused（true/false）",
            "A connector has a config object and paused (true/false)");
      continue;
    }
    const std::string id = id_of(c["config"], "id");
    if (!seen_conns.insert(id).second) {
      p.add(path, "duplicate", "连接器 " + id + " 重复", "Connector " + id + " appears twice");
      continue;
    }
    if (auto pc = registry_.parse(c["config"], dict.get()); !pc) {
      p.add_all(path + ".config", pc.error());
      continue;
    }
    std::vector<std::string> urls;
    for (const char* k : {"url"}) {
      if (c["config"].contains(k) && c["config"][k].is_string()) urls.push_back(c["config"][k]);
    }
    for (const auto& u : urls) {
      auto h = connectors::url_host(u);
      const std::string bare =
          h ? (h->host.find(':') != std::string::npos ? "[" + h->host + "]" : h->host) : "";
      if (!h || !(new_hosts.count(bare) || cur_hosts.count(bare) ||
                  new_hosts.count(bare + ":" + std::to_string(h->port)) ||
                  cur_hosts.count(bare + ":" + std::to_string(h->port)))) {
        p.add(path + ".config.url", "upstream_host_not_allowed",
              "上游地址不在允许的主机名单中：" + u, "The upstream host is not allowed: " + u);
      }
    }
    auto it = cur_conns.find(id);
    if (it == cur_conns.end()) {
      change("connectors", id, "add", c["paused"].get<bool>() ? "paused" : "");
    } else if (it->second["config"] != c["config"]) {
      change("connectors", id, "change", "config");
    } else if (it->second["paused"] != c["paused"]) {
      change("connectors", id, c["paused"].get<bool>() ? "pause" : "resume");
    }
  }
  for (const auto& [id, c] : cur_conns) {
    if (!seen_conns.count(id)) kept.push_back({{"section", "connectors"}, {"id", id}});
  }

  // Upstream forms: mapping targets checked against the new dictionary (else the current one).
  std::map<std::string, Json> cur_ups, new_ups;
  for (const auto& u : (*current)["upstream_forms"]) cur_ups[id_of(u, "id")] = u;
  std::shared_ptr<const forms::Dictionary> up_dict = dict;
  if (!up_dict && dict_in.is_null()) {
    if (auto d = catalog_.dictionary(); d) up_dict = *d;
  }
  for (size_t i = 0; i < ups_in.size(); ++i) {
    const std::string path = "upstream_forms[" + std::to_string(i) + "]";
    const Json& u = ups_in[i];
    const std::string id = u.is_object() ? id_of(u, "id") : "";
    if (id.empty() || id.size() > 40 ||
        id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
      p.add(path + ".id", "bad_id", "上游表单应有 id：1 到 40 个小写字母、数字或下划线",
            "An upstream form has an id of 1-40 of a-z, 0-9 and _");
      continue;
    }
    if (new_ups.count(id)) {
      p.add(path, "duplicate", "上游表单 " + id + " 重复",
            "Upstream form " + id + " appears twice");
      continue;
    }
    Json body = u;
    body.erase("id");
    auto v = validate_upstream_form(body, up_dict.get());
    if (!v) {
      p.add_all(path, v.error());
      continue;
    }
    Json canon = *v;
    canon["id"] = id;
    new_ups[id] = canon;
    auto it = cur_ups.find(id);
    if (it == cur_ups.end()) {
      change("upstream_forms", id, "add", (*v)["name"].get<std::string>());
    } else if (it->second != canon) {
      change("upstream_forms", id, "change", "fields or mapping");
    }
  }
  for (const auto& [id, u] : cur_ups) {
    if (!new_ups.count(id)) kept.push_back({{"section", "upstream_forms"}, {"id", id}});
  }

  if (!p.errs.empty()) {
    Error e = Error::make(ErrorKind::kValidation, "invalid_config",
                          "配置文件有误，没有导入任何内容，请按提示修改",
                          "The configuration is not valid; nothing was imported");
    e.details = std::move(p.errs);
    return e;
  }

  std::string text;
  for (const auto& ch : changes) {
    const std::string what = ch["change"];
    const char sign = what == "add" ? '+' : '~';
    text +=
        std::string(1, sign) + " " + ch["section"].get<std::string>() + " " +
        ch["id"].get<std::string>() + " (" + what +
        (ch["detail"].get<std::string>().empty() ? "" : ": " + ch["detail"].get<std::string>()) +
        ")\n";
  }
  for (const auto& k : kept) {
    text += "= " + k["section"].get<std::string>() + " " + k["id"].get<std::string>() +
            " (only in the database; kept)\n";
  }
  if (changes.empty()) text += "no changes\n";
  Json report{{"changes", changes}, {"kept", kept}, {"applied", false}, {"text", text}};
  if (dry_run || changes.empty()) return report;

  // Apply, parents before children.
  std::set<std::string> have;
  for (const auto& [code, o] : cur_orgs) have.insert(code);
  for (bool progress = true; progress;) {
    progress = false;
    for (const auto& [code, o] : new_orgs) {
      if (have.count(code)) continue;
      const Json parent = o["parent_code"];
      if (parent.is_string() && !have.count(parent)) continue;
      OrgUnit u{
          code, o["name"].get<std::string>(),
          parent.is_string() ? std::optional<std::string>(parent.get<std::string>()) : std::nullopt,
          o["level"].get<std::string>()};
      if (auto s = accounts_.add_org_unit(u); !s) return s.take_error();
      have.insert(code);
      progress = true;
    }
  }
  for (const auto& h : new_hosts) {
    if (!cur_hosts.count(h)) {
      if (auto s = hosts_.add(h, "config import"); !s) return s.take_error();
    }
  }
  if (!dict_in.is_null() && dict_in != cur_dict) {
    if (auto s = catalog_.put_dictionary(dict_in); !s) return s.take_error();
  }
  for (const auto& f : forms_in) {
    auto it = cur_forms.find(id_of(f["definition"], "id"));
    if (it != cur_forms.end() && it->second == f) continue;
    const std::string status = f["status"];
    auto fs = status == "published" ? forms::FormStatus::kPublished
              : status == "closed"  ? forms::FormStatus::kClosed
                                    : forms::FormStatus::kDraft;
    if (auto s = catalog_.put_form(f["definition"], fs); !s) return s.take_error();
  }
  for (const auto& c : conns) {
    const std::string id = id_of(c["config"], "id");
    auto it = cur_conns.find(id);
    if (it == cur_conns.end() || it->second["config"] != c["config"]) {
      if (auto s = store_.put(c["config"]); !s) return s.take_error();
    }
    const bool was_paused = it != cur_conns.end() && it->second["paused"].get<bool>();
    if (c["paused"].get<bool>() != was_paused) {
      if (auto s = store_.set_paused(id, c["paused"].get<bool>(), "config import"); !s)
        return s.take_error();
    }
  }
  for (const auto& [id, u] : new_ups) {
    auto it = cur_ups.find(id);
    if (it != cur_ups.end() && it->second == u) continue;
    Json stored = u;
    stored.erase("id");
    auto s = db_.transact<int>([&](db::Conn& c) -> Result<int> {
      auto w =
          c.prepare(it == cur_ups.end() ? "INSERT INTO upstream_forms (definition, updated_at, id) "
                                          "VALUES (?, 0, ?)"
                                        : "UPDATE upstream_forms SET definition = ? WHERE id = ?");
      if (!w) return w.take_error();
      w->bind(1, stored.dump()).bind(2, id);
      if (auto r = w->run(); !r) return r.take_error();
      return 1;
    });
    if (!s) return s.take_error();
  }
  report["applied"] = true;
  return report;
}

}  // namespace yb::admin
