// The state's own storage for the engine's hot path: log texts kept until
// the rows are saved, and removed instances handed out again.
#include "runtime/store/state.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "compiler/ir/ir.h"

namespace parcours::store {
namespace {

TEST_CASE("log texts stay valid until the changes are cleared",
          "[runtime][state]") {
  ir::Program program;
  State state(program);

  // Enough texts to fill several blocks, and one larger than a block.
  std::vector<std::string> texts;
  for (int i = 0; i < 5000; ++i) {
    texts.push_back("message " + std::to_string(i) + std::string(i % 40, '.'));
  }
  texts.push_back(std::string(200 * 1024, 'x'));
  texts.push_back("after the large one");

  for (const std::string& text : texts) {
    std::string copy = text;  // dies before the row is read
    LogRow row;
    row.level = "info";
    row.message = state.KeepPendingText(copy);
    copy.assign(copy.size(), '?');
    state.Log(row);
  }
  CHECK(state.KeepPendingText("").empty());

  REQUIRE(state.pending_log().size() == texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    REQUIRE(state.pending_log()[i].message == texts[i]);
  }

  state.ClearChanges();
  CHECK(state.pending_log().empty());
  LogRow row;
  row.message = state.KeepPendingText("the next batch");
  state.Log(row);
  CHECK(state.pending_log().front().message == "the next batch");
}

TEST_CASE("new applied keys are kept until the changes are cleared",
          "[runtime][state]") {
  ir::Program program;
  State state(program);
  std::vector<std::string> ids;
  for (int i = 0; i < 3000; ++i) {
    ids.push_back("message-id-long-enough-for-the-heap-" + std::to_string(i));
  }
  for (const std::string& id : ids) {
    std::string copy = id;  // dies at once
    state.AddProcessed(copy, true);
    state.AddDeadLettered("line:" + copy, true);
  }
  state.AddProcessed(ids[0], true);            // a repeat is not new
  state.AddProcessed("loaded before", false);  // nor is a loaded one

  REQUIRE(state.new_processed().size() == ids.size());
  REQUIRE(state.new_dead_lettered().size() == ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    REQUIRE(state.new_processed()[i] == ids[i]);
    REQUIRE(state.new_dead_lettered()[i] == "line:" + ids[i]);
  }
  CHECK(state.IsProcessed("loaded before"));

  state.ClearChanges();
  CHECK(state.new_processed().empty());
  CHECK(state.IsProcessed(ids[5]));
  CHECK(state.KeepPendingText("").data() != nullptr);
}

TEST_CASE("a removed instance comes back as new, its locals reassigned",
          "[runtime][state]") {
  ir::Program program;
  program.journeys.resize(2);
  State state(program);
  Profile& profile = state.FindOrCreateProfile("p1");

  std::unique_ptr<Instance> first = state.NewInstance();
  first->journey = 1;
  first->step = 3;
  first->seq = 7;
  first->wake_at = 100;
  first->entered_at = 50;
  first->waits_since = 60;
  first->locals = common::Record(2);
  first->locals.SetString(0, "a trigger's string, long enough for the heap");
  first->arrived =
      std::make_unique<ArrivedEvent>(ArrivedEvent{2, common::Record(1)});
  Instance* first_address = first.get();
  state.AddInstance(profile, std::move(first));
  REQUIRE(state.FirstTimer().has_value());

  state.RemoveInstance(profile, 1);
  CHECK(state.FindInstance(profile, 1) == nullptr);
  CHECK_FALSE(state.FirstTimer().has_value());
  CHECK(state.CountInstances() == 0);

  // The same object, with a new instance's values.
  std::unique_ptr<Instance> again = state.NewInstance();
  CHECK(again.get() == first_address);
  Instance fresh;
  CHECK(again->journey == fresh.journey);
  CHECK(again->step == fresh.step);
  CHECK(again->timer.bucket == fresh.timer.bucket);
  CHECK(again->profile == nullptr);
  CHECK(again->seq == fresh.seq);
  CHECK_FALSE(again->wake_at.has_value());
  CHECK(again->entered_at == fresh.entered_at);
  CHECK(again->waits_since == fresh.waits_since);
  CHECK(again->arrived == nullptr);

  // Its timer is scheduled and found again like a new one's.
  common::Record locals(2);
  locals.SetString(0, "short");
  again->locals = locals;
  again->journey = 0;
  again->wake_at = 40;
  state.AddInstance(profile, std::move(again));
  REQUIRE(state.FirstTimer().has_value());
  CHECK(state.FirstTimer()->wake_at == 40);
  CHECK(state.FindInstance(profile, 0)->locals.GetString(0) == "short");
  TimerTarget woken = state.PopFirstTimer();
  CHECK(woken.profile == &profile);
  CHECK(woken.journey == 0);

  // A state with nothing removed makes new ones.
  CHECK(state.NewInstance() != nullptr);
}

TEST_CASE("a profile's flags take no padding and few words",
          "[runtime][state]") {
  // A profile is held per customer. With its five flags each between
  // wider fields it took 312 bytes on a 64-bit libstdc++; side by side
  // they fill one word, and its two sets of journey flags take three
  // words each instead of five.
  if constexpr (sizeof(void*) == 8 && sizeof(std::string) == 32) {
    CHECK(sizeof(Profile) <= 264);
  }
}

}  // namespace
}  // namespace parcours::store
