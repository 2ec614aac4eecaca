#include "intake/submissions.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "core/crypto.h"
#include "core/json_text.h"
#include "intake/prefill.h"

namespace yb::intake {
namespace {

constexpr size_t kMaxClientId = 128;

bool valid_client_id(const std::string& s) {
  if (s.empty() || s.size() > kMaxClientId) return false;
  for (unsigned char c : s) {
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':')) return false;
  }
  return true;
}

Error conflict() {
  return Error::make(ErrorKind::kConflict, "client_id_conflict",
                     "这个提交编号已用于另一份不同的内容。请刷新页面后重新填写提交",
                     "This client_id was already used for different content; reload and "
                     "submit again with a new client_id");
}

Error validation_error(std::vector<FieldError> details) {
  Error e = Error::make(
      ErrorKind::kValidation, "validation_failed",
      "有 " + std::to_string(details.size()) + " 处需要修改，请按提示改正后再提交",
      std::to_string(details.size()) + " answer(s) need fixing; correct them and submit again");
  e.details = std::move(details);
  return e;
}

std::string today(const Clock& clock, int offset_min) {
  return iso_date_utc(clock.now_ms() + int64_t{offset_min} * 60'000);
}

}  // namespace

bool valid_channel(const std::string& c) {
  return c.empty() || c == "in_person" || c == "phone" || c == "paper";
}

Result<SubmitRequest> decode_submit_request(Json&& body) {
  std::vector<FieldError> errs;
  SubmitRequest r;
  for (auto it = body.begin(); it != body.end(); ++it) {
    const auto& k = it.key();
    if (k != "form" && k != "client_id" && k != "org_unit" && k != "values" && k != "channel" &&
        k != "paper_ref" && k != "prefill_subject" && k != "supersedes") {
      errs.push_back({k,
                      "unknown_field",
                      {"请求中有无法识别的项 “" + k + "”，请删除它",
                       "Unknown member \"" + k + "\"; remove it"}});
    }
  }
  auto str = [&](const char* key, bool required, std::string* out) {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) {
      if (required) {
        errs.push_back(
            {key, "required", {std::string("缺少必填项 ") + key, std::string("Missing ") + key}});
      }
      return false;
    }
    if (!it->is_string()) {
      errs.push_back(
          {key, "type", {std::string(key) + " 应为文字", std::string(key) + " must be a string"}});
      return false;
    }
    *out = it->get<std::string>();
    return true;
  };
  str("form", true, &r.form_id);
  if (str("client_id", true, &r.client_id) && !valid_client_id(r.client_id)) {
    errs.push_back({"client_id",
                    "format",
                    {"提交编号应为1到128位字母、数字或 - _ . :",
                     "client_id must be 1-128 of A-Z a-z 0-9 - _ . :"}});
  }
  std::string org;
  if (str("org_unit", false, &org)) r.org_unit = org;
  if (str("channel", false, &r.channel) && !valid_channel(r.channel)) {
    errs.push_back({"channel",
                    "not_a_choice",
                    {"录入方式应为 in_person（当面）、phone（电话）或 paper（纸质表）",
                     "channel must be in_person, phone or paper"}});
  }
  if (str("paper_ref", false, &r.paper_ref) && r.paper_ref.size() > 64) {
    errs.push_back({"paper_ref",
                    "max_length",
                    {"纸质表编号最多 64 个字符，请核对", "paper_ref is at most 64 characters"}});
  }
  if (!r.paper_ref.empty() && r.channel.empty()) {
    errs.push_back({"paper_ref",
                    "requires_channel",
                    {"填写纸质表编号时请同时选择录入方式", "paper_ref needs a channel"}});
  }
  // Optional positive submission / subject numbers.
  auto id_member = [&](const char* key, std::optional<int64_t>* out) {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) return;
    if (!it->is_number_integer() || it->get<int64_t>() <= 0) {
      errs.push_back({key,
                      "type",
                      {std::string(key) + " 应为正整数编号",
                       std::string(key) + " must be a positive whole number"}});
      return;
    }
    *out = it->get<int64_t>();
  };
  id_member("prefill_subject", &r.prefill_subject);
  id_member("supersedes", &r.supersedes);
  auto v = body.find("values");
  if (v == body.end()) {
    errs.push_back({"values", "required", {"缺少填写内容 values", "Missing values"}});
  } else if (!v->is_object()) {
    errs.push_back({"values",
                    "type",
                    {"values 应为对象（字段名: 值）", "values must be an object of field: value"}});
  } else {
    r.values = std::move(*v);
  }
  if (!errs.empty()) return validation_error(std::move(errs));
  return r;
}

