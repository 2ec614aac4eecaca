#include "dedupe/registry.h"

#include <algorithm>
#include <set>

#include "core/json_text.h"
#include "dedupe/normalize.h"

namespace yb::dedupe {
namespace {

constexpr const char* kIdentityCols =
    "id, kind, id_number, id_typed, name, name_key, birth_date, sex, phone, org_code, "
    "household_id, merged_into";
constexpr size_t kNeighbourSlots = 40;  // id_neighbours gives at most 18 + 17

std::optional<std::string> opt(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

Identity read_identity(db::Stmt& q, int64_t* merged_into) {
  Identity w;
  w.id_number = q.get_opt_text(2).value_or("");
  w.id_typed = q.get_opt_text(3).value_or("");
  w.name = q.get_text(4);
  w.name_key = q.get_text(5);
  w.birth_date = q.get_opt_text(6).value_or("");
  w.sex = q.get_opt_text(7).value_or("");
  w.phone = q.get_opt_text(8).value_or("");
  w.org_code = q.get_text(9);
  w.household = q.get_opt_int(10).value_or(0);
  if (merged_into) *merged_into = q.get_opt_int(11).value_or(0);
  return w;
}

Error conflict(const std::string& zh, const std::string& en) {
  return Error::make(ErrorKind::kConflict, "duplicate_state", zh, en);
}

}  // namespace

Result<int64_t> SubjectRegistry::root_of(db::Conn& c, int64_t id) {
  auto q = c.cached("SELECT merged_into FROM subjects WHERE id = ?");
  if (!q) return q.take_error();
  for (int depth = 0; depth < 32; ++depth) {
    (*q)->reset();
    (*q)->bind(1, id);
    auto r = (*q)->step();
    if (!r) return r.take_error();
    if (!*r) return id;
    auto next = (*q)->get_opt_int(0);
    if (!next) return id;
    id = *next;
  }
  return id;
}

Result<std::optional<Identity>> SubjectRegistry::identity_of(db::Conn& c, int64_t id,
                                                             int64_t* household) {
  auto q = c.cached(std::string("SELECT ") + kIdentityCols + " FROM subjects WHERE id = ?");
  if (!q) return q.take_error();
  (*q)->bind(1, id);
  auto r = (*q)->step();
  if (!r) return r.take_error();
  if (!*r) return std::optional<Identity>();
  Identity w = read_identity(**q, nullptr);
  if (household) *household = w.household;
  return std::optional<Identity>(std::move(w));
}

Result<int64_t> SubjectRegistry::insert_subject(db::Conn& c, const std::string& kind,
                                                const Identity& w, const Provenance& p,
                                                int64_t head_id) {
  auto q = c.cached(
      "INSERT INTO subjects (kind, id_number, id_typed, name, name_key, birth_date, sex, phone, "
      "org_code, block, household_id, head_id, created_at, updated_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!q) return q.take_error();
  auto& s = **q;
  s.bind(1, kind).bind(2, opt(w.id_number)).bind(3, opt(w.id_typed)).bind(4, w.name);
  s.bind(5, w.name_key).bind(6, opt(w.birth_date)).bind(7, opt(w.sex)).bind(8, opt(w.phone));
  s.bind(9, w.org_code).bind(10, block_of(w.org_code));
  s.bind(11, w.household ? std::optional<int64_t>(w.household) : std::nullopt);
  s.bind(12, head_id ? std::optional<int64_t>(head_id) : std::nullopt);
  s.bind(13, p.at_ms).bind(14, p.at_ms);
  if (auto st = s.run(); !st) return st.error();
  return c.last_insert_id();
}

namespace {

// Whether update_identity() would change anything but the time (the same person stated again
// as before: the common case).
bool changes_identity(const Identity& now, const Identity& w) {
  auto differs = [](const std::string& stated, const std::string& stored) {
    return !stated.empty() && stated != stored;
  };
  return differs(w.name, now.name) || differs(w.name_key, now.name_key) ||
         differs(w.birth_date, now.birth_date) || differs(w.sex, now.sex) ||
         differs(w.phone, now.phone) || (now.id_number.empty() && !w.id_number.empty()) ||
         (!w.id_number.empty() && !now.id_typed.empty()) || w.org_code != now.org_code ||
         (w.household != 0 && w.household != now.household);
}

}  // namespace

Status SubjectRegistry::update_identity(db::Conn& c, int64_t id, const Identity& w, int64_t at_ms) {
  // Nothing new: only the time moves, and the subject's seven indexes are left alone.
  auto current = identity_of(c, id, nullptr);
  if (!current) return current.error();
  if (*current && !changes_identity(**current, w)) {
    auto q = c.cached("UPDATE subjects SET updated_at = ? WHERE id = ? AND updated_at < ?");
    if (!q) return q.take_error();
    (*q)->bind(1, at_ms).bind(2, id).bind(3, at_ms);
    return (*q)->run();
  }
  // A later observation replaces what it states; what it leaves out stays. An ID number is only
  // ever added (a valid number never changes), never replaced.
  auto q = c.cached(
      "UPDATE subjects SET name = COALESCE(?, name), name_key = COALESCE(?, name_key), "
      "birth_date = COALESCE(?, birth_date), sex = COALESCE(?, sex), phone = COALESCE(?, phone), "
      "id_number = COALESCE(id_number, ?), id_typed = CASE WHEN ? IS NULL THEN id_typed ELSE "
      "NULL END, org_code = ?, block = ?, household_id = COALESCE(?, household_id), "
      "updated_at = ? WHERE id = ? AND updated_at <= ?");
  if (!q) return q.take_error();
  auto& s = **q;
  s.bind(1, opt(w.name)).bind(2, opt(w.name_key)).bind(3, opt(w.birth_date)).bind(4, opt(w.sex));
  s.bind(5, opt(w.phone)).bind(6, opt(w.id_number)).bind(7, opt(w.id_number));
  s.bind(8, w.org_code).bind(9, block_of(w.org_code));
  s.bind(10, w.household ? std::optional<int64_t>(w.household) : std::nullopt);
  s.bind(11, at_ms).bind(12, id).bind(13, at_ms);
  return s.run();
}

Status SubjectRegistry::add_observation(db::Conn& c, int64_t subject, const Provenance& p,
                                        const std::string& role, const std::string& fields) {
  auto q = c.cached(
      "INSERT INTO subject_observations (subject_id, submission_id, role, form_id, author_id, "
      "observed_at, fields) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (subject_id, submission_id, "
      "role) DO UPDATE SET fields = excluded.fields");
  if (!q) return q.take_error();
  (*q)->bind(1, subject).bind(2, p.submission_id).bind(3, role).bind(4, p.form_id);
  (*q)->bind(5, p.author_id).bind(6, p.at_ms).bind_static(7, fields);
  return (*q)->run();  // before the lease resets the statement: `fields` is still there
}

Status SubjectRegistry::queue_review(db::Conn& c, int64_t a, int64_t b, const Score& s,
                                     int64_t now_ms) {
  auto q = c.cached(
      "INSERT INTO duplicate_reviews (a_id, b_id, score, evidence, status, created_at) "
      "VALUES (?, ?, ?, ?, 'open', ?) ON CONFLICT (a_id, b_id) DO NOTHING");
  if (!q) return q.take_error();
  (*q)->bind(1, std::min(a, b)).bind(2, std::max(a, b)).bind(3, s.total);
  (*q)->bind(4, Json(s.reasons).dump()).bind(5, now_ms);
  return (*q)->run();
}

Result<std::optional<int64_t>> SubjectRegistry::find_by_id_number(db::Conn& c,
                                                                  const std::string& id_number) {
  int64_t id = 0;
  {
    auto q = c.cached("SELECT id FROM subjects WHERE id_number = ?");
    if (!q) return q.take_error();
    (*q)->bind(1, id_number);
    auto r = (*q)->step();
    if (!r) return r.take_error();
    if (!*r) return std::optional<int64_t>();
    id = (*q)->get_int(0);
  }
  auto root = root_of(c, id);
  if (!root) return root.take_error();
  return std::optional<int64_t>(*root);
}

Result<std::vector<Candidate>> SubjectRegistry::candidates(db::Conn& c, const Identity& probe,
                                                           size_t limit, bool exact_checked) {
  std::vector<int64_t> ids;
  int same_name = 0;
  auto collect = [&](db::Stmt& q) -> Status {
    for (;;) {
      auto r = q.step();
      if (!r) return r.error();
      if (!*r) return ok_status();
      ids.push_back(q.get_int(0));
    }
  };
  const std::string block = block_of(probe.org_code);
  if (!probe.id_number.empty()) {
    if (!exact_checked) {
      auto q = c.cached("SELECT id FROM subjects WHERE id_number = ?");
      if (!q) return q.take_error();
      (*q)->bind(1, probe.id_number);
      if (auto st = collect(**q); !st) return st.error();
    }
    // A valid number is never a slip of another valid one (MOD 11-2 catches every single
    // slip), so a probe with a valid ID only looks among persons stored without one: one
    // statement over three index ranges (the common case at ingest, a new person with a valid
    // ID, finds nothing there). id_number IS NULL repeated per branch so SQLite uses the
    // (…, id_number) indexes rather than the unique index.
    auto q = c.cached(
        "SELECT id, name_key FROM subjects WHERE ((block = ? AND name_key = ? AND id_number IS "
        "NULL) OR (block = ? AND birth_date = ? AND id_number IS NULL) OR (phone = ? AND "
        "id_number IS NULL)) AND kind = 'person' LIMIT 128");
    if (!q) return q.take_error();
    (*q)->bind(1, block).bind(2, opt(probe.name_key)).bind(3, block);
    (*q)->bind(4, opt(probe.birth_date)).bind(5, opt(probe.phone));
    for (;;) {
      auto r = (*q)->step();
      if (!r) return r.take_error();
      if (!*r) break;
      ids.push_back((*q)->get_int(0));
      if ((*q)->get_text(1) == probe.name_key) ++same_name;
    }
  } else {
    if (!probe.id_typed.empty()) {
      auto near = id_neighbours(probe.id_typed);
      std::string sql = "SELECT id FROM subjects WHERE id_number IN (?";
      for (size_t i = 1; i < kNeighbourSlots; ++i) sql += ", ?";
      sql += ") OR id_typed = ?";
      auto q = c.cached(sql);
      if (!q) return q.take_error();
      for (size_t i = 0; i < kNeighbourSlots; ++i) {
        if (i < near.size()) {
          (*q)->bind(static_cast<int>(i + 1), near[i]);
        } else {
          (*q)->bind(static_cast<int>(i + 1), std::nullopt);
        }
      }
      (*q)->bind(static_cast<int>(kNeighbourSlots + 1), probe.id_typed);
      if (auto st = collect(**q); !st) return st.error();
    }
    if (!probe.name_key.empty() && !block.empty()) {
      auto q = c.cached(
          "SELECT id FROM subjects WHERE block = ? AND name_key = ? AND kind = 'person' LIMIT 64");
      if (!q) return q.take_error();
      (*q)->bind(1, block).bind(2, probe.name_key);
      const size_t before = ids.size();
      if (auto st = collect(**q); !st) return st.error();
      same_name = static_cast<int>(ids.size() - before);
    }
    if (!probe.birth_date.empty() && !block.empty()) {
      auto q = c.cached(
          "SELECT id FROM subjects WHERE block = ? AND birth_date = ? AND kind = 'person' LIMIT "
          "64");
      if (!q) return q.take_error();
      (*q)->bind(1, block).bind(2, probe.birth_date);
      if (auto st = collect(**q); !st) return st.error();
    }
    if (!probe.phone.empty()) {
      auto q = c.cached("SELECT id FROM subjects WHERE phone = ? AND kind = 'person' LIMIT 16");
      if (!q) return q.take_error();
      (*q)->bind(1, probe.phone);
      if (auto st = collect(**q); !st) return st.error();
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<Candidate> out;
  for (int64_t id : ids) {
    int64_t hh = 0;
    auto w = identity_of(c, id, &hh);
    if (!w) return w.take_error();
    if (!*w) continue;
    Candidate cand;
    cand.who = std::move(**w);
    cand.score = score(probe, cand.who, same_name, t_);
    if (cand.score.band == Band::kNew) continue;
    auto root = root_of(c, id);
    if (!root) return root.take_error();
    cand.subject_id = *root;
    out.push_back(std::move(cand));
  }
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
    return a.score.total != b.score.total ? a.score.total > b.score.total
                                          : a.subject_id < b.subject_id;
  });
  // One entry per root subject.
  std::set<int64_t> seen;
  std::vector<Candidate> uniq;
  for (auto& x : out) {
    if (seen.insert(x.subject_id).second) uniq.push_back(std::move(x));
    if (uniq.size() >= limit) break;
  }
  return uniq;
}

Result<Linked> SubjectRegistry::observe_person(db::Conn& c, const Identity& who,
                                               const std::string& fields, const Provenance& p,
                                               const std::string& role) {
  auto l = link_person(c, who, p, role);
  if (!l) return l;
  if (auto st = add_observation(c, l->subject_id, p, role, fields); !st) return st.error();
  return l;
}

Result<Linked> SubjectRegistry::link_person(db::Conn& c, const Identity& who, const Provenance& p,
                                            const std::string& role) {
  Linked l{0, "person", role, "new"};
  if (!who.id_number.empty()) {
    auto q = c.cached("SELECT id FROM subjects WHERE id_number = ?");
    if (!q) return q.take_error();
    (*q)->bind(1, who.id_number);
    auto r = (*q)->step();
    if (!r) return r.take_error();
    if (*r) l = Linked{(*q)->get_int(0), "person", role, "id"};
  }
  if (l.how == "new") {
    auto cands = candidates(c, who, 3, /*exact_checked=*/true);
    if (!cands) return cands.take_error();
    if (!cands->empty()) {
      const auto& best = cands->front();
      if (best.score.band == Band::kAuto && (who.id_number.empty() || best.who.id_number.empty())) {
        l = Linked{best.subject_id, "person", role, "auto"};
      } else {
        auto id = insert_subject(c, "person", who, p, 0);
        if (!id) return id.take_error();
        l = Linked{*id, "person", role, "review", best.subject_id};
        if (auto st = queue_review(c, best.subject_id, *id, best.score, p.at_ms); !st) {
          return st.error();
        }
      }
    } else {
      auto id = insert_subject(c, "person", who, p, 0);
      if (!id) return id.take_error();
      l.subject_id = *id;
    }
  }
  if (l.how == "id" || l.how == "auto") {
    if (auto st = update_identity(c, l.subject_id, who, p.at_ms); !st) return st.error();
  }
  return l;
}

namespace {

// A subject's fields, keyed by dictionary field: what an nlohmann object of them would hold,
// kept as pointers into the answer so that nothing is copied before it is written out.
class Fields {
 public:
  void put(std::string_view field, const Json& v) { f_.emplace_back(field, &v); }
  bool empty() const { return f_.empty(); }
  bool has(std::string_view field) const { return find(field) != nullptr; }
  std::string str(std::string_view field) const {
    const Json* v = find(field);
    return v && v->is_string() ? v->get<std::string>() : "";
  }
  // The same text as json_dump() of that object: keys in order, the last of equal ones kept.
  std::string dump() {
    std::stable_sort(f_.begin(), f_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    JsonWriter w;
    w.begin_object();
    for (size_t i = 0; i < f_.size(); ++i) {
      if (i + 1 < f_.size() && f_[i + 1].first == f_[i].first) continue;
      w.key(f_[i].first).document(*f_[i].second);
    }
    w.end_object();
    return w.take();
  }

 private:
  const Json* find(std::string_view field) const {
    for (auto it = f_.rbegin(); it != f_.rend(); ++it) {  // the last one put wins
      if (it->first == field) return it->second;
    }
    return nullptr;
  }
  std::vector<std::pair<std::string_view, const Json*>> f_;
};

}  // namespace

SubjectPlan plan_subjects(const forms::Form& form, const Json& values,
                          const std::string& org_code) {
  SubjectPlan plan;
  if (!values.is_object()) return plan;
  Fields person, household;
  std::vector<Fields> members;
  for (const auto& sec : form.sections) {
    for (const auto& f : sec.fields) {
      auto it = values.find(f.key);
      if (it == values.end() || it->is_null()) continue;
      if (f.def.subject == "person") person.put(f.field, *it);
      bool has_person = false;
      for (const auto& ch : f.children) has_person = has_person || ch.field == "person.name";
      // A repeat group of persons is recorded as those persons, not copied onto the household.
      if (f.def.subject == "household" && !has_person) household.put(f.field, *it);
      if (f.def.type != forms::FieldType::kRepeat || !it->is_array() || !has_person) continue;
      for (const auto& item : *it) {
        if (!item.is_object()) continue;
        Fields m;
        for (const auto& ch : f.children) {
          auto v = item.find(ch.key);
          if (v != item.end() && !v->is_null()) m.put(ch.field, *v);
        }
        members.push_back(std::move(m));
      }
    }
  }
  auto identity = [&](const Fields& j) {
    return make_identity(j.str("person.name"), j.str("person.id_number"),
                         j.str("person.birth_date"), j.str("person.sex"), j.str("person.phone"),
                         org_code);
  };
  plan.has_main = person.has("person.name") || person.has("person.id_number");
  if (plan.has_main) {
    plan.main = identity(person);
    plan.main_fields = person.dump();
    plan.has_household = !household.empty() || !members.empty();
    if (plan.has_household) {
      plan.household.name = plan.main.name;
      plan.household.name_key = plan.main.name_key;
      plan.household.org_code = org_code;
      plan.household_fields = household.dump();
    }
  }
  for (auto& m : members) {
    if (!m.has("person.name") && !m.has("person.id_number")) continue;
    plan.members.emplace_back(identity(m), m.dump());
  }
  return plan;
}

Result<std::vector<Linked>> SubjectRegistry::record_submission(db::Conn& c, const forms::Form& form,
                                                               const Json& values,
                                                               const Provenance& p) {
  return record(c, plan_subjects(form, values, p.org_code), p);
}

Result<std::vector<Linked>> SubjectRegistry::record(db::Conn& c, const SubjectPlan& plan,
                                                    const Provenance& p) {
  std::vector<Linked> out;
  int64_t hh = 0;
  if (plan.has_main) {
    auto main = observe_person(c, plan.main, plan.main_fields, p, "main");
    if (!main) return main.take_error();
    out.push_back(*main);
    if (plan.has_household) {
      {
        auto q = c.cached("SELECT id FROM subjects WHERE head_id = ? AND kind = 'household'");
        if (!q) return q.take_error();
        (*q)->bind(1, main->subject_id);
        auto r = (*q)->step();
        if (!r) return r.take_error();
        if (*r) hh = (*q)->get_int(0);
      }
      Linked hl{hh, "household", "household", "id"};
      if (hh == 0) {
        auto id = insert_subject(c, "household", plan.household, p, main->subject_id);
        if (!id) return id.take_error();
        hh = *id;
        hl = Linked{hh, "household", "household", "new"};
      }
      if (auto st = add_observation(c, hh, p, "household", plan.household_fields); !st) {
        return st.error();
      }
      // Only when it changes: writing a foreign key column, even with the value it has,
      // makes SQLite rewrite the row's entries in all seven of the subject's indexes.
      auto q =
          c.cached("UPDATE subjects SET household_id = ? WHERE id = ? AND household_id IS NOT ?");
      if (!q) return q.take_error();
      (*q)->bind(1, hh).bind(2, main->subject_id).bind(3, hh);
      if (auto st = (*q)->run(); !st) return st.error();
      out.push_back(hl);
    }
  }
  for (const auto& [who, fields] : plan.members) {
    if (plan.has_main && !who.id_number.empty() && who.id_number == plan.main.id_number &&
        !out.empty()) {
      // The head listed again among the members: already linked above.
      Linked l = out.front();
      l.role = "member";
      l.how = "id";
      if (auto st = add_observation(c, l.subject_id, p, "member", fields); !st) return st.error();
      out.push_back(l);
      continue;
    }
    Identity w = who;
    w.household = hh;
    auto l = observe_person(c, w, fields, p, "member");
    if (!l) return l.take_error();
    out.push_back(*l);
  }
  return out;
}

Result<std::vector<std::pair<int64_t, Identity>>> SubjectRegistry::search_name(
    db::Conn& c, const std::string& key, size_t limit) {
  std::vector<std::pair<int64_t, Identity>> out;
  if (key.empty()) return out;
  auto q = c.cached(std::string("SELECT ") + kIdentityCols +
                    " FROM subjects WHERE name_key >= ? AND name_key < ? AND kind = 'person' "
                    "AND merged_into IS NULL ORDER BY name_key, id LIMIT ?");
  if (!q) return q.take_error();
  (*q)->bind(1, key).bind(2, key + "\xF4\x8F\xBF\xBF").bind(3, static_cast<int64_t>(limit));
  for (;;) {
    auto r = (*q)->step();
    if (!r) return r.take_error();
    if (!*r) break;
    out.emplace_back((*q)->get_int(0), read_identity(**q, nullptr));
  }
  return out;
}

namespace {
constexpr const char* kResidentSql =
    "SELECT s.id, s.kind, s.id_number, s.id_typed, s.name, s.name_key, s.birth_date, s.sex, "
    "s.phone, s.org_code, s.household_id, s.merged_into, h.name, h.head_id FROM subjects s "
    "LEFT JOIN subjects h ON h.id = s.household_id AND h.kind = 'household' ";
Resident read_resident(db::Stmt& q) {
  Resident r;
  r.id = q.get_int(0);
  r.who = read_identity(q, nullptr);
  r.household_id = q.get_opt_text(12) ? r.who.household : 0;
  r.household_name = q.get_opt_text(12).value_or("");
  r.head_id = q.get_opt_int(13).value_or(0);
  return r;
}
}  // namespace

Result<std::vector<Resident>> SubjectRegistry::residents(db::Conn& c,
                                                         const std::vector<std::string>& orgs,
                                                         const std::string& key_prefix,
                                                         size_t offset, size_t limit) {
  std::vector<Resident> out;
  std::string sql = std::string(kResidentSql) + "WHERE s.kind = 'person' AND s.merged_into IS NULL";
  const size_t n = std::min<size_t>(orgs.size(), 999);
  if (n > 0) {
    sql += " AND s.org_code IN (?";
    for (size_t i = 1; i < n; ++i) sql += ", ?";
    sql += ")";
  }
  if (!key_prefix.empty()) sql += " AND s.name_key >= ? AND s.name_key < ?";
  sql += " ORDER BY s.name_key, s.id LIMIT ? OFFSET ?";
  auto q = c.prepare(sql);
  if (!q) return q.take_error();
  int i = 1;
  for (size_t k = 0; k < n; ++k) q->bind(i++, orgs[k]);
  if (!key_prefix.empty()) {
    q->bind(i++, key_prefix);
    q->bind(i++, key_prefix + "\xF4\x8F\xBF\xBF");
  }
  q->bind(i++, static_cast<int64_t>(limit));
  q->bind(i++, static_cast<int64_t>(offset));
  for (;;) {
    auto r = q->step();
    if (!r) return r.take_error();
    if (!*r) break;
    out.push_back(read_resident(*q));
  }
  return out;
}

Result<std::optional<Resident>> SubjectRegistry::resident(db::Conn& c, int64_t id) {
  auto root = root_of(c, id);
  if (!root) return root.take_error();
  auto q = c.prepare(std::string(kResidentSql) + "WHERE s.id = ? AND s.kind = 'person'");
  if (!q) return q.take_error();
  q->bind(1, *root);
  auto r = q->step();
  if (!r) return r.take_error();
  if (!*r) return std::optional<Resident>();
  return std::optional<Resident>(read_resident(*q));
}

Result<std::optional<Subject>> SubjectRegistry::load(db::Conn& c, int64_t id,
                                                     const forms::Dictionary* dict,
                                                     int64_t now_ms) {
  auto root = root_of(c, id);
  if (!root) return root.take_error();
  Subject s;
  s.id = *root;
  {
    auto q = c.cached(std::string("SELECT ") + kIdentityCols + " FROM subjects WHERE id = ?");
    if (!q) return q.take_error();
    (*q)->bind(1, s.id);
    auto r = (*q)->step();
    if (!r) return r.take_error();
    if (!*r) return std::optional<Subject>();
    s.kind = (*q)->get_text(1);
    s.who = read_identity(**q, nullptr);
  }
  // Everything merged into the root, transitively.
  std::vector<int64_t> all{s.id};
  {
    auto q = c.cached("SELECT id FROM subjects WHERE merged_into = ?");
    if (!q) return q.take_error();
    for (size_t i = 0; i < all.size() && all.size() < 256; ++i) {
      (*q)->reset();
      (*q)->bind(1, all[i]);
      for (;;) {
        auto r = (*q)->step();
        if (!r) return r.take_error();
        if (!*r) break;
        all.push_back((*q)->get_int(0));
        s.merged.push_back(all.back());
      }
    }
  }
  struct Obs {
    int64_t at, submission;
    std::string form, author, fields;
  };
  std::vector<Obs> obs;
  {
    auto q = c.cached(
        "SELECT o.observed_at, o.submission_id, o.form_id, COALESCE(u.username, ''), o.fields "
        "FROM subject_observations o LEFT JOIN users u ON u.id = o.author_id "
        "WHERE o.subject_id = ? ORDER BY o.submission_id DESC LIMIT 500");
    if (!q) return q.take_error();
    for (int64_t sid : all) {
      (*q)->reset();
      (*q)->bind(1, sid);
      for (;;) {
        auto r = (*q)->step();
        if (!r) return r.take_error();
        if (!*r) break;
        obs.push_back({(*q)->get_int(0), (*q)->get_int(1), (*q)->get_text(2), (*q)->get_text(3),
                       (*q)->get_text(4)});
      }
    }
  }
  std::sort(obs.begin(), obs.end(), [](const Obs& a, const Obs& b) {
    return a.at != b.at ? a.at > b.at : a.submission > b.submission;
  });
  for (const auto& o : obs) {
    Json f = Json::parse(o.fields, nullptr, false);
    if (!f.is_object()) continue;
    for (auto it = f.begin(); it != f.end(); ++it) {
      if (s.fields.count(it.key())) continue;
      FieldValue v;
      v.value = it.value();
      v.submission_id = o.submission;
      v.form_id = o.form;
      v.author = o.author;
      v.at_ms = o.at;
      if (dict) {
        if (const auto* d = dict->find(it.key()); d && d->fresh_days > 0) {
          v.fresh = now_ms - o.at <= int64_t{d->fresh_days} * 86'400'000;
        }
      }
      s.fields.emplace(it.key(), std::move(v));
    }
  }
  return std::optional<Subject>(std::move(s));
}

namespace {
constexpr const char* kPairCols =
    "id, a_id, b_id, score, evidence, status, created_at FROM duplicate_reviews";
DuplicatePair read_pair(db::Stmt& q) {
  DuplicatePair d;
  d.id = q.get_int(0);
  d.a = q.get_int(1);
  d.b = q.get_int(2);
  d.score = q.get_double(3);
  Json e = Json::parse(q.get_text(4), nullptr, false);
  if (e.is_array()) {
    for (const auto& x : e) {
      if (x.is_string()) d.reasons.push_back(x.get<std::string>());
    }
  }
  d.status = q.get_text(5);
  d.created_at_ms = q.get_int(6);
  return d;
}
}  // namespace

Result<std::vector<DuplicatePair>> SubjectRegistry::duplicates(db::Conn& c,
                                                               const std::string& status,
                                                               size_t limit) {
  auto q = c.cached(std::string("SELECT ") + kPairCols + " WHERE status = ? ORDER BY id LIMIT ?");
  if (!q) return q.take_error();
  (*q)->bind(1, status).bind(2, static_cast<int64_t>(limit));
  std::vector<DuplicatePair> out;
  for (;;) {
    auto r = (*q)->step();
    if (!r) return r.take_error();
    if (!*r) break;
    out.push_back(read_pair(**q));
  }
  return out;
}

Result<std::optional<DuplicatePair>> SubjectRegistry::duplicate(db::Conn& c, int64_t id) {
  auto q = c.cached(std::string("SELECT ") + kPairCols + " WHERE id = ?");
  if (!q) return q.take_error();
  (*q)->bind(1, id);
  auto r = (*q)->step();
  if (!r) return r.take_error();
  if (!*r) return std::optional<DuplicatePair>();
  return std::optional<DuplicatePair>(read_pair(**q));
}

Status SubjectRegistry::decide(db::Conn& c, int64_t pair_id, const std::string& decision,
                               int64_t by_user, int64_t now_ms) {
  auto pair = duplicate(c, pair_id);
  if (!pair) return pair.error();
  if (!*pair) {
    return Error::make(ErrorKind::kNotFound, "duplicate_not_found", "找不到这条疑似重复记录",
                       "No such duplicate pair");
  }
  const auto& d = **pair;
  std::string status;
  std::optional<int64_t> from, to;
  if (decision == "merge") {
    if (d.status == "merged") {
      return conflict("这两条记录已经合并", "These two subjects are already merged");
    }
    auto ra = root_of(c, d.a), rb = root_of(c, d.b);
    if (!ra) return ra.error();
    if (!rb) return rb.error();
    if (*ra == *rb)
      return conflict("这两条记录已经是同一人", "Both already resolve to one subject");
    auto q = c.cached("UPDATE subjects SET merged_into = ? WHERE id = ?");
    if (!q) return q.take_error();
    (*q)->bind(1, *ra).bind(2, *rb);
    if (auto st = (*q)->run(); !st) return st;
    status = "merged";
    from = *rb;
    to = *ra;
  } else if (decision == "keep") {
    if (d.status != "open") {
      return conflict("这条记录已经处理过（" + d.status + "）",
                      "Already decided (" + d.status + ")");
    }
    status = "kept";
  } else if (decision == "undo") {
    if (d.status != "merged") {
      return conflict("只有已合并的记录可以撤销合并", "Only a merged pair can be undone");
    }
    auto q = c.cached(
        "UPDATE subjects SET merged_into = NULL WHERE id = (SELECT merged_from FROM "
        "duplicate_reviews WHERE id = ?) AND merged_into = (SELECT merged_to FROM "
        "duplicate_reviews WHERE id = ?)");
    if (!q) return q.take_error();
    (*q)->bind(1, pair_id).bind(2, pair_id);
    if (auto st = (*q)->run(); !st) return st;
    status = "kept";
  } else {
    return Error::make(ErrorKind::kInvalidArgument, "bad_decision", "处理方式应为合并、保留或撤销",
                       "decision must be merge, keep or undo");
  }
  auto q = c.cached(
      "UPDATE duplicate_reviews SET status = ?, decided_by = ?, decided_at = ?, "
      "merged_from = COALESCE(?, merged_from), merged_to = COALESCE(?, merged_to) WHERE id = ?");
  if (!q) return q.take_error();
  (*q)->bind(1, status).bind(2, by_user).bind(3, now_ms).bind(4, from).bind(5, to).bind(6, pair_id);
  return (*q)->run();
}

}  // namespace yb::dedupe
