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
      {2, "connectors, secrets, the delivery outbox, attempts, upstream record ids", R"sql(
CREATE TABLE connectors (
  id           TEXT PRIMARY KEY,
  type         TEXT NOT NULL,
  config       TEXT NOT NULL,
  paused       INTEGER NOT NULL DEFAULT 0,
  pause_reason TEXT NOT NULL DEFAULT '',
  version      INTEGER NOT NULL,
  updated_at   BIGINT NOT NULL
);

CREATE TABLE secrets (
  name       TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE deliveries (
  seq             INTEGER PRIMARY KEY,
  id              TEXT NOT NULL UNIQUE,
  submission_id   INTEGER NOT NULL REFERENCES submissions(id),
  connector_id    TEXT NOT NULL REFERENCES connectors(id),
  org_code        TEXT NOT NULL,
  subject_key     TEXT NOT NULL DEFAULT '',
  status          TEXT NOT NULL,
  payload         TEXT,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  lease_until     BIGINT NOT NULL DEFAULT 0,
  last_error      TEXT NOT NULL DEFAULT '',
  upstream_id     TEXT,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  UNIQUE (submission_id, connector_id)
);
-- Unfinished work only (partial indexes, in SQLite and PostgreSQL alike): claims walk it in
-- seq order and stop at their LIMIT, however many deliveries are already done.
CREATE INDEX deliveries_work ON deliveries(connector_id, seq)
  WHERE status IN ('pending', 'retrying', 'sending');
CREATE INDEX deliveries_subject_work ON deliveries(connector_id, subject_key, seq)
  WHERE status IN ('pending', 'retrying', 'sending');

CREATE TABLE delivery_attempts (
  id               INTEGER PRIMARY KEY,
  delivery_id      TEXT NOT NULL REFERENCES deliveries(id),
  attempt          INTEGER NOT NULL,
  started_at       BIGINT NOT NULL,
  duration_ms      INTEGER NOT NULL,
  http_status      INTEGER NOT NULL,
  error            TEXT NOT NULL,
  response_excerpt TEXT NOT NULL
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery_id);

CREATE TABLE upstream_records (
  connector_id TEXT NOT NULL REFERENCES connectors(id),
  subject_key  TEXT NOT NULL,
  upstream_id  TEXT NOT NULL,
  updated_at   BIGINT NOT NULL,
  PRIMARY KEY (connector_id, subject_key)
);
)sql"},
      {3, "subject registry: persons, households, observations, duplicate review", R"sql(
CREATE TABLE subjects (
  id           INTEGER PRIMARY KEY,
  kind         TEXT NOT NULL,
  id_number    TEXT UNIQUE,
  id_typed     TEXT,
  name         TEXT NOT NULL DEFAULT '',
  name_key     TEXT NOT NULL DEFAULT '',
  birth_date   TEXT,
  sex          TEXT,
  phone        TEXT,
  org_code     TEXT NOT NULL,
  block        TEXT NOT NULL,
  household_id INTEGER REFERENCES subjects(id),
  head_id      INTEGER REFERENCES subjects(id),
  merged_into  INTEGER REFERENCES subjects(id),
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL
);
-- Matching blocks. id_number last: a probe with a valid number looks only among persons
-- stored without one (id_number IS NULL), which these indexes answer directly.
CREATE INDEX subjects_name ON subjects(block, name_key, id_number);
CREATE INDEX subjects_name_key ON subjects(name_key);
CREATE INDEX subjects_birth ON subjects(block, birth_date, id_number);
CREATE INDEX subjects_phone ON subjects(phone, id_number) WHERE phone IS NOT NULL;
CREATE INDEX subjects_id_typed ON subjects(id_typed) WHERE id_typed IS NOT NULL;
CREATE INDEX subjects_head ON subjects(head_id) WHERE head_id IS NOT NULL;
CREATE INDEX subjects_merged ON subjects(merged_into) WHERE merged_into IS NOT NULL;

CREATE TABLE subject_observations (
  subject_id    INTEGER NOT NULL REFERENCES subjects(id),
  submission_id INTEGER NOT NULL REFERENCES submissions(id),
  role          TEXT NOT NULL,
  form_id       TEXT NOT NULL,
  author_id     INTEGER NOT NULL REFERENCES users(id),
  observed_at   BIGINT NOT NULL,
  fields        TEXT NOT NULL,
  PRIMARY KEY (subject_id, submission_id, role)
);

CREATE TABLE duplicate_reviews (
  id          INTEGER PRIMARY KEY,
  a_id        INTEGER NOT NULL REFERENCES subjects(id),
  b_id        INTEGER NOT NULL REFERENCES subjects(id),
  score       DOUBLE PRECISION NOT NULL,
  evidence    TEXT NOT NULL,
  status      TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  decided_by  INTEGER REFERENCES users(id),
  decided_at  BIGINT,
  merged_from INTEGER REFERENCES subjects(id),
  merged_to   INTEGER REFERENCES subjects(id),
  UNIQUE (a_id, b_id)
);
CREATE INDEX duplicate_reviews_status ON duplicate_reviews(status, id);
)sql"},
      {4, "assisted entry: how a submission was collected (channel, paper form reference)", R"sql(
ALTER TABLE submissions ADD COLUMN channel TEXT NOT NULL DEFAULT '';
ALTER TABLE submissions ADD COLUMN paper_ref TEXT NOT NULL DEFAULT '';
)sql"},
      {5, "audit log (append-only, hash-chained), its prune anchor, upstream host allowlist", R"sql(
CREATE TABLE audit_log (
  seq         INTEGER PRIMARY KEY,
  at_ms       BIGINT NOT NULL,
  actor       TEXT NOT NULL,
  actor_role  TEXT NOT NULL,
  action      TEXT NOT NULL,
  target      TEXT NOT NULL,
  remote_addr TEXT NOT NULL,
  result      TEXT NOT NULL,
  detail      TEXT NOT NULL,
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at_ms);

-- After a retention prune: the first kept record and the hash it chains to.
CREATE TABLE audit_anchor (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  next_seq  BIGINT NOT NULL,
  prev_hash TEXT NOT NULL
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN OLD.seq >= COALESCE((SELECT next_seq FROM audit_anchor WHERE id = 1), 0)
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only; only records before the prune anchor go'); END;
CREATE TRIGGER audit_anchor_forward BEFORE UPDATE ON audit_anchor
WHEN NEW.next_seq < OLD.next_seq
BEGIN SELECT RAISE(ABORT, 'the audit anchor only moves forward'); END;
CREATE TRIGGER audit_anchor_no_delete BEFORE DELETE ON audit_anchor
BEGIN SELECT RAISE(ABORT, 'the audit anchor stays'); END;

CREATE TABLE upstream_hosts (
  host       TEXT PRIMARY KEY,
  added_by   TEXT NOT NULL,
  added_at   BIGINT NOT NULL
);
)sql"},
      {6, "burden accounting per submission", R"sql(
CREATE TABLE submission_burden (
  submission_id INTEGER PRIMARY KEY REFERENCES submissions(id),
  typed         INTEGER NOT NULL,
  prefilled     INTEGER NOT NULL,
  delivered     INTEGER NOT NULL,
  systems       INTEGER NOT NULL
);
)sql"},
      {7, "village lists of subjects, corrections (superseded submissions)", R"sql(
CREATE INDEX subjects_org ON subjects(org_code, kind, name_key, id) WHERE merged_into IS NULL;
CREATE INDEX submissions_supersedes ON submissions(supersedes_id)
  WHERE supersedes_id IS NOT NULL;
)sql"},
      {8, "upstream systems' own forms, registered by field list and mapped onto the dictionary",
       R"sql(
CREATE TABLE upstream_forms (
  id         TEXT PRIMARY KEY,
  definition TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
)sql"},
      {10, "delivery work indexes without an IN list", R"sql(
-- The same partial indexes, their condition spelt as ORs: SQLite evaluates a three-value IN list
-- by building a temporary table, and did so twice on every delivery inserted or changed. A
-- query uses these indexes when it states the condition in exactly these words.
DROP INDEX deliveries_work;
DROP INDEX deliveries_subject_work;
CREATE INDEX deliveries_work ON deliveries(connector_id, seq)
  WHERE status = 'pending' OR status = 'retrying' OR status = 'sending';
CREATE INDEX deliveries_subject_work ON deliveries(connector_id, subject_key, seq)
  WHERE status = 'pending' OR status = 'retrying' OR status = 'sending';
)sql"},
      {11, "the per-person index holds only deliveries already tried", R"sql(
-- A delivery waits behind an earlier unfinished one for the same person. Pending deliveries
-- are always due, so the claim finds the earlier pending ones in its own window of the oldest
-- due work; this index need only hold those already tried (in backoff or in flight). A new
-- answer's deliveries, all pending, no longer write to it: a random page for each of them.
DROP INDEX deliveries_subject_work;
CREATE INDEX deliveries_subject_work ON deliveries(connector_id, subject_key, seq)
  WHERE status = 'retrying' OR status = 'sending';
)sql"},
  };
  return kMigrations;
}

}  // namespace yb::db
