// State files as an older Parcours wrote them, for the migration tests:
// the SQL that undoes each migration of runtime/store/store.cpp.
#pragma once

#include <cstdint>
#include <iterator>
#include <string>

#include "runtime/store/store.h"

namespace parcours::testing {

// kUndo[v - 1] turns a file of schema v into one of schema v - 1. A new
// migration without its undo here stops the tests from compiling.
inline constexpr const char* kUndo[] = {
    "",  // schema 1 is where files start
    "DROP TABLE dead_letters;",
    "ALTER TABLE profiles DROP COLUMN entries; "
    "ALTER TABLE instances DROP COLUMN arrived;",
    "DROP TABLE history;",
    "DROP TABLE contacts; DROP TABLE deferrals; DROP TABLE decisions; "
    "DROP TABLE consent_ledger;",
    "ALTER TABLE contacts DROP COLUMN category;",
    "DROP TABLE loyalty_programs; DROP TABLE loyalty_members; "
    "DROP TABLE loyalty_lots; DROP TABLE loyalty_ledger; "
    "DROP TABLE loyalty_tiers;",
    "CREATE TABLE processed_rows(message_id TEXT PRIMARY KEY) WITHOUT ROWID; "
    "INSERT INTO processed_rows SELECT message_id FROM processed; "
    "DROP VIEW processed; DROP TABLE processed_chunks; "
    "ALTER TABLE processed_rows RENAME TO processed;",
    "DROP TABLE pending_rows;",
    "ALTER TABLE decisions DROP COLUMN late;",
    "ALTER TABLE loyalty_lots DROP COLUMN order_amount; "
    "ALTER TABLE loyalty_lots DROP COLUMN order_currency; "
    "ALTER TABLE loyalty_lots DROP COLUMN refunded_amount;",
    "DROP INDEX profiles_by_recheck; "
    "ALTER TABLE profiles DROP COLUMN recheck_at; "
    "DELETE FROM meta WHERE key = 'rechecks_for';",
    "ALTER TABLE loyalty_lots DROP COLUMN bonus;",
    "DROP TABLE held_out_contacts;",
    "ALTER TABLE instances DROP COLUMN waits_since;",
    "ALTER TABLE profiles DROP COLUMN last_seq;",
    "DROP TABLE steps;",
};
static_assert(std::size(kUndo) == store::kSchemaVersion,
              "each schema version needs its undo for the migration tests");

// The SQL that takes a file of the current schema back to `version`,
// newest migration first.
inline std::string DowngradeTo(int64_t version) {
  std::string sql;
  for (int64_t v = store::kSchemaVersion; v > version; --v) {
    sql += std::string(kUndo[v - 1]) + " ";
  }
  return sql + "PRAGMA user_version = " + std::to_string(version);
}

}  // namespace parcours::testing
