#include "intake/burden.h"

namespace yb::intake {

using Json = nlohmann::json;

void Burden::write(JsonWriter& w) const {
  const std::string t = std::to_string(typed), d = std::to_string(delivered),
                    n = std::to_string(systems);
  const std::string pre_zh = prefilled ? "，预填 " + std::to_string(prefilled) + " 项" : "";
  const std::string pre_en =
      prefilled ? " (" + std::to_string(prefilled) + " more were filled in already)" : "";
  w.begin_object();
  w.key("typed").value(typed).key("prefilled").value(prefilled);
  w.key("delivered").value(delivered).key("systems").value(systems);
  w.key("message").value("本次填写 " + t + " 项" + pre_zh + "，代替了 " + n + " 个系统中的 " + d +
                         " 项");
  w.key("message_en")
      .value("You entered " + t + " answers" + pre_en + " in place of " + d + " entries in " + n +
             " systems");
  w.end_object();
}

Json Burden::to_json() const {
  JsonWriter w;
  write(w);
  return Json::parse(w.take());
}

namespace {

bool is_answer(const Json& v) {
  return !v.is_null() && !(v.is_array() && v.empty()) &&
         !(v.is_string() && v.get_ref<const std::string&>().empty());
}

}  // namespace

int count_answers(const forms::Form& form, const Json& values) {
  int n = 0;
  for (const auto& section : form.sections) {
    for (const auto& f : section.fields) {
      if (!f.calculate.empty()) continue;
      auto it = values.find(f.key);
      if (it == values.end()) continue;
      if (f.def.type != forms::FieldType::kRepeat) {
        n += is_answer(*it);
        continue;
      }
      if (!it->is_array()) continue;
      for (const auto& item : *it) {  // each household member's own fields
        if (!item.is_object()) continue;
        for (const auto& c : f.children) {
          auto cit = item.find(c.key);
          if (c.calculate.empty() && cit != item.end()) n += is_answer(*cit);
        }
      }
    }
  }
  return n;
}

Burden count_burden(const forms::Form& form, const Json& values,
                    const std::vector<connectors::PlannedDelivery>& planned, int prefilled) {
  Burden b;
  const int answers = count_answers(form, values);
  b.prefilled = std::min(prefilled, answers);
  b.typed = answers - b.prefilled;
  for (const auto& p : planned) {
    if (p.status != "pending") continue;
    b.delivered += p.entries;
    b.systems++;
  }
  return b;
}

Status store_burden(db::Conn& c, int64_t submission_id, const Burden& b) {
  auto q = c.cached(
      "INSERT INTO submission_burden (submission_id, typed, prefilled, delivered, systems) "
      "VALUES (?, ?, ?, ?, ?)");
  if (!q) return q.take_error();
  (*q)->bind(1, submission_id).bind(2, int64_t{b.typed}).bind(3, int64_t{b.prefilled});
  (*q)->bind(4, int64_t{b.delivered}).bind(5, int64_t{b.systems});
  return (*q)->run();
}

std::optional<Burden> load_burden(db::Conn& c, int64_t submission_id) {
  auto q = c.cached(
      "SELECT typed, prefilled, delivered, systems FROM submission_burden WHERE submission_id = ?");
  if (!q) return std::nullopt;
  (*q)->bind(1, submission_id);
  auto r = (*q)->step();
  if (!r || !*r) return std::nullopt;
  return Burden{static_cast<int>((*q)->get_int(0)), static_cast<int>((*q)->get_int(1)),
                static_cast<int>((*q)->get_int(2)), static_cast<int>((*q)->get_int(3))};
}

}  // namespace yb::intake
