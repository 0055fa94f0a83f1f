// `parcours report backtest|caps|loyalty` on a `--partitions` folder: the
// figures of the same run with one state file, byte for byte, in every
// format.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/engine/run.h"
#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

using testing::RunParcours;

// The UCI campaign (a weekly cap and quiet hours), with a journey that
// holds out a share of its contacts and a loyalty program that earns,
// burns, expires and gives tiers, so that every report has figures in
// several partitions.
std::string Campaign() {
  return testing::ReadText(testing::SourceDir() /
                           "examples/uci-online-retail/campaign/"
                           "retail.journey") +
         "\n"
         "enum Tier { Silver, Gold }\n"
         "\n"
         "event RewardRedeemed \"Reward Redeemed\" {\n"
         "  points: int\n"
         "}\n"
         "\n"
         "journey big_basket {\n"
         "  on OrderPlaced as order where order.total >= 100 GBP\n"
         "  holdout 20%\n"
         "  policy retail_pressure\n"
         "  send email \"big_basket\"\n"
         "}\n"
         "\n"
         "program retail_points {\n"
         "  earn 1 point per 1 GBP of OrderPlaced.total\n"
         "  burn on RewardRedeemed.points\n"
         "  expire 6 months after earning\n"
         "  tier Silver at 500 qualifying points within 12 months\n"
         "  tier Gold at 2000 qualifying points within 12 months\n"
         "  keep tier 12 months\n"
         "  value 0.01 GBP per point\n"
         "  breakage 15%\n"
         "}\n";
}

// The UCI sample, with a reward of 20 points redeemed after every fifth
// order: at the order's time, so the lines stay in time order.
std::string Events() {
  std::istringstream sample(testing::ReadText(
      testing::SourceDir() / "examples/uci-online-retail/events-small.jsonl"));
  std::string events;
  int orders = 0;
  for (std::string line; std::getline(sample, line);) {
    events += line + "\n";
    nlohmann::json event = nlohmann::json::parse(line);
    if (event.value("event", "") != "Order Completed") continue;
    if (++orders % 5 != 0) continue;
    nlohmann::json reward = {{"type", "track"},
                             {"event", "Reward Redeemed"},
                             {"userId", event["userId"]},
                             {"messageId", "reward-" + std::to_string(orders)},
                             {"timestamp", event["timestamp"]},
                             {"properties", {{"points", 20}}}};
    events += reward.dump() + "\n";
  }
  return events;
}

struct Runs {
  std::filesystem::path scratch;
  std::string single;
  std::vector<std::string> folders;
};

// Runs the same program and events into one state file and into folders
// of 2 and 3 partitions, once for all the tests of this file.
const Runs& TheRuns() {
  static const Runs runs = [] {
    Runs made;
    made.scratch = testing::ScratchDir("partition-reports");
    std::filesystem::create_directories(made.scratch / "campaign");
    testing::WriteText(made.scratch / "campaign" / "retail.journey",
                       Campaign());
    testing::WriteText(made.scratch / "events.jsonl", Events());
    made.single = (made.scratch / "single.db").string();
    made.folders = {(made.scratch / "p2").string(),
                    (made.scratch / "p3").string()};
    std::vector<std::vector<std::string>> states = {{made.single}};
    states.push_back({made.folders[0], "--partitions", "2"});
    states.push_back({made.folders[1], "--partitions", "3"});
    for (const std::vector<std::string>& state : states) {
      std::vector<std::string> args = {
          "run",      (made.scratch / "campaign").string(),
          "--events", (made.scratch / "events.jsonl").string(),
          "--out",    (made.scratch / "out.jsonl").string(),
          "--state"};
      args.insert(args.end(), state.begin(), state.end());
      auto run = RunParcours(args, made.scratch);
      INFO(run.err);
      REQUIRE(run.exit_code == 0);
    }
    return made;
  }();
  return runs;
}

// Runs `report` (its arguments before `--state`) on the single state
// file and on each folder; checks the outputs are the same bytes, and
// returns the single file's.
std::string SameOnEveryState(const std::vector<std::string>& report) {
  const Runs& runs = TheRuns();
  auto on = [&](const std::string& state) {
    std::vector<std::string> args = report;
    args.push_back("--state");
    args.push_back(state);
    return RunParcours(args, runs.scratch);
  };
  auto single = on(runs.single);
  INFO(single.err);
  REQUIRE(single.exit_code == 0);
  for (const std::string& folder : runs.folders) {
    auto partitioned = on(folder);
    INFO(folder << ": " << partitioned.err);
    REQUIRE(partitioned.exit_code == 0);
    CHECK(partitioned.out == single.out);
    CHECK(partitioned.err == single.err);
  }
  return single.out;
}

TEST_CASE("the backtest report of a partitions folder is that of one file") {
  SameOnEveryState({"report", "backtest"});
  nlohmann::json report = nlohmann::json::parse(
      SameOnEveryState({"report", "backtest", "--format", "json"}));

  // Figures that only a merge of several partitions gets right.
  bool held_out = false;
  bool waiting = false;
  for (const nlohmann::json& journey : report["journeys"]) {
    held_out = held_out || journey["holdout"].get<int>() > 0;
    waiting = waiting || journey["waiting"].get<int>() > 0;
  }
  CHECK(held_out);
  CHECK(waiting);
  CHECK(report["deferred"].size() + report["suppressed"].size() > 0);
}

