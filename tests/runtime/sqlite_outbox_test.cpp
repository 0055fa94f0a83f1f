// The SQLite outbox sink: rows in order, each action once, newer files
// refused untouched.
#include "runtime/sinks/sqlite_outbox.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/runtime/runtime_test_support.h"
#include "tests/support/process.h"

namespace parcours::testing {
namespace {

const char* kFirst =
    R"({"kind":"send","id":"a1","at":"2025-03-01T11:00:00Z","profile":"p1"})";
const char* kSecond =
    R"({"kind":"suppressed","id":"a2","at":"2025-03-01T12:00:00Z",)"
    R"("profile":"p2"})";

// In a scratch folder of its own, removed when the test process ends: the
// files used to be left in the temporary folder, four per run.
std::string FreshPath(const std::string& name) {
  return (ScratchDir("outbox-" + name) / "outbox.db").string();
}

std::unique_ptr<sinks::SqliteOutboxSink> OpenOutbox(const std::string& path) {
  auto sink = sinks::SqliteOutboxSink::Open(path);
  REQUIRE(sink.ok());
  return std::move(*sink);
}

TEST_CASE("the outbox table gets each batch's actions in order") {
  std::string path = FreshPath("order");
  auto sink = OpenOutbox(path);

  REQUIRE(sink->Write(kFirst).ok());
  REQUIRE(sink->Write(kSecond).ok());
  // Nothing is visible to a reader before the flush.
  CHECK(QueryInt(path, "SELECT count(*) FROM actions") == 0);
  REQUIRE(sink->Flush().ok());

  CHECK(QueryText(path,
                  "SELECT group_concat(id || '/' || kind || '/' || "
                  "profile || '/' || at, ' ') FROM "
                  "(SELECT * FROM actions ORDER BY seq)") ==
        "a1/send/p1/2025-03-01T11:00:00Z "
        "a2/suppressed/p2/2025-03-01T12:00:00Z");
  CHECK(QueryText(path, "SELECT line FROM actions WHERE id = 'a2'") == kSecond);
}

TEST_CASE(
    "an action already in the outbox is neither counted twice nor "
    "inserted twice") {
  std::string path = FreshPath("once");
  {
    auto sink = OpenOutbox(path);
    REQUIRE(sink->Write(kFirst).ok());
    REQUIRE(sink->Flush().ok());
  }

  // A rerun hands back both actions of a batch it did not record as
  // delivered: the first is there, the second is not.
  auto sink = OpenOutbox(path);
  auto held = sink->CountDelivered({kFirst, kSecond});
  REQUIRE(held.ok());
  CHECK(*held == 1);

  REQUIRE(sink->Write(kFirst).ok());
  REQUIRE(sink->Write(kSecond).ok());
  REQUIRE(sink->Flush().ok());
  CHECK(QueryInt(path, "SELECT count(*) FROM actions") == 2);
  CHECK(QueryText(path,
                  "SELECT group_concat(id, ' ') FROM "
                  "(SELECT id FROM actions ORDER BY seq)") == "a1 a2");
}

// `--out sqlite:/dev/null` failed with "disk I/O error" and left a
// `-journal` file beside the device.
TEST_CASE("an outbox that is a device or a pipe is refused, untouched") {
  std::filesystem::path folder = ScratchDir("outbox-pipe");
  std::string pipe = (folder / "outbox.pipe").string();
  REQUIRE(::mkfifo(pipe.c_str(), 0600) == 0);

  for (const std::string& path : {pipe, std::string("/dev/null")}) {
    INFO(path);
    auto sink = sinks::SqliteOutboxSink::Open(path);
    REQUIRE_FALSE(sink.ok());
    CHECK(sink.status().message() ==
          "actions database `" + path +
              "`: it is not a file but a folder, a device or a pipe; name a "
              "file, as in `--out sqlite:actions.db`");
  }
  CHECK_FALSE(std::filesystem::exists(pipe + "-journal"));
}

TEST_CASE("an outbox from a newer Parcours is refused and left as it is") {
  std::string path = FreshPath("newer");
  {
    auto sink = OpenOutbox(path);
    REQUIRE(sink->Write(kFirst).ok());
    REQUIRE(sink->Flush().ok());
  }
  {
    auto db = store::Database::Open(path);
    REQUIRE(db.ok());
    REQUIRE(db->Exec("PRAGMA user_version = 99").ok());
  }

  auto refused = sinks::SqliteOutboxSink::Open(path);

  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message() ==
        "actions database `" + path +
            "`: written by a newer Parcours (version 99, this build "
            "understands up to 2); it was not modified");
  CHECK(QueryInt(path, "PRAGMA user_version") == 99);
  CHECK(QueryInt(path, "SELECT count(*) FROM actions") == 1);
}

const char* kThird =
    R"({"kind":"send","id":"a3","at":"2025-03-01T13:00:00Z","profile":"p3"})";

TEST_CASE("a consumer that deletes the rows it handled sees later ones") {
  std::string path = FreshPath("deleted");
  {
    auto sink = OpenOutbox(path);
    REQUIRE(sink->Write(kFirst).ok());
    REQUIRE(sink->Write(kSecond).ok());
    REQUIRE(sink->Flush().ok());
  }

  // The consumer handled seq 1 and 2, deleted them, and now asks for the
  // rows above 2.
  {
    auto db = store::Database::Open(path);
    REQUIRE(db.ok());
    REQUIRE(db->Exec("DELETE FROM actions").ok());
  }

  auto sink = OpenOutbox(path);
  REQUIRE(sink->Write(kThird).ok());
  REQUIRE(sink->Flush().ok());

  CHECK(QueryText(path,
                  "SELECT group_concat(id, ' ') FROM actions "
                  "WHERE seq > 2") == "a3");
}

TEST_CASE("a flush waits for a consumer's write to end instead of failing") {
  std::string path = FreshPath("busy");
  auto sink = OpenOutbox(path);

  // The delivery service deletes the rows it handled, in a transaction
  // that holds the file's write lock when the run flushes; it ends that
  // transaction shortly after, from its own thread.
  auto consumer = store::Database::Open(path);
  REQUIRE(consumer.ok());
  REQUIRE(consumer->Exec("BEGIN IMMEDIATE").ok());
  REQUIRE(consumer->Exec("DELETE FROM actions").ok());
  // Catch's checks are not for other threads: the result waits for join.
  bool committed = false;
  std::thread commit_later([&consumer, &committed] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    committed = consumer->Exec("COMMIT").ok();
  });

