// spreadsheet: configuration, CSV quoting and injection guard, XLSX read back with openpyxl.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "connectors/connector.h"
#include "connectors/spreadsheet/spreadsheet.h"
#include "tests/connectors/test_util.h"
#include "tests/support/temp_dir.h"

using namespace yb;
using namespace yb::connectors;

namespace {

Json valid() {
  return Json::parse(R"j({
    "id": "population_register",
    "type": "spreadsheet",
    "name": {"zh-CN": "实有人口登记表"},
    "formats": ["csv", "xlsx"],
    "period": "month",
    "sheet_name": "实有人口",
    "columns": [{"header": "姓名", "field": "xm"}, {"header": "备注", "field": "bz"},
                {"header": "人数", "field": "rs"}, {"header": "风险", "field": "fx"},
                {"header": "地址", "field": "dz"}],
    "mapping": {"fields": [{"to": "xm", "from": "person.name"}, {"to": "bz", "from": "x.note"},
                           {"to": "rs", "from": "household.size"}, {"to": "fx", "from": "risk"},
                           {"to": "dz.qz", "from": "addr"}]}
  })j");
}

using yb::connectors::test_util::has_error;
using yb::connectors::test_util::parse;

const SpreadsheetConnector& sheet(const Result<ConnectorPtr>& r) {
  REQUIRE(r.ok());
  auto p = dynamic_cast<const SpreadsheetConnector*>(r.value().get());
  REQUIRE(p != nullptr);
  return *p;
}

std::string run(const std::string& cmd) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  REQUIRE(f != nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  pclose(f);
  return out;
}

}  // namespace

TEST_CASE("config: defaults, columns derived from the mapping, errors at once") {
  auto r = parse(valid());
  const auto& c = sheet(r);
  CHECK_FALSE(c.pushes());
  CHECK(c.columns.size() == 5);
  CHECK(c.columns[0].header == "姓名");
  CHECK(c.period == "month");
  CHECK(c.sheet_name == "实有人口");
  CHECK(c.encoding == "utf-8-bom");

  Json j = valid();
  j.erase("columns");
  j.erase("formats");
  auto d = parse(j);
  const auto& dc = sheet(d);
  REQUIRE(dc.columns.size() == 5);
  CHECK(dc.columns[4].header == "dz.qz");
  CHECK(dc.columns[4].field == "dz.qz");
  CHECK(dc.formats == std::vector<std::string>{"csv", "xlsx"});

  Json bad = valid();
  bad["formats"] = {"pdf"};
  bad["period"] = "hourly";
  bad["sheet_name"] = "a/b";
  bad["folder"] = "relative/dir";
  bad["encoding"] = "gbk";
  bad["columns"] = Json::parse(R"([{"header": "姓名", "field": "nope"}, {"header": "姓名",
    "field": "xm", "width": 3}, 7])");
  bad["url"] = "https://x";
  auto e = parse(bad);
  REQUIRE_FALSE(e.ok());
  CHECK(has_error(e, "formats", "bad_value"));
  CHECK(has_error(e, "period", "bad_value"));
  CHECK(has_error(e, "sheet_name", "bad_value"));
  CHECK(has_error(e, "folder", "bad_path"));
  CHECK(has_error(e, "encoding", "bad_value"));
  CHECK(has_error(e, "columns[0].field", "unknown_column_field"));
  CHECK(has_error(e, "columns[1].header", "duplicate_header"));
  CHECK(has_error(e, "columns[1].width", "unknown_key"));
  CHECK(has_error(e, "columns[2]", "type"));
  CHECK(has_error(e, "url", "unknown_key"));
}

