// The Uyghur (Arabic script) catalogue of the forms module's messages: one place for the
// language, keyed by the same ids as messages.cc. The messages a cadre reads (validation of
// answers, what a field expects) are here; the form designers' messages (schema, expression
// language) are not translated and show in Chinese. Placeholders as in messages.cc.
#include <string_view>

namespace yb::forms {

const char* uyghur_template(std::string_view id) {
  struct Entry {
    const char* id;
    const char* ug;
  };
  static constexpr Entry kUyghur[] = {
      {"required", "{0} نى تولدۇرۇڭ"},
      {"type", "{0} نىڭ شەكلى توغرا ئەمەس، {1} بولۇشى كېرەك، قايتا تولدۇرۇڭ"},
      {"unknown_field", "جەدۋەلدە «{0}» دېگەن تۈر يوق، جەدۋەلنى يېڭىلاپ قايتا يوللاڭ"},
      {"values_not_object",
       "يوللانغان مەزمۇننىڭ شەكلى توغرا ئەمەس، بىر گۇرۇپپا تۈر ۋە قىممەت بولۇشى كېرەك"},
      {"min", "{0} {1} دىن كىچىك بولماسلىقى كېرەك، تەكشۈرۈڭ"},
      {"max", "{0} {1} دىن چوڭ بولماسلىقى كېرەك، تەكشۈرۈڭ"},
      {"date.min", "{0} {1} دىن بۇرۇن بولماسلىقى كېرەك، چېسلانى تەكشۈرۈڭ"},
      {"date.max", "{0} {1} دىن كېيىن بولماسلىقى كېرەك، چېسلانى تەكشۈرۈڭ"},
      {"min_length", "{0} كەم دېگەندە {1} ھەرپ بولۇشى كېرەك، تولۇقلاڭ"},
      {"max_length", "{0} ئەڭ كۆپ بولغاندا {1} ھەرپ بولىدۇ، قىسقارتىپ يوللاڭ"},
      {"pattern", "{0} نىڭ شەكلى توغرا ئەمەس، تەكشۈرۈپ قايتا كىرگۈزۈڭ"},
      {"invalid_character", "{0} دا تونۇغىلى بولمايدىغان ھەرپ بار، ئۆچۈرۈپ قايتا كىرگۈزۈڭ"},
      {"not_a_choice", "{0} نى تىزىملىكتىن تاللاڭ، «{1}» تاللاش ئەمەس"},
      {"duplicate_choice", "{0} دا «{1}» ئىككى قېتىم تاللاندى، بىر قېتىملا تاللاڭ"},
      {"id_format",
       "{0} 18 خانىلىق (ياكى كونا 15 خانىلىق) كىملىك نومۇرى بولۇشى كېرەك، تەكشۈرۈپ قايتا كىرگۈزۈڭ"},
      {"id_birth_date",
       "{0} دىكى تۇغۇلغان چېسلا (7-14 خانە) مەۋجۇت ئەمەس، تەكشۈرۈپ قايتا كىرگۈزۈڭ"},
      {"check_digit", "{0} نىڭ 18-خانىسى (تەكشۈرۈش خانىسى) خاتا، تەكشۈرۈپ قايتا كىرگۈزۈڭ"},
      {"phone_format",
       "{0} 11 خانىلىق يانفون نومۇرى ياكى رايون نومۇرى بار مۇقىم تېلېفون (مەسىلەن 0991-1234567) "
       "بولۇشى كېرەك، تەكشۈرۈڭ"},
      {"date_format", "{0} ئىناۋەتلىك چېسلا ئەمەس، «2024-01-05» شەكلىدە يېزىڭ"},
      {"min_items", "{0} كەم دېگەندە {1} تۈر بولۇشى كېرەك، تولۇقلاڭ"},
      {"max_items", "{0} ئەڭ كۆپ بولغاندا {1} تۈر بولىدۇ، ئازايتىڭ"},
      {"constraint", "{0} دىكى مەزمۇن تەلەپكە ماس كەلمىدى، تەكشۈرۈڭ"},
      {"expression_error",
       "{0} نىڭ تەكشۈرۈش قائىدىسىنى ئىجرا قىلغىلى بولمىدى ({1})، جەدۋەل باشقۇرغۇچىسىغا خەۋەر "
       "قىلىڭ"},
      {"too_many_errors", "خاتالىق بەك كۆپ، ئالدىنقى {0} سىلا كۆرسىتىلدى، ئاۋۋال بۇلارنى تۈزىتىڭ"},
      {"field.item", "{0} نىڭ {1}-تۈرىدىكى {2}"},
      {"field.item_whole", "{0} نىڭ {1}-تۈرى"},
      {"want.text", "خەت"},
      {"want.integer", "پۈتۈن سان (مەسىلەن 3)"},
      {"want.decimal", "سان (مەسىلەن 1200.5)"},
      {"want.boolean", "«ھەئە» ياكى «ياق»"},
      {"want.date", "چېسلا (مەسىلەن 2024-01-05)"},
      {"want.select_one", "تىزىملىكتىكى بىر تاللاش"},
      {"want.select_multiple", "تىزىملىكتىكى بىر ياكى بىر قانچە تاللاش"},
      {"want.id_number", "كىملىك نومۇرى"},
      {"want.phone", "تېلېفون نومۇرى"},
      {"want.repeat", "بىر ياكى بىر قانچە گۇرۇپپا ئۇچۇر"},
      {"want.item", "بىر گۇرۇپپا ئۇچۇر"},
      {"validation_failed", "تولدۇرغان مەزمۇندا مەسىلە بار، كۆرسەتمە بويىچە بىر-بىرلەپ تۈزىتىڭ"},
  };
  for (const auto& e : kUyghur) {
    if (id == e.id) return e.ug;
  }
  return nullptr;
}

}  // namespace yb::forms
