// `parcours report backtest` over a year of real invoices: its counts for
// both journeys of the example campaign agree with independent queries in
// SQL over the same events file.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/engine/assignment.h"
#include "tests/support/events_sql.h"
#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

// The orders of the file, one per messageId, in file order, each with the
// customer's next order (in file order) when there is one.
const char kOrders[] = R"sql(
  WITH track AS (
    SELECT rowid AS r,
           json_extract(line, '$.messageId') AS id,
           json_extract(line, '$.userId') AS customer,
           unixepoch(json_extract(line, '$.timestamp')) AS t
    FROM raw
    WHERE json_valid(line)
      AND json_extract(line, '$.type') = 'track'
      AND json_extract(line, '$.event') = 'Order Completed'),
  orders AS (
    SELECT * FROM track WHERE r IN (SELECT min(r) FROM track GROUP BY id)),
  chained AS (
    SELECT customer, t,
           lead(t) OVER (PARTITION BY customer ORDER BY r) AS next_t
    FROM orders),
  final AS (
    SELECT max(unixepoch(json_extract(line, '$.timestamp'))) AS clock
    FROM raw WHERE json_valid(line))
)sql";

// `text` cut at its line ends, the last line's end included.
std::vector<std::string> LinesOf(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

nlohmann::json Journey(const nlohmann::json& report, const std::string& name) {
  for (const nlohmann::json& journey : report["journeys"]) {
    if (journey["journey"] == name) return journey;
  }
  FAIL("no journey " << name << " in the report");
  return {};
}

// `report backtest --format json` of `state`, which must succeed.
nlohmann::json BacktestJson(const std::string& state,
                            const std::filesystem::path& scratch) {
  auto report = testing::RunParcours(
      {"report", "backtest", "--state", state, "--format", "json"}, scratch);
  INFO(report.err);
  REQUIRE(report.exit_code == 0);
  return nlohmann::json::parse(report.out);
}

TEST_CASE("the backtest report of a year agrees with SQL over the events") {
  std::string events =
      (testing::SourceDir() / "examples/uci-online-retail/events.jsonl")
          .string();
  auto scratch = testing::ScratchDir("report-backtest");
  std::string state = (scratch / "state.db").string();
  auto run = testing::RunParcours(
      {"run",
       (testing::SourceDir() / "examples/uci-online-retail/campaign").string(),
       "--events", events, "--state", state, "--out",
       (scratch / "actions.jsonl").string()},
      scratch);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);

  auto printed = testing::RunParcours(
      {"report", "backtest", "--state", state, "--format", "json"}, scratch);
  INFO(printed.err);
  REQUIRE(printed.exit_code == 0);
  nlohmann::json report = nlohmann::json::parse(printed.out);

  testing::EventsDb db(events);
  const std::string orders = kOrders;
  constexpr const char* kSixtyDays = "5184000";

  // thank_you: every customer's first order enters it once.
  nlohmann::json thank_you = Journey(report, "thank_you");
  CHECK(thank_you["entered"] ==
        db.Int(orders + "SELECT count(DISTINCT customer) FROM chained"));
  CHECK(thank_you["waiting"] == 0);
  // Each thanked customer runs through its one step.
  CHECK(thank_you["completed"] == thank_you["entered"]);

  // we_miss_you: every order enters it; a next order strictly within 60
  // days exits the waiting contact (a timer due at the same instant fires
  // first); a contact whose 60 days end after the last event still waits.
  nlohmann::json we_miss_you = Journey(report, "we_miss_you");
  int64_t entered = db.Int(orders + "SELECT count(*) FROM chained");
  int64_t exited = db.Int(orders + "SELECT count(*) FROM chained " +
                          "WHERE next_t < t + " + kSixtyDays);
  int64_t waiting = db.Int(orders + "SELECT count(*) FROM chained, final " +
                           "WHERE (next_t IS NULL OR next_t >= t + " +
                           kSixtyDays + ") AND t + " + kSixtyDays + " > clock");
  CHECK(entered > 10000);
  CHECK(we_miss_you["entered"] == entered);
  CHECK(we_miss_you["exited"]["on `OrderPlaced`"] == exited);
  CHECK(we_miss_you["waiting"] == waiting);
  // Those whose 60 days ran out are sent the message and are done.
  CHECK(we_miss_you["completed"] == entered - exited - waiting);

  // Every message is an email, for the first orders and for the contacts
  // whose 60 days ran out; the pressure policy holds some back (quiet
  // hours, the weekly cap), which the report lists as suppressed.
  int64_t first_orders = thank_you["entered"];
  int64_t held_back = 0;
  for (const nlohmann::json& row : report["suppressed"]) {
    held_back += row["count"].get<int64_t>();
  }
  CHECK(report["sends_by_channel"]["email"].get<int64_t>() + held_back ==
        first_orders + entered - exited - waiting);
  // And the sends are the SQL model's (tests/e2e/uci_reference.sql).
  std::string model =
      testing::ReadText(testing::SourceDir() / "tests/e2e/uci_reference.sql");
  model = model.substr(0, model.find_last_of(';'));
  CHECK(report["sends_by_channel"]["email"] ==
        db.Int("SELECT count(*) FROM (" + model + "\n)"));
  int64_t weekly_total = 0;
  for (const nlohmann::json& week : report["sends_by_week"]) {
    weekly_total += week["sends"].value("email", int64_t{0});
  }
  CHECK(weekly_total == report["sends_by_channel"]["email"]);
}

