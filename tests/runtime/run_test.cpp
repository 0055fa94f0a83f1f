// Runs as a whole: dead letters, strict mode, batches and the outbox,
// restarts, and state files this build must not touch.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "runtime/engine/dead_letters.h"
#include "runtime/sinks/json_lines_sink.h"
#include "runtime/store/store.h"
#include "tests/runtime/runtime_test_support.h"

namespace parcours::testing {
namespace {

// A month of traffic for a few profiles: orders big and small, signups,
// identifies, and a duplicate.
std::vector<std::string> Traffic() {
  std::vector<std::string> lines;
  for (int day = 1; day <= 28; ++day) {
    char time[32];
    std::snprintf(time, sizeof time, "2011-02-%02dT%02d:00:00Z", day,
                  8 + day % 10);
    std::string user = "p" + std::to_string(day % 4);
    std::string id = std::to_string(day);
    lines.push_back(Track("Signed Up", user, "s" + id, time));
    if (day % 3 == 0) {
      lines.push_back(Order(user, "o" + id, time, day % 2 ? "150" : "20"));
    }
    if (day % 5 == 0) {
      lines.push_back(Identify(
          user, "i" + id, time,
          R"({"vip":)" + std::string(day % 2 ? "true" : "false") + "}"));
    }
    if (day % 7 == 0) lines.push_back(lines[lines.size() - 2]);
  }
  return lines;
}

TEST_CASE("bad lines become dead letters and the run goes on",
          "[runtime][run]") {
  Shop shop = MakeShop();
  TempDir dir;
  std::string state = dir.File("s.db");
  std::string long_line(2000, 'x');
  std::string text =
      Lines({Order("p1", "o1", kT0, "150"), "not json", "",
             Order("p1", "o2", kT0, "12"), "   ",
             R"({"type":"track","event":"Order Completed",)"
             R"("userId":"p1","timestamp":"2011-01-02T10:00:00Z",)"
             R"("properties":{"order_id":"o3","total":5}})",
             long_line, Track("Signed Up", "p2", "s1", kT0)});
  engine::RunOptions options = OptionsFor(state);
  options.max_line_bytes = 1500;
  auto out = RunText(shop.program, text, options);

  REQUIRE(out.result.status.ok());
  const engine::RunSummary& summary = out.result.summary;
  CHECK(summary.lines_read == 8);
  CHECK(summary.blank_lines == 2);
  CHECK(summary.dead_letters == 3);
  CHECK(summary.events_applied == 3);
  CHECK(summary.dead_letter_path == state + ".deadletter.jsonl");

  std::vector<std::string> letters = ReadLines(state + ".deadletter.jsonl");
  REQUIRE(letters.size() == 3);
  CHECK(letters[0].rfind(R"({"line":2,"reason":"not JSON: )", 0) == 0);
  CHECK(letters[0].find(R"("text":"not json"})") != std::string::npos);
  CHECK(letters[1].rfind(R"({"line":6,"reason":"money field `total` needs a )"
                         R"(`currency`","text":"{\"type\":\"track\")",
                         0) == 0);
  CHECK(letters[2] == R"({"line":7,"reason":"line is longer than 1500 bytes",)"
                      R"("text":")" +
                          std::string(1000, 'x') + R"("})");
  CHECK(FormatSummary(summary).find("3 dead letters") != std::string::npos);
}

TEST_CASE("dead letters cut long text on a character boundary",
          "[runtime][run]") {
  std::string text = std::string(999, 'a') + "é";
  std::string letter = engine::FormatDeadLetter(1, "r", text);
  CHECK(letter ==
        R"({"line":1,"reason":"r","text":")" + std::string(999, 'a') + R"("})");
  CHECK(engine::FormatDeadLetter(2, "r", "\xff") ==
        "{\"line\":2,\"reason\":\"r\",\"text\":\"\xEF\xBF\xBD\"}");
}

TEST_CASE("strict mode stops at the first bad line, keeping what came before",
          "[runtime][run]") {
  Shop shop = MakeShop();
  TempDir dir;
  std::string state = dir.File("s.db");
  engine::RunOptions options = OptionsFor(state);
  options.strict = true;
  auto out = RunText(shop.program,
                     Lines({Order("p1", "o1", kT0, "150"), "{oops",
                            Order("p2", "o2", kT0, "150")}),
                     options);
  CHECK_FALSE(out.result.status.ok());
  CHECK(out.result.status.message().rfind("line 2: not JSON: ", 0) == 0);
  CHECK(out.actions.size() == 1);
  CHECK(out.result.summary.lines_read == 2);
  CHECK(QueryInt(state, "SELECT count(*) FROM processed") == 1);
  CHECK(ReadLines(state + ".deadletter.jsonl").size() == 1);
}

