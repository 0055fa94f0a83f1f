// The liability of the loyalty example over the Complete Journey
// (examples/dunnhumby-complete-journey/campaign/loyalty.journey), as the
// independent SQL model tests/e2e/cj_loyalty_reference.sql computes it.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/events_sql.h"
#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

std::filesystem::path Example(const std::string& name) {
  return testing::SourceDir() / "examples/dunnhumby-complete-journey" / name;
}

// The model's rows "figure,value" over `events_path` for the period.
std::vector<std::string> ModelFigures(const std::string& events_path,
                                      const std::string& from_at,
                                      const std::string& as_of) {
  testing::EventsDb db(events_path);
  db.Execute("CREATE TABLE report_period AS SELECT '" + from_at +
             "' AS from_at, '" + as_of + "' AS as_of");
  return db.Rows(testing::ReadText(testing::SourceDir() /
                                   "tests/e2e/cj_loyalty_reference.sql"),
                 2);
}

std::string Order(const std::string& member, const std::string& at,
                  const std::string& total) {
  return R"({"type":"track","event":"Order Completed","userId":")" + member +
         R"(","messageId":"o-)" + member + "-" + at + R"(","timestamp":")" +
         at + R"(","properties":{"order_id":"o",)" + R"("total":)" + total +
         R"(,"currency":"USD","loyalty_discount":0,"coupon_discount":0,)" +
         R"("items":1,"quantity":1,"store_id":"1"}})";
}

std::string Reward(const std::string& member, const std::string& at,
                   int points) {
  return R"({"type":"track","event":"Reward Redeemed","userId":")" + member +
         R"(","messageId":"r-)" + member + "-" + at + R"(","timestamp":")" +
         at + R"(","properties":{"reward":"c","campaign_id":"1","points":)" +
         std::to_string(points) + "}}";
}

TEST_CASE("the loyalty SQL model on a quarter worked by hand") {
  // Three members, with the example program's rules (10 points per USD,
  // lots expire 6 months on, 0.002 USD a point, 20% breakage).
  std::vector<std::string> lines = {
      // A: 1000 points, expiring 2017-07-31T10:00:00Z.
      Order("A", "2017-01-31T10:00:00Z", "100.09"),
      // A: 600 points; 31 March + 6 months is 30 September (no 31st).
      Order("A", "2017-03-31T08:00:00Z", "60.00"),
      // Drawn from the January lot, which expires first: 750 left there.
      Reward("A", "2017-04-01T05:00:00Z", 250),
      // 750 from January and 250 from March: 350 left in March.
      Reward("A", "2017-05-01T05:00:00Z", 1000),
      // More than the balance of 350: refused, nothing changes.
      Reward("A", "2017-06-01T05:00:00Z", 2000),
      // January's lot expires empty on 31 July. 259 points (25.99 USD).
      Order("B", "2017-08-15T00:00:00Z", "300.00"),
      Order("A", "2017-08-31T09:00:00Z", "25.99"),
      // At the March lot's expiry instant its 350 points are gone first,
      // so 259 do not cover 300: refused.
      Reward("A", "2017-09-30T08:00:00Z", 300),
      // 0.09 USD earns nothing.
      Order("A", "2017-10-15T00:00:00Z", "0.09"),
      Reward("A", "2017-11-01T05:00:00Z", 100),
      // The same messageId again: a duplicate, skipped.
      Reward("A", "2017-11-01T05:00:00Z", 100),
      Order("C", "2017-12-01T00:00:00Z", "50.00"),
      Reward("B", "2017-12-20T00:00:00Z", 500),
  };
  auto scratch = testing::ScratchDir("cj-loyalty-model");
  auto events = scratch / "events.jsonl";
  {
    std::ofstream out(events);
    for (const std::string& line : lines) out << line << "\n";
  }

  // Issued 1000 + 600 + 259 + 3000 + 500 = 5359; redeemed 250 + 1000 +
  // 100 + 500 = 1850; expired 350; outstanding A 159, B 2500, C 500.
  // Deferred 5359 x 0.002 = 10.718. Recognised at the end 10.718 x 1850 /
  // (1850 + 3159 x 0.8) = 4.529905; at the start (A 259 and B 3000 out,
  // 1250 redeemed, 4859 issued) 9.718 x 1250 / (1250 + 3259 x 0.8) =
  // 3.149306; so 1.380599 in the quarter. Ages on 1 January: A's and B's
  // lots 122 and 139 days, C's 31. Tiers by the most points earned within
  // 12 months: A 1859 Silver, B 3000 Gold, C 500 Member.
  std::vector<std::string> expected = {
      "points issued,5359",
      "points redeemed,1850",
      "points expired,350",
      "points outstanding,3159",
      "face value,6.32",
      "expected breakage,1.26",
      "revenue deferred to date,10.72",
      "revenue recognised to date,4.53",
      "contract liability,6.19",
      "revenue recognised in period,1.38",
      "points issued at start,4859",
      "points redeemed at start,1250",
      "points expired at start,350",
      "points outstanding at start,3259",
      "revenue recognised to start,3.15",
      "age 0-90,500",
      "age 91-180,2659",
      "tier Member,500",
      "tier Silver,159",
      "tier Gold,2500",
      "members by tier Gold,1",
      "members by tier Member,1",
      "members by tier Silver,1",
      "reviews due,0",
  };
  CHECK(ModelFigures(events.string(), "2017-10-01T00:00:00Z",
                     "2018-01-01T00:00:00Z") == expected);
}