// A journey's name longer than its column pushed that row's figures out
// from under their headings; past 256 bytes the row lost its last
// figures and its line end.
TEST_CASE("report tables keep long journey names in their column") {
  auto scratch = testing::ScratchDir("report-long-names");
  const std::string medium = "winback_high_value_customers_uk_2025_q1";
  const std::string huge = "j" + std::string(239, 'x');
  std::string program = "event E \"E\" { n: int }\n";
  for (const std::string& name : {medium, huge}) {
    program += "\njourney " + name + " {\n  on E\n  send email \"t\"\n}\n";
  }
  std::filesystem::create_directories(scratch / "c");
  testing::WriteText(scratch / "c" / "j.journey", program);
  testing::WriteText(scratch / "e.jsonl",
                     "{\"type\":\"track\",\"event\":\"E\",\"userId\":"
                     "\"p1\",\"timestamp\":\"2025-03-01T10:00:00Z\","
                     "\"properties\":{\"n\":1}}\n");
  std::string state = (scratch / "s.db").string();
  REQUIRE(testing::RunParcours({"run", (scratch / "c").string(), "--events",
                                (scratch / "e.jsonl").string(), "--state",
                                state, "--out", "/dev/null"},
                               scratch)
              .exit_code == 0);

  auto report =
      testing::RunParcours({"report", "backtest", "--state", state}, scratch);
  REQUIRE(report.exit_code == 0);
  std::vector<std::string> lines = LinesOf(report.out);
  REQUIRE(lines.size() > 4);
  const std::string& heading = lines[1];
  REQUIRE(heading.starts_with("  journey "));
  for (const std::string& name : {medium, huge}) {
    auto row =
        std::find_if(lines.begin(), lines.end(), [&](const std::string& line) {
          return line.starts_with("  " + name + " ");
        });
    REQUIRE(row != lines.end());
    CHECK(row->size() == heading.size());
    CHECK(
        row->ends_with("        1         0         0         0         1"
                       "         0         1"));
  }
  CHECK(lines[4].empty());
  CHECK(lines[5] == "Sends by channel");

  // The caps report lays its journeys out the same way.
  auto caps =
      testing::RunParcours({"report", "caps", "--state", state}, scratch);
  REQUIRE(caps.exit_code == 0);
  std::vector<std::string> caps_lines = LinesOf(caps.out);
  REQUIRE(caps_lines.size() == 5);
  const std::string& caps_heading = caps_lines[1];
  REQUIRE(caps_heading.starts_with("  rule, then journey "));
  CHECK(caps_lines[3].starts_with("    " + huge + " "));
  CHECK(caps_lines[4].starts_with("    " + medium + " "));
  for (size_t i = 3; i < caps_lines.size(); ++i) {
    CHECK(caps_lines[i].size() == caps_heading.size());
    CHECK(caps_lines[i].ends_with("        1          0         0"));
  }
}

