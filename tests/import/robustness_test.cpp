// Random, hostile bytes: the import never throws, accounts for every row,
// and writes only lines that are valid JSON.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "tests/import/import_support.h"

namespace parcours::import {
namespace {

// Bytes that matter to a CSV reader and to the cells' parsers, plus a few
// that are never valid UTF-8.
std::string RandomBody(std::mt19937& random, size_t length) {
  static const std::string kAlphabet =
      std::string("ab19.-,,,\"\"\r\n\n\n ", 16) + std::string("\0\xff\xc3", 3);
  std::uniform_int_distribution<size_t> pick(0, kAlphabet.size() - 1);
  std::string body;
  for (size_t i = 0; i < length; ++i) body += kAlphabet[pick(random)];
  return body;
}

TEST_CASE("random input: every row is written, skipped or bad") {
  const std::string mapping = R"({
    "skip": [{"column": "kind", "equals": "a"}],
    "event": [{"when": {"column": "kind", "starts_with": "b"},
               "event": "B"}, {"event": "Other"}],
    "user_id": "id",
    "timestamp": {"column": "at", "format": "epoch_seconds"},
    "properties": {"n": {"column": "n", "type": "decimal",
                         "if_empty": "omit"}, "kind": "kind"}})";
  std::mt19937 random(20261204);
  for (int round = 0; round < 300; ++round) {
    std::string csv = "id,at,n,kind\n" + RandomBody(random, 2000);
    auto result = testing::Import(mapping, csv);
    INFO("round " << round);
    REQUIRE(result.finished);
    const ImportCounts& counts = result.counts;
    CHECK(counts.rows_read ==
          counts.track_events + counts.rows_skipped + counts.bad_rows);

    std::istringstream lines(result.events);
    std::string line;
    while (std::getline(lines, line)) {
      CHECK_NOTHROW(nlohmann::json::parse(line));
    }
    std::istringstream dead(result.dead_letters);
    int64_t dead_count = 0;
    while (std::getline(dead, line)) {
      CHECK_NOTHROW(nlohmann::json::parse(line));
      ++dead_count;
    }
    CHECK(dead_count == counts.bad_rows);
  }
}

TEST_CASE("random input in groups: no throw, dead letters are JSON") {
  const std::string mapping = R"({
    "group": {"by": "id", "sorted": false},
    "event": "E", "user_id": "id",
    "timestamp": {"column": "at", "format": "epoch_seconds"},
    "properties": {"total": {"sum": ["n", "at"], "type": "money",
                             "currency": "EUR"}, "rows": {"count": true}}})";
  std::mt19937 random(7);
  for (int round = 0; round < 200; ++round) {
    auto result =
        testing::Import(mapping, "id,at,n\n" + RandomBody(random, 2000));
    INFO("round " << round);
    REQUIRE(result.finished);
    std::istringstream lines(result.events + result.dead_letters);
    std::string line;
    while (std::getline(lines, line)) {
      CHECK_NOTHROW(nlohmann::json::parse(line));
    }
  }
}

}  // namespace
}  // namespace parcours::import