TEST_CASE("a state file of a newer schema is refused and left untouched",
          "[runtime][run]") {
  Shop shop = MakeShop();
  TempDir dir;
  std::string state = dir.File("new.db");
  {
    auto db = store::Database::Open(state);
    REQUIRE(db.ok());
    REQUIRE(db->Exec("CREATE TABLE future(x); PRAGMA user_version = 99;").ok());
  }
  std::string before = ReadBytes(state);

  auto out = RunText(shop.program, Lines({Order("p1", "o1", kT0, "150")}),
                     OptionsFor(state));
  CHECK(out.result.status.message() ==
        "state file `" + state +
            "` was written by a newer Parcours (schema 99, this build "
            "understands up to " +
            std::to_string(store::kSchemaVersion) + "); it was not modified");
  CHECK(out.actions.empty());
  CHECK(ReadBytes(state) == before);
  CHECK_FALSE(std::filesystem::exists(state + "-wal"));
  CHECK_FALSE(std::filesystem::exists(state + ".deadletter.jsonl"));
}

TEST_CASE("an SQLite file that is not a state is refused", "[runtime][run]") {
  TempDir dir;
  std::string path = dir.File("other.db");
  {
    auto db = store::Database::Open(path);
    REQUIRE(db.ok());
    REQUIRE(db->Exec("CREATE TABLE customers(x)").ok());
  }
  auto store = store::Store::Open(path);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().message() ==
        "state file `" + path +
            "` is an SQLite database but not a Parcours state file; it was "
            "not modified");

  std::string garbage = dir.File("garbage.db");
  std::ofstream(garbage) << std::string(4096, 'g');
  auto refused = store::Store::Open(garbage);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message().rfind("state file `" + garbage + "`: ", 0) ==
        0);
}

TEST_CASE("a new state file is versioned and in WAL mode", "[runtime][run]") {
  TempDir dir;
  std::string path = dir.File("s.db");
  REQUIRE(store::Store::Open(path).ok());
  CHECK(QueryInt(path, "PRAGMA user_version") == store::kSchemaVersion);
  CHECK(QueryText(path, "PRAGMA journal_mode") == "wal");
}

TEST_CASE("a restart gives the same actions as one run, and a rerun none",
          "[runtime][run]") {
  Shop shop = MakeShop();
  std::vector<std::string> traffic = Traffic();
  engine::RunOptions options;
  options.until = 1299024000;  // 2011-03-02T00:00:00Z
  options.batch_size = 3;

  TempDir dir;
  options.state_path = dir.File("one.db");
  auto whole = RunText(shop.program, Lines(traffic), options);
  REQUIRE(whole.result.status.ok());
  REQUIRE(whole.actions.size() > 10);

  options.state_path = dir.File("two.db");
  size_t half = traffic.size() / 2;
  engine::RunOptions first_half = options;
  first_half.until.reset();
  auto first = RunText(
      shop.program,
      Lines(std::vector<std::string>(traffic.begin(), traffic.begin() + half)),
      first_half);
  auto second = RunText(
      shop.program,
      Lines(std::vector<std::string>(traffic.begin() + half, traffic.end())),
      options);
  REQUIRE(first.result.status.ok());
  REQUIRE(second.result.status.ok());
  std::vector<std::string> joined = first.actions;
  joined.insert(joined.end(), second.actions.begin(), second.actions.end());
  CHECK(joined == whole.actions);

  auto rerun = RunText(shop.program, Lines(traffic), options);
  REQUIRE(rerun.result.status.ok());
  CHECK(rerun.actions.empty());
  CHECK(rerun.result.summary.duplicates ==
        static_cast<int64_t>(traffic.size()));
  CHECK(QueryInt(options.state_path, "SELECT count(*) FROM outbox") ==
        static_cast<int64_t>(whole.actions.size()));
}

// Checks, as each line arrives, that its action is already committed.
class CommittedCheckingSink final : public sinks::ActionSink {
 public:
  explicit CommittedCheckingSink(std::string state)
      : state_(std::move(state)) {}

  common::Status Write(std::string_view line) override {
    std::string id = Field(std::string(line), "id");
    auto db = store::Database::Open(state_);
    auto found =
        db->QueryInt("SELECT count(*) FROM outbox WHERE id = '" + id + "'");
    committed_ = committed_ && found.ok() && *found == 1;
    ++lines_;
    return common::Status::Ok();
  }

  common::Status Flush() override {
    ++flushes_;
    return common::Status::Ok();
  }

  bool committed_ = true;
  int lines_ = 0;
  int flushes_ = 0;

 private:
  std::string state_;
};

