#include "intake/subjects.h"
#include "admin/masking.h"

#include <algorithm>

#include "dedupe/normalize.h"
#include "forms/normalize.h"

namespace yb::intake {

using Json = nlohmann::json;

namespace {

Error not_found() {
  return Error::make(ErrorKind::kNotFound, "subject_not_found",
                     "找不到这个人员。请核对身份证号，或先填写一次采集表",
                     "No such person in your area; check the ID number or submit a form first");
}

std::string last4(const std::string& id) { return id.size() >= 4 ? id.substr(id.size() - 4) : id; }

}  // namespace

SubjectService::SubjectService(db::Database& db, db::GroupCommitWriter& writer,
                               admin::Accounts& accounts, admin::Catalog& catalog,
                               dedupe::SubjectRegistry& registry, const Clock& clock)
    : db_(db),
      writer_(writer),
      accounts_(accounts),
      catalog_(catalog),
      registry_(registry),
      clock_(clock) {}

bool SubjectService::full_ids(const admin::User& u) const {
  return admin::sees_personal_data(u);  // county admins; system admins see them masked
}

Json SubjectService::summary(const admin::User& u, int64_t id, const dedupe::Identity& w,
                             bool show_id) {
  Json j{{"id", id},
         {"kind", "person"},
         {"name", w.name},
         {"birth_date", w.birth_date.empty() ? Json() : Json(w.birth_date)},
         {"sex", w.sex.empty() ? Json() : Json(w.sex)},
         {"org_unit", w.org_code}};
  const std::string& idn = !w.id_number.empty() ? w.id_number : w.id_typed;
  j["id_number"] =
      idn.empty() ? Json() : Json(show_id || full_ids(u) ? idn : dedupe::mask_id_number(idn));
  if (auto o = accounts_.org_unit(w.org_code)) j["org_name"] = o->name;
  return j;
}

Result<std::optional<dedupe::Subject>> SubjectService::load_in_scope(const admin::User& u,
                                                                     int64_t id) {
  auto dict = catalog_.dictionary();
  const forms::Dictionary* d = dict ? dict->get() : nullptr;
  auto s = db_.with_conn([&](db::Conn& c) { return registry_.load(c, id, d, clock_.now_ms()); });
  if (!s) return s;
  if (!*s || !accounts_.in_scope(u.org_code, (*s)->who.org_code)) {
    return std::optional<dedupe::Subject>();
  }
  return s;
}

Result<Json> SubjectService::subject_json(const admin::User& u, const dedupe::Subject& s,
                                          bool show_id) {
  auto dict = catalog_.dictionary();
  const forms::Dictionary* d = dict ? dict->get() : nullptr;
  Json j = summary(u, s.id, s.who, show_id);
  j["kind"] = s.kind;
  j["merged"] = s.merged;
  Json fields = Json::object();
  for (const auto& [key, v] : s.fields) {
    Json f{{"value", v.value},
           {"source",
            {{"submission", v.submission_id},
             {"form", v.form_id},
             {"author", v.author},
             {"at", iso8601_utc(v.at_ms)}}},
           {"fresh", v.fresh}};
    const auto* def = d ? d->find(key) : nullptr;
    if (def && def->sensitivity == forms::Sensitivity::kSensitive &&
        u.role != admin::Role::kCadre && !admin::sees_personal_data(u)) {
      f["value"] = nullptr;
      f["masked"] = true;
    }
    if (key == "person.id_number" && v.value.is_string() && !show_id && !full_ids(u)) {
      f["value"] = dedupe::mask_id_number(v.value.get<std::string>());
    }
    fields[key] = std::move(f);
  }
  j["fields"] = std::move(fields);
  return j;
}

Result<Json> SubjectService::lookup(const admin::User& u, const std::string& raw) {
  auto id = dedupe::normalize_id_number(raw);
  if (!id) {
    // Shaped like an ID number but failing its check: nobody can be stored under it.
    if (!dedupe::clean_id_number(raw).empty()) return not_found();
    return Error::make(ErrorKind::kInvalidArgument, "bad_id_number",
                       "身份证号应为18位（或15位）数字，最后一位可以是X，请核对后重新输入",
                       "id_number must be 18 (or 15) digits, the last may be X; check it and "
                       "try again");
  }
  auto found = db_.with_conn([&](db::Conn& c) { return registry_.find_by_id_number(c, *id); });
  if (!found) return found.take_error();
  if (!*found) return not_found();
  auto s = load_in_scope(u, **found);
  if (!s) return s.take_error();
  if (!*s) return not_found();
  auto j = subject_json(u, **s, true);
  if (!j) return j;
  // The household's fields, for prefilling the household part of a form.
  if ((*s)->who.household != 0) {
    auto h = load_in_scope(u, (*s)->who.household);
    if (!h) return h.take_error();
    if (*h) {
      auto hj = subject_json(u, **h, false);
      if (!hj) return hj;
      (*j)["household"] = Json{{"id", (*h)->id}, {"fields", (*hj)["fields"]}};
    }
  }
  return j;
}

Result<Json> SubjectService::search(const admin::User& u, const std::string& name, int limit) {
  if (name.empty() || name.size() > 200 || !forms::utf8_valid(name)) {
    return Error::make(ErrorKind::kInvalidArgument, "bad_name", "请输入要查找的姓名（最多50个字）",
                       "name is required (at most 50 characters)");
  }
  limit = std::clamp(limit, 1, 100);
  const std::string key = dedupe::name_key(name);
  if (key.empty()) {
    return Error::make(ErrorKind::kInvalidArgument, "bad_name", "请输入要查找的姓名",
                       "name is required");
  }
  auto rows = db_.with_conn([&](db::Conn& c) { return registry_.search_name(c, key, 1000); });
  if (!rows) return rows.take_error();
  Json out = Json::array();
  for (const auto& [id, w] : *rows) {
    if (!accounts_.in_scope(u.org_code, w.org_code)) continue;
    out.push_back(summary(u, id, w, false));
    if (static_cast<int>(out.size()) >= limit) break;
  }
  return Json{{"subjects", out}};
}

Result<Json> SubjectService::match(const admin::User& u, const Json& body) {
  std::vector<FieldError> errs;
  std::map<std::string, std::string> v;
  static const char* kKeys[] = {"name", "id_number", "birth_date", "sex", "phone", "org_unit"};
  for (auto it = body.begin(); it != body.end(); ++it) {
    bool known = false;
    for (const char* k : kKeys) known = known || it.key() == k;
    if (!known) {
      errs.push_back({it.key(),
                      "unknown_field",
                      {"请求中有无法识别的项 “" + it.key() + "”，请删除它",
                       "Unknown member \"" + it.key() + "\"; remove it"}});
    } else if (it->is_null()) {
      continue;
    } else if (!it->is_string() || it->get<std::string>().size() > 200 ||
               !forms::utf8_valid(it->get<std::string>())) {
      errs.push_back({it.key(),
                      "type",
                      {it.key() + " 应为不超过200字节的文字",
                       it.key() + " must be a string of at most 200 bytes"}});
    } else {
      v[it.key()] = it->get<std::string>();
    }
  }
  if (!errs.empty()) {
    Error e = Error::make(ErrorKind::kValidation, "validation_failed", "请求内容有误，请按提示修改",
                          "The request has problems; fix them and retry");
    e.details = std::move(errs);
    return e;
  }
  const std::string org = v.count("org_unit") ? v["org_unit"] : u.org_code.value_or("");
  if (!org.empty() && !accounts_.in_scope(u.org_code, org)) {
    return Error::make(ErrorKind::kForbidden, "out_of_scope", "您只能在本辖区内查重",
                       "You may only check for duplicates in your own area");
  }
  auto probe =
      dedupe::make_identity(v["name"], v["id_number"], v["birth_date"], v["sex"], v["phone"], org);
  Json out = Json::array();
  if (probe.name_key.empty() && probe.id_number.empty() && probe.id_typed.empty() &&
      probe.phone.empty()) {
    return Json{{"candidates", out}};
  }
  auto cands = db_.with_conn([&](db::Conn& c) { return registry_.candidates(c, probe, 20); });
  if (!cands) return cands.take_error();
  for (const auto& cand : *cands) {
    if (!accounts_.in_scope(u.org_code, cand.who.org_code)) continue;
    Json j = summary(u, cand.subject_id, cand.who, false);
    j["score"] = cand.score.total;
    j["band"] = dedupe::to_string(cand.score.band);
    j["reasons"] = cand.score.reasons;
    const std::string& idn = !cand.who.id_number.empty() ? cand.who.id_number : cand.who.id_typed;
    const std::string detail = !idn.empty() ? "身份证 …" + last4(idn)
                               : !cand.who.birth_date.empty()
                                   ? "出生 " + cand.who.birth_date
                                   : "编号 " + std::to_string(cand.subject_id);
    const std::string detail_en = !idn.empty() ? "ID …" + last4(idn)
                                  : !cand.who.birth_date.empty()
                                      ? "born " + cand.who.birth_date
                                      : "subject " + std::to_string(cand.subject_id);
    j["warning"] =
        Json{{"zh-CN", "可能与 " + cand.who.name + " (" + detail + ") 重复"},
             {"en", "May be the same person as " + cand.who.name + " (" + detail_en + ")"}};
    out.push_back(std::move(j));
    if (out.size() >= 10) break;
  }
  return Json{{"candidates", out}};
}

Result<Json> SubjectService::pair_json(const admin::User& u, const dedupe::DuplicatePair& p,
                                       bool* in_scope) {
  Json side[2];
  *in_scope = true;
  const int64_t ids[2] = {p.a, p.b};
  for (int i = 0; i < 2; ++i) {
    // Each side as stored (not resolved through the merge), so the evidence stays readable.
    auto w = db_.with_conn([&](db::Conn& c) -> Result<std::optional<dedupe::Identity>> {
      auto q = c.prepare(
          "SELECT id_number, id_typed, name, birth_date, sex, phone, org_code FROM subjects "
          "WHERE id = ?");
      if (!q) return q.take_error();
      q->bind(1, ids[i]);
      auto r = q->step();
      if (!r) return r.take_error();
      if (!*r) return std::optional<dedupe::Identity>();
      dedupe::Identity x;
      x.id_number = q->get_opt_text(0).value_or("");
      x.id_typed = q->get_opt_text(1).value_or("");
      x.name = q->get_text(2);
      x.birth_date = q->get_opt_text(3).value_or("");
      x.sex = q->get_opt_text(4).value_or("");
      x.phone = q->get_opt_text(5).value_or("");
      x.org_code = q->get_text(6);
      return std::optional<dedupe::Identity>(std::move(x));
    });
    if (!w) return w.take_error();
    if (!*w || !accounts_.in_scope(u.org_code, (*w)->org_code)) {
      *in_scope = false;
      return Json();
    }
    side[i] = summary(u, ids[i], **w, false);
    side[i]["phone"] = (*w)->phone.empty() ? Json()
                       : full_ids(u)       ? Json((*w)->phone)
                                           : Json(admin::mask_identifiers((*w)->phone));
  }
  return Json{{"id", p.id},
              {"score", p.score},
              {"reasons", p.reasons},
              {"status", p.status},
              {"created_at", iso8601_utc(p.created_at_ms)},
              {"a", side[0]},
              {"b", side[1]}};
}

Result<Json> SubjectService::duplicates(const admin::User& u, const std::string& status,
                                        int limit) {
  if (status != "open" && status != "merged" && status != "kept") {
    return Error::make(ErrorKind::kInvalidArgument, "bad_status",
                       "status 应为 open、merged 或 kept", "status must be open, merged or kept");
  }
  limit = std::clamp(limit, 1, 200);
  auto rows = db_.with_conn([&](db::Conn& c) { return registry_.duplicates(c, status, 5000); });
  if (!rows) return rows.take_error();
  Json out = Json::array();
  for (const auto& p : *rows) {
    bool in = false;
    auto j = pair_json(u, p, &in);
    if (!j) return j;
    if (!in) continue;
    out.push_back(std::move(*j));
    if (static_cast<int>(out.size()) >= limit) break;
  }
  return Json{{"duplicates", out}};
}

Result<Json> SubjectService::decide(const admin::User& u, int64_t pair_id,
                                    const std::string& decision) {
  auto p = db_.with_conn([&](db::Conn& c) { return registry_.duplicate(c, pair_id); });
  if (!p) return p.take_error();
  bool in = false;
  if (*p) {
    auto j = pair_json(u, **p, &in);
    if (!j) return j;
  }
  if (!*p || !in) {
    return Error::make(ErrorKind::kNotFound, "duplicate_not_found", "找不到这条疑似重复记录",
                       "No such duplicate pair in your area");
  }
  auto st = writer_.run(
      [&](db::Conn& c) { return registry_.decide(c, pair_id, decision, u.id, clock_.now_ms()); });
  if (!st) return st.take_error();
  auto after = db_.with_conn([&](db::Conn& c) { return registry_.duplicate(c, pair_id); });
  if (!after) return after.take_error();
  return pair_json(u, **after, &in);
}

}  // namespace yb::intake

