// The liability of the loyalty example over the Complete Journey
// (examples/dunnhumby-complete-journey/campaign/loyalty.journey), as the
// independent SQL model tests/e2e/cj_loyalty_reference.sql computes it.
#include <catch2/catch.hpp>
#include <fstream>

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

}  // namespace
}  // namespace parcours
