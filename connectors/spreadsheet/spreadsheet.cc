// spreadsheet: configuration, CSV and XLSX rendering.
#include "connectors/spreadsheet/spreadsheet.h"

#include <unistd.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "forms/normalize.h"

namespace yb::connectors {

namespace {

void add_err(std::vector<FieldError>& errs, std::string path, std::string code, std::string zh,
             std::string en) {
  if (errs.size() >= 500) return;
  errs.push_back(FieldError{std::move(path), std::move(code), Text{std::move(zh), std::move(en)}});
}

bool valid_sheet_name(const std::string& s) {
  if (s.empty() || !forms::utf8_valid(s) || forms::utf8_length(s) > 31) return false;
  if (s.front() == '\'' || s.back() == '\'') return false;
  return s.find_first_of("[]:*?/\\") == std::string::npos;
}

Result<ConnectorPtr> parse_spreadsheet(const Json& config, const forms::Dictionary* dict) {
  auto c = std::make_shared<SpreadsheetConnector>();
  std::vector<FieldError> errs;
  std::vector<std::string> allowed;
  parse_common(config, dict, *c, errs, allowed);
  for (const char* k : {"columns", "formats", "period", "sheet_name", "folder", "encoding"}) {
    allowed.push_back(k);
  }
  reject_unknown_keys(config, "", allowed, errs);
  if (!config.is_object()) return connector_config_error(std::move(errs));

  const auto& writes = c->mapping.writes();
  if (auto it = config.find("columns"); it != config.end()) {
    if (!it->is_array() || it->empty() || it->size() > 1000) {
      add_err(errs, "columns", "type",
              "columns 必须是非空数组，例如 [{\"header\": \"姓名\", \"field\": \"xm\"}]",
              "\"columns\" must be a non-empty array, e.g. [{\"header\": \"Name\", \"field\": "
              "\"xm\"}]");
    } else {
      std::set<std::string> headers;
      for (size_t i = 0; i < it->size(); ++i) {
        const std::string p = "columns[" + std::to_string(i) + "]";
        const Json& col = (*it)[i];
        if (!col.is_object()) {
          add_err(errs, p, "type", "每一列必须是 {\"header\": ..., \"field\": ...}",
                  "Each column must be {\"header\": ..., \"field\": ...}");
          continue;
        }
        reject_unknown_keys(col, p, {"header", "field"}, errs);
        SpreadsheetColumn sc;
        auto h = col.find("header");
        if (h == col.end() || !h->is_string() || h->get_ref<const std::string&>().empty()) {
          add_err(errs, p + ".header", h == col.end() ? "required" : "type",
                  "列标题 header 必须是非空字符串，例如 \"姓名\"",
                  "The column \"header\" must be a non-empty string, e.g. \"姓名\"");
        } else {
          sc.header = h->get<std::string>();
          if (!headers.insert(sc.header).second) {
            add_err(errs, p + ".header", "duplicate_header", "列标题“" + sc.header + "”重复",
                    "Column header \"" + sc.header + "\" appears twice");
          }
        }
        auto f = col.find("field");
        if (f == col.end() || !f->is_string() || f->get_ref<const std::string&>().empty()) {
          add_err(errs, p + ".field", f == col.end() ? "required" : "type",
                  "列字段 field 必须是映射输出的字段名（mapping 的 to）",
                  "The column \"field\" must be a mapping output name (a mapping \"to\")");
        } else {
          sc.field = f->get<std::string>();
          // A column shows a mapping output: the path itself or an object above it.
          const bool found = std::any_of(writes.begin(), writes.end(), [&](const auto& w) {
            return w == sc.field || w.rfind(sc.field + ".", 0) == 0;
          });
          if (!writes.empty() && !found) {
            add_err(errs, p + ".field", "unknown_column_field",
                    "映射中没有输出“" + sc.field + "”，请改为某条映射规则的 to",
                    "The mapping writes no \"" + sc.field + "\"; use the \"to\" of a mapping rule");
          }
        }
        c->columns.push_back(std::move(sc));
      }
    }
  } else {
    for (const auto& w : writes) c->columns.push_back({w, w});
  }

  if (auto it = config.find("formats"); it != config.end()) {
    std::vector<std::string> f;
    bool ok = it->is_array() && !it->empty();
    if (ok) {
      for (const auto& x : *it) {
        const std::string s = x.is_string() ? x.get<std::string>() : "";
        if ((s != "csv" && s != "xlsx") || std::find(f.begin(), f.end(), s) != f.end()) {
          ok = false;
        } else {
          f.push_back(s);
        }
      }
    }
    if (!ok) {
      add_err(errs, "formats", "bad_value",
              "formats 必须是 \"csv\" 和/或 \"xlsx\" 的数组（不重复），例如 [\"csv\", \"xlsx\"]",
              "\"formats\" must be an array of \"csv\" and/or \"xlsx\" without repeats");
    } else {
      c->formats = std::move(f);
    }
  }

  if (auto it = config.find("period"); it != config.end()) {
    const std::string s = it->is_string() ? it->get<std::string>() : "";
    if (s != "batch" && s != "day" && s != "week" && s != "month") {
      add_err(errs, "period", "bad_value", "period 只能是 batch、day、week 或 month",
              "\"period\" must be batch, day, week or month");
    } else {
      c->period = s;
    }
  }

  if (auto it = config.find("sheet_name"); it != config.end()) {
    if (!it->is_string() || !valid_sheet_name(it->get<std::string>())) {
      add_err(errs, "sheet_name", "bad_value",
              "sheet_name 必须是 1–31 个字符，不能含 [ ] : * ? / \\，不能以单引号开头或结尾",
              "\"sheet_name\" must be 1–31 characters without [ ] : * ? / \\ and not start or "
              "end with an apostrophe");
    } else {
      c->sheet_name = it->get<std::string>();
    }
  }

  if (auto it = config.find("folder"); it != config.end()) {
    const std::string s = it->is_string() ? it->get<std::string>() : "";
    if (s.empty() || s[0] != '/' || s.find("/../") != std::string::npos ||
        (s.size() >= 3 && s.compare(s.size() - 3, 3, "/..") == 0)) {
      add_err(errs, "folder", "bad_path", "folder 必须是绝对路径（不含 ..），例如 \"/srv/exports\"",
              "\"folder\" must be an absolute path without \"..\", e.g. \"/srv/exports\"");
    } else {
      c->folder = s;
    }
  }

  if (auto it = config.find("encoding"); it != config.end()) {
    const std::string s = it->is_string() ? it->get<std::string>() : "";
    if (s != "utf-8-bom" && s != "utf-8") {
      add_err(errs, "encoding", "bad_value",
              "encoding 只能是 \"utf-8-bom\"（默认，Excel 可直接打开）或 \"utf-8\"",
              "\"encoding\" must be \"utf-8-bom\" (default, opens in Excel) or \"utf-8\"");
    } else {
      c->encoding = s;
    }
  }

  if (!errs.empty()) return connector_config_error(std::move(errs));
  return ConnectorPtr(std::move(c));
}

class SpreadsheetType : public ConnectorType {
 public:
  std::string name() const override { return "spreadsheet"; }
  Result<ConnectorPtr> parse(const Json& config, const forms::Dictionary* dict) const override {
    return parse_spreadsheet(config, dict);
  }
};

std::string csv_cell(const std::string& s, bool guard) {
  std::string v = s;
  if (guard && !v.empty() &&
      (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r')) {
    v.insert(v.begin(), '\'');
  }
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string q = "\"";
  for (char ch : v) {
    if (ch == '"') q += '"';
    q += ch;
  }
  q += '"';
  return q;
}

// Days since 1970-01-01 → (y, m, d) (H. Hinnant's civil_from_days).
void civil_from_days(int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0));
}

}  // namespace

