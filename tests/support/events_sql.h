// Events files loaded into an in-memory SQLite database, for the tests
// that check the engine against independent models written in SQL.
#pragma once

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/files.h"

namespace parcours::testing {

// An in-memory database, closed when this goes out of scope.
class EventsDb {
 public:
  // Loads each line of `events_path` into raw(line TEXT), with rowid
  // following the order of lines in the file.
  explicit EventsDb(const std::string& events_path) {
    REQUIRE(sqlite3_open(":memory:", &db_) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db_, "CREATE TABLE raw(line TEXT)", nullptr, nullptr,
                         nullptr) == SQLITE_OK);
    sqlite3_stmt* insert = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, "INSERT INTO raw(line) VALUES (?)", -1,
                               &insert, nullptr) == SQLITE_OK);
    std::istringstream lines(ReadText(events_path));
    sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr);
    for (std::string line; std::getline(lines, line);) {
      sqlite3_bind_text(insert, 1, line.data(), static_cast<int>(line.size()),
                        SQLITE_TRANSIENT);
      REQUIRE(sqlite3_step(insert) == SQLITE_DONE);
      sqlite3_reset(insert);
    }
    sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_finalize(insert);
  }

  ~EventsDb() { sqlite3_close(db_); }
  EventsDb(const EventsDb&) = delete;
  EventsDb& operator=(const EventsDb&) = delete;

  // The rows of `query`, each as its first `columns` values joined by
  // commas.
  std::vector<std::string> Rows(const std::string& query, int columns) {
    sqlite3_stmt* select = nullptr;
    int prepared = sqlite3_prepare_v2(db_, query.c_str(), -1, &select, nullptr);
    INFO(sqlite3_errmsg(db_));
    REQUIRE(prepared == SQLITE_OK);
    std::vector<std::string> rows;
    while (sqlite3_step(select) == SQLITE_ROW) {
      std::string row;
      for (int column = 0; column < columns; ++column) {
        if (column > 0) row += ",";
        const unsigned char* text = sqlite3_column_text(select, column);
        row += text != nullptr ? reinterpret_cast<const char*>(text) : "";
      }
      rows.push_back(row);
    }
    sqlite3_finalize(select);
    return rows;
  }

  // Runs `statements`, such as the tables a model reads besides raw.
  void Execute(const std::string& statements) {
    char* error = nullptr;
    int done = sqlite3_exec(db_, statements.c_str(), nullptr, nullptr, &error);
    INFO((error != nullptr ? error : ""));
    sqlite3_free(error);
    REQUIRE(done == SQLITE_OK);
  }

  // The one integer `query` returns.
  int64_t Int(const std::string& query) {
    std::vector<std::string> rows = Rows(query, 1);
    REQUIRE(rows.size() == 1);
    return std::stoll(rows[0]);
  }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace parcours::testing