std::string Receipt::to_json_text() const {
  JsonWriter w(640 + 192 * deliveries.size() + 64 * subjects.size());
  w.begin_object();
  w.key("id").value(id).key("client_id").value(client_id).key("form").value(form_id);
  w.key("form_version").value(form_version).key("org_unit").value(org_unit);
  w.key("received_at").value(iso8601_utc(received_at_ms)).key("status").value("accepted");
  w.key("deliveries").begin_array();
  for (const auto& d : deliveries) d.write(w);
  w.end_array();
  w.key("burden");
  if (burden) {
    burden->write(w);
  } else {
    w.null();
  }
  if (!subjects.empty()) {
    w.key("subjects").begin_array();
    for (const auto& l : subjects) {
      w.begin_object().key("id").value(l.subject_id).key("kind").value(l.kind);
      w.key("role").value(l.role).key("linked").value(l.how).end_object();
    }
    w.end_array();
  }
  if (!channel.empty()) w.key("channel").value(channel);
  if (!paper_ref.empty()) w.key("paper_ref").value(paper_ref);
  if (supersedes) w.key("supersedes").value(supersedes);
  if (superseded_by) w.key("superseded_by").value(superseded_by);
  w.end_object();
  return w.take();
}

Json Receipt::to_json() const { return Json::parse(to_json_text()); }

Json StoredSubmission::to_json() const {
  Json j = receipt.to_json();
  j["author"] = author;
  j["values"] = values;
  return j;
}

SubmissionService::SubmissionService(db::Database& db, db::GroupCommitWriter& writer,
                                     admin::Accounts& accounts, admin::Catalog& catalog,
                                     connectors::ConnectorStore& connectors, const Clock& clock,
                                     std::function<void()> on_deliveries, IntakeOptions opts,
                                     dedupe::SubjectRegistry* subjects)
    : db_(db),
      writer_(writer),
      accounts_(accounts),
      catalog_(catalog),
      connectors_(connectors),
      clock_(clock),
      on_deliveries_(std::move(on_deliveries)),
      opts_(opts),
      subjects_(subjects) {}

// Registers a key as in flight; a second copy of the key waits (bounded) until the first is
// done. Released on scope exit, whatever the outcome.
class SubmissionService::InFlightGuard {
 public:
  InFlightGuard(InFlight& f, std::string key) : f_(f.shard(key)), key_(std::move(key)) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (;;) {
      std::shared_ptr<InFlight::Slot> other;
      {
        std::lock_guard lk(f_.mu);
        auto it = f_.keys.find(key_);
        if (it == f_.keys.end()) {
          slot_ = std::make_shared<InFlight::Slot>();
          f_.keys.emplace(key_, slot_);
          return;
        }
        other = it->second;  // wait for that copy only
      }
      // A copy that waited in vain (the first took longer) goes on; the writer still dedupes.
      if (!other->done.wait_until(deadline)) return;
    }
  }
  ~InFlightGuard() {
    if (!slot_) return;
    {
      std::lock_guard lk(f_.mu);
      f_.keys.erase(key_);
    }
    slot_->done.set();
  }
  InFlightGuard(const InFlightGuard&) = delete;
  InFlightGuard& operator=(const InFlightGuard&) = delete;

 private:
  InFlight::Shard& f_;
  std::string key_;
  std::shared_ptr<InFlight::Slot> slot_;  // set when this copy is the one in flight
};

