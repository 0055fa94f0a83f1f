// One value from a state file, for tests that look into its tables.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
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

}  // namespace parcours::testing
