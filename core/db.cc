#include "core/db.h"

#include <sqlite3.h>

#include <algorithm>
#include <ctime>

#include "core/wal_buffer.h"

namespace yb::db {
namespace {

Error sql_error(sqlite3* db, std::string_view what) {
  std::string msg = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "no database");
  int code = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
  if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return Error::make(ErrorKind::kConflict, "db_conflict", "数据已存在，与现有记录冲突", msg);
  }
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
    return Error::make(ErrorKind::kUnavailable, "db_busy", "系统繁忙，请稍后重试", msg);
  }
  return Error::make(ErrorKind::kInternal, "db_error", "数据库出错，请联系管理员", msg);
}

}  // namespace

// ---- Stmt ----

Stmt::Stmt(Stmt&& o) noexcept
    : db_(o.db_), s_(o.s_), conn_(o.conn_), bind_error_(std::move(o.bind_error_)) {
  o.s_ = nullptr;
}
Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    if (s_) sqlite3_finalize(s_);
    db_ = o.db_;
    s_ = o.s_;
    conn_ = o.conn_;
    bind_error_ = std::move(o.bind_error_);
    o.s_ = nullptr;
  }
  return *this;
}
Stmt::~Stmt() {
  if (s_) sqlite3_finalize(s_);
}

Stmt& Stmt::bind(int i, int64_t v) {
  if (sqlite3_bind_int64(s_, i, v) != SQLITE_OK) bind_error_ = sqlite3_errmsg(db_);
  return *this;
}
Stmt& Stmt::bind(int i, double v) {
  if (sqlite3_bind_double(s_, i, v) != SQLITE_OK) bind_error_ = sqlite3_errmsg(db_);
  return *this;
}
Stmt& Stmt::bind(int i, std::string_view v) {
  if (sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK) {
    bind_error_ = sqlite3_errmsg(db_);
  }
  return *this;
}
Stmt& Stmt::bind_static(int i, std::string_view v) {
  if (sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC) != SQLITE_OK) {
    bind_error_ = sqlite3_errmsg(db_);
  }
  return *this;
}
Stmt& Stmt::bind_static(int i, const std::optional<std::string>& v) {
  return v ? bind_static(i, std::string_view(*v)) : bind(i, std::nullopt);
}
Stmt& Stmt::bind(int i, std::nullopt_t) {
  if (sqlite3_bind_null(s_, i) != SQLITE_OK) bind_error_ = sqlite3_errmsg(db_);
  return *this;
}
Stmt& Stmt::bind(int i, const std::optional<std::string>& v) {
  return v ? bind(i, std::string_view(*v)) : bind(i, std::nullopt);
}
Stmt& Stmt::bind(int i, const std::optional<int64_t>& v) {
  return v ? bind(i, *v) : bind(i, std::nullopt);
}

Result<bool> Stmt::step() {
  if (!bind_error_.empty()) {
    return Error::make(ErrorKind::kInternal, "db_bind", "数据库出错，请联系管理员",
                       "bind failed: " + bind_error_);
  }
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (conn_) conn_->settle();
  if (rc == SQLITE_DONE) return false;
  Error e = sql_error(db_, "step");
  sqlite3_reset(s_);
  return e;
}

Status Stmt::run() {
  for (;;) {
    auto r = step();
    if (!r) return r.take_error();
    if (!*r) return ok_status();
  }
}

void Stmt::reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
  bind_error_.clear();
}

bool Stmt::is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
int64_t Stmt::get_int(int col) const { return sqlite3_column_int64(s_, col); }
double Stmt::get_double(int col) const { return sqlite3_column_double(s_, col); }
std::string Stmt::get_text(int col) const {
  const auto* p = sqlite3_column_text(s_, col);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(s_, col)));
}
std::optional<std::string> Stmt::get_opt_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return get_text(col);
}
std::optional<int64_t> Stmt::get_opt_int(int col) const {
  if (is_null(col)) return std::nullopt;
  return get_int(col);
}

// ---- Conn ----

