// The save writes most log rows many to an INSERT (runtime/store/store.cpp):
// the table must hold every row, in order, with the same columns as one
// row per INSERT gave, whatever the number of rows and where they split.
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "runtime/common/time_text.h"
#include "runtime/store/sqlite.h"
#include "runtime/store/store.h"
#include "tests/runtime/runtime_test_support.h"

namespace parcours::testing {
namespace {

// Row `i` of a save: some columns left empty (NULL in the table), and
// texts that differ from row to row. A row only views its texts, so
// those made here are kept by `state` until its save, as the engine's are.
store::LogRow NumberedRow(store::State& state, int i) {
  store::LogRow row;
  row.at = 1293840000 + i * 61;
  row.level = i % 5 == 0 ? "warn" : "info";
  row.component = "engine";
  if (i % 3 != 0) row.profile = state.KeepPendingText("p" + std::to_string(i));
  if (i % 4 != 0) {
    row.journey = state.KeepPendingText("j" + std::to_string(i % 7));
  }
  if (i % 2 != 0) row.step = state.KeepPendingText("s'" + std::to_string(i));
  row.message = state.KeepPendingText("message " + std::to_string(i));
  return row;
}

// The row as the table should give it back, NULLs as "-".
std::string Expected(const store::LogRow& row) {
  auto or_dash = [](std::string_view text) {
    return text.empty() ? std::string("-") : std::string(text);
  };
  return common::FormatTime(row.at) + "|" + std::string(row.level) + "|" +
         std::string(row.component) + "|" + or_dash(row.profile) + "|" +
         or_dash(row.journey) + "|" + or_dash(row.step) + "|" +
         std::string(row.message);
}

TEST_CASE("every log row of a save is in the table, in order",
          "[runtime][store][log]") {
  ProgramBuilder builder;
  builder.Event("SignedUp", "Signed Up", {});
  ir::Program program = builder.Build();

  // Saves of sizes around the rows of one INSERT (32), one after another.
  TempDir dir;
  std::string path = dir.File("s.db");
  store::State state(program);
  auto opened = store::Store::Open(path);
  REQUIRE(opened.ok());
  std::string expected;
  int next = 0;
  for (int rows : {1, 31, 32, 33, 64, 70, 0, 5}) {
    for (int i = 0; i < rows; ++i, ++next) {
      store::LogRow row = NumberedRow(state, next);
      expected += Expected(row) + "\n";
      state.Log(std::move(row));
    }
    REQUIRE((*opened)->Save(state).ok());
    CHECK(state.pending_log().empty());
  }

  CHECK(QueryInt(path, "SELECT count(*) FROM log") == next);
  CHECK(QueryText(path,
                  "SELECT group_concat(line, char(10)) || char(10) FROM ("
                  "SELECT at || '|' || level || '|' || component || '|' || "
                  "coalesce(profile, '-') || '|' || coalesce(journey, '-') || "
                  "'|' || coalesce(step, '-') || '|' || message AS line "
                  "FROM log ORDER BY rowid)") == expected);
  CHECK(QueryText(path, "SELECT typeof(at) FROM log LIMIT 1") == "text");
}

TEST_CASE("a statement keeping its bindings stores what new bindings do",
          "[runtime][store][log]") {
  // The log's insert keeps its bindings from run to run and skips a bind
  // that would give a parameter the pointer and size it holds. Its rows
  // must be those of a statement bound afresh every run: with texts
  // changed in place behind the same pointer, shortened or lengthened,
  // empty (not NULL), NULL, and numbers in between.
  TempDir dir;
  auto db = store::Database::Open(dir.File("b.db"));
  REQUIRE(db.ok());
  REQUIRE(db->Exec("CREATE TABLE kept(x, y, z); CREATE TABLE fresh(x, y, z);")
              .ok());
  auto kept = db->Prepare("INSERT INTO kept(x, y, z) VALUES(?1, ?2, ?3)");
  auto fresh = db->Prepare("INSERT INTO fresh(x, y, z) VALUES(?1, ?2, ?3)");
  REQUIRE(kept.ok());
  REQUIRE(fresh.ok());
  kept->KeepBindings();

  // Buffers that keep their address while their bytes change.
  std::vector<std::string> buffers(3);
  for (std::string& buffer : buffers) buffer.reserve(64);
  const std::string literal = "engine";
  std::mt19937_64 random(20261205);
  for (int round = 0; round < 3000; ++round) {
    for (int index = 1; index <= 3; ++index) {
      std::string& buffer = buffers[random() % buffers.size()];
      switch (random() % 7) {
        case 0:
          if (!buffer.empty()) {
            buffer[random() % buffer.size()] =
                static_cast<char>('a' + random() % 26);
          }
          [[fallthrough]];
        case 1:
          kept->BindBorrowedText(index, buffer);
          fresh->BindBorrowedText(index, buffer);
          break;
        case 2:
          buffer.assign(random() % 40, static_cast<char>('A' + round % 26));
          kept->BindBorrowedText(index, buffer);
          fresh->BindBorrowedText(index, buffer);
          break;
        case 3:
          kept->BindBorrowedText(index, literal);
          fresh->BindBorrowedText(index, literal);
          break;
        case 4:
          kept->BindBorrowedText(index, std::string_view(literal.data(), 0));
          fresh->BindBorrowedText(index, std::string_view(literal.data(), 0));
          break;
        case 5:
          kept->BindNull(index);
          fresh->BindNull(index);
          break;
        case 6:
          kept->BindInt(index, round);
          fresh->BindInt(index, round);
          break;
      }
    }
    REQUIRE(kept->Run().ok());
    REQUIRE(fresh->Run().ok());
  }

  std::string rows =
      "SELECT group_concat(quote(x) || typeof(x) || quote(y) || typeof(y) || "
      "quote(z) || typeof(z), char(10)) FROM (SELECT * FROM ";
  std::string path = dir.File("b.db");
  std::string kept_rows = QueryText(path, rows + "kept ORDER BY rowid)");
  CHECK(QueryInt(path, "SELECT count(*) FROM kept") == 3000);
  CHECK(kept_rows == QueryText(path, rows + "fresh ORDER BY rowid)"));
}

}  // namespace
}  // namespace parcours::testing
