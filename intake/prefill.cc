#include "intake/prefill.h"

namespace yb::intake {

using Json = nlohmann::json;

namespace {

bool is_person_group(const forms::FormField& f) {
  if (f.def.type != forms::FieldType::kRepeat) return false;
  for (const auto& c : f.children) {
    if (c.field == "person.name") return true;
  }
  return false;
}

bool is_answer(const Json& v) {
  return !v.is_null() && !(v.is_array() && v.empty()) &&
         !(v.is_string() && v.get_ref<const std::string&>().empty());
}

std::string item_path(const std::string& key, size_t i, const std::string& child) {
  return key + "[" + std::to_string(i) + "]." + child;
}

// Calls fn(path, value) for every answer in `values` that count_answers() counts.
template <typename Fn>
void each_answer(const forms::Form& form, const Json& values, Fn fn) {
  if (!values.is_object()) return;
  for (const auto& s : form.sections) {
    for (const auto& f : s.fields) {
      if (!f.calculate.empty()) continue;
      auto it = values.find(f.key);
      if (it == values.end()) continue;
      if (f.def.type != forms::FieldType::kRepeat) {
        if (is_answer(*it)) fn(f.key, *it);
        continue;
      }
      if (!it->is_array()) continue;
      for (size_t i = 0; i < it->size(); ++i) {
        const Json& item = (*it)[i];
        if (!item.is_object()) continue;
        for (const auto& c : f.children) {
          auto cit = item.find(c.key);
          if (c.calculate.empty() && cit != item.end() && is_answer(*cit)) {
            fn(item_path(f.key, i, c.key), *cit);
          }
        }
      }
    }
  }
}

// Numbers compare by value (a stored 4 and a submitted 4.0 are the same answer).
bool same_value(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  return a == b;
}

Result<std::vector<int64_t>> persons_of_household(db::Conn& c, int64_t household) {
  auto q = c.cached(
      "SELECT id FROM subjects WHERE household_id = ? AND kind = 'person' AND merged_into IS NULL "
      "ORDER BY id LIMIT 100");
  if (!q) return q.take_error();
  (*q)->bind(1, household);
  std::vector<int64_t> out;
  for (;;) {
    auto r = (*q)->step();
    if (!r) return r.take_error();
    if (!*r) break;
    out.push_back((*q)->get_int(0));
  }
  return out;
}

}  // namespace

Result<std::optional<Prefill>> build_prefill(db::Conn& c, dedupe::SubjectRegistry& registry,
                                             const forms::Dictionary* dict, const forms::Form& form,
                                             int64_t subject_id, int64_t now_ms) {
  auto main = registry.load(c, subject_id, dict, now_ms);
  if (!main) return main.take_error();
  if (!*main || (*main)->kind != "person") return std::optional<Prefill>();
  Prefill p;
  p.subject_id = (*main)->id;
  p.who = (*main)->who;
  p.household_id = p.who.household;
  std::optional<dedupe::Subject> household;
  if (p.household_id != 0) {
    auto h = registry.load(c, p.household_id, dict, now_ms);
    if (!h) return h.take_error();
    if (*h && (*h)->kind == "household") {
      household = std::move(**h);
      p.household_id = household->id;
    } else {
      p.household_id = 0;
    }
  }
  auto put = [&](const std::string& key, const std::string& path, const dedupe::Subject& s,
                 const std::string& field, Json& slot) {
    auto it = s.fields.find(field);
    if (it == s.fields.end() || !is_answer(it->second.value)) return;
    slot[key] = it->second.value;
    p.sources.emplace(path, it->second);
  };
  for (const auto& sec : form.sections) {
    for (const auto& f : sec.fields) {
      if (!f.calculate.empty()) continue;
      if (is_person_group(f)) {
        if (!household) continue;
        auto ids = persons_of_household(c, household->id);
        if (!ids) return ids.take_error();
        Json items = Json::array();
        for (int64_t id : *ids) {
          auto m = registry.load(c, id, dict, now_ms);
          if (!m) return m.take_error();
          if (!*m) continue;
          // The head belongs in the list only if a form listed them among the members.
          if ((*m)->id == p.subject_id && !(*m)->fields.count("household.relation")) continue;
          Json item = Json::object();
          const size_t i = items.size();
          for (const auto& ch : f.children) {
            if (!ch.calculate.empty()) continue;
            put(ch.key, item_path(f.key, i, ch.key), **m, ch.field, item);
          }
          if (!item.empty()) items.push_back(std::move(item));
          if (items.size() >= f.constraints.max_items.value_or(forms::kDefaultRepeatMaxItems)) {
            break;
          }
        }
        if (!items.empty()) p.values[f.key] = std::move(items);
      } else if (f.def.subject == "person") {
        put(f.key, f.key, **main, f.field, p.values);
      } else if (f.def.subject == "household" && household) {
        put(f.key, f.key, *household, f.field, p.values);
      }
    }
  }
  return std::optional<Prefill>(std::move(p));
}

int count_prefilled(const forms::Form& form, const Json& values, const Prefill& p) {
  int n = 0;
  each_answer(form, values, [&](const std::string& path, const Json& v) {
    auto it = p.sources.find(path);
    if (it != p.sources.end() && it->second.fresh && same_value(it->second.value, v)) ++n;
  });
  return n;
}

std::vector<std::string> unconfirmed_stale(const forms::Form& form, const Json& values,
                                           const Prefill& p,
                                           const std::set<std::string>& confirmed) {
  std::vector<std::string> out;
  each_answer(form, values, [&](const std::string& path, const Json& v) {
    auto it = p.sources.find(path);
    if (it != p.sources.end() && !it->second.fresh && same_value(it->second.value, v) &&
        !confirmed.count(path)) {
      out.push_back(path);
    }
  });
  return out;
}

Result<int> prefilled_answers(db::Conn& c, dedupe::SubjectRegistry& registry,
                              const forms::Dictionary* dict, const forms::Form& form,
                              const Json& values, int64_t subject_id, int64_t now_ms,
                              const std::function<bool(const std::string&)>& in_scope) {
  auto p = build_prefill(c, registry, dict, form, subject_id, now_ms);
  if (!p) return p.take_error();
  if (!*p || !in_scope((*p)->who.org_code)) {
    Error e = Error::make(ErrorKind::kValidation, "validation_failed",
                          "预填来源的人员不存在或不在您的辖区，请重新打开表单",
                          "The prefill subject is unknown or outside your area; reopen the form");
    e.details.push_back({"prefill_subject",
                         "not_found",
                         {"找不到预填来源的人员 " + std::to_string(subject_id),
                          "No person " + std::to_string(subject_id) + " in your area"}});
    return e;
  }
  return count_prefilled(form, values, **p);
}

Json to_raw(const Json& values) {
  switch (values.type()) {
    case Json::value_t::object: {
      Json o = Json::object();
      for (auto it = values.begin(); it != values.end(); ++it) o[it.key()] = to_raw(it.value());
      return o;
    }
    case Json::value_t::array: {
      Json a = Json::array();
      for (const auto& e : values) a.push_back(to_raw(e));
      return a;
    }
    case Json::value_t::boolean:
      return values.get<bool>() ? "true" : "false";
    case Json::value_t::string:
      return values;
    case Json::value_t::null:
      return "";
    default:
      return values.dump();
  }
}

}  // namespace yb::intake
