// The subject registry: persons and households assembled from stored submissions.
//
// Storage (migration 3): `subjects` holds one row per person or household with its normalised
// identity (ID number, name key, birth date, sex, phone, village) for matching;
// `subject_observations` holds, per subject and submission, the values that submission gave
// (keyed by dictionary field) with provenance (submission, form, author, time). A field's
// current value is the newest observation of it, computed when a subject is read — so ingest
// only appends, a later submission about the same person supersedes earlier values, and a merge
// (subjects.merged_into) or its undo changes no observation. Freshness comes from the
// dictionary (DictionaryField::fresh_days, 0 = forever).
//
// Writes take the caller's connection inside the writer's transaction (intake calls
// record_submission from the submission's own writer job). Reads use any connection.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/db.h"
#include "core/result.h"
#include "dedupe/match.h"
#include "forms/forms.h"

namespace yb::dedupe {

using Json = nlohmann::json;

struct Provenance {
  int64_t submission_id = 0;
  std::string form_id;
  int64_t author_id = 0;
  int64_t at_ms = 0;
  std::string org_code;  // the submission's village
};

// How a person in a submission was linked.
struct Linked {
  int64_t subject_id = 0;
  std::string kind;       // "person" or "household"
  std::string role;       // "main", "member", "household"
  std::string how;        // "id" (ID number), "auto" (score), "review" (new + queued), "new"
  int64_t candidate = 0;  // review: the existing subject it may duplicate
};

struct Candidate {
  int64_t subject_id = 0;
  Identity who;
  Score score;
};

// One stored subject, resolved through merges, with its current fields.
struct FieldValue {
  Json value;
  int64_t submission_id = 0;
  std::string form_id;
  std::string author;  // username
  int64_t at_ms = 0;
  bool fresh = true;
};
struct Subject {
  int64_t id = 0;  // the root (not merged into anything)
  std::string kind;
  Identity who;
  std::vector<int64_t> merged;  // subjects merged into this one
  std::map<std::string, FieldValue> fields;
};

// A person as the village list shows them, with their household (if any).
struct Resident {
  int64_t id = 0;
  Identity who;
  int64_t household_id = 0;
  std::string household_name;  // the household's name (its head's)
  int64_t head_id = 0;         // the household's head
};

struct DuplicatePair {
  int64_t id = 0;
  int64_t a = 0, b = 0;  // a existed first; b is the later one
  double score = 0;
  std::vector<std::string> reasons;
  std::string status;  // "open", "merged", "kept"
  int64_t created_at_ms = 0;
};

// What a validated answer says about its persons and household, normalised (OpenCC and all),
// ready to record. Computed outside the writer thread so that the writer only runs SQL.
struct SubjectPlan {
  bool has_main = false;
  Identity main;
  std::string main_fields;  // JSON object keyed by dictionary field
  bool has_household = false;
  Identity household;
  std::string household_fields;
  std::vector<std::pair<Identity, std::string>> members;  // identity, fields JSON
};
// The main person = top-level person.* fields (needs person.name or person.id_number); the
// household = top-level household.* fields, headed by the main person; members = items of a
// repeat group holding person.name. Pure.
SubjectPlan plan_subjects(const forms::Form& form, const Json& values, const std::string& org_code);

class SubjectRegistry {
 public:
  explicit SubjectRegistry(Thresholds t = {}) : t_(t) {}

  // Records every person (the main one and household members) and the household a validated
  // answer describes. Forms without person.name / person.id_number at the top level record
  // members only (or nothing). Call inside the writer's transaction.
  Result<std::vector<Linked>> record_submission(db::Conn& c, const forms::Form& form,
                                                const Json& values, const Provenance& p);
  // The same from a plan made beforehand (intake plans in the request thread).
  Result<std::vector<Linked>> record(db::Conn& c, const SubjectPlan& plan, const Provenance& p);

  // Links one person: by valid ID number, else by score within the block; writes the
  // observation. `fields` is keyed by dictionary key.
  Result<Linked> observe_person(db::Conn& c, const Identity& who, const std::string& fields_json,
                                const Provenance& p, const std::string& role);

  // observe_person without the observation: matching, linking and the review queue only (the
  // synthetic evaluation and the benchmark use it; no submission row needed).
  Result<Linked> link_person(db::Conn& c, const Identity& who, const Provenance& p,
                             const std::string& role);

  // Stores a person as given, without matching (bulk import of a trusted register, benchmarks).
  Result<int64_t> add_person(db::Conn& c, const Identity& who, const Provenance& p) {
    return insert_subject(c, "person", who, p, 0);
  }

  // Candidates for a probe, best first, without writing: the exact ID number, valid numbers
  // one slip from an invalid one, and persons in the block sharing name key, birth date or
  // phone. Merged subjects are resolved to their root.
  // `exact_checked`: the caller already looked the valid ID number up and found nothing.
  Result<std::vector<Candidate>> candidates(db::Conn& c, const Identity& probe, size_t limit = 10,
                                            bool exact_checked = false);

  // The subject holding this canonical ID number (resolved through merges).
  Result<std::optional<int64_t>> find_by_id_number(db::Conn& c, const std::string& id_number);
  // Persons whose name key starts with `key`, at most `limit`, roots only.
  Result<std::vector<std::pair<int64_t, Identity>>> search_name(db::Conn& c, const std::string& key,
                                                                size_t limit);
  // Persons (roots) of the villages `orgs` (empty: every village), by name key then id;
  // `key_prefix` (a name key prefix) narrows them. At most 999 villages.
  Result<std::vector<Resident>> residents(db::Conn& c, const std::vector<std::string>& orgs,
                                          const std::string& key_prefix, size_t offset,
                                          size_t limit);
  // One person as a Resident (nullopt when unknown or not a person).
  Result<std::optional<Resident>> resident(db::Conn& c, int64_t id);
  // A subject with its current fields; `dict` decides freshness (null: all fresh). Reads the
  // newest 500 observations of each merged part (a field stated only before those is not shown).
  Result<std::optional<Subject>> load(db::Conn& c, int64_t id, const forms::Dictionary* dict,
                                      int64_t now_ms);

  // The review queue.
  Result<std::vector<DuplicatePair>> duplicates(db::Conn& c, const std::string& status,
                                                size_t limit);
  Result<std::optional<DuplicatePair>> duplicate(db::Conn& c, int64_t id);
  // Decisions (writer transaction). merge: b.merged_into = a; keep: remembered as separate;
  // undo: a merge reverted, the pair remembered as separate. kConflict when the pair's state
  // does not allow the step.
  Status decide(db::Conn& c, int64_t pair_id, const std::string& decision, int64_t by_user,
                int64_t now_ms);

 private:
  Result<int64_t> root_of(db::Conn& c, int64_t id);
  Result<std::optional<Identity>> identity_of(db::Conn& c, int64_t id, int64_t* household);
  Result<int64_t> insert_subject(db::Conn& c, const std::string& kind, const Identity& who,
                                 const Provenance& p, int64_t head_id);
  Status update_identity(db::Conn& c, int64_t id, const Identity& who, int64_t at_ms);
  Status add_observation(db::Conn& c, int64_t subject, const Provenance& p, const std::string& role,
                         const std::string& fields_json);
  Status queue_review(db::Conn& c, int64_t a, int64_t b, const Score& s, int64_t now_ms);
  Thresholds t_;
};

}  // namespace yb::dedupe
