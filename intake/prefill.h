// Prefill: what the subject registry already knows about a person (and their household),
// laid out as the answers of one form, with where and when each value came from and whether
// it is still fresh (docs/dedupe.md "Prefill").
//
// The form's top-level person.* fields come from the person, household.* fields from the
// household the person heads or belongs to, and a repeat group of persons (household
// members) from the persons of that household, in the order they were first recorded.
// Calculated fields are never prefilled (the form computes them).
//
// Used three ways: the form page and GET /api/v1/forms/{id}/prefill show it; the form page
// asks for stale values to be confirmed; and at submit, answers equal to a fresh prefilled
// value count as `prefilled`, not typed (burden accounting). Pure functions over a
// connection; no scope checks here (callers check the subject's org_code).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/db.h"
#include "core/result.h"
#include "dedupe/registry.h"
#include "forms/forms.h"

namespace yb::intake {

struct Prefill {
  int64_t subject_id = 0;    // the person (root after merges)
  int64_t household_id = 0;  // their household, 0 when none
  dedupe::Identity who;      // the person's identity (org_code decides scope)
  // Answers keyed by form field key, typed as the registry stores them (validated values);
  // a repeat group of persons is an array of objects keyed by the children's keys.
  nlohmann::json values = nlohmann::json::object();
  // Provenance by answer path ("person.name", "household.members[1].name").
  std::map<std::string, dedupe::FieldValue> sources;
};

// Loads the subject `subject_id` (resolved through merges) and lays its known values out for
// `form`. nullopt when there is no such subject or it is a household (prefill starts from a
// person; a household's head is found with head_of()). `dict` decides freshness.
Result<std::optional<Prefill>> build_prefill(db::Conn& c, dedupe::SubjectRegistry& registry,
                                             const forms::Dictionary* dict, const forms::Form& form,
                                             int64_t subject_id, int64_t now_ms);

// How many of the answers in `values` (validated, as stored) equal a fresh prefilled value at
// the same path: the answers accepted unchanged. Counted like count_answers() (burden.h).
int count_prefilled(const forms::Form& form, const nlohmann::json& values, const Prefill& p);

// Answer paths whose prefilled value is stale and still given unchanged in `values` without
// being in `confirmed`: the values the cadre must confirm with the resident (or change).
std::vector<std::string> unconfirmed_stale(const forms::Form& form, const nlohmann::json& values,
                                           const Prefill& p,
                                           const std::set<std::string>& confirmed);

// The answers as the web form's text inputs hold them: numbers as text, booleans as
// "true"/"false", choice lists as arrays of codes. Pure.
nlohmann::json to_raw(const nlohmann::json& values);

// At submit (intake): how many answers were accepted unchanged from subject `subject_id`'s
// fresh values. kValidation (path "prefill_subject") when the subject is unknown, a household
// or outside `org_scope`'s subtree (`in_scope` decides), so that nothing is revealed.
Result<int> prefilled_answers(db::Conn& c, dedupe::SubjectRegistry& registry,
                              const forms::Dictionary* dict, const forms::Form& form,
                              const nlohmann::json& values, int64_t subject_id, int64_t now_ms,
                              const std::function<bool(const std::string&)>& in_scope);

}  // namespace yb::intake
