#include "admin/form_editor.h"

#include <map>
#include <set>

#include "admin/connector_admin.h"
#include "forms/forms.h"

namespace yb::admin {
namespace {

using Json = nlohmann::json;

struct VersionRow {
  int version = 0;
  std::string status;
  int dictionary_version = 0;
  int64_t created_at = 0;
  std::string definition;
};

Json parse_stored(const std::string& text) { return Json::parse(text, nullptr, false); }

Error validation(const std::string& code, const std::string& zh, const std::string& en,
                 std::vector<FieldError> details) {
  Error e = Error::make(ErrorKind::kValidation, code, zh, en);
  e.details = std::move(details);
  return e;
}

Error bad_id(const std::string& id) {
  return Error::make(ErrorKind::kInvalidArgument, "bad_form_id",
                     "表单编号 " + id + " 无效：用 1 到 40 个小写字母、数字或下划线",
                     "Form id " + id + " is not valid: 1-40 of a-z, 0-9 and _");
}

bool valid_id(const std::string& id) {
  return !id.empty() && id.size() <= 40 &&
         id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
}

Error form_not_found(const std::string& id) {
  return Error::make(ErrorKind::kNotFound, "form_not_found", "找不到表单 " + id, "No form " + id);
}

Result<int> latest_dictionary_version(db::Conn& c) {
  auto q = c.prepare("SELECT COALESCE(MAX(version), 0) FROM dictionary_versions");
  if (!q) return q.take_error();
  if (auto r = q->step(); !r) return r.take_error();
  return static_cast<int>(q->get_int(0));
}

Result<std::vector<VersionRow>> version_rows(db::Conn& c, const std::string& id) {
  auto q = c.prepare(
      "SELECT version, status, dictionary_version, created_at, definition FROM forms "
      "WHERE id = ? ORDER BY version");
  if (!q) return q.take_error();
  q->bind(1, id);
  std::vector<VersionRow> out;
  for (;;) {
    auto r = q->step();
    if (!r) return r.take_error();
    if (!*r) break;
    out.push_back({static_cast<int>(q->get_int(0)), q->get_text(1), static_cast<int>(q->get_int(2)),
                   q->get_int(3), q->get_text(4)});
  }
  return out;
}

std::string title_of(const Json& def) {
  if (!def.is_object() || !def.contains("title")) return "";
  const Json& t = def["title"];
  if (t.is_string()) return t.get<std::string>();
  if (t.is_object() && t.contains("zh-CN") && t["zh-CN"].is_string()) return t["zh-CN"];
  return "";
}

// Summary of one form id from its version rows (oldest first, at least one).
Json summary(const std::string& id, const std::vector<VersionRow>& rows) {
  std::optional<int> published, draft;
  bool closed = false;
  Json versions = Json::array();
  for (const auto& r : rows) {
    if (r.status == "published") published = r.version;
    if (r.status == "closed") closed = true;
    versions.push_back({{"version", r.version},
                        {"status", r.status},
                        {"dictionary_version", r.dictionary_version},
                        {"created_at", r.created_at}});
  }
  if (rows.back().status == "draft") draft = rows.back().version;
  const std::string status = published ? "published" : closed ? "closed" : "draft";
  return {{"id", id},
          {"title", title_of(parse_stored(rows.back().definition))},
          {"status", status},
          {"published_version", published ? Json(*published) : Json(nullptr)},
          {"draft_version", draft ? Json(*draft) : Json(nullptr)},
          {"versions", versions}};
}

// Answer key path -> type name for every field of the form (repeat children as
// "group[].child").
void field_types(const std::vector<forms::FormField>& fields, const std::string& prefix,
                 std::map<std::string, std::string>& out) {
  for (const auto& f : fields) {
    const std::string path = prefix + f.key;
    out[path] = forms::to_string(f.def.type);
    if (!f.children.empty()) field_types(f.children, path + "[].", out);
  }
}

std::map<std::string, std::string> form_field_types(const forms::Form& f) {
  std::map<std::string, std::string> out;
  for (const auto& s : f.sections) field_types(s.fields, "", out);
  return out;
}

Json strip_lifecycle(Json def) {
  def.erase("version");
  def.erase("status");
  return def;
}

}  // namespace

Status FormEditor::require_editor(const User& u) { return ConnectorAdmin::require_admin(u); }

Status FormEditor::refuse(const Caller& c, const std::string& action, const std::string& target,
                          const Error& e) {
  const char* result = refusal_result(e);
  (void)audit_.record({c.user.username, to_string(c.user.role), action, target, c.remote_addr,
                       result, Json{{"code", e.code}}});
  return e;
}

Result<Json> FormEditor::dictionary(const Caller& c) {
  if (auto st = require_editor(c.user); !st) return st.take_error();
  return db_.with_conn([&](db::Conn& conn) -> Result<Json> {
    auto q = conn.prepare(
        "SELECT version, definition FROM dictionary_versions ORDER BY version DESC LIMIT 1");
    if (!q) return q.take_error();
    auto r = q->step();
    if (!r) return r.take_error();
    if (!*r) return Json{{"version", 0}, {"definition", {{"fields", Json::array()}}}};
    return Json{{"version", q->get_int(0)}, {"definition", parse_stored(q->get_text(1))}};
  });
}

Result<Json> FormEditor::put_dictionary(const Caller& c, const Json& def) {
  const std::string action = "dictionary.put";
  if (auto st = require_editor(c.user); !st) return refuse(c, action, "", st.error()).take_error();
  if (!def.is_object()) {
    return refuse(c, action, "",
                  Error::make(ErrorKind::kInvalidArgument, "invalid_dictionary",
                              "字段字典应是一个 JSON 对象", "A dictionary is a JSON object"))
        .take_error();
  }
  auto parsed = forms::parse_dictionary(def);

  // Earlier types of every key, and the latest definition.
  struct Prior {
    std::map<std::string, std::pair<std::string, int>> types;  // key -> (type, version)
    Json latest;
    std::vector<std::pair<std::string, Json>> published;  // form id -> definition
  };
  auto prior = db_.with_conn([&](db::Conn& conn) -> Result<Prior> {
    Prior p;
    auto q = conn.prepare("SELECT version, definition FROM dictionary_versions ORDER BY version");
    if (!q) return q.take_error();
    for (;;) {
      auto r = q->step();
      if (!r) return r.take_error();
      if (!*r) break;
      Json d = parse_stored(q->get_text(1));
      p.latest = d;
      if (!d.is_object() || !d.contains("fields") || !d["fields"].is_array()) continue;
      for (const auto& f : d["fields"]) {
        if (f.is_object() && f.contains("key") && f["key"].is_string() && f.contains("type") &&
            f["type"].is_string()) {
          p.types[f["key"]] = {f["type"], static_cast<int>(q->get_int(0))};
        }
      }
    }
    auto fq = conn.prepare(
        "SELECT f.id, f.definition FROM forms f WHERE f.status = 'published' AND f.version = "
        "(SELECT MAX(g.version) FROM forms g WHERE g.id = f.id AND g.status = 'published') "
        "ORDER BY f.id");
    if (!fq) return fq.take_error();
    for (;;) {
      auto r = fq->step();
      if (!r) return r.take_error();
      if (!*r) break;
      p.published.emplace_back(fq->get_text(0), parse_stored(fq->get_text(1)));
    }
    return p;
  });
  if (!prior) return prior.take_error();

  // Reported together with the structural problems, so the editor sees every one at once.
  std::vector<FieldError> problems;
  if (!parsed) {
    if (parsed.error().kind != ErrorKind::kValidation) {
      return refuse(c, action, "", parsed.error()).take_error();
    }
    problems = parsed.error().details;
  }
  const Json fields =
      def.contains("fields") && def["fields"].is_array() ? def["fields"] : Json::array();
  for (size_t i = 0; i < fields.size(); ++i) {
    if (!fields[i].is_object() || !fields[i].contains("key") || !fields[i]["key"].is_string() ||
        !fields[i].contains("type") || !fields[i]["type"].is_string()) {
      continue;
    }
    const std::string key = fields[i]["key"];
    const std::string type = fields[i]["type"];
    auto it = prior->types.find(key);
    if (it != prior->types.end() && it->second.first != type) {
      problems.push_back(
          {"fields[" + std::to_string(i) + "].type",
           "type_changed",
           {"字段 " + key + " 的类型不能从 " + it->second.first + " 改为 " + type +
                "：已保存的答案按原类型存储。请新建一个字段（换一个 key）",
            "The type of field " + key + " cannot change from " + it->second.first + " to " + type +
                ": stored answers keep the old type. Add a new field with another key"}});
    }
  }
  // A published form must still parse against the new dictionary (no field it uses removed).
  for (const auto& [id, fdef] : prior->published) {
    if (!parsed) break;
    auto pf = forms::parse_form(fdef, *parsed);
    if (pf) continue;
    const size_t before = problems.size();
    for (const auto& d : pf.error().details) {
      if (d.code != "unknown_field") continue;
      problems.push_back({"forms." + id + (d.path.empty() ? "" : "." + d.path),
                          "field_in_use",
                          {"已发布的表单 " + id + " 还在使用这个字段（" + d.message.zh +
                               "）。先修改并发布该表单，或关闭它",
                           "Published form " + id + " still uses this field (" + d.message.en +
                               "). Change and publish that form first, or close it"}});
    }
    if (problems.size() == before) {
      problems.push_back({"forms." + id,
                          "form_broken",
                          {"已发布的表单 " + id + " 与新字典不再相容：" + pf.error().message.zh,
                           "Published form " + id +
                               " no longer fits the new dictionary: " + pf.error().message.en}});
    }
  }
  if (!problems.empty()) {
    return refuse(c, action, "",
                  validation("invalid_dictionary", "字段字典有误，没有保存，请按提示修改",
                             "The dictionary is not valid; nothing was saved", problems))
        .take_error();
  }
  if (prior->latest == def) {
    auto v = db_.with_conn([](db::Conn& conn) { return latest_dictionary_version(conn); });
    if (!v) return v.take_error();
    return Json{{"version", *v}, {"changed", false}};
  }
  int version = 0;
  auto st = audit_.writer().run([&](db::Conn& conn) -> Status {
    auto v = latest_dictionary_version(conn);
    if (!v) return v.take_error();
    version = *v + 1;
    auto ins = conn.prepare(
        "INSERT INTO dictionary_versions (version, definition, created_at) VALUES (?, ?, ?)");
    if (!ins) return ins.take_error();
    ins->bind(1, version).bind(2, def.dump()).bind(3, audit_.clock().now_s());
    if (auto s = ins->run(); !s) return s;
    return AuditLog::append(
        conn,
        {c.user.username, to_string(c.user.role), action, "v" + std::to_string(version),
         c.remote_addr, "ok", Json{{"fields", fields.size()}}},
        audit_.clock().now_ms());
  });
  if (!st) return refuse(c, action, "", st.error()).take_error();
  return Json{{"version", version}, {"changed", true}};
}

Result<Json> FormEditor::list_forms(const Caller& c) {
  if (auto st = require_editor(c.user); !st) return st.take_error();
  return db_.with_conn([&](db::Conn& conn) -> Result<Json> {
    auto q = conn.prepare("SELECT DISTINCT id FROM forms ORDER BY id");
    if (!q) return q.take_error();
    std::vector<std::string> ids;
    for (;;) {
      auto r = q->step();
      if (!r) return r.take_error();
      if (!*r) break;
      ids.push_back(q->get_text(0));
    }
    Json out = Json::array();
    for (const auto& id : ids) {
      auto rows = version_rows(conn, id);
      if (!rows) return rows.take_error();
      out.push_back(summary(id, *rows));
    }
    return Json{{"forms", out}};
  });
}

Result<Json> FormEditor::form(const Caller& c, const std::string& id) {
  if (auto st = require_editor(c.user); !st) return st.take_error();
  if (!valid_id(id)) return bad_id(id);
  auto rows = db_.with_conn([&](db::Conn& conn) { return version_rows(conn, id); });
  if (!rows) return rows.take_error();
  if (rows->empty()) return form_not_found(id);
  Json out = summary(id, *rows);
  out["draft"] = nullptr;
  out["published"] = nullptr;
  for (const auto& r : *rows) {
    if (r.status == "published" || (r.status == "closed" && out["published"].is_null())) {
      out["published"] = parse_stored(r.definition);
    }
  }
  if (rows->back().status == "draft") out["draft"] = parse_stored(rows->back().definition);
  return out;
}

Result<Json> FormEditor::put_draft(const Caller& c, const std::string& id, const Json& def_in) {
  const std::string action = "form.save_draft";
  if (auto st = require_editor(c.user); !st) return refuse(c, action, id, st.error()).take_error();
  if (!valid_id(id)) return refuse(c, action, id, bad_id(id)).take_error();
  if (!def_in.is_object()) {
    return refuse(c, action, id,
                  Error::make(ErrorKind::kInvalidArgument, "invalid_form",
                              "表单定义应是一个 JSON 对象", "A form definition is a JSON object"))
        .take_error();
  }
  Json def = strip_lifecycle(def_in);
  if (!def.contains("id")) def["id"] = id;
  if (!def["id"].is_string() || def["id"].get<std::string>() != id) {
    return refuse(c, action, id,
                  validation("invalid_form", "表单有误，没有保存", "The form is not valid",
                             {{"id",
                               "id_mismatch",
                               {"表单里的 id 应与地址中的 " + id + " 相同",
                                "The id in the form must equal " + id + " from the address"}}}))
        .take_error();
  }
  auto dict = catalog_.dictionary();
  if (!dict) return refuse(c, action, id, dict.error()).take_error();
  if (auto pf = forms::parse_form(def, **dict); !pf) {
    Error e = pf.take_error();
    if (e.kind == ErrorKind::kValidation) {
      e.message = {"表单有误，没有保存，请按提示修改：" + e.message.zh,
                   "The form is not valid; nothing was saved: " + e.message.en};
    }
    return refuse(c, action, id, e).take_error();
  }
  int saved_version = 0;
  auto st = audit_.writer().run([&](db::Conn& conn) -> Status {
    auto dv = latest_dictionary_version(conn);
    if (!dv) return dv.take_error();
    auto rows = version_rows(conn, id);
    if (!rows) return rows.take_error();
    const int64_t now = audit_.clock().now_s();
    if (!rows->empty() && rows->back().status == "draft") {
      saved_version = rows->back().version;
      auto up = conn.prepare(
          "UPDATE forms SET definition = ?, dictionary_version = ?, created_at = ? "
          "WHERE id = ? AND version = ? AND status = 'draft'");
      if (!up) return up.take_error();
      up->bind(1, def.dump()).bind(2, *dv).bind(3, now).bind(4, id).bind(5, saved_version);
      if (auto s = up->run(); !s) return s;
    } else {
      saved_version = rows->empty() ? 1 : rows->back().version + 1;
      auto ins = conn.prepare(
          "INSERT INTO forms (id, version, status, dictionary_version, definition, created_at) "
          "VALUES (?, ?, 'draft', ?, ?, ?)");
      if (!ins) return ins.take_error();
      ins->bind(1, id).bind(2, saved_version).bind(3, *dv).bind(4, def.dump()).bind(5, now);
      if (auto s = ins->run(); !s) return s;
    }
    return AuditLog::append(conn,
                            {c.user.username, to_string(c.user.role), action, id, c.remote_addr,
                             "ok", Json{{"version", saved_version}}},
                            audit_.clock().now_ms());
  });
  catalog_.forget_form(id);
  if (!st) return refuse(c, action, id, st.error()).take_error();
  return form(c, id);
}

Result<Json> FormEditor::publish(const Caller& c, const std::string& id) {
  const std::string action = "form.publish";
  if (auto st = require_editor(c.user); !st) return refuse(c, action, id, st.error()).take_error();
  if (!valid_id(id)) return refuse(c, action, id, bad_id(id)).take_error();
  auto rows = db_.with_conn([&](db::Conn& conn) { return version_rows(conn, id); });
  if (!rows) return rows.take_error();
  if (rows->empty()) return refuse(c, action, id, form_not_found(id)).take_error();
  if (rows->back().status != "draft") {
    return refuse(c, action, id,
                  Error::make(ErrorKind::kConflict, "no_draft",
                              "表单 " + id + " 没有草稿可发布：先保存草稿",
                              "Form " + id + " has no draft to publish; save a draft first"))
        .take_error();
  }
  const VersionRow draft_row = rows->back();
  auto dict = catalog_.dictionary();
  if (!dict) return refuse(c, action, id, dict.error()).take_error();
  auto pf = forms::parse_form(parse_stored(draft_row.definition), **dict);
  if (!pf) return refuse(c, action, id, pf.error()).take_error();
  const auto now_types = form_field_types(*pf);

  // Every earlier (published or closed) version: no answer key may change type.
  std::vector<FieldError> problems;
  std::set<std::string> reported;
  for (const auto& r : *rows) {
    if (r.status == "draft") continue;
    auto old = catalog_.form_version(id, r.version);
    if (!old) return old.take_error();
    for (const auto& [key, type] : form_field_types(**old)) {
      auto it = now_types.find(key);
      if (it == now_types.end() || it->second == type || !reported.insert(key).second) continue;
      problems.push_back(
          {key,
           "type_changed",
           {"字段 " + key + " 在第 " + std::to_string(r.version) + " 版是 " + type + "，现在是 " +
                it->second + "：已发布字段的类型不能改变。请改用新的字段 key",
            "Field " + key + " was " + type + " in version " + std::to_string(r.version) +
                " and is now " + it->second +
                ": a published field's type cannot change. Use a new field key"}});
    }
  }
  if (!problems.empty()) {
    return refuse(c, action, id,
                  validation("type_changed", "不能发布：有字段的类型与旧版本不同",
                             "Cannot publish: some fields changed type since an earlier version",
                             problems))
        .take_error();
  }
  auto st = audit_.writer().run([&](db::Conn& conn) -> Status {
    auto dv = latest_dictionary_version(conn);
    if (!dv) return dv.take_error();
    auto up = conn.prepare(
        "UPDATE forms SET status = 'published', dictionary_version = ?, created_at = ? "
        "WHERE id = ? AND version = ? AND status = 'draft' AND definition = ?");
    if (!up) return up.take_error();
    up->bind(1, *dv).bind(2, audit_.clock().now_s()).bind(3, id).bind(4, draft_row.version);
    up->bind(5, draft_row.definition);
    if (auto s = up->run(); !s) return s;
    if (conn.changes() != 1) {
      return Error::make(ErrorKind::kConflict, "draft_changed",
                         "草稿刚被别人修改或发布，请刷新后再试",
                         "The draft changed meanwhile; reload and try again");
    }
    return AuditLog::append(conn,
                            {c.user.username, to_string(c.user.role), action, id, c.remote_addr,
                             "ok", Json{{"version", draft_row.version}}},
                            audit_.clock().now_ms());
  });
  catalog_.forget_form(id);
  if (!st) return refuse(c, action, id, st.error()).take_error();
  return form(c, id);
}

Result<Json> FormEditor::close(const Caller& c, const std::string& id) {
  const std::string action = "form.close";
  if (auto st = require_editor(c.user); !st) return refuse(c, action, id, st.error()).take_error();
  if (!valid_id(id)) return refuse(c, action, id, bad_id(id)).take_error();
  int closed = 0;
  bool exists = false;
  auto st = audit_.writer().run([&](db::Conn& conn) -> Status {
    auto rows = version_rows(conn, id);
    if (!rows) return rows.take_error();
    exists = !rows->empty();
    if (!exists) return form_not_found(id);
    auto up =
        conn.prepare("UPDATE forms SET status = 'closed' WHERE id = ? AND status = 'published'");
    if (!up) return up.take_error();
    up->bind(1, id);
    if (auto s = up->run(); !s) return s;
    closed = conn.changes();
    if (closed == 0) {
      return Error::make(ErrorKind::kConflict, "not_published",
                         "表单 " + id + " 没有已发布的版本，无需关闭",
                         "Form " + id + " has no published version to close");
    }
    return AuditLog::append(conn,
                            {c.user.username, to_string(c.user.role), action, id, c.remote_addr,
                             "ok", Json{{"versions_closed", closed}}},
                            audit_.clock().now_ms());
  });
  catalog_.forget_form(id);
  if (!st) return refuse(c, action, id, st.error()).take_error();
  return form(c, id);
}

Result<FormPtr> FormEditor::draft(const std::string& id) {
  if (!valid_id(id)) return bad_id(id);
  auto rows = db_.with_conn([&](db::Conn& conn) { return version_rows(conn, id); });
  if (!rows) return rows.take_error();
  if (rows->empty() || rows->back().status != "draft") {
    return Error::make(ErrorKind::kNotFound, "no_draft", "表单 " + id + " 没有草稿",
                       "Form " + id + " has no draft");
  }
  return catalog_.form_version(id, rows->back().version);
}

}  // namespace yb::admin
