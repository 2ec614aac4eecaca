#include "admin/org_units.h"

#include <algorithm>
#include <map>
#include <set>

#include "admin/connector_admin.h"

namespace yb::admin {
namespace {

using Json = nlohmann::json;

int level_rank(const std::string& level) {
  if (level == "province") return 0;
  if (level == "city") return 1;
  if (level == "county") return 2;
  if (level == "township") return 3;
  return 4;
}

// Significant digits of a code at its level (the prefix its descendants share).
size_t prefix_len(const std::string& level) {
  switch (level_rank(level)) {
    case 0:
      return 2;
    case 1:
      return 4;
    case 2:
      return 6;
    case 3:
      return 9;
    default:
      return 12;
  }
}

bool is_code(const std::string& s) {
  return s.size() == 12 && s.find_first_not_of("0123456789") == std::string::npos &&
         s.compare(0, 2, "00") != 0;
}

// Length in code points when s is valid UTF-8 without control characters; nullopt otherwise.
std::optional<size_t> text_length(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    size_t len = b < 0x80           ? 1
                 : (b >> 5) == 0x6  ? 2
                 : (b >> 4) == 0xE  ? 3
                 : (b >> 3) == 0x1E ? 4
                                    : 0;
    if (len == 0 || i + len > s.size()) return std::nullopt;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return std::nullopt;
    }
    if (len == 1 && (b < 0x20 || b == 0x7F)) return std::nullopt;
    if (len == 2 && b < 0xC2) return std::nullopt;  // overlong
    i += len;
    ++n;
  }
  return n;
}

std::string trim(std::string s) {
  auto sp = [](char ch) { return ch == ' ' || ch == '\t'; };
  while (!s.empty() && sp(s.back())) s.pop_back();
  size_t i = 0;
  while (i < s.size() && sp(s[i])) ++i;
  return s.substr(i);
}

// One CSV line into fields; false on a quote problem.
bool split_csv_line(std::string_view line, std::vector<std::string>& out) {
  out.clear();
  std::string cur;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          cur += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        cur += ch;
      }
    } else if (ch == '"') {
      if (!trim(cur).empty() || was_quoted) return false;  // a quote inside a bare field
      cur.clear();
      quoted = was_quoted = true;
    } else if (ch == ',') {
      out.push_back(was_quoted ? cur : trim(cur));
      cur.clear();
      was_quoted = false;
    } else {
      if (was_quoted && ch != ' ' && ch != '\t') return false;  // text after a closing quote
      cur += ch;
    }
  }
  if (quoted) return false;
  out.push_back(was_quoted ? cur : trim(cur));
  return true;
}

struct Problems {
  std::vector<FieldError> errs;
  void add(int line, const std::string& code, const std::string& zh, const std::string& en) {
    errs.push_back({"line " + std::to_string(line),
                    code,
                    {"第 " + std::to_string(line) + " 行：" + zh,
                     "Line " + std::to_string(line) + ": " + en}});
  }
};

Error invalid(std::vector<FieldError> errs) {
  Error e = Error::make(ErrorKind::kValidation, "invalid_org_units",
                        "单位列表有误，没有导入任何单位，请按提示修改后重新导入",
                        "The org unit list has errors; nothing was imported");
  e.details = std::move(errs);
  return e;
}

}  // namespace

std::string org_level_of(const std::string& code) {
  if (code.size() != 12) return "village";
  if (code.compare(2, 10, "0000000000") == 0) return "province";
  if (code.compare(4, 8, "00000000") == 0) return "city";
  if (code.compare(6, 6, "000000") == 0) return "county";
  if (code.compare(9, 3, "000") == 0) return "township";
  return "village";
}

std::optional<std::string> org_structural_parent(const std::string& code) {
  const std::string level = org_level_of(code);
  const int r = level_rank(level);
  if (r == 0) return std::nullopt;
  static const size_t kKeep[] = {2, 4, 6, 9};
  const size_t keep = kKeep[r - 1];
  return code.substr(0, keep) + std::string(12 - keep, '0');
}

