// `parcours run --out` to a webhook and to a SQLite outbox: the actions of
// the example campaign reach them exactly as they reach a file. The
// webhook is served by the test on the loopback interface; each action
// arrives once per idempotency key, through retries and a failed run.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/sinks/webhook_sink.h"
#include "runtime/store/sqlite.h"
#include "tests/support/files.h"
#include "tests/support/process.h"
#include "tests/support/scripted_http_server.h"

namespace parcours {
namespace {

using testing::HttpRequest;
using testing::RunParcours;
using testing::ScriptedServer;

const std::string& kCampaign = testing::kUciCampaign;
const std::string& kSmallEvents = testing::kUciSmallEvents;

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The bodies the server saw, one per idempotency key, in the order each
// key first arrived; every repeat of a key must carry the same body.
std::vector<std::string> DistinctBodies(
    const std::vector<HttpRequest>& requests) {
  std::map<std::string, std::string> seen;
  std::vector<std::string> bodies;
  for (const HttpRequest& request : requests) {
    auto [at, is_new] = seen.emplace(request.idempotency_key, request.body);
    if (is_new) {
      bodies.push_back(request.body);
    } else {
      CHECK(at->second == request.body);
    }
  }
  return bodies;
}

std::vector<std::string> ReferenceActions(
    const std::filesystem::path& scratch) {
  auto result = RunParcours({"run", kCampaign, "--events", kSmallEvents,
                             "--state", (scratch / "reference.db").string(),
                             "--out", (scratch / "reference.jsonl").string()},
                            scratch);
  REQUIRE(result.exit_code == 0);
  std::vector<std::string> lines =
      SplitLines(testing::ReadText(scratch / "reference.jsonl"));
  REQUIRE(lines.size() > 100);
  return lines;
}

TEST_CASE("a webhook receives every action once, keyed, through retries") {
  auto scratch = testing::ScratchDir("webhook-retries");
  std::vector<std::string> reference = ReferenceActions(scratch);
  ScriptedServer server({"503", "200", "429 Retry-After: 0", "502"});
  ::setenv("PARCOURS_WEBHOOK_AUTHORIZATION", "Bearer e2e", 1);

  auto result =
      RunParcours({"run", kCampaign, "--events", kSmallEvents, "--state",
                   (scratch / "hook.db").string(), "--out", server.url()},
                  scratch);
  ::unsetenv("PARCOURS_WEBHOOK_AUTHORIZATION");

  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  std::vector<HttpRequest> requests = server.requests();
  // Three answers failed, so three requests were repeats.
  CHECK(requests.size() == reference.size() + 3);
  CHECK(DistinctBodies(requests) == reference);
  CHECK(requests.front().authorization == "Bearer e2e");
  CHECK(requests.front().idempotency_key ==
        sinks::IdempotencyKey(reference.front()));
}

TEST_CASE(
    "after a webhook refuses an action, the next run delivers the "
    "rest and loses nothing") {
  auto scratch = testing::ScratchDir("webhook-refused");
  std::vector<std::string> reference = ReferenceActions(scratch);
  std::string state = (scratch / "hook.db").string();

  std::vector<HttpRequest> first_requests;
  {
    // The fifth action is refused as malformed: no retry can fix that, so
    // the run stops with an error.
    ScriptedServer server({"200", "200", "200", "200", "400"});
    auto result = RunParcours({"run", kCampaign, "--events", kSmallEvents,
                               "--state", state, "--out", server.url()},
                              scratch);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("answered HTTP 400"));
    CHECK_THAT(result.err, Catch::Contains("which retrying cannot fix"));
    first_requests = server.requests();
  }
  REQUIRE(first_requests.size() == 5);

  ScriptedServer server({});
  auto rerun = RunParcours({"run", kCampaign, "--events", kSmallEvents,
                            "--state", state, "--out", server.url()},
                           scratch);
  INFO(rerun.err);
  REQUIRE(rerun.exit_code == 0);