// An arm name longer than the arm column pushed its row's figures out
// from under their headings, and the rows of one split out of line.
TEST_CASE("the split table keeps long arm names in their column") {
  auto scratch = testing::ScratchDir("report-long-arms");
  std::filesystem::create_directories(scratch / "c");
  testing::WriteText(scratch / "c" / "j.journey",
                     "event E \"E\" { n: int }\n\n"
                     "journey spring {\n"
                     "  on E\n"
                     "  split\n"
                     "    subject_line_with_the_first_name: 50% {\n"
                     "      send email \"a\"\n"
                     "    } plain: 50% {\n"
                     "      send email \"b\"\n"
                     "    }\n"
                     "}\n");
  std::string events;
  for (int profile = 0; profile < 40; ++profile) {
    events += "{\"type\":\"track\",\"event\":\"E\",\"userId\":\"p" +
              std::to_string(profile) +
              "\",\"timestamp\":\"2025-03-01T10:00:00Z\","
              "\"properties\":{\"n\":1}}\n";
  }
  testing::WriteText(scratch / "e.jsonl", events);
  std::string state = (scratch / "s.db").string();
  REQUIRE(testing::RunParcours({"run", (scratch / "c").string(), "--events",
                                (scratch / "e.jsonl").string(), "--state",
                                state, "--out", "/dev/null"},
                               scratch)
              .exit_code == 0);

  auto report =
      testing::RunParcours({"report", "backtest", "--state", state}, scratch);
  REQUIRE(report.exit_code == 0);
  std::vector<std::string> lines = LinesOf(report.out);
  auto heading =
      std::find(lines.begin(), lines.end(), "Splits: goal rate by arm");
  REQUIRE(std::distance(heading, lines.end()) > 4);
  const std::string& columns = heading[1];
  const std::string& first_arm = heading[3];
  const std::string& second_arm = heading[4];
  INFO(report.out);
  REQUIRE(first_arm.find("split1 plain ") != std::string::npos);
  REQUIRE(second_arm.find("split1 subject_line_with_the_first_name ") !=
          std::string::npos);

  // Each figure ends under the end of its heading: the rate of both rows
  // where the heading's `rate` ends.
  size_t rate_end = columns.find(" rate ") + 5;
  CHECK(first_arm.size() == rate_end);
  CHECK(second_arm.substr(0, rate_end).ends_with("%"));
  CHECK(second_arm.substr(rate_end).starts_with("  "));
}

TEST_CASE("the backtest report refuses what it cannot read") {
  auto scratch = testing::ScratchDir("report-errors");
  auto missing = testing::RunParcours(
      {"report", "backtest", "--state", (scratch / "none.db").string()},
      scratch);
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("none.db"));
  CHECK_FALSE(std::filesystem::exists(scratch / "none.db"));

  auto unknown = testing::RunParcours(
      {"report", "weather", "--state", (scratch / "none.db").string()},
      scratch);
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("there is no `weather` report"));
}

// Without `--state`, an unknown report was told "`--state` is required";
// given the state, it was then told there is no such report.
TEST_CASE("an unknown report is named before a missing --state") {
  auto scratch = testing::ScratchDir("report-unknown");
  auto unknown = testing::RunParcours({"report", "foo"}, scratch);
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err,
             Catch::StartsWith("parcours: there is no `foo` report\n"));
  CHECK_THAT(unknown.err, !Catch::Contains("`--state` is required"));

  auto typo = testing::RunParcours({"report", "cap"}, scratch);
  CHECK(typo.exit_code == 2);
  CHECK_THAT(typo.err, Catch::StartsWith("parcours: there is no `cap` report; "
                                         "did you mean `caps`?\n"));

  auto known = testing::RunParcours({"report", "caps"}, scratch);
  CHECK(known.exit_code == 2);
  CHECK_THAT(known.err, Catch::StartsWith("parcours: `--state` is required"));
}

// Expired deferrals name the instant their channel next had room; the
// report counts them by rule, not one row per instant.
TEST_CASE("the backtest report groups expired deferrals by their rule") {
  auto scratch = testing::ScratchDir("report-expired");
  std::filesystem::create_directories(scratch / "c");
  testing::WriteText(scratch / "c" / "promo.journey", R"(module expire
event ProductViewed "Product Viewed" { sku: string }

policy daily {
  cap 1 per day
  when capped: defer within 6h
}

journey promo {
  on ProductViewed
  policy daily
  send push "promo"
}
)");
  std::string events;
  int id = 0;
  for (const char* day : {"2025-03-03", "2025-03-04", "2025-03-05"}) {
    for (const char* hour : {"09", "10"}) {
      events += R"({"type":"track","event":"Product Viewed","userId":"p1",)"
                R"("messageId":"m)" +
                std::to_string(++id) + R"(","timestamp":")" + day + "T" + hour +
                R"(:00:00Z","properties":{"sku":"s"}})" + "\n";
    }
  }
  testing::WriteText(scratch / "events.jsonl", events);
  std::string state = (scratch / "s.db").string();
  auto run =
      testing::RunParcours({"run", (scratch / "c").string(), "--events",
                            (scratch / "events.jsonl").string(), "--state",
                            state, "--out", (scratch / "out.jsonl").string()},
                           scratch);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);

  nlohmann::json rows = BacktestJson(state, scratch)["suppressed"];
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["reason"] == "expired");
  CHECK(rows[0]["count"] == 3);
  CHECK_THAT(rows[0]["detail"].get<std::string>(),
             !Catch::Contains("next room"));
}

