// Waiting instances are loaded in the order of their seq, whatever order
// their rows have in the file: the warnings for those that do not load
// come out in that order. The store reads the rows by rowid, without a
// sort, only when that is the same order (runtime/store/store.cpp).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "runtime/store/sqlite.h"
#include "runtime/store/store.h"
#include "tests/runtime/runtime_test_support.h"

namespace parcours::testing {
namespace {

struct Row {
  const char* profile;
  const char* journey;  // `gone` is not in the program
  int64_t seq;
};

ir::Program WelcomeProgram() {
  ProgramBuilder builder;
  int32_t signup = builder.Event("SignedUp", "Signed Up", {});
  builder.Journey(
      "welcome", signup, -1, {},
      {WaitStep("wait1", 3600, 1), SendStep("hello", "email", "hello", -1)});
  return builder.Build();
}

// A state file whose `instances` holds `rows`, inserted in that order.
void WriteState(const std::string& path, const std::vector<Row>& rows) {
  {
    auto created = store::Store::Open(path);
    REQUIRE(created.ok());
  }
  auto db = store::Database::Open(path);
  REQUIRE(db.ok());
  REQUIRE(db->Exec(SavedMetaSql()).ok());
  for (const Row& row : rows) {
    std::string step = std::string(row.journey) == "welcome" ? "wait1" : "w";
    REQUIRE(db->Exec(std::string("INSERT INTO instances(profile, journey, "
                                 "seq, step, step_name, wake_at, entered_at, "
                                 "locals) VALUES('") +
                     row.profile + "', '" + row.journey + "', " +
                     std::to_string(row.seq) + ", 0, '" + step +
                     "', 1293843600, 1293840000, '{}')")
                .ok());
  }
}

struct Loaded {
  std::vector<std::string> warned;  // the profiles, in the log's order
  std::vector<std::string> waiting;
  int64_t next_seq = 0;
};

Loaded Load(const ir::Program& program, const std::string& path) {
  store::State state(program);
  auto opened = store::Store::Open(path);
  REQUIRE(opened.ok());
  common::Status status = (*opened)->Load(state);
  INFO(status.message());
  REQUIRE(status.ok());

  Loaded loaded;
  for (const store::LogRow& row : state.pending_log()) {
    loaded.warned.emplace_back(row.profile);
  }
  for (const char* id : {"p1", "p2", "p3", "p4", "p5"}) {
    store::Profile* profile = state.FindProfile(id);
    if (profile != nullptr && state.FindInstance(*profile, 0) != nullptr) {
      loaded.waiting.push_back(id);
    }
  }
  loaded.next_seq = state.next_seq();
  return loaded;
}

TEST_CASE("instances load in seq order whatever the order of their rows",
          "[runtime][store][load]") {
  ir::Program program = WelcomeProgram();
  TempDir dir;

  // The order a save of new instances leaves: rowid order is seq order.
  std::string in_order = dir.File("in-order.db");
  WriteState(in_order, {{"p3", "gone", 1},
                        {"p2", "welcome", 2},
                        {"p4", "gone", 3},
                        {"p1", "gone", 4},
                        {"p5", "welcome", 5}});
  Loaded first = Load(program, in_order);
  CHECK(first.warned == std::vector<std::string>{"p3", "p4", "p1"});
  CHECK(first.waiting == std::vector<std::string>{"p2", "p5"});
  CHECK(first.next_seq == 6);

  // Rows updated in place keep their rowid but take a new seq: the same
  // instances out of order, then in order but for the last row.
  std::string shuffled = dir.File("shuffled.db");
  WriteState(shuffled, {{"p1", "gone", 4},
                        {"p2", "welcome", 2},
                        {"p3", "gone", 1},
                        {"p5", "welcome", 5},
                        {"p4", "gone", 3}});
  Loaded second = Load(program, shuffled);
  CHECK(second.warned == first.warned);
  CHECK(second.waiting == first.waiting);
  CHECK(second.next_seq == 6);

  std::string last_late = dir.File("last-late.db");
  WriteState(last_late, {{"p4", "gone", 3},
                         {"p2", "welcome", 4},
                         {"p1", "gone", 5},
                         {"p3", "gone", 2}});
  CHECK(Load(program, last_late).warned ==
        std::vector<std::string>{"p3", "p4", "p1"});

  // A seq stored as text sorts after every number in SQLite; the rows are
  // then left to its sort, as before.
  std::string text_seq = dir.File("text-seq.db");
  WriteState(text_seq, {{"p1", "gone", 1}, {"p3", "gone", 3}});
  {
    auto db = store::Database::Open(text_seq);
    REQUIRE(db.ok());
    REQUIRE(
        db->Exec("UPDATE instances SET seq = 'x' WHERE profile = 'p1'").ok());
  }
  CHECK(Load(program, text_seq).warned == std::vector<std::string>{"p3", "p1"});
}

// The instances are read on a thread of their own while the profiles load
// (runtime/store/store.cpp); what the load reports must not show it.
TEST_CASE(
    "profile warnings come before instance warnings, as when read "
    "one after the other",
    "[runtime][store][load]") {
  ir::Program program = WelcomeProgram();
  TempDir dir;
  auto add_profile = [](const std::string& path, const std::string& id,
                        const std::string& attrs, const std::string& entries) {
    auto db = store::Database::Open(path);
    REQUIRE(db.ok());
    REQUIRE(db->Exec("INSERT INTO profiles(id, attrs, aggregates, segments, "
                     "entries) VALUES('" +
                     id + "', '" + attrs + "', '{}', '{}', '" + entries + "')")
                .ok());
  };
  auto load_status = [&](const std::string& path) {
    store::State state(program);
    auto opened = store::Store::Open(path);
    REQUIRE(opened.ok());
    return (*opened)->Load(state);
  };

  std::string path = dir.File("warnings.db");
  WriteState(path, {{"p4", "gone", 1}, {"p2", "welcome", 2}});
  add_profile(path, "p3", "{}", R"({"welcome": 5})");
  add_profile(path, "p1", "{}", R"({"welcome": 5})");
  store::State state(program);
  {
    auto opened = store::Store::Open(path);
    REQUIRE(opened.ok());
    REQUIRE((*opened)->Load(state).ok());
  }
  std::vector<std::string> warned;
  for (const store::LogRow& row : state.pending_log()) {
    warned.push_back(std::string(row.profile) + ": " +
                     std::string(row.message.substr(0, 22)));
  }
  CHECK(warned == std::vector<std::string>{
                      "p1: stored entry time of j",
                      "p3: stored entry time of j",
                      "p4: waiting contact of jou",
                  });
  CHECK(state.unloaded_instances() == 1);
  // p2 has no row of its own: its instance makes it, with the defaults.
  store::Profile* p2 = state.FindProfile("p2");
  REQUIRE(p2 != nullptr);
  CHECK(state.FindInstance(*p2, 0) != nullptr);
  CHECK(state.CountInstances() == 1);
  CHECK(state.next_seq() == 3);

  // With a damaged profile and a damaged instance, the profile is named,
  // as the profiles are read first.
  std::string damaged = dir.File("damaged.db");
  WriteState(damaged, {{"p2", "welcome", 2}});
  add_profile(damaged, "p1", "not json", "{}");
  {
    auto db = store::Database::Open(damaged);
    REQUIRE(db.ok());
    REQUIRE(db->Exec("UPDATE instances SET locals = 'nope'").ok());
  }
  common::Status both = load_status(damaged);
  CHECK_FALSE(both.ok());
  CHECK_THAT(both.message(), Catch::Contains("profile `p1` attrs"));

  std::string instance_only = dir.File("instance-only.db");
  WriteState(instance_only, {{"p2", "welcome", 2}});
  {
    auto db = store::Database::Open(instance_only);
    REQUIRE(db.ok());
    REQUIRE(db->Exec("UPDATE instances SET locals = 'nope'").ok());
  }
  common::Status one = load_status(instance_only);
  CHECK_FALSE(one.ok());
  CHECK_THAT(one.message(), Catch::Contains("profile `p2`"));
  CHECK_THAT(one.message(), Catch::Contains("instance locals"));
}

// The load fetches the profiles of the instances some rows ahead of the
// one it attaches (runtime/store/store.cpp): every instance must still go
// to its own profile, with none left over and none made twice, whatever
// the order of the profiles' rows.
TEST_CASE("many waiting instances each go to their own profile",
          "[runtime][store][load]") {
  ir::Program program = WelcomeProgram();
  TempDir dir;
  std::string path = dir.File("many.db");

  // 100 profiles stored from the last id to the first, and their
  // instances in the order of their seq: 1 for p1, 2 for p2, ...
  constexpr int kProfiles = 100;
  std::vector<Row> rows;
  std::vector<std::string> ids;
  for (int i = 1; i <= kProfiles; ++i) ids.push_back("p" + std::to_string(i));
  for (int i = 1; i <= kProfiles; ++i) {
    rows.push_back({ids[i - 1].c_str(), "welcome", i});
  }
  WriteState(path, rows);
  {
    auto db = store::Database::Open(path);
    REQUIRE(db.ok());
    for (int i = kProfiles; i >= 1; --i) {
      REQUIRE(db->Exec("INSERT INTO profiles(id, attrs, aggregates, "
                       "segments, entries) VALUES('p" +
                       std::to_string(i) + "', '{}', '{}', '{}', '{}')")
                  .ok());
    }
  }

  store::State state(program);
  auto opened = store::Store::Open(path);
  REQUIRE(opened.ok());
  REQUIRE((*opened)->Load(state).ok());
  CHECK(state.CountProfiles() == kProfiles);
  CHECK(state.CountInstances() == kProfiles);
  for (int i = 1; i <= kProfiles; ++i) {
    store::Profile* profile = state.FindProfile(ids[i - 1]);
    REQUIRE(profile != nullptr);
    store::Instance* instance = state.FindInstance(*profile, 0);
    REQUIRE(instance != nullptr);
    CHECK(instance->profile == profile);
    CHECK(instance->seq == i);
  }
}

}  // namespace
}  // namespace parcours::testing

