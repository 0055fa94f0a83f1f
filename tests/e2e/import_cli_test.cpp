// `parcours import csv` as a user runs it: the shipped mappings on real
// data, checked against the committed UCI events and against counts that
// the sqlite3 shell computes from the same CSV files on its own.
#include <catch2/catch.hpp>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

using testing::RunParcours;
using testing::ShellQuote;

std::string Example(const std::string& path) {
  return (testing::SourceDir() / "examples" / path).string();
}

// Standard output of a shell command; fails the test when it fails.
std::string Shell(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  size_t read = 0;
  while ((read = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    output.append(buffer, read);
  }
  int status = ::pclose(pipe);
  INFO(command);
  REQUIRE(status == 0);
  return output;
}

// "key|count" lines from the sqlite3 shell, over `csv` loaded as table t.
std::map<std::string, int64_t> SqlCounts(const std::string& csv,
                                         const std::string& query) {
  std::string output = Shell("sqlite3 :memory: -cmd " +
                             ShellQuote(".import --csv " + csv + " t") + " " +
                             ShellQuote(query));
  std::map<std::string, int64_t> counts;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    size_t bar = line.rfind('|');
    REQUIRE(bar != std::string::npos);
    counts[line.substr(0, bar)] = std::stoll(line.substr(bar + 1));
  }
  return counts;
}

std::vector<nlohmann::json> ParseLines(const std::string& text) {
  std::vector<nlohmann::json> events;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line))
    events.push_back(nlohmann::json::parse(line));
  return events;
}

struct Imported {
  testing::ProcessResult process;
  std::vector<nlohmann::json> events;
};

Imported ImportExample(const std::string& mapping, const std::string& csv,
                       const std::string& name) {
  auto scratch = testing::ScratchDir("import-" + name);
  auto out = scratch / "events.jsonl";
  auto dead = scratch / "dead.jsonl";
  Imported imported;
  imported.process =
      RunParcours({"import", "csv", "--mapping", Example(mapping), Example(csv),
                   "--out", out.string(), "--dead-letters", dead.string()},
                  scratch);
  INFO(imported.process.err);
  REQUIRE(imported.process.exit_code == 0);
  CHECK(testing::ReadText(dead).empty());
  imported.events = ParseLines(testing::ReadText(out));
  return imported;
}

std::map<std::string, int64_t> CountBy(
    const std::vector<nlohmann::json>& events, const std::string& key) {
  std::map<std::string, int64_t> counts;
  for (const auto& event : events) ++counts[event[key].get<std::string>()];
  return counts;
}

TEST_CASE("UCI: the mapping reproduces the committed sample byte for byte") {
  // Every row of the export for the 150 customers of events-small.jsonl,
  // as the export writes them (examples/uci-online-retail/README.md says
  // how the slice was cut and how to rebuild events.jsonl from the whole
  // export).
  auto data = testing::SourceDir() /
              "examples/uci-online-retail/sample-150-customers.csv.gz";
  auto scratch = testing::ScratchDir("import-uci");
  auto csv = scratch / "online-retail.csv";
  Shell("gzip -dc " + ShellQuote(data.string()) + " > " +
        ShellQuote(csv.string()));
  auto out = scratch / "events-small.jsonl";

  auto result = RunParcours(
      {"import", "csv", "--mapping", Example("uci-online-retail/mapping.json"),
       "-", "--out", out.string()},
      scratch, csv.string());
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.err ==
        "rows read: 45068\n"
        "events written: 2744 (2594 track, 150 identify)\n"
        "rows skipped by filter: 0\n"
        "bad rows: 0\n");
  CHECK(testing::ReadText(out) ==
        testing::ReadText(Example("uci-online-retail/events-small.jsonl")));

  // --first-users keeps the first customers' events, all of them.
  auto first = scratch / "first-20.jsonl";
  auto cut = RunParcours(
      {"import", "csv", "--mapping", Example("uci-online-retail/mapping.json"),
       "-", "--out", first.string(), "--first-users", "20"},
      scratch, csv.string());
  REQUIRE(cut.exit_code == 0);
  std::set<std::string> users;
  std::istringstream lines(testing::ReadText(first));
  for (std::string line; std::getline(lines, line);) {
    users.insert(nlohmann::json::parse(line)["userId"].get<std::string>());
  }
  CHECK(users.size() == 20);
}

