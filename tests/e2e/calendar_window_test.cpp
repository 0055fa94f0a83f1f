// Windows in calendar units (`within 1 month`, `between 2 months and 1
// month ago`), `wait for ... within 1 month`, `reentry after 1 month` and
// `goal ... within 1 month` count on the recipient's wall clock: month
// ends, leap days and daylight saving, at exact instants, in both engines.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/support/batch_runs.h"

namespace parcours {
namespace {

const char kProgram[] =
    "profile { zone: tz = \"Europe/Paris\" }\n"
    "event OrderPlaced \"Order Completed\" { total: money }\n"
    "segment active = count(OrderPlaced within 1 month) > 0\n"
    "segment second_month =\n"
    "  count(OrderPlaced between 2 months and 1 month ago) > 0\n"
    "journey lapsed {\n  on left(active)\n  send email \"lapsed\"\n}\n"
    "journey second {\n  on entered(second_month)\n"
    "  send email \"second_month\"\n}\n";

std::string Order(const std::string& user, const std::string& id,
                  const std::string& time) {
  return R"({"type":"track","event":"Order Completed","userId":")" + user +
         R"(","messageId":")" + id + R"(","timestamp":")" + time +
         R"(","properties":{"total":10,"currency":"EUR"}})" + "\n";
}

TEST_CASE("a month of history ends on the recipient's calendar") {
  std::string first =
      // UTC, 31 January of a leap year: a month later is 29 February.
      R"({"type":"identify","userId":"a3","messageId":"i3",)"
      R"("timestamp":"2024-01-31T09:00:00Z","traits":{"zone":"UTC"}})"
      "\n" +
      Order("a3", "o3", "2024-01-31T10:00:00Z");
  std::string second =
      // Paris, 31 January at 11:00: 28 February at 11:00.
      Order("a1", "o1", "2025-01-31T10:00:00Z") +
      // Paris, 15 March at 13:00 CET: 15 April at 13:00 CEST, 31 days
      // less one hour later.
      Order("a2", "o2", "2025-03-15T12:00:00Z");
  const std::vector<std::string> expected = {
      "2024-02-29T10:00:00Z a3 lapsed", "2024-02-29T10:00:00Z a3 second_month",
      "2025-02-28T10:00:00Z a1 lapsed", "2025-02-28T10:00:00Z a1 second_month",
      "2025-04-15T11:00:00Z a2 lapsed", "2025-04-15T11:00:00Z a2 second_month"};
  CHECK(testing::RunBatchesInBothEngines("calendar-window", kProgram,
                                         {first + second},
                                         "2025-05-01T00:00:00Z") == expected);
  // Stopped between the orders: the windows of the loaded profile move at
  // the same instants.
  CHECK(testing::RunBatchesInBothEngines("calendar-window-split", kProgram,
                                         {first, second},
                                         "2025-05-01T00:00:00Z") == expected);
}

const char kFollowUp[] =
    "profile { zone: tz = \"Europe/Paris\" }\n"
    "event CartUpdated \"Cart Updated\" { total: money }\n"
    "event OrderPlaced \"Order Completed\" { total: money }\n"
    "journey follow_up {\n  on CartUpdated\n"
    "  wait for OrderPlaced within 1 month {\n"
    "    send email \"bought\"\n  } else {\n"
    "    send email \"no_order\"\n  }\n}\n";

std::string Cart(const std::string& user, const std::string& id,
                 const std::string& time) {
  return R"({"type":"track","event":"Cart Updated","userId":")" + user +
         R"(","messageId":")" + id + R"(","timestamp":")" + time +
         R"(","properties":{"total":10,"currency":"EUR"}})" + "\n";
}

TEST_CASE("`wait for ... within 1 month` times out on the calendar") {
  std::string events =
      // 31 January at 11:00 in Paris: the month ends on 28 February.
      Cart("b1", "c1", "2025-01-31T10:00:00Z") +
      // Bought in time: the first block, at the order.
      Cart("b3", "c3", "2025-03-01T10:00:00Z") +
      // 13:00 CET on 15 March: 13:00 CEST on 15 April.
      Cart("b2", "c2", "2025-03-15T12:00:00Z") +
      Order("b3", "o3", "2025-03-20T10:00:00Z");
  const std::vector<std::string> expected = {
      "2025-02-28T10:00:00Z b1 no_order", "2025-03-20T10:00:00Z b3 bought",
      "2025-04-15T11:00:00Z b2 no_order"};
  CHECK(testing::RunBatchesInBothEngines("calendar-wait-for", kFollowUp,
                                         {events},
                                         "2025-05-01T00:00:00Z") == expected);
}

const char kMonthly[] =
    "profile { zone: tz = \"Europe/Paris\" }\n"
    "event CartUpdated \"Cart Updated\" { total: money }\n"
    "event OrderPlaced \"Order Completed\" { total: money }\n"
    "journey monthly {\n  on CartUpdated\n  reentry after 1 month\n"
    "  goal OrderPlaced within 1 month\n"
    "  send email \"cart\"\n  wait 60d\n  send email \"later\"\n}\n";

TEST_CASE("`reentry after` and `goal within` take calendar months") {
  // Entered at 11:00 on 31 January in Paris: a month is up at 11:00 on
  // 28 February (10:00Z), 28 days later.
  std::string events = Cart("d1", "c1", "2025-01-31T10:00:00Z") +
                       Cart("g1", "c2", "2025-01-31T10:00:00Z") +
                       Cart("g2", "c3", "2025-01-31T10:00:00Z") +
                       // Too soon to enter again.
                       Cart("d1", "c4", "2025-02-27T10:00:00Z") +
                       // Just in time, and the goal's last second.
                       Cart("d1", "c5", "2025-02-28T10:00:00Z") +
                       Order("g1", "o1", "2025-02-28T10:00:00Z") +
                       // One second too late for the goal.
                       Order("g2", "o2", "2025-02-28T10:00:01Z");
  const std::vector<std::string> expected = {
      "2025-01-31T10:00:00Z d1 cart",  "2025-01-31T10:00:00Z g1 cart",
      "2025-01-31T10:00:00Z g2 cart",  "2025-02-28T10:00:00Z d1 cart",
      "2025-04-01T10:00:00Z g2 later", "2025-04-29T10:00:00Z d1 later"};
  CHECK(testing::RunBatchesInBothEngines("calendar-rules", kMonthly, {events},
                                         "2025-05-01T00:00:00Z") == expected);
}

}  // namespace
}  // namespace parcours