namespace yb::intake {

namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Error bad_subject() {
  return Error::make(ErrorKind::kInvalidArgument, "bad_subject", "subject 应为人员编号（正整数）",
                     "subject must be a person's number");
}

// Calls fn(path, field) for every answer path of `form` that `values` holds.
template <typename Fn>
void each_path(const forms::Form& form, Json& values, Fn fn) {
  for (const auto& s : form.sections) {
    for (const auto& f : s.fields) {
      auto it = values.find(f.key);
      if (it == values.end()) continue;
      if (f.def.type != forms::FieldType::kRepeat) {
        fn(*it, f);
        continue;
      }
      if (!it->is_array()) continue;
      for (auto& item : *it) {
        for (const auto& c : f.children) {
          auto cit = item.find(c.key);
          if (cit != item.end()) fn(*cit, c);
        }
      }
    }
  }
}

}  // namespace

Result<Prefill> SubjectService::prefill(const admin::User& u, const forms::Form& form,
                                        const std::string& subject, const std::string& raw_id) {
  int64_t id = 0;
  if (!subject.empty()) {
    if (!all_digits(subject) || subject.size() > 15) return bad_subject();
    id = std::stoll(subject);
  } else {
    auto n = dedupe::normalize_id_number(raw_id);
    if (!n) {
      if (!dedupe::clean_id_number(raw_id).empty()) return not_found();
      return Error::make(ErrorKind::kInvalidArgument, "bad_id_number",
                         "身份证号应为18位（或15位）数字，最后一位可以是X，请核对后重新输入",
                         "id_number must be 18 (or 15) digits, the last may be X; check it and "
                         "try again");
    }
    auto found = db_.with_conn([&](db::Conn& c) { return registry_.find_by_id_number(c, *n); });
    if (!found) return found.take_error();
    if (!*found) return not_found();
    id = **found;
  }
  auto dict = catalog_.dictionary();
  const forms::Dictionary* d = dict ? dict->get() : nullptr;
  auto p = db_.with_conn(
      [&](db::Conn& c) { return build_prefill(c, registry_, d, form, id, clock_.now_ms()); });
  if (!p) return p.take_error();
  if (!*p || !accounts_.in_scope(u.org_code, (*p)->who.org_code)) return not_found();
  return std::move(**p);
}

