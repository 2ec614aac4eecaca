// The five demo connectors (admin/demo/connectors/) parse against the demo dictionary and fan
// one validated demo answer out into visibly different payloads.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "connectors/connector.h"
#include "connectors/spreadsheet/spreadsheet.h"
#include "core/json_text.h"
#include "forms/forms.h"
#include "forms/id_number.h"

using namespace yb;
using namespace yb::connectors;

namespace {

const char* kToday = "2024-06-15";

Json load(const std::string& rel) {
  std::ifstream in(std::string(YB_DEMO_DIR) + "/" + rel);
  REQUIRE_MESSAGE(in.good(), "cannot open ", rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str());
}

std::string id_number(const std::string& first17) {
  return first17 + forms::id_check_char(first17);
}

struct Demo {
  forms::Dictionary dict;
  forms::Form form;
  std::map<std::string, ConnectorPtr> connectors;
};

Demo demo() {
  auto d = forms::parse_dictionary(load("dictionary.json"));
  REQUIRE(d.ok());
  auto f = forms::parse_form(load("resident_household.json"), d.value());
  REQUIRE(f.ok());
  Demo out{d.value(), f.value(), {}};
  ConnectorRegistry reg;
  register_builtin_connectors(reg);
  for (const char* name : {"civil_affairs", "disabled_fed", "medical_insurance",
                           "rural_revitalisation", "population_register"}) {
    auto c = reg.parse(load(std::string("connectors/") + name + ".json"), &out.dict);
    if (!c.ok()) {
      for (const auto& e : c.error().details)
        MESSAGE(name, ": ", e.path, " ", e.code, " ", e.message.en);
    }
    REQUIRE_MESSAGE(c.ok(), name);
    CHECK(c.value()->id == name);
    out.connectors[name] = c.value();
  }
  return out;
}

Json answer() {
  const std::string head = id_number("65010219800512123");
  return Json{{"person.name", "阿卜杜拉·艾力"},
              {"person.id_number", head},
              {"person.sex", "1"},
              {"person.ethnicity", "05"},
              {"person.birth_date", "1980-05-12"},
              {"person.phone", "13899123456"},
              {"person.registered_address", "新疆维吾尔自治区乌鲁木齐市天山区幸福路1号"},
              {"household.size", 3},
              {"household.members", Json::array({Json{{"name", "阿卜杜拉·艾力"},
                                                      {"id_number", head},
                                                      {"sex", "1"},
                                                      {"relation", "02"},
                                                      {"birth_date", "1980-05-12"}},
                                                 Json{{"name", "古丽·买买提"},
                                                      {"sex", "2"},
                                                      {"relation", "10"},
                                                      {"birth_date", "1982-03-08"}},
                                                 Json{{"name", "艾力·阿卜杜拉"},
                                                      {"sex", "1"},
                                                      {"relation", "20"},
                                                      {"birth_date", "2010-09-01"}}})},
              {"welfare.low_income_status", "1"},
              {"household.annual_income", 18000.5},
              {"risk.type", Json::array({"1", "2"})},
              {"person.has_disability", true},
              {"disability.type", "4"},
              {"disability.grade", "2"},
              {"disability.cert_number", head + "42"},
              {"person.bank_account", "6228480000000000000"},
              {"event.survey_date", "2024-06-01"}};
}

Json validated(const Demo& d, const Json& raw) {
  forms::ValidationOptions o;
  o.today = kToday;
  auto v = forms::validate(d.form, raw, o);
  if (!v.ok()) {
    for (const auto& e : v.error().details) MESSAGE(e.path, " ", e.code, " ", e.message.en);
  }
  REQUIRE(v.ok());
  return v.value();
}

Json render(const Demo& d, const std::string& id, const Json& values) {
  auto p = render_payload(*d.connectors.at(id), "resident_household", values, kToday);
  if (!p.ok()) {
    for (const auto& e : p.error().details)
      MESSAGE(id, ": ", e.path, " ", e.code, " ", e.message.en);
  }
  REQUIRE(p.ok());
  REQUIRE_MESSAGE(p.value().has_value(), id, " was skipped");
  // The text the outbox freezes is that document's json_dump(), byte for byte.
  int entries = -1;
  auto text =
      render_payload_text(*d.connectors.at(id), "resident_household", values, kToday, &entries);
  REQUIRE(text.ok());
  REQUIRE(text.value().has_value());
  CHECK(*text.value() == json_dump(*p.value()));
  CHECK(entries == count_entries(*p.value()));
  return *p.value();
}

}  // namespace