// A state with no sends printed a bare `week` header under "Sends by
// week", as if the table had lost its rows.
TEST_CASE("the backtest report says none for a state with no sends") {
  auto scratch = testing::ScratchDir("report-no-sends");
  std::filesystem::create_directories(scratch / "c");
  testing::WriteText(scratch / "c" / "quiet.journey", R"(module quiet
event ProductViewed "Product Viewed" { sku: string }

journey quiet {
  on ProductViewed
  send push "hello"
}
)");
  testing::WriteText(scratch / "events.jsonl", "");
  std::string state = (scratch / "s.db").string();
  auto run =
      testing::RunParcours({"run", (scratch / "c").string(), "--events",
                            (scratch / "events.jsonl").string(), "--state",
                            state, "--out", (scratch / "out.jsonl").string()},
                           scratch);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);

  auto report =
      testing::RunParcours({"report", "backtest", "--state", state}, scratch);
  INFO(report.out);
  REQUIRE(report.exit_code == 0);
  CHECK_THAT(report.out,
             Catch::Contains("Sends by week (ISO weeks, UTC)\n  none\n"));
  CHECK_THAT(report.out, !Catch::Contains("  week"));
}

// A loyalty run writes points and tier lines by the thousand and maybe no
// task at all: the report names each kind of the other lines, rather than
// count them all as "tasks, webhooks, events".
TEST_CASE("the backtest report counts the other actions by kind") {
  auto scratch = testing::ScratchDir("report-other-kinds");
  std::filesystem::create_directories(scratch / "c");
  testing::WriteText(scratch / "c" / "club.journey", R"(module club
enum Tier { Member, Silver }

event OrderPlaced "Order Completed" { total: money }

program club {
  earn 1 point per 1 EUR of OrderPlaced.total
  tier Silver at 100 qualifying points within 12 months
}

journey thanks {
  on OrderPlaced
  task crm "call a big spender" to "care"
}
)");
  std::string events;
  for (int i = 1; i <= 2; ++i) {
    events += R"({"type":"track","event":"Order Completed","userId":"p1",)"
              R"("messageId":"o)" +
              std::to_string(i) + R"(","timestamp":"2025-03-0)" +
              std::to_string(i) +
              R"(T10:00:00Z","properties":{"total":80,"currency":"EUR"}})"
              "\n";
  }
  testing::WriteText(scratch / "events.jsonl", events);
  std::string state = (scratch / "s.db").string();
  auto run =
      testing::RunParcours({"run", (scratch / "c").string(), "--events",
                            (scratch / "events.jsonl").string(), "--state",
                            state, "--out", (scratch / "out.jsonl").string()},
                           scratch);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);

  // Two earnings, one tier reached, two tasks.
  nlohmann::json report = BacktestJson(state, scratch);
  CHECK(report["other_actions"] == 5);
  CHECK(report["other_actions_by_kind"] ==
        nlohmann::json({{"points", 2}, {"task", 2}, {"tier", 1}}));

  auto table =
      testing::RunParcours({"report", "backtest", "--state", state}, scratch);
  INFO(table.out);
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains("\nOther actions, by kind\n"
                                        "  points               2\n"
                                        "  task                 2\n"
                                        "  tier                 1\n"));
  CHECK_THAT(table.out, !Catch::Contains("tasks, webhooks, events"));
}