Result<Json> SubjectService::prefill_json(const admin::User& u, const forms::Form& form,
                                          const Prefill& p) {
  const bool auditor = u.role == admin::Role::kAuditor;
  Json values = p.values;
  // Auditors read, never fill: sensitive values withheld, ID numbers masked.
  if (auditor) {
    each_path(form, values, [&](Json& v, const forms::FormField& f) {
      if (f.def.sensitivity == forms::Sensitivity::kSensitive) {
        v = nullptr;
      } else if (f.def.type == forms::FieldType::kIdNumber && v.is_string()) {
        v = dedupe::mask_id_number(v.get<std::string>());
      }
    });
  }
  Json fields = Json::object();
  for (const auto& [path, src] : p.sources) {
    Json source{{"submission", src.submission_id},
                {"form", src.form_id},
                {"author", src.author},
                {"at", iso8601_utc(src.at_ms)}};
    if (auto f = catalog_.published_form(src.form_id)) source["form_title"] = (*f)->title.zh;
    fields[path] = Json{{"source", std::move(source)}, {"fresh", src.fresh}};
  }
  Json j{{"form", form.id},
         {"subject", summary(u, p.subject_id, p.who, !auditor)},
         {"household", p.household_id ? Json(p.household_id) : Json()},
         {"values", std::move(values)},
         {"fields", std::move(fields)}};
  if (auditor) j["masked"] = true;
  return j;
}

