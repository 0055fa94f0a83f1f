// Event fields of type `list<T>`: checked item by item as they are read,
// counted by `.count`, handed to a message's payload as they came, kept
// across a restart, and the same with both engines.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/journey_test_support.h"

namespace parcours::testing {
namespace {

using Lines = std::vector<std::string>;

const char kProgram[] = R"(module lists

record Product {
  sku: string
  category: string?
  price: money?
}

event CartUpdated "Cart Updated" {
  total: money
  items: list<Product>
}

event Tagged "Tagged" {
  tags: list<string>?
}

event OrderPlaced "Order Completed" {
  total: money
}

event Wishlist "Wishlist Updated" {
  items: list<Product>
}

journey abandoned {
  on CartUpdated as cart where cart.items.count > 0
  exit on OrderPlaced
  wait 2h
  send email "cart" with { items: cart.items, lines: cart.items.count }
}

journey tagged {
  on Tagged as tagged where tagged.tags.count >= 2
  send push "tags" with { tags: tagged.tags }
}

journey wished {
  on Tagged as tagged where tagged.tags.count == 1
  wait for Wishlist as wish where wish.items.count > 0 within 1d {
    send email "wish" with { items: wish.items, n: wish.items.count }
  }
}
)";

std::string Cart(const std::string& user, const std::string& id,
                 const std::string& time, const std::string& items) {
  return TrackLine("Cart Updated", user, id, time,
                   R"({"total":30,"currency":"EUR","items":)" + items + "}");
}

// The payload of each action line, by profile, in order.
Lines Payloads(const std::string& out) {
  Lines payloads;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    auto action = nlohmann::ordered_json::parse(line);
    payloads.push_back(action["profile"].get<std::string>() + " " +
                       action["payload"].dump());
  }
  return payloads;
}

TEST_CASE("a list field is counted and handed to the payload as it came") {
  Scenario scenario("list-fields", kProgram);
  const std::string two_items =
      R"([{"sku":"mug","price":12.50,"currency":"EUR",)"
      R"("name":"Tasse bleue \u00e9"},)"
      R"({"sku":"tea","category":"food"}])";
  std::string events =
      Cart("p1", "c1", "2025-01-01T10:00:00Z", two_items) +
      Cart("p2", "c2", "2025-01-01T10:00:00Z", "[]") +
      TrackLine("Tagged", "p3", "t1", "2025-01-01T10:00:00Z",
                R"({"tags":["vip","eu"]})") +
      TrackLine("Tagged", "p4", "t2", "2025-01-01T10:00:00Z",
                R"({"tags":["vip"]})") +
      TrackLine("Tagged", "p5", "t3", "2025-01-01T10:00:00Z", "{}") +
      TrackLine("Wishlist Updated", "p4", "w1", "2025-01-01T10:30:00Z",
                R"({"items":[{"sku":"pen","price":2,"currency":"EUR"}]})");

  // Before the wait ends, the tags and the wish list go out (the list of
  // the event a `wait for` received); p1 waits with its cart.
  std::string first = scenario.Run(events, "2025-01-01T11:00:00Z");
  CHECK(Payloads(first) ==
        Lines{R"(p3 {"tags":["vip","eu"]})",
              R"(p4 {"items":[{"sku":"pen","price":2,"currency":"EUR"}],)"
              R"("n":1})"});
  CHECK(scenario.QueryInt("SELECT count(*) FROM instances") == 1);

  // A later run loads p1's cart from the state file: its list comes back
  // whole, counted again.
  std::string second = scenario.Run("", "2025-01-02T00:00:00Z");
  CHECK(Payloads(second) ==
        Lines{R"(p1 {"items":[{"sku":"mug","price":12.5,"currency":"EUR",)"
              R"("name":"Tasse bleue é"},{"sku":"tea","category":"food"}],)"
              R"("lines":2})"});
}