// A report reads the same files `run` does, and refuses what `run`
// refuses: a state file from a newer Parcours, named plainly rather than
// as a disk error. A folder of partitions is read whole (the reports) or
// in the file that holds the profile (`explain`).
TEST_CASE("reports refuse a newer state file, read a partitions folder") {
  auto scratch = testing::ScratchDir("report-newer");
  testing::WriteText(scratch / "c.journey",
                     "event Ping \"Ping\" { n: int }\n"
                     "journey hello {\n  on Ping\n  send email \"hi\"\n}\n");
  testing::WriteText(scratch / "e.jsonl",
                     R"({"type":"track","event":"Ping","userId":"a",)"
                     R"("timestamp":"2025-03-01T10:00:00Z",)"
                     R"("properties":{"n":1}})"
                     "\n");
  std::string state = (scratch / "s.db").string();
  std::string folder = (scratch / "parts").string();
  for (const std::vector<std::string>& run :
       {std::vector<std::string>{"--state", state},
        std::vector<std::string>{"--state", folder, "--partitions", "2"}}) {
    std::vector<std::string> args = {
        "run",      (scratch / "c.journey").string(),
        "--events", (scratch / "e.jsonl").string(),
        "--out",    "-"};
    args.insert(args.end(), run.begin(), run.end());
    REQUIRE(testing::RunParcours(args, scratch).exit_code == 0);
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(state.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr,
                       nullptr) == SQLITE_OK);
  sqlite3_close(db);

  // `run` refuses it too, with the reason alone: no summary of a run that
  // never started.
  auto run = testing::RunParcours(
      {"run", (scratch / "c.journey").string(), "--events",
       (scratch / "e.jsonl").string(), "--state", state, "--out", "-"},
      scratch);
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err,
             Catch::StartsWith("parcours: state file `") &&
                 Catch::Contains("was written by a newer Parcours (schema 99"));
  CHECK_THAT(run.err, !Catch::Contains("read 0 lines"));

  const std::vector<std::vector<std::string>> reports = {
      {"report", "backtest", "--state"},
      {"report", "loyalty", "--as-of", "2025-03-31", "--state"},
      {"report", "caps", "--state"},
      {"explain", "--profile", "a", "--state"}};
  for (std::vector<std::string> report : reports) {
    INFO(report[1]);
    report.push_back(state);
    auto newer = testing::RunParcours(report, scratch);
    CHECK(newer.exit_code == 2);
    CHECK_THAT(newer.err,
               Catch::Contains("was written by a newer Parcours (schema 99"));

    if (report[0] == "explain") continue;
    // The reports read every partition's file; this program has no
    // loyalty program, which the loyalty report says of the folder.
    report.back() = folder;
    auto parts = testing::RunParcours(report, scratch);
    INFO(parts.err);
    if (report[1] == "loyalty") {
      CHECK(parts.exit_code == 2);
      CHECK(parts.err == "parcours: state folder `" + folder +
                             "`: it holds no loyalty program; run one "
                             "first\n");
    } else {
      CHECK(parts.exit_code == 0);
      CHECK(parts.err.empty());
    }
  }

  // One person's timeline is in one partition, so `explain` reads the
  // file that holds the profile; it used to refuse the folder.
  auto explained = testing::RunParcours(
      {"explain", "--profile", "a", "--state", folder}, scratch);
  INFO(explained.err);
  CHECK(explained.exit_code == 0);
  CHECK(explained.out ==
        "profile a\n"
        "2025-03-01T10:00:00Z hello: entered\n"
        "2025-03-01T10:00:00Z send email \"hi\" in hello/send1\n");
  auto unknown = testing::RunParcours(
      {"explain", "--profile", "b", "--state", folder}, scratch);
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("no profile `b`"));
  auto not_a_run = testing::RunParcours(
      {"explain", "--profile", "a", "--state", scratch.string()}, scratch);
  CHECK(not_a_run.exit_code == 2);
  CHECK_THAT(not_a_run.err,
             Catch::Contains("without the record of a run with --partitions"));
}

// Runs a one-journey program over one event for profile `a`, in
// `scratch`; returns the state file.
std::string RunOnePing(const std::filesystem::path& scratch) {
  testing::WriteText(scratch / "c.journey",
                     "event Ping \"Ping\" { n: int }\n"
                     "journey hello {\n  on Ping\n  send email \"hi\"\n}\n");
  testing::WriteText(scratch / "e.jsonl",
                     R"({"type":"track","event":"Ping","userId":"a",)"
                     R"("timestamp":"2025-03-01T10:00:00Z",)"
                     R"("properties":{"n":1}})"
                     "\n");
  std::string state = (scratch / "s.db").string();
  REQUIRE(testing::RunParcours(
              {"run", (scratch / "c.journey").string(), "--events",
               (scratch / "e.jsonl").string(), "--state", state, "--out", "-"},
              scratch)
              .exit_code == 0);
  return state;
}