TEST_CASE("the caps report of a partitions folder is that of one file") {
  SameOnEveryState({"report", "caps"});
  nlohmann::json report = nlohmann::json::parse(
      SameOnEveryState({"report", "caps", "--format", "json"}));
  int64_t held = 0;
  for (const nlohmann::json& row : report["caps"]) {
    held += row["suppressed"].get<int64_t>() + row["deferred"].get<int64_t>();
  }
  CHECK(held > 0);
}

TEST_CASE("the loyalty report of a partitions folder is that of one file") {
  for (const char* format : {"table", "json", "csv"}) {
    INFO(format);
    SameOnEveryState({"report", "loyalty", "--as-of", "2011-10-31", "--from",
                      "2011-06-01", "--format", format});
  }
  nlohmann::json report = nlohmann::json::parse(SameOnEveryState(
      {"report", "loyalty", "--as-of", "2011-12-31", "--format", "json"}));

  // The recognised revenue is a share of the program's totals, not a sum
  // of each partition's share: it needs points redeemed, outstanding and
  // expired.
  CHECK(report["at_end"]["redeemed"].get<int64_t>() > 0);
  CHECK(report["at_end"]["expired"].get<int64_t>() > 0);
  CHECK(report["at_end"]["outstanding"].get<int64_t>() > 0);
  CHECK(report["outstanding_by_tier"].size() > 1);
  CHECK(report["revenue_recognised_in_period"] != "0.00");
}

// A folder with a file missing, or without its record of partitions,
// would give figures that leave profiles out: refused, as `run` and
// `explain` refuse it.
TEST_CASE("reports refuse a partitions folder that is not whole") {
  const Runs& runs = TheRuns();
  auto broken = runs.scratch / "broken";
  std::filesystem::remove_all(broken);
  std::filesystem::copy(runs.folders[1], broken);
  const std::vector<std::vector<std::string>> reports = {
      {"report", "backtest", "--state"},
      {"report", "caps", "--state"},
      {"report", "loyalty", "--as-of", "2011-12-31", "--state"}};

  std::filesystem::remove(broken / "p-0001.db");
  for (std::vector<std::string> report : reports) {
    INFO(report[1]);
    report.push_back(broken.string());
    auto result = RunParcours(report, runs.scratch);
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    CHECK(result.err == "parcours: state folder `" + broken.string() +
                            "` was made with --partitions 3, but its file "
                            "`p-0001.db` is missing; restore it from a "
                            "backup, or replay the events into a new "
                            "folder\n");
  }

  std::filesystem::remove(broken / "partitions");
  for (std::vector<std::string> report : reports) {
    INFO(report[1]);
    report.push_back(broken.string());
    auto result = RunParcours(report, runs.scratch);
    CHECK(result.exit_code == 2);
    CHECK(result.err == "parcours: `" + broken.string() +
                            "` is a folder without the record of a run "
                            "with --partitions (its file `partitions`)\n");
  }
}

// `explain` reads the one file its profile belongs in. Two files swapped
// by a restore held other profiles there, and the person read as unknown
// ("no profile"), though the folder had their whole timeline.
TEST_CASE("explain refuses a partition file found in another's place") {
  const Runs& runs = TheRuns();
  auto swapped = runs.scratch / "swapped";
  std::filesystem::remove_all(swapped);
  std::filesystem::copy(runs.folders[1], swapped);
  std::filesystem::rename(swapped / "p-0000.db", swapped / "aside.db");
  std::filesystem::rename(swapped / "p-0001.db", swapped / "p-0000.db");
  std::filesystem::rename(swapped / "aside.db", swapped / "p-0001.db");

  // A customer of the sample whose place is partition 0 of 3.
  std::string profile;
  std::istringstream events(testing::ReadText(runs.scratch / "events.jsonl"));
  for (std::string line; profile.empty() && std::getline(events, line);) {
    std::string id = nlohmann::json::parse(line).value("userId", "");
    if (engine::PartitionOf(id, 3) == 0) profile = id;
  }
  REQUIRE(!profile.empty());
  REQUIRE(
      RunParcours({"explain", "--state", runs.folders[1], "--profile", profile},
                  runs.scratch)
          .exit_code == 0);

  auto result = RunParcours(
      {"explain", "--state", swapped.string(), "--profile", profile},
      runs.scratch);
  CHECK(result.exit_code == 2);
  CHECK(result.out.empty());
  CHECK(result.err == "parcours: state file `" +
                          (swapped / "p-0000.db").string() +
                          "` holds partition 1 of its folder, not partition "
                          "0, where profile `" +
                          profile +
                          "` belongs: it was copied or restored into the "
                          "wrong place; put each file back in its place\n");
}

}  // namespace
}  // namespace parcours
