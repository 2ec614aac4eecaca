#include "dedupe/match.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "dedupe/names.h"
#include "dedupe/normalize.h"
#include "forms/normalize.h"

namespace yb::dedupe {
namespace {

std::string fmt(const char* what, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s=%+.1f", what, v);
  return buf;
}

// Birth dates that differ by one typing slip: one of year/month/day differs, or day and
// month swapped.
bool near_date(const std::string& a, const std::string& b) {
  if (a.size() != 10 || b.size() != 10) return false;
  const std::string ay = a.substr(0, 4), am = a.substr(5, 2), ad = a.substr(8, 2);
  const std::string by = b.substr(0, 4), bm = b.substr(5, 2), bd = b.substr(8, 2);
  const int same = (ay == by) + (am == bm) + (ad == bd);
  if (same == 2) return true;
  return ay == by && am == bd && ad == bm;
}

}  // namespace

Identity make_identity(std::string_view name, std::string_view id_number,
                       std::string_view birth_date, std::string_view sex, std::string_view phone,
                       std::string_view org_code) {
  Identity p;
  p.name = canonical_name(name);
  p.name_key = name_without_separators(p.name);
  if (!id_number.empty()) {
    auto parsed = forms::parse_id_number(id_number);
    if (parsed.id) {
      p.id_number = parsed.id->value;
      if (birth_date.empty()) p.birth_date = parsed.id->birth_date;
      if (sex.empty()) p.sex.assign(1, parsed.id->male ? '1' : '2');
    } else {
      p.id_typed = clean_id_number(id_number);
    }
  }
  if (!birth_date.empty()) p.birth_date = normalize_date(birth_date).value_or("");
  if (!sex.empty()) p.sex = std::string(sex);
  if (!phone.empty()) p.phone = normalize_phone(phone).value_or("");
  p.org_code = std::string(org_code);
  return p;
}

std::string block_of(std::string_view org_code) {
  return std::string(org_code.substr(0, std::min<size_t>(9, org_code.size())));
}

const char* to_string(Band b) {
  switch (b) {
    case Band::kAuto:
      return "auto";
    case Band::kReview:
      return "review";
    case Band::kNew:
      return "new";
  }
  return "new";
}

int name_distance(std::string_view a, std::string_view b) {
  auto x = forms::utf8_code_points(a), y = forms::utf8_code_points(b);
  if (x.size() > y.size()) std::swap(x, y);
  if (y.size() - x.size() >= 3) return 3;
  std::vector<int> prev(y.size() + 1), cur(y.size() + 1);
  for (size_t j = 0; j <= y.size(); ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= x.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= y.size(); ++j) {
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return std::min(prev[y.size()], 3);
}

Score score(const Identity& p, const Identity& c, int same_name_in_block, const Thresholds& t) {
  Score s;
  auto add = [&](const char* what, double v) {
    s.total += v;
    s.reasons.push_back(fmt(what, v));
  };
  // ID number.
  const std::string& pid = !p.id_number.empty() ? p.id_number : p.id_typed;
  const std::string& cid = !c.id_number.empty() ? c.id_number : c.id_typed;
  if (!p.id_number.empty() && !c.id_number.empty()) {
    add("id_number", p.id_number == c.id_number ? 30.0 : -20.0);  // two valid numbers differ
  } else if (!pid.empty() && !cid.empty()) {
    const int d = id_distance(pid, cid);
    add("id_number", d == 0 ? 12.0 : d == 1 ? 9.0 : -4.0);
  }
  // Name: exact key (after simplification and without separators), one slip, or different.
  if (!p.name_key.empty() && !c.name_key.empty()) {
    if (p.name_key == c.name_key) {
      const int n = std::max(1, same_name_in_block);
      add("name", std::max(1.5, 5.0 - std::log2(static_cast<double>(n))));
    } else {
      const int d = name_distance(p.name_key, c.name_key);
      const size_t len = forms::utf8_code_points(p.name_key).size();
      // Sounds the same (张伟 / 张玮): the commonest slip of a Chinese input method.
      // Two slips only in names of three or more characters (two-character homophones of
      // different people are common: 王伟 / 汪巍).
      const bool homophone = (d == 1 || (d == 2 && len >= 3)) && len >= 2 &&
                             len == forms::utf8_code_points(c.name_key).size() &&
                             !name_pinyin(p.name_key).empty() &&
                             name_pinyin(p.name_key) == name_pinyin(c.name_key);
      if (homophone) {
        add("name≈", d == 1 ? 3.5 : 2.5);
      } else if (d == 1 && len >= 2) {
        add("name~", 2.5);
      } else if (d == 2 && len >= 5) {
        add("name~", 1.0);  // long minority names: two slips
      } else {
        add("name", -5.0);
      }
    }
  }
  if (!p.birth_date.empty() && !c.birth_date.empty()) {
    if (p.birth_date == c.birth_date) {
      add("birth_date", 4.0);
    } else {
      add("birth_date", near_date(p.birth_date, c.birth_date) ? 0.5 : -4.0);
    }
  }
  if ((p.sex == "1" || p.sex == "2") && (c.sex == "1" || c.sex == "2")) {
    add("sex", p.sex == c.sex ? 0.5 : -6.0);
  }
  if (!p.phone.empty() && !c.phone.empty() && p.phone == c.phone) add("phone", 3.0);
  if (p.household != 0 && p.household == c.household) add("household", 1.5);
  if (!p.org_code.empty() && p.org_code == c.org_code) add("village", 1.0);
  s.band = s.total >= t.auto_link ? Band::kAuto : s.total >= t.review ? Band::kReview : Band::kNew;
  return s;
}

}  // namespace yb::dedupe