namespace parcours::testing {
namespace {

// A saved trigger whose field no longer decodes (the program changed the
// field's type) loads with the field's default, and says so in the log,
// as a profile attribute does; it was read as 0 without a word.
TEST_CASE("a saved trigger field of a changed type warns as it defaults",
          "[runtime][store][load]") {
  ProgramBuilder builder;
  int32_t signup =
      builder.Event("SignedUp", "Signed Up", {{"n", ir::Type::Int, false}});
  builder.Journey(
      "welcome", signup, -1, {},
      {WaitStep("wait1", 3600, 1), SendStep("hello", "email", "hello", -1)});
  ir::Program program = builder.Build();

  TempDir dir;
  std::string path = dir.File("changed.db");
  {
    auto created = store::Store::Open(path);
    REQUIRE(created.ok());
  }
  {
    auto db = store::Database::Open(path);
    REQUIRE(db.ok());
    REQUIRE(db->Exec(SavedMetaSql()).ok());
    for (const char* row :
         {"('p1', 1, '{\"n\":\"abc\"}')", "('p2', 2, '{\"n\":7}')"}) {
      REQUIRE(db->Exec(std::string("INSERT INTO instances(profile, journey, "
                                   "seq, locals, step, step_name, wake_at, "
                                   "entered_at) SELECT column1, 'welcome', "
                                   "column2, column3, 0, 'wait1', 1293843600, "
                                   "1293840000 FROM (VALUES ") +
                       row + ")")
                  .ok());
    }
  }

  store::State state(program);
  auto opened = store::Store::Open(path);
  REQUIRE(opened.ok());
  REQUIRE((*opened)->Load(state).ok());
  CHECK(state.CountInstances() == 2);
  CHECK(state.unloaded_instances() == 0);

  std::vector<std::string> warned;
  for (const store::LogRow& row : state.pending_log()) {
    warned.push_back(std::string(row.profile) + ": " +
                     std::string(row.message));
  }
  REQUIRE(warned.size() == 1);
  CHECK_THAT(warned[0],
             Catch::StartsWith("p1: stored field `n` of the event that "
                               "started journey `welcome` "));
  CHECK_THAT(warned[0], Catch::EndsWith("; it takes its default"));

  store::Profile* p1 = state.FindProfile("p1");
  store::Profile* p2 = state.FindProfile("p2");
  REQUIRE(p1 != nullptr);
  REQUIRE(p2 != nullptr);
  int32_t offset = program.events[signup].fields[0].offset;
  CHECK(state.FindInstance(*p1, 0)->locals.Get(offset) == 0);
  CHECK(state.FindInstance(*p2, 0)->locals.Get(offset) == 7);
}

}  // namespace
}  // namespace parcours::testing