Result<std::vector<OrgCsvRow>> parse_org_csv(std::string_view text) {
  if (text.size() > kMaxOrgCsvBytes) {
    return Error::make(
        ErrorKind::kTooLarge, "org_csv_too_large",
        "文件太大：最多 " + std::to_string(kMaxOrgCsvBytes >> 20) + " MB，请分批导入",
        "The file is too large: at most " + std::to_string(kMaxOrgCsvBytes >> 20) +
            " MB; import it in parts");
  }
  if (text.find('\0') != std::string_view::npos) {
    return Error::make(ErrorKind::kInvalidArgument, "org_csv_binary",
                       "这不是文本 CSV 文件（含有 NUL 字节）",
                       "This is not a text CSV file (it contains NUL bytes)");
  }
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  Problems p;
  std::vector<OrgCsvRow> rows;
  std::map<std::string, int> seen;  // code -> line
  std::vector<std::string> cols;
  int line_no = 0;
  bool first = true;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    if (static_cast<size_t>(line_no) > kMaxOrgCsvLines) {
      return Error::make(
          ErrorKind::kTooLarge, "org_csv_too_many_lines",
          "行数太多：最多 " + std::to_string(kMaxOrgCsvLines) + " 行，请分批导入",
          "Too many lines: at most " + std::to_string(kMaxOrgCsvLines) + "; import in parts");
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(std::string(line)).empty()) continue;
    if (line.size() > kMaxOrgCsvLineBytes) {
      p.add(line_no, "line_too_long", "这一行太长", "the line is too long");
      continue;
    }
    if (!text_length(line)) {
      p.add(line_no, "encoding", "含有非 UTF-8 字符或控制字符，请另存为 UTF-8 编码的 CSV",
            "not UTF-8 text or contains control characters; save the CSV as UTF-8");
      continue;
    }
    if (!split_csv_line(line, cols)) {
      p.add(line_no, "quote", "引号不成对", "unbalanced quotes");
      continue;
    }
    if (first) {
      first = false;
      std::string h = cols[0];
      std::transform(h.begin(), h.end(), h.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      if (h == "code" || h == "代码" || h == "区划代码" || h == "行政区划代码") continue;
    }
    if (cols.size() < 2 || cols.size() > 3) {
      p.add(line_no, "columns", "应有 2 或 3 列：代码,名称[,上级代码]",
            "expected 2 or 3 columns: code,name[,parent]");
      continue;
    }
    OrgCsvRow r{line_no, cols[0], cols[1], std::nullopt};
    bool ok = true;
    if (!is_code(r.code)) {
      p.add(line_no, "code", "代码应为 12 位行政区划代码，例如 130111200201",
            "the code must be a 12-digit division code such as 130111200201");
      ok = false;
    }
    auto len = text_length(r.name);
    if (r.name.empty() || !len || *len > 100) {
      p.add(line_no, "name", "请填写单位名称（最多 100 个字）",
            "the name is required (at most 100 characters)");
      ok = false;
    }
    if (cols.size() == 3 && !cols[2].empty()) {
      if (!is_code(cols[2])) {
        p.add(line_no, "parent", "上级代码应为 12 位行政区划代码或留空",
              "the parent must be a 12-digit code or empty");
        ok = false;
      } else if (cols[2] == r.code) {
        p.add(line_no, "parent", "上级不能是它自己", "a unit cannot be its own parent");
        ok = false;
      } else {
        r.parent = cols[2];
      }
    }
    if (!ok) continue;
    if (auto it = seen.find(r.code); it != seen.end()) {
      p.add(line_no, "duplicate",
            "代码 " + r.code + " 已在第 " + std::to_string(it->second) + " 行出现",
            "code " + r.code + " already on line " + std::to_string(it->second));
      continue;
    }
    seen[r.code] = line_no;
    rows.push_back(std::move(r));
  }
  if (!p.errs.empty()) return invalid(std::move(p.errs));
  if (rows.empty()) {
    return invalid({{"", "empty", {"文件里没有单位", "The file lists no org units"}}});
  }
  return rows;
}

Status OrgUnitAdmin::refuse(const Caller& c, const std::string& action, const Error& e) {
  const char* result = refusal_result(e);
  (void)audit_.record({c.user.username, to_string(c.user.role), action, "", c.remote_addr, result,
                       Json{{"code", e.code}, {"problems", e.details.size()}}});
  return e;
}

