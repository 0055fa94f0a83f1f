// Lowering: record layout, journey state machines, the verifier and the
// text dump.
#include <catch2/catch.hpp>
#include <set>

#include "tests/support/compile.h"
#include "tests/support/files.h"

namespace parcours {
namespace {

TEST_CASE("the IR of the example matches its golden dump") {
  auto source = testing::SourceDir() /
                "examples/uci-online-retail/campaign/retail.journey";
  auto compiled = testing::CompileText(testing::ReadText(source));
  REQUIRE(compiled.program);
  CHECK(ir::Verify(*compiled.program).empty());

  std::string dump = ir::Dump(*compiled.program);
  auto golden = testing::SourceDir() / "tests/ir/retail.ir";
  if (testing::UpdatingGoldens()) testing::WriteText(golden, dump);
  CHECK(dump == testing::ReadText(golden));
}

TEST_CASE("a cap's reserved slots are lowered with their priority") {
  auto compiled = testing::CompileText(
      "event Order { total: money }\n"
      "policy pressure {\n"
      "  cap 3 per week across email, push reserve 1 for high\n"
      "  cap 2 per day\n"
      "}\n"
      "journey thanks {\n"
      "  on Order\n"
      "  policy pressure\n"
      "  send email \"thanks\"\n"
      "}\n");
  REQUIRE(compiled.program);
  CHECK(ir::Verify(*compiled.program).empty());
  REQUIRE(compiled.program->policies.size() == 1);
  const ir::Policy& policy = compiled.program->policies[0];
  REQUIRE(policy.caps.size() == 2);
  CHECK(policy.caps[0].reserved >= 0);
  CHECK(policy.caps[0].reserved_rank == 2);  // high
  CHECK(policy.caps[1].reserved == -1);

  std::string dump = ir::DumpPolicy(policy);
  CHECK(dump.find("per week across email push reserve fn" +
                  std::to_string(policy.caps[0].reserved) +
                  " for rank 2 line 3\n") != std::string::npos);
  CHECK(dump.find("per day across all line 4\n") != std::string::npos);
}

TEST_CASE("records get fixed, non-overlapping slots") {
  auto compiled = testing::CompileText(
      "profile { email: string?  score: int = 3  spent: money = 0 EUR }\n"
      "event Order { total: money  note: string? }\n"
      "segment big = sum(Order.total) >= 10 EUR and count(Order) > 1\n");
  REQUIRE(compiled.program);
  const ir::Program& program = *compiled.program;

  // email: 2 words + presence; score: 1; spent: 2; then the aggregates
  // (sum: 2 words, count: 1), then one word per segment.
  REQUIRE(program.profile.size() == 3);
  CHECK(program.profile[0].offset == 0);
  CHECK(program.profile[0].presence_offset == 2);
  CHECK(program.profile[1].offset == 3);
  CHECK(program.profile[1].default_words == std::vector<int64_t>{3});
  CHECK(program.profile[2].offset == 4);
  REQUIRE(program.aggregates.size() == 2);
  CHECK(program.aggregates[0].offset == 6);
  CHECK(program.aggregates[1].offset == 8);
  CHECK(program.segments[0].offset == 9);
  CHECK(program.profile_words == 10);

  CHECK(program.events[0].record_words == 5);
  CHECK(program.aggregates_by_event[0] == std::vector<int32_t>{0, 1});
}

TEST_CASE("the IR records which segments each change can affect") {
  auto compiled = testing::CompileText(
      "profile { score: int = 0 }\n"
      "event Order { total: money }\n"
      "event Visit { page: string }\n"
      "segment buyer = count(Order) > 0\n"
      "segment scored = profile.score > 3\n"
      "segment fresh = now - 1d > now - 2d\n"
      "segment visitor = count(Visit) > 2 and profile.score > 0\n");
  REQUIRE(compiled.program);
  const ir::Program& program = *compiled.program;

  // Orders change `buyer`; visits `visitor`; the clock `fresh`, always.
  CHECK(program.segments_by_event[0] == std::vector<int32_t>{0, 2});
  CHECK(program.segments_by_event[1] == std::vector<int32_t>{2, 3});
  CHECK(program.segments_on_identify == std::vector<int32_t>{1, 2, 3});
  CHECK(program.time_dependent_segments == std::vector<int32_t>{2});
  CHECK_THAT(ir::Dump(program),
             Catch::Contains("deps time alone can change segments 2"));
}

TEST_CASE("each event type keeps the history its widest window reads") {
  auto compiled = testing::CompileText(
      "event Order { total: money  items: int  note: string? }\n"
      "event Visit { page: string }\n"
      "event Refund { amount: money }\n"
      "segment busy = count(Order within 30d) > 2\n"
      "segment spender = sum(Order.total between 90d and 30d ago) > 5 EUR\n"
      "segment many = sum(Order.items within 7d) > 9\n"
      "segment lifetime = count(Visit) > 3 and sum(Refund.amount) > 0 EUR\n"
      "segment plain = count(Visit) > 1\n");
  REQUIRE(compiled.program);
  const ir::Program& program = *compiled.program;

  // Orders are kept 90 days, with the two fields a windowed sum adds up;
  // visits and refunds feed no window, so none are kept.
  CHECK(program.events[0].history_seconds == 90 * 86400);
  CHECK(program.events[0].history_fields == std::vector<int32_t>{0, 1});
  CHECK(program.events[1].history_seconds == 0);
  CHECK(program.events[2].history_seconds == 0);
  REQUIRE(program.aggregates.size() == 5);
  CHECK(program.aggregates[1].windowed);
  CHECK(program.aggregates[1].window_far == 90 * 86400);
  CHECK(program.aggregates[1].window_near == 30 * 86400);
  CHECK_FALSE(program.aggregates[3].windowed);

  // Segments reading a window can change with time alone.
  CHECK(program.time_dependent_segments == std::vector<int32_t>{0, 1, 2});
  CHECK_THAT(ir::Dump(program),
             Catch::Contains("keeps 7776000s of history, fields 0 1"));
  CHECK(ir::Verify(program).empty());
}

TEST_CASE("enums are ints that keep their value names") {
  auto compiled = testing::CompileText(
      "profile { tier: enum { bronze, silver, gold } = gold }\n"
      "segment top = profile.tier in [silver, gold]\n");
  REQUIRE(compiled.program);
  const ir::Field& tier = compiled.program->profile[0];
  CHECK(tier.type == ir::Type::Int);
  CHECK(tier.enum_values ==
        std::vector<std::string>{"bronze", "silver", "gold"});
  CHECK(tier.default_words == std::vector<int64_t>{2});
  CHECK_THAT(ir::Dump(*compiled.program),
             Catch::Contains("enum bronze silver gold"));
}

TEST_CASE("a long list of literals becomes one sorted set, dumped in order") {
  // Sixteen items, repeats and negated numbers among them, reach
  // lower::kInSetMinItems; a list of fifteen stays a chain of comparisons.
  REQUIRE(lower::kInSetMinItems == 16);
  auto compiled = testing::CompileText(
      "profile {\n"
      "  code: string?\n"
      "  score: int = 0\n"
      "}\n"
      "segment listed = profile.code in [\"b\", \"a\", \"b\", \"\", "
      "\"ab\", \"c\", \"d\", \"e\", \"f\", \"g\", \"h\", \"i\", \"j\", "
      "\"k\", \"l\", \"m\"]\n"
      "segment scored = profile.score not in [3, -1, 7, 3, 0, 12, -40, 5, 20, "
      "21, 22, 23, 24, 25, 26, 27]\n"
      "segment short = profile.score in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, "
      "12, 13, 14, 15]\n");
  INFO(compiled.diagnostics);
  REQUIRE(compiled.program);
  CHECK(ir::Verify(*compiled.program).empty());

  std::string dump = ir::Dump(*compiled.program);
  CHECK_THAT(dump,
             Catch::Contains("set #0 string 15 = \"\", \"a\", \"ab\", "
                             "\"b\", \"c\", \"d\", \"e\", \"f\", \"g\", "
                             "\"h\", \"i\", \"j\", \"k\", \"l\", \"m\"\n"));
  CHECK_THAT(dump, Catch::Contains("set #1 int 15 = -40, -1, 0, 3, 5, 7, 12, "
                                   "20, 21, 22, 23, 24, 25, 26, 27\n"));
  CHECK_THAT(dump, Catch::Contains("in_set bool %0, #0 (string)"));
  CHECK_THAT(dump, Catch::Contains("in_set bool %0, #1 (int)"));
  CHECK(compiled.program->const_sets.size() == 2);
}

TEST_CASE("journeys become state machines with explicit successors") {
  auto compiled = testing::CompileText(
      "event Order { total: money }\n"
      "journey j {\n"
      "  on Order as o\n"
      "  wait 1h\n"
      "  if o.total > 10 EUR { first: send email \"big\" exit }\n"
      "  else { send push \"small\" }\n"
      "  send sms \"after\"\n"
      "}\n");
  REQUIRE(compiled.program);
  const ir::Journey& journey = compiled.program->journeys.at(0);

  // 0 wait, 1 if, 2 send sms, 3 first (email), 4 exit, 5 send push.
  REQUIRE(journey.steps.size() == 6);
  CHECK(journey.entry == 0);
  CHECK(journey.steps[0].next == 1);
  CHECK(journey.steps[1].kind == ir::StepKind::If);
  CHECK(journey.steps[1].next == 3);
  CHECK(journey.steps[1].else_next == 5);
  CHECK(journey.steps[3].name == "first");
  CHECK(journey.steps[3].next == 4);
  CHECK(journey.steps[4].kind == ir::StepKind::Exit);
  CHECK(journey.steps[5].next == 2);
  // Unlabelled steps count by kind in source order; labels take no number.
  CHECK(journey.steps[2].name == "send2");
  CHECK(journey.steps[5].name == "send1");
  CHECK(journey.steps[2].next == -1);
}

TEST_CASE("a label that looks generated does not give two steps one name") {
  // Waiting contacts are stored by step name; two steps named `wait1`
  // would resume a contact at the wrong one after a restart.
  auto compiled = testing::CompileText(
      "event Order { total: money }\n"
      "journey j {\n"
      "  on Order as o\n"
      "  exit on Order\n"
      "  if o.total >= 1000 EUR { wait 1d send email \"vip\" }\n"
      "  else { wait1: wait 2d send email \"regular\" }\n"
      "}\n");
  REQUIRE(compiled.program);
  std::set<std::string> names;
  for (const ir::Step& step : compiled.program->journeys[0].steps) {
    CHECK(names.insert(step.name).second);
  }
  CHECK(names.count("wait1") == 1);
  CHECK(names.count("wait2") == 1);
  CHECK(ir::Verify(*compiled.program).empty());

  ir::Program broken = *compiled.program;
  broken.journeys[0].steps[1].name = broken.journeys[0].steps[0].name;
  CHECK_THAT(ir::Verify(broken), Catch::Contains("two steps named"));
}

TEST_CASE("the verifier rejects malformed programs") {
  auto compiled = testing::CompileText(
      "event Order { total: money }\n"
      "journey j { on Order as o where o.total > 1 EUR send email \"x\" }\n");
  REQUIRE(compiled.program);
  REQUIRE(ir::Verify(*compiled.program).empty());

  SECTION("an operand used before it is defined") {
    ir::Program broken = *compiled.program;
    broken.functions[0].body[0] = {ir::Op::Not, ir::Type::Bool, ir::Type::Bool};
    broken.functions[0].body[0].a = 3;
    CHECK_THAT(ir::Verify(broken), Catch::Contains("before it is defined"));
  }
  SECTION("a step jumping out of range") {
    ir::Program broken = *compiled.program;
    broken.journeys[0].steps[0].next = 7;
    CHECK_THAT(ir::Verify(broken), Catch::Contains("out of range"));
  }
  SECTION("a window that reads nothing") {
    ir::Program broken = *compiled.program;
    ir::Aggregate aggregate;
    aggregate.windowed = true;
    aggregate.window_far = 5;
    aggregate.window_near = 5;
    broken.aggregates.push_back(aggregate);
    CHECK_THAT(ir::Verify(broken), Catch::Contains("empty window"));
  }
  SECTION("a load past the profile record") {
    ir::Program broken = *compiled.program;
    ir::Inst load{ir::Op::Load, ir::Type::Bool, ir::Type::Bool};
    load.imm = 99;
    broken.functions[0].body.push_back(load);
    CHECK_THAT(ir::Verify(broken), Catch::Contains("past the end"));
  }
}

}  // namespace
}  // namespace parcours
