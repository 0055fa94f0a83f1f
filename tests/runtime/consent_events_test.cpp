// Consent changes read from inbound events and traits: names in any case,
// STOP in the ways people type it.
#include "runtime/ingest/consent_events.h"

#include <catch2/catch.hpp>
#include <string>

#include "runtime/ingest/json_value.h"

namespace parcours::testing {
namespace {

std::vector<ingest::ConsentChange> Changes(const std::string& event,
                                           const std::string& properties,
                                           std::string* problem) {
  ingest::JsonValue value;
  REQUIRE(ingest::ParseJson(properties, value).empty());
  return ingest::ConsentFromTrack(event, value, problem);
}

TEST_CASE("STOP is recognised as people type it", "[runtime][ingest]") {
  for (const char* text :
       {"STOP", "stop", " Stop ", "STOP.", "stop!", "Stop All", "STOPALL",
        "\xc2\xa0STOP\xc2\xa0", "unsubscribe", "Quit", "end"}) {
    INFO(text);
    CHECK(ingest::IsStopWord(text));
  }
  for (const char* text :
       {"", "please stop texting me", "STOPPED", "no", "top"}) {
    INFO(text);
    CHECK_FALSE(ingest::IsStopWord(text));
  }
}

TEST_CASE("channels, purposes and bounce types are read in any case",
          "[runtime][ingest]") {
  std::string problem;
  auto hard = Changes("Message Bounced", R"({"bounce_type":"HARD"})", &problem);
  REQUIRE(problem.empty());
  REQUIRE(hard.size() == 1);
  CHECK(hard[0].channel == "email");
  CHECK_FALSE(hard[0].granted);

  auto revoked =
      Changes("Consent Revoked", R"({"channel":"SMS","purpose":"Marketing"})",
              &problem);
  REQUIRE(problem.empty());
  REQUIRE(revoked.size() == 1);
  CHECK(revoked[0].channel == "sms");
  CHECK(revoked[0].purpose == "marketing");

  CHECK(Changes("Message Bounced", R"({"bounce_type":"soft"})", &problem)
            .empty());
  CHECK(problem.empty());
}

// A feed from Amazon SES names its hard bounces "Permanent" and its soft
// ones "Transient": its hard bounces changed nothing, and the dead
// addresses kept being mailed.
TEST_CASE("a permanent bounce is a hard one", "[runtime][ingest]") {
  std::string problem;
  auto permanent =
      Changes("Message Bounced", R"({"bounce_type":"Permanent"})", &problem);
  REQUIRE(problem.empty());
  REQUIRE(permanent.size() == 1);
  CHECK(permanent[0].channel == "email");
  CHECK_FALSE(permanent[0].granted);
  CHECK(permanent[0].context == "hard bounce");

  CHECK(Changes("Message Bounced", R"({"bounce_type":"Transient"})", &problem)
            .empty());
  CHECK(problem.empty());
}

// The identify trait names channels too: `"SMS": true` is the SMS
// channel, as `"channel": "SMS"` is in a track event.
TEST_CASE("the consent trait reads its channels in any case",
          "[runtime][ingest]") {
  ingest::JsonValue traits;
  REQUIRE(ingest::ParseJson(R"({"consent":{"SMS":true,"Email":false}})", traits)
              .empty());
  std::string problem;
  auto changes = ingest::ConsentFromTraits(traits, &problem);
  REQUIRE(problem.empty());
  REQUIRE(changes.size() == 2);
  CHECK(changes[0].channel == "sms");
  CHECK(changes[0].granted);
  CHECK(changes[1].channel == "email");
  CHECK_FALSE(changes[1].granted);

  // One channel twice, in two spellings, could mean either value.
  REQUIRE(ingest::ParseJson(R"({"consent":{"sms":true,"SMS":false}})", traits)
              .empty());
  CHECK(ingest::ConsentFromTraits(traits, &problem).empty());
  CHECK(problem ==
        "trait `consent` names the channel sms twice, as `sms` and `SMS`");
}

TEST_CASE("an opt-out written as text or a number is an opt-out",
          "[runtime][ingest]") {
  ingest::JsonValue traits;
  REQUIRE(ingest::ParseJson(R"({"consent":{"email":"false","sms":" No ",)"
                            R"("push":0,"inapp":"TRUE"}})",
                            traits)
              .empty());
  std::string problem;
  auto changes = ingest::ConsentFromTraits(traits, &problem);
  REQUIRE(problem.empty());
  REQUIRE(changes.size() == 4);
  CHECK_FALSE(changes[0].granted);
  CHECK_FALSE(changes[1].granted);
  CHECK_FALSE(changes[2].granted);
  CHECK(changes[3].granted);

  REQUIRE(ingest::ParseJson(R"({"consent":{"email":"yes","sms":1}})", traits)
              .empty());
  changes = ingest::ConsentFromTraits(traits, &problem);
  REQUIRE(changes.size() == 2);
  CHECK(changes[0].granted);
  CHECK(changes[1].granted);
}

TEST_CASE("an inbound SMS without its text is refused, not ignored",
          "[runtime][ingest]") {
  std::string problem;
  CHECK(Changes("SMS Received", R"({"text":5})", &problem).empty());
  CHECK(problem == "`SMS Received` needs the message as a string `text`");
}

}  // namespace
}  // namespace parcours::testing