Result<Json> OrgUnitAdmin::import_csv(const Caller& c, std::string_view csv, bool dry_run) {
  const std::string action = dry_run ? "org_units.import_dry_run" : "org_units.import";
  if (auto st = ConnectorAdmin::require_admin(c.user); !st)
    return refuse(c, action, st.error()).take_error();
  auto parsed = parse_org_csv(csv);
  if (!parsed) return refuse(c, action, parsed.error()).take_error();
  std::vector<OrgCsvRow>& rows = *parsed;

  auto stored = db_.with_conn([](db::Conn& conn) { return read_org_units(conn); });
  if (!stored) return stored.take_error();
  const std::map<std::string, OrgUnit>& db_units = *stored;

  // Parents before children: by level, then code.
  std::stable_sort(rows.begin(), rows.end(), [](const OrgCsvRow& a, const OrgCsvRow& b) {
    const int ra = level_rank(org_level_of(a.code)), rb = level_rank(org_level_of(b.code));
    return ra != rb ? ra < rb : a.code < b.code;
  });
  std::map<std::string, const OrgCsvRow*> in_file;
  for (const auto& r : rows) in_file[r.code] = &r;

  Problems p;
  struct Planned {
    const OrgCsvRow* row;
    OrgUnit unit;
    std::string change;  // "add", "rename", "same"
  };
  std::vector<Planned> plan;
  std::map<std::string, bool> scope_ok;  // code -> inside the caller's subtree
  const bool whole_tree = !c.user.org_code.has_value();
  auto exists = [&](const std::string& code) {
    return db_units.count(code) || in_file.count(code);
  };
  for (const auto& r : rows) {
    const std::string level = org_level_of(r.code);
    std::optional<std::string> parent;
    if (r.parent) {
      const std::string& pc = *r.parent;
      const std::string plevel = org_level_of(pc);
      if (!exists(pc)) {
        p.add(r.line, "parent_missing", "上级 " + pc + " 既不在文件中也不在系统中",
              "the parent " + pc + " is neither in the file nor in the database");
        continue;
      }
      if (level_rank(plevel) >= level_rank(level) ||
          r.code.compare(0, prefix_len(plevel), pc, 0, prefix_len(plevel)) != 0) {
        p.add(r.line, "parent_mismatch", "上级 " + pc + " 的代码不包含 " + r.code,
              "the parent " + pc + " does not enclose " + r.code + " by its code");
        continue;
      }
      parent = pc;
    } else {
      const int rank = level_rank(level);
      for (auto anc = org_structural_parent(r.code); anc; anc = org_structural_parent(*anc)) {
        if (exists(*anc)) {
          parent = *anc;
          break;
        }
        if (rank >= 3) break;  // townships and villages need their immediate parent
      }
      if (!parent && rank >= 3) {
        const std::string want = *org_structural_parent(r.code);
        p.add(r.line, "parent_missing",
              "找不到上级单位 " + want + "：请在文件中先列出它，或填写上级代码",
              "no enclosing unit " + want + ": list it in the file or give the parent");
        continue;
      }
    }
    OrgUnit u{r.code, r.name, parent, level};
    std::string change = "add";
    if (auto it = db_units.find(r.code); it != db_units.end()) {
      if (it->second.parent_code != parent) {
        p.add(r.line, "parent_differs",
              "单位 " + r.code + " 在系统中的上级是 " + it->second.parent_code.value_or("（无）") +
                  "，导入不移动已有单位",
              "unit " + r.code + " has the parent " + it->second.parent_code.value_or("(none)") +
                  " in the database; import never moves existing units");
        continue;
      }
      change = it->second.name == r.name ? "same" : "rename";
    }
    // Scope: an existing unit by its chain; a new one through its parent.
    bool ok = whole_tree;
    if (!ok) {
      if (db_units.count(r.code)) {
        ok = accounts_.in_scope(c.user.org_code, r.code);
      } else if (parent) {
        ok = db_units.count(*parent) ? accounts_.in_scope(c.user.org_code, *parent)
                                     : scope_ok[*parent];
      }
    }
    scope_ok[r.code] = ok;
    if (!ok) {
      p.add(r.line, "out_of_scope", "单位 " + r.code + " 不在你的管辖范围内",
            "unit " + r.code + " is outside your subtree");
      continue;
    }
    plan.push_back({&r, u, change});
  }
  if (!p.errs.empty()) {
    std::sort(p.errs.begin(), p.errs.end(), [](const FieldError& a, const FieldError& b) {
      return std::stoi(a.path.substr(5)) < std::stoi(b.path.substr(5));
    });
    Error e = invalid(std::move(p.errs));
    // Reaching outside the subtree is a refusal (403) even when other lines are bad too.
    for (const auto& d : e.details) {
      if (d.code == "out_of_scope") {
        e.kind = ErrorKind::kForbidden;
        e.code = "org_units_out_of_scope";
        e.message = {"有单位不在你的管辖范围内，没有导入任何单位",
                     "Some units lie outside your subtree; nothing was imported"};
        break;
      }
    }
    return refuse(c, action, e).take_error();
  }

  int added = 0, renamed = 0, unchanged = 0;
  Json changes = Json::array();
  constexpr size_t kMaxListed = 2000;
  for (const auto& pl : plan) {
    if (pl.change == "same") {
      ++unchanged;
      continue;
    }
    (pl.change == "add" ? added : renamed)++;
    if (changes.size() < kMaxListed) {
      changes.push_back({{"line", pl.row->line},
                         {"code", pl.unit.code},
                         {"name", pl.unit.name},
                         {"parent_code", pl.unit.parent_code ? Json(*pl.unit.parent_code) : Json()},
                         {"level", pl.unit.level},
                         {"change", pl.change}});
    }
  }
  Json report{{"dry_run", dry_run},
              {"applied", false},
              {"lines", rows.size()},
              {"added", added},
              {"renamed", renamed},
              {"unchanged", unchanged},
              {"changes", changes},
              {"changes_truncated", static_cast<size_t>(added + renamed) > changes.size()}};
  if (dry_run || added + renamed == 0) {
    (void)audit_.record({c.user.username, to_string(c.user.role), action, "", c.remote_addr, "ok",
                         Json{{"added", added}, {"renamed", renamed}, {"applied", false}}});
    return report;
  }
  auto w = audit_.writer().run([&](db::Conn& conn) -> Status {
    auto ins =
        conn.prepare("INSERT INTO org_units (code, name, parent_code, level) VALUES (?, ?, ?, ?)");
    if (!ins) return ins.take_error();
    auto ren = conn.prepare("UPDATE org_units SET name = ? WHERE code = ?");
    if (!ren) return ren.take_error();
    for (const auto& pl : plan) {
      if (pl.change == "add") {
        ins->reset();
        ins->bind(1, pl.unit.code).bind(2, pl.unit.name).bind(3, pl.unit.parent_code);
        ins->bind(4, pl.unit.level);
        if (auto s = ins->run(); !s) return s;
      } else if (pl.change == "rename") {
        ren->reset();
        ren->bind(1, pl.unit.name).bind(2, pl.unit.code);
        if (auto s = ren->run(); !s) return s;
      }
    }
    return AuditLog::append(conn,
                            {c.user.username, to_string(c.user.role), action, "", c.remote_addr,
                             "ok", Json{{"added", added}, {"renamed", renamed}, {"applied", true}}},
                            audit_.clock().now_ms());
  });
  accounts_.forget_org_units();
  if (!w) return refuse(c, action, w.error()).take_error();
  report["applied"] = true;
  return report;
}

