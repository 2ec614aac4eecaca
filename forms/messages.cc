// All person-readable texts of the forms module, in one table: zh-CN and English.
// Validation messages name the field ({0} = the field's label) and say what to do.
#include "forms/messages.h"

#include <vector>

namespace yb::forms {

// The Uyghur catalogue (messages_ug.cc): the template for `id`, or null.
const char* uyghur_template(std::string_view id);

namespace {

struct Template {
  const char* id;
  const char* zh;
  const char* en;
};

constexpr Template kTemplates[] = {
    // ---- validation of answers; {0} is the field name ----
    {"required", "请填写{0}", "{0}: this is required; please fill it in"},
    {"type", "{0}的格式不对，应填{1}，请重新填写", "{0}: expected {1}; please re-enter it"},
    {"unknown_field", "表单中没有“{0}”这一项，请刷新表单后重新提交",
     "There is no field \"{0}\" on this form; please reload the form and submit again"},
    {"values_not_object", "提交的内容格式不对，应为一组字段和值",
     "The answer must be an object of field keys and values"},
    {"min", "{0}不能小于{1}，请核对", "{0}: must be at least {1}; please check it"},
    {"max", "{0}不能大于{1}，请核对", "{0}: must be at most {1}; please check it"},
    {"date.min", "{0}不能早于{1}，请核对日期",
     "{0}: must not be before {1}; please check the date"},
    {"date.max", "{0}不能晚于{1}，请核对日期", "{0}: must not be after {1}; please check the date"},
    {"min_length", "{0}至少要{1}个字，请补充完整",
     "{0}: needs at least {1} characters; please complete it"},
    {"max_length", "{0}最多{1}个字，请删减后再提交",
     "{0}: at most {1} characters are allowed; please shorten it"},
    {"pattern", "{0}的格式不对，请核对后重新输入",
     "{0}: the format is not right; please check and retype it"},
    {"invalid_character", "{0}里有不能识别的字符，请删除后重新输入",
     "{0}: contains characters that are not allowed; please remove them and retype it"},
    {"not_a_choice", "{0}只能从列表中选择，“{1}”不是可选项",
     "{0}: \"{1}\" is not one of the choices; please pick from the list"},
    {"duplicate_choice", "{0}中“{1}”选了两次，请只选一次",
     "{0}: \"{1}\" is chosen twice; please choose it once"},
    {"id_format", "{0}应为18位（或旧的15位）身份证号，请核对后重新输入",
     "{0}: an ID number has 18 characters (or 15 for old cards); please check and retype it"},
    {"id_birth_date", "{0}中的出生日期（第7到14位）不存在，请核对后重新输入",
     "{0}: the birth date inside it (characters 7-14) is not a real date; please check and "
     "retype it"},
    {"check_digit", "{0}第18位校验码不对，请核对后重新输入",
     "{0}: the check character (18th) is wrong; please check and retype it"},
    {"phone_format", "{0}应为11位手机号，或带区号的固定电话（如0991-1234567），请核对",
     "{0}: enter an 11-digit mobile number or a landline with its area code (e.g. "
     "0991-1234567); please check it"},
    {"date_format", "{0}不是有效日期，请按“2024-01-05”的样子填写",
     "{0}: not a valid date; please write it like 2024-01-05"},
    {"min_items", "{0}至少要填{1}项，请补充",
     "{0}: at least {1} entries are needed; please add them"},
    {"max_items", "{0}最多只能填{1}项，请删减",
     "{0}: at most {1} entries are allowed; please remove some"},
    {"constraint", "{0}填写的内容不符合要求，请核对",
     "{0}: the value does not meet the form's rule; please check it"},
    {"expression_error", "{0}的检查规则无法执行（{1}），请联系表单管理员",
     "{0}: the form's rule could not be checked ({1}); please tell the form administrator"},
    {"too_many_errors", "错误太多，只列出了前{0}个，请先改正这些",
     "Too many problems; only the first {0} are listed; please fix these first"},
    {"field.item", "{0}第{1}项的{2}", "{0} #{1}: {2}"},
    {"field.item_whole", "{0}第{1}项", "{0} #{1}"},
    // ---- what a field expects ----
    {"want.text", "文字", "text"},
    {"want.integer", "整数（如 3）", "a whole number (e.g. 3)"},
    {"want.decimal", "数字（如 1200.5）", "a number (e.g. 1200.5)"},
    {"want.boolean", "“是”或“否”", "yes or no"},
    {"want.date", "日期（如 2024-01-05）", "a date (e.g. 2024-01-05)"},
    {"want.select_one", "列表中的一个选项", "one choice from the list"},
    {"want.select_multiple", "列表中的一个或多个选项", "one or more choices from the list"},
    {"want.id_number", "身份证号", "an ID number"},
    {"want.phone", "电话号码", "a phone number"},
    {"want.repeat", "一组或多组信息", "a list of entries"},
    {"want.item", "一组信息", "an entry with its own fields"},
    // ---- expression language ----
    {"expr.at", "第{0}个字符处：", "at character {0}: "},
    {"expr.too_long", "表达式太长（最多{0}个字符）", "expression too long (at most {0} bytes)"},
    {"expr.too_deep", "表达式嵌套太深（最多{0}层）",
     "expression nested too deeply (at most {0} levels)"},
    {"expr.unexpected", "不应出现“{0}”", "unexpected \"{0}\""},
    {"expr.expected", "这里应为“{0}”，却是“{1}”", "expected \"{0}\" but found \"{1}\""},
    {"expr.end", "结尾", "end of expression"},
    {"expr.bad_number", "数字写法不对", "malformed number"},
    {"expr.unclosed_string", "字符串缺少结束引号", "string is not closed"},
    {"expr.bad_ref", "字段引用应写成 ${字段键}", "a field reference looks like ${field.key}"},
    {"expr.unknown_ref", "表单中没有字段“{0}”", "no field \"{0}\" on this form"},
    {"expr.no_current", "这里不能用“.”（当前字段的值只能在约束中使用）",
     "\".\" (the field's own value) may only be used in a constraint"},
    {"expr.unknown_func", "没有函数“{0}”", "unknown function \"{0}\""},
    {"expr.arity", "函数{0}需要{1}个参数，给了{2}个", "function {0} takes {1} arguments, got {2}"},
    {"expr.chained_cmp", "比较不能连写，请用 and 连接", "comparisons cannot be chained; use and"},
    {"expr.regex_literal", "regex 的第二个参数必须是引号中的正则表达式",
     "the second argument of regex must be a quoted pattern"},
    {"expr.bad_regex", "正则表达式写法不对", "invalid regular expression"},
    {"expr.type", "“{0}”不能用于{1}和{2}", "\"{0}\" cannot combine {1} and {2}"},
    {"expr.arg_type", "函数{0}需要{1}，却得到{2}", "function {0} needs {1}, got {2}"},
    {"expr.not_boolean", "结果应为真或假，却是{0}", "the result must be true or false, got {0}"},
    {"expr.div_zero", "除数为零", "division by zero"},
    {"expr.overflow", "数值超出范围", "number out of range"},
    {"expr.not_a_date", "“{0}”不是日期", "\"{0}\" is not a date"},
    {"expr.not_a_number", "“{0}”不是数字", "\"{0}\" is not a number"},
    {"expr.negative", "位置和长度不能为负数", "start and length must not be negative"},
    {"expr.too_long_value", "文字太长，无法计算", "text too long to process"},
    {"expr.regex_failed", "正则匹配失败", "pattern matching failed"},
    {"expr.internal", "表达式内部错误", "internal expression error"},
    {"type.null", "空值", "null"},
    {"type.boolean", "真假值", "a boolean"},
    {"type.number", "数字", "a number"},
    {"type.text", "文字", "text"},
    {"type.list", "列表", "a list"},
    {"type.date", "日期", "a date"},
    // ---- configuration (dictionary and form definitions); {0} is a detail ----
    {"schema.unknown_key", "不认识的配置项“{0}”", "unknown key \"{0}\""},
    {"schema.missing", "缺少必填配置项“{0}”", "missing required key \"{0}\""},
    {"schema.type", "类型不对，应为{0}", "wrong type; expected {0}"},
    {"schema.not_object", "应为对象", "expected an object"},
    {"schema.duplicate", "“{0}”重复", "duplicate \"{0}\""},
    {"schema.bad_key", "键“{0}”只能用小写字母、数字、下划线和点",
     "key \"{0}\" may only contain lower-case letters, digits, '_' and '.'"},
    {"schema.bad_type", "不认识的字段类型“{0}”", "unknown field type \"{0}\""},
    {"schema.bad_enum", "“{0}”不是可选值（{1}）", "\"{0}\" is not one of: {1}"},
    {"schema.unknown_field", "字典中没有字段“{0}”", "no field \"{0}\" in the dictionary"},
    {"schema.not_for_type", "“{0}”不适用于{1}类型的字段", "\"{0}\" does not apply to {1} fields"},
    {"schema.need_choices", "选择题必须有选项", "select fields need choices"},
    {"schema.min_gt_max", "最小值大于最大值", "min is greater than max"},
    {"schema.bad_pattern", "正则表达式写法不对", "invalid regular expression"},
    {"schema.bad_date", "“{0}”不是日期（可写 today）", "\"{0}\" is not a date (or \"today\")"},
    {"schema.expr", "表达式错误：{0}", "expression error: {0}"},
    {"schema.nested_repeat", "重复组里不能再套重复组", "repeat groups cannot be nested"},
    {"schema.need_children", "重复组必须有子字段", "a repeat group needs child fields"},
    {"schema.too_large", "数值超出允许范围", "value out of the allowed range"},
    {"schema.label_zh", "必须有中文标签（zh-CN）", "a zh-CN label is required"},
    {"schema.invalid", "配置有误，请逐项改正", "the configuration is invalid; see the details"},
    {"validation_failed", "填写的内容有问题，请按提示逐项改正",
     "Some answers need attention; please correct each one listed"},
};

enum class Lang { kZh, kEn, kUg };

std::string fill(const char* tmpl, std::initializer_list<Text> args, Lang lang) {
  std::string out;
  std::vector<const Text*> av;
  for (const auto& a : args) av.push_back(&a);
  for (const char* p = tmpl; *p; ++p) {
    if (*p == '{' && p[1] >= '0' && p[1] <= '9' && p[2] == '}') {
      const size_t i = static_cast<size_t>(p[1] - '0');
      if (i < av.size()) {
        const Text& a = *av[i];
        out += lang == Lang::kEn && !a.en.empty()   ? a.en
               : lang == Lang::kUg && !a.ug.empty() ? a.ug
                                                    : a.zh;
      }
      p += 2;
      continue;
    }
    out.push_back(*p);
  }
  return out;
}

}  // namespace

Text msg(std::string_view id, std::initializer_list<Text> args) {
  for (const auto& t : kTemplates) {
    if (id == t.id) {
      const char* ug = uyghur_template(id);
      return Text{fill(t.zh, args, Lang::kZh), fill(t.en, args, Lang::kEn),
                  ug ? fill(ug, args, Lang::kUg) : std::string()};
    }
  }
  return same(std::string(id));
}

}  // namespace yb::forms