// The watched tables' counters, and which of them the open transaction has changed.
struct Conn::Watch {
  std::vector<std::pair<std::string, std::atomic<uint64_t>*>> tables;
  std::vector<char> dirty;  // per table
  bool any = false;

  static void on_update(void* self, int op, const char* /*db*/, const char* table,
                        sqlite3_int64 /*rowid*/) {
    if (op == SQLITE_INSERT) return;
    auto* w = static_cast<Watch*>(self);
    for (size_t i = 0; i < w->tables.size(); ++i) {
      if (w->tables[i].first == table) w->dirty[i] = w->any = true;
    }
  }
  static void on_rollback(void* self) {
    auto* w = static_cast<Watch*>(self);
    std::fill(w->dirty.begin(), w->dirty.end(), 0);
    w->any = false;
  }
};

Conn::Conn(sqlite3* db) : db_(db) {}

void Conn::settle() {
  // Committed: the transaction ended (autocommit again) without the rollback hook clearing
  // it. Counted after the commit, so a reader who read the counter first never keeps rows
  // older than the count says.
  if (!watch_ || !watch_->any || !sqlite3_get_autocommit(db_)) return;
  for (size_t i = 0; i < watch_->tables.size(); ++i) {
    if (watch_->dirty[i]) watch_->tables[i].second->fetch_add(1, std::memory_order_release);
    watch_->dirty[i] = 0;
  }
  watch_->any = false;
}

Conn::~Conn() {
  cache_.clear();  // finalize statements before closing
  sqlite3_close_v2(db_);
}

Result<Conn::CachedStmt> Conn::cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    it->second->reset();
    return CachedStmt(it->second.get());
  }
  auto s = prepare(sql);
  if (!s) return s.take_error();
  auto& slot = cache_[std::string(sql)];
  slot = std::make_unique<Stmt>(std::move(*s));
  return CachedStmt(slot.get());
}

Result<Stmt> Conn::prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &s, nullptr) != SQLITE_OK) {
    return sql_error(db_, "prepare");
  }
  return Stmt(db_, s, this);
}

Status Conn::exec_cached(std::string_view sql) {
  auto s = cached(sql);
  if (!s) return s.take_error();
  return (*s)->run();
}

Status Conn::exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  settle();
  if (rc != SQLITE_OK) {
    Error e = sql_error(db_, err ? err : "exec");
    sqlite3_free(err);
    return e;
  }
  return ok_status();
}

Status Conn::sync_database_file() {
  sqlite3_file* f = nullptr;
  if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || !f ||
      !f->pMethods) {
    return sql_error(db_, "file pointer");
  }
  if (f->pMethods->xSync(f, SQLITE_SYNC_NORMAL) != SQLITE_OK) return sql_error(db_, "sync");
  return ok_status();
}

Status Conn::begin() { return exec("BEGIN IMMEDIATE"); }
Status Conn::commit() { return exec("COMMIT"); }
void Conn::rollback() {
  if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  settle();
}
int64_t Conn::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
bool Conn::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }
int Conn::changes() const { return sqlite3_changes(db_); }

// ---- Database ----

Database::Lease::Lease(Database& d) : db(d) {
  std::unique_lock lk(d.mu_);
  d.cv_.wait(lk, [&] { return !d.free_.empty(); });
  conn = std::move(d.free_.back());
  d.free_.pop_back();
}

Database::Lease::~Lease() {
  conn->rollback();  // never hand out a connection inside a transaction
  {
    std::lock_guard lk(db.mu_);
    db.free_.push_back(std::move(conn));
  }
  db.cv_.notify_one();
}

Database::~Database() = default;

