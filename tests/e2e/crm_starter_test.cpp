// The crm-starter campaign over real data, checked against independent
// models of its rules written in SQL and evaluated by SQLite: the cart
// and browse journeys over the Taobao sample
// (tests/e2e/taobao_reference.sql) and win-back over the UCI year
// (tests/e2e/uci_winback.sql).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/events_sql.h"
#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

std::filesystem::path Example(const std::string& path) {
  return testing::SourceDir() / "examples" / path;
}

std::string Campaign() { return Example("crm-starter/campaign").string(); }

// Runs the campaign over `events` and returns the backtest report as
// JSON; the actions go to `actions`.
nlohmann::json RunAndReport(const std::string& events,
                            const std::filesystem::path& scratch,
                            std::string* actions = nullptr) {
  auto state = (scratch / "state.db").string();
  auto run = testing::RunParcours(
      {"run", Campaign(), "--events", events, "--state", state, "--out", "-"},
      scratch);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  if (actions != nullptr) *actions = run.out;

  auto report = testing::RunParcours(
      {"report", "backtest", "--state", state, "--format", "json"}, scratch);
  INFO(report.err);
  REQUIRE(report.exit_code == 0);
  return nlohmann::json::parse(report.out);
}

const nlohmann::json& JourneyIn(const nlohmann::json& report,
                                const std::string& name) {
  for (const auto& journey : report["journeys"]) {
    if (journey["journey"] == name) return journey;
  }
  FAIL("no journey " << name << " in the report");
  return report;
}

// The sample's rows sorted by their timestamp (the last column), keeping
// the file's order between rows of one second, header first.
std::string SortedByTime(const std::string& csv) {
  std::istringstream lines(csv);
  std::string header;
  std::getline(lines, header);
  std::vector<std::pair<long long, std::string>> rows;
  for (std::string line; std::getline(lines, line);) {
    rows.emplace_back(std::stoll(line.substr(line.rfind(',') + 1)), line);
  }
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.first < b.first;
  });
  std::string sorted = header + "\n";
  for (const auto& row : rows) sorted += row.second + "\n";
  return sorted;
}

TEST_CASE(
    "Taobao: the committed events are the sample, imported in time "
    "order") {
  auto scratch = testing::ScratchDir("taobao-import");
  auto sorted = scratch / "sorted.csv";
  testing::WriteText(sorted, SortedByTime(testing::ReadText(
                                 Example("taobao-user-behavior/sample.csv"))));
  auto imported = scratch / "events.jsonl";
  auto result = testing::RunParcours(
      {"import", "csv", "--mapping",
       Example("taobao-user-behavior/mapping.json").string(), sorted.string(),
       "--out", imported.string()},
      scratch);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(testing::ReadText(imported) ==
        testing::ReadText(Example("crm-starter/taobao-events.jsonl")));
}

