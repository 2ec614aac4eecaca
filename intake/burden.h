// Burden accounting: what one answer saved the cadre. `typed` answers were entered here (the
// fields already known and accepted unchanged are `prefilled`); `delivered` is the number of
// entries the upstream systems received from it, across `systems` systems — the entries the
// cadre would otherwise have typed into each of them. Stored per submission (same
// transaction) so the dashboard can sum it per village, township and county.
#pragma once

#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "connectors/outbox/outbox.h"
#include "core/db.h"
#include "core/json_text.h"
#include "forms/forms.h"

namespace yb::intake {

struct Burden {
  int typed = 0;
  int prefilled = 0;
  int delivered = 0;
  int systems = 0;
  // {"typed", "prefilled", "delivered", "systems", "message", "message_en"}
  // {"typed", "prefilled", "delivered", "systems", "message" (zh-CN), "message_en"}
  void write(JsonWriter& w) const;
  nlohmann::json to_json() const;
};

// Answers in a form's values: each non-empty scalar or choice list counts once; each repeat
// item's fields count one by one; calculated fields are not typed and do not count. Pure.
int count_answers(const forms::Form& form, const nlohmann::json& values);

// `prefilled` is how many of the answers were already known (0 without prefill). Pure.
Burden count_burden(const forms::Form& form, const nlohmann::json& values,
                    const std::vector<connectors::PlannedDelivery>& planned, int prefilled = 0);

Status store_burden(db::Conn& c, int64_t submission_id, const Burden& b);
std::optional<Burden> load_burden(db::Conn& c, int64_t submission_id);

}  // namespace yb::intake