  // The rerun starts again from the batch that was not recorded as
  // delivered, so the four delivered actions come again with the same
  // keys, and then every other action once.
  std::vector<HttpRequest> all = first_requests;
  for (const HttpRequest& request : server.requests()) all.push_back(request);
  CHECK(DistinctBodies(all) == reference);
  CHECK(server.requests().size() == reference.size());
}

// A journey that sends one email per `Ping`, and `count` pings at the same
// time, so that their actions make one batch.
void WritePings(const std::filesystem::path& scratch, int count) {
  testing::WriteText(scratch / "ping.journey",
                     "profile { timezone: tz = \"UTC\", email: string = "
                     "\"a@b.c\" }\n"
                     "event Ping \"Ping\" { n: int }\n"
                     "journey j {\n"
                     "  on Ping as p\n"
                     "  send email \"now\" with { n: p.n }\n"
                     "}\n");
  std::string events;
  for (int i = 0; i < count; ++i) {
    std::string n = std::to_string(i);
    events += "{\"type\":\"track\",\"event\":\"Ping\",\"userId\":\"u" + n +
              "\",\"messageId\":\"m" + n +
              "\",\"timestamp\":\"2025-01-01T10:00:00Z\","
              "\"properties\":{\"n\":" +
              n + "}}\n";
  }
  testing::WriteText(scratch / "pings.jsonl", events);
}

TEST_CASE(
    "a webhook that takes the first actions of a batch and refuses one is "
    "counted as having taken them") {
  auto scratch = testing::ScratchDir("webhook-partly-taken");
  WritePings(scratch, 10);
  std::vector<std::string> state_args = {"--state",
                                         (scratch / "hook.db").string()};
  SECTION("one state file") {}
  SECTION("three partitions") {
    state_args = {"--state", (scratch / "parts").string(), "--partitions", "3"};
  }

  ScriptedServer server({"200", "200", "400"});
  std::vector<std::string> args = {
      "run",      (scratch / "ping.journey").string(),
      "--events", (scratch / "pings.jsonl").string(),
      "--out",    server.url()};
  args.insert(args.end(), state_args.begin(), state_args.end());
  auto result = RunParcours(args, scratch);

  // The receiver answered 2xx to two actions before it refused the third;
  // the batch is not recorded as delivered, so all ten go again.
  INFO(result.err);
  CHECK(result.exit_code == 2);
  REQUIRE(server.requests().size() == 3);
  CHECK_THAT(result.err, Catch::Contains("decided 10 actions, delivered 2 "));
  CHECK_THAT(result.err, !Catch::Contains("delivered 0"));
  CHECK_THAT(result.err,
             Catch::Contains("the receiver took the first 2 of them"));
  CHECK_THAT(result.err, Catch::Contains("same idempotency keys"));

  ScriptedServer again({});
  args[5] = again.url();
  auto rerun = RunParcours(args, scratch);
  INFO(rerun.err);
  CHECK(rerun.exit_code == 0);
  CHECK_THAT(rerun.err, Catch::Contains("re-sent 10 actions"));
  std::vector<HttpRequest> resent = again.requests();
  REQUIRE(resent.size() == 10);
  std::vector<HttpRequest> first = server.requests();
  CHECK(resent[0].idempotency_key == first[0].idempotency_key);
  CHECK(resent[1].idempotency_key == first[1].idempotency_key);
}

TEST_CASE("credentials written in a webhook URL stay out of messages") {
  auto scratch = testing::ScratchDir("webhook-credentials");
  std::string state = (scratch / "hook.db").string();
  ScriptedServer server({"400"});
  std::string url = "http://marketer:s3cret@" +
                    server.url().substr(std::string("http://").size());

  auto result = RunParcours({"run", kCampaign, "--events", kSmallEvents,
                             "--state", state, "--out", url},
                            scratch);

  // The server was asked with the credentials; no message repeats them,
  // neither on the terminal nor in the state file's log.
  CHECK(result.exit_code == 2);
  REQUIRE(server.requests().size() == 1);
  CHECK_THAT(result.err, Catch::Contains("webhook `http://***@127.0.0.1:"));
  CHECK_THAT(result.err, !Catch::Contains("s3cret"));
  CHECK_THAT(result.out, !Catch::Contains("s3cret"));
  for (const auto& entry : std::filesystem::directory_iterator(scratch)) {
    INFO(entry.path());
    CHECK(testing::ReadText(entry.path()).find("s3cret") == std::string::npos);
  }
}

TEST_CASE("an actions file that cannot be written says why") {
  auto scratch = testing::ScratchDir("out-reasons");
  std::string missing = (scratch / "no-such-folder" / "a.jsonl").string();
  auto no_folder =
      RunParcours({"run", kCampaign, "--events", kSmallEvents, "--state",
                   (scratch / "a.db").string(), "--out", missing},
                  scratch);
  CHECK(no_folder.exit_code == 2);
  CHECK_THAT(no_folder.err,
             Catch::Contains(
                 "cannot write actions file `" + missing + "`: the folder `" +
                 (scratch / "no-such-folder").string() + "` does not exist"));

  // Every write to /dev/full fails as on a full disk.
  auto full =
      RunParcours({"run", kCampaign, "--events", kSmallEvents, "--state",
                   (scratch / "b.db").string(), "--out", "/dev/full"},
                  scratch);
  CHECK(full.exit_code == 2);
  CHECK_THAT(full.err,
             Catch::Contains("could not write actions to file `/dev/full`: "
                             "No space left on device"));
}

TEST_CASE("a SQLite outbox holds the same actions as a file, in order") {
  auto scratch = testing::ScratchDir("sqlite-outbox");
  std::vector<std::string> reference = ReferenceActions(scratch);
  std::string outbox = (scratch / "actions.db").string();

  auto result =
      RunParcours({"run", kCampaign, "--events", kSmallEvents, "--state",
                   (scratch / "s.db").string(), "--out", "sqlite:" + outbox},
                  scratch);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);

