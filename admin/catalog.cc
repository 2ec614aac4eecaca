#include "admin/catalog.h"

namespace yb::admin {
namespace {

Error not_found_form(const std::string& id) {
  return Error::make(ErrorKind::kNotFound, "form_not_found",
                     "找不到表单 " + id + "，或它还没有发布", "No published form " + id);
}

const char* status_name(forms::FormStatus s) {
  switch (s) {
    case forms::FormStatus::kDraft:
      return "draft";
    case forms::FormStatus::kPublished:
      return "published";
    case forms::FormStatus::kClosed:
      return "closed";
  }
  return "draft";
}

forms::FormStatus status_from(const std::string& s) {
  if (s == "published") return forms::FormStatus::kPublished;
  if (s == "closed") return forms::FormStatus::kClosed;
  return forms::FormStatus::kDraft;
}

}  // namespace

Result<int> Catalog::put_dictionary(const forms::Json& def) {
  auto parsed = forms::parse_dictionary(def);
  if (!parsed) return parsed.take_error();
  auto version = db_.transact<int>([&](db::Conn& c) -> Result<int> {
    auto q = c.prepare("SELECT COALESCE(MAX(version), 0) FROM dictionary_versions");
    if (!q) return q.take_error();
    if (auto r = q->step(); !r) return r.take_error();
    int v = static_cast<int>(q->get_int(0)) + 1;
    auto ins = c.prepare(
        "INSERT INTO dictionary_versions (version, definition, created_at) VALUES (?, ?, ?)");
    if (!ins) return ins.take_error();
    ins->bind(1, v).bind(2, def.dump()).bind(3, clock_.now_s());
    if (auto s = ins->run(); !s) return s.take_error();
    return v;
  });
  if (!version) return version;
  std::lock_guard lk(mu_);
  dicts_[*version] = std::make_shared<const forms::Dictionary>(std::move(*parsed));
  return version;
}

Result<std::shared_ptr<const forms::Dictionary>> Catalog::dictionary_version(int version) {
  {
    std::lock_guard lk(mu_);
    if (auto it = dicts_.find(version); it != dicts_.end()) return it->second;
  }
  auto def = db_.with_conn([&](db::Conn& c) -> Result<std::string> {
    auto q = c.prepare("SELECT definition FROM dictionary_versions WHERE version = ?");
    if (!q) return q.take_error();
    q->bind(1, version);
    auto r = q->step();
    if (!r) return r.take_error();
    if (!*r) {
      return Error::make(ErrorKind::kNotFound, "dictionary_not_found", "还没有字段字典",
                         "No field dictionary yet");
    }
    return q->get_text(0);
  });
  if (!def) return def.take_error();
  auto parsed = forms::parse_dictionary(forms::Json::parse(*def, nullptr, false));
  if (!parsed) return parsed.take_error();
  auto p = std::make_shared<const forms::Dictionary>(std::move(*parsed));
  std::lock_guard lk(mu_);
  dicts_[version] = p;
  return p;
}

Result<std::shared_ptr<const forms::Dictionary>> Catalog::dictionary() {
  auto v = db_.with_conn([&](db::Conn& c) -> Result<int> {
    auto q = c.prepare("SELECT COALESCE(MAX(version), 0) FROM dictionary_versions");
    if (!q) return q.take_error();
    if (auto r = q->step(); !r) return r.take_error();
    return static_cast<int>(q->get_int(0));
  });
  if (!v) return v.take_error();
  return dictionary_version(*v);
}

Result<FormPtr> Catalog::put_form(const forms::Json& def, forms::FormStatus status) {
  auto dict = dictionary();
  if (!dict) return dict.take_error();
  auto dict_version = db_.with_conn([&](db::Conn& c) -> int {
    auto q = c.prepare("SELECT COALESCE(MAX(version), 0) FROM dictionary_versions");
    return q && q->step().ok() ? static_cast<int>(q->get_int(0)) : 0;
  });
  auto parsed = forms::parse_form(def, **dict);
  if (!parsed) return parsed.take_error();
  forms::Form form = std::move(*parsed);
  auto version = db_.transact<int>([&](db::Conn& c) -> Result<int> {
    auto q = c.prepare("SELECT COALESCE(MAX(version), 0) FROM forms WHERE id = ?");
    if (!q) return q.take_error();
    q->bind(1, form.id);
    if (auto r = q->step(); !r) return r.take_error();
    int v = static_cast<int>(q->get_int(0)) + 1;
    auto ins = c.prepare(
        "INSERT INTO forms (id, version, status, dictionary_version, definition, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)");
    if (!ins) return ins.take_error();
    ins->bind(1, form.id).bind(2, v).bind(3, status_name(status)).bind(4, dict_version);
    ins->bind(5, def.dump()).bind(6, clock_.now_s());
    if (auto s = ins->run(); !s) return s.take_error();
    return v;
  });
  if (!version) return version.take_error();
  form.version = *version;
  form.status = status;
  auto p = std::make_shared<const forms::Form>(std::move(form));
  std::lock_guard lk(mu_);
  forms_[{p->id, p->version}] = p;
  published_at_ms_ = -1;
  return p;
}

Result<FormPtr> Catalog::load_form(const std::string& id, int version, const std::string& status,
                                   int dict_version, const std::string& definition) {
  {
    std::lock_guard lk(mu_);
    auto it = forms_.find({id, version});
    if (it != forms_.end() && it->second->status == status_from(status)) return it->second;
  }
  auto dict = dictionary_version(dict_version);
  if (!dict) return dict.take_error();
  auto parsed = forms::parse_form(forms::Json::parse(definition, nullptr, false), **dict);
  if (!parsed) return parsed.take_error();
  parsed->version = version;
  parsed->status = status_from(status);
  auto p = std::make_shared<const forms::Form>(std::move(*parsed));
  std::lock_guard lk(mu_);
  forms_[{id, version}] = p;
  return p;
}

Result<std::vector<FormPtr>> Catalog::published_forms() {
  const int64_t now = clock_.now_ms();
  {
    std::lock_guard lk(mu_);
    if (published_at_ms_ >= 0 && now - published_at_ms_ < kPublishedTtlMs) return published_;
  }
  struct Row {
    std::string id, status, def;
    int version, dict;
  };
  auto rows = db_.with_conn([&](db::Conn& c) -> Result<std::vector<Row>> {
    auto q = c.prepare(
        "SELECT f.id, f.version, f.status, f.dictionary_version, f.definition FROM forms f "
        "WHERE f.status = 'published' AND f.version = (SELECT MAX(g.version) FROM forms g "
        "WHERE g.id = f.id AND g.status = 'published') ORDER BY f.id");
    if (!q) return q.take_error();
    std::vector<Row> out;
    for (;;) {
      auto r = q->step();
      if (!r) return r.take_error();
      if (!*r) break;
      out.push_back({q->get_text(0), q->get_text(2), q->get_text(4),
                     static_cast<int>(q->get_int(1)), static_cast<int>(q->get_int(3))});
    }
    return out;
  });
  if (!rows) return rows.take_error();
  std::vector<FormPtr> out;
  for (const auto& r : *rows) {
    auto f = load_form(r.id, r.version, r.status, r.dict, r.def);
    if (!f) return f.take_error();
    out.push_back(*f);
  }
  std::lock_guard lk(mu_);
  published_ = out;
  published_at_ms_ = now;
  return out;
}

Result<FormPtr> Catalog::published_form(const std::string& id) {
  // The hot path of every submission: answer from the cache of published forms.
  auto all = published_forms();
  if (!all) return all.take_error();
  for (const auto& f : *all) {
    if (f->id == id) return f;
  }
  return not_found_form(id);
}

Result<FormPtr> Catalog::form_version(const std::string& id, int version) {
  struct Row {
    std::string status, def;
    int dict;
  };
  auto row = db_.with_conn([&](db::Conn& c) -> Result<Row> {
    auto q = c.prepare(
        "SELECT status, dictionary_version, definition FROM forms WHERE id = ? AND version = ?");
    if (!q) return q.take_error();
    q->bind(1, id).bind(2, version);
    auto r = q->step();
    if (!r) return r.take_error();
    if (!*r) return not_found_form(id);
    return Row{q->get_text(0), q->get_text(2), static_cast<int>(q->get_int(1))};
  });
  if (!row) return row.take_error();
  return load_form(id, version, row->status, row->dict, row->def);
}

void Catalog::forget_form(const std::string& id) {
  std::lock_guard lk(mu_);
  for (auto it = forms_.begin(); it != forms_.end();) {
    it = it->first.first == id ? forms_.erase(it) : std::next(it);
  }
  published_at_ms_ = -1;
}

}  // namespace yb::admin
