// Journey semantics through `Run`: triggers, filters, waits, exits,
// segments, aggregates and deduplication.
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "runtime/common/hash.h"
#include "runtime/common/time_text.h"
#include "runtime/engine/actions.h"
#include "runtime/policy/lines.h"
#include "tests/runtime/runtime_test_support.h"

namespace parcours::testing {
namespace {

std::vector<std::string> Templates(const std::vector<std::string>& actions) {
  std::vector<std::string> templates;
  for (const std::string& line : actions) {
    templates.push_back(Field(line, "template"));
  }
  return templates;
}

TEST_CASE("a send line has the contract's shape", "[runtime][engine]") {
  Shop shop = MakeShop();
  TempDir dir;
  // An email address, or the send is `unreachable`.
  auto out = RunText(shop.program,
                     Lines({Identify("p1", "i1", kT0, kEmailTrait),
                            Order("p1", "o1", kT0, "150")}),
                     OptionsFor(dir.File("s.db")));
  REQUIRE(out.result.status.ok());
  REQUIRE(out.actions.size() == 1);
  // The instance started on line 2 is number 2 * 65536 (see run.cpp).
  CHECK(out.actions[0] == R"({"kind":"send","id":")" +
                              engine::ActionId(shop.program.module, "p1",
                                               "thank_you", 2 * 65536,
                                               "thanks\x1f"
                                               "email\x1f"
                                               "thank_you") +
                              R"(","at":"2011-01-02T10:00:00Z","profile":"p1",)"
                              R"("channel":"email","template":"thank_you",)"
                              R"("journey":"thank_you","step":"thanks",)"
                              R"("category":"marketing","payload":{}})");
}