// The example's events, built by the documented script into `scratch`.
std::filesystem::path BuildExampleEvents(const std::filesystem::path& scratch) {
  auto events = scratch / "events.jsonl";
  std::string command =
      "PARCOURS=" + testing::ShellQuote(PARCOURS_BINARY) + " sh " +
      testing::ShellQuote(Example("loyalty-events.sh").string()) + " " +
      testing::ShellQuote(events.string()) + " 2>" +
      testing::ShellQuote((scratch / "import.txt").string());
  int status = std::system(command.c_str());
  INFO(testing::ReadText(scratch / "import.txt"));
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return events;
}

// The figure `name` of the model's rows.
int64_t Figure(const std::vector<std::string>& rows, const std::string& name) {
  for (const std::string& row : rows) {
    if (row.rfind(name + ",", 0) == 0) {
      return std::stoll(row.substr(name.size() + 1));
    }
  }
  FAIL("no figure " << name);
  return 0;
}

TEST_CASE("the loyalty example's events come from the committed sample") {
  auto scratch = testing::ScratchDir("cj-loyalty-events");
  auto events = BuildExampleEvents(scratch);

  // Every basket of households 1 to 800 and every reward, in time order.
  testing::EventsDb db(events.string());
  CHECK(db.Int("SELECT count(*) FROM raw WHERE json_extract(line, "
               "'$.event') = 'Order Completed'") == 14976);
  CHECK(db.Int("SELECT count(*) FROM raw WHERE json_extract(line, "
               "'$.event') = 'Reward Redeemed'") == 645);
  CHECK(db.Int("SELECT count(*) FROM raw a JOIN raw b ON b.rowid = a.rowid "
               "+ 1 WHERE json_extract(b.line, '$.timestamp') < "
               "json_extract(a.line, '$.timestamp')") == 0);

  // A second build gives the same bytes.
  auto again = testing::ScratchDir("cj-loyalty-events-again");
  CHECK(testing::ReadText(BuildExampleEvents(again)) ==
        testing::ReadText(events));
}

TEST_CASE("the loyalty SQL model's books balance over the example") {
  auto scratch = testing::ScratchDir("cj-loyalty-books");
  auto events = BuildExampleEvents(scratch);
  std::vector<std::string> rows = ModelFigures(
      events.string(), "2017-10-01T00:00:00Z", "2018-01-01T00:00:00Z");

  // Every point issued is redeemed, expired or still outstanding, and the
  // outstanding ones add up by age and by tier alike.
  int64_t outstanding = Figure(rows, "points outstanding");
  CHECK(Figure(rows, "points issued") == Figure(rows, "points redeemed") +
                                             Figure(rows, "points expired") +
                                             outstanding);
  int64_t by_age = 0;
  for (const char* bucket : {"0-90", "91-180", "181-365"}) {
    by_age += Figure(rows, std::string("age ") + bucket);
  }
  CHECK(by_age == outstanding);
  int64_t by_tier = 0;
  for (const char* tier : {"Member", "Silver", "Gold", "Platinum"}) {
    by_tier += Figure(rows, std::string("tier ") + tier);
  }
  CHECK(by_tier == outstanding);

  // Points last six months, so some have expired by the end of the year,
  // and some rewards were redeemed; no tier review falls in the year.
  CHECK(Figure(rows, "points expired") > 0);
  CHECK(Figure(rows, "points redeemed") > 0);
  CHECK(Figure(rows, "reviews due") == 0);
}

TEST_CASE("the loyalty example checks cleanly and its test blocks pass") {
  auto scratch = testing::ScratchDir("cj-loyalty-tests");
  std::string campaign = Example("campaign").string();
  auto check = testing::RunParcours({"check", campaign}, scratch);
  INFO(check.err);
  CHECK(check.exit_code == 0);
  CHECK(check.err.find("0 error(s), 0 warning(s)") != std::string::npos);
  for (const char* engine : {"interp", "jit"}) {
    auto result =
        testing::RunParcours({"test", "--engine", engine, campaign}, scratch);
    INFO(result.out << result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("5 passed, 0 failed") != std::string::npos);
  }
}

