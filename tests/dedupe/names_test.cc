// Name normalisation: every way a minority name's middle dot arrives gives one spelling.
#include <doctest/doctest.h>

#include "dedupe/names.h"

using yb::dedupe::name_without_separators;
using yb::dedupe::normalize_name;

TEST_CASE("middle-dot variants collapse to U+00B7") {
  const std::string want = "阿卜杜拉\u00B7艾力";
  CHECK(normalize_name("阿卜杜拉·艾力") == want);
  CHECK(normalize_name("阿卜杜拉•艾力") == want);
  CHECK(normalize_name("阿卜杜拉・艾力") == want);
  CHECK(normalize_name("阿卜杜拉.艾力") == want);
  CHECK(normalize_name("阿卜杜拉．艾力") == want);
  CHECK(normalize_name("阿卜杜拉 • 艾力") == want);
  CHECK(normalize_name("  阿卜杜拉 艾力 ") == want);
}

TEST_CASE("spaces inside short Han names are dropped") {
  CHECK(normalize_name("张 伟") == "张伟");
  CHECK(normalize_name("\u3000王芳\u3000") == "王芳");
  CHECK(normalize_name("欧阳 娜娜") == "欧阳娜娜");
}

TEST_CASE("Latin names are upper-cased and keep one space; full-width letters fold") {
  CHECK(normalize_name("john   smith") == "JOHN SMITH");
  CHECK(normalize_name("ｊｏｈｎ") == "JOHN");
}

TEST_CASE("no-separator spelling matches the dotted one") {
  CHECK(name_without_separators("阿卜杜拉·艾力") == "阿卜杜拉艾力");
  CHECK(name_without_separators("阿卜杜拉艾力") == "阿卜杜拉艾力");
}

TEST_CASE("empty and separator-only input give an empty name") {
  CHECK(normalize_name("") == "");
  CHECK(normalize_name(" · ") == "");
}
