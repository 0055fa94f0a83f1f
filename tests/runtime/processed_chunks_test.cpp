// The keys of applied events are saved as one chunk per save (schema 8,
// runtime/store/store.cpp): every key must come back as applied after a
// restart, whether it was written as a chunk or migrated from the one
// row per key of schema 7, and the `processed` view must still list them.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "runtime/store/sqlite.h"
#include "runtime/store/store.h"
#include "tests/runtime/runtime_test_support.h"
#include "tests/support/schema_downgrade.h"

namespace parcours::testing {
namespace {

ir::Program EmptyProgram() {
  ProgramBuilder builder;
  builder.Event("SignedUp", "Signed Up", {});
  return builder.Build();
}

// Keys with every character the chunk's JSON must escape, and more than
// one migrated chunk's worth of plain ones.
std::vector<std::string> OddKeys() {
  std::vector<std::string> keys = {
      "",
      "quote \" and backslash \\ and \\\"",
      std::string("nul \0 and tab \t", 15),
      "newline \n, return \r, \x01 and \x1f and \x7f",
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\x89",
      "[\"not\",\"an array\"]",
      "line:00ff00ff00ff00ff",
  };
  for (int i = 0; i < 25'000; ++i) keys.push_back("m-" + std::to_string(i));
  return keys;
}

std::string Quoted(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    quoted += c;
    if (c == '\'') quoted += '\'';
  }
  return quoted + "'";
}

// Loads the state file at `path` into a fresh state of `program`.
void LoadInto(const std::string& path, store::State& state) {
  auto opened = store::Store::Open(path);
  REQUIRE(opened.ok());
  common::Status status = (*opened)->Load(state);
  INFO(status.message());
  REQUIRE(status.ok());
}

TEST_CASE("applied keys saved in chunks are all applied after a restart",
          "[runtime][store][processed]") {
  TempDir dir;
  std::string path = dir.File("s.db");
  ir::Program program = EmptyProgram();
  std::vector<std::string> keys = OddKeys();

  // Three saves, so three chunks, the last with one key.
  {
    store::State state(program);
    auto opened = store::Store::Open(path);
    REQUIRE(opened.ok());
    size_t split[] = {0, 10, keys.size() - 1, keys.size()};
    for (int save = 0; save < 3; ++save) {
      for (size_t i = split[save]; i < split[save + 1]; ++i) {
        state.AddProcessed(keys[i], true);
      }
      REQUIRE((*opened)->Save(state).ok());
    }
  }
  CHECK(QueryInt(path, "SELECT count(*) FROM processed_chunks") == 3);
  CHECK(QueryInt(path, "SELECT count(*) FROM processed") ==
        static_cast<int64_t>(keys.size()));
  // The view gives the keys back byte for byte (SQL's own JSON reader).
  CHECK(QueryInt(path, "SELECT count(*) FROM processed WHERE message_id = " +
                           Quoted(keys[4])) == 1);

  store::State loaded(program);
  LoadInto(path, loaded);
  for (const std::string& key : keys) {
    INFO(key);
    CHECK(loaded.IsProcessed(key));
  }
  CHECK_FALSE(loaded.IsProcessed("m-25000"));
  CHECK(loaded.new_processed().empty());
}

TEST_CASE("a state file of schema 7 keeps every applied key",
          "[runtime][store][processed][robustness]") {
  TempDir dir;
  std::string path = dir.File("s.db");
  std::vector<std::string> keys = OddKeys();
  REQUIRE(store::Store::Open(path).ok());
  {
    auto db = store::Database::Open(path);
    REQUIRE(db.ok());
    REQUIRE(db->Exec(DowngradeTo(7)).ok());
    REQUIRE(db->Exec(SavedMetaSql()).ok());
    REQUIRE(db->Exec("BEGIN").ok());
    auto insert = db->Prepare("INSERT INTO processed(message_id) VALUES(?1)");
    REQUIRE(insert.ok());
    for (const std::string& key : keys) {
      insert->BindText(1, key);
      REQUIRE(insert->Run().ok());
    }
    REQUIRE(db->Exec("COMMIT").ok());
  }
  REQUIRE(QueryInt(path, "SELECT count(*) FROM processed") ==
          static_cast<int64_t>(keys.size()));

  ir::Program program = EmptyProgram();
  store::State state(program);
  LoadInto(path, state);
  CHECK(QueryInt(path, "PRAGMA user_version") == store::kSchemaVersion);
  // 25,007 keys in chunks of 10,000.
  CHECK(QueryInt(path, "SELECT count(*) FROM processed_chunks") == 3);
  CHECK(QueryInt(path, "SELECT count(*) FROM processed") ==
        static_cast<int64_t>(keys.size()));
  for (const std::string& key : keys) {
    INFO(key);
    CHECK(state.IsProcessed(key));
  }
  CHECK_FALSE(state.IsProcessed("m-25000"));
}

TEST_CASE("an empty state file of schema 7 migrates without a chunk",
          "[runtime][store][processed][robustness]") {
  TempDir dir;
  std::string path = dir.File("s.db");
  REQUIRE(store::Store::Open(path).ok());
  {
    auto db = store::Database::Open(path);
    REQUIRE(db.ok());
    REQUIRE(db->Exec(DowngradeTo(7)).ok());
  }
  REQUIRE(store::Store::Open(path).ok());
  CHECK(QueryInt(path, "PRAGMA user_version") == store::kSchemaVersion);
  CHECK(QueryInt(path, "SELECT count(*) FROM processed_chunks") == 0);
}

TEST_CASE("a damaged chunk of applied keys is refused, not skipped",
          "[runtime][store][processed][robustness]") {
  ir::Program program = EmptyProgram();
  const char* damaged[][2] = {
      {"'[\"m-1\", '", "is not valid JSON"},
      {"'{\"m-1\": 1}'", "is not a JSON array"},
      {"'[\"m-1\", 2]'", "holds a number where a key was expected"},
  };
  for (const auto& [ids, message] : damaged) {
    TempDir dir;
    std::string path = dir.File("s.db");
    REQUIRE(store::Store::Open(path).ok());
    {
      auto db = store::Database::Open(path);
      REQUIRE(db.ok());
      REQUIRE(db->Exec(SavedMetaSql()).ok());
      REQUIRE(db->Exec(std::string("INSERT INTO processed_chunks VALUES(7, ") +
                       ids + ")")
                  .ok());
    }
    store::State state(program);
    auto opened = store::Store::Open(path);
    REQUIRE(opened.ok());
    common::Status status = (*opened)->Load(state);
    REQUIRE_FALSE(status.ok());
    CHECK_THAT(status.message(), Catch::Contains("processed_chunks row 7 " +
                                                 std::string(message)));
  }
}

}  // namespace
}  // namespace parcours::testing