  auto db = store::Database::Open(outbox);
  REQUIRE(db.ok());
  auto rows = db->Prepare("SELECT line FROM actions ORDER BY seq");
  REQUIRE(rows.ok());
  std::vector<std::string> lines;
  while (*rows->Step()) lines.push_back(rows->Text(0));
  CHECK(lines == reference);
}

// The advice for a file of other bytes named as the outbox is about the
// outbox: it once told the user to "start a state".
TEST_CASE("an outbox path naming a file of other bytes is refused") {
  auto scratch = testing::ScratchDir("sqlite-outbox-not-sqlite");
  std::string outbox = (scratch / "actions.db").string();
  testing::WriteText(outbox, "hello, not a database\n");

  auto result =
      RunParcours({"run", kCampaign, "--events", kSmallEvents, "--state",
                   (scratch / "s.db").string(), "--out", "sqlite:" + outbox},
                  scratch);
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("actions database `" + outbox +
                                         "`: file is not a database (it is "
                                         "not a SQLite file"));
  CHECK_THAT(result.err, !Catch::Contains("state"));
  CHECK(testing::ReadText(outbox) == "hello, not a database\n");
}

TEST_CASE(
    "two campaigns with a journey of one name share an outbox and "
    "lose nothing") {
  auto scratch = testing::ScratchDir("shared-outbox");
  std::string outbox = "sqlite:" + (scratch / "actions.db").string();
  auto write_campaign = [&](const std::string& name,
                            const std::string& template_name) {
    auto path = scratch / (name + ".journey");
    testing::WriteText(path,
                       "event Signup \"Signed Up\" { plan: string? }\n"
                       "journey welcome {\n  on Signup\n"
                       "  send email \"" +
                           template_name + "\"\n}\n");
    return path.string();
  };
  auto events = scratch / "events.jsonl";
  testing::WriteText(events,
                     R"({"type":"track","event":"Signed Up","userId":"p1",)"
                     R"("messageId":"m1","timestamp":"2025-03-01T10:00:00Z"})"
                     "\n");

  for (const auto& [name, template_name] :
       {std::pair{"spring", "welcome_spring"},
        std::pair{"summer", "welcome_summer"}}) {
    auto result = RunParcours(
        {"run", write_campaign(name, template_name), "--events",
         events.string(), "--state",
         (scratch / (std::string(name) + ".db")).string(), "--out", outbox},
        scratch);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
  }

  auto db = store::Database::Open((scratch / "actions.db").string());
  REQUIRE(db.ok());
  auto templates = db->QueryText(
      "SELECT group_concat(json_extract(line, '$.template'), ' ') FROM "
      "(SELECT line FROM actions ORDER BY seq)");
  REQUIRE(templates.ok());
  CHECK(*templates == "welcome_spring welcome_summer");
}