std::string cell_text(const Json& v) {
  switch (v.type()) {
    case Json::value_t::string:
      return v.get<std::string>();
    case Json::value_t::boolean:
      return v.get<bool>() ? "是" : "否";
    case Json::value_t::null:
      return "";
    case Json::value_t::array: {
      std::string s;
      for (const auto& e : v) {
        const std::string t = cell_text(e);
        if (t.empty()) continue;
        if (!s.empty()) s += "、";
        s += t;
      }
      return s;
    }
    case Json::value_t::object: {
      std::string s;
      for (const auto& e : v) {
        const std::string t = cell_text(e);
        if (t.empty()) continue;
        if (!s.empty()) s += " ";
        s += t;
      }
      return s;
    }
    default:
      return v.dump();
  }
}

const Json* payload_at(const Json& payload, const std::string& field) {
  const Json* node = &payload;
  size_t start = 0;
  while (true) {
    const size_t dot = field.find('.', start);
    const std::string seg = field.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!node->is_object()) return nullptr;
    auto it = node->find(seg);
    if (it == node->end()) return nullptr;
    node = &*it;
    if (dot == std::string::npos) return node;
    start = dot + 1;
  }
}

std::string render_csv(const SpreadsheetConnector& c, const std::vector<Json>& payloads) {
  std::string out = c.encoding == "utf-8-bom" ? "\xEF\xBB\xBF" : "";
  for (size_t i = 0; i < c.columns.size(); ++i) {
    if (i) out += ',';
    out += csv_cell(c.columns[i].header, true);
  }
  out += "\r\n";
  for (const auto& p : payloads) {
    for (size_t i = 0; i < c.columns.size(); ++i) {
      if (i) out += ',';
      const Json* v = payload_at(p, c.columns[i].field);
      if (!v) continue;
      out += csv_cell(cell_text(*v), !v->is_number());
    }
    out += "\r\n";
  }
  return out;
}

