// Mistakes in a mapping file are found before any row is read, and each
// message names its place.
#include <catch2/catch.hpp>

#include "tests/import/import_support.h"

namespace parcours::import {
namespace {

using testing::MappingError;

const std::string kEnd =
    R"("user_id": "id",
       "timestamp": {"column": "at", "format": "epoch_seconds"}})";

TEST_CASE("a JSON syntax error gives its line and column") {
  std::string error = MappingError("{\n  \"event\": \"E\",\n  oops\n}");
  CHECK_THAT(error, Catch::StartsWith("3:3: not valid JSON"));
}

TEST_CASE("an unknown key is named with its path and the known keys") {
  CHECK(MappingError(R"({"event": "E", "colour": 1, )" + kEnd) ==
        "1:16: colour: unknown key; expected one of csv, description, event, "
        "group, identify_first, message_id, properties, received_at, skip, "
        "timestamp, traits, type, user_id");
  CHECK(MappingError(R"({"event": "E", "properties": {"x": {"colum": "a"}},)" +
                     kEnd) ==
        "1:37: properties.x.colum: unknown key; expected one of column, "
        "constant, "
        "count, currency, currency_column, currency_property, decimals, "
        "format, if_empty, sum, type, zone, zone_column");
}

TEST_CASE("wrong values name their path") {
  CHECK(MappingError(R"({"event": "E", "properties": {"t": {"column": "a",
        "type": "float"}},)" +
                     kEnd) ==
        "2:9: properties.t.type: unknown type \"float\"; expected string, int, "
        "decimal, money, bool or time");
  CHECK(MappingError(R"({"event": "E", "properties": {"t": {"column": "a",
        "type": "money"}},)" +
                     kEnd) ==
        "1:31: properties.t: money needs \"currency\" (e.g. \"GBP\") or "
        "\"currency_column\"");
  CHECK(
      MappingError(R"({"event": "E", "properties": {"t": {"column": "a",
        "type": "money", "currency": "pounds"}},)" +
                   kEnd) ==
      "2:26: properties.t.currency: must be a three-letter ISO 4217 code such "
      "as \"EUR\"");
  CHECK(MappingError(R"({"event": [{"when": {"column": "a"}, "event": "E"}],)" +
                     kEnd) ==
        "1:13: event[0].when: needs exactly one of equals, in, starts_with, "
        "empty");
  CHECK(MappingError(R"({"event": [{"event": "E", "negate": ["n"]}],)" +
                     kEnd) == "1:27: event[0].negate: \"n\" is not a property");
  CHECK(MappingError(R"({"event": "E", "message_id": "x-{id",)" + kEnd) ==
        "1:16: message_id: has a { without its }");
  CHECK(MappingError(R"({"event": "E", "csv": {"delimiter": ";;"},)" + kEnd) ==
        "1:24: csv.delimiter: must be a single character such as \",\"");
}

TEST_CASE("the encoding is UTF-8, and saying otherwise is refused") {
  CHECK(MappingError(R"({"event": "E", "csv": {"encoding": "utf-8"},)" +
                     kEnd) == "");
  CHECK(
      MappingError(R"({"event": "E", "csv": {"encoding": "latin1"},)" + kEnd) ==
      "1:24: csv.encoding: only \"utf-8\" is read; convert the file first, "
      "e.g. "
      "iconv -f latin1 -t utf-8");
}

TEST_CASE("a sum needs a group") {
  CHECK(MappingError(R"({"event": "E", "properties": {"t": {"sum": "a"}},)" +
                     kEnd) ==
        "1:37: properties.t.sum: adds the rows of a group; add a \"group\" "
        "section or use \"column\"");
}

TEST_CASE("time zones are checked against the database at load") {
  CHECK(MappingError(R"({"event": "E", "user_id": "id", "timestamp":
        {"column": "at", "format": "%Y-%m-%d", "zone": "Europe/Londn"}})") ==
        "2:48: timestamp.zone: \"Europe/Londn\" is not in the time zone "
        "database; "
        "use an IANA name such as \"Europe/London\"");
  CHECK(MappingError(R"({"event": "E", "user_id": "id", "timestamp":
        {"column": "at", "format": "%Y-%m-%d"}})") ==
        "1:33: timestamp: a wall-clock time needs \"zone\" (e.g. "
        "\"Europe/London\", or \"UTC\") or \"zone_column\"");
}

TEST_CASE("required parts are asked for") {
  CHECK(MappingError(R"({"user_id": "id", "timestamp": {"column": "at",
        "format": "epoch_seconds"}})") == "needs \"event\"");
  CHECK(MappingError(R"({"event": "E"})") == "needs \"user_id\"");
  CHECK(MappingError(R"({"event": "E", "csv": {"header": false},)" + kEnd) ==
        "1:16: csv: a file without a header row needs \"columns\"");
}

TEST_CASE("a column the file lacks is named with the file's columns") {
  auto result = testing::Import(R"({"event": "E", "user_id": "customer",
      "timestamp": {"column": "at", "format": "epoch_seconds"}})",
                                "id,at\n1,0\n");
  CHECK_FALSE(result.finished);
  CHECK(result.error ==
        "the mapping reads column \"customer\", which the file does not "
        "have (its columns: id, at)");
}

TEST_CASE("a header that repeats a name is refused") {
  auto result = testing::Import("{\"event\": \"E\", " + kEnd, "id,at,id\n");
  CHECK_FALSE(result.finished);
  CHECK(result.error == "the header names column \"id\" twice");
}

}  // namespace
}  // namespace parcours::import

namespace parcours::import {
namespace {

TEST_CASE("two properties that write one key are refused") {
  // Two money properties would both write "currency"; an event reader
  // keeps only one of two equal keys, so one amount would change currency.
  std::string two_money =
      R"({"event": "E", "properties": {
        "t": {"column": "a", "type": "money", "currency": "EUR"},
        "u": {"column": "b", "type": "money", "currency": "USD"}},)" +
      kEnd;
  CHECK_THAT(testing::MappingError(two_money),
             Catch::Contains("properties.u: writes the key \"currency\", "
                             "which \"t\" writes too"));

  std::string named_currency =
      R"({"event": "E", "properties": {
        "currency": "c",
        "t": {"column": "a", "type": "money", "currency": "EUR"}},)" +
      kEnd;
  CHECK_THAT(testing::MappingError(named_currency),
             Catch::Contains("writes the key \"currency\""));
}

}  // namespace
}  // namespace parcours::import

namespace parcours::import {
namespace {

TEST_CASE("a key written twice in one object is refused") {
  // A JSON parser keeps the last of two equal keys without a word: the
  // reviewer of this mapping would read the profile id from "id", the
  // import from "at".
  std::string twice_at_top = "{\"event\": \"E\",\n \"user_id\": \"id\",\n" +
                             std::string(R"( "user_id": "at",)") + "\n " +
                             kEnd.substr(kEnd.find("\"timestamp\""));
  CHECK(testing::MappingError(twice_at_top) ==
        "3:2: user_id: the key \"user_id\" is written twice in one object "
        "(first at 2:2); keep one of them");

  std::string twice_in_properties =
      R"({"event": "E", "properties": {"a": "id", "a": "at"},)" + kEnd;
  CHECK(testing::MappingError(twice_in_properties) ==
        "1:42: properties.a: the key \"a\" is written twice in one object "
        "(first at 1:31); keep one of them");
}

}  // namespace
}  // namespace parcours::import