TEST_CASE("the sink gets a batch only after it committed", "[runtime][run]") {
  Shop shop = MakeShop();
  TempDir dir;
  std::string state = dir.File("s.db");
  auto evaluator = interp::MakeInterpreter(shop.program);
  std::istringstream events(
      Lines({Order("p1", "o1", kT0, "150"), Order("p2", "o2", kT0, "150"),
             Order("p3", "o3", kT0, "150"), Order("p4", "o4", kT0, "150"),
             Order("p5", "o5", kT0, "150")}));
  CommittedCheckingSink sink(state);
  engine::RunOptions options = OptionsFor(state);
  options.batch_size = 2;
  auto result = engine::Run(shop.program, *evaluator, events, sink, options);
  REQUIRE(result.status.ok());
  CHECK(sink.lines_ == 5);
  CHECK(sink.committed_);
  CHECK(sink.flushes_ == 3);  // batches of 2, 2 and 1
}

// Fails every write, like a closed pipe.
class BrokenSink final : public sinks::ActionSink {
 public:
  common::Status Write(std::string_view) override {
    return common::Status::Error("could not write actions to a broken pipe");
  }
  common::Status Flush() override { return common::Status::Ok(); }
};

TEST_CASE("actions committed but not delivered go out in the next run",
          "[runtime][run]") {
  Shop shop = MakeShop();
  TempDir dir;
  std::string state = dir.File("s.db");
  auto evaluator = interp::MakeInterpreter(shop.program);
  std::istringstream events(Lines({Order("p1", "o1", kT0, "150")}));
  BrokenSink broken;
  auto failed =
      engine::Run(shop.program, *evaluator, events, broken, OptionsFor(state));
  CHECK(failed.status.message() == "could not write actions to a broken pipe");

  auto out = RunText(shop.program, Lines({Order("p1", "o1", kT0, "150")}),
                     OptionsFor(state));
  REQUIRE(out.result.status.ok());
  CHECK(out.result.summary.redelivered == 1);
  CHECK(out.result.summary.duplicates == 1);
  REQUIRE(out.actions.size() == 1);
  CHECK(Field(out.actions[0], "template") == "thank_you");

  auto quiet = RunText(shop.program, "", OptionsFor(state));
  CHECK(quiet.actions.empty());
}

TEST_CASE("the JSON-lines sink writes one line per action", "[runtime][run]") {
  std::ostringstream out;
  sinks::JsonLinesSink sink(out, "stdout");
  REQUIRE(sink.Write(R"({"kind":"send"})").ok());
  REQUIRE(sink.Write(R"({"kind":"send","id":"2"})").ok());
  REQUIRE(sink.Flush().ok());
  CHECK(out.str() == "{\"kind\":\"send\"}\n{\"kind\":\"send\",\"id\":\"2\"}\n");

  out.setstate(std::ios::badbit);
  CHECK(sink.Write("x").message() == "could not write actions to stdout");
}

TEST_CASE("state survives a restart by name, not by offset", "[runtime][run]") {
  Shop shop = MakeShop();
  TempDir dir;
  std::string state = dir.File("s.db");
  RunText(shop.program,
          Lines({Identify("p1", "i1", kT0,
                          R"({"email":"p1@example.com","vip":true})"),
                 Track("Signed Up", "p1", "s1", kT0)}),
          OptionsFor(state));

  // The same program with a new attribute in front: every offset moves.
  ProgramBuilder b;
  Shop moved = MakeShop();
  ir::Program& program = moved.program;
  ir::Field extra;
  extra.name = "nickname";
  extra.wire_name = "nickname";
  extra.type = ir::Type::String;
  extra.optional = true;
  extra.offset = 0;
  extra.presence_offset = 2;
  for (ir::Field& field : program.profile) {
    field.offset += 3;
    if (field.presence_offset >= 0) field.presence_offset += 3;
  }
  for (ir::Aggregate& aggregate : program.aggregates) aggregate.offset += 3;
  for (ir::Segment& segment : program.segments) segment.offset += 3;
  for (ir::Function& function : program.functions) {
    for (ir::Inst& inst : function.body) {
      if (inst.base == ir::Base::Profile &&
          (inst.op == ir::Op::Load || inst.op == ir::Op::IsPresent)) {
        inst.imm += 3;
      }
    }
  }
  program.profile.insert(program.profile.begin(), extra);
  program.profile_words += 3;
  REQUIRE(ir::Verify(program).empty());

  auto out = RunText(program,
                     Lines({Identify("x", "i2", "2011-01-02T11:00:00Z", "{}")}),
                     OptionsFor(state));
  REQUIRE(out.result.status.ok());
  REQUIRE(out.actions.size() == 1);
  CHECK(Field(out.actions[0], "template") == "vip_welcome");
  CHECK(QueryText(state, "SELECT attrs FROM profiles WHERE id = 'p1'") ==
        R"({"email":"p1@example.com","vip":true,"country":"UK","age":null})");
}

}  // namespace
}  // namespace parcours::testing