Result<std::string> render_xlsx(const SpreadsheetConnector& c, const std::vector<Json>& payloads) {
  auto fail = [](const std::string& what) {
    return Error::make(ErrorKind::kInternal, "xlsx_failed", "生成 XLSX 文件失败：" + what,
                       "Producing the XLSX file failed: " + what);
  };
  std::error_code ec;
  std::string tmpl = (std::filesystem::temp_directory_path(ec) / "yb-xlsx-XXXXXX").string();
  if (ec) tmpl = "/tmp/yb-xlsx-XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());
  if (fd < 0) return fail("cannot create a temporary file");
  ::close(fd);
  const std::string path(name.data());
  struct Remove {
    std::string p;
    ~Remove() { std::remove(p.c_str()); }
  } remove_later{path};

  lxw_workbook* wb = workbook_new(path.c_str());
  if (!wb) return fail("workbook_new");
  lxw_worksheet* ws = workbook_add_worksheet(wb, c.sheet_name.c_str());
  if (!ws) ws = workbook_add_worksheet(wb, nullptr);
  lxw_format* bold = workbook_add_format(wb);
  format_set_bold(bold);
  auto safe = [](const std::string& s) {
    return forms::utf8_valid(s) ? s : std::string("\xEF\xBF\xBD");
  };

  bool ok = ws != nullptr;
  for (size_t i = 0; ok && i < c.columns.size(); ++i) {
    const auto col = static_cast<lxw_col_t>(i);
    ok =
        worksheet_write_string(ws, 0, col, safe(c.columns[i].header).c_str(), bold) == LXW_NO_ERROR;
    worksheet_set_column(ws, col, col, 18, nullptr);
  }
  if (ok) worksheet_freeze_panes(ws, 1, 0);
  for (size_t r = 0; ok && r < payloads.size(); ++r) {
    const auto row = static_cast<lxw_row_t>(r + 1);
    for (size_t i = 0; ok && i < c.columns.size(); ++i) {
      const auto col = static_cast<lxw_col_t>(i);
      const Json* v = payload_at(payloads[r], c.columns[i].field);
      if (!v || v->is_null()) continue;
      lxw_error e;
      if (v->is_number()) {
        e = worksheet_write_number(ws, row, col, v->get<double>(), nullptr);
      } else {
        std::string t = safe(cell_text(*v));
        if (t.empty()) continue;
        if (t.size() > 32000) t = forms::utf8_substr(t, 0, 10000);
        e = worksheet_write_string(ws, row, col, t.c_str(), nullptr);
      }
      ok = e == LXW_NO_ERROR;
    }
  }
  const lxw_error closed = workbook_close(wb);  // frees wb
  if (!ok) return fail("writing cells");
  if (closed != LXW_NO_ERROR) return fail(lxw_strerror(closed));

  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read the temporary file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string period_key(const std::string& period, const std::string& date_iso) {
  if (period == "batch") return "";
  const auto days = forms::date_to_days(date_iso);
  if (!days) return "";
  if (period == "day") return date_iso.substr(0, 10);
  if (period == "month") return date_iso.substr(0, 7);
  if (period == "week") {
    const int64_t wd = ((*days + 3) % 7 + 7) % 7 + 1;  // ISO weekday, Monday = 1
    const int64_t thursday = *days - wd + 4;
    int y = 0, m = 0, d = 0;
    civil_from_days(thursday, y, m, d);
    char jan1[16];
    std::snprintf(jan1, sizeof jan1, "%04d-01-01", y);
    const auto start = forms::date_to_days(jan1);
    if (!start) return "";
    const int64_t week = (thursday - *start) / 7 + 1;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-W%02d", y, static_cast<int>(week));
    return buf;
  }
  return "";
}

Result<std::vector<std::string>> write_to_folder(const SpreadsheetConnector& c,
                                                 const std::vector<Json>& payloads,
                                                 const std::string& stem) {
  if (c.folder.empty()) {
    return Error::make(ErrorKind::kValidation, "no_folder",
                       "连接器“" + c.id + "”没有配置 folder，不写入文件",
                       "Connector \"" + c.id + "\" has no \"folder\" to write files to");
  }
  if (stem.empty() || stem.find('/') != std::string::npos || stem.find("..") != std::string::npos) {
    return Error::make(ErrorKind::kInvalidArgument, "bad_file_name", "文件名无效：" + stem,
                       "Invalid file name: " + stem);
  }
  std::error_code ec;
  std::filesystem::create_directories(c.folder, ec);
  if (ec) {
    return Error::make(ErrorKind::kInternal, "folder_failed", "无法创建目录 " + c.folder,
                       "Cannot create the folder " + c.folder + ": " + ec.message());
  }
  std::vector<std::string> written;
  for (const auto& f : c.formats) {
    std::string bytes;
    if (f == "csv") {
      bytes = render_csv(c, payloads);
    } else {
      auto x = render_xlsx(c, payloads);
      if (!x.ok()) return x.take_error();
      bytes = std::move(x.value());
    }
    const std::string path = c.folder + "/" + stem + "." + f;
    const std::string tmp = path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!out) {
        return Error::make(ErrorKind::kInternal, "write_failed", "无法写入文件 " + path,
                           "Cannot write the file " + path);
      }
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
      return Error::make(ErrorKind::kInternal, "write_failed", "无法写入文件 " + path,
                         "Cannot write the file " + path + ": " + ec.message());
    }
    written.push_back(path);
  }
  return written;
}

std::unique_ptr<ConnectorType> make_spreadsheet_type() {
  return std::make_unique<SpreadsheetType>();
}

}  // namespace yb::connectors
