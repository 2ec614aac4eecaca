// The configuration that cadres fill in: the field dictionary and versioned forms, stored in
// the database and cached parsed. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/db.h"
#include "forms/forms.h"

namespace yb::admin {

using FormPtr = std::shared_ptr<const forms::Form>;

class Catalog {
 public:
  Catalog(db::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // Validates and stores a new dictionary version; returns the version number.
  Result<int> put_dictionary(const forms::Json& def);
  // The latest dictionary (kNotFound before the first put).
  Result<std::shared_ptr<const forms::Dictionary>> dictionary();

  // Validates a form definition against the latest dictionary and stores it as the next
  // version of its id with the given status ("draft" or "published").
  Result<FormPtr> put_form(const forms::Json& def, forms::FormStatus status);

  // Latest published version of every form, ordered by id.
  Result<std::vector<FormPtr>> published_forms();
  // Latest published version of one form (kNotFound otherwise).
  Result<FormPtr> published_form(const std::string& id);
  // A specific version, whatever its status (for reading stored submissions).
  Result<FormPtr> form_version(const std::string& id, int version);
  // Drops the cached versions of a form and the published list, after its rows changed in
  // place (a draft saved again, published or closed by admin/form_editor).
  void forget_form(const std::string& id);

 private:
  Result<std::shared_ptr<const forms::Dictionary>> dictionary_version(int version);
  Result<FormPtr> load_form(const std::string& id, int version, const std::string& status,
                            int dict_version, const std::string& definition);

  db::Database& db_;
  const Clock& clock_;
  std::mutex mu_;
  std::map<int, std::shared_ptr<const forms::Dictionary>> dicts_;  // GUARDED_BY(mu_)
  std::map<std::pair<std::string, int>, FormPtr> forms_;           // GUARDED_BY(mu_)
  // The published list is re-read at most every kPublishedTtlMs (other gateways sharing the
  // database see a publish within that time), and at once after a local put_form().
  static constexpr int64_t kPublishedTtlMs = 5000;
  std::vector<FormPtr> published_;  // GUARDED_BY(mu_)
  int64_t published_at_ms_ = -1;    // GUARDED_BY(mu_); -1 = stale
};

}  // namespace yb::admin