TEST_CASE("Taobao sample: one event per row, by behaviour type") {
  std::string csv = Example("taobao-user-behavior/sample.csv");
  auto imported = ImportExample("taobao-user-behavior/mapping.json",
                                "taobao-user-behavior/sample.csv", "taobao");
  auto expected =
      SqlCounts(csv, "SELECT behavior_type, count(*) FROM t GROUP BY 1");
  auto events = CountBy(imported.events, "event");
  CHECK(events["Product Viewed"] == expected["pv"]);
  CHECK(events["Product Added"] == expected["cart"]);
  CHECK(events["Product Added to Wishlist"] == expected["fav"]);
  CHECK(events["Product Purchased"] == expected["buy"]);
  CHECK(events.size() == 4);

  auto users = SqlCounts(csv, "SELECT 'users', count(DISTINCT user_id) FROM t");
  CHECK(static_cast<int64_t>(CountBy(imported.events, "userId").size()) ==
        users["users"]);
  // No two rows are identical, so no two hashed messageIds may be.
  auto distinct =
      SqlCounts(csv, "SELECT 'rows', count(*) FROM (SELECT DISTINCT * FROM t)");
  CHECK(static_cast<int64_t>(CountBy(imported.events, "messageId").size()) ==
        distinct["rows"]);
  CHECK_THAT(imported.process.err,
             Catch::Contains("rows read: " + std::to_string(distinct["rows"])));
}

TEST_CASE("REES46 sample: events, optional brands and prices in cents") {
  std::string csv = Example("rees46-multi-category-store/sample.csv");
  auto imported =
      ImportExample("rees46-multi-category-store/mapping.json",
                    "rees46-multi-category-store/sample.csv", "rees46");
  auto expected =
      SqlCounts(csv, "SELECT event_type, count(*) FROM t GROUP BY 1");
  auto events = CountBy(imported.events, "event");
  CHECK(events["Product Viewed"] == expected["view"]);
  CHECK(events["Product Added"] == expected["cart"]);
  CHECK(events["Product Purchased"] == expected["purchase"]);

  auto sql = SqlCounts(
      csv,
      "SELECT 'branded', count(*) FROM t WHERE brand <> '' UNION ALL "
      "SELECT 'cents', sum(CAST(round(price * 100) AS INTEGER)) FROM t");
  int64_t branded = 0;
  int64_t cents = 0;
  for (const auto& event : imported.events) {
    const auto& properties = event["properties"];
    if (properties.contains("brand")) ++branded;
    cents += std::llround(properties["price"].get<double>() * 100);
    CHECK(properties["currency"] == "USD");
  }
  CHECK(branded == sql["branded"]);
  CHECK(cents == sql["cents"]);
}

TEST_CASE("Complete Journey sample: one order per basket, exact totals") {
  std::string csv =
      Example("dunnhumby-complete-journey/transactions_sample.csv");
  auto imported = ImportExample(
      "dunnhumby-complete-journey/transactions-mapping.json",
      "dunnhumby-complete-journey/transactions_sample.csv", "dunnhumby");
  auto lines = SqlCounts(csv, "SELECT basket_id, count(*) FROM t GROUP BY 1");
  auto cents = SqlCounts(
      csv,
      "SELECT basket_id, CAST(round(sum(sales_value) * 100) AS INTEGER) "
      "FROM t GROUP BY 1");
  REQUIRE(imported.events.size() == lines.size());
  for (const auto& event : imported.events) {
    std::string basket = event["properties"]["order_id"];
    CHECK(event["properties"]["items"].get<int64_t>() == lines[basket]);
    CHECK(std::llround(event["properties"]["total"].get<double>() * 100) ==
          cents[basket]);
  }
}

