// Account-takeover guards end to end: `seen_before` at its window's edges,
// the `freeze` and `second_factor` action lines in every sink, and the
// example in examples/account-takeover run by `parcours run` on both
// engines and by `parcours test`.
#include <catch2/catch.hpp>
#include <iterator>
#include <string>
#include <vector>

#include "journey_test_support.h"
#include "tests/support/files.h"
#include "tests/support/process.h"
#include "tests/support/scripted_http_server.h"

namespace parcours {
namespace {

using testing::Scenario;
using testing::Summaries;
using testing::TrackLine;

std::string Login(const std::string& id, const std::string& time,
                  const std::string& device) {
  return TrackLine("Login", "p1", id, time,
                   R"({"device":")" + device + R"("})");
}

TEST_CASE("seen_before: an earlier login within the window, never itself") {
  Scenario scenario("ato-seen-before",
                    "event Login \"Login\" { device: string }\n"
                    "journey check {\n"
                    "  on Login as l\n"
                    "  if seen_before(Login.device within 1d) {\n"
                    "    known: task crm \"known\" to \"fraud\"\n"
                    "  } else {\n"
                    "    new: task crm \"new\" to \"fraud\"\n"
                    "  }\n"
                    "}\n");

  // The first login is new: it does not count for itself. Exactly one
  // day later the first one has just left the window.
  std::string first = scenario.Run(Login("l1", "2025-03-01T10:00:00Z", "A") +
                                   Login("l2", "2025-03-02T10:00:00Z", "A"));
  CHECK(Summaries(first) == std::vector<std::string>{
                                "2025-03-01T10:00:00Z task p1 check.new",
                                "2025-03-02T10:00:00Z task p1 check.new",
                            });

  // A second later than the edge it is still in; the kept devices came
  // through the state file. At one instant, an earlier arrival counts.
  std::string second = scenario.Run(Login("l3", "2025-03-03T09:59:59Z", "A") +
                                    Login("l4", "2025-03-03T09:59:59Z", "B") +
                                    Login("l5", "2025-03-03T09:59:59Z", "B") +
                                    Login("l6", "2025-03-03T10:00:00Z", "C"));
  CHECK(Summaries(second) == std::vector<std::string>{
                                 "2025-03-03T09:59:59Z task p1 check.known",
                                 "2025-03-03T09:59:59Z task p1 check.new",
                                 "2025-03-03T09:59:59Z task p1 check.known",
                                 "2025-03-03T10:00:00Z task p1 check.new",
                             });
}

std::string Example(const std::string& path) {
  return (testing::SourceDir() / "examples/account-takeover" / path).string();
}

// The example's events (examples/account-takeover/events.jsonl): Ana
// orders for 1,000 EUR, logs in from a new phone in Portugal and redeems
// 95% of her balance four minutes later; Ben is in Paris, then 50 minutes
// later in Lisbon; Cleo lives in Portugal and redeems her whole balance
// from her usual phone.
const char* const kExampleLines[] = {
    // Orders earn points: one per euro.
    R"({"kind":"points","id":"765b745ab5f7eb2a",)"
    R"("at":"2025-02-20T12:00:00Z","profile":"ana",)"
    R"("program":"rewards","points":1000,"balance":1000,"reason":"earn"})",
    R"({"kind":"points","id":"a9c369d62640b31b",)"
    R"("at":"2025-02-25T12:00:00Z","profile":"cleo",)"
    R"("program":"rewards","points":1200,"balance":1200,"reason":"earn"})",
    R"({"kind":"send","id":"d060bf997a251b1b",)"
    R"("at":"2025-03-01T09:00:00Z","profile":"ana","channel":"email",)"
    R"("template":"points_offer","journey":"login_offer","step":"send1",)"
    R"("category":"marketing","payload":{}})",
    R"({"kind":"send","id":"b1fe7810afbf8da5",)"
    R"("at":"2025-03-01T09:10:00Z","profile":"ben","channel":"email",)"
    R"("template":"points_offer","journey":"login_offer","step":"send1",)"
    R"("category":"marketing","payload":{}})",
    R"({"kind":"second_factor","id":"d187e5ede4761c9f",)"
    R"("at":"2025-03-01T10:00:00Z","profile":"ben",)"
    R"("reason":"impossible travel since the last login",)"
    R"("journey":"impossible_travel","step":"second_factor1"})",
    // The day's marketing email is held back by the cap...
    R"({"kind":"suppressed","id":"eba71a2e7cc876ce",)"
    R"("at":"2025-03-01T10:00:00Z","profile":"ben","channel":"email",)"
    R"("template":"points_offer","journey":"login_offer","step":"send1",)"
    R"("reason":"cap",)"
    R"x("detail":"cap 1 per day across email (guard.journey:48)"})x",
    // ...the security alert is exempt from it.
    R"({"kind":"send","id":"1024b914f1a68c52",)"
    R"("at":"2025-03-01T10:00:00Z","profile":"ben","channel":"email",)"
    R"("template":"new_login_alert","journey":"impossible_travel",)"
    R"("step":"send1","category":"security","payload":{}})",
    R"({"kind":"send","id":"3773d95553ccbfcb",)"
    R"("at":"2025-03-02T18:00:00Z","profile":"cleo","channel":"email",)"
    R"("template":"points_offer","journey":"login_offer","step":"send1",)"
    R"("category":"marketing","payload":{}})",
    R"({"kind":"second_factor","id":"1abcebfc85d454db",)"
    R"("at":"2025-03-10T21:00:00Z","profile":"ana",)"
    R"("reason":"new device from another country",)"
    R"("journey":"new_device_abroad","step":"second_factor1"})",
    R"({"kind":"send","id":"8b1dfe5f3a862aad",)"
    R"("at":"2025-03-10T21:00:00Z","profile":"ana","channel":"email",)"
    R"("template":"points_offer","journey":"login_offer","step":"send1",)"
    R"("category":"marketing","payload":{}})",
    R"({"kind":"send","id":"265121441cda95a6",)"
    R"("at":"2025-03-10T21:00:00Z","profile":"ana","channel":"email",)"
    R"("template":"new_login_alert","journey":"new_device_abroad",)"
    R"("step":"send1","category":"security","payload":{}})",
    // The redemption is applied before the guard reads its share.
    R"({"kind":"points","id":"765b735ab5f7e977",)"
    R"("at":"2025-03-10T21:04:00Z","profile":"ana",)"
    R"("program":"rewards","points":-950,"balance":50,"reason":"burn"})",
    R"({"kind":"freeze","id":"48331e48336fb47c",)"
    R"("at":"2025-03-10T21:04:00Z","profile":"ana",)"
    R"("reason":"balance redeemed after a new-device login abroad",)"
    R"("journey":"redemption_guard","step":"freeze1"})",
    R"({"kind":"task","id":"4906ebb1ffe95dc6",)"
    R"("at":"2025-03-10T21:04:00Z","profile":"ana","system":"crm",)"
    R"("text":"check account takeover","team":"fraud",)"
    R"("journey":"redemption_guard","step":"task1"})",
    R"({"kind":"send","id":"13bb04dff7b6ca5a",)"
    R"("at":"2025-03-10T21:04:00Z","profile":"ana","channel":"email",)"
    R"("template":"security_alert","journey":"redemption_guard",)"
    R"("step":"send1","category":"security","payload":{}})",
    R"({"kind":"send","id":"f2f5c366ec4ab5e1",)"
    R"("at":"2025-03-11T18:00:00Z","profile":"cleo","channel":"email",)"
    R"("template":"points_offer","journey":"login_offer","step":"send1",)"
    R"("category":"marketing","payload":{}})",
    R"({"kind":"points","id":"a9c36ad62640b4ce",)"
    R"("at":"2025-03-11T18:03:00Z","profile":"cleo",)"
    R"("program":"rewards","points":-1200,"balance":0,"reason":"burn"})",
};

TEST_CASE("the account-takeover example runs the same on both engines") {
  auto scratch = testing::ScratchDir("ato-example");
  std::string expected;
  for (const char* line : kExampleLines) expected += std::string(line) + "\n";

  for (const char* engine : {"interp", "jit"}) {
    auto result = testing::RunParcours(
        {"run", Example("campaign"), "--events", Example("events.jsonl"),
         "--state", (scratch / (std::string(engine) + ".db")).string(), "--out",
         "-", "--engine", engine},
        scratch);
    INFO(engine << ": " << result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(result.out == expected);
    CHECK_THAT(result.err, Catch::Contains("sent 17 actions"));
  }
}

TEST_CASE("freeze and second_factor lines reach the SQLite outbox") {
  auto scratch = testing::ScratchDir("ato-outbox");
  std::string outbox = (scratch / "outbox.db").string();
  auto result = testing::RunParcours(
      {"run", Example("campaign"), "--events", Example("events.jsonl"),
       "--state", (scratch / "state.db").string(), "--out", "sqlite:" + outbox},
      scratch);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);

  auto db = store::Database::Open(outbox);
  REQUIRE(db.ok());
  auto freezes = db->QueryText(
      "SELECT group_concat(id || ' ' || profile, ',') FROM actions "
      "WHERE kind = 'freeze'");
  REQUIRE(freezes.ok());
  CHECK(*freezes == "48331e48336fb47c ana");
  auto second_factors = db->QueryText(
      "SELECT group_concat(profile, ',') FROM "
      "(SELECT profile FROM actions WHERE kind = 'second_factor' "
      "ORDER BY at)");
  REQUIRE(second_factors.ok());
  CHECK(*second_factors == "ben,ana");
}

TEST_CASE("freeze and second_factor lines reach a webhook, keyed") {
  auto scratch = testing::ScratchDir("ato-webhook");
  testing::ScriptedServer server({});
  auto result = testing::RunParcours(
      {"run", Example("campaign"), "--events", Example("events.jsonl"),
       "--state", (scratch / "state.db").string(), "--out", server.url()},
      scratch);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);