TEST_CASE("the five demo connectors parse against the demo dictionary") {
  Demo d = demo();
  CHECK(d.connectors.size() == 5);
  CHECK(d.connectors["civil_affairs"]->pushes());
  CHECK(d.connectors["disabled_fed"]->type == "http_form");
  CHECK(d.connectors["population_register"]->type == "spreadsheet");
  for (const auto& [id, c] : d.connectors) {
    if (c->pushes()) CHECK(c->signing_secret_name() == id + "_webhook");
  }
  // Data minimisation: the bank account goes only where it is mapped.
  CHECK(d.connectors["civil_affairs"]->mapping.reads().count("person.bank_account") == 1);
  CHECK(d.connectors["medical_insurance"]->mapping.reads().count("person.bank_account") == 0);
  CHECK(d.connectors["rural_revitalisation"]->mapping.reads().count("person.bank_account") == 0);
}

TEST_CASE("one demo answer fans out into different field names and codes") {
  Demo d = demo();
  const Json v = validated(d, answer());

  const Json civil = render(d, "civil_affairs", v);
  CHECK(civil["姓名"] == "阿卜杜拉·艾力");
  CHECK(civil["性别"] == "男");
  CHECK(civil["民族"] == "维吾尔族");
  CHECK(civil["保障类别"] == "低保");
  CHECK(civil["家庭年收入"] == "18000.50");
  CHECK(civil["家庭人口数"] == 3);
  CHECK(civil["现居住地"] == "同户籍地址");
  REQUIRE(civil["家庭成员"].size() == 3);
  CHECK(civil["家庭成员"][1]["与申请人关系"] == "配偶");
  CHECK(civil["家庭成员"][2]["性别"] == "男");
  CHECK(civil["银行账号"] == "6228480000000000000");

  const Json fed = render(d, "disabled_fed", v);
  CHECK(fed["xm"] == "阿卜杜拉·艾力");
  CHECK(fed["xb"] == "男");
  CHECK(fed["cjlb"] == "肢体");
  CHECK(fed["cjdj"] == "二级");
  CHECK(fed["csny"] == "198005");
  CHECK(fed["nl"] == 44);
  CHECK(fed["sfdb"] == "是");
  CHECK(fed["cjzh"].get<std::string>().size() == 20);

  const Json med = render(d, "medical_insurance", v);
  CHECK(med["insured"]["sex"] == "1");
  CHECK(med["insured"]["birthDate"] == "19800512");
  CHECK(med["insured"]["nation"] == "05");
  CHECK(med["insured"]["category"] == "低保对象");
  CHECK(med["insured"]["severeDisability"] == true);
  CHECK(med["meta"]["surveyDate"] == "20240601");
  CHECK_FALSE(med.contains("姓名"));
  CHECK(med.dump().find("6228480000000000000") == std::string::npos);

  const Json rural = render(d, "rural_revitalisation", v);
  CHECK(rural["户主姓名"] == "阿卜杜拉·艾力");
  CHECK(rural["民族"] == "维吾尔");
  CHECK(rural["风险类型"] == "因病、因残");
  CHECK(rural["是否残疾"] == "是");
  CHECK(rural["识别时间"] == "2024年6月1日");
  CHECK(rural["家庭成员"][2]["与户主关系"] == "子");
  CHECK(rural.dump().find("6228480000000000000") == std::string::npos);

  const Json pop = render(d, "population_register", v);
  CHECK(pop["csrq"] == "1980/05/12");
  CHECK(pop["jtcy"] == "阿卜杜拉·艾力（户主）、古丽·买买提（配偶）、艾力·阿卜杜拉（子）");
  const auto& sheet =
      dynamic_cast<const SpreadsheetConnector&>(*d.connectors["population_register"]);
  const std::string csv = render_csv(sheet, {pop});
  CHECK(csv.find("姓名,公民身份号码,性别,民族,出生日期") != std::string::npos);
  CHECK(csv.find(",男,维吾尔族,1980/05/12,户主,") != std::string::npos);
  auto xlsx = render_xlsx(sheet, {pop});
  REQUIRE(xlsx.ok());

  // The same fact, five spellings.
  CHECK(civil["性别"] != med["insured"]["sex"]);
  CHECK(civil["出生日期"] == "1980-05-12");
}

