// `parcours report loyalty` against figures worked by hand (the example
// of docs/loyalty.md), and the state file's loyalty tables: checked on
// load, and added to files of the previous schema.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "runtime/store/sqlite.h"
#include "runtime/store/store.h"
#include "tests/e2e/journey_test_support.h"
#include "tests/support/schema_downgrade.h"

namespace parcours {
namespace {

using testing::Scenario;
using testing::TrackLine;

const char kProgram[] =
    "enum Tier { Gold }\n"
    "event OrderPlaced \"Order Completed\" { order_id: int, total: money }\n"
    "event RewardRedeemed \"Reward Redeemed\" { points: int }\n"
    "program loyalty {\n"
    "  earn 1 point per 1 EUR of OrderPlaced.total\n"
    "  burn on RewardRedeemed.points\n"
    "  expire 365d after earning\n"
    "  tier Gold at 1000 qualifying points within 365d\n"
    "  keep tier 365d\n"
    "  value 0.005 EUR per point\n"
    "  breakage 18%\n}\n";

// Member A earns 1,000 points on day 0 and redeems 400 on day 100; member
// B's 600 points, earned on day -155, expire on day 210. Day 0 is
// 2025-01-01; an identify of another profile keeps the clock moving.
std::string WorkedExample() {
  return TrackLine("Order Completed", "b", "m2", "2024-07-30T12:00:00Z",
                   R"({"order_id":2,"total":600,"currency":"EUR"})") +
         testing::IdentifyLine("x", "i1", "2024-10-23T12:00:00Z", "{}") +
         TrackLine("Order Completed", "a", "m1", "2025-01-01T12:00:00Z",
                   R"({"order_id":1,"total":1000,"currency":"EUR"})") +
         testing::IdentifyLine("x", "i2", "2025-02-20T12:00:00Z", "{}") +
         TrackLine("Reward Redeemed", "a", "m3", "2025-04-11T12:00:00Z",
                   R"({"points":400})");
}

// Runs `events`, then moves the clock on to each of `untils` in turn (a
// run moves it at most 90 days), and returns every line.
std::string RunThrough(Scenario& scenario, const std::string& events,
                       const std::vector<std::string>& untils) {
  std::string out = scenario.Run(events, untils.front());
  for (size_t i = 1; i < untils.size(); ++i) out += scenario.Run("", untils[i]);
  return out;
}

testing::ProcessResult Report(const Scenario& scenario,
                              std::vector<std::string> options) {
  std::vector<std::string> args = {"report", "loyalty", "--state",
                                   scenario.State()};
  args.insert(args.end(), options.begin(), options.end());
  return testing::RunParcours(args, testing::ScratchDir("loyalty-report"));
}

TEST_CASE("the liability of a period, worked by hand, as CSV",
          "[e2e][loyalty][report]") {
  Scenario scenario("loyalty-report-csv", kProgram);
  RunThrough(
      scenario, WorkedExample(),
      {"2025-07-10T00:00:00Z", "2025-10-08T00:00:00Z", "2025-10-29T00:00:00Z"});
  // Day 200 is 2025-07-20, day 300 2025-10-28.
  auto result = Report(scenario, {"--as-of", "2025-10-28", "--from",
                                  "2025-07-20", "--format", "csv"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  // Deferred 1,600 x 0.005 = 8.00; recognised 8 x 400 / (400 + 600 x
  // 0.82) = 3.587 at the end and 8 x 400 / (400 + 1,200 x 0.82) = 2.312 at
  // the start, so 1.275 in the period; face value 600 x 0.005 = 3.00.
  CHECK(result.out ==
        "figure,value\n"
        "points issued to date,1600\n"
        "points redeemed to date,400\n"
        "points expired to date,600\n"
        "points outstanding,600\n"
        "points owed by members,0\n"
        "points issued in period,0\n"
        "points redeemed in period,0\n"
        "points expired in period,600\n"
        "points outstanding aged 0-90 days,0\n"
        "points outstanding aged 91-180 days,0\n"
        "points outstanding aged 181-365 days,600\n"
        "points outstanding aged 366-730 days,0\n"
        "points outstanding aged over 730 days,0\n"
        "points outstanding in tier (none),0\n"
        "points outstanding in tier Gold,600\n"
        "face value of outstanding points (EUR),3.00\n"
        "expected breakage (EUR),0.54\n"
        "revenue deferred to date (EUR),8.00\n"
        "revenue recognised to date (EUR),3.59\n"
        "contract liability (EUR),4.41\n"
        "revenue recognised in period (EUR),1.28\n"
        "bonus points issued to date,0\n"
        "bonus points redeemed to date,0\n"
        "bonus points expired to date,0\n"
        "bonus points outstanding,0\n"
        "bonus points provision (EUR),0.00\n"
        "bonus points charged in period (EUR),0.00\n"
        "bonus points redeemed in period,0\n"
        "bonus points provision at start (EUR),0.00\n"
        "bonus points used in period (EUR),0.00\n");

  // A bound written as an exact time means that instant, included like a
  // day's first second: the same period, the same figures.
  auto exact = Report(scenario, {"--as-of", "2025-10-28T23:59:59Z", "--from",
                                 "2025-07-20T00:00:00Z", "--format", "csv"});
  CHECK(exact.out == result.out);
  auto table = Report(
      scenario, {"--as-of", "2025-10-28", "--from", "2025-07-20T00:00:00Z"});
  CHECK_THAT(table.out, Catch::Contains("period from 2025-07-20T00:00:00Z,"));
}

// Money was always rounded to cents: 2.40 JPY of breakage, which no ledger
// in yen can book, and KWD figures cut to two of their three decimals.
TEST_CASE("the liability is written to the currency's minor unit",
          "[e2e][loyalty][report]") {
  struct Case {
    const char* currency;
    const char* value;
    const char* amount;
    const char* face_value;
    const char* breakage;
  };
  // 1,234 points issued, none redeemed: face value and deferred revenue
  // are 1,234 x the value per point, breakage 20% of it.
  for (const Case& c : {Case{"JPY", "1", "1234", "1234", "247"},
                        Case{"KWD", "0.0015", "1234", "1.851", "0.370"},
                        Case{"EUR", "0.0015", "1234", "1.85", "0.37"}}) {
    INFO(c.currency);
    Scenario scenario(
        std::string("loyalty-report-minor-") + c.currency,
        std::string("event OrderPlaced \"Order Completed\" { order_id: "
                    "int, total: money }\n"
                    "program loyalty {\n"
                    "  earn 1 point per 1 ") +
            c.currency +
            " of OrderPlaced.total\n"
            "  value " +
            c.value + " " + c.currency +
            " per point\n"
            "  breakage 20%\n}\n");
    scenario.Run(TrackLine("Order Completed", "a", "m1", "2025-01-01T12:00:00Z",
                           std::string(R"({"order_id":1,"total":)") + c.amount +
                               R"(,"currency":")" + c.currency + R"("})"),
                 "2025-01-31T23:59:59Z");
    auto csv = Report(scenario, {"--as-of", "2025-01-31", "--format", "csv"});
    INFO(csv.err);
    REQUIRE(csv.exit_code == 0);
    std::string unit = std::string(" (") + c.currency + "),";
    CHECK_THAT(csv.out, Catch::Contains("face value of outstanding points" +
                                        unit + c.face_value + "\n"));
    CHECK_THAT(csv.out,
               Catch::Contains("expected breakage" + unit + c.breakage + "\n"));
    CHECK_THAT(csv.out, Catch::Contains("revenue deferred to date" + unit +
                                        c.face_value + "\n"));

    auto json = Report(scenario, {"--as-of", "2025-01-31", "--format", "json"});
    REQUIRE(json.exit_code == 0);
    CHECK(nlohmann::json::parse(json.out)["expected_breakage"] == c.breakage);
  }
}

// With no `value` rule the program has no currency, and the money rows of
// the CSV used to end in an empty unit: `contract liability (),0.00`.
TEST_CASE("the CSV of a program with no value per point names no currency",
          "[e2e][loyalty][report]") {
  Scenario scenario("loyalty-report-no-value",
                    "event OrderPlaced \"Order Completed\" { order_id: int, "
                    "total: money }\n"
                    "program loyalty {\n"
                    "  earn 1 point per 1 EUR of OrderPlaced.total\n}\n");
  scenario.Run(TrackLine("Order Completed", "a", "m1", "2025-01-01T12:00:00Z",
                         R"({"order_id":1,"total":250,"currency":"EUR"})"),
               "2025-01-02T00:00:00Z");

  auto result = Report(scenario, {"--as-of", "2025-01-02", "--format", "csv"});

  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("points outstanding,250\n"));
  CHECK_THAT(result.out,
             Catch::EndsWith("face value of outstanding points,0.00\n"
                             "expected breakage,0.00\n"
                             "revenue deferred to date,0.00\n"
                             "revenue recognised to date,0.00\n"
                             "contract liability,0.00\n"
                             "revenue recognised in period,0.00\n"
                             "bonus points issued to date,0\n"
                             "bonus points redeemed to date,0\n"
                             "bonus points expired to date,0\n"
                             "bonus points outstanding,0\n"
                             "bonus points provision,0.00\n"
                             "bonus points charged in period,0.00\n"
                             "bonus points redeemed in period,0\n"
                             "bonus points provision at start,0.00\n"
                             "bonus points used in period,0.00\n"));
}

TEST_CASE("the loyalty report as JSON and as a table, the quarter by default",
          "[e2e][loyalty][report]") {
  Scenario scenario("loyalty-report-json", kProgram);
  RunThrough(
      scenario, WorkedExample(),
      {"2025-07-10T00:00:00Z", "2025-10-08T00:00:00Z", "2025-10-29T00:00:00Z"});
  auto json = Report(scenario, {"--as-of", "2025-09-30", "--format", "json",
                                "--breakage", "50%"});
  INFO(json.err);
  REQUIRE(json.exit_code == 0);
  auto report = nlohmann::json::parse(json.out);
  // The third quarter of 2025, with the breakage revised for this
  // report: recognised 8 x 400 / (400 + 600 x 0.5) = 4.571 by September
  // 30. June 30 is read at the estimate of its close, the program's 18%:
  // 8 x 400 / (400 + 1,200 x 0.82) = 2.312, so the quarter shows the
  // revision's catch-up as well as B's expiry.
  CHECK(report["period_from"] == "2025-07-01T00:00:00Z");
  CHECK(report["as_of"] == "2025-09-30T23:59:59Z");
  CHECK(report["breakage"] == "50%");
  CHECK(report["breakage_at_start"] == "18%");
  CHECK(report["at_end"]["outstanding"] == 600);
  CHECK(report["at_start"]["outstanding"] == 1200);
  CHECK(report["revenue_recognised_to_date"] == "4.57");
  CHECK(report["revenue_recognised_in_period"] == "2.26");

  // A close that had revised it to 50% already: 8 x 400 / (400 + 1,200 x
  // 0.5) = 3.20 by June 30, and only B's expiry in the quarter.
  auto again =
      Report(scenario, {"--as-of", "2025-09-30", "--format", "json",
                        "--breakage", "50%", "--opening-breakage", "50%"});
  REQUIRE(again.exit_code == 0);
  auto revised = nlohmann::json::parse(again.out);
  CHECK(revised["breakage_at_start"] == "50%");
  CHECK(revised["revenue_recognised_in_period"] == "1.37");
  auto table_revised =
      Report(scenario, {"--as-of", "2025-09-30", "--breakage", "50%"});
  CHECK_THAT(table_revised.out,
             Catch::Contains("breakage 50% (18% at the start of the period)"));
  auto bad_opening =
      Report(scenario, {"--as-of", "2025-09-30", "--opening-breakage", "0.5"});
  CHECK(bad_opening.exit_code == 2);
  CHECK_THAT(bad_opening.err,
             Catch::Contains("`--opening-breakage` takes a percentage"));
  CHECK(report["expected_breakage"] == "1.50");
  nlohmann::json by_tier = {{"(none)", 0}, {"Gold", 600}};
  CHECK(report["outstanding_by_tier"] == by_tier);

  // Before A's first order, only B held points, in no tier.
  auto before = Report(scenario, {"--as-of", "2024-12-31", "--format", "json"});
  REQUIRE(before.exit_code == 0);
  nlohmann::json no_tier = {{"(none)", 600}};
  CHECK(nlohmann::json::parse(before.out)["outstanding_by_tier"] == no_tier);

  auto table = Report(scenario, {"--as-of", "2025-09-30"});
  REQUIRE(table.exit_code == 0);
  CHECK(table.out.find("contract liability                4.41 EUR") !=
        std::string::npos);
  CHECK(table.out.find("period from 2025-07-01T00:00:00Z") !=
        std::string::npos);

  auto bad = Report(scenario, {"--as-of", "yesterday"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("`--as-of` takes a date") != std::string::npos);

  // A breakage without its sign is refused rather than guessed: 0.18
  // could be 18% or 0.18%.
  for (const char* breakage : {"0.18", "18", "%", "101%"}) {
    auto unsigned_rate =
        Report(scenario, {"--as-of", "2025-09-30", "--breakage", breakage});
    INFO(breakage);
    CHECK(unsigned_rate.exit_code == 2);
    CHECK_THAT(unsigned_rate.err,
               Catch::Contains("`--breakage` takes a percentage"));
  }
}

TEST_CASE("a state file whose ledger was changed is refused",
          "[e2e][loyalty]") {
  Scenario scenario("loyalty-tampered", kProgram);
  scenario.Run(WorkedExample());
  {
    auto db = store::Database::Open(scenario.State());
    REQUIRE(db.ok());
    REQUIRE(db->Exec("UPDATE loyalty_ledger SET points = 5000 WHERE "
                     "profile = 'a' AND seq = 1")
                .ok());
  }
  auto scratch = testing::ScratchDir("loyalty-tampered-run");
  testing::WriteText(scratch / "p.journey", kProgram);
  testing::WriteText(scratch / "e.jsonl", "");
  auto run = testing::RunParcours(
      {"run", (scratch / "p.journey").string(), "--events",
       (scratch / "e.jsonl").string(), "--state", scenario.State()},
      scratch);
  CHECK(run.exit_code != 0);
  CHECK(run.err.find("profile `a`, loyalty program `loyalty`: the points "
                     "ledger disagrees with the saved balance") !=
        std::string::npos);
  auto report = Report(scenario, {"--as-of", "2025-06-30"});
  CHECK(report.exit_code == 2);
  CHECK(report.err.find("profile `a`: the points ledger disagrees") !=
        std::string::npos);
}

TEST_CASE("the run's summary counts points and tier lines as actions",
          "[e2e][loyalty]") {
  auto scratch = testing::ScratchDir("loyalty-summary");
  testing::WriteText(scratch / "p.journey", kProgram);
  testing::WriteText(scratch / "e.jsonl", WorkedExample());
  auto run = testing::RunParcours(
      {"run", (scratch / "p.journey").string(), "--events",
       (scratch / "e.jsonl").string(), "--state", (scratch / "s.db").string(),
       "--out", (scratch / "out.jsonl").string()},
      scratch);
  REQUIRE(run.exit_code == 0);
  // Two earnings, A's Gold tier and A's redemption.
  CHECK(run.err.find("sent 4 actions") != std::string::npos);
  CHECK(testing::ReadText(scratch / "out.jsonl").find("\"kind\":\"tier\"") !=
        std::string::npos);
}

TEST_CASE("a report past the state's clock says the later events are missing",
          "[e2e][loyalty][report]") {
  Scenario scenario("loyalty-report-clock", kProgram);
  RunThrough(scenario, WorkedExample(), {"2025-07-10T00:00:00Z"});

  // The run stopped on 10 July: a report of the quarter to 30 September
  // would otherwise look complete while the orders since are missing.
  auto short_of_data = Report(scenario, {"--as-of", "2025-09-30"});
  REQUIRE(short_of_data.exit_code == 0);
  CHECK(short_of_data.err ==
        "note: the state's clock is at 2025-07-10T00:00:00Z, before the end "
        "of this report (2025-09-30T23:59:59Z): points earned, redeemed or "
        "refunded after 2025-07-10T00:00:00Z are not in these figures; run "
        "the period's events first (with `--until 2025-09-30T23:59:59Z` if "
        "none came after)\n");

  auto within = Report(scenario, {"--as-of", "2025-07-09"});
  REQUIRE(within.exit_code == 0);
  CHECK(within.err.empty());
  CHECK(within.out.find("outstanding") != std::string::npos);
}

TEST_CASE("a mistyped breakage is the only thing a loyalty report says",
          "[e2e][loyalty][report]") {
  Scenario scenario("loyalty-report-bad-option", kProgram);
  RunThrough(scenario, WorkedExample(), {"2025-07-10T00:00:00Z"});

  // The note about the state's clock came first, and the mistake that
  // stopped the report was its last line.
  auto mistyped =
      Report(scenario, {"--as-of", "2025-09-30", "--breakage", "18"});
  CHECK(mistyped.exit_code == 2);
  CHECK(mistyped.err ==
        "parcours: `--breakage` takes a percentage from 0% to 100%, such as "
        "18%, not `18`\n");
  CHECK(mistyped.out.empty());
}

// Points given for nothing (a review, a journey's award) deferred no
// revenue: they are counted apart, and provided for at their value net
// of breakage. Points of `earn ... on E, part of the sale` are a sale's.
TEST_CASE("bonus points are reported apart from the revenue",
          "[e2e][loyalty][report]") {
  Scenario scenario(
      "loyalty-report-bonus",
      "event OrderPlaced \"Order Completed\" { order_id: int, total: money }\n"
      "event ReviewPosted \"Review Posted\" { stars: int }\n"
      "event RewardRedeemed \"Reward Redeemed\" { points: int }\n"
      "program loyalty {\n"
      "  earn 1 point per 1 EUR of OrderPlaced.total\n"
      "  earn 10 points on OrderPlaced, part of the sale\n"
      "  earn 50 points on ReviewPosted\n"
      "  burn on RewardRedeemed.points\n"
      "  value 0.01 EUR per point\n"
      "  breakage 20%\n}\n"
      "journey thanks {\n"
      "  on ReviewPosted\n"
      "  award 40 points reason \"thanks for the review\"\n}\n");
  std::string events =
      TrackLine("Order Completed", "a", "m1", "2025-01-10T12:00:00Z",
                R"({"order_id":1,"total":90,"currency":"EUR"})") +
      TrackLine("Review Posted", "a", "m2", "2025-02-10T12:00:00Z",
                R"({"stars":5})") +
      TrackLine("Reward Redeemed", "a", "m3", "2025-04-10T12:00:00Z",
                R"({"points":150})");
  scenario.Run(events, "2025-04-11T00:00:00Z");
  CHECK(scenario.QueryInt("SELECT sum(bonus) FROM loyalty_lots") == 2);

  auto result = Report(scenario, {"--as-of", "2025-04-10", "--from",
                                  "2025-03-31", "--format", "csv"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  // Sale points: 90 + 10 = 100, 1.00 EUR deferred. Bonus: 50 + 40. The
  // redemption of 150 takes the lots in order of earning (none expire):
  // the order's 90 and 10, then 50 of the bonus points, leaving 40.
  // Everything of the sale is redeemed, so all 1.00 is recognised, all
  // in the period. Provision: 90 x 0.01 x 80% = 0.72 at the start, 40 x
  // 0.01 x 80% = 0.32 at the end; the redemption used 0.50 of it, so the
  // period is charged 0.32 - 0.72 + 0.50 = 0.10.
  CHECK_THAT(result.out, Catch::Contains("points issued to date,190\n"));
  CHECK_THAT(result.out,
             Catch::Contains("revenue deferred to date (EUR),1.00\n"
                             "revenue recognised to date (EUR),1.00\n"
                             "contract liability (EUR),0.00\n"
                             "revenue recognised in period (EUR),1.00\n"
                             "bonus points issued to date,90\n"
                             "bonus points redeemed to date,50\n"
                             "bonus points expired to date,0\n"
                             "bonus points outstanding,40\n"
                             "bonus points provision (EUR),0.32\n"
                             "bonus points charged in period (EUR),0.10\n"));

  auto table = Report(scenario, {"--as-of", "2025-04-10"});
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains("bonus points provision            "
                                        "0.32 EUR\n"));
  auto json = Report(scenario, {"--as-of", "2025-04-10", "--format", "json"});
  REQUIRE(json.exit_code == 0);
  auto report = nlohmann::json::parse(json.out);
  CHECK(report["bonus_at_end"]["outstanding"] == 40);
  CHECK(report["bonus_provision"] == "0.32");

  // A file of schema 12 read as it is (a report migrates nothing) has no
  // bonus column: its lots all count as a sale's, as they did then.
  {
    auto db = store::Database::Open(scenario.State());
    REQUIRE(db.ok());
    REQUIRE(db->Exec(testing::DowngradeTo(12)).ok());
  }
  auto old_file = Report(scenario, {"--as-of", "2025-04-10", "--from",
                                    "2025-03-31", "--format", "csv"});
  INFO(old_file.err);
  REQUIRE(old_file.exit_code == 0);
  CHECK_THAT(old_file.out,
             Catch::Contains("revenue deferred to date (EUR),1.90\n"));
  CHECK_THAT(old_file.out, Catch::Contains("bonus points issued to date,0\n"));
}

// A member spends an order's points, returns the order, and a welcome
// `award` a month later pays back the points owed. The award is a gift:
// it used to become sale points, showing 1.00 EUR of revenue in March
// that no customer paid, and no cost for the bonus points.
TEST_CASE("an award paying back points owed is a cost, not revenue",
          "[e2e][loyalty][report]") {
  Scenario scenario(
      "loyalty-report-award-repays",
      "event OrderPlaced \"Order Completed\" { order_id: int, total: money }\n"
      "event RewardRedeemed \"Reward Redeemed\" { points: int }\n"
      "event OrderRefunded \"Order Refunded\" { order_id: int }\n"
      "event SignedUp \"Signed Up\" {}\n"
      "program loyalty {\n"
      "  earn 1 point per 1 EUR of OrderPlaced.total\n"
      "  burn on RewardRedeemed.points\n"
      "  refund on OrderRefunded.order_id\n"
      "  value 0.01 EUR per point\n"
      "  breakage 20%\n}\n"
      "journey welcome {\n"
      "  on SignedUp\n"
      "  reentry never\n"
      "  wait 7d\n"
      "  award 100 points reason \"welcome\"\n}\n");
  std::string events =
      TrackLine("Order Completed", "a", "m1", "2025-01-10T12:00:00Z",
                R"({"order_id":1,"total":100,"currency":"EUR"})") +
      TrackLine("Reward Redeemed", "a", "m2", "2025-01-20T12:00:00Z",
                R"({"points":100})") +
      TrackLine("Order Refunded", "a", "m3", "2025-02-10T12:00:00Z",
                R"({"order_id":1})") +
      TrackLine("Signed Up", "a", "m4", "2025-03-01T12:00:00Z", "{}");
  scenario.Run(events, "2025-03-31T23:59:59Z");

  auto month = [&](const char* from, const char* as_of) {
    auto result =
        Report(scenario, {"--from", from, "--as-of", as_of, "--format", "csv"});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    return result.out;
  };
  // January: the order's 1.00 deferred and recognised by its redemption.
  CHECK_THAT(month("2025-01-01", "2025-01-31"),
             Catch::Contains("revenue recognised in period (EUR),1.00\n"));
  // February: the refund undoes the sale; 100 points owed.
  std::string february = month("2025-02-01", "2025-02-28");
  CHECK_THAT(february, Catch::Contains("points owed by members,100\n"));
  CHECK_THAT(february,
             Catch::Contains("revenue recognised in period (EUR),-1.00\n"));
  // March: the award pays the debt. No revenue; the bonus points are
  // issued and used, and their value is the period's charge.
  std::string march = month("2025-03-01", "2025-03-31");
  CHECK_THAT(march, Catch::Contains("points owed by members,0\n"));
  CHECK_THAT(march,
             Catch::Contains("revenue deferred to date (EUR),0.00\n"
                             "revenue recognised to date (EUR),0.00\n"
                             "contract liability (EUR),0.00\n"
                             "revenue recognised in period (EUR),0.00\n"
                             "bonus points issued to date,100\n"
                             "bonus points redeemed to date,100\n"
                             "bonus points expired to date,0\n"
                             "bonus points outstanding,0\n"
                             "bonus points provision (EUR),0.00\n"
                             "bonus points charged in period (EUR),1.00\n"));
  // The table shows the bonus points, though none are left.
  auto table =
      Report(scenario, {"--from", "2025-03-01", "--as-of", "2025-03-31"});
  CHECK_THAT(table.out, Catch::Contains("bonus points charged in period    "
                                        "1.00 EUR\n"));
}

// The fixed points of a sale (`earn 10 points on OrderPlaced, part of
// the sale`) deferred revenue with it: its refund takes them back, so
// none of the sale's revenue stays deferred. They used to stay, 0.10 EUR
// deferred for a sale that was undone.
TEST_CASE("a refunded sale's fixed points no longer defer revenue",
          "[e2e][loyalty][report]") {
  Scenario scenario(
      "loyalty-report-refund-fixed",
      "event OrderPlaced \"Order Completed\" { order_id: int, total: money }\n"
      "event ReviewPosted \"Review Posted\" { stars: int }\n"
      "event RewardRedeemed \"Reward Redeemed\" { points: int }\n"
      "event OrderRefunded \"Order Refunded\" { order_id: int }\n"
      "program loyalty {\n"
      "  earn 1 point per 1 EUR of OrderPlaced.total\n"
      "  earn 10 points on OrderPlaced, part of the sale\n"
      "  earn 50 points on ReviewPosted\n"
      "  burn on RewardRedeemed.points\n"
      "  refund on OrderRefunded.order_id\n"
      "  value 0.01 EUR per point\n"
      "  breakage 20%\n}\n");
  std::string events =
      TrackLine("Order Completed", "a", "m1", "2025-01-10T12:00:00Z",
                R"({"order_id":1,"total":100,"currency":"EUR"})") +
      TrackLine("Review Posted", "a", "m2", "2025-01-20T12:00:00Z",
                R"({"stars":5})") +
      TrackLine("Reward Redeemed", "a", "m3", "2025-02-01T12:00:00Z",
                R"({"points":30})") +
      TrackLine("Order Refunded", "a", "m4", "2025-03-01T12:00:00Z",
                R"({"order_id":1})");
  scenario.Run(events, "2025-03-31T23:59:59Z");

  auto result = Report(scenario, {"--from", "2025-03-01", "--as-of",
                                  "2025-03-31", "--format", "csv"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  // The refund takes the order's 70 and 10 left, and 30 of the review's
  // bonus points for the 30 the order's points had redeemed: 160 issued
  // less 110 taken back, all 50 of them bonus points. At the start of
  // March, 110 sale points had deferred 1.10 EUR and 30 were redeemed:
  // 1.10 x 30 / (30 + 80 x 80%) = 0.35 recognised, reversed in March.
  // Provision: 50 x 0.01 x 80% = 0.40 at the start, 0.16 for the 20
  // left; the 30 used are 0.30, so March is charged 0.06.
  CHECK_THAT(result.out, Catch::Contains("points issued to date,50\n"
                                         "points redeemed to date,30\n"
                                         "points expired to date,0\n"
                                         "points outstanding,20\n"
                                         "points owed by members,0\n"
                                         "points issued in period,-110\n"));
  CHECK_THAT(result.out,
             Catch::Contains("revenue deferred to date (EUR),0.00\n"
                             "revenue recognised to date (EUR),0.00\n"
                             "contract liability (EUR),0.00\n"
                             "revenue recognised in period (EUR),-0.35\n"
                             "bonus points issued to date,50\n"
                             "bonus points redeemed to date,30\n"
                             "bonus points expired to date,0\n"
                             "bonus points outstanding,20\n"
                             "bonus points provision (EUR),0.16\n"
                             "bonus points charged in period (EUR),0.06\n"));
}

// `earn N points on E` multiplied N by a million in 64 bits: from 9.2
// trillion points it overflowed and the event earned nothing, silently.
TEST_CASE("an earning of trillions of points on an event is earned",
          "[e2e][loyalty]") {
  Scenario scenario("loyalty-earn-on-trillions",
                    "event ReviewPosted \"Review Posted\" {}\n"
                    "program loyalty {\n"
                    "  earn 10000000000000 points on ReviewPosted\n}\n");
  scenario.Run(TrackLine("Review Posted", "a", "m1", "2025-01-10T12:00:00Z"),
               "2025-01-11T00:00:00Z");
  CHECK(scenario.QueryInt("SELECT held FROM loyalty_members") ==
        10'000'000'000'000);
}

TEST_CASE("a state file of schema 6 gains the loyalty tables",
          "[e2e][loyalty]") {
  Scenario scenario("loyalty-migration", kProgram);
  {
    auto store = store::Store::Open(scenario.State());
    REQUIRE(store.ok());
  }
  {
    auto db = store::Database::Open(scenario.State());
    REQUIRE(db.ok());
    REQUIRE(db->Exec(testing::DowngradeTo(6)).ok());
  }
  CHECK(scenario.QueryInt("PRAGMA user_version") == 6);
  scenario.Run(WorkedExample());
  CHECK(scenario.QueryInt("PRAGMA user_version") == store::kSchemaVersion);
  CHECK(scenario.QueryInt("SELECT sum(points) FROM loyalty_ledger WHERE "
                          "profile = 'a'") == 600);
  CHECK(scenario.QueryText("SELECT tiers FROM loyalty_programs") ==
        "[\"Gold\"]");
}

}  // namespace
}  // namespace parcours