// A finance team reads a copy of the state in a folder it may not write
// to. SQLite reads a WAL-mode file through side files it makes beside it
// (`-wal`, `-shm`); where it cannot make them, and no WAL file holds
// changes, the file alone is the state and the reports read it as it is.
// Root may write to any folder, so a folder that already holds a
// directory named `s.db-wal` stands for one SQLite cannot write to.
TEST_CASE("reports read a state whose side files SQLite cannot make") {
  auto scratch = testing::ScratchDir("report-read-only");
  std::string state = RunOnePing(scratch);
  REQUIRE_FALSE(std::filesystem::exists(state + "-wal"));

  const std::vector<std::vector<std::string>> reports = {
      {"report", "backtest", "--state", state},
      {"report", "caps", "--state", state},
      {"explain", "--profile", "a", "--state", state}};
  std::vector<std::string> before;
  for (const auto& report : reports) {
    auto result = testing::RunParcours(report, scratch);
    REQUIRE(result.exit_code == 0);
    before.push_back(result.out);
  }
  std::string bytes = testing::ReadText(state);

  // The readers above may leave empty side files behind.
  std::filesystem::remove(state + "-wal");
  std::filesystem::remove(state + "-shm");
  std::filesystem::create_directory(state + "-wal");
  for (size_t i = 0; i < reports.size(); ++i) {
    INFO(reports[i][0] << " " << reports[i][1]);
    auto result = testing::RunParcours(reports[i], scratch);
    CHECK(result.exit_code == 0);
    CHECK(result.err.empty());
    CHECK(result.out == before[i]);
  }
  CHECK(testing::ReadText(state) == bytes);
}

// A state damaged or edited by hand fails to read; every report says
// which file, as a run does.
TEST_CASE("reports name the state file they could not read") {
  auto scratch = testing::ScratchDir("report-damaged");
  std::string state = RunOnePing(scratch);

  for (const char* table : {"decisions", "profiles"}) {
    INFO(table);
    std::string copy = (scratch / (std::string(table) + ".db")).string();
    std::filesystem::copy_file(state, copy);
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(copy.c_str(), &db) == SQLITE_OK);
    std::string drop = std::string("DROP TABLE ") + table;
    REQUIRE(sqlite3_exec(db, drop.c_str(), nullptr, nullptr, nullptr) ==
            SQLITE_OK);
    sqlite3_close(db);

    // `report caps` reads only the decisions; `explain` reads both.
    std::vector<std::vector<std::string>> reports = {
        {"explain", "--profile", "a", "--state"}};
    if (std::string(table) == "decisions") {
      reports.push_back({"report", "caps", "--state"});
    }
    for (std::vector<std::string> report : reports) {
      INFO(report[0]);
      report.push_back(copy);
      auto result = testing::RunParcours(report, scratch);
      CHECK(result.exit_code == 2);
      CHECK_THAT(result.err,
                 Catch::StartsWith("parcours: state file `" + copy + "`: "));
    }
  }
}