TEST_CASE("a list field that does not fit its type is a dead letter") {
  Scenario scenario("list-fields-bad", kProgram);
  std::string events =
      Cart("p1", "c1", "2025-01-01T10:00:00Z", R"({"sku":"mug"})") +
      Cart("p2", "c2", "2025-01-01T10:00:00Z",
           R"([{"sku":"mug"},{"category":"food"}])") +
      Cart("p3", "c3", "2025-01-01T10:00:00Z", R"([{"sku":7}])") +
      Cart("p4", "c4", "2025-01-01T10:00:00Z", R"(["mug"])") +
      Cart("p5", "c5", "2025-01-01T10:00:00Z",
           R"([{"sku":"mug","price":3,"currency":"EURO"}])") +
      TrackLine("Tagged", "p6", "t1", "2025-01-01T10:00:00Z",
                R"({"tags":["vip",null]})");
  scenario.Run(events, "2025-01-02T00:00:00Z");

  Lines reasons = ReadLines(scenario.State() + ".deadletter.jsonl");
  REQUIRE(reasons.size() == 6);
  const char* expected[] = {
      "field `items` of `Cart Updated` must be a list (a JSON array), got "
      "object",
      "field `items` of `Cart Updated` has item 2 that lacks `sku`",
      "field `items` of `Cart Updated` has item 1 that has `sku` that must "
      "be a string, got number",
      "field `items` of `Cart Updated` has item 1 that must be an object, "
      "got string",
      "field `items` of `Cart Updated` has item 1 that has a `currency` that "
      "is not a three-letter ISO 4217 code",
      "field `tags` of `Tagged` has item 2 that is null",
  };
  for (size_t i = 0; i < reasons.size(); ++i) {
    auto letter = nlohmann::json::parse(reasons[i]);
    CHECK(letter["reason"].get<std::string>() == expected[i]);
  }
  CHECK(scenario.QueryInt("SELECT count(*) FROM instances") == 0);
}

TEST_CASE("`parcours test` writes list literals into its events") {
  auto scratch = ScratchDir("list-fields-test-block");
  WriteText(scratch / "lists.journey", std::string(kProgram) + R"(
test "a cart with items is reminded, with its items" {
  given profile "p1"
  at 2025-01-01T10:00:00Z CartUpdated {
    total: 30 EUR,
    items: [{ sku: "mug", price: 12.5 EUR }, { sku: "tea" }]
  }
  expect send email "cart" to "p1" at 2025-01-01T12:00:00Z
}

test "an empty cart is not" {
  given profile "p2"
  at 2025-01-01T10:00:00Z CartUpdated { total: 0 EUR, items: [] }
  expect no send email "cart"
}
)");
  for (const char* engine : {"interp", "jit"}) {
    auto result = RunParcours(
        {"test", (scratch / "lists.journey").string(), "--engine", engine},
        scratch);
    INFO(result.out + result.err);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("2 passed, 0 failed"));
  }
}

TEST_CASE("the standard event dictionary runs") {
  auto scratch = ScratchDir("list-fields-std-events");
  WriteText(scratch / "shop.journey", R"(module shop
import std.events

journey big_cart {
  on CartUpdated as cart where cart.items.count >= 3
  exit on OrderPlaced
  wait 1h
  send email "big_cart" with { items: cart.items }
}
)");
  WriteText(scratch / "events.jsonl",
            TrackLine("Cart Updated", "p1", "c1", "2025-01-01T10:00:00Z",
                      R"({"total":9,"currency":"EUR","items":[)"
                      R"({"sku":"a"},{"sku":"b"},{"sku":"c"}]})"));
  auto result = RunParcours({"run", (scratch / "shop.journey").string(),
                             "--events", (scratch / "events.jsonl").string(),
                             "--state", (scratch / "s.db").string(), "--out",
                             "-", "--until", "2025-01-02T00:00:00Z"},
                            scratch);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(Payloads(result.out) ==
        Lines{R"(p1 {"items":[{"sku":"a"},{"sku":"b"},{"sku":"c"}]})"});
}