Result<Json> OrgUnitAdmin::children(const Caller& c, const std::optional<std::string>& parent) {
  if (c.user.role == Role::kCadre) {
    return Error::make(ErrorKind::kForbidden, "role_forbidden", "你的角色不能浏览单位树",
                       "Your role may not browse the org unit tree");
  }
  std::optional<std::string> root = parent;
  if (root && !is_code(*root)) {
    return Error::make(ErrorKind::kInvalidArgument, "bad_query", "parent 应为 12 位行政区划代码",
                       "parent must be a 12-digit division code");
  }
  if (!root) root = c.user.org_code;
  Json parent_j = nullptr;
  if (root) {
    auto u = accounts_.org_unit(*root);
    if (!u || !accounts_.in_scope(c.user.org_code, *root)) {
      return Error::make(ErrorKind::kNotFound, "org_unit_not_found",
                         "找不到单位 " + *root + "，或它不在你的管辖范围内",
                         "No org unit " + *root + " within your subtree");
    }
    parent_j = {{"code", u->code},
                {"name", u->name},
                {"level", u->level},
                {"parent_code", u->parent_code ? Json(*u->parent_code) : Json()}};
  }
  return db_.with_conn([&](db::Conn& conn) -> Result<Json> {
    auto q = conn.prepare(
        root ? "SELECT o.code, o.name, o.level, o.parent_code, (SELECT COUNT(*) FROM org_units k "
               "WHERE k.parent_code = o.code) FROM org_units o WHERE o.parent_code = ? "
               "ORDER BY o.code"
             : "SELECT o.code, o.name, o.level, o.parent_code, (SELECT COUNT(*) FROM org_units k "
               "WHERE k.parent_code = o.code) FROM org_units o WHERE o.parent_code IS NULL "
               "ORDER BY o.code");
    if (!q) return q.take_error();
    if (root) q->bind(1, *root);
    Json units = Json::array();
    for (;;) {
      auto r = q->step();
      if (!r) return r.take_error();
      if (!*r) break;
      auto pc = q->get_opt_text(3);
      units.push_back({{"code", q->get_text(0)},
                       {"name", q->get_text(1)},
                       {"level", q->get_text(2)},
                       {"parent_code", pc ? Json(*pc) : Json()},
                       {"children", q->get_int(4)}});
    }
    return Json{{"parent", parent_j}, {"units", units}};
  });
}

}  // namespace yb::admin