// A message dropped because its contact reached the journey's goal says
// how long that took; the report counts such messages by goal, not one
// row per duration.
TEST_CASE("the backtest report groups messages dropped by a goal") {
  auto scratch = testing::ScratchDir("report-goal-exit");
  std::filesystem::create_directories(scratch / "c");
  testing::WriteText(scratch / "c" / "promo.journey", R"(module goal_exit
event ProductViewed "Product Viewed" { sku: string }
event OrderPlaced "Order Placed" { order_id: string }

policy daily {
  cap 1 per day
  when capped: defer within 2d
}

journey promo {
  on ProductViewed
  policy daily
  goal OrderPlaced within 3d
  send push "promo"
}
)");
  // Each profile is sent one promo, then a second one waits for room
  // until the profile orders: one after an hour, the other after two.
  std::string events;
  int id = 0;
  auto line = [&](const std::string& profile, const std::string& event,
                  const std::string& time, const std::string& properties) {
    events += R"({"type":"track","event":")" + event + R"(","userId":")" +
              profile + R"(","messageId":"m)" + std::to_string(++id) +
              R"(","timestamp":"2025-03-03T)" + time +
              R"(:00Z","properties":)" + properties + "}\n";
  };
  for (const std::string time : {"09:00", "10:00"}) {
    line("p1", "Product Viewed", time, R"({"sku":"s"})");
    line("p2", "Product Viewed", time, R"({"sku":"s"})");
  }
  line("p1", "Order Placed", "11:00", R"({"order_id":"o1"})");
  line("p2", "Order Placed", "12:00", R"({"order_id":"o2"})");
  testing::WriteText(scratch / "events.jsonl", events);
  std::string state = (scratch / "s.db").string();
  auto run =
      testing::RunParcours({"run", (scratch / "c").string(), "--events",
                            (scratch / "events.jsonl").string(), "--state",
                            state, "--out", (scratch / "out.jsonl").string()},
                           scratch);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  // Each dropped message keeps its own duration.
  std::string out = testing::ReadText(scratch / "out.jsonl");
  CHECK_THAT(out, Catch::Contains("`OrderPlaced` after 3600s"));
  CHECK_THAT(out, Catch::Contains("`OrderPlaced` after 7200s"));

  nlohmann::json rows = BacktestJson(state, scratch)["suppressed"];
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["reason"] == "exit");
  CHECK(rows[0]["detail"] == "goal reached: `OrderPlaced`");
  CHECK(rows[0]["count"] == 2);

  auto table =
      testing::RunParcours({"report", "backtest", "--state", state}, scratch);
  CHECK_THAT(table.out,
             Catch::Contains("  exit (goal reached: `OrderPlaced`): 2\n"));
}

// A message refused for want of consent says when and by what its
// contact revoked it; the report counts such messages by channel.
TEST_CASE("the backtest report groups messages refused for consent") {
  auto scratch = testing::ScratchDir("report-consent");
  std::filesystem::create_directories(scratch / "c");
  testing::WriteText(scratch / "c" / "promo.journey", R"(module consent_rows
event ProductViewed "Product Viewed" { sku: string }

journey promo {
  on ProductViewed
  send push "promo"
}
)");
  // Two profiles revoke push consent at different times, then view.
  std::string events;
  int id = 0;
  for (const std::string profile : {"p1", "p2"}) {
    std::string minute = profile == "p1" ? "00" : "30";
    events += R"({"type":"identify","userId":")" + profile +
              R"(","messageId":"m)" + std::to_string(++id) +
              R"(","timestamp":"2025-03-03T09:)" + minute +
              R"(:00Z","traits":{"consent":{"push":false}}})" + "\n";
  }
  for (const std::string profile : {"p1", "p2"}) {
    events += R"({"type":"track","event":"Product Viewed","userId":")" +
              profile + R"(","messageId":"m)" + std::to_string(++id) +
              R"(","timestamp":"2025-03-03T10:00:00Z",)" +
              R"("properties":{"sku":"s"}})" + "\n";
  }
  testing::WriteText(scratch / "events.jsonl", events);
  std::string state = (scratch / "s.db").string();
  auto run =
      testing::RunParcours({"run", (scratch / "c").string(), "--events",
                            (scratch / "events.jsonl").string(), "--state",
                            state, "--out", (scratch / "out.jsonl").string()},
                           scratch);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  std::string out = testing::ReadText(scratch / "out.jsonl");
  CHECK_THAT(out, Catch::Contains("push consent revoked at "
                                  "2025-03-03T09:00:00Z by m1"));
  CHECK_THAT(out, Catch::Contains("push consent revoked at "
                                  "2025-03-03T09:30:00Z by m2"));

  nlohmann::json rows = BacktestJson(state, scratch)["suppressed"];
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["reason"] == "consent");
  CHECK(rows[0]["detail"] == "push consent revoked");
  CHECK(rows[0]["count"] == 2);
}