std::optional<uint64_t> SubmissionService::load_deliveries(Receipt& r, bool burden) {
  const auto at = connectors::delivery_changes(db_);
  auto snap = connectors_.snapshot();
  static const std::vector<connectors::ConnectorEntry> kNone;
  db_.with_conn([&](db::Conn& c) {
    auto d = connectors::deliveries_of(c, r.id, snap ? **snap : kNone);
    if (d) r.deliveries = std::move(*d);
    if (burden) r.burden = load_burden(c, r.id);
  });
  return at;
}

SubmissionService::RecentReceipts::EntryPtr SubmissionService::RecentReceipts::find(
    const std::string& key) {
  std::lock_guard lk(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  return it->second;
}

std::optional<std::pair<std::string, SubmissionService::RecentReceipts::EntryPtr>>
SubmissionService::RecentReceipts::find_body(const std::string& body_key) {
  std::lock_guard lk(mu_);
  auto k = keys_.find(body_key);
  if (k == keys_.end()) return std::nullopt;
  auto it = entries_.find(k->second);
  if (it == entries_.end()) return std::nullopt;
  return std::pair{k->second, it->second};
}

void SubmissionService::RecentReceipts::put(const std::string& key, const std::string& content_hash,
                                            const Receipt& r, std::optional<uint64_t> deliveries_at,
                                            const std::string& body_key) {
  auto e = std::make_shared<Entry>(Entry{content_hash, r, deliveries_at, body_key});
  if (!deliveries_at) e->receipt.deliveries.clear();
  e->receipt.subjects.clear();
  e->receipt.replayed = true;
  EntryPtr replaced, evicted;  // released after the lock
  std::lock_guard lk(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    // Known: keep its place; the body last sent for it is the one a resend repeats.
    if (it->second->body_key != body_key) keys_.erase(it->second->body_key);
    replaced = std::exchange(it->second, std::move(e));
  } else {
    entries_.emplace(key, std::move(e));
    order_.push_back(key);
    if (order_.size() > kCapacity) {
      auto old = entries_.find(order_.front());
      keys_.erase(old->second->body_key);
      evicted = std::move(old->second);
      entries_.erase(old);
      order_.pop_front();
    }
  }
  if (!body_key.empty()) keys_.insert_or_assign(body_key, key);
}

void SubmissionService::RecentReceipts::refresh(
    const std::string& key, const std::vector<connectors::DeliveryView>& deliveries,
    std::optional<uint64_t> deliveries_at) {
  EntryPtr current = find(key);
  if (!current) return;
  auto e = std::make_shared<Entry>(*current);
  e->receipt.deliveries = deliveries;
  e->deliveries_at = deliveries_at;
  EntryPtr replaced;  // released after the lock
  std::lock_guard lk(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;  // gone meanwhile
  const Entry& now = *it->second;
  if (now.body_key != current->body_key || now.receipt.id != current->receipt.id) return;
  // Two resends reading at once: keep the later reading.
  if (now.deliveries_at && deliveries_at && *now.deliveries_at > *deliveries_at) return;
  replaced = std::exchange(it->second, std::move(e));
}

Receipt SubmissionService::recent_answer(const std::string& key,
                                         const RecentReceipts::Entry& known) {
  Receipt r = known.receipt;
  // Its deliveries as last read, unless any delivery has changed since.
  const auto now_at = connectors::delivery_changes(db_);
  if (!known.deliveries_at || known.deliveries_at != now_at) {
    const auto at = load_deliveries(r, /*burden=*/false);
    recent_.refresh(key, r.deliveries, at);
  }
  return r;
}

std::optional<Receipt> SubmissionService::find_by_client_id(int64_t author_id,
                                                            const std::string& client_id,
                                                            std::string* content_hash) {
  return db_.with_conn([&](db::Conn& c) -> std::optional<Receipt> {
    auto qr = c.cached(
        "SELECT id, form_id, form_version, org_code, received_at, content_hash, channel, "
        "paper_ref FROM submissions WHERE author_id = ? AND client_id = ?");
    if (!qr) return std::nullopt;
    auto& q = *qr;
    q->bind(1, author_id).bind(2, client_id);
    auto r = q->step();
    if (!r || !*r) return std::nullopt;
    if (content_hash) *content_hash = q->get_text(5);
    return Receipt{q->get_int(0),  client_id,     q->get_text(1), static_cast<int>(q->get_int(2)),
                   q->get_text(3), q->get_int(4), true,           q->get_text(6),
                   q->get_text(7)};
  });
}

Result<Receipt> SubmissionService::submit_body(const admin::User& author, const std::string& body,
                                               const Decoder& decode) {
  // The digest of the bytes as sent, per author; "body\n" keeps these keys apart from the
  // client_id keys (which start with the author's number) in the in-flight set.
  const std::string body_key = std::to_string(author.id) + '\n' + crypto::sha256_hex(body);
  InFlightGuard flight(in_flight_, "body\n" + body_key);
  if (auto known = recent_.find_body(body_key)) return recent_answer(known->first, *known->second);
  auto req = decode(body);
  if (!req) return req.take_error();
  return submit(author, *req, body_key);
}

Result<Receipt> SubmissionService::submit(const admin::User& author, const SubmitRequest& req) {
  return submit(author, req, "");
}

Result<Receipt> SubmissionService::submit(const admin::User& author, const SubmitRequest& req,
                                          const std::string& body_key) {
  auto form = catalog_.published_form(req.form_id);
  if (!form) {
    if (form.error().kind == ErrorKind::kNotFound) {
      return validation_error({{"form",
                                "not_found",
                                {"找不到已发布的表单 " + req.form_id + "，请刷新后重试",
                                 "No published form " + req.form_id + "; reload and retry"}}});
    }
    return form.take_error();
  }
  std::string org = req.org_unit.value_or(author.org_code.value_or(""));
  if (org.empty()) {
    return validation_error(
        {{"org_unit",
          "required",
          {"请选择这份表所属的村（社区）", "Choose the org unit this answer belongs to"}}});
  }
  if (!accounts_.org_unit(org)) {
    return validation_error(
        {{"org_unit", "not_found", {"找不到单位代码 " + org, "No org unit " + org}}});
  }
  if (!accounts_.in_scope(author.org_code, org)) {
    return Error::make(ErrorKind::kForbidden, "out_of_scope",
                       "您只能为本辖区提交信息，请检查所属村（社区）",
                       "You may only submit for your own area; check org_unit");
  }
  // The idempotency key covers what the client sent, in canonical (sorted-key) form.
  // (json_dump() writes object keys sorted, so equal content gives equal text.)
  std::string hashed = req.form_id + '\n' + org + '\n' + json_dump(req.values);
  if (!req.channel.empty()) hashed += '\n' + req.channel + '\n' + req.paper_ref;
  if (req.supersedes) hashed += "\nsupersedes " + std::to_string(*req.supersedes);
  const std::string hash = crypto::sha256_hex(hashed);

  // A replay (an offline queue resending, a retry after a lost answer) is answered from what
  // is stored. A copy racing one still in flight waits for it first; a recent one is known
  // without reading its submission. Otherwise the writer finds it below, in the transaction
  // that would store it: a new answer (the common case) pays no read for the check.
  const std::string key = std::to_string(author.id) + '\n' + req.client_id;
  InFlightGuard flight(in_flight_, key);
  if (auto known = recent_.find(key)) {
    if (known->content_hash != hash) return conflict();
    return recent_answer(key, *known);
  }
  forms::ValidationOptions vo{today(clock_, opts_.utc_offset_minutes)};
  auto values = forms::validate(**form, req.values, vo);
  if (!values) {
    // It may have been stored under an older version of the form, whose rules it met.
    std::string stored_hash;
    if (auto prev = find_by_client_id(author.id, req.client_id, &stored_hash)) {
      if (stored_hash != hash) return conflict();
      const auto at = load_deliveries(*prev);
      recent_.put(key, stored_hash, *prev, at, body_key);
      return *prev;
    }
    return values.take_error();
  }
  const std::string values_text = json_dump(*values);

  // The payload each upstream will get is rendered now and frozen with the submission.
  auto snap = connectors_.snapshot();
  if (!snap) return snap.take_error();
  auto planned =
      connectors::plan_deliveries(**snap, (*form)->id, *values, vo.today, clock_.now_ms());

  // Prefill: answers equal to the subject's fresh values count as prefilled (only when asked).
  int prefilled = 0;
  if (req.prefill_subject && subjects_) {
    auto dict = catalog_.dictionary();
    auto n = db_.with_conn([&](db::Conn& c) {
      return prefilled_answers(c, *subjects_, dict ? dict->get() : nullptr, **form, *values,
                               *req.prefill_subject, clock_.now_ms(), [&](const std::string& o) {
                                 return accounts_.in_scope(author.org_code, o);
                               });
    });
    if (!n) return n.take_error();
    prefilled = *n;
  }
  const Burden burden = count_burden(**form, *values, planned, prefilled);
  // Who the answer is about, normalised here rather than on the writer thread.
  dedupe::SubjectPlan subject_plan;
  if (subjects_) subject_plan = dedupe::plan_subjects(**form, *values, org);

  Receipt out;
  bool is_conflict = false;
  const int64_t now = clock_.now_ms();
  // Read before the deliveries are stored: any change to them after that moves it on.
  const auto planned_at = connectors::delivery_changes(db_);
  // Repeatable: it writes only to the database and sets its outputs afresh on every run.
  auto job = [&](db::Conn& c) -> Status {
    out = Receipt{};
    is_conflict = false;
    auto qr = c.cached(
        "SELECT id, form_id, form_version, org_code, received_at, content_hash, channel, "
        "paper_ref FROM submissions WHERE author_id = ? AND client_id = ?");
    if (!qr) return qr.take_error();
    auto& q = *qr;
    q->bind(1, author.id).bind(2, req.client_id);
    auto r = q->step();
    if (!r) return r.take_error();
    if (*r) {
      if (q->get_text(5) != hash) {
        is_conflict = true;
        return ok_status();
      }
      out = Receipt{q->get_int(0),  req.client_id, q->get_text(1), static_cast<int>(q->get_int(2)),
                    q->get_text(3), q->get_int(4), true,           q->get_text(6),
                    q->get_text(7)};
      return ok_status();
    }
    // A correction keeps the original's upstream record keys (corrections.cc).
    if (req.supersedes) {
      if (auto st = check_supersedes(c, author, (*form)->id, *req.supersedes, planned); !st) {
        return st;
      }
    }
    auto insr = c.cached(
        "INSERT INTO submissions (author_id, client_id, form_id, form_version, org_code, "
        "content_hash, values_json, received_at, channel, paper_ref, supersedes_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insr) return insr.take_error();
    auto& ins = *insr;
    ins->bind(1, author.id).bind(2, req.client_id).bind(3, (*form)->id).bind(4, (*form)->version);
    ins->bind(5, org).bind(6, hash).bind_static(7, values_text).bind(8, now);
    ins->bind(9, req.channel).bind(10, req.paper_ref);
    ins->bind(11, req.supersedes);
    if (auto st = ins->run(); !st) return st;
    out = Receipt{c.last_insert_id(), req.client_id, (*form)->id, (*form)->version, org, now, false,
                  req.channel,        req.paper_ref};
    out.supersedes = req.supersedes.value_or(0);
    out.burden = burden;
    if (auto st = store_burden(c, out.id, burden); !st) return st;
    if (auto st = connectors::insert_deliveries(c, out.id, org, now, planned); !st) return st;
    // The persons and household this answer describes, in the same transaction.
    if (!subjects_) return ok_status();
    auto linked = subjects_->record(c, subject_plan,
                                    dedupe::Provenance{out.id, (*form)->id, author.id, now, org});
    if (!linked) return linked.take_error();
    out.subjects = std::move(*linked);
    return ok_status();
  };
  auto s = writer_.run(job, db::GroupCommitWriter::Job::kRepeatable);
  if (!s) return s.take_error();
  if (is_conflict) return conflict();
  if (out.replayed) {
    const auto at = load_deliveries(out);
    recent_.put(key, hash, out, at, body_key);
    return out;
  }
  bool any_pending = false;
  for (const auto& p : planned) {
    connectors::DeliveryView v;
    v.id = p.id;
    v.connector = p.connector->id;
    v.connector_name = p.connector->name.zh.empty() ? p.connector->id : p.connector->name.zh;
    v.status = p.status;
    v.last_error = p.error;
    out.deliveries.push_back(std::move(v));
    any_pending = any_pending || p.status == "pending";
  }
  std::sort(out.deliveries.begin(), out.deliveries.end(),
            [](const auto& a, const auto& b) { return a.connector < b.connector; });
  recent_.put(key, hash, out, planned_at, body_key);
  if (any_pending && on_deliveries_) on_deliveries_();
  return out;
}

Result<StoredSubmission> SubmissionService::get(const admin::User& reader, int64_t id) {
  auto row = db_.with_conn([&](db::Conn& c) -> Result<StoredSubmission> {
    auto q = c.prepare(
        "SELECT s.id, s.client_id, s.form_id, s.form_version, s.org_code, s.received_at, "
        "u.username, s.values_json, s.channel, s.paper_ref FROM submissions s "
        "JOIN users u ON u.id = s.author_id WHERE s.id = ?");
    if (!q) return q.take_error();
    q->bind(1, id);
    auto r = q->step();
    if (!r) return r.take_error();
    if (!*r) {
      return Error::make(ErrorKind::kNotFound, "submission_not_found", "找不到这份提交",
                         "No such submission");
    }
    StoredSubmission s;
    s.receipt =
        Receipt{q->get_int(0),  q->get_text(1), q->get_text(2), static_cast<int>(q->get_int(3)),
                q->get_text(4), q->get_int(5),  false,          q->get_text(8),
                q->get_text(9)};
    s.author = q->get_text(6);
    s.values = Json::parse(q->get_text(7), nullptr, false);
    return s;
  });
  if (!row) return row;
  if (!accounts_.in_scope(reader.org_code, row->receipt.org_unit)) {
    return Error::make(ErrorKind::kNotFound, "submission_not_found", "找不到这份提交",
                       "No such submission");
  }
  load_deliveries(row->receipt);
  load_corrections(row->receipt);
  return row;
}

Result<std::vector<StoredSubmission>> SubmissionService::recent(const admin::User& author,
                                                                int limit) {
  auto rows = db_.with_conn([&](db::Conn& c) -> Result<std::vector<StoredSubmission>> {
    auto q = c.prepare(
        "SELECT id, client_id, form_id, form_version, org_code, received_at, values_json, "
        "channel, paper_ref FROM submissions WHERE author_id = ? ORDER BY id DESC LIMIT ?");
    if (!q) return q.take_error();
    q->bind(1, author.id).bind(2, int64_t{limit});
    std::vector<StoredSubmission> out;
    for (;;) {
      auto r = q->step();
      if (!r) return r.take_error();
      if (!*r) break;
      StoredSubmission s;
      s.receipt =
          Receipt{q->get_int(0),  q->get_text(1), q->get_text(2), static_cast<int>(q->get_int(3)),
                  q->get_text(4), q->get_int(5),  false,          q->get_text(7),
                  q->get_text(8)};
      s.author = author.username;
      s.values = Json::parse(q->get_text(6), nullptr, false);
      out.push_back(std::move(s));
    }
    return out;
  });
  if (!rows) return rows;
  for (auto& s : *rows) load_deliveries(s.receipt);
  return rows;
}

}  // namespace yb::intake