  REQUIRE(sink->Write(kFirst).ok());
  common::Status flushed = sink->Flush();
  commit_later.join();

  REQUIRE(committed);
  INFO(flushed.message());
  CHECK(flushed.ok());
  CHECK(QueryInt(path, "SELECT count(*) FROM actions") == 1);
}

TEST_CASE("an outbox of version 1 keeps its rows and numbers on, past them") {
  std::string path = FreshPath("version1");
  {
    auto db = store::Database::Open(path);
    REQUIRE(db.ok());
    REQUIRE(db->Exec("CREATE TABLE actions(seq INTEGER PRIMARY KEY, "
                     "id TEXT NOT NULL UNIQUE, kind TEXT, at TEXT, "
                     "profile TEXT, line TEXT NOT NULL);"
                     "INSERT INTO actions VALUES (7, 'a1', 'send', "
                     "'2025-03-01T11:00:00Z', 'p1', 'x');"
                     "PRAGMA user_version = 1;")
                .ok());
  }

  {
    auto sink = OpenOutbox(path);
    REQUIRE(sink->Write(kSecond).ok());
    REQUIRE(sink->Flush().ok());
  }
  {
    auto db = store::Database::Open(path);
    REQUIRE(db.ok());
    REQUIRE(db->Exec("DELETE FROM actions").ok());
  }

  // Reopened once more: SQLite's own sequence table is no foreign table.
  auto sink = OpenOutbox(path);
  REQUIRE(sink->Write(kThird).ok());
  REQUIRE(sink->Flush().ok());
  CHECK(QueryInt(path, "PRAGMA user_version") == 2);
  CHECK(QueryText(path, "SELECT seq || ' ' || id FROM actions") == "9 a3");
}

}  // namespace
}  // namespace parcours::testing