TEST_CASE("Complete Journey coupon redemptions: one event per row") {
  std::string csv =
      Example("dunnhumby-complete-journey/coupon_redemptions.csv");
  auto imported = ImportExample(
      "dunnhumby-complete-journey/coupon-redemptions-mapping.json",
      "dunnhumby-complete-journey/coupon_redemptions.csv", "coupons");
  auto expected =
      SqlCounts(csv, "SELECT campaign_id, count(*) FROM t GROUP BY 1");
  std::map<std::string, int64_t> campaigns;
  for (const auto& event : imported.events) {
    ++campaigns[event["properties"]["campaign_id"].get<std::string>()];
    // A redemption date is midnight in the stores' zone (UTC-5 in winter,
    // UTC-4 in summer).
    std::string time = event["timestamp"];
    CHECK((time.substr(10) == "T05:00:00Z" || time.substr(10) == "T04:00:00Z"));
  }
  CHECK(campaigns == expected);
}

TEST_CASE("REES46 sample: imported events run, the same in both engines") {
  auto scratch = testing::ScratchDir("import-run");
  auto events = scratch / "events.jsonl";
  auto imported =
      RunParcours({"import", "csv", "--mapping",
                   Example("rees46-multi-category-store/mapping.json"),
                   Example("rees46-multi-category-store/sample.csv"), "--out",
                   events.string()},
                  scratch);
  REQUIRE(imported.exit_code == 0);
  auto journey = scratch / "shop.journey";
  testing::WriteText(journey,
                     "module shop\n\n"
                     "event Purchased \"Product Purchased\" {\n"
                     "  sku: string\n  price: money\n  session: string\n}\n\n"
                     "journey thank_buyer {\n  on Purchased as order\n"
                     "  send email \"thanks\"\n}\n");
  auto purchases = SqlCounts(
      Example("rees46-multi-category-store/sample.csv"),
      "SELECT 'purchases', count(*) FROM t WHERE event_type = 'purchase'");

  std::string actions[2];
  const char* engines[] = {"interp", "jit"};
  for (int i = 0; i < 2; ++i) {
    auto out = scratch / (std::string(engines[i]) + ".jsonl");
    auto run = RunParcours(
        {"run", journey.string(), "--events", events.string(), "--state",
         (scratch / (std::string(engines[i]) + ".db")).string(), "--out",
         out.string(), "--engine", engines[i]},
        scratch);
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK_THAT(run.err, Catch::Contains("0 dead letters"));
    actions[i] = testing::ReadText(out);
  }
  CHECK(actions[0] == actions[1]);
  CHECK(static_cast<int64_t>(ParseLines(actions[0]).size()) ==
        purchases["purchases"]);
}

TEST_CASE("import csv says why its dead-letter file could not be written") {
  auto scratch = testing::ScratchDir("import-dead-letters-full");
  auto mapping = scratch / "mapping.json";
  testing::WriteText(mapping, R"({"event": "Signed In", "user_id": "id",
      "timestamp": {"column": "at", "format": "epoch_seconds"}})");
  // One bad row, whose letter waits in the buffer until the end; and
  // many, which fill the buffer and fail in the middle of the import.
  std::string many = "id,at\n";
  for (int i = 0; i < 20000; ++i) many += ",11\n";
  testing::WriteText(scratch / "one.csv", "id,at\n,11\nu1,12\n");
  testing::WriteText(scratch / "many.csv", many + "u1,12\n");

  for (const char* csv : {"one.csv", "many.csv"}) {
    INFO(csv);
    auto imported =
        RunParcours({"import", "csv", "--mapping", mapping.string(),
                     (scratch / csv).string(), "--dead-letter", "/dev/full",
                     "--out", (scratch / "events.jsonl").string()},
                    scratch);
    CHECK(imported.exit_code == 1);
    CHECK_THAT(imported.err,
               Catch::EndsWith("parcours: cannot write the dead-letter file "
                               "`/dev/full`: No space left on device; the "
                               "bad rows are not all in it\n"));
  }
}

