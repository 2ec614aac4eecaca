// Corrections: a submission that supersedes an earlier one (docs/dedupe.md "Corrections").
// The new answer is stored like any other (so the registry takes its values: the newest
// observation wins); its deliveries reuse the earlier deliveries' subject keys, so an upstream
// that already holds the person (upstream_records) gets an update of that record — also when
// the correction changes the ID number the key was computed from.
#include "intake/submissions.h"

namespace yb::intake {

void SubmissionService::load_corrections(Receipt& r) {
  db_.with_conn([&](db::Conn& c) {
    auto q = c.cached("SELECT supersedes_id FROM submissions WHERE id = ?");
    if (q) {
      (*q)->bind(1, r.id);
      if (auto row = (*q)->step(); row && *row) r.supersedes = (*q)->get_opt_int(0).value_or(0);
    }
    auto n = c.cached("SELECT id FROM submissions WHERE supersedes_id = ? ORDER BY id LIMIT 1");
    if (n) {
      (*n)->bind(1, r.id);
      if (auto row = (*n)->step(); row && *row) r.superseded_by = (*n)->get_int(0);
    }
  });
}

Status SubmissionService::check_supersedes(db::Conn& c, const admin::User& author,
                                           const std::string& form_id, int64_t earlier,
                                           std::vector<connectors::PlannedDelivery>& planned) {
  const std::string n = std::to_string(earlier);
  auto q = c.cached("SELECT form_id, org_code FROM submissions WHERE id = ?");
  if (!q) return q.take_error();
  (*q)->bind(1, earlier);
  auto r = (*q)->step();
  if (!r) return r.take_error();
  if (!*r || !accounts_.in_scope(author.org_code, (*q)->get_text(1))) {
    return Error::make(ErrorKind::kNotFound, "supersedes_not_found",
                       "找不到要更正的第 " + n + " 号提交（或不在您的辖区）",
                       "No submission " + n + " to correct in your area");
  }
  if ((*q)->get_text(0) != form_id) {
    Error e = Error::make(ErrorKind::kValidation, "validation_failed",
                          "更正只能用同一张表：第 " + n + " 号提交用的是另一张表",
                          "A correction must use the same form as submission " + n);
    e.details.push_back(
        {"supersedes",
         "other_form",
         {"第 " + n + " 号提交用的是表单 " + (*q)->get_text(0) + "，请用同一张表更正",
          "Submission " + n + " used form " + (*q)->get_text(0) +
              "; correct it with the same form"}});
    return e;
  }
  auto later = c.cached("SELECT id FROM submissions WHERE supersedes_id = ? ORDER BY id LIMIT 1");
  if (!later) return later.take_error();
  (*later)->bind(1, earlier);
  auto lr = (*later)->step();
  if (!lr) return lr.take_error();
  if (*lr) {
    const std::string newer = std::to_string((*later)->get_int(0));
    Error e =
        Error::make(ErrorKind::kConflict, "already_superseded",
                    "第 " + n + " 号提交已被第 " + newer + " 号更正过，请更正第 " + newer + " 号",
                    "Submission " + n + " was already corrected by submission " + newer +
                        "; correct " + newer + " instead");
    e.details.push_back(
        {"supersedes", "superseded_by", {"已被第 " + newer + " 号更正", "superseded by " + newer}});
    return e;
  }
  auto keys = c.cached(
      "SELECT connector_id, subject_key FROM deliveries WHERE submission_id = ? AND "
      "subject_key <> ''");
  if (!keys) return keys.take_error();
  (*keys)->bind(1, earlier);
  for (;;) {
    auto kr = (*keys)->step();
    if (!kr) return kr.take_error();
    if (!*kr) break;
    const std::string connector = (*keys)->get_text(0);
    for (auto& p : planned) {
      if (p.connector && p.connector->id == connector && !p.subject_key.empty()) {
        p.subject_key = (*keys)->get_text(1);
      }
    }
  }
  return ok_status();
}

}  // namespace yb::intake