TEST_CASE("an --out that would lose actions or spoil a file is refused") {
  auto scratch = testing::ScratchDir("sink-refusals");
  std::string state = (scratch / "s.db").string();
  auto run_to = [&](const std::string& out) {
    return RunParcours({"run", kCampaign, "--events", kSmallEvents, "--state",
                        (scratch / "run.db").string(), "--out", out},
                       scratch);
  };

  // sqlite: with no file (an unset variable), an in-memory name, a URL.
  for (const std::string& out :
       {std::string("sqlite:"), std::string("sqlite::memory:"),
        std::string("sqlite://x.db")}) {
    auto result = run_to(out);
    INFO(out);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("name a file"));
  }

  // A state file is not an outbox, nor a file of JSON lines.
  REQUIRE(RunParcours({"run", kCampaign, "--events", kSmallEvents, "--state",
                       state, "--out", (scratch / "a.jsonl").string()},
                      scratch)
              .exit_code == 0);
  auto as_outbox = run_to("sqlite:" + state);
  CHECK(as_outbox.exit_code == 2);
  CHECK_THAT(as_outbox.err, Catch::Contains("holds other tables"));
  auto as_lines = run_to(state);
  CHECK(as_lines.exit_code == 2);
  CHECK_THAT(as_lines.err, Catch::Contains("it is a SQLite database"));
  // ...and the state still runs.
  CHECK(RunParcours({"run", kCampaign, "--events", kSmallEvents, "--state",
                     state, "--out", (scratch / "a.jsonl").string()},
                    scratch)
            .exit_code == 0);

  // The run's own files: its events, its state's side files, its dead
  // letters.
  for (const std::string& own :
       {kSmallEvents, (scratch / "run.db-wal").string(),
        (scratch / "run.db.deadletter.jsonl").string(),
        "sqlite:" + (scratch / "run.db").string()}) {
    auto result = run_to(own);
    INFO(own);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("of this run; write the actions"));
  }

  // Dead letters appended to the events would be read again, without
  // end; written into the state or the actions they would be lost. The
  // user's events file is left exactly as it was.
  std::string events_copy = (scratch / "copy.jsonl").string();
  testing::WriteText(events_copy, "{broken\n");
  for (const std::string& own :
       {events_copy, (scratch / "run.db").string(),
        (scratch / "run.db-wal").string(), (scratch / "out.jsonl").string()}) {
    auto result =
        RunParcours({"run", kCampaign, "--events", events_copy, "--state",
                     (scratch / "run.db").string(), "--out",
                     (scratch / "out.jsonl").string(), "--dead-letter", own},
                    scratch);
    INFO(own);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("of this run; write the"));
    CHECK(testing::ReadText(events_copy) == "{broken\n");
  }

  // /dev/null as both the events and the actions, to move a state's clock
  // with `--until` alone, keeps nothing to spoil: it used to be refused as
  // "`--out /dev/null` is the events of this run".
  auto until_only = RunParcours(
      {"run", kCampaign, "--events", "/dev/null", "--state",
       (scratch / "until.db").string(), "--out", "/dev/null", "--dead-letter",
       "/dev/null", "--until", "2011-01-01T00:00:00Z"},
      scratch);
  INFO(until_only.err);
  CHECK(until_only.exit_code == 0);
  CHECK_THAT(until_only.err, Catch::Contains("clock at 2011-01-01T00:00:00Z"));

  // A link to the state, made before the state exists.
  std::string fresh_state = (scratch / "fresh.db").string();
  std::filesystem::create_symlink(scratch / "fresh.db",
                                  scratch / "fresh-link.db");
  auto via_link =
      RunParcours({"run", kCampaign, "--events", kSmallEvents, "--state",
                   fresh_state, "--out", (scratch / "fresh-link.db").string()},
                  scratch);
  CHECK(via_link.exit_code == 2);
  CHECK_THAT(via_link.err, Catch::Contains("is the state of this run"));

  // A scheme Parcours does not write to is not a file name.
  auto ftp = run_to("ftp://example.invalid/actions.jsonl");
  CHECK(ftp.exit_code == 2);
  CHECK_THAT(ftp.err, Catch::Contains("not to `ftp://`"));
  CHECK_FALSE(std::filesystem::exists(scratch / "ftp:"));

  // A webhook URL that cannot work is refused before anything runs.
  auto bad_url = run_to("http://");
  CHECK(bad_url.exit_code == 2);
  CHECK_THAT(bad_url.err, Catch::Contains("not a usable URL"));
  CHECK_FALSE(std::filesystem::exists(scratch / "run.db"));
}

TEST_CASE(
    "actions appended to a file that lacks its last newline stay "
    "whole") {
  auto scratch = testing::ScratchDir("sink-newline");
  auto out = scratch / "actions.jsonl";
  testing::WriteText(out, R"({"kind":"note","id":"written by hand"})");

  auto result =
      RunParcours({"run", kCampaign, "--events", kSmallEvents, "--state",
                   (scratch / "s.db").string(), "--out", out.string()},
                  scratch);
  REQUIRE(result.exit_code == 0);

  std::vector<std::string> lines = SplitLines(testing::ReadText(out));
  REQUIRE(lines.size() > 100);
  CHECK(lines[0] == R"({"kind":"note","id":"written by hand"})");
  for (const std::string& line : lines) {
    CHECK_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded());
  }
}

TEST_CASE("an unsubscribe URL that would break its header is refused") {
  auto scratch = testing::ScratchDir("unsubscribe-url");
  ::setenv("PARCOURS_UNSUBSCRIBE_KEY", "sixteen bytes at least", 1);
  for (const std::string& url :
       {std::string("https://shop.example/u?a=1#top"),
        std::string("https://shop.example/u x"),
        std::string("https://shop.example/u>\r\nX: 1")}) {
    auto result =
        RunParcours({"run", kCampaign, "--events", kSmallEvents, "--state",
                     (scratch / "s.db").string(), "--unsubscribe-url", url},
                    scratch);
    INFO(url);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("cannot hold a fragment"));
  }
  ::unsetenv("PARCOURS_UNSUBSCRIBE_KEY");
}

}  // namespace
}  // namespace parcours