// `run` spelt the option `--dead-letter` and `import csv` `--dead-letters`;
// a script that used one spelling with the other command was refused.
TEST_CASE("run and import csv both take --dead-letter and --dead-letters") {
  auto scratch = testing::ScratchDir("dead-letter-spellings");
  auto mapping = scratch / "mapping.json";
  testing::WriteText(mapping, R"({"event": "Signed In", "user_id": "id",
      "timestamp": {"column": "at", "format": "epoch_seconds"}})");
  auto csv = scratch / "in.csv";
  testing::WriteText(csv, "id,at\n,11\n");
  auto program = scratch / "p.journey";
  testing::WriteText(program, "event SignedIn \"Signed In\" {}\n");
  auto events = scratch / "events.jsonl";
  testing::WriteText(events, "not json\n");

  for (const char* spelling : {"--dead-letter", "--dead-letters"}) {
    auto imported_dead = scratch / (std::string(spelling) + "-import.jsonl");
    auto run_dead = scratch / (std::string(spelling) + "-run.jsonl");

    auto imported =
        RunParcours({"import", "csv", "--mapping", mapping.string(),
                     csv.string(), spelling, imported_dead.string()},
                    scratch);
    auto ran = RunParcours(
        {"run", program.string(), "--events", events.string(), "--state",
         (scratch / (std::string(spelling) + ".db")).string(), spelling,
         run_dead.string()},
        scratch);

    INFO(spelling << "\n" << imported.err << ran.err);
    CHECK(imported.exit_code == 0);
    CHECK_THAT(testing::ReadText(imported_dead),
               Catch::Contains("the user id (column id) is empty"));
    CHECK(ran.exit_code == 0);
    CHECK_THAT(testing::ReadText(run_dead),
               Catch::StartsWith("{\"line\":1,\"reason\":\"not JSON"));
  }
}

TEST_CASE("import: bad rows go to the dead letters, the summary counts") {
  auto scratch = testing::ScratchDir("import-bad");
  auto mapping = scratch / "mapping.json";
  testing::WriteText(mapping, R"({"event": "Signed In", "user_id": "id",
      "timestamp": {"column": "at", "format": "epoch_seconds"},
      "message_id": "m-{at}"})");
  auto csv = scratch / "in.csv";
  testing::WriteText(csv, "id,at\np1,10\n,11\np2,later\np3\n");
  auto dead = scratch / "dead.jsonl";

  auto kept = RunParcours({"import", "csv", "--mapping", mapping.string(), "-",
                           "--dead-letters", dead.string()},
                          scratch, csv.string());
  CHECK(kept.exit_code == 0);
  CHECK(kept.out == R"({"type":"track","event":"Signed In","userId":"p1",)"
                    R"("messageId":"m-10","timestamp":"1970-01-01T00:00:10Z",)"
                    R"("properties":{}})"
                    "\n");
  CHECK(kept.err ==
        "rows read: 4\nevents written: 1 (1 track, 0 identify)\n"
        "rows skipped by filter: 0\nbad rows: 3\n");
  CHECK(testing::ReadText(dead) ==
        R"({"line":3,"reason":"the user id (column id) is empty",)"
        R"("record":",11"})"
        "\n"
        R"({"line":4,"reason":"column at: \"later\" not a whole number of )"
        R"(seconds since 1970","record":"p2,later"})"
        "\n"
        R"({"line":5,"reason":"has 1 field; the header has 2",)"
        R"("record":"p3"})"
        "\n");

  // Without a dead-letter file the reasons go to stderr, and the exit
  // status says that rows were not kept.
  auto lost = RunParcours(
      {"import", "csv", "--mapping", mapping.string(), csv.string()}, scratch);
  CHECK(lost.exit_code == 1);
  CHECK_THAT(lost.err,
             Catch::Contains(csv.string() + ":3: bad row: the user id (column "
                                            "id) is empty"));
  CHECK_THAT(lost.err,
             Catch::Contains("bad rows are not kept without --dead-letter"));
}

