// The text rules the checker and the policy share (compiler/ir/text.h).
#include "compiler/ir/text.h"

#include <catch2/catch.hpp>
#include <string>

namespace parcours::ir {
namespace {

TEST_CASE("blank text is empty or invisible characters only") {
  CHECK(IsBlank(""));
  CHECK(IsBlank(" \t\r\n"));
  // No-break, zero-width, joiners, direction marks and the byte order
  // mark, as spreadsheets, web forms and copied web pages leave them.
  CHECK(IsBlank("\u00a0\u200b\u200c\u200d\u2060\ufeff"));
  CHECK(IsBlank("\u200e\u200f\u00ad\u2028\u2029"));
  CHECK_FALSE(IsBlank("\u200bwelcome"));
  CHECK_FALSE(IsBlank("a"));
  // A control character other than white space is not blank: it shows
  // as something in most places.
  CHECK_FALSE(IsBlank("\x07"));
}

TEST_CASE("an invisible character is named with its code point") {
  const Invisible* zero_width = InvisibleAt("\u200bwelcome");
  REQUIRE(zero_width != nullptr);
  CHECK(zero_width->code == 0x200B);
  CHECK(std::string(zero_width->name) == "zero-width space");
  CHECK(zero_width->bytes.size() == 3);
  CHECK(InvisibleAt("welcome\u200b") == nullptr);
  CHECK(InvisibleAt("") == nullptr);
}

TEST_CASE("scaled numbers are spelt exactly") {
  CHECK(FormatScaled(99'999'999, 6) == "99.999999");
  CHECK(FormatScaled(1, 6) == "0.000001");
  CHECK(FormatScaled(100'000'000, 6) == "100");
  CHECK(FormatScaled(-10'500'000, 6) == "-10.5");
}

}  // namespace
}  // namespace parcours::ir
