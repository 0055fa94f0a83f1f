// The example campaign's sends over a year of real invoices, checked
// against an independent model of the same rules written in SQL
// (tests/e2e/uci_reference.sql) and evaluated by SQLite.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/events_sql.h"
#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

// Rows "profile,template,at" that the SQL model expects for `events_path`.
std::vector<std::string> ExpectedSends(const std::string& events_path) {
  testing::EventsDb db(events_path);
  return db.Rows(
      testing::ReadText(testing::SourceDir() / "tests/e2e/uci_reference.sql"),
      3);
}

// The send actions of a run, as "profile,template,at", in the model's
// order (at, profile, template).
std::vector<std::string> ActualSends(const std::string& actions) {
  std::vector<std::tuple<std::string, std::string, std::string>> sends;
  std::istringstream lines(actions);
  std::string line;
  while (std::getline(lines, line)) {
    auto action = nlohmann::json::parse(line);
    if (action["kind"] != "send") continue;
    sends.emplace_back(action["at"], action["profile"], action["template"]);
  }
  std::sort(sends.begin(), sends.end());
  std::vector<std::string> rows;
  for (const auto& [at, profile, template_name] : sends) {
    rows.push_back(profile + "," + template_name + "," + at);
  }
  return rows;
}

void CheckAgreement(const std::string& events_name, size_t at_least) {
  auto events =
      (testing::SourceDir() / "examples/uci-online-retail" / events_name)
          .string();
  auto scratch = testing::ScratchDir("reference");
  auto result = testing::RunParcours(
      {"run",
       (testing::SourceDir() / "examples/uci-online-retail/campaign").string(),
       "--events", events, "--state", (scratch / "state.db").string(), "--out",
       "-"},
      scratch);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);

  std::vector<std::string> expected = ExpectedSends(events);
  std::vector<std::string> actual = ActualSends(result.out);
  CHECK(expected.size() >= at_least);
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("send " << i);
    REQUIRE(actual[i] == expected[i]);
  }
}

TEST_CASE("the sample's sends agree with the SQL model") {
  CheckAgreement("events-small.jsonl", 300);
}

TEST_CASE("a whole year's sends agree with the SQL model") {
  CheckAgreement("events.jsonl", 9000);
}

}  // namespace
}  // namespace parcours