// The reasons printed without a dead-letter file quote the cells: a
// control character in one reached the terminal as it was, and a line
// break in a quoted cell split a row's reason over two lines.
TEST_CASE("import: bad rows on stderr show their cells escaped") {
  auto scratch = testing::ScratchDir("import-visible-text");
  auto mapping = scratch / "mapping.json";
  testing::WriteText(mapping, R"({"event": "Signed In", "user_id": "id",
      "timestamp": {"column": "at", "format": "epoch_seconds"},
      "message_id": "m-{at}"})");
  auto csv = scratch / "in.csv";
  testing::WriteText(csv, "id,at\np1,\"1\x1b]0;own\x07\nforged\"\n");

  auto lost = RunParcours(
      {"import", "csv", "--mapping", mapping.string(), csv.string()}, scratch);
  INFO(lost.err);
  CHECK(lost.exit_code == 1);
  CHECK(lost.err.find('\x1b') == std::string::npos);
  CHECK(lost.err.find('\x07') == std::string::npos);
  CHECK_THAT(lost.err, !Catch::Contains("\nforged"));
  CHECK_THAT(lost.err, Catch::Contains(":2: bad row: column at: "
                                       "\"1\\u001b]0;own\\u0007\\nforged\""));
}

TEST_CASE("import: usage and mapping mistakes are explained") {
  auto scratch = testing::ScratchDir("import-usage");
  auto no_mapping = RunParcours({"import", "csv", "x.csv"}, scratch);
  CHECK(no_mapping.exit_code == 2);
  CHECK_THAT(no_mapping.err, Catch::Contains("`--mapping` is required"));

  auto other = RunParcours({"import", "xlsx"}, scratch);
  CHECK(other.exit_code == 2);
  CHECK_THAT(other.err, Catch::Contains("`import` reads one format: csv"));

  auto mapping = scratch / "typo.json";
  testing::WriteText(mapping, R"({"event": "E", "user_id": "id",
      "timestamp": {"column": "at", "format": "epoch_second"}})");
  auto csv = scratch / "in.csv";
  testing::WriteText(csv, "id,at\n");
  auto typo = RunParcours(
      {"import", "csv", "--mapping", mapping.string(), csv.string()}, scratch);
  CHECK(typo.exit_code == 1);
  CHECK(typo.err == mapping.string() +
                        ":2:37: timestamp.format: the time format needs %Y, %m "
                        "and %d\n");

  testing::WriteText(mapping, "{\"event\": \"E\",\n  \"user_id\": }");
  auto syntax = RunParcours(
      {"import", "csv", "--mapping", mapping.string(), csv.string()}, scratch);
  CHECK(syntax.exit_code == 1);
  CHECK_THAT(syntax.err,
             Catch::StartsWith(mapping.string() + ":2:14: not valid JSON"));

  auto missing = RunParcours({"import", "csv", "--mapping", mapping.string(),
                              (scratch / "absent.csv").string()},
                             scratch);
  CHECK(missing.exit_code == 1);
}

TEST_CASE("import: an output that is the input is refused before opening") {
  auto scratch = testing::ScratchDir("import-same");
  auto mapping = scratch / "m.json";
  testing::WriteText(mapping, R"({"event": "E", "user_id": "id",
      "timestamp": {"column": "at", "format": "epoch_seconds"}})");
  auto csv = scratch / "in.csv";
  testing::WriteText(csv, "id,at\na,1\n");
  auto result =
      RunParcours({"import", "csv", "--mapping", mapping.string(), csv.string(),
                   "--out", (scratch / "." / "in.csv").string()},
                  scratch);
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("`--out` must not be the input file"));
  CHECK(testing::ReadText(csv) == "id,at\na,1\n");

  auto both = RunParcours(
      {"import", "csv", "--mapping", mapping.string(), csv.string(), "--out",
       (scratch / "x").string(), "--dead-letters", (scratch / "x").string()},
      scratch);
  CHECK(both.exit_code == 2);
  CHECK_THAT(both.err, Catch::Contains("must be different files"));

  // Both outputs thrown away is no clash: /dev/null keeps nothing.
  auto discarded =
      RunParcours({"import", "csv", "--mapping", mapping.string(), csv.string(),
                   "--out", "/dev/null", "--dead-letter", "/dev/null"},
                  scratch);
  INFO(discarded.err);
  CHECK(discarded.exit_code == 0);
}

