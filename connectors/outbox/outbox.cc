#include "connectors/outbox/outbox.h"

#include <algorithm>
#include <array>

#include "connectors/delivery/signing.h"
#include "core/crypto.h"
#include "core/json_text.h"

namespace yb::connectors {

using Json = nlohmann::json;

std::string subject_key_for(const Connector& c, const Json& values) {
  auto it = values.find(c.subject_field);
  if (it == values.end() || it->is_null()) return "";
  const std::string v = it->is_string() ? it->get<std::string>() : it->dump();
  if (v.empty()) return "";
  // Hashed: the outbox need not hold identity numbers in the clear to match records.
  return crypto::sha256_hex(c.subject_field + "\n" + v).substr(0, 32);
}

std::vector<PlannedDelivery> plan_deliveries(const std::vector<ConnectorEntry>& connectors,
                                             const std::string& form_id, const Json& values,
                                             const std::string& today, int64_t now_ms) {
  std::vector<const ConnectorEntry*> taking;
  for (const auto& e : connectors) {
    const auto& forms = e.connector->forms;
    // A connector with a list of forms does not take the others at all.
    if (forms.empty() || std::find(forms.begin(), forms.end(), form_id) != forms.end()) {
      taking.push_back(&e);
    }
  }
  const auto ids = new_delivery_ids(now_ms, taking.size());
  // Connectors mostly key records by the same field: hash each field's value once.
  std::vector<std::pair<const std::string*, std::string>> keys;
  std::vector<PlannedDelivery> out;
  out.reserve(taking.size());
  for (size_t i = 0; i < taking.size(); ++i) {
    const Connector& c = *taking[i]->connector;
    PlannedDelivery p;
    p.id = ids[i];
    p.connector = taking[i]->connector;
    auto known = std::find_if(keys.begin(), keys.end(),
                              [&](const auto& k) { return *k.first == c.subject_field; });
    if (known == keys.end()) {
      keys.emplace_back(&c.subject_field, subject_key_for(c, values));
      known = keys.end() - 1;
    }
    p.subject_key = known->second;
    int entries = 0;
    auto r = render_payload_text(c, form_id, values, today, &entries);
    if (!r) {
      p.status = "dead";
      const auto& err = r.error();
      p.error = "mapping: " + err.message.en;
      for (const auto& d : err.details) p.error += "; " + d.path + ": " + d.message.en;
    } else if (!*r) {
      p.status = "skipped";
    } else {
      p.status = "pending";
      p.payload = std::move(**r);
      p.entries = entries;
    }
    out.push_back(std::move(p));
  }
  return out;
}

namespace {

constexpr size_t kRowsPerInsert = 8;

// "INSERT INTO deliveries ... VALUES (...), (...)" for n rows of the 11 values bound below.
const std::string& insert_sql(size_t n) {
  static const auto kSql = [] {
    std::array<std::string, kRowsPerInsert + 1> out;
    for (size_t k = 1; k <= kRowsPerInsert; ++k) {
      out[k] =
          "INSERT INTO deliveries (id, submission_id, connector_id, org_code, subject_key, "
          "status, payload, next_attempt_at, last_error, created_at, updated_at) VALUES ";
      for (size_t i = 0; i < k; ++i)
        out[k] += i ? ", (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    }
    return out;
  }();
  return kSql[n];
}

}  // namespace

Status insert_deliveries(db::Conn& c, int64_t submission_id, const std::string& org_code,
                         int64_t now_ms, const std::vector<PlannedDelivery>& planned) {
  // An answer's rows go in as one statement (a few at most): the statement opens its cursors
  // on the table, its indexes and the parent tables once for all of them. Rows keep the
  // planned order, and so their seq order.
  for (size_t at = 0; at < planned.size(); at += kRowsPerInsert) {
    const size_t n = std::min(kRowsPerInsert, planned.size() - at);
    auto q = c.cached(insert_sql(n));
    if (!q) return q.take_error();
    auto& s = **q;
    // The texts stay put until the lease resets the statement, at the end of this iteration.
    for (size_t i = 0; i < n; ++i) {
      const auto& p = planned[at + i];
      const int b = static_cast<int>(i) * 11;
      s.bind_static(b + 1, p.id).bind(b + 2, submission_id).bind_static(b + 3, p.connector->id);
      s.bind_static(b + 4, org_code).bind_static(b + 5, p.subject_key).bind_static(b + 6, p.status);
      s.bind_static(b + 7, p.payload).bind(b + 8, now_ms).bind_static(b + 9, p.error);
      s.bind(b + 10, now_ms).bind(b + 11, now_ms);
    }
    if (auto st = s.run(); !st) return st;
  }
  return ok_status();
}

void DeliveryView::write(JsonWriter& w) const {
  w.begin_object();
  w.key("id").value(id).key("connector").value(connector).key("name").value(connector_name);
  w.key("status").value(status).key("attempts").value(attempts);
  if (!last_error.empty()) w.key("last_error").value(last_error);
  if (upstream_id) w.key("upstream_id").value(*upstream_id);
  w.end_object();
}

Json DeliveryView::to_json() const {
  JsonWriter w;
  write(w);
  return Json::parse(w.take());
}

std::optional<uint64_t> delivery_changes(const db::Database& db) {
  return db.changes_to(kDeliveriesTable);
}

Result<std::vector<DeliveryView>> deliveries_of(db::Conn& c, int64_t submission_id,
                                                const std::vector<ConnectorEntry>& connectors) {
  auto q = c.cached(
      "SELECT id, connector_id, status, attempts, last_error, upstream_id FROM deliveries "
      "WHERE submission_id = ? ORDER BY connector_id");
  if (!q) return q.take_error();
  (*q)->bind(1, submission_id);
  std::vector<DeliveryView> out;
  for (;;) {
    auto r = (*q)->step();
    if (!r) return r.take_error();
    if (!*r) break;
    DeliveryView v;
    v.id = (*q)->get_text(0);
    v.connector = (*q)->get_text(1);
    v.status = (*q)->get_text(2);
    v.attempts = static_cast<int>((*q)->get_int(3));
    v.last_error = (*q)->get_text(4);
    v.upstream_id = (*q)->get_opt_text(5);
    v.connector_name = v.connector;
    for (const auto& e : connectors) {
      if (e.connector->id == v.connector && !e.connector->name.zh.empty()) {
        v.connector_name = e.connector->name.zh;
      }
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace yb::connectors
