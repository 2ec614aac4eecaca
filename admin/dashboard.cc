#include "admin/dashboard.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "admin/upstream_forms.h"
#include "core/markup.h"

namespace yb::admin {

using Json = nlohmann::json;

namespace {

constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kChinaOffsetMs = 8 * 3'600'000;

std::string fmt_int(int64_t v) { return std::to_string(v); }

std::string fmt_pct(double v) {
  char b[16];
  std::snprintf(b, sizeof b, "%.0f%%", v * 100);
  return b;
}

std::string fmt_age(int64_t s) {
  if (s < 120) return std::to_string(s) + " 秒";
  if (s < 7200) return std::to_string(s / 60) + " 分钟";
  if (s < 172800) return std::to_string(s / 3600) + " 小时";
  return std::to_string(s / 86400) + " 天";
}

struct Bar {
  std::string label;  // shown beside or under the bar
  double value = 0;   // length
  std::string text;   // the number as text, always shown
};

// An accessible chart's opening: the svg element (an image labelled by its title and
// description, which lists every value) and the title written at the top.
std::string svg_open(int w, int h, const std::string& title, const std::string& desc) {
  std::string s =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + std::to_string(w) + " " +
      std::to_string(h) +
      "\" width=\"100%\" role=\"img\" aria-labelledby=\"t d\" font-family=\"sans-serif\">";
  s += "<title id=\"t\">" + xml_escape(title) + "</title><desc id=\"d\">" + xml_escape(desc) +
       "</desc>";
  s += "<text x=\"0\" y=\"18\" font-size=\"15\" font-weight=\"bold\" fill=\"#1a1a1a\">" +
       xml_escape(title) + "</text>";
  return s;
}

// Horizontal bars, one row each: label above, bar, number at its end. Readable at 360 px.
std::string hbar_svg(const std::string& title, const std::string& desc,
                     const std::vector<Bar>& bars, double max_value) {
  const int w = 360, row = 44, top = 30;
  const int h = top + row * static_cast<int>(std::max<size_t>(bars.size(), 1)) + 8;
  std::string s = svg_open(w, h, title, desc);
  if (bars.empty()) {
    s += "<text x=\"0\" y=\"" + std::to_string(top + 20) +
         "\" font-size=\"14\" fill=\"#333\">暂无数据 No data yet</text>";
  }
  for (size_t i = 0; i < bars.size(); ++i) {
    const int y = top + row * static_cast<int>(i);
    const double frac = max_value > 0 ? std::clamp(bars[i].value / max_value, 0.0, 1.0) : 0.0;
    const int len = static_cast<int>(std::lround(frac * 240));
    s += "<text x=\"0\" y=\"" + std::to_string(y + 13) + "\" font-size=\"13\" fill=\"#1a1a1a\">" +
         xml_escape(bars[i].label) + "</text>";
    s += "<rect x=\"0\" y=\"" + std::to_string(y + 18) + "\" width=\"" +
         std::to_string(std::max(len, 2)) + "\" height=\"16\" fill=\"#1f5fa8\"/>";
    s += "<text x=\"" + std::to_string(std::max(len, 2) + 6) + "\" y=\"" + std::to_string(y + 31) +
         "\" font-size=\"13\" fill=\"#1a1a1a\">" + xml_escape(bars[i].text) + "</text>";
  }
  return s + "</svg>";
}

// Vertical bars over time, the first and last dates written under the axis and each value
// available as a tooltip (<title>) and in the description.
std::string vbar_svg(const std::string& title, const std::string& desc,
                     const std::vector<Bar>& bars, double max_value, const std::string& max_text) {
  const int w = 360, h = 200, left = 4, bottom = 170, plot_h = 130;
  std::string s = svg_open(w, h, title, desc);
  s += "<text x=\"" + std::to_string(w) +
       "\" y=\"34\" font-size=\"12\" text-anchor=\"end\" fill=\"#333\">最高 " +
       xml_escape(max_text) + "</text>";
  s += "<line x1=\"0\" y1=\"" + std::to_string(bottom) + "\" x2=\"" + std::to_string(w) +
       "\" y2=\"" + std::to_string(bottom) + "\" stroke=\"#555\"/>";
  const double slot = bars.empty() ? w : static_cast<double>(w - left) / bars.size();
  for (size_t i = 0; i < bars.size(); ++i) {
    const double frac = max_value > 0 ? std::clamp(bars[i].value / max_value, 0.0, 1.0) : 0.0;
    const int bh = static_cast<int>(std::lround(frac * plot_h));
    const int x = left + static_cast<int>(slot * i);
    const int bw = std::max(1, static_cast<int>(slot) - 2);
    s += "<rect x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(bottom - bh) +
         "\" width=\"" + std::to_string(bw) + "\" height=\"" + std::to_string(bh) +
         "\" fill=\"#1f5fa8\"><title>" + xml_escape(bars[i].label + ": " + bars[i].text) +
         "</title></rect>";
  }
  if (!bars.empty()) {
    s += "<text x=\"0\" y=\"" + std::to_string(bottom + 18) + "\" font-size=\"12\" fill=\"#333\">" +
         xml_escape(bars.front().label) + "</text>";
    s += "<text x=\"" + std::to_string(w) + "\" y=\"" + std::to_string(bottom + 18) +
         "\" font-size=\"12\" text-anchor=\"end\" fill=\"#333\">" + xml_escape(bars.back().label) +
         "</text>";
  }
  return s + "</svg>";
}

}  // namespace

Json BurdenTotals::to_json() const {
  return Json{{"submissions", submissions},
              {"typed", typed},
              {"prefilled", prefilled},
              {"delivered", delivered},
              {"saved", saved()}};
}

Json DashboardData::to_json() const {
  Json days_j = Json::array(), places_j = Json::array(), conn_j = Json::array(),
       forms_j = Json::array();
  for (const auto& d : days) {
    Json j = d.BurdenTotals::to_json();
    j["date"] = d.date;
    days_j.push_back(std::move(j));
  }
  for (const auto& p : places) {
    Json j = p.BurdenTotals::to_json();
    j["code"] = p.code;
    j["name"] = p.name;
    places_j.push_back(std::move(j));
  }
  for (const auto& c : connectors) {
    const int64_t finished = c.delivered + c.dead;
    conn_j.push_back({{"id", c.id},
                      {"name", c.name},
                      {"delivered", c.delivered},
                      {"dead", c.dead},
                      {"success_rate", finished ? Json(double(c.delivered) / finished) : Json()},
                      {"backlog", c.backlog},
                      {"oldest_backlog_age_s", c.oldest_backlog_age_s},
                      {"circuit", c.circuit}});
  }
  for (const auto& [f, n] : forms) forms_j.push_back({{"form", f}, {"upstream_systems", n}});
  Json up_j = Json::array();
  int64_t up_fields = 0, up_covered = 0;
  for (const auto& u : upstream_forms) {
    up_fields += u.fields;
    up_covered += u.covered;
    up_j.push_back({{"id", u.id},
                    {"name", u.name},
                    {"system", u.system},
                    {"fields", u.fields},
                    {"covered", u.covered},
                    {"ratio", u.fields ? Json(double(u.covered) / u.fields) : Json()}});
  }
  return Json{{"org_unit", {{"code", root_code}, {"name", root_name}}},
              {"days", days_j},
              {"places", places_j},
              {"connectors", conn_j},
              {"forms", forms_j},
              {"upstream_forms",
               {{"count", upstream_forms.size()},
                {"fields", up_fields},
                {"covered", up_covered},
                {"ratio", up_fields ? Json(double(up_covered) / up_fields) : Json()},
                {"list", up_j}}}};
}

Dashboard::Dashboard(db::Database& db, Accounts& accounts, connectors::ConnectorStore& store,
                     const Clock& clock)
    : db_(db), accounts_(accounts), store_(store), clock_(clock) {}

Result<DashboardData> Dashboard::data(const User& u, int days) {
  if (u.role == Role::kCadre) {
    return Error::make(ErrorKind::kForbidden, "role_forbidden", "村干部不能查看县级统计",
                       "Cadres do not see the county dashboard");
  }
  days = std::clamp(days, 1, 366);
  const int64_t now = clock_.now_ms();
  const int64_t today = (now + kChinaOffsetMs) / kDayMs;
  const int64_t first_day = today - days + 1;
  const int64_t from_ms = first_day * kDayMs - kChinaOffsetMs;

  DashboardData d;
  d.root_code = u.org_code.value_or("");
  // The org tree: every unit's parent and name.
  std::map<std::string, std::pair<std::string, std::string>> tree;  // code -> (parent, name)
  auto st = db_.with_conn([&](db::Conn& c) -> Status {
    auto q = c.prepare("SELECT code, COALESCE(parent_code, ''), name FROM org_units");
    if (!q) return q.take_error();
    for (;;) {
      auto r = q->step();
      if (!r) return r.take_error();
      if (!*r) break;
      tree[q->get_text(0)] = {q->get_text(1), q->get_text(2)};
    }
    return ok_status();
  });
  if (!st) return st.take_error();
  if (auto it = tree.find(d.root_code); it != tree.end()) d.root_name = it->second.second;
  // The child of the root that a unit lies under ("" = outside the subtree).
  std::map<std::string, std::string> place_cache;
  auto place_of = [&](const std::string& code) -> std::string {
    if (auto it = place_cache.find(code); it != place_cache.end()) return it->second;
    std::string cur = code, found;
    for (int guard = 0; guard < 16; ++guard) {
      auto it = tree.find(cur);
      if (it == tree.end()) break;
      if (cur == d.root_code) {
        found = cur;  // the root's own answers
        break;
      }
      if (it->second.first == d.root_code) {
        found = cur;
        break;
      }
      cur = it->second.first;
    }
    place_cache[code] = found;
    return found;
  };

  std::map<int64_t, DashboardDay> by_day;
  std::map<std::string, DashboardPlace> by_place;
  std::map<std::string, ConnectorHealth> health;
  st = db_.with_conn([&](db::Conn& c) -> Status {
    auto q = c.prepare(
        "SELECT s.org_code, (s.received_at + ?) / ?, COUNT(*), COALESCE(SUM(b.typed), 0), "
        "COALESCE(SUM(b.prefilled), 0), COALESCE(SUM(b.delivered), 0) FROM submissions s "
        "LEFT JOIN submission_burden b ON b.submission_id = s.id WHERE s.received_at >= ? "
        "GROUP BY 1, 2");
    if (!q) return q.take_error();
    q->bind(1, kChinaOffsetMs).bind(2, kDayMs).bind(3, from_ms);
    for (;;) {
      auto r = q->step();
      if (!r) return r.take_error();
      if (!*r) break;
      const std::string place = place_of(q->get_text(0));
      if (place.empty()) continue;
      for (BurdenTotals* t : {static_cast<BurdenTotals*>(&by_day[q->get_int(1)]),
                              static_cast<BurdenTotals*>(&by_place[place])}) {
        t->add(q->get_int(2), q->get_int(3), q->get_int(4), q->get_int(5));
      }
    }
    // Finished deliveries in the window, and the whole backlog (the partial work index).
    auto f = c.prepare(
        "SELECT connector_id, org_code, status, COUNT(*) FROM deliveries WHERE created_at >= ? "
        "AND status IN ('delivered', 'dead') GROUP BY 1, 2, 3");
    if (!f) return f.take_error();
    f->bind(1, from_ms);
    for (;;) {
      auto r = f->step();
      if (!r) return r.take_error();
      if (!*r) break;
      if (place_of(f->get_text(1)).empty()) continue;
      auto& h = health[f->get_text(0)];
      (f->get_text(2) == "delivered" ? h.delivered : h.dead) += f->get_int(3);
    }
    auto b = c.prepare(
        "SELECT connector_id, org_code, COUNT(*), MIN(created_at) FROM deliveries "
        "WHERE status IN ('pending', 'retrying', 'sending') GROUP BY 1, 2");
    if (!b) return b.take_error();
    for (;;) {
      auto r = b->step();
      if (!r) return r.take_error();
      if (!*r) break;
      if (place_of(b->get_text(1)).empty()) continue;
      auto& h = health[b->get_text(0)];
      h.backlog += b->get_int(2);
      h.oldest_backlog_age_s =
          std::max(h.oldest_backlog_age_s, std::max<int64_t>(0, (now - b->get_int(3)) / 1000));
    }
    return ok_status();
  });
  if (!st) return st.take_error();

  for (int64_t day = first_day; day <= today; ++day) {
    DashboardDay x = by_day.count(day) ? by_day[day] : DashboardDay{};
    x.date = iso_date_utc(day * kDayMs);
    d.days.push_back(std::move(x));
  }
  for (auto& [code, p] : by_place) {
    p.code = code;
    p.name = tree.count(code) ? tree[code].second : code;
    d.places.push_back(p);
  }
  auto snap = store_.snapshot();
  if (!snap) return snap.take_error();
  std::map<std::string, int> per_form;
  for (const auto& e : **snap) {
    ConnectorHealth h = health[e.connector->id];
    h.id = e.connector->id;
    h.name = e.connector->name.zh.empty() ? e.connector->id : e.connector->name.zh;
    h.circuit = e.paused ? "paused" : "active";
    d.connectors.push_back(std::move(h));
    for (const auto& f : e.connector->forms) per_form[f]++;
  }
  for (const auto& [f, n] : per_form) d.forms.emplace_back(f, n);
  // Upstream forms and their coverage by the latest dictionary (configuration, not per place).
  auto up = db_.with_conn([&](db::Conn& c) -> Status {
    std::set<std::string> keys;
    auto dq = c.prepare("SELECT definition FROM dictionary_versions ORDER BY version DESC LIMIT 1");
    if (!dq) return dq.take_error();
    auto dr = dq->step();
    if (!dr) return dr.take_error();
    if (*dr) {
      Json def = Json::parse(dq->get_text(0), nullptr, false);
      if (def.is_object() && def.contains("fields") && def["fields"].is_array()) {
        for (const auto& f : def["fields"]) {
          if (f.is_object() && f.contains("key") && f["key"].is_string()) keys.insert(f["key"]);
        }
      }
    }
    auto q = c.prepare("SELECT id, definition FROM upstream_forms ORDER BY id");
    if (!q) return q.take_error();
    for (;;) {
      auto r = q->step();
      if (!r) return r.take_error();
      if (!*r) break;
      Json reg = Json::parse(q->get_text(1), nullptr, false);
      if (!reg.is_object() || !reg.contains("fields") || !reg.contains("mapping")) continue;
      Json cov = upstream_coverage(reg, keys);
      d.upstream_forms.push_back({q->get_text(0), reg.value("name", ""), reg.value("system", ""),
                                  cov["fields"].get<int64_t>(),
                                  static_cast<int64_t>(cov["covered"].size())});
    }
    return ok_status();
  });
  if (!up) return up.take_error();
  return d;
}

Result<std::string> dashboard_chart(const DashboardData& d, const std::string& name) {
  if (name == "saved" || name == "prefill") {
    const bool saved = name == "saved";
    std::vector<Bar> bars;
    double max_v = 0;
    std::string desc;
    for (const auto& day : d.days) {
      const double answers = static_cast<double>(day.typed + day.prefilled);
      const double v =
          saved ? static_cast<double>(day.saved()) : (answers > 0 ? day.prefilled / answers : 0.0);
      const std::string text = saved ? fmt_int(static_cast<int64_t>(v)) + " 项" : fmt_pct(v);
      bars.push_back({day.date, v, text});
      max_v = std::max(max_v, v);
      desc += day.date + " " + text + "; ";
    }
    if (saved) {
      return vbar_svg("每日节省的录入项 Entries saved per day", desc, bars, max_v,
                      fmt_int(static_cast<int64_t>(max_v)) + " 项");
    }
    return vbar_svg("每日预填比例 Pre-fill rate per day", desc, bars, std::max(max_v, 1.0),
                    fmt_pct(max_v));
  }
  if (name == "places") {
    std::vector<Bar> bars;
    double max_v = 0;
    std::string desc;
    for (const auto& p : d.places) {
      const double v = static_cast<double>(p.saved());
      const std::string text =
          fmt_int(p.submissions) + " 份 · 节省 " + fmt_int(static_cast<int64_t>(v)) + " 项";
      bars.push_back({p.name, v, text});
      max_v = std::max(max_v, v);
      desc += p.name + ": " + text + "; ";
    }
    return hbar_svg("各地节省的录入项 Entries saved by place", desc, bars, max_v);
  }
  if (name == "health") {
    std::vector<Bar> bars;
    std::string desc;
    for (const auto& c : d.connectors) {
      const int64_t finished = c.delivered + c.dead;
      const double rate = finished ? static_cast<double>(c.delivered) / finished : 0.0;
      std::string text = (finished ? "成功 " + fmt_pct(rate) : std::string("尚无结果")) +
                         " · 积压 " + fmt_int(c.backlog);
      if (c.backlog > 0) text += " · 最久 " + fmt_age(c.oldest_backlog_age_s);
      if (c.circuit == "paused") text += " · 已暂停";
      bars.push_back({c.name, rate, text});
      desc += c.name + ": " + text + "; ";
    }
    return hbar_svg("各系统送达情况 Delivery health by system", desc, bars, 1.0);
  }
  if (name == "coverage") {
    std::vector<Bar> bars;
    std::string desc;
    for (const auto& u : d.upstream_forms) {
      const double rate = u.fields ? static_cast<double>(u.covered) / u.fields : 0.0;
      const std::string text =
          "已覆盖 " + fmt_int(u.covered) + "/" + fmt_int(u.fields) + " 项 · " + fmt_pct(rate);
      bars.push_back({u.name, rate, text});
      desc += u.name + ": " + text + "; ";
    }
    return hbar_svg("上游表单并入一表通 Upstream forms covered by the unified form", desc, bars,
                    1.0);
  }
  return Error::make(
      ErrorKind::kNotFound, "no_such_chart", "没有这个图表：" + name.substr(0, 40),
      "No chart named " + name.substr(0, 40) + " (saved, prefill, places, health, coverage)");
}

}  // namespace yb::admin