// A full disk stopped the import, yet the summary still said "events
// written: 3", and the error did not say why the write failed.
TEST_CASE("import: a failed write claims no events and says why") {
  auto scratch = testing::ScratchDir("import-full-disk");
  auto mapping = scratch / "m.json";
  testing::WriteText(mapping, R"({"event": "E", "user_id": "id",
      "timestamp": {"column": "at", "format": "epoch_seconds"}})");
  auto csv = scratch / "in.csv";
  testing::WriteText(csv, "id,at\na,1\nb,2\nc,3\n");
  auto result = RunParcours({"import", "csv", "--mapping", mapping.string(),
                             csv.string(), "--out", "/dev/full"},
                            scratch);
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Catch::Contains("cannot write the events: No space "
                                         "left on device"));
  CHECK_THAT(result.err, !Catch::Contains("events written: 3"));
  CHECK_THAT(result.err, Catch::Contains("events written: none"));
}

TEST_CASE("import: a folder as input is a read error, not a crash") {
  auto scratch = testing::ScratchDir("import-folder");
  auto mapping = scratch / "m.json";
  testing::WriteText(mapping, R"({"event": "E", "user_id": "id",
      "timestamp": {"column": "at", "format": "epoch_seconds"}})");
  auto result = RunParcours(
      {"import", "csv", "--mapping", mapping.string(), scratch.string()},
      scratch);
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Catch::Contains("cannot read the input"));
}

// A file that is missing or a folder was "cannot open x", a C++ library
// message ("basic_filebuf::underflow"), or for the mapping "not valid
// JSON": none said what to fix.
TEST_CASE("import: a file it cannot read or write says which and why") {
  auto scratch = testing::ScratchDir("import-files");
  auto mapping = (scratch / "m.json").string();
  testing::WriteText(mapping, R"({"event": "E", "user_id": "id",
      "timestamp": {"column": "at", "format": "epoch_seconds"}})");
  auto csv = (scratch / "in.csv").string();
  testing::WriteText(csv, "id,at\na,1\n");
  auto absent = (scratch / "absent").string();
  auto import = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"import", "csv"});
    return RunParcours(args, scratch);
  };

  auto missing_csv = import({"--mapping", mapping, absent});
  CHECK(missing_csv.exit_code == 1);
  CHECK(missing_csv.err == "parcours: cannot read the input `" + absent +
                               "`: No such file or directory\n");

  auto folder_csv = import({"--mapping", mapping, scratch.string()});
  CHECK(folder_csv.exit_code == 1);
  CHECK(folder_csv.err == "parcours: cannot read the input `" +
                              scratch.string() +
                              "`: it is a folder; name a file in it\n");

  auto missing_mapping = import({"--mapping", absent, csv});
  CHECK(missing_mapping.exit_code == 1);
  CHECK(missing_mapping.err == "parcours: cannot read the mapping `" + absent +
                                   "`: No such file or directory\n");

  auto folder_mapping = import({"--mapping", scratch.string(), csv});
  CHECK(folder_mapping.exit_code == 1);
  CHECK_THAT(folder_mapping.err, Catch::Contains("it is a folder"));
  CHECK_THAT(folder_mapping.err, !Catch::Contains("not valid JSON"));

  auto out_nowhere = import(
      {"--mapping", mapping, csv, "--out", (scratch / "no" / "x").string()});
  CHECK(out_nowhere.exit_code == 1);
  CHECK(out_nowhere.err == "parcours: cannot write the events file `" +
                               (scratch / "no" / "x").string() +
                               "`: No such file or directory\n");

  auto letters_folder =
      import({"--mapping", mapping, csv, "--dead-letter", scratch.string()});
  CHECK(letters_folder.exit_code == 1);
  CHECK(letters_folder.err == "parcours: cannot write the dead-letter file `" +
                                  scratch.string() + "`: Is a directory\n");
}

}  // namespace
}  // namespace parcours