  std::vector<std::string> bodies;
  std::vector<std::string> keys;
  for (const testing::HttpRequest& request : server.requests()) {
    bodies.push_back(request.body);
    keys.push_back(request.idempotency_key);
  }
  CHECK(bodies == std::vector<std::string>(std::begin(kExampleLines),
                                           std::end(kExampleLines)));
  // The freeze line's key is its action id.
  REQUIRE(keys.size() == std::size(kExampleLines));
  CHECK(keys[12] == "48331e48336fb47c");
}

// The first 19 rows of the RBA login dataset (see
// examples/account-takeover/README.md): 7 successful logins, each from its
// user's first country, so the guards stay quiet and only the login offer
// goes out. The 12 failed logins are skipped by the mapping.
TEST_CASE("real logins imported with the RBA mapping raise no false alarm") {
  auto scratch = testing::ScratchDir("ato-rba");
  std::string events = (scratch / "logins.jsonl").string();
  std::string dataset = Example("rba-logins.csv");
  auto imported = testing::RunParcours(
      {"import", "csv", "--mapping", Example("rba-mapping.json"), dataset,
       "--out", events},
      scratch);
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  CHECK_THAT(imported.err, Catch::Contains("events written: 14 (7 track, "
                                           "7 identify)"));
  CHECK_THAT(imported.err, Catch::Contains("rows skipped by filter: 12"));

  std::string outputs[2];
  const char* engines[] = {"interp", "jit"};
  for (int i = 0; i < 2; ++i) {
    auto result = testing::RunParcours(
        {"run", Example("campaign"), "--events", events, "--state",
         (scratch / (std::string(engines[i]) + ".db")).string(), "--out", "-",
         "--engine", engines[i]},
        scratch);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    outputs[i] = result.out;
  }
  CHECK(outputs[0] == outputs[1]);
  CHECK(Summaries(outputs[0]) ==
        std::vector<std::string>{
            "2020-02-03T12:43:55Z send -3284137479262433373 login_offer.send1",
            "2020-02-03T12:44:07Z send 7246533443898239661 login_offer.send1",
            "2020-02-03T12:44:19Z send -3065936140549856249 login_offer.send1",
            "2020-02-03T12:44:19Z send 5932501938287412564 login_offer.send1",
            "2020-02-03T12:44:24Z send -9080829243863829585 login_offer.send1",
            "2020-02-03T12:44:30Z send -8296667206273764769 login_offer.send1",
            "2020-02-03T12:44:31Z send -4663943525943860871 login_offer.send1",
        });
}

TEST_CASE("the account-takeover example's own tests pass") {
  auto scratch = testing::ScratchDir("ato-tests");
  for (const char* engine : {"interp", "jit"}) {
    auto result = testing::RunParcours(
        {"test", "--engine", engine, Example("campaign")}, scratch);
    INFO(result.out << result.err);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("8 passed, 0 failed"));
  }
}

