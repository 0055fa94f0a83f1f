// Places of JSON members, for mapping errors shown at line and column.
#include "tools/import/json_places.h"

#include <catch2/catch.hpp>

namespace parcours::import {
namespace {

TEST_CASE("members are placed at their keys, items at their first byte") {
  std::string text =
      "{\n  \"csv\": {\"header\": true},\n  \"event\": [\n"
      "    {\"when\": {\"column\": \"a\"}}, \"E\"\n  ]\n}";
  auto places = JsonPlaces(text);
  CHECK(LineAndColumn(text, places.at("csv")) == "2:3");
  CHECK(LineAndColumn(text, places.at("csv.header")) == "2:11");
  CHECK(LineAndColumn(text, places.at("event[0]")) == "4:5");
  CHECK(LineAndColumn(text, places.at("event[0].when.column")) == "4:15");
  CHECK(LineAndColumn(text, places.at("event[1]")) == "4:32");
}

TEST_CASE("escaped quotes in strings do not end them") {
  std::string text = R"({"a\"b": "x\"}", "c": [1, "]"]})";
  auto places = JsonPlaces(text);
  CHECK(places.at("a\"b") == 1);
  CHECK(places.at("c") == 17);
  CHECK(places.at("c[1]") == 26);
}

TEST_CASE("deep nesting is not followed, and does not exhaust the stack") {
  std::string text = std::string(100000, '[') + std::string(100000, ']');
  auto places = JsonPlaces(text);
  CHECK(places.count("[0]") == 1);
  CHECK(places.size() < 100);
}

TEST_CASE("a repeated key is found in its object, not across objects") {
  // "a.column" at the top has the path of "column" inside "a", but it is
  // another key of another object.
  std::string apart =
      R"({"a": {"column": "x"}, "b": {"column": "y"}, "a.column": 1})";
  CHECK_FALSE(FindRepeatedKey(apart).has_value());

  std::string twice = R"({"p": {"x": 1, "y": 2, "x": 3}})";
  auto repeated = FindRepeatedKey(twice);
  REQUIRE(repeated.has_value());
  CHECK(repeated->key == "x");
  CHECK(repeated->path == "p.x");
  CHECK(repeated->first == 7);
  CHECK(repeated->again == 23);
}

}  // namespace
}  // namespace parcours::import