// Proof of effect: the report sets the holdout's goal rate against the
// messaged contacts', and each split arm's against the first. Who is in
// which group is the documented stable hash, so the test knows it before
// the run and chooses who orders: a third of the messaged contacts, a
// fifth of the holdout.
TEST_CASE("the backtest report compares the holdout and the arms by goals") {
  auto scratch = testing::ScratchDir("report-lift");
  testing::WriteText(scratch / "lift.journey", R"(module lift
event Cart "Cart Updated" { cart_id: string }
event Order "Order Completed" { order_id: string }

journey rescue {
  on Cart
  holdout 20%
  goal Order within 3d
  wait 1h
  split short: 50% {
    send email "short"
  } long: 50% {
    send email "long"
  }
  wait 3d
}
)");
  std::vector<ir::SplitArm> arms(2);
  arms[0].name = "short";
  arms[0].percent = 50 * ir::kDecimalScale;
  arms[1].name = "long";
  arms[1].percent = 50 * ir::kDecimalScale;

  std::string carts;
  std::string orders;
  int64_t held[2] = {0, 0};  // contacts, goals
  int64_t messaged[2] = {0, 0};
  int64_t by_arm[2][2] = {{0, 0}, {0, 0}};  // short, long
  for (int i = 0; i < 300; ++i) {
    std::string user = "u" + std::to_string(i);
    carts += R"({"type":"track","event":"Cart Updated","userId":")" + user +
             R"(","messageId":"c)" + std::to_string(i) +
             R"(","timestamp":"2025-01-01T10:00:00Z",)" +
             R"("properties":{"cart_id":"k"}})" + "\n";
    bool in_holdout =
        engine::Bucket(user, "rescue", {"holdout"}) < 20 * ir::kDecimalScale;
    bool orders_now = in_holdout ? i % 5 == 0 : i % 3 == 0;
    if (orders_now) {
      orders += R"({"type":"track","event":"Order Completed","userId":")" +
                user + R"(","messageId":"o)" + std::to_string(i) +
                R"(","timestamp":"2025-01-02T10:00:00Z",)" +
                R"("properties":{"order_id":"o"}})" + "\n";
    }
    int64_t* group = in_holdout ? held : messaged;
    ++group[0];
    group[1] += orders_now ? 1 : 0;
    if (!in_holdout) {
      int32_t arm = engine::ChooseArm(user, "rescue", arms);
      ++by_arm[arm][0];
      by_arm[arm][1] += orders_now ? 1 : 0;
    }
  }
  REQUIRE(held[0] > 30);
  testing::WriteText(scratch / "events.jsonl", carts + orders);
  std::string state = (scratch / "state.db").string();
  auto run = testing::RunParcours(
      {"run", (scratch / "lift.journey").string(), "--events",
       (scratch / "events.jsonl").string(), "--state", state, "--out",
       (scratch / "out.jsonl").string(), "--until", "2025-01-10T00:00:00Z"},
      scratch);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);

  nlohmann::json rescue = Journey(BacktestJson(state, scratch), "rescue");
  CHECK(rescue["holdout"] == held[0]);
  CHECK(rescue["holdout_goals"] == held[1]);
  CHECK(rescue["entered"] == held[0] + messaged[0]);
  CHECK(rescue["goals"] == held[1] + messaged[1]);
  const nlohmann::json& split = rescue["splits"][0];
  CHECK(split["split"] == "split1");
  // In the order of their names: long, then short.
  CHECK(split["arms"][0]["arm"] == "long");
  CHECK(split["arms"][0]["contacts"] == by_arm[1][0]);
  CHECK(split["arms"][0]["goals"] == by_arm[1][1]);
  CHECK(split["arms"][1]["arm"] == "short");
  CHECK(split["arms"][1]["contacts"] == by_arm[0][0]);
  CHECK(split["arms"][1]["goals"] == by_arm[0][1]);

  // The difference of the two rates and its 95% interval.
  double rate_messaged = static_cast<double>(messaged[1]) / messaged[0];
  double rate_held = static_cast<double>(held[1]) / held[0];
  double spread = std::sqrt(rate_messaged * (1 - rate_messaged) / messaged[0] +
                            rate_held * (1 - rate_held) / held[0]);
  const nlohmann::json& difference = rescue["holdout_difference"];
  CHECK(difference["points"].get<double>() ==
        Approx(100 * (rate_messaged - rate_held)));
  CHECK(difference["low"].get<double>() ==
        Approx(100 * (rate_messaged - rate_held - 1.96 * spread)));
  CHECK(difference["high"].get<double>() ==
        Approx(100 * (rate_messaged - rate_held + 1.96 * spread)));

  auto table =
      testing::RunParcours({"report", "backtest", "--state", state}, scratch);
  CHECK_THAT(table.out,
             Catch::Contains("Holdouts: goal rate of the contacts messaged "
                             "and of the holdout") &&
                 Catch::Contains("Splits: goal rate by arm"));
}

}  // namespace
}  // namespace parcours