TEST_CASE("Taobao: cart and browse reminders agree with the SQL model") {
  auto events = Example("crm-starter/taobao-events.jsonl").string();
  auto scratch = testing::ScratchDir("taobao-reference");
  std::string actions;
  nlohmann::json report = RunAndReport(events, scratch, &actions);

  testing::EventsDb db(events);
  std::vector<std::string> model =
      db.Rows(testing::ReadText(testing::SourceDir() /
                                "tests/e2e/taobao_reference.sql"),
              3);

  // The report's journey counts, in the model's rows and order.
  std::vector<std::string> reported;
  for (const char* kind : {"entered", "exited", "waiting"}) {
    std::vector<std::string> rows;
    for (const char* name : {"browse_abandonment", "cart_abandonment"}) {
      const nlohmann::json& journey = JourneyIn(report, name);
      std::string prefix = std::string(kind) + "," + name;
      if (std::string(kind) == "exited") {
        for (const auto& [reason, count] : journey["exited"].items()) {
          // "on `ProductPurchased`" names the event by its program name.
          std::string event = reason.substr(4, reason.size() - 5);
          std::string wire = event == "ProductAdded"       ? "Product Added"
                             : event == "ProductPurchased" ? "Product Purchased"
                                                           : event;
          rows.push_back(prefix + " on " + wire + "," +
                         std::to_string(count.get<int>()));
        }
      } else if (journey[kind].get<int>() > 0) {
        rows.push_back(prefix + "," + std::to_string(journey[kind].get<int>()));
      }
    }
    std::sort(rows.begin(), rows.end());
    reported.insert(reported.end(), rows.begin(), rows.end());
  }

  // The sends the model expects, as "profile,template,at".
  std::vector<std::string> expected_sends;
  std::vector<std::string> expected_counts;
  for (const std::string& row : model) {
    if (row.rfind("send,", 0) == 0) {
      expected_sends.push_back(row.substr(5, row.rfind(',') - 5));
    } else {
      expected_counts.push_back(row);
    }
  }
  CHECK(reported == expected_counts);

  std::vector<std::tuple<std::string, std::string, std::string>> sends;
  std::istringstream lines(actions);
  for (std::string line; std::getline(lines, line);) {
    auto action = nlohmann::json::parse(line);
    if (action["kind"] != "send") continue;
    sends.emplace_back(action["at"], action["profile"], action["template"]);
  }
  std::sort(sends.begin(), sends.end());
  std::vector<std::string> actual_sends;
  for (const auto& [at, profile, template_name] : sends) {
    actual_sends.push_back(profile + "," + template_name + "," + at);
  }
  CHECK(actual_sends == expected_sends);

  // The report's count of emails, and the cart reminders among them.
  CHECK(report["sends_by_channel"]["email"].get<size_t>() ==
        expected_sends.size());
  auto cart_reminders = std::count_if(
      expected_sends.begin(), expected_sends.end(), [](const std::string& s) {
        return s.find(",cart_reminder,") != std::string::npos;
      });
  CHECK(cart_reminders >= 20);
  CHECK(JourneyIn(report, "cart_abandonment")["sent"].get<int64_t>() ==
        cart_reminders);
  CHECK(JourneyIn(report, "browse_abandonment")["sent"].get<int64_t>() ==
        static_cast<int64_t>(expected_sends.size()) - cart_reminders);
  CHECK(JourneyIn(report, "cart_abandonment")["entered"].get<int>() >= 30);
}

TEST_CASE("UCI: win-back entries and goals over the year agree with SQL") {
  auto events = Example("uci-online-retail/events.jsonl").string();
  auto scratch = testing::ScratchDir("uci-winback");
  nlohmann::json report = RunAndReport(events, scratch);

  testing::EventsDb db(events);
  std::vector<std::string> model = db.Rows(
      testing::ReadText(testing::SourceDir() / "tests/e2e/uci_winback.sql"), 2);
  const nlohmann::json& win_back = JourneyIn(report, "win_back");
  std::vector<std::string> reported = {
      "entered," + std::to_string(win_back["entered"].get<int>()),
      "goals," + std::to_string(win_back["goals"].get<int>())};
  CHECK(reported == model);
  CHECK(win_back["entered"].get<int>() >= 2000);
}

TEST_CASE("crm-starter: the interpreter and the JIT write the same actions") {
  for (const auto& events : {Example("uci-online-retail/events-small.jsonl"),
                             Example("crm-starter/taobao-events.jsonl")}) {
    INFO(events.string());
    std::vector<std::string> outputs;
    for (const char* engine : {"interp", "jit"}) {
      auto scratch = testing::ScratchDir(std::string("crm-engines-") + engine);
      auto run = testing::RunParcours(
          {"run", Campaign(), "--engine", engine, "--events", events.string(),
           "--state", (scratch / "state.db").string(), "--out", "-"},
          scratch);
      INFO(run.err);
      REQUIRE(run.exit_code == 0);
      outputs.push_back(run.out);
    }
    CHECK(outputs[0].size() > 1000);
    CHECK(outputs[0] == outputs[1]);
  }
}

}  // namespace
}  // namespace parcours
