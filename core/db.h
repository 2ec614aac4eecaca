// The one thin storage layer. All SQL in the project goes through Conn/Stmt. SQL is kept to the
// common subset of SQLite and PostgreSQL: `?` placeholders, INTEGER/BIGINT/TEXT/DOUBLE
// columns, no vendor-only functions in domain code. sqlite3.h stays inside db.cc.
//
// Threading: a Conn is used by one thread at a time. Database hands out pooled connections;
// SQLite runs in WAL mode so readers never block the single writer.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace yb::db {

class Conn;

class Stmt {
 public:
  Stmt(Stmt&& o) noexcept;
  Stmt& operator=(Stmt&& o) noexcept;
  Stmt(const Stmt&) = delete;
  ~Stmt();

  // Binding is 1-based, like SQL placeholders. Each returns *this for chaining.
  Stmt& bind(int i, int64_t v);
  Stmt& bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
  Stmt& bind(int i, double v);
  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, std::nullopt_t);
  Stmt& bind(int i, const std::optional<std::string>& v);
  Stmt& bind(int i, const std::optional<int64_t>& v);
  // Text SQLite reads where it is, not copied first (hot paths with long values). REQUIRES: v
  // stays valid until the statement is reset (a cached lease's end) or destroyed.
  Stmt& bind_static(int i, std::string_view v);
  Stmt& bind_static(int i, const std::string& v) { return bind_static(i, std::string_view(v)); }
  Stmt& bind_static(int i, const std::optional<std::string>& v);

  // Advances; true when a row is available, false when done. Errors (constraint violations,
  // I/O) come back as kInternal, or kConflict for UNIQUE violations.
  Result<bool> step();
  // Runs to completion, for statements without rows.
  Status run();
  void reset();  // clears bindings too

  bool is_null(int col) const;  // 0-based columns
  int64_t get_int(int col) const;
  double get_double(int col) const;
  std::string get_text(int col) const;
  std::optional<std::string> get_opt_text(int col) const;
  std::optional<int64_t> get_opt_int(int col) const;

 private:
  friend class Conn;
  Stmt(sqlite3* db, sqlite3_stmt* s, Conn* conn) : db_(db), s_(s), conn_(conn) {}
  sqlite3* db_ = nullptr;
  sqlite3_stmt* s_ = nullptr;
  Conn* conn_ = nullptr;  // told when a statement may have committed
  std::string bind_error_;
};

class Conn {
 public:
  ~Conn();
  Conn(const Conn&) = delete;
  // Prepares one statement. Keep it around on hot paths; it is reusable after reset().
  Result<Stmt> prepare(std::string_view sql);
  // A statement prepared once per connection and reused, for hot paths. The lease resets it
  // (ending any read it holds open) when it goes out of scope; do not hold two leases of the
  // same SQL text at once.
  class CachedStmt {
   public:
    explicit CachedStmt(Stmt* s) : s_(s) {}
    CachedStmt(CachedStmt&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
    CachedStmt(const CachedStmt&) = delete;
    ~CachedStmt() {
      if (s_) s_->reset();
    }
    Stmt* operator->() const { return s_; }
    Stmt& operator*() const { return *s_; }

   private:
    Stmt* s_;
  };
  Result<CachedStmt> cached(std::string_view sql);
  // Runs a cached statement without parameters or rows (SAVEPOINT, RELEASE ...).
  Status exec_cached(std::string_view sql);
  // Runs a script of statements without parameters (migrations).
  Status exec(std::string_view sql);
  // Flushes what was written to the database file (not the WAL) to disk, as a checkpoint that
  // reaches the end of the WAL would; SQLite's own handle, so its file locks stay untouched.
  Status sync_database_file();
  Status begin();  // BEGIN IMMEDIATE: takes the write lock up front
  Status commit();
  void rollback();
  int64_t last_insert_id() const;
  // False after COMMIT/ROLLBACK, and after SQLite itself rolled a transaction back (some I/O
  // and out-of-memory errors do).
  bool in_transaction() const;
  int changes() const;

 private:
  friend class Database;
  friend class Stmt;
  struct Watch;
  explicit Conn(sqlite3* db);
  // After each statement: a transaction that changed watched rows and has now committed is
  // counted (Database::changes_to).
  void settle();
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::unique_ptr<Stmt>, SqlHash, std::equal_to<>> cache_;
  sqlite3* db_;
  std::unique_ptr<Watch> watch_;  // null: this database watches no table
};

struct Options {
  int busy_timeout_ms = 5000;
  int pool_size = 4;  // read/write connections handed out by with_conn()
  // Tables whose committed updates and deletes are counted (Database::changes_to).
  std::vector<std::string> watched_tables;
};

// A database file with a pool of connections. Thread-safe.
class Database {
 public:
  // Opens (creating if needed) the file, sets WAL, synchronous=FULL, foreign_keys=ON and the
  // busy timeout on every connection, and applies pending migrations.
  static Result<std::unique_ptr<Database>> open(const std::string& path, const Options& opts);
  ~Database();

  // Runs fn with a connection from the pool; blocks while all are in use.
  template <typename F>
  auto with_conn(F&& fn) {
    Lease l(*this);
    return fn(*l.conn);
  }
  // Runs fn inside BEGIN IMMEDIATE ... COMMIT; rolls back when fn's Result is not ok.
  template <typename T>
  Result<T> transact(const std::function<Result<T>(Conn&)>& fn) {
    Lease l(*this);
    if (auto s = l.conn->begin(); !s) return s.take_error();
    auto r = fn(*l.conn);
    if (!r) {
      l.conn->rollback();
      return r;
    }
    if (auto s = l.conn->commit(); !s) {
      l.conn->rollback();
      return s.take_error();
    }
    return r;
  }
  // A dedicated connection outside the pool (e.g. for a writer thread).
  Result<std::unique_ptr<Conn>> dedicated();
  int schema_version();
  const std::string& path() const { return path_; }
  // How many transactions that updated or deleted rows of `table` have committed through this
  // Database (inserts are not counted); nullopt unless the table is in
  // Options::watched_tables. Read it BEFORE reading rows: while it has not moved since, those
  // rows are still what is stored, and a copy of them can stand in for reading them again.
  // (Not seen: a DELETE without WHERE that SQLite runs as a truncation. Do not use one on a
  // watched table.)
  std::optional<uint64_t> changes_to(std::string_view table) const;

 private:
  struct Lease {
    explicit Lease(Database& d);
    ~Lease();
    Database& db;
    std::unique_ptr<Conn> conn;
  };
  Database() = default;
  Result<std::unique_ptr<Conn>> open_conn();
  struct Counter {
    std::string table;
    std::atomic<uint64_t> commits{0};
  };
  std::vector<std::unique_ptr<Counter>> watched_;  // fixed at open()
  std::string path_;
  Options opts_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> free_;  // GUARDED_BY(mu_)
};

// Migrations, in order. Each runs once, in a transaction, recorded in schema_migrations.
struct Migration {
  int version;
  const char* description;
  const char* sql;
};
const std::vector<Migration>& migrations();

}  // namespace yb::db
