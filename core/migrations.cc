// The schema, as versioned migrations. DDL is the only dialect-specific SQL in the project: a
// PostgreSQL backend carries its own copy of this list (INTEGER PRIMARY KEY -> BIGINT
// GENERATED ALWAYS AS IDENTITY); queries elsewhere stay in the common subset.
#include "core/db.h"

namespace yb::db {

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "org units, users, sessions, dictionary, forms, submissions", R"sql(
CREATE TABLE org_units (
  code        TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  parent_code TEXT REFERENCES org_units(code),
  level       TEXT NOT NULL
);
CREATE INDEX org_units_parent ON org_units(parent_code);

CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  username      TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role          TEXT NOT NULL,
  org_code      TEXT REFERENCES org_units(code),
  display_name  TEXT NOT NULL DEFAULT '',
  disabled      INTEGER NOT NULL DEFAULT 0,
  created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
  token_hash   TEXT PRIMARY KEY,
  user_id      INTEGER NOT NULL REFERENCES users(id),
  created_at   BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE dictionary_versions (
  version    INTEGER PRIMARY KEY,
  definition TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE forms (
  id                 TEXT NOT NULL,
  version            INTEGER NOT NULL,
  status             TEXT NOT NULL,
  dictionary_version INTEGER NOT NULL REFERENCES dictionary_versions(version),
  definition         TEXT NOT NULL,
  created_at         BIGINT NOT NULL,
  PRIMARY KEY (id, version)
);

CREATE TABLE submissions (
  id            INTEGER PRIMARY KEY,
  author_id     INTEGER NOT NULL REFERENCES users(id),
  client_id     TEXT NOT NULL,
  form_id       TEXT NOT NULL,
  form_version  INTEGER NOT NULL,
  org_code      TEXT NOT NULL REFERENCES org_units(code),
  content_hash  TEXT NOT NULL,
  values_json   TEXT NOT NULL,
  received_at   BIGINT NOT NULL,
  supersedes_id INTEGER REFERENCES submissions(id),
  UNIQUE (author_id, client_id),
  FOREIGN KEY (form_id, form_version) REFERENCES forms(id, version)
);
CREATE INDEX submissions_org ON submissions(org_code, received_at);
)sql"},
  };
  return kMigrations;
}

}  // namespace yb::db