// `x in e.tags` looks `x` up in the list as it came: strings by their
// bytes once unescaped, ints by value; an absent list or value holds
// nothing, for `not in` too. Through a restart, with both engines.
TEST_CASE("`in` looks a value up in a list field of strings or ints") {
  Scenario scenario("list-fields-in", R"(module search

profile { wanted: string? }

event Viewed "Product Viewed" {
  tags: list<string>?
  sizes: list<int>
}

event Clicked "Clicked" { labels: list<string> }

journey sale {
  on Viewed as v where "sale" in v.tags
  send email "sale"
}

journey not_new {
  on Viewed as v where "new" not in v.tags
  send email "not_new"
}

journey sizes {
  on Viewed as v
  if 42 in v.sizes and not (7 in v.sizes) {
    send push "size42"
  }
  if profile.wanted in v.tags {
    send push "wanted"
  }
}

journey clicked {
  on Viewed as v where v.sizes.count == 0
  wait for Clicked as c where "été" in c.labels within 1d {
    send sms "summer"
  }
}
)");
  auto viewed = [](const std::string& user, const std::string& id,
                   const std::string& properties) {
    return TrackLine("Product Viewed", user, id, "2025-01-01T10:00:00Z",
                     properties);
  };
  std::string out = scenario.Run(
      viewed("p1", "v1", R"({"tags":["new","sale"],"sizes":[41,42.0]})") +
      viewed("p2", "v2", R"({"tags":["sal\u0065","x\"y"],"sizes":[7,42]})") +
      viewed("p3", "v3", R"({"sizes":[42]})") +
      IdentifyLine("p4", "i4", "2025-01-01T09:00:00Z", R"({"wanted":"x\"y"})") +
      viewed("p4", "v4", R"({"tags":["x\"y"],"sizes":[]})") +
      // `in` would never find a quoted 42: it is refused, not kept.
      viewed("p5", "v5", R"({"sizes":["42"]})"));
  // The second half after a restart: a received event's list.
  out += scenario.Run(TrackLine("Clicked", "p4", "c4", "2025-01-01T11:00:00Z",
                                R"({"labels":["\u00e9t\u00e9"]})"));

  std::vector<std::string> sends;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    auto action = nlohmann::json::parse(line);
    sends.push_back(action["profile"].get<std::string>() + " " +
                    action["template"].get<std::string>());
  }
  // p3 has no tags: neither `in` nor `not in` holds for it.
  CHECK(sends == Lines{"p1 sale", "p1 size42", "p2 sale", "p2 not_new",
                       "p3 size42", "p4 not_new", "p4 wanted", "p4 summer"});

  Lines letters = ReadLines(scenario.State() + ".deadletter.jsonl");
  REQUIRE(letters.size() == 1);
  CHECK(nlohmann::json::parse(letters[0])["reason"] ==
        "field `sizes` of `Product Viewed` has item 1 that must be an "
        "integer, got string");
}