TEST_CASE("the demo requests: JSON, form-encoded, update by upstream id, envelope") {
  Demo d = demo();
  const Json v = validated(d, answer());
  RequestContext ctx{"msg_demo0000000000000000000", 1718000000, std::nullopt};

  auto civil =
      d.connectors["civil_affairs"]->build_request(render(d, "civil_affairs", v), ctx, nullptr);
  REQUIRE(civil.ok());
  CHECK(civil->url == "http://127.0.0.1:18080/civil_affairs");
  CHECK(civil->body.find("\"保障类别\":\"低保\"") != std::string::npos);

  auto fed =
      d.connectors["disabled_fed"]->build_request(render(d, "disabled_fed", v), ctx, nullptr);
  REQUIRE(fed.ok());
  CHECK(fed->content_type == "application/x-www-form-urlencoded");
  CHECK(fed->body.find("cjdj=%E4%BA%8C%E7%BA%A7") != std::string::npos);  // 二级

  ctx.upstream_id = "medical_insurance-7";
  auto med = d.connectors["medical_insurance"]->build_request(render(d, "medical_insurance", v),
                                                              ctx, nullptr);
  REQUIRE(med.ok());
  CHECK(med->method == "PUT");
  CHECK(med->url == "http://127.0.0.1:18080/medical_insurance/medical_insurance-7");
  CHECK(d.connectors["medical_insurance"]->response_id()->json_path == "data.id");

  ctx.upstream_id.reset();
  auto rural = d.connectors["rural_revitalisation"]->build_request(
      render(d, "rural_revitalisation", v), ctx, nullptr);
  REQUIRE(rural.ok());
  const Json body = Json::parse(rural->body);
  CHECK(body["source"] == "yibiao");
  CHECK(body["record"]["风险类型"] == "因病、因残");
}

TEST_CASE("when conditions: a household without low income, risk or disability") {
  Demo d = demo();
  Json raw = answer();
  raw["welfare.low_income_status"] = "0";
  raw.erase("risk.type");
  raw["person.has_disability"] = false;
  raw.erase("disability.type");
  raw.erase("disability.grade");
  raw.erase("disability.cert_number");
  const Json v = validated(d, raw);
  for (const char* skipped : {"civil_affairs", "disabled_fed", "rural_revitalisation"}) {
    auto p = render_payload(*d.connectors[skipped], "resident_household", v, kToday);
    REQUIRE(p.ok());
    CHECK_MESSAGE(!p.value().has_value(), skipped);
    auto text = render_payload_text(*d.connectors[skipped], "resident_household", v, kToday);
    REQUIRE(text.ok());
    CHECK_MESSAGE(!text.value().has_value(), skipped);
  }
  const Json med = render(d, "medical_insurance", v);
  CHECK(med["insured"]["category"] == "普通居民");
  CHECK_FALSE(med["insured"].contains("severeDisability"));
  CHECK(render(d, "population_register", v)["xm"] == "阿卜杜拉·艾力");
}
