// Scoring: which evidence links, which sends to review, which keeps people apart.
#include <doctest/doctest.h>

#include "dedupe/match.h"
#include "dedupe/normalize.h"
#include "dedupe/synth.h"

using namespace yb::dedupe;

namespace {
const std::string kVillage = "130111200201";
}

TEST_CASE("an ID one slip away with the same name links automatically") {
  const std::string id = synth::make_id_number("130111", "1960-03-04", 321);
  std::string typo = id;
  std::swap(typo[12], typo[13]);
  auto stored = make_identity("李秀英", id, "", "", "", kVillage);
  auto probe = make_identity("李秀英", typo, "1960-03-04", "2", "", kVillage);
  auto s = score(probe, stored, 1);
  CHECK(s.band == Band::kAuto);
}

TEST_CASE("two different valid ID numbers never link, whatever else agrees") {
  auto a = make_identity("王伟", synth::make_id_number("130111", "1980-01-01", 11), "", "",
                         "13800138000", kVillage);
  auto b = make_identity("王伟", synth::make_id_number("130111", "1980-01-01", 13), "", "",
                         "13800138000", kVillage);
  CHECK(score(a, b, 1).band == Band::kNew);
}

TEST_CASE("no ID: same rare name, birth date and phone links; a common name alone does not") {
  auto stored = make_identity("阿卜杜拉·艾力", "", "1970-05-06", "1", "13912345678", kVillage);
  auto probe =
      make_identity("阿卜杜拉艾力", "", "1970年5月6日", "1", "+86 139 1234 5678", kVillage);
  CHECK(score(probe, stored, 1).band == Band::kAuto);
  auto common = make_identity("张伟", "", "1970-05-06", "1", "", kVillage);
  auto other = make_identity("张伟", "", "1970-05-06", "1", "", kVillage);
  // Eight 张伟 in the block: the name says little, so a human decides.
  CHECK(score(common, other, 8).band == Band::kReview);
}

TEST_CASE("a different sex or a far birth date keeps people apart") {
  auto a = make_identity("刘洋", "", "1990-01-01", "1", "", kVillage);
  auto b = make_identity("刘洋", "", "1990-01-01", "2", "", kVillage);
  CHECK(score(a, b, 1).band == Band::kNew);
  auto c = make_identity("刘洋", "", "1950-07-07", "1", "", kVillage);
  CHECK(score(a, c, 1).band == Band::kNew);
}

TEST_CASE("names that sound the same score above other one-character slips") {
  CHECK(name_pinyin("张伟") == "zhangwei");
  CHECK(name_pinyin("张玮") == "zhangwei");
  CHECK(name_pinyin("单雄信") == "shanxiongxin");  // 单 read as a surname
  CHECK(name_pinyin("阿依古丽买买提") == "ayigulimaimaiti");
  CHECK(name_pinyin("") == "");
  auto stored = make_identity("张伟", "", "1975-02-03", "1", "", kVillage);
  auto homophone = make_identity("张玮", "", "1975-02-03", "1", "", kVillage);
  auto slip = make_identity("张伍", "", "1975-02-03", "1", "", kVillage);
  const Score by_sound = score(homophone, stored, 1);
  const Score by_shape = score(slip, stored, 1);
  CHECK(by_sound.total > by_shape.total);
  bool saw = false;
  for (const auto& r : by_sound.reasons) saw = saw || r.rfind("name≈", 0) == 0;
  CHECK(saw);
  // Still a human's decision without more evidence, never an automatic link.
  CHECK(by_sound.band == Band::kReview);
  // Two different two-character names that merely sound alike are not a slip.
  auto wang = make_identity("王伟", "", "1975-02-03", "1", "", kVillage);
  auto other = make_identity("汪巍", "", "1975-02-03", "1", "", kVillage);
  CHECK(score(other, wang, 1).band == Band::kNew);
}

TEST_CASE("a valid ID fills in birth date and sex") {
  const std::string id = synth::make_id_number("130111", "1948-06-15", 7);
  auto w = make_identity("赵明", id, "", "", "", kVillage);
  CHECK(w.birth_date == "1948-06-15");
  CHECK(w.sex == "1");
  CHECK(block_of(kVillage) == "130111200");
}

TEST_CASE("name distance counts code points") {
  CHECK(name_distance("张伟", "张伟") == 0);
  CHECK(name_distance("张伟", "张玮") == 1);
  CHECK(name_distance("张伟", "李四光明") == 3);
}
