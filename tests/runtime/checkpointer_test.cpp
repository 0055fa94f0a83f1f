// The state's log is copied back into the file on a thread of its own
// (runtime/store/checkpointer.h). Whatever that thread's pace, the log
// must stay bounded and every committed row must reach the file.
#include "runtime/store/checkpointer.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <string>

#include "runtime/store/sqlite.h"
#include "tests/runtime/runtime_test_support.h"

namespace parcours::testing {
namespace {

using store::Checkpointer;
using store::Database;

constexpr int kStartPages = 8;

Database OpenInWal(const std::string& path) {
  common::Expected<Database> db = Database::Open(path);
  REQUIRE(db.ok());
  REQUIRE(db->Exec("PRAGMA journal_mode = WAL").ok());
  REQUIRE(db->Exec("PRAGMA synchronous = NORMAL").ok());
  // Only the checkpointer may copy the log, so that the test sees its
  // work alone.
  REQUIRE(db->Exec("PRAGMA wal_autocheckpoint = 0").ok());
  REQUIRE(
      db->Exec("CREATE TABLE rows(id INTEGER PRIMARY KEY, text TEXT)").ok());
  return std::move(*db);
}

// Commits `commits` transactions of a few pages each.
void Write(Database& db, int commits) {
  common::Expected<store::Statement> insert =
      db.Prepare("INSERT INTO rows(text) VALUES (?1)");
  REQUIRE(insert.ok());
  const std::string text(3000, 'x');
  for (int commit = 0; commit < commits; ++commit) {
    REQUIRE(db.Exec("BEGIN IMMEDIATE").ok());
    for (int row = 0; row < 3; ++row) {
      insert->BindText(1, text);
      REQUIRE(insert->Run().ok());
    }
    REQUIRE(db.Exec("COMMIT").ok());
  }
}

TEST_CASE("the checkpointer keeps the log bounded and loses no row") {
  TempDir dir;
  const std::string path = dir.File("state.db");
  Database writer = OpenInWal(path);
  const int64_t page_size = *writer.QueryInt("PRAGMA page_size");

  int64_t checkpoints = 0;
  {
    common::Expected<std::unique_ptr<Checkpointer>> checkpointer =
        Checkpointer::Start(path, kStartPages);
    REQUIRE(checkpointer.ok());
    (*checkpointer)->Install(writer.handle());

    Write(writer, 400);

    checkpoints = (*checkpointer)->checkpoints();
    CHECK((*checkpointer)->failure().ok());
  }
  CHECK(checkpoints > 0);

  // Without checkpoints the log would hold every page of the 400 commits
  // (more than 1,200). With them, the log restarts and its file never
  // grows past the bound at which a commit copies it itself, plus that
  // commit's own pages and a few of the table's inner pages.
  const int64_t most_pages = kStartPages * Checkpointer::kMostBehind + 16;
  const auto log_bytes =
      static_cast<int64_t>(std::filesystem::file_size(path + "-wal"));
  CHECK(log_bytes <= most_pages * (page_size + 24) + 32);

  // Every row is there, read through a new connection.
  writer = Database();
  common::Expected<Database> reader = Database::OpenReadOnly(path);
  REQUIRE(reader.ok());
  CHECK(*reader->QueryInt("SELECT count(*) FROM rows") == 1200);
}

TEST_CASE("once the checkpointer stops, the writer checkpoints again") {
  TempDir dir;
  const std::string path = dir.File("state.db");
  Database writer = OpenInWal(path);
  const int64_t page_size = *writer.QueryInt("PRAGMA page_size");
  {
    common::Expected<std::unique_ptr<Checkpointer>> checkpointer =
        Checkpointer::Start(path, kStartPages);
    REQUIRE(checkpointer.ok());
    (*checkpointer)->Install(writer.handle());
    Write(writer, 10);
  }

  // Commits after it stopped must not call into it (a crash if they did)
  // and must keep the log as short as it did.
  Write(writer, 400);
  const int64_t most_pages = kStartPages * Checkpointer::kMostBehind + 16;
  const auto log_bytes =
      static_cast<int64_t>(std::filesystem::file_size(path + "-wal"));
  CHECK(log_bytes <= most_pages * (page_size + 24) + 32);
  CHECK(*writer.QueryInt("SELECT count(*) FROM rows") == 1230);
}

}  // namespace
}  // namespace parcours::testing
