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

}  // namespace
}  // namespace parcours::testing