// The quarter on New York's clock, the stores' own: from midnight on
// 1 October (EDT) to midnight on 1 January (EST), after the last basket.
constexpr const char* kQuarterFrom = "2017-10-01T04:00:00Z";
constexpr const char* kQuarterAsOf = "2018-01-01T05:00:00Z";

// The report's figures as the model's rows, for those both have.
std::vector<std::string> ReportFigures(const nlohmann::json& report) {
  std::vector<std::string> rows;
  auto add = [&](const std::string& figure, const nlohmann::json& value) {
    rows.push_back(figure + "," +
                   (value.is_string() ? value.get<std::string>()
                                      : std::to_string(value.get<int64_t>())));
  };
  const nlohmann::json& end = report["at_end"];
  const nlohmann::json& start = report["at_start"];
  add("points issued", end["issued"]);
  add("points redeemed", end["redeemed"]);
  add("points expired", end["expired"]);
  add("points outstanding", end["outstanding"]);
  add("face value", report["face_value"]);
  add("expected breakage", report["expected_breakage"]);
  add("revenue deferred to date", report["revenue_deferred_to_date"]);
  add("revenue recognised to date", report["revenue_recognised_to_date"]);
  add("contract liability", report["contract_liability"]);
  add("revenue recognised in period", report["revenue_recognised_in_period"]);
  add("points issued at start", start["issued"]);
  add("points redeemed at start", start["redeemed"]);
  add("points expired at start", start["expired"]);
  add("points outstanding at start", start["outstanding"]);
  // The model lists the age buckets and tiers that hold points.
  for (const char* bucket : {"0-90", "91-180", "181-365", "366-730"}) {
    const nlohmann::json& points =
        report["outstanding_by_age"][std::string(bucket) + " days"];
    if (points.get<int64_t>() != 0) add(std::string("age ") + bucket, points);
  }
  if (report["outstanding_by_age"]["over 730 days"].get<int64_t>() != 0) {
    add("age over 730", report["outstanding_by_age"]["over 730 days"]);
  }
  for (const char* tier : {"Member", "Silver", "Gold", "Platinum"}) {
    // Members below Silver hold no tier: "(none)" in the report.
    std::string key = std::string(tier) == "Member" ? "(none)" : tier;
    if (report["outstanding_by_tier"].contains(key)) {
      add(std::string("tier ") + tier, report["outstanding_by_tier"][key]);
    }
  }
  return rows;
}

// The model's rows less those the report has no figure for.
std::vector<std::string> Comparable(const std::vector<std::string>& rows) {
  std::vector<std::string> kept;
  for (const std::string& row : rows) {
    bool model_only = row.starts_with("members by tier ") ||
                      row.starts_with("reviews due,") ||
                      row.starts_with("revenue recognised to start,");
    if (!model_only) kept.push_back(row);
  }
  return kept;
}

TEST_CASE("the loyalty example's quarter agrees with the SQL model") {
  auto scratch = testing::ScratchDir("cj-loyalty-run");
  auto events = BuildExampleEvents(scratch).string();
  std::string campaign = Example("campaign").string();

  // Both engines, each with a state of its own, write the same actions.
  std::string actions[2];
  std::string reports[2];
  const char* engines[2] = {"interp", "jit"};
  for (int i = 0; i < 2; ++i) {
    auto state = (scratch / (std::string(engines[i]) + ".db")).string();
    auto run = testing::RunParcours(
        {"run", campaign, "--events", events, "--state", state, "--out", "-",
         "--engine", engines[i], "--until", kQuarterAsOf},
        scratch);
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    actions[i] = run.out;
    auto report = testing::RunParcours(
        {"report", "loyalty", "--state", state, "--from", kQuarterFrom,
         "--as-of", kQuarterAsOf, "--format", "json"},
        scratch);
    INFO(report.err);
    REQUIRE(report.exit_code == 0);
    // The docs show the report alone: run as they say, to the end of the
    // quarter, it has no note that the state stops short of it.
    CHECK(report.err.empty());
    reports[i] = report.out;
  }
  CHECK(actions[0] == actions[1]);
  REQUIRE(reports[0] == reports[1]);

  std::vector<std::string> model =
      ModelFigures(events, kQuarterFrom, kQuarterAsOf);
  CHECK(Figure(model, "reviews due") == 0);
  CHECK(ReportFigures(nlohmann::json::parse(reports[0])) == Comparable(model));
}

}  // namespace
}  // namespace parcours