TEST_CASE("seen_before: a late login changes nothing, a later one does") {
  Scenario scenario("ato-seen-late",
                    "event Login \"Login\" { device: string }\n"
                    "journey check {\n"
                    "  on Login as l\n"
                    "  if seen_before(Login.device within 1d) {\n"
                    "    known: task crm \"known\" to \"fraud\"\n"
                    "  } else {\n"
                    "    new: task crm \"new\" to \"fraud\"\n"
                    "  }\n"
                    "}\n");

  // The late login (09:00, after 11:00 has been seen) leaves the flag as
  // the latest login set it (A, seen at 10:00), though its own device is
  // new; it is kept all the same, so the next login from it is known.
  std::string out = scenario.Run(Login("l1", "2025-03-01T10:00:00Z", "A") +
                                 Login("l2", "2025-03-01T11:00:00Z", "A") +
                                 Login("l3", "2025-03-01T09:00:00Z", "C") +
                                 Login("l4", "2025-03-01T12:00:00Z", "C"));
  CHECK(Summaries(out) == std::vector<std::string>{
                              "2025-03-01T10:00:00Z task p1 check.new",
                              "2025-03-01T11:00:00Z task p1 check.known",
                              "2025-03-01T11:00:00Z task p1 check.known",
                              "2025-03-01T12:00:00Z task p1 check.known",
                          });
}