Result<Json> SubjectService::village(const admin::User& u, const std::string& query, int page,
                                     int per_page) {
  if (query.size() > 200 || !forms::utf8_valid(query)) {
    return Error::make(ErrorKind::kInvalidArgument, "bad_query",
                       "请输入姓名或身份证号（最多50个字）",
                       "Enter a name or an ID number (at most 50 characters)");
  }
  page = std::clamp(page, 1, 100000);
  per_page = std::clamp(per_page, 1, 100);
  // The villages in scope (an org tree has hundreds of units at most).
  std::vector<std::string> orgs;
  if (u.org_code) {
    auto codes = db_.with_conn([&](db::Conn& c) -> Result<std::vector<std::string>> {
      auto q = c.prepare("SELECT code FROM org_units ORDER BY code");
      if (!q) return q.take_error();
      std::vector<std::string> out;
      for (;;) {
        auto r = q->step();
        if (!r) return r.take_error();
        if (!*r) break;
        out.push_back(q->get_text(0));
      }
      return out;
    });
    if (!codes) return codes.take_error();
    for (auto& code : *codes) {
      if (accounts_.in_scope(u.org_code, code)) orgs.push_back(std::move(code));
    }
    if (orgs.empty()) orgs.push_back(*u.org_code);
  }
  std::vector<dedupe::Resident> rows;
  bool has_next = false;
  const std::string cleaned = dedupe::clean_id_number(query);
  if (!query.empty() && !cleaned.empty()) {
    // An ID number, in any accepted spelling: that one person (if in scope).
    if (auto n = dedupe::normalize_id_number(query)) {
      auto r = db_.with_conn([&](db::Conn& c) -> Result<std::optional<dedupe::Resident>> {
        auto id = registry_.find_by_id_number(c, *n);
        if (!id) return id.take_error();
        if (!*id) return std::optional<dedupe::Resident>();
        return registry_.resident(c, **id);
      });
      if (!r) return r.take_error();
      if (*r && accounts_.in_scope(u.org_code, (*r)->who.org_code) && page == 1) {
        rows.push_back(std::move(**r));
      }
    }
  } else {
    const std::string key = query.empty() ? "" : dedupe::name_key(query);
    if (!query.empty() && key.empty())
      return Json{{"people", Json::array()}, {"page", page}, {"has_next", false}, {"query", query}};
    auto r = db_.with_conn([&](db::Conn& c) {
      return registry_.residents(c, orgs, key, static_cast<size_t>(page - 1) * per_page,
                                 static_cast<size_t>(per_page) + 1);
    });
    if (!r) return r.take_error();
    rows = std::move(*r);
    has_next = rows.size() > static_cast<size_t>(per_page);
    if (has_next) rows.pop_back();
  }
  Json people = Json::array();
  for (const auto& r : rows) {
    Json j = summary(u, r.id, r.who, false);
    if (!r.who.id_number.empty() || !r.who.id_typed.empty()) {
      // Lists never show an ID number in full, whatever the role.
      j["id_number"] =
          dedupe::mask_id_number(!r.who.id_number.empty() ? r.who.id_number : r.who.id_typed);
    }
    j["household"] = r.household_id ? Json{{"id", r.household_id},
                                           {"name", r.household_name},
                                           {"head", r.head_id},
                                           {"is_head", r.head_id == r.id}}
                                    : Json();
    people.push_back(std::move(j));
  }
  return Json{
      {"people", std::move(people)}, {"page", page}, {"has_next", has_next}, {"query", query}};
}

}  // namespace yb::intake