TEST_CASE(
    "a profile's list attribute is filled by traits, read by `in` and "
    "`.count`, and kept across a restart") {
  Scenario scenario("list-attributes", R"(module tags

profile {
  interests: list<string>
  sizes: list<int>?
}

event OrderPlaced "Order Completed" { total: money }

segment vip = "vip" in profile.interests

journey thanks {
  on OrderPlaced
  if vip and profile.interests.count >= 2 {
    send email "vip_thanks" with { interests: profile.interests }
  } else if 42 in profile.sizes {
    send email "size_42"
  } else {
    send email "thanks" with { n: profile.interests.count }
  }
}

journey became_vip {
  on entered(vip)
  send push "welcome_vip"
}
)");
  auto order = [](const std::string& user, const std::string& id,
                  const std::string& time) {
    return TrackLine("Order Completed", user, id, time,
                     R"({"total":10,"currency":"EUR"})");
  };
  std::string first = scenario.Run(
      IdentifyLine("p1", "i1", "2025-01-01T09:00:00Z",
                   R"({"interests":["vip","tea"]})") +
      IdentifyLine("p2", "i2", "2025-01-01T09:00:00Z",
                   R"({"interests":["tea"],"sizes":[41,42]})") +
      // Traits merge key by key: p2's sizes stay when interests change.
      IdentifyLine("p2", "i3", "2025-01-01T09:30:00Z",
                   R"({"interests":["tea","mugs"]})") +
      order("p1", "o1", "2025-01-01T10:00:00Z") +
      order("p2", "o2", "2025-01-01T10:00:00Z") +
      // A profile no identify reached has the empty list, and no sizes.
      order("p3", "o3", "2025-01-01T10:00:00Z") +
      // Items of the wrong type make the line a dead letter; the
      // attribute keeps what it held.
      IdentifyLine("p1", "i4", "2025-01-01T11:00:00Z",
                   R"({"interests":["tea",7]})"));
  CHECK(Payloads(first) == Lines{R"(p1 {})",
                                 R"(p1 {"interests":["vip","tea"]})",
                                 R"(p2 {})", R"(p3 {"n":0})"});

  // A later run reads the lists back from the state file; an identify
  // that drops `vip` takes p1 out of the segment.
  std::string second = scenario.Run(
      order("p1", "o4", "2025-01-02T10:00:00Z") +
      order("p2", "o5", "2025-01-02T10:00:00Z") +
      IdentifyLine("p1", "i5", "2025-01-02T11:00:00Z", R"({"interests":[]})") +
      order("p1", "o6", "2025-01-02T12:00:00Z"));
  CHECK(Payloads(second) == Lines{R"(p1 {"interests":["vip","tea"]})",
                                  R"(p2 {})", R"(p1 {"n":0})"});
  CHECK(scenario.QueryText("SELECT attrs FROM profiles WHERE id = 'p2'") ==
        R"({"interests":"[\"tea\",\"mugs\"]","sizes":"[41,42]"})");
  CHECK(scenario.QueryInt("SELECT count(*) FROM profiles WHERE id = 'p1' "
                          "AND segments = '{\"vip\":false}'") == 1);

  Lines letters = ReadLines(scenario.State() + ".deadletter.jsonl");
  REQUIRE(letters.size() == 1);
  CHECK(nlohmann::json::parse(letters[0])["reason"] ==
        "trait `interests` has item 2 that must be a string, got number");
}

TEST_CASE("`parcours test` gives list attributes by `given` and `identify`") {
  auto scratch = ScratchDir("list-attributes-test-block");
  WriteText(scratch / "tags.journey", R"(module tags

profile { interests: list<string> }

event OrderPlaced "Order Completed" { total: money }

segment vip = "vip" in profile.interests

journey thanks {
  on OrderPlaced
  if vip {
    send email "vip_thanks" with { interests: profile.interests }
  }
}

test "an identify that says vip makes the next order a vip's" {
  given profile "p1"
  at 2025-03-01T10:00:00Z identify for "p1" { interests: ["vip", "tea"] }
  at 2025-03-01T11:00:00Z OrderPlaced { total: 10 EUR }
  expect send email "vip_thanks"
}

test "a profile given without vip is not thanked" {
  given profile "p1" { interests: ["tea"] }
  at 2025-03-01T11:00:00Z OrderPlaced { total: 10 EUR }
  expect no send email "vip_thanks"
}

test "a profile given with vip is: this one must fail" {
  given profile "p1" { interests: ["vip"] }
  at 2025-03-01T11:00:00Z OrderPlaced { total: 10 EUR }
  expect no send email "vip_thanks"
}
)");
  for (const char* engine : {"interp", "jit"}) {
    auto result = RunParcours(
        {"test", (scratch / "tags.journey").string(), "--engine", engine},
        scratch);
    INFO(result.out + result.err);
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.out,
               Catch::Contains("FAIL a profile given with vip is: this one "
                               "must fail"));
    CHECK_THAT(result.out, Catch::Contains("2 passed, 1 failed"));
  }
}