TEST_CASE("distance_km and travel_kmh: absent inputs, bad coordinates") {
  Scenario scenario(
      "ato-distance",
      "profile { home_lat: decimal?, home_lon: decimal? }\n"
      "event Seen \"Seen\" { lat: decimal, lon: int }\n"
      "journey where_from {\n"
      "  on Seen as s\n"
      "  if distance_km(profile.home_lat, profile.home_lon, s.lat, s.lon)\n"
      "      == none {\n"
      "    no_home: task crm \"no home\" to \"ops\"\n"
      "  } else if distance_km(profile.home_lat, profile.home_lon, s.lat,\n"
      "      s.lon) < 0 {\n"
      "    bad: task crm \"bad coordinates\" to \"ops\"\n"
      "  } else if distance_km(profile.home_lat, profile.home_lon, s.lat,\n"
      "      s.lon) > 111.194 and travel_kmh(s.lat, 0, now - 1h, s.lat,\n"
      "      s.lon, now) >= 111.195 {\n"
      "    far: task crm \"far\" to \"ops\"\n"
      "  } else {\n"
      "    near: task crm \"near\" to \"ops\"\n"
      "  }\n"
      "}\n");

  // One degree of longitude on the equator is 111.195 km.
  std::string out =
      scenario.Run(TrackLine("Seen", "p1", "s1", "2025-03-01T10:00:00Z",
                             R"({"lat":0,"lon":1})") +
                   testing::IdentifyLine("p1", "i1", "2025-03-01T10:01:00Z",
                                         R"({"home_lat":0,"home_lon":0})") +
                   TrackLine("Seen", "p1", "s2", "2025-03-01T10:02:00Z",
                             R"({"lat":0,"lon":1})") +
                   TrackLine("Seen", "p1", "s3", "2025-03-01T10:03:00Z",
                             R"({"lat":0,"lon":181})") +
                   TrackLine("Seen", "p1", "s4", "2025-03-01T10:04:00Z",
                             R"({"lat":0,"lon":0})"));
  CHECK(Summaries(out) == std::vector<std::string>{
                              "2025-03-01T10:00:00Z task p1 where_from.no_home",
                              "2025-03-01T10:02:00Z task p1 where_from.far",
                              "2025-03-01T10:03:00Z task p1 where_from.bad",
                              "2025-03-01T10:04:00Z task p1 where_from.near",
                          });
}

}  // namespace
}  // namespace parcours