TEST_CASE("CSV: RFC 4180 quoting, CRLF, BOM, injection guard, arrays joined") {
  auto r = parse(valid());
  const auto& c = sheet(r);
  std::vector<Json> rows = {
      Json::parse(R"j({"xm": "王芳", "bz": "说 \"你好\", 再见", "rs": 3, "fx": ["因病", "因学"],
                      "dz": {"qz": "乌鲁木齐"}})j"),
      Json::parse(R"j({"xm": "=HYPERLINK(\"http://x\")", "bz": "+1", "rs": -2,
                      "fx": ["@SUM(A1)"]})j"),
      Json::parse(R"j({"xm": "-5", "bz": "line1\nline2"})j")};
  const std::string csv = render_csv(c, rows);
  const std::string expected =
      "\xEF\xBB\xBF"
      "姓名,备注,人数,风险,地址\r\n"
      "王芳,\"说 \"\"你好\"\", 再见\",3,因病、因学,乌鲁木齐\r\n"
      "\"'=HYPERLINK(\"\"http://x\"\")\",'+1,-2,'@SUM(A1),\r\n"
      "'-5,\"line1\nline2\",,,\r\n";
  CHECK(csv == expected);

  Json j = valid();
  j["encoding"] = "utf-8";
  auto r2 = parse(j);
  CHECK(render_csv(sheet(r2), {}) == "姓名,备注,人数,风险,地址\r\n");
}

TEST_CASE("XLSX: headers bold, Chinese text and numbers, read back with openpyxl") {
  auto r = parse(valid());
  const auto& c = sheet(r);
  std::vector<Json> rows = {
      Json::parse(
          R"j({"xm": "阿卜杜拉·艾力", "rs": 4, "fx": ["因病", "因学"], "dz": {"qz": "天山区"}})j"),
      Json::parse(R"j({"xm": "=1+1", "bz": "备注"})j")};
  auto x = render_xlsx(c, rows);
  REQUIRE(x.ok());
  CHECK(x.value().substr(0, 2) == "PK");  // a zip container

  test::TempDir dir;
  const std::string path = dir.file("out.xlsx");
  {
    std::ofstream f(path, std::ios::binary);
    f.write(x.value().data(), static_cast<std::streamsize>(x.value().size()));
  }
  const std::string script =
      "import json,openpyxl,sys\n"
      "wb=openpyxl.load_workbook(sys.argv[1])\n"
      "ws=wb.active\n"
      "rows=[[c.value for c in r] for r in ws.iter_rows()]\n"
      "print(json.dumps({'title':ws.title,'rows':rows,'bold':ws['A1'].font.b,"
      "'type':ws['A3'].data_type},ensure_ascii=False))\n";
  const std::string py = dir.file("read.py");
  {
    std::ofstream f(py);
    f << script;
  }
  // Debian's python3-openpyxl (scripts/setup.sh) lives in the system interpreter's path.
  const std::string python =
      std::ifstream("/usr/bin/python3").good() ? "/usr/bin/python3" : "python3";
  const std::string out = run(python + " " + py + " " + path + " 2>&1");
  INFO(out);
  Json got = Json::parse(out, nullptr, false);
  REQUIRE_FALSE(got.is_discarded());
  CHECK(got["title"] == "实有人口");
  CHECK(got["rows"][0] == Json::parse(R"(["姓名", "备注", "人数", "风险", "地址"])"));
  CHECK(got["rows"][1][0] == "阿卜杜拉·艾力");
  CHECK(got["rows"][1][2] == 4);
  CHECK(got["rows"][1][3] == "因病、因学");
  CHECK(got["rows"][1][4] == "天山区");
  CHECK(got["rows"][2][0] == "=1+1");  // a string cell, never a formula
  CHECK(got["type"] == "s");
  CHECK(got["bold"] == true);
}

TEST_CASE("periods and writing to a folder") {
  CHECK(period_key("batch", "2024-01-05") == "");
  CHECK(period_key("day", "2024-01-05") == "2024-01-05");
  CHECK(period_key("month", "2024-01-05") == "2024-01");
  CHECK(period_key("week", "2024-01-05") == "2024-W01");
  CHECK(period_key("week", "2021-01-03") == "2020-W53");
  CHECK(period_key("week", "2024-12-30") == "2025-W01");
  CHECK(period_key("day", "nope") == "");

  test::TempDir dir;
  Json j = valid();
  j["folder"] = dir.path() + "/exports";
  auto r = parse(j);
  const auto& c = sheet(r);
  auto w = write_to_folder(c, {Json{{"xm", "王芳"}}}, "population_register-2024-01");
  REQUIRE(w.ok());
  REQUIRE(w.value().size() == 2);
  std::ifstream f(w.value()[0], std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  CHECK(ss.str().find("王芳") != std::string::npos);
  CHECK_FALSE(write_to_folder(c, {}, "../evil").ok());
  CHECK_FALSE(write_to_folder(sheet(parse(valid())), {}, "x").ok());  // no folder configured
}
