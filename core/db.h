// The one thin storage layer. All SQL in the project goes through Conn/Stmt. SQL is kept to the
// common subset of SQLite and PostgreSQL: `?` placeholders, INTEGER/BIGINT/TEXT/DOUBLE
// columns, no vendor-only functions in domain code. sqlite3.h stays inside db.cc.
//
// Threading: a Conn is used by one thread at a time. Database hands out pooled connections;
// SQLite runs in WAL mode so readers never block the single writer.
#pragma once

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
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  sqlite3* db_ = nullptr;
  sqlite3_stmt* s_ = nullptr;
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
  explicit Conn(sqlite3* db) : db_(db) {}
  std::unordered_map<std::string, std::unique_ptr<Stmt>> cache_;
  sqlite3* db_;
};

struct Options {
  int busy_timeout_ms = 5000;
  int pool_size = 4;  // read/write connections handed out by with_conn()
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

 private:
  struct Lease {
    explicit Lease(Database& d);
    ~Lease();
    Database& db;
    std::unique_ptr<Conn> conn;
  };
  Database() = default;
  Result<std::unique_ptr<Conn>> open_conn();
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