Result<std::unique_ptr<Conn>> Database::open_conn() {
  // SQLite's memory statistics (on by default) take a process-wide mutex on every allocation
  // it makes; nothing here reads them. Only settable before SQLite is first used, so a
  // process that used it already keeps them on (the call then fails harmlessly).
  static const bool no_memstatus = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  (void)no_memstatus;
  // The WAL's writes of a commit go out in a few large calls (wal_buffer.h); that relies on
  // synchronous=FULL, set below on every connection.
  const char* vfs = register_wal_buffer_vfs() ? kWalBufferVfs : nullptr;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path_.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, vfs);
  std::unique_ptr<Conn> c(new Conn(raw));
  if (rc != SQLITE_OK) {
    return Error::make(ErrorKind::kInternal, "db_open", "无法打开数据库文件",
                       "cannot open database " + path_ + ": " + sqlite3_errmsg(raw));
  }
  sqlite3_busy_timeout(raw, opts_.busy_timeout_ms);
  sqlite3_extended_result_codes(raw, 1);
  if (!watched_.empty()) {
    c->watch_ = std::make_unique<Conn::Watch>();
    for (auto& w : watched_) c->watch_->tables.emplace_back(w->table, &w->commits);
    c->watch_->dirty.assign(watched_.size(), 0);
    sqlite3_update_hook(raw, &Conn::Watch::on_update, c->watch_.get());
    sqlite3_rollback_hook(raw, &Conn::Watch::on_rollback, c->watch_.get());
  }
  // WAL lets readers run beside the writer; FULL syncs the WAL on every commit so an answered
  // submission survives power loss. No memory map of the file (mmap_size stays 0): every page
  // a connection ever read through it counted in the process's RSS (484 MB draining
  // bench/delivery's backlog, 76 MB without), for no measurable gain under bench/ingest.
  if (auto s = c->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                       "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;");
      !s) {
    return s.take_error();
  }
  return c;
}

Result<std::unique_ptr<Conn>> Database::dedicated() { return open_conn(); }

std::optional<uint64_t> Database::changes_to(std::string_view table) const {
  for (const auto& w : watched_) {
    if (w->table == table) return w->commits.load(std::memory_order_acquire);
  }
  return std::nullopt;
}

Result<std::unique_ptr<Database>> Database::open(const std::string& path, const Options& opts) {
  std::unique_ptr<Database> d(new Database());
  d->path_ = path;
  d->opts_ = opts;
  for (const auto& t : opts.watched_tables) {
    d->watched_.push_back(std::make_unique<Counter>());
    d->watched_.back()->table = t;
  }
  auto first = d->open_conn();
  if (!first) return first.take_error();
  Conn& c = **first;
  if (auto s = c.exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                      "version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
                      "applied_at BIGINT NOT NULL)");
      !s) {
    return s.take_error();
  }
  for (const auto& m : migrations()) {
    if (auto s = c.begin(); !s) return s.take_error();
    auto q = c.prepare("SELECT 1 FROM schema_migrations WHERE version = ?");
    if (!q) return q.take_error();
    q->bind(1, m.version);
    auto have = q->step();
    if (!have) return have.take_error();
    if (*have) {
      c.rollback();
      continue;
    }
    if (auto s = c.exec(m.sql); !s) {
      c.rollback();
      Error e = s.take_error();
      e.message.en = "migration " + std::to_string(m.version) + " failed: " + e.message.en;
      return e;
    }
    auto ins = c.prepare(
        "INSERT INTO schema_migrations (version, description, applied_at) "
        "VALUES (?, ?, ?)");
    if (!ins) return ins.take_error();
    ins->bind(1, m.version)
        .bind(2, m.description)
        .bind(3, static_cast<int64_t>(std::time(nullptr)));
    if (auto s = ins->run(); !s) return s.take_error();
    if (auto s = c.commit(); !s) return s.take_error();
  }
  d->free_.push_back(std::move(*first));
  for (int i = 1; i < std::max(1, opts.pool_size); ++i) {
    auto more = d->open_conn();
    if (!more) return more.take_error();
    d->free_.push_back(std::move(*more));
  }
  return d;
}

int Database::schema_version() {
  return with_conn([](Conn& c) -> int {
    auto q = c.prepare("SELECT MAX(version) FROM schema_migrations");
    if (!q || !q->step().ok()) return 0;
    return static_cast<int>(q->get_int(0));
  });
}

}  // namespace yb::db