// A send line as the contract's tree gives it: keys in order, dumped
// compact with invalid UTF-8 replaced.
std::string SendLineByTree(const engine::SendAction& send) {
  nlohmann::ordered_json line = nlohmann::ordered_json::object();
  line["kind"] = "send";
  line["id"] = send.id;
  line["at"] = common::FormatTime(send.at);
  line["profile"] = send.profile;
  line["channel"] = send.channel.empty() ? std::string_view(send.step->channel)
                                         : send.channel;
  line["template"] = send.step->template_name;
  line["journey"] = send.journey;
  line["step"] = send.step->name;
  line["category"] = send.step->category;
  if (!send.step->priority.empty()) line["priority"] = send.step->priority;
  line["payload"] = send.payload;
  if (!send.unsubscribe_url.empty()) {
    line["payload"]["headers"] = {
        {"List-Unsubscribe", "<" + std::string(send.unsubscribe_url) + ">"},
        {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"}};
  }
  if (send.late) line["late"] = true;
  return line.dump(-1, ' ', false,
                   nlohmann::ordered_json::error_handler_t::replace);
}

TEST_CASE("send lines are the bytes of their JSON tree", "[runtime][engine]") {
  // Plain names, names that need escaping, control bytes, UTF-8 and
  // invalid UTF-8, in each field in turn.
  const std::vector<std::string> texts = {
      "plain",     "with \"quotes\"", "back\\slash",
      "tab\there", "caf\xc3\xa9",     "bad \xff byte",
      "",          "del\x7f"};
  for (size_t field = 0; field < 6; ++field) {
    for (const std::string& text : texts) {
      for (int variant = 0; variant < 4; ++variant) {
        ir::Step step;
        step.kind = ir::StepKind::Send;
        step.name = field == 0 ? text : "thanks";
        step.channel = field == 1 ? text : "email";
        step.template_name = field == 2 ? text : "thank_you";
        step.category = field == 3 ? text : "marketing";
        if (variant % 2 == 1) step.priority = "high";
        std::string profile = field == 4 ? text : "p1";
        std::string journey = field == 5 ? text : "thank_you";

        engine::SendAction send;
        send.id = "0123456789abcdef";
        send.at = 1293962400;
        send.profile = profile;
        send.journey = journey;
        send.step = &step;
        send.payload["order_id"] = text;
        send.payload["total"] = 12.5;
        send.late = variant >= 2;
        if (variant == 3) send.channel = "sms";
        if (variant == 2 && field == 0) {
          send.unsubscribe_url = "https://example.invalid/u?p=1";
        }
        INFO("field " << field << ", text " << text << ", variant " << variant);
        CHECK(engine::FormatSendLine(send) == SendLineByTree(send));
      }
    }
  }
}

TEST_CASE("an action line's order is what reading all of it gives",
          "[runtime][engine]") {
  // The canonical order of a save's actions reads each line's `at` and
  // `profile` from the members every formatter writes first, where their
  // text is plain; it must be what reading the whole line gives, for every
  // kind of line and every text a profile id or name may hold.
  const std::vector<std::string> texts = {"p1",
                                          "u123456789012345678901234567890",
                                          "with \"quotes\"",
                                          "back\\slash",
                                          "tab\there",
                                          "caf\xc3\xa9",
                                          "bad \xff byte",
                                          "",
                                          "del\x7f",
                                          "brace}",
                                          "comma,\"at\":\"x"};
  const std::vector<int64_t> times = {0, 1293962400, -2208988800, 253402300799,
                                      1700000000};
  std::mt19937_64 random(20261205);
  auto pick = [&](const auto& values) {
    return values[random() % values.size()];
  };
  for (int round = 0; round < 3000; ++round) {
    std::string id = pick(texts);
    std::string profile = pick(texts);
    std::string journey = pick(texts);
    ir::Step step;
    step.kind = ir::StepKind::Send;
    step.name = pick(texts);
    step.channel = "email";
    step.template_name = pick(texts);
    step.category = "marketing";
    step.text = pick(texts);
    step.system = "crm";
    step.team = pick(texts);
    engine::SendAction action =
        engine::ActionOf(id, pick(times), profile, journey, step);
    action.payload["at"] = pick(texts);
    action.payload["profile"] = pick(texts);
    action.late = random() % 2 == 0;
    if (random() % 4 == 0) action.unsubscribe_url = "https://example.invalid/u";

    policy::Decision decision;
    decision.verdict =
        random() % 2 == 0 ? policy::Verdict::Defer : policy::Verdict::Suppress;
    decision.channel = "email";
    decision.reason = "cap";
    decision.detail = pick(texts);
    decision.until = pick(times);
    std::vector<std::string> lines = {
        engine::FormatSendLine(action),
        engine::FormatSuppressedLine(action, "holdout", pick(texts)),
        engine::FormatTaskLine(action),
        engine::FormatSecurityLine(action),
        engine::FormatWebhookLine(action),
        engine::FormatEventLine(action, pick(texts)),
        policy::FormatHeldLine(
            {id, action.at, profile, journey, &step, action.late}, decision)};
    for (const std::string& line : lines) {
      INFO("line: " << line);
      engine::ActionOrder fast = engine::OrderOfLine(line);
      engine::ActionOrder read = engine::OrderOfLineByReading(line);
      CHECK(fast.at == read.at);
      CHECK(fast.profile == read.profile);
      CHECK(read.at == common::FormatTime(action.at));
    }
  }

  // Not an action line: the order of the whole line, empty where absent.
  for (std::string line :
       {"", "not json", "{}", R"({"at":"x"})", R"( {"kind":"send"})",
        R"({"kind":"send","id":"i","at":"t"})"}) {
    INFO("line: " << line);
    CHECK(engine::OrderOfLine(line).at ==
          engine::OrderOfLineByReading(line).at);
  }
}

TEST_CASE("action ids are FNV-1a hashes of the instance step",
          "[runtime][engine]") {
  // FNV-1a 64 of the empty input and of "a", from the algorithm's
  // published test vectors.
  CHECK(engine::Fnv1a64("") == 0xcbf29ce484222325ull);
  CHECK(engine::Fnv1a64("a") == 0xaf63dc4c8601ec8cull);
  std::string id = engine::ActionId("shop", "p1", "j", 3, "send2");
  CHECK(id.size() == 16);
  CHECK(id == engine::ActionId("shop", "p1", "j", 3, "send2"));
  CHECK(id != engine::ActionId("shop", "p1", "j", 4, "send2"));
  CHECK(id != engine::ActionId("shop", "p1", "j", 3, "send1"));
  // Two programs' journeys of one name give different keys.
  CHECK(id != engine::ActionId("spring", "p1", "j", 3, "send2"));
  // The key is the hash of the parts joined by 0x1f, step by name.
  const std::string separator = "\x1f";
  CHECK(id == common::Hex64(engine::Fnv1a64("shop" + separator + "p1" +
                                            separator + "j" + separator + "3" +
                                            separator + "send2")));

  // A send's step key names its channel and template too.
  ir::Step send;
  send.kind = ir::StepKind::Send;
  send.name = "send1";
  send.channel = "email";
  send.template_name = "welcome_spring";
  CHECK(engine::StepKey(send) ==
        "send1\x1f"
        "email\x1f"
        "welcome_spring");
  ir::Step wait;
  wait.kind = ir::StepKind::Wait;
  wait.name = "wait1";
  CHECK(engine::StepKey(wait) == "wait1");
}

TEST_CASE("a wait fires exactly once, at its wake time", "[runtime][engine]") {
  Shop shop = MakeShop();
  TempDir dir;
  std::string state = dir.File("s.db");

  // One second before the day is over: only the thank-you.
  auto early =
      RunText(shop.program,
              Lines({Order("p1", "o1", kT0, "150"),
                     Identify("p2", "i1", "2011-01-03T09:59:59Z", "{}")}),
              OptionsFor(state));
  REQUIRE(early.result.status.ok());
  CHECK(Templates(early.actions) == std::vector<std::string>{"thank_you"});
  CHECK(early.result.summary.instances_waiting == 1);

  // The next event is well past the wake time; the review goes out at the
  // wake time, not at the event's.
  auto late = RunText(
      shop.program, Lines({Identify("p2", "i2", "2011-01-05T00:00:00Z", "{}")}),
      OptionsFor(state));
  REQUIRE(late.result.status.ok());
  REQUIRE(Templates(late.actions) ==
          std::vector<std::string>{"review_request"});
  CHECK(Field(late.actions[0], "at") == "2011-01-03T10:00:00Z");
  CHECK(late.result.summary.timers_fired == 1);
  CHECK(late.result.summary.instances_waiting == 0);

  auto again = RunText(
      shop.program, Lines({Identify("p2", "i3", "2011-01-09T00:00:00Z", "{}")}),
      OptionsFor(state));
  CHECK(again.actions.empty());
}

TEST_CASE("a timer due exactly at an event's time fires before it",
          "[runtime][engine]") {
  Shop shop = MakeShop();
  TempDir dir;
  auto out = RunText(
      shop.program,
      Lines({Track("Signed Up", "p1", "s1", kT0),
             Identify("p1", "i1", "2011-01-02T11:00:00Z", R"({"vip":true})")}),
      OptionsFor(dir.File("s.db")));
  // The wake-up at 11:00 runs before the identify at 11:00 makes p1 a VIP.
  CHECK(Templates(out.actions) == std::vector<std::string>{"welcome"});
}

TEST_CASE("actions due together come out by profile id, not entry order",
          "[runtime][engine]") {
  Shop shop = MakeShop();
  TempDir dir;
  auto out = RunText(shop.program,
                     Lines({Track("Signed Up", "b", "s1", kT0),
                            Track("Signed Up", "a", "s2", kT0),
                            Identify("c", "i1", "2011-01-02T12:00:00Z", "{}")}),
                     OptionsFor(dir.File("s.db")));
  REQUIRE(out.actions.size() == 2);
  CHECK(Field(out.actions[0], "profile") == "a");
  CHECK(Field(out.actions[1], "profile") == "b");
}

TEST_CASE("an exit event cancels the pending timer", "[runtime][engine]") {
  Shop shop = MakeShop();
  TempDir dir;
  std::string state = dir.File("s.db");
  auto out =
      RunText(shop.program,
              Lines({Track("Signed Up", "p1", "s1", kT0),
                     Order("p1", "o1", "2011-01-02T10:10:00Z", "50"),
                     Identify("p1", "i1", "2011-01-02T12:00:00Z", "{}")}),
              OptionsFor(state));
  REQUIRE(out.result.status.ok());
  CHECK(out.actions.empty());
  CHECK(out.result.summary.instances_waiting == 0);
  CHECK(
      QueryText(state,
                "SELECT journey || ' ' || step || ' ' || message || ' ' || at "
                "FROM log WHERE message LIKE 'exited%'") ==
      "welcome wait1 exited on `OrderPlaced` 2011-01-02T10:10:00Z");
  CHECK(QueryInt(state, "SELECT count(*) FROM instances") == 0);
}

TEST_CASE("a trigger is ignored while the profile is in the journey",
          "[runtime][engine]") {
  Shop shop = MakeShop();
  TempDir dir;
  auto out =
      RunText(shop.program,
              Lines({Track("Signed Up", "p1", "s1", kT0),
                     Track("Signed Up", "p1", "s2", "2011-01-02T10:30:00Z"),
                     Identify("p1", "i1", "2011-01-02T12:00:00Z", "{}"),
                     // The first instance ended at 11:00, so this one enters.
                     Track("Signed Up", "p1", "s3", "2011-01-02T12:00:00Z"),
                     Identify("p1", "i2", "2011-01-02T14:00:00Z", "{}")}),
              OptionsFor(dir.File("s.db")));
  REQUIRE(out.actions.size() == 2);
  CHECK(Field(out.actions[0], "at") == "2011-01-02T11:00:00Z");
  CHECK(Field(out.actions[1], "at") == "2011-01-02T13:00:00Z");
  CHECK(Field(out.actions[0], "id") != Field(out.actions[1], "id"));
}

TEST_CASE("a trigger filter reads the event's record", "[runtime][engine]") {
  Shop shop = MakeShop();
  TempDir dir;
  auto out = RunText(shop.program,
                     Lines({Order("small", "o1", kT0, "99.99"),
                            Order("exact", "o2", kT0, "100.00"),
                            Order("big", "o3", kT0, "100.01"),
                            Order("dollars", "o4", kT0, "500", "USD")}),
                     OptionsFor(dir.File("s.db")));
  REQUIRE(out.actions.size() == 1);
  CHECK(Field(out.actions[0], "profile") == "big");
}

TEST_CASE("an if step reads profile and locals", "[runtime][engine]") {
  Shop shop = MakeShop();
  TempDir dir;
  auto out =
      RunText(shop.program,
              Lines({Identify("vip", "i1", kT0, R"({"vip":true})"),
                     Track("Signed Up", "vip", "s1", kT0),
                     Track("Signed Up", "plain", "s2", kT0),
                     Track("Order Completed", "noted", "o1", kT0,
                           R"({"order_id":"o1","total":1,"currency":"EUR",)"
                           R"("note":"leave at the door"})"),
                     Identify("x", "i2", "2011-01-03T00:00:00Z", "{}")}),
              OptionsFor(dir.File("s.db")));
  // Actions of the same time come out by profile id: noted, plain, vip.
  CHECK(Templates(out.actions) ==
        std::vector<std::string>{"note_ack", "welcome", "vip_welcome"});
}

TEST_CASE("aggregates and segments are kept per profile, exactly",
          "[runtime][engine]") {
  Shop shop = MakeShop();
  TempDir dir;
  std::string state = dir.File("s.db");
  auto out = RunText(
      shop.program,
      Lines({Order("p1", "o1", kT0, "0.1"),
             Track("Cart Updated", "p1", "c1", kT0, R"({"value":"0.1"})"),
             Track("Cart Updated", "p1", "c2", kT0, R"({"value":0.2})")}),
      OptionsFor(state));
  REQUIRE(out.result.status.ok());
  CHECK(QueryText(state, "SELECT segments FROM profiles WHERE id = 'p1'") ==
        R"({"repeat_buyer":false})");

  RunText(shop.program, Lines({Order("p1", "o2", kT0, "0.2")}),
          OptionsFor(state));
  CHECK(QueryText(state, "SELECT aggregates FROM profiles WHERE id = 'p1'") ==
        R"j({"count(OrderPlaced)":2,)j"
        R"j("sum(OrderPlaced.total)":{"amount":"0.3","currency":"EUR"},)j"
        R"j("sum(CartUpdated.value)":"0.3"})j");
  CHECK(QueryText(state, "SELECT segments FROM profiles WHERE id = 'p1'") ==
        R"({"repeat_buyer":true})");
}

TEST_CASE("a money sum over two currencies is mixed, across restarts",
          "[runtime][engine]") {
  Shop shop = MakeShop();
  TempDir dir;
  std::string state = dir.File("s.db");
  RunText(
      shop.program,
      Lines({Order("p1", "o1", kT0, "-5.5"), Order("p1", "o2", kT0, "10"),
             Order("p1", "o3", kT0, "1", "USD"), Order("p1", "o4", kT0, "1")}),
      OptionsFor(state));
  CHECK(QueryText(state,
                  "SELECT json_extract(aggregates, "
                  "'$.\"sum(OrderPlaced.total)\"') FROM profiles") ==
        R"({"amount":"6.5","currency":"mixed"})");

  // Reloaded and added to, it stays mixed.
  RunText(shop.program, Lines({Order("p1", "o5", kT0, "1")}),
          OptionsFor(state));
  CHECK(QueryText(state,
                  "SELECT json_extract(aggregates, "
                  "'$.\"sum(OrderPlaced.total)\"') FROM profiles") ==
        R"({"amount":"7.5","currency":"mixed"})");
}

TEST_CASE("identify merges traits key by key", "[runtime][engine]") {
  Shop shop = MakeShop();
  TempDir dir;
  std::string state = dir.File("s.db");
  RunText(
      shop.program,
      Lines({Identify("p1", "i1", kT0, R"({"email":"a@example.com","age":40})"),
             Identify("p1", "i2", kT0, R"({"vip":true,"age":null})")}),
      OptionsFor(state));
  CHECK(QueryText(state, "SELECT attrs FROM profiles WHERE id = 'p1'") ==
        R"({"email":"a@example.com","vip":true,"country":"UK","age":null})");
}

TEST_CASE("a duplicate message id changes nothing", "[runtime][engine]") {
  Shop shop = MakeShop();
  TempDir dir;
  std::string state = dir.File("s.db");
  auto out = RunText(shop.program,
                     Lines({Order("p1", "o1", kT0, "150"),
                            Order("p1", "o1", "2011-01-09T10:00:00Z", "150")}),
                     OptionsFor(state));
  CHECK(out.actions.size() == 1);
  CHECK(out.result.summary.duplicates == 1);
  CHECK(out.result.summary.events_applied == 1);
  // The duplicate did not move the clock, so the review is still pending.
  CHECK(out.result.summary.instances_waiting == 1);
  CHECK(*out.result.summary.clock == 1293962400);
  CHECK(QueryText(state,
                  "SELECT json_extract(aggregates, "
                  "'$.\"count(OrderPlaced)\"') FROM profiles") == "1");
}

TEST_CASE("until moves the clock and fires what falls due",
          "[runtime][engine]") {
  Shop shop = MakeShop();
  TempDir dir;
  engine::RunOptions options = OptionsFor(dir.File("s.db"));
  options.until = 1293962400 + 86400;
  auto out =
      RunText(shop.program, Lines({Order("p1", "o1", kT0, "150")}), options);
  CHECK(Templates(out.actions) ==
        std::vector<std::string>{"thank_you", "review_request"});
  CHECK(*out.result.summary.clock == 1293962400 + 86400);
}

TEST_CASE("receivedAt drives the clock", "[runtime][engine]") {
  Shop shop = MakeShop();
  TempDir dir;
  auto out =
      RunText(shop.program,
              Lines({Track("Signed Up", "p1", "s1", kT0),
                     R"({"type":"identify","userId":"p2","messageId":"i1",)"
                     R"("timestamp":"2011-01-02T10:00:00Z",)"
                     R"("receivedAt":"2011-01-02T11:00:00Z"})"}),
              OptionsFor(dir.File("s.db")));
  CHECK(out.actions.size() == 1);
}

TEST_CASE("an undeclared event still moves the clock", "[runtime][engine]") {
  Shop shop = MakeShop();
  TempDir dir;
  auto out =
      RunText(shop.program,
              Lines({Track("Signed Up", "p1", "s1", kT0),
                     Track("Page Viewed", "p9", "v1", "2011-01-02T11:00:00Z")}),
              OptionsFor(dir.File("s.db")));
  CHECK(out.result.summary.ignored == 1);
  CHECK(out.actions.size() == 1);
}

TEST_CASE("a late event updates aggregates but fires nothing in the past",
          "[runtime][engine]") {
  Shop shop = MakeShop();
  TempDir dir;
  auto out = RunText(shop.program,
                     Lines({Identify("x", "i1", "2011-01-05T00:00:00Z", "{}"),
                            Order("p1", "o1", kT0, "150")}),
                     OptionsFor(dir.File("s.db")));
  // The order is three days late: it is handled at the clock, and its
  // wait runs from there.
  REQUIRE(out.actions.size() == 1);
  CHECK(Field(out.actions[0], "at") == "2011-01-05T00:00:00Z");
  CHECK(out.result.summary.instances_waiting == 1);
}

}  // namespace
}  // namespace parcours::testing
