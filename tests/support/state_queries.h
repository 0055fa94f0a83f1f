// One value from a state file, for tests that look into its tables.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "runtime/store/sqlite.h"

namespace parcours::testing {

// The one text value a query returns from the state file.
inline std::string QueryText(const std::string& path, const std::string& sql) {
  auto db = store::Database::Open(path);
  REQUIRE(db.ok());
  auto text = db->QueryText(sql);
  INFO(text.status().message());
  REQUIRE(text.ok());
  return *text;
}

inline int64_t QueryInt(const std::string& path, const std::string& sql) {
  auto db = store::Database::Open(path);
  REQUIRE(db.ok());
  auto value = db->QueryInt(sql);
  INFO(value.status().message());
  REQUIRE(value.ok());
  return *value;
}

// The SQL that gives a state file written row by row the `meta` rows
// every save writes, with the values a fresh state has and the clock at
// `clock` (empty: not set yet): a load refuses a file that holds
// profiles, instances, actions or applied keys without them.
inline std::string SavedMetaSql(std::optional<int64_t> clock = std::nullopt) {
  return "INSERT INTO meta(key, value) VALUES('clock', " +
         (clock ? std::to_string(*clock) : std::string("NULL")) +
         "), ('next_seq', 1), ('applied_line', 0), ('outbox_delivered', 0);";
}

}  // namespace parcours::testing
