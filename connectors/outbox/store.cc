#include "connectors/outbox/store.h"

namespace yb::connectors {

using Json = nlohmann::json;

ConnectorStore::ConnectorStore(db::Database& db, const ConnectorRegistry& registry,
                               DictionaryProvider dictionary, const Clock& clock)
    : db_(db), registry_(registry), dictionary_(std::move(dictionary)), clock_(clock) {}

Result<Snapshot> ConnectorStore::load() {
  struct Row {
    std::string config, reason;
    bool paused;
    int version;
  };
  auto rows = db_.with_conn([&](db::Conn& c) -> Result<std::vector<Row>> {
    auto q = c.prepare("SELECT config, paused, pause_reason, version FROM connectors ORDER BY id");
    if (!q) return q.take_error();
    std::vector<Row> out;
    for (;;) {
      auto r = q->step();
      if (!r) return r.take_error();
      if (!*r) break;
      out.push_back(
          {q->get_text(0), q->get_text(2), q->get_int(1) != 0, static_cast<int>(q->get_int(3))});
    }
    return out;
  });
  if (!rows) return rows.take_error();
  auto dict = dictionary_ ? dictionary_() : nullptr;
  auto list = std::make_shared<std::vector<ConnectorEntry>>();
  for (const auto& r : *rows) {
    // Stored configs were validated when stored; parse without the dictionary so that a
    // later dictionary change cannot make a stored connector vanish.
    auto parsed = registry_.parse(Json::parse(r.config, nullptr, false), nullptr);
    // A stored config that no longer parses (say, after an upgrade) takes only its own
    // connector out; its deliveries wait in the outbox until an admin saves it again.
    if (!parsed) continue;
    list->push_back({*parsed, r.paused, r.reason, r.version});
  }
  return Snapshot(std::move(list));
}

Result<Snapshot> ConnectorStore::snapshot() {
  const int64_t now = clock_.now_ms();
  uint64_t gen = 0;
  {
    std::lock_guard lk(mu_);
    if (snapshot_ && now - loaded_at_ms_ < kTtlMs) return snapshot_;
    // Only past its time (no change here since): one caller reloads, the others go on with
    // the snapshot they have rather than all parsing every config at once.
    if (snapshot_ && loaded_at_ms_ >= 0 && reloading_) return snapshot_;
    reloading_ = true;
    gen = generation_;
  }
  auto s = load();
  std::lock_guard lk(mu_);
  reloading_ = false;
  if (!s) return s;
  if (gen == generation_) {
    snapshot_ = *s;
    loaded_at_ms_ = now;
  }
  return *s;
}

Result<ConnectorEntry> ConnectorStore::get(const std::string& id) {
  auto s = snapshot();
  if (!s) return s.take_error();
  for (const auto& e : **s) {
    if (e.connector->id == id) return e;
  }
  return Error::make(ErrorKind::kNotFound, "connector_not_found", "找不到接口 " + id,
                     "No connector " + id);
}

Result<ConnectorEntry> ConnectorStore::put(const Json& config) {
  auto dict = dictionary_ ? dictionary_() : nullptr;
  auto parsed = registry_.parse(config, dict.get());
  if (!parsed) return parsed.take_error();
  const ConnectorPtr& c = *parsed;
  const int64_t now = clock_.now_ms();
  auto version = db_.transact<int>([&](db::Conn& conn) -> Result<int> {
    auto q = conn.prepare("SELECT version FROM connectors WHERE id = ?");
    if (!q) return q.take_error();
    q->bind(1, c->id);
    auto r = q->step();
    if (!r) return r.take_error();
    const int v = *r ? static_cast<int>(q->get_int(0)) + 1 : 1;
    auto w = conn.prepare(
        *r ? "UPDATE connectors SET type = ?, config = ?, version = ?, updated_at = ? WHERE id = ?"
           : "INSERT INTO connectors (type, config, version, updated_at, id) VALUES (?, ?, ?, ?, "
             "?)");
    if (!w) return w.take_error();
    w->bind(1, c->type).bind(2, config.dump()).bind(3, v).bind(4, now).bind(5, c->id);
    if (auto s = w->run(); !s) return s.take_error();
    return v;
  });
  if (!version) return version.take_error();
  invalidate();
  return get(c->id);
}

Status ConnectorStore::set_paused(const std::string& id, bool paused, const std::string& reason) {
  auto s = db_.with_conn([&](db::Conn& c) -> Status {
    auto q = c.prepare(
        "UPDATE connectors SET paused = ?, pause_reason = ?, updated_at = ? WHERE id = ?");
    if (!q) return q.take_error();
    q->bind(1, paused ? 1 : 0).bind(2, paused ? reason : "").bind(3, clock_.now_ms()).bind(4, id);
    if (auto st = q->run(); !st) return st;
    if (c.changes() == 0) {
      return Error::make(ErrorKind::kNotFound, "connector_not_found", "找不到接口 " + id,
                         "No connector " + id);
    }
    return ok_status();
  });
  invalidate();
  return s;
}

void ConnectorStore::invalidate() {
  std::lock_guard lk(mu_);
  loaded_at_ms_ = -1;
  ++generation_;
  secrets_.clear();
}

std::optional<std::string> ConnectorStore::secret(const std::string& name) {
  const int64_t now = clock_.now_ms();
  uint64_t gen = 0;
  {
    std::lock_guard lk(mu_);
    auto it = secrets_.find(name);
    if (it != secrets_.end() && now - it->second.second < kTtlMs) return it->second.first;
    gen = generation_;
  }
  auto v = db_.with_conn([&](db::Conn& c) -> std::optional<std::string> {
    auto q = c.cached("SELECT value FROM secrets WHERE name = ?");
    if (!q) return std::nullopt;
    (*q)->bind(1, name);
    auto r = (*q)->step();
    if (!r || !*r) return std::nullopt;
    return (*q)->get_text(0);
  });
  std::lock_guard lk(mu_);
  if (gen == generation_) secrets_[name] = {v, now};
  return v;
}

Status ConnectorStore::put_secret(const std::string& name, const std::string& value) {
  if (name.empty() || name.size() > 64 || value.empty()) {
    return Error::make(ErrorKind::kValidation, "invalid_secret", "密钥名称或内容不能为空",
                       "A secret needs a name (1-64 characters) and a value");
  }
  auto s = db_.with_conn([&](db::Conn& c) -> Status {
    auto q = c.prepare(
        "INSERT INTO secrets (name, value, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = "
        "excluded.updated_at");
    if (!q) return q.take_error();
    q->bind(1, name).bind(2, value).bind(3, clock_.now_ms());
    return q->run();
  });
  invalidate();  // after the write: a read racing with it cannot re-cache the old value
  return s;
}

std::vector<std::string> ConnectorStore::missing_secrets(const Connector& c) {
  std::vector<std::string> names, out;
  if (const auto* a = c.auth(); a && a->type != "none" && !a->secret.empty())
    names.push_back(a->secret);
  if (auto s = c.signing_secret_name(); !s.empty()) names.push_back(s);
  for (const auto& n : names) {
    if (!secret(n)) out.push_back(n);
  }
  return out;
}

}  // namespace yb::connectors