TEST_CASE("`set` stores a list field in a list attribute, text and length") {
  Scenario scenario("list-attributes-set", R"(module recent

profile {
  recent: list<string>
  wished: list<string>?
}

event Viewed "Product Viewed" { categories: list<string> }
event Wished "Wish Listed" { categories: list<string>? }
event OrderPlaced "Order Completed" { total: money }

segment shoes = "shoes" in profile.recent

journey remember {
  on Viewed as v
  set profile.recent = v.categories
  wait for Wished as w within 1d {
    set profile.wished = w.categories
  }
}

journey thanks {
  on OrderPlaced
  send email "thanks" with {
    recent: profile.recent,
    n: profile.recent.count,
    wished: profile.wished
  }
}

journey shoe_fan {
  on entered(shoes)
  send push "shoes"
}
)");
  auto track = [](const std::string& event, const std::string& id,
                  const std::string& time, const std::string& properties) {
    return TrackLine(event, "p1", id, time, properties);
  };
  std::string first =
      scenario.Run(track("Product Viewed", "v1", "2025-01-01T10:00:00Z",
                         R"({"categories":["shoes","socks"]})") +
                   track("Order Completed", "o1", "2025-01-01T11:00:00Z",
                         R"({"total":10,"currency":"EUR"})") +
                   track("Wish Listed", "w1", "2025-01-01T12:00:00Z",
                         R"({"categories":["hats"]})"));
  // After a restart: the stored lists are read back; a view without
  // shoes takes p1 out of the segment, and an optional list left out
  // makes the attribute absent.
  std::string second =
      scenario.Run(track("Order Completed", "o2", "2025-01-02T11:00:00Z",
                         R"({"total":10,"currency":"EUR"})") +
                   track("Product Viewed", "v2", "2025-01-02T12:00:00Z",
                         R"({"categories":[]})") +
                   track("Wish Listed", "w2", "2025-01-02T12:30:00Z", "{}") +
                   track("Order Completed", "o3", "2025-01-02T13:00:00Z",
                         R"({"total":10,"currency":"EUR"})"));

  CHECK(Payloads(first) ==
        Lines{R"(p1 {})",
              R"(p1 {"recent":["shoes","socks"],"n":2,"wished":null})"});
  CHECK(Payloads(second) ==
        Lines{R"(p1 {"recent":["shoes","socks"],"n":2,"wished":["hats"]})",
              R"(p1 {"recent":[],"n":0,"wished":null})"});
  CHECK(scenario.QueryText("SELECT segments FROM profiles") ==
        R"({"shoes":false})");
}

TEST_CASE(
    "`emit` hands a list on whole, to its line and to the journeys "
    "it starts") {
  Scenario scenario("list-fields-emit", R"(module relay

profile { interests: list<string> }

event Tagged "Tagged" { tags: list<string> }
event Relayed "Tags Relayed" { tags: list<string>, interests: list<string> }

journey relay {
  on Tagged as t
  emit Relayed { tags: t.tags, interests: profile.interests }
}

journey vip {
  on Relayed as r where "vip" in r.tags
  send email "vip" with { tags: r.tags, n: r.tags.count, i: r.interests }
}
)");
  std::string out =
      scenario.Run(IdentifyLine("p1", "i1", "2025-01-01T09:00:00Z",
                                R"({"interests":["tea"]})") +
                   TrackLine("Tagged", "p1", "t1", "2025-01-01T10:00:00Z",
                             R"({"tags":["vip","eu"]})") +
                   TrackLine("Tagged", "p2", "t2", "2025-01-01T10:00:00Z",
                             R"({"tags":["eu"]})"));

  Lines lines;
  std::istringstream stream(out);
  for (std::string line; std::getline(stream, line);) {
    auto action = nlohmann::ordered_json::parse(line);
    bool event = action["kind"] == "event";
    lines.push_back(action["profile"].get<std::string>() + " " +
                    action["kind"].get<std::string>() + " " +
                    action[event ? "properties" : "payload"].dump());
  }
  CHECK(lines == Lines{R"(p1 event {"tags":["vip","eu"],"interests":["tea"]})",
                       R"(p1 send {"tags":["vip","eu"],"n":2,"i":["tea"]})",
                       R"(p2 event {"tags":["eu"],"interests":[]})"});
}

}  // namespace
}  // namespace parcours::testing
