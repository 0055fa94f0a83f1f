// Pressure policies through the whole product: caps over rolling and
// calendar windows, exemptions, deferral, quiet hours in the recipient's
// zone, channel order and fallback, with exact expected action lines from
// both engines.
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "runtime/store/sqlite.h"
#include "tests/support/files.h"
#include "tests/support/process.h"
#include "tests/support/schema_downgrade.h"

namespace parcours {
namespace {

const char kEvents[] = R"(
event OrderPlaced "Order Completed" {
  order_id: string
}

event ProductViewed "Product Viewed" {
  sku: string
}
)";

std::string Track(const std::string& user, const std::string& event,
                  const std::string& id, const std::string& at) {
  nlohmann::ordered_json line;
  line["type"] = "track";
  line["event"] = event;
  line["userId"] = user;
  line["messageId"] = id;
  line["timestamp"] = at;
  line["properties"] = event == "Order Completed"
                           ? nlohmann::ordered_json{{"order_id", id}}
                           : nlohmann::ordered_json{{"sku", id}};
  return line.dump() + "\n";
}

std::string Line(const std::string& user, const std::string& event,
                 const std::string& id, const std::string& at,
                 const nlohmann::ordered_json& properties) {
  nlohmann::ordered_json line;
  line["type"] = "track";
  line["event"] = event;
  line["userId"] = user;
  line["messageId"] = id;
  line["timestamp"] = at;
  line["properties"] = properties;
  return line.dump() + "\n";
}

// Each action line, shortened to "kind at channel template [reason]
// [until]", in output order.
std::string Summary(const std::string& out) {
  std::string summary;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    auto action = nlohmann::json::parse(line);
    summary += action["kind"].get<std::string>() + " " +
               action["at"].get<std::string>() + " " +
               action["channel"].get<std::string>() + " " +
               action["template"].get<std::string>();
    if (action.contains("reason")) {
      summary += " " + action["reason"].get<std::string>();
    }
    if (action.contains("until")) {
      summary += " " + action["until"].get<std::string>();
    }
    summary += "\n";
  }
  return summary;
}

struct Outcome {
  std::filesystem::path scratch;  // holds jit.db and interp.db
  std::string out;      // the JIT's action lines (the interpreter's agree)
  std::string summary;  // Summary(out)
  std::string err;      // the JIT's run summary
};

// Runs `program` over `events` with both engines, requires the same bytes
// from both, and returns them.
Outcome RunBoth(const std::string& name, const std::string& program,
                const std::string& events, const std::string& until,
                const std::vector<std::string>& extra = {},
                int kill_after_seconds = 0) {
  auto scratch = testing::ScratchDir("policy-" + name);
  testing::WriteText(scratch / "policy.journey", program);
  testing::WriteText(scratch / "events.jsonl", events);
  std::string outputs[2];
  std::string err;
  const char* engines[] = {"jit", "interp"};
  for (int i = 0; i < 2; ++i) {
    std::vector<std::string> args = {
        "run",      (scratch / "policy.journey").string(),
        "--events", (scratch / "events.jsonl").string(),
        "--state",  (scratch / (std::string(engines[i]) + ".db")).string(),
        "--out",    "-",
        "--engine", engines[i],
        "--until",  until};
    args.insert(args.end(), extra.begin(), extra.end());
    auto result = testing::RunParcours(args, scratch, "", kill_after_seconds);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    outputs[i] = result.out;
    if (i == 0) err = result.err;
  }
  CHECK(outputs[0] == outputs[1]);
  return {scratch, outputs[0], Summary(outputs[0]), err};
}

TEST_CASE(
    "unsubscribes, complaints and hard bounces revoke their channel, "
    "soft bounces and bad consent lines do not") {
  std::string program = std::string("module feedback\n") + kEvents + R"(
journey thanks {
  on OrderPlaced
  wait 1h
  send email "thanks"
  send push "thanks_push"
}
)";
  const std::string at = "2025-03-03T10:30:00Z";
  std::string events =
      Track("p1", "Order Completed", "o1", "2025-03-03T10:00:00Z") +
      Track("p2", "Order Completed", "o2", "2025-03-03T10:00:00Z") +
      Track("p3", "Order Completed", "o3", "2025-03-03T10:00:00Z") +
      Track("p4", "Order Completed", "o4", "2025-03-03T10:00:00Z") +
      Track("p5", "Order Completed", "o5", "2025-03-03T10:00:00Z") +
      Line("p1", "Unsubscribed", "f1", at, nlohmann::ordered_json::object()) +
      Line("p2", "Spam Reported", "f2", at, {{"channel", "push"}}) +
      Line("p3", "Message Bounced", "f3", at,
           {{"channel", "email"}, {"bounce_type", "hard"}}) +
      Line("p4", "Message Bounced", "f4", at,
           {{"channel", "email"}, {"bounce_type", "soft"}}) +
      Line("p5", "Consent Revoked", "f5", at, {{"channel", "fax"}});
  Outcome outcome =
      RunBoth("feedback", program, events, "2025-03-04T00:00:00Z");
  CHECK(outcome.summary ==
        "suppressed 2025-03-03T11:00:00Z email thanks consent\n"
        "send 2025-03-03T11:00:00Z push thanks_push\n"
        "send 2025-03-03T11:00:00Z email thanks\n"
        "suppressed 2025-03-03T11:00:00Z push thanks_push consent\n"
        "suppressed 2025-03-03T11:00:00Z email thanks consent\n"
        "send 2025-03-03T11:00:00Z push thanks_push\n"
        "send 2025-03-03T11:00:00Z email thanks\n"
        "send 2025-03-03T11:00:00Z push thanks_push\n"
        "send 2025-03-03T11:00:00Z email thanks\n"
        "send 2025-03-03T11:00:00Z push thanks_push\n");
  // The line naming no channel it could mean is a dead letter.
  CHECK(outcome.err.find("1 dead letter") != std::string::npos);
}

TEST_CASE(
    "a cap's when condition and its limit read the profile at the "
    "moment of the decision") {
  std::string program = std::string("module conditional\n") + kEvents + R"(
profile {
  vip: bool = false
  max_per_week: int?
}

policy personal {
  cap 1 per day on email when profile.vip
  cap profile.max_per_week per week when profile.max_per_week != none
}

journey thanks {
  on OrderPlaced
  policy personal
  send email "thanks"
}
)";
  auto identify = [](const std::string& user, const std::string& id,
                     const std::string& at, const std::string& traits) {
    return R"({"type":"identify","userId":")" + user + R"(","messageId":")" +
           id + R"(","timestamp":")" + at + R"(","traits":)" + traits + "}\n";
  };
  // p1 is a VIP (one email a day), p2 is not (no cap), p3 chose one
  // message a week; p2 then becomes a VIP, and its third email of the day
  // is held back.
  std::string events =
      identify("p1", "i1", "2025-03-03T09:00:00Z", R"({"vip":true})") +
      identify("p3", "i3", "2025-03-03T09:00:00Z", R"({"max_per_week":1})") +
      Track("p1", "Order Completed", "o1", "2025-03-03T10:00:00Z") +
      Track("p2", "Order Completed", "o2", "2025-03-03T10:00:00Z") +
      Track("p3", "Order Completed", "o3", "2025-03-03T10:00:00Z") +
      Track("p1", "Order Completed", "o4", "2025-03-03T11:00:00Z") +
      Track("p2", "Order Completed", "o5", "2025-03-03T11:00:00Z") +
      Track("p3", "Order Completed", "o6", "2025-03-05T11:00:00Z") +
      identify("p2", "i2", "2025-03-05T12:00:00Z", R"({"vip":true})") +
      Track("p2", "Order Completed", "o7", "2025-03-05T13:00:00Z") +
      Track("p2", "Order Completed", "o8", "2025-03-05T14:00:00Z");
  Outcome outcome =
      RunBoth("conditional", program, events, "2025-03-06T00:00:00Z");
  CHECK(outcome.summary ==
        "send 2025-03-03T10:00:00Z email thanks\n"
        "send 2025-03-03T10:00:00Z email thanks\n"
        "send 2025-03-03T10:00:00Z email thanks\n"
        "suppressed 2025-03-03T11:00:00Z email thanks cap\n"
        "send 2025-03-03T11:00:00Z email thanks\n"
        "suppressed 2025-03-05T11:00:00Z email thanks cap\n"
        "send 2025-03-05T13:00:00Z email thanks\n"
        "suppressed 2025-03-05T14:00:00Z email thanks cap\n");
  CHECK(outcome.out.find("cap profile.max_per_week per week when "
                         "profile.max_per_week != none") != std::string::npos);
}

TEST_CASE(
    "one cap is shared by every journey, exempt messages pass it and "
    "are not counted") {
  std::string program = std::string("module shared\n") + kEvents + R"(
policy pressure {
  cap 2 per 7d across email, push
  exempt transactional
}

journey thanks {
  on OrderPlaced
  policy pressure
  send email "thanks"
}

journey receipt {
  on OrderPlaced
  policy pressure
  send email "receipt" category transactional
}

journey promo {
  on ProductViewed
  policy pressure
  send push "promo"
}
)";
  std::string events =
      Track("p1", "Order Completed", "o1", "2025-03-03T10:00:00Z") +
      Track("p1", "Product Viewed", "v1", "2025-03-03T11:00:00Z") +
      Track("p1", "Product Viewed", "v2", "2025-03-03T12:00:00Z") +
      Track("p1", "Order Completed", "o2", "2025-03-03T13:00:00Z");
  Outcome outcome = RunBoth("shared", program, events, "2025-03-04T00:00:00Z");
  // Two counted sends fill the cap; the receipts pass it each time and do
  // not use it up.
  CHECK(outcome.summary ==
        "send 2025-03-03T10:00:00Z email thanks\n"
        "send 2025-03-03T10:00:00Z email receipt\n"
        "send 2025-03-03T11:00:00Z push promo\n"
        "suppressed 2025-03-03T12:00:00Z push promo cap\n"
        "suppressed 2025-03-03T13:00:00Z email thanks cap\n"
        "send 2025-03-03T13:00:00Z email receipt\n");
  // Suppressions are actions too: all six lines were delivered.
  CHECK(outcome.err.find("sent 6 actions") != std::string::npos);
  CHECK(outcome.out.find(R"("category":"transactional")") != std::string::npos);
  CHECK(outcome.out.find(
            R"("detail":"cap 2 per 7d across email, push (policy.journey:)") !=
        std::string::npos);
}

TEST_CASE("a rolling window: a contact exactly one window ago has left it") {
  std::string program = std::string("module rolling\n") + kEvents + R"(
policy weekly {
  cap 1 per 7d on email
}

journey thanks {
  on OrderPlaced
  policy weekly
  send email "thanks"
}
)";
  // 7 days less one second after the first send: still inside; 7 days to
  // the second: outside.
  std::string events =
      Track("p1", "Order Completed", "o1", "2025-03-03T10:00:00Z") +
      Track("p1", "Order Completed", "o2", "2025-03-10T09:59:59Z") +
      Track("p1", "Order Completed", "o3", "2025-03-10T10:00:00Z");
  Outcome outcome = RunBoth("rolling", program, events, "2025-03-11T00:00:00Z");
  CHECK(outcome.summary ==
        "send 2025-03-03T10:00:00Z email thanks\n"
        "suppressed 2025-03-10T09:59:59Z email thanks cap\n"
        "send 2025-03-10T10:00:00Z email thanks\n");
}

TEST_CASE(
    "a deferred message goes out when the window next opens, each "
    "channel is judged by its own cap") {
  std::string program = std::string("module defer\n") + kEvents + R"(
policy daily {
  cap 1 per day on email
  cap 1 per day on sms
  when capped: defer
}

journey thanks {
  on OrderPlaced
  policy daily
  send email "thanks"
  send sms "thanks_sms"
}

journey promo {
  on ProductViewed
  policy daily
  send push "promo"
  send email "promo_email"
}
)";
  // The email cap is full after the order; the view's push is not capped
  // and goes out, its email waits for the next day (UTC: no zone given),
  // one day later, not more.
  std::string events =
      Track("p1", "Order Completed", "o1", "2025-03-03T10:00:00Z") +
      Track("p1", "Product Viewed", "v1", "2025-03-03T15:00:00Z");
  Outcome outcome = RunBoth("defer", program, events, "2025-03-06T00:00:00Z");
  CHECK(outcome.summary ==
        "send 2025-03-03T10:00:00Z email thanks\n"
        "send 2025-03-03T10:00:00Z sms thanks_sms\n"
        "send 2025-03-03T15:00:00Z push promo\n"
        "deferred 2025-03-03T15:00:00Z email promo_email cap "
        "2025-03-04T00:00:00Z\n"
        "send 2025-03-04T00:00:00Z email promo_email\n");
}

TEST_CASE(
    "a deferral past its limit expires, an exit drops a deferred "
    "message") {
  std::string program = std::string("module expire\n") + kEvents + R"(
policy daily {
  cap 1 per day
  when capped: defer within 6h
}

journey thanks {
  on OrderPlaced
  policy daily
  send email "thanks"
}

journey promo {
  on ProductViewed
  exit on OrderPlaced
  policy daily
  send push "promo"
}
)";
  // v1 at 10:00 waits for the next day (14 h away, past 6 h): expired.
  // v2 at 20:00 waits 4 h, but the order at 21:00 ends its journey first.
  std::string events =
      Track("p1", "Product Viewed", "v0", "2025-03-03T09:00:00Z") +
      Track("p1", "Product Viewed", "v1", "2025-03-03T10:00:00Z") +
      Track("p1", "Product Viewed", "v2", "2025-03-03T20:00:00Z") +
      Track("p1", "Order Completed", "o1", "2025-03-03T21:00:00Z");
  Outcome outcome = RunBoth("expire", program, events, "2025-03-05T00:00:00Z");
  CHECK(outcome.summary ==
        "send 2025-03-03T09:00:00Z push promo\n"
        "suppressed 2025-03-03T10:00:00Z push promo expired\n"
        "deferred 2025-03-03T20:00:00Z push promo cap 2025-03-04T00:00:00Z\n"
        "suppressed 2025-03-03T21:00:00Z push promo exit\n"
        "deferred 2025-03-03T21:00:00Z email thanks cap "
        "2025-03-04T00:00:00Z\n"
        "send 2025-03-04T00:00:00Z email thanks\n");
}

// The process's own zone must not matter: the recipient's does.
struct ExoticProcessZone {
  ExoticProcessZone() {
    const char* old = getenv("TZ");
    had_ = old != nullptr;
    if (had_) old_ = old;
    setenv("TZ", "Pacific/Chatham", 1);
  }
  ~ExoticProcessZone() {
    if (had_) {
      setenv("TZ", old_.c_str(), 1);
    } else {
      unsetenv("TZ");
    }
  }
  bool had_ = false;
  std::string old_;
};

TEST_CASE(
    "quiet hours in the recipient's zone, across midnight and both "
    "daylight-saving changes, whatever the process's zone") {
  ExoticProcessZone zone;
  std::string program = std::string("module quiet\n") + kEvents + R"(
profile {
  timezone: tz = "America/New_York"
}

policy nights {
  quiet 21:00 .. 08:00 local
  when capped: defer
}

journey thanks {
  on OrderPlaced
  policy nights
  send email "thanks"
}
)";
  // New York springs forward on 2025-03-09 (02:00 EST -> 03:00 EDT) and
  // falls back on 2025-11-02 (02:00 EDT -> 01:00 EST). 01:30 local is
  // quiet on both nights; quiet ends at 08:00 local, which is 12:00Z in
  // summer time and 13:00Z in winter time. 20:59 local is not quiet.
  std::string events =
      Track("p1", "Order Completed", "o1", "2025-03-09T06:30:00Z") +
      Track("p2", "Order Completed", "o2", "2025-11-02T05:30:00Z") +
      Track("p3", "Order Completed", "o3", "2025-11-03T01:59:00Z") +
      Track("p3", "Order Completed", "o4", "2025-11-03T02:00:00Z");
  Outcome outcome = RunBoth("quiet", program, events, "2025-11-04T00:00:00Z",
                            {"--max-clock-jump", "0"});
  CHECK(outcome.summary ==
        "deferred 2025-03-09T06:30:00Z email thanks quiet "
        "2025-03-09T12:00:00Z\n"
        "send 2025-03-09T12:00:00Z email thanks\n"
        "deferred 2025-11-02T05:30:00Z email thanks quiet "
        "2025-11-02T13:00:00Z\n"
        "send 2025-11-02T13:00:00Z email thanks\n"
        "send 2025-11-03T01:59:00Z email thanks\n"
        "deferred 2025-11-03T02:00:00Z email thanks quiet "
        "2025-11-03T13:00:00Z\n"
        "send 2025-11-03T13:00:00Z email thanks\n");
}

TEST_CASE(
    "quiet hours that end in the hour the clocks go back over end at "
    "its first pass, not a day or a week later") {
  ExoticProcessZone zone;
  std::string program = std::string("module fallback\n") + kEvents + R"(
profile {
  timezone: tz = "Europe/London"
}

policy nights {
  quiet 21:00 .. 01:30 local
  when capped: defer
}

policy weekends {
  quiet saturday 21:00 .. sunday 01:30 local
  when capped: defer
}

journey nightly {
  on OrderPlaced
  policy nights
  send email "nightly"
}

journey weekly {
  on OrderPlaced
  policy weekends
  send email "weekly"
}
)";
  // London falls back on Sunday 2025-10-26 (02:00 BST -> 01:00 GMT), so
  // 01:00 to 02:00 local comes twice: 00:00Z to 01:00Z, then 01:00Z to
  // 02:00Z. The quiet hours end at the first 01:30 (00:30Z). p1 orders at
  // the first 01:10 and waits for it; p2 at the second 01:10, after the
  // end, and is not made to wait for the next night or weekend.
  std::string events =
      Track("p1", "Order Completed", "o1", "2025-10-26T00:10:00Z") +
      Track("p2", "Order Completed", "o2", "2025-10-26T01:10:00Z");
  Outcome outcome =
      RunBoth("fallback", program, events, "2025-11-03T00:00:00Z");
  CHECK(outcome.summary ==
        "deferred 2025-10-26T00:10:00Z email nightly quiet "
        "2025-10-26T00:30:00Z\n"
        "deferred 2025-10-26T00:10:00Z email weekly quiet "
        "2025-10-26T00:30:00Z\n"
        "send 2025-10-26T00:30:00Z email nightly\n"
        "send 2025-10-26T00:30:00Z email weekly\n"
        "send 2025-10-26T01:10:00Z email nightly\n"
        "send 2025-10-26T01:10:00Z email weekly\n");
}

TEST_CASE(
    "quiet hours that start when they end never let a deferred message "
    "out, and the run ends") {
  std::string program = std::string("module always\n") + kEvents + R"(
profile {
  timezone: tz = "Europe/Paris"
}

policy always {
  quiet 22:00 .. 22:00 local
  when capped: defer
}

policy all_week {
  quiet monday 09:00 .. monday 09:00 local
  when capped: defer within 2d
}

journey daily {
  on OrderPlaced
  policy always
  send email "daily"
}

journey weekly {
  on OrderPlaced
  policy all_week
  send email "weekly"
}
)";
  // 22:00 .. 22:00 covers the whole day (W0307 says so). A deferral to its
  // "end", 22:00, found the quiet hours starting again at that instant
  // and was deferred to it again, for ever: the run never ended. Such
  // hours never end, so a deferred message expires at once; so does one
  // sent at 22:00 local itself.
  std::string events =
      Track("p1", "Order Completed", "o1", "2025-03-05T10:00:00Z") +
      Track("p2", "Order Completed", "o2", "2025-03-05T21:00:00Z");
  Outcome outcome = RunBoth("always", program, events, "2025-03-20T00:00:00Z",
                            {}, /*kill_after_seconds=*/60);
  CHECK(outcome.summary ==
        "suppressed 2025-03-05T10:00:00Z email daily expired\n"
        "suppressed 2025-03-05T10:00:00Z email weekly expired\n"
        "suppressed 2025-03-05T21:00:00Z email daily expired\n"
        "suppressed 2025-03-05T21:00:00Z email weekly expired\n");
  CHECK(outcome.out.find(
            "\"detail\":\"held back by quiet 22:00 .. 22:00 local "
            "(policy.journey:16), which never has room, so when capped: "
            "defer (policy.journey:17) has nothing to wait for\"") !=
        std::string::npos);
}

TEST_CASE(
    "a calendar week starts on Monday 00:00 in the recipient's zone, "
    "weekly quiet hours cross the week's end") {
  ExoticProcessZone zone;
  std::string program = std::string("module week\n") + kEvents + R"(
profile {
  timezone: tz = "Europe/Paris"
}

policy weekly {
  cap 1 per week
  quiet sunday 22:00 .. monday 08:00 local on sms
}

journey thanks {
  on OrderPlaced
  policy weekly
  send email "thanks"
}

journey promo {
  on ProductViewed
  policy weekly
  send sms "promo"
}
)";
  // Sunday 2025-03-09 21:30 local (20:30Z) sends; Sunday 23:30 local is the
  // same Paris week: capped. Monday 00:30 local (Sunday 23:30Z, still
  // Sunday in UTC) is a new Paris week: sent. The SMS at Monday 07:00 local
  // is quiet (and dropped, the default), at Monday 08:00 local it is not
  // quiet but the week's one message is spent.
  std::string events =
      Track("p1", "Order Completed", "o1", "2025-03-09T20:30:00Z") +
      Track("p1", "Order Completed", "o2", "2025-03-09T22:30:00Z") +
      Track("p1", "Order Completed", "o3", "2025-03-09T23:30:00Z") +
      Track("p1", "Product Viewed", "v1", "2025-03-10T06:00:00Z") +
      Track("p1", "Product Viewed", "v2", "2025-03-10T07:00:00Z");
  Outcome outcome = RunBoth("week", program, events, "2025-03-11T00:00:00Z");
  CHECK(outcome.summary ==
        "send 2025-03-09T20:30:00Z email thanks\n"
        "suppressed 2025-03-09T22:30:00Z email thanks cap\n"
        "send 2025-03-09T23:30:00Z email thanks\n"
        "suppressed 2025-03-10T06:00:00Z sms promo quiet\n"
        "suppressed 2025-03-10T07:00:00Z sms promo cap\n");
}

TEST_CASE(
    "best of and fallback follow the policy's channel order, override "
    "passes the cap and is counted") {
  std::string program = std::string("module order\n") + kEvents + R"(
policy ordered {
  cap 1 per day on email
  priority email > push > sms
  when capped: fallback
}

journey thanks {
  on OrderPlaced
  policy ordered
  send best of [sms, email] "thanks"
}

journey promo {
  on ProductViewed
  policy ordered
  send email "promo"
  send email "urgent" override
}
)";
  // The order's best of picks email (ranked first); the view's email is
  // capped and falls back to push, the next channel; `override` sends on
  // email anyway.
  std::string events =
      Track("p1", "Order Completed", "o1", "2025-03-03T10:00:00Z") +
      Track("p1", "Product Viewed", "v1", "2025-03-03T11:00:00Z");
  Outcome outcome = RunBoth("order", program, events, "2025-03-04T00:00:00Z");
  CHECK(outcome.summary ==
        "send 2025-03-03T10:00:00Z email thanks\n"
        "send 2025-03-03T11:00:00Z push promo\n"
        "send 2025-03-03T11:00:00Z email urgent\n");
}

TEST_CASE(
    "messages competing for the last slot: higher priority wins, then "
    "the journey written first, the same way every run") {
  std::string program = std::string("module compete\n") + kEvents + R"(
policy daily {
  cap 1 per day
}

journey first_written {
  on OrderPlaced
  policy daily
  send email "normal_a"
}

journey second_written {
  on OrderPlaced
  policy daily
  send push "urgent" priority high
}

journey tie_one {
  on ProductViewed
  policy daily
  send email "tie_one"
}

journey tie_two {
  on ProductViewed
  policy daily
  send email "tie_two"
}
)";
  // Both journeys start on the same order: the high-priority push takes
  // the day's slot although its journey comes second. On the next day the
  // view starts two equal messages: the journey written first wins. Two
  // profiles at the same instant do not compete with each other.
  std::string events =
      Track("p1", "Order Completed", "o1", "2025-03-03T10:00:00Z") +
      Track("p2", "Order Completed", "o2", "2025-03-03T10:00:00Z") +
      Track("p1", "Product Viewed", "v1", "2025-03-04T10:00:00Z");
  Outcome outcome = RunBoth("compete", program, events, "2025-03-05T00:00:00Z");
  CHECK(outcome.summary ==
        "send 2025-03-03T10:00:00Z push urgent\n"
        "suppressed 2025-03-03T10:00:00Z email normal_a cap\n"
        "send 2025-03-03T10:00:00Z push urgent\n"
        "suppressed 2025-03-03T10:00:00Z email normal_a cap\n"
        "send 2025-03-04T10:00:00Z email tie_one\n"
        "suppressed 2025-03-04T10:00:00Z email tie_two cap\n");
  CHECK(outcome.out.find(R"("profile":"p2")") != std::string::npos);
}

TEST_CASE(
    "consent revoked between entry and send: not sent, in every "
    "journey at once, with the reason") {
  std::string program = std::string("module consent\n") + kEvents + R"(
journey thanks {
  on OrderPlaced
  wait 1h
  send email "thanks"
}

journey tips {
  on OrderPlaced
  wait 2h
  send email "tips"
  send email "receipt_copy" category transactional
}
)";
  std::string events =
      Track("p1", "Order Completed", "o1", "2025-03-03T10:00:00Z") +
      Track("p2", "Order Completed", "o2", "2025-03-03T10:00:00Z") +
      Line("p1", "Consent Revoked", "c1", "2025-03-03T10:30:00Z",
           {{"channel", "email"}, {"source", "preference centre"}});
  Outcome outcome = RunBoth("consent", program, events, "2025-03-04T00:00:00Z");
  // Both of p1's journeys lose their marketing email; the transactional
  // copy still goes; p2 never revoked anything.
  CHECK(outcome.summary ==
        "suppressed 2025-03-03T11:00:00Z email thanks consent\n"
        "send 2025-03-03T11:00:00Z email thanks\n"
        "suppressed 2025-03-03T12:00:00Z email tips consent\n"
        "send 2025-03-03T12:00:00Z email receipt_copy\n"
        "send 2025-03-03T12:00:00Z email tips\n"
        "send 2025-03-03T12:00:00Z email receipt_copy\n");
  CHECK(outcome.out.find(
            R"("detail":"email consent revoked at 2025-03-03T10:30:00Z by c1 )"
            R"x((Consent Revoked via preference centre)")x") !=
        std::string::npos);
}

// A sunset journey revokes email consent after a silence; the messages
// of other journeys after it must respect it, as if the customer had.
TEST_CASE("an emitted consent event changes the ledger as an input line") {
  std::string program = std::string("module sunset\n") + kEvents + R"(
event ConsentRevoked "Consent Revoked" {
  channel: string
  source: string?
}

journey sunset {
  on OrderPlaced
  wait 1h
  emit ConsentRevoked { channel: "email", source: "sunset policy" }
}

journey tips {
  on OrderPlaced
  wait 2h
  send email "tips"
  send push "tips_push"
}
)";
  std::string events =
      Track("p1", "Order Completed", "o1", "2025-03-03T10:00:00Z");
  auto scratch = testing::ScratchDir("policy-sunset");
  testing::WriteText(scratch / "policy.journey", program);
  testing::WriteText(scratch / "events.jsonl", events);
  std::string outputs[2];
  const char* engines[] = {"jit", "interp"};
  for (int i = 0; i < 2; ++i) {
    auto result = testing::RunParcours(
        {"run", (scratch / "policy.journey").string(), "--events",
         (scratch / "events.jsonl").string(), "--state",
         (scratch / (std::string(engines[i]) + ".db")).string(), "--out", "-",
         "--engine", engines[i], "--until", "2025-03-04T00:00:00Z"},
        scratch);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    outputs[i] = result.out;
  }
  CHECK(outputs[0] == outputs[1]);

  std::vector<nlohmann::json> lines;
  std::istringstream in(outputs[0]);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(nlohmann::json::parse(line));
  }
  REQUIRE(lines.size() == 3);
  CHECK(lines[0]["kind"] == "event");
  CHECK(lines[0]["at"] == "2025-03-03T11:00:00Z");
  // The email is held back by the revocation, named by its line's id; the
  // push, another channel, goes.
  CHECK(lines[1]["kind"] == "suppressed");
  CHECK(lines[1]["template"] == "tips");
  CHECK(lines[1]["reason"] == "consent");
  CHECK(lines[1]["detail"] ==
        "email consent revoked at 2025-03-03T11:00:00Z by " +
            lines[0]["id"].get<std::string>() +
            " (Consent Revoked via sunset policy)");
  CHECK(lines[2]["kind"] == "send");
  CHECK(lines[2]["template"] == "tips_push");
}

TEST_CASE(
    "an inbound SMS STOP, in any of its spellings, revokes SMS consent "
    "at once, consent(sms) reads the same ledger") {
  std::string program = std::string("module stop\n") + kEvents + R"(
journey texts {
  on OrderPlaced
  wait 1h
  send sms "shipped"
  if consent(sms) {
    send sms "thanks_by_sms"
  } else {
    send email "thanks_by_email"
  }
}
)";
  const char* texts[] = {" stop ", "StopAll", "unsubscribe", "Cancel",
                         "END",    "quit\n",  "stop please"};
  // Seven people grant SMS consent, order, then text back; in time order.
  std::string grants, orders, replies;
  for (int i = 0; i < 7; ++i) {
    std::string user = "p" + std::to_string(i);
    grants += Line(user, "Consent Granted", "g" + std::to_string(i),
                   "2025-03-03T09:00:00Z", {{"channel", "sms"}});
    orders += Track(user, "Order Completed", "o" + std::to_string(i),
                    "2025-03-03T10:00:00Z");
    replies += Line(user, "SMS Received", "s" + std::to_string(i),
                    "2025-03-03T10:10:00Z", {{"text", texts[i]}});
  }
  std::string events = grants + orders + replies;
  Outcome outcome = RunBoth("stop", program, events, "2025-03-04T00:00:00Z");
  std::string expected;
  for (int i = 0; i < 6; ++i) {
    expected +=
        "suppressed 2025-03-03T11:00:00Z sms shipped consent\n"
        "send 2025-03-03T11:00:00Z email thanks_by_email\n";
  }
  // "stop please" is a conversation, not a stop word.
  expected +=
      "send 2025-03-03T11:00:00Z sms shipped\n"
      "send 2025-03-03T11:00:00Z sms thanks_by_sms\n";
  CHECK(outcome.summary == expected);
}

TEST_CASE(
    "the identify trait consent grants and revokes key by key, no "
    "address means unreachable") {
  std::string program = std::string("module traits\n") + kEvents + R"(
profile {
  email: string?
}

journey thanks {
  on OrderPlaced
  send email "thanks"
  if consent(push) {
    send push "app_thanks"
  }
}
)";
  auto identify = [](const std::string& user, const std::string& id,
                     const std::string& at,
                     const nlohmann::ordered_json& traits) {
    nlohmann::ordered_json line;
    line["type"] = "identify";
    line["userId"] = user;
    line["messageId"] = id;
    line["timestamp"] = at;
    line["traits"] = traits;
    return line.dump() + "\n";
  };
  std::string events =
      identify("p1", "i1", "2025-03-03T09:00:00Z",
               {{"email", "p1@example.com"},
                {"consent", {{"email", true}, {"push", true}}}}) +
      Track("p1", "Order Completed", "o1", "2025-03-03T10:00:00Z") +
      identify("p1", "i2", "2025-03-03T11:00:00Z",
               {{"consent", {{"email", false}}}}) +
      Track("p1", "Order Completed", "o2", "2025-03-03T12:00:00Z") +
      Track("p2", "Order Completed", "o3", "2025-03-03T12:00:00Z");
  Outcome outcome = RunBoth("traits", program, events, "2025-03-04T00:00:00Z");
  // The second identify revokes email only; push keeps its grant. p2 has
  // no email address and never granted push.
  CHECK(outcome.summary ==
        "send 2025-03-03T10:00:00Z email thanks\n"
        "send 2025-03-03T10:00:00Z push app_thanks\n"
        "suppressed 2025-03-03T12:00:00Z email thanks consent\n"
        "send 2025-03-03T12:00:00Z push app_thanks\n"
        "suppressed 2025-03-03T12:00:00Z email thanks unreachable\n");
}

// An export that pads an empty column writes an address of blanks:
// nobody can be written to there, and the send only bounced later.
TEST_CASE("an address of blanks only is no address") {
  std::string program = std::string("module blanks\n") + kEvents + R"(
profile {
  email: string?
  phone: string?
}

journey thanks {
  on OrderPlaced
  send email "thanks"
  if consent(sms) {
    send sms "sms_thanks"
  }
}
)";
  auto identify = [](const std::string& user, const std::string& id,
                     const nlohmann::ordered_json& traits) {
    nlohmann::ordered_json line;
    line["type"] = "identify";
    line["userId"] = user;
    line["messageId"] = id;
    line["timestamp"] = "2025-03-03T09:00:00Z";
    line["traits"] = traits;
    return line.dump() + "\n";
  };
  nlohmann::ordered_json sms_granted = {{"sms", true}};
  std::string events =
      identify("p1", "i1",
               {{"email", " \t "}, {"phone", "  "}, {"consent", sms_granted}}) +
      // No-break and zero-width spaces, as spreadsheets and web forms
      // leave them, are blanks too.
      identify("p3", "i3",
               {{"email", "\u00a0 \u00a0"},
                {"phone", "\u200b\ufeff"},
                {"consent", sms_granted}}) +
      identify("p2", "i2",
               {{"email", " p2@example.com "},
                {"phone", "+44 20 7946 0000"},
                {"consent", sms_granted}}) +
      Track("p1", "Order Completed", "o1", "2025-03-03T10:00:00Z") +
      Track("p2", "Order Completed", "o2", "2025-03-03T10:00:00Z") +
      Track("p3", "Order Completed", "o3", "2025-03-03T10:00:00Z");
  Outcome outcome = RunBoth("blanks", program, events, "2025-03-04T00:00:00Z");
  CHECK(outcome.summary ==
        "suppressed 2025-03-03T10:00:00Z email thanks unreachable\n"
        "suppressed 2025-03-03T10:00:00Z sms sms_thanks unreachable\n"
        "send 2025-03-03T10:00:00Z email thanks\n"
        "send 2025-03-03T10:00:00Z sms sms_thanks\n"
        "suppressed 2025-03-03T10:00:00Z email thanks unreachable\n"
        "suppressed 2025-03-03T10:00:00Z sms sms_thanks unreachable\n");
}

TEST_CASE(
    "email sends carry one-click unsubscribe headers with a token, "
    "not the profile id") {
  std::string program = std::string("module unsubscribe\n") + kEvents + R"(
journey thanks {
  on OrderPlaced
  send email "thanks"
  send push "thanks_push"
}
)";
  auto scratch = testing::ScratchDir("policy-unsubscribe");
  testing::WriteText(scratch / "policy.journey", program);
  testing::WriteText(
      scratch / "events.jsonl",
      Track("p1", "Order Completed", "o1", "2025-03-03T10:00:00Z"));
  std::vector<std::string> args = {"run",
                                   (scratch / "policy.journey").string(),
                                   "--events",
                                   (scratch / "events.jsonl").string(),
                                   "--state",
                                   (scratch / "state.db").string(),
                                   "--out",
                                   "-",
                                   "--unsubscribe-url",
                                   "https://shop.example/unsubscribe"};
  unsetenv("PARCOURS_UNSUBSCRIBE_KEY");
  auto refused = testing::RunParcours(args, scratch);
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("PARCOURS_UNSUBSCRIBE_KEY") != std::string::npos);

  // A key short enough to guess from one's own token is refused.
  setenv("PARCOURS_UNSUBSCRIBE_KEY", "Jefe", 1);
  auto short_key = testing::RunParcours(args, scratch);
  CHECK(short_key.exit_code == 2);
  CHECK_THAT(short_key.err,
             Catch::Contains("PARCOURS_UNSUBSCRIBE_KEY holds 4 bytes") &&
                 Catch::Contains("at least 16"));

  // End to end, the token is the HMAC-SHA-256 that Python's hmac module
  // and `openssl dgst -sha256 -hmac` both give for this key and id (the
  // RFC 4231 vectors themselves are in unsubscribe_test.cpp).
  setenv("PARCOURS_UNSUBSCRIBE_KEY", "a long enough unsubscribe secret", 1);
  testing::WriteText(scratch / "events.jsonl",
                     Track("what do ya want for nothing?", "Order Completed",
                           "o1", "2025-03-03T10:00:00Z"));
  auto result = testing::RunParcours(args, scratch);
  // A URL's scheme is case-insensitive: `HTTPS://` is taken too.
  std::vector<std::string> upper_args = args;
  upper_args[5] = (scratch / "upper.db").string();
  upper_args.back() = "HTTPS://shop.example/unsubscribe";
  auto upper = testing::RunParcours(upper_args, scratch);
  unsetenv("PARCOURS_UNSUBSCRIBE_KEY");
  INFO(upper.err);
  CHECK(upper.exit_code == 0);
  CHECK_THAT(upper.out,
             Catch::Contains("<HTTPS://shop.example/unsubscribe?token="));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  std::istringstream lines(result.out);
  std::string email, push;
  std::getline(lines, email);
  std::getline(lines, push);
  CHECK(nlohmann::json::parse(email)["payload"] ==
        nlohmann::json::parse(
            R"({"headers":{"List-Unsubscribe":)"
            R"("<https://shop.example/unsubscribe?token=b354cde9cf1f75dafba7a)"
            R"(a45eff38cad28121ab9a650c54a29dad8471f5a4e81&channel=email>",)"
            R"("List-Unsubscribe-Post":"List-Unsubscribe=One-Click"}})"));
  CHECK(nlohmann::json::parse(push)["payload"] == nlohmann::json::object());

  // A payload field of the name the headers take would be overwritten:
  // the run refuses before it starts, naming the send; without the flag
  // the field goes out as written.
  testing::WriteText(scratch / "clash.journey",
                     std::string("module clash\n") + kEvents + R"(
journey thanks {
  on OrderPlaced as o
  reentry never
  send best of [push, email] "thanks" with { headers: o.order_id }
}
)");
  args[1] = (scratch / "clash.journey").string();
  args[5] = (scratch / "clash.db").string();
  setenv("PARCOURS_UNSUBSCRIBE_KEY", "a long enough unsubscribe secret", 1);
  auto clash = testing::RunParcours(args, scratch);
  unsetenv("PARCOURS_UNSUBSCRIBE_KEY");
  CHECK(clash.exit_code == 2);
  CHECK_THAT(clash.err,
             Catch::Contains("send \"thanks\" of journey `thanks` (line 14) "
                             "has a payload field `headers`"));
  CHECK(clash.out.empty());
  args.resize(args.size() - 2);
  auto plain = testing::RunParcours(args, scratch);
  REQUIRE(plain.exit_code == 0);
  CHECK_THAT(plain.out, Catch::Contains(R"("payload":{"headers":"o1"})"));
}

TEST_CASE(
    "the customer's own channel comes first in best of, channel "
    "values compare in conditions, and a bad channel is a dead letter") {
  std::string program = std::string("module prefer\n") + kEvents + R"(
profile {
  preferred: channel?
}

policy choice {
  priority email > push > sms
  prefer profile.preferred
}

journey thanks {
  on OrderPlaced
  policy choice
  send best of [email, push] "thanks"
  if profile.preferred == sms {
    send sms "thanks_sms"
  }
}
)";
  auto identify = [](const std::string& user, const std::string& id,
                     const std::string& channel) {
    return R"({"type":"identify","userId":")" + user + R"(","messageId":")" +
           id +
           R"(","timestamp":"2025-03-03T09:00:00Z","traits":{"preferred":")" +
           channel + "\"}}\n";
  };
  std::string events =
      identify("p1", "i1", "push") + identify("p2", "i2", "sms") +
      identify("p3", "i3", "fax") +
      Track("p1", "Order Completed", "o1", "2025-03-03T10:00:00Z") +
      Track("p2", "Order Completed", "o2", "2025-03-03T10:00:00Z") +
      Track("p3", "Order Completed", "o3", "2025-03-03T10:00:00Z");
  Outcome outcome = RunBoth("prefer", program, events, "2025-03-04T00:00:00Z");
  // p1 prefers push, which best of offers; p2 prefers SMS, which it does
  // not, so the policy's order gives email, and the condition sends the
  // SMS; p3's "fax" was refused, so p3 has no preference.
  CHECK(outcome.summary ==
        "send 2025-03-03T10:00:00Z push thanks\n"
        "send 2025-03-03T10:00:00Z email thanks\n"
        "send 2025-03-03T10:00:00Z sms thanks_sms\n"
        "send 2025-03-03T10:00:00Z email thanks\n");
  CHECK(outcome.err.find("1 dead letter") != std::string::npos);
}

// `prefer push` in a policy: push first for everyone, wherever the
// priority ranks it, and first of the others under fallback.
TEST_CASE("a policy that prefers one channel tries it first") {
  std::string program = std::string("module prefer_one\n") + kEvents + R"(
policy push_first {
  priority email > sms > push
  prefer push
  cap 1 per day on push
  when capped: fallback
}

journey thanks {
  on OrderPlaced
  policy push_first
  send best of [email, push] "thanks"
}

journey later {
  on OrderPlaced
  policy push_first
  send sms "later"
}
)";
  std::string events =
      Track("p1", "Order Completed", "o1", "2025-03-03T10:00:00Z");
  Outcome outcome =
      RunBoth("prefer-one", program, events, "2025-03-04T00:00:00Z");
  // The first send takes push, the one preferred; the second is an SMS,
  // which no preference changes.
  CHECK(outcome.summary ==
        "send 2025-03-03T10:00:00Z push thanks\n"
        "send 2025-03-03T10:00:00Z sms later\n");
}

TEST_CASE(
    "contacts and deferrals survive between runs, explain and report "
    "caps read the decisions") {
  std::string program = std::string("module resume\n") + kEvents + R"(
policy daily {
  cap 1 per day on email
  when capped: defer
}

journey thanks {
  on OrderPlaced
  policy daily
  send email "thanks"
}

journey promo {
  on ProductViewed
  policy daily
  send email "promo"
}
)";
  auto scratch = testing::ScratchDir("policy-resume");
  testing::WriteText(scratch / "policy.journey", program);
  testing::WriteText(
      scratch / "first.jsonl",
      Track("p1", "Order Completed", "o1", "2025-03-03T10:00:00Z") +
          Track("p1", "Product Viewed", "v1", "2025-03-03T11:00:00Z"));
  testing::WriteText(
      scratch / "second.jsonl",
      Track("p1", "Order Completed", "o2", "2025-03-03T12:00:00Z"));
  std::string state = (scratch / "state.db").string();
  auto run = [&](const std::string& events, const std::string& until) {
    auto result =
        testing::RunParcours({"run", (scratch / "policy.journey").string(),
                              "--events", (scratch / events).string(),
                              "--state", state, "--out", "-", "--until", until},
                             scratch);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    return Summary(result.out);
  };
  // The second run counts the first run's send and keeps its deferral,
  // which falls due in the third.
  CHECK(run("first.jsonl", "2025-03-03T11:00:00Z") ==
        "send 2025-03-03T10:00:00Z email thanks\n"
        "deferred 2025-03-03T11:00:00Z email promo cap "
        "2025-03-04T00:00:00Z\n");
  CHECK(run("second.jsonl", "2025-03-03T12:00:00Z") ==
        "deferred 2025-03-03T12:00:00Z email thanks cap "
        "2025-03-04T00:00:00Z\n");
  testing::WriteText(scratch / "none.jsonl", "");
  // At midnight both deferred messages wake; the journey written first
  // (thanks) takes the day's one email, and promo waits another day.
  CHECK(run("none.jsonl", "2025-03-05T00:00:00Z") ==
        "send 2025-03-04T00:00:00Z email thanks\n"
        "deferred 2025-03-04T00:00:00Z email promo cap "
        "2025-03-05T00:00:00Z\n"
        "send 2025-03-05T00:00:00Z email promo\n");

  auto explain = testing::RunParcours(
      {"explain", "--state", state, "--profile", "p1"}, scratch);
  REQUIRE(explain.exit_code == 0);
  CHECK(explain.out ==
        "profile p1\n"
        "2025-03-03T10:00:00Z thanks: entered\n"
        "2025-03-03T10:00:00Z send email \"thanks\" in thanks/send1\n"
        "2025-03-03T11:00:00Z promo: entered\n"
        "2025-03-03T11:00:00Z deferred email \"promo\" in promo/send1 until "
        "2025-03-04T00:00:00Z: cap, cap 1 per day on email "
        "(policy.journey:12)\n"
        "2025-03-03T12:00:00Z thanks: entered\n"
        "2025-03-03T12:00:00Z deferred email \"thanks\" in thanks/send1 "
        "until 2025-03-04T00:00:00Z: cap, cap 1 per day on email "
        "(policy.journey:12)\n"
        "2025-03-04T00:00:00Z send email \"thanks\" in thanks/send1\n"
        "2025-03-04T00:00:00Z deferred email \"promo\" in promo/send1 "
        "until 2025-03-05T00:00:00Z: cap, cap 1 per day on email "
        "(policy.journey:12)\n"
        "2025-03-05T00:00:00Z send email \"promo\" in promo/send1\n");

  // An id that is not in the state is named, not shown as a person
  // nothing was decided for.
  auto unknown = testing::RunParcours(
      {"explain", "--state", state, "--profile", "P1"}, scratch);
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("no profile `P1` in"));
  CHECK(unknown.out.empty());

  auto report = testing::RunParcours(
      {"report", "caps", "--state", state, "--format", "json"}, scratch);
  REQUIRE(report.exit_code == 0);
  auto caps = nlohmann::json::parse(report.out)["caps"];
  REQUIRE(caps.size() == 4);
  CHECK(caps[0]["rule"] == "");
  CHECK(caps[0]["reason"] == "");
  CHECK(caps[0]["journey"] == "promo");
  CHECK(caps[0]["sent"] == 1);
  CHECK(caps[1]["journey"] == "thanks");
  CHECK(caps[1]["sent"] == 2);
  CHECK(caps[2]["rule"] == "policy.journey:12");
  CHECK(caps[2]["text"] == "cap 1 per day on email");
  CHECK(caps[2]["journey"] == "promo");
  CHECK(caps[2]["deferred"] == 2);
  CHECK(caps[3]["journey"] == "thanks");
  CHECK(caps[3]["deferred"] == 1);
  CHECK(caps[3]["suppressed"] == 0);

  auto table =
      testing::RunParcours({"report", "caps", "--state", state}, scratch);
  REQUIRE(table.exit_code == 0);
  CHECK(table.out ==
        "Messages by rule and journey\n"
        "  rule, then journey                sent suppressed  deferred\n"
        "  (no rule held it back)\n"
        "    promo                              1          0         0\n"
        "    thanks                             2          0         0\n"
        "  policy.journey:12 cap 1 per day on email\n"
        "    promo                              0          0         2\n"
        "    thanks                             0          0         1\n");

  // A state file an older Parcours wrote still has its decisions: the
  // reports read it as it is (they never migrate), from the schema that
  // brought the policy tables on; before it they say what is missing.
  // The state as the Parcours of schema `version` left it, in a copy.
  std::string older = (scratch / "older.db").string();
  auto downgrade_to = [&](int64_t version) {
    std::filesystem::copy_file(
        state, older, std::filesystem::copy_options::overwrite_existing);
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(older.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, testing::DowngradeTo(version).c_str(), nullptr,
                         nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  };
  downgrade_to(5);
  auto older_explain = testing::RunParcours(
      {"explain", "--state", older, "--profile", "p1"}, scratch);
  CHECK(older_explain.exit_code == 0);
  CHECK(older_explain.out == explain.out);
  auto older_table =
      testing::RunParcours({"report", "caps", "--state", older}, scratch);
  CHECK(older_table.exit_code == 0);
  CHECK(older_table.out == table.out);

  downgrade_to(4);
  auto oldest = testing::RunParcours(
      {"explain", "--state", older, "--profile", "p1"}, scratch);
  CHECK(oldest.exit_code == 2);
  CHECK_THAT(oldest.err, Catch::Contains("has no decisions yet"));
}

TEST_CASE(
    "explain shows the journeys a person entered and left, a holdout among "
    "them, and warnings about the person, between the decisions") {
  std::string program = std::string("module timeline\n") +
                        "profile { timezone: tz }\n" + kEvents + R"(
journey thanks {
  on OrderPlaced
  reentry never
  holdout 100%
  send email "thanks"
}
)";
  auto scratch = testing::ScratchDir("explain-timeline");
  testing::WriteText(scratch / "t.journey", program);
  testing::WriteText(
      scratch / "e.jsonl",
      std::string("{\"type\":\"identify\",\"userId\":\"p1\",") +
          "\"messageId\":\"i1\",\"timestamp\":\"2025-03-03T09:00:00Z\"," +
          "\"traits\":{\"timezone\":\"Europe/Pariss\"}}\n" +
          Track("p1", "Order Completed", "o1", "2025-03-03T10:00:00Z"));
  std::string state = (scratch / "s.db").string();
  auto run = testing::RunParcours(
      {"run", (scratch / "t.journey").string(), "--events",
       (scratch / "e.jsonl").string(), "--state", state, "--out", "-"},
      scratch);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::Contains("\"reason\":\"holdout\""));

  auto explain = testing::RunParcours(
      {"explain", "--state", state, "--profile", "p1"}, scratch);
  REQUIRE(explain.exit_code == 0);
  CHECK(explain.out ==
        "profile p1\n"
        "2025-03-03T09:00:00Z warn: time zone `Europe/Pariss` is not in the "
        "tz database; this profile's local times run in UTC\n"
        "2025-03-03T10:00:00Z thanks: entered (holdout)\n"
        "2025-03-03T10:00:00Z suppressed email \"thanks\" in thanks/send1: "
        "holdout, holdout 100% of journey `thanks`\n");

  // The caps report counts it under its reason, as no rule held it back.
  auto caps =
      testing::RunParcours({"report", "caps", "--state", state}, scratch);
  REQUIRE(caps.exit_code == 0);
  CHECK(caps.out ==
        "Messages by rule and journey\n"
        "  rule, then journey                sent suppressed  deferred\n"
        "  (holdout)\n"
        "    thanks                             0          1         0\n");
}

// The caps table used to be rows of `a | b | c`, unlike the other
// reports; it is now aligned, and a state with no message says `none`.
// A cap that a messaged contact's first message fills defers its second
// to the next day. The control contact's messages are never sent, but
// they are what a messaged contact's would have been: its caps count
// them, or its journey would run a day ahead of the treated group's
// (second and third an hour apart) and its goals would be counted on
// another clock. Kept across a restart.
TEST_CASE("a holdout's caps count the messages it held back") {
  auto program = [](const std::string& holdout) {
    return std::string(R"(module paced
event CartUpdated "Cart Updated" {}
policy pressure {
  cap 1 per day across email
  when capped: defer
}
journey cart {
  on CartUpdated
  reentry never
  policy pressure
)") + holdout +
           R"(
  send email "first"
  wait 1h
  send email "second"
  wait 1h
  send email "third"
}
)";
  };
  std::string events =
      Line("p1", "Cart Updated", "c1", "2025-03-01T10:00:00Z", {});
  Outcome messaged =
      RunBoth("paced-messaged", program(""), events, "2025-03-04T00:00:00Z");
  CHECK(messaged.summary ==
        "send 2025-03-01T10:00:00Z email first\n"
        "deferred 2025-03-01T11:00:00Z email second cap "
        "2025-03-02T00:00:00Z\n"
        "send 2025-03-02T00:00:00Z email second\n"
        "deferred 2025-03-02T01:00:00Z email third cap "
        "2025-03-03T00:00:00Z\n"
        "send 2025-03-03T00:00:00Z email third\n");

  Outcome control = RunBoth("paced-control", program("  holdout 100%"), events,
                            "2025-03-04T00:00:00Z");
  CHECK(control.summary ==
        "suppressed 2025-03-01T10:00:00Z email first holdout\n"
        "suppressed 2025-03-02T00:00:00Z email second holdout\n"
        "suppressed 2025-03-03T00:00:00Z email third holdout\n");
  auto db =
      store::Database::OpenReadOnly((control.scratch / "jit.db").string());
  REQUIRE(db.ok());
  CHECK(*db->QueryInt("SELECT count(*) FROM held_out_contacts") == 3);
  CHECK(*db->QueryInt("SELECT count(*) FROM contacts") == 0);

  // The same in two runs: what the first held back paces the second.
  auto scratch = control.scratch;
  std::string state = (scratch / "restarted.db").string();
  std::string out;
  for (const auto& [input, until] :
       {std::pair<std::string, std::string>{"events.jsonl",
                                            "2025-03-01T10:30:00Z"},
        {"empty.jsonl", "2025-03-04T00:00:00Z"}}) {
    testing::WriteText(scratch / "empty.jsonl", "");
    auto run =
        testing::RunParcours({"run", (scratch / "policy.journey").string(),
                              "--events", (scratch / input).string(), "--state",
                              state, "--out", "-", "--until", until},
                             scratch);
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    out += run.out;
  }
  CHECK(out == control.out);
}

TEST_CASE("report caps of a state with no message decided says none") {
  auto scratch = testing::ScratchDir("caps-none");
  testing::WriteText(scratch / "t.journey",
                     "event OrderPlaced \"Order Completed\" { order_id: "
                     "string }\n");
  testing::WriteText(scratch / "e.jsonl", Track("p1", "Order Completed", "o1",
                                                "2025-03-03T10:00:00Z"));
  std::string state = (scratch / "s.db").string();
  auto run = testing::RunParcours(
      {"run", (scratch / "t.journey").string(), "--events",
       (scratch / "e.jsonl").string(), "--state", state, "--out", "-"},
      scratch);
  REQUIRE(run.exit_code == 0);

  auto caps =
      testing::RunParcours({"report", "caps", "--state", state}, scratch);

  REQUIRE(caps.exit_code == 0);
  CHECK(caps.out ==
        "Messages by rule and journey\n"
        "  rule, then journey                sent suppressed  deferred\n"
        "  none\n");
}

// The first column of every row of `sql`, sorted.
std::vector<std::string> SortedRows(const std::string& state,
                                    const std::string& sql) {
  auto db = store::Database::OpenReadOnly(state);
  REQUIRE(db.ok());
  auto select = db->Prepare(sql);
  INFO(select.status().message());
  REQUIRE(select.ok());
  std::vector<std::string> rows;
  for (;;) {
    auto row = select->Step();
    REQUIRE(row.ok());
    if (!*row) break;
    rows.push_back(select->Text(0));
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

TEST_CASE(
    "every decision on a message is an action line and a decisions row, "
    "whatever its reason, and the reports agree") {
  std::string program = R"(module reasons
profile {
  email: string?
  phone: string?
  timezone: tz = "Europe/London"
}
event SignedUp "Signed Up" {}
event Left "Left" {}
event ProductViewed "Product Viewed" { sku: string }

policy dropping {
  cap 1 per day on email
  quiet 22:00 .. 07:00 local on sms
}

policy patient {
  quiet 22:00 .. 07:00 local
  when capped: defer
}

policy hurried {
  quiet 22:00 .. 07:00 local
  when capped: defer within 2h
}

journey control {
  on SignedUp
  reentry never
  holdout 100%
  send email "control"
}

journey browse {
  on ProductViewed
  reentry never
  policy dropping
  send sms "browse_sms"
  send email "browse_first"
  send email "browse_second"
}

journey waiting {
  on SignedUp
  exit on Left
  reentry never
  policy patient
  send push "waiting"
}

journey expiring {
  on SignedUp
  reentry never
  policy hurried
  send push "expiring"
}
)";
  auto identify = [](const std::string& user, const std::string& traits) {
    return R"({"type":"identify","userId":")" + user + R"(","messageId":"i-)" +
           user + R"(","timestamp":"2025-03-03T20:00:00Z","traits":)" + traits +
           "}\n";
  };
  // At 23:00 in London: p1 has every address, p2 no phone, p3 withdrew
  // email consent. Each signs up and views a product; p1 leaves at 01:00,
  // while its push waits for the end of the quiet hours.
  std::string events =
      identify("p1", R"({"email":"a@x.y","phone":"+441"})") +
      identify("p2", R"({"email":"b@x.y"})") +
      identify("p3", R"({"email":"c@x.y","phone":"+443"})") +
      Line("p3", "Consent Revoked", "r3", "2025-03-03T21:00:00Z",
           {{"channel", "email"}}) +
      Line("p1", "Signed Up", "s1", "2025-03-03T23:00:00Z", {}) +
      Line("p2", "Signed Up", "s2", "2025-03-03T23:00:00Z", {}) +
      Line("p3", "Signed Up", "s3", "2025-03-03T23:00:00Z", {}) +
      Track("p1", "Product Viewed", "v1", "2025-03-03T23:00:00Z") +
      Track("p2", "Product Viewed", "v2", "2025-03-03T23:00:00Z") +
      Track("p3", "Product Viewed", "v3", "2025-03-03T23:00:00Z") +
      Line("p1", "Left", "l1", "2025-03-04T01:00:00Z", {});
  Outcome outcome =
      RunBoth("every-reason", program, events, "2025-03-05T00:00:00Z");
  // Per profile in the order they came, its journeys in source order.
  CHECK(outcome.summary ==
        "suppressed 2025-03-03T23:00:00Z email control holdout\n"
        "deferred 2025-03-03T23:00:00Z push waiting quiet "
        "2025-03-04T07:00:00Z\n"
        "suppressed 2025-03-03T23:00:00Z push expiring expired\n"
        "suppressed 2025-03-03T23:00:00Z sms browse_sms quiet\n"
        "send 2025-03-03T23:00:00Z email browse_first\n"
        "suppressed 2025-03-03T23:00:00Z email browse_second cap\n"
        "suppressed 2025-03-03T23:00:00Z email control holdout\n"
        "deferred 2025-03-03T23:00:00Z push waiting quiet "
        "2025-03-04T07:00:00Z\n"
        "suppressed 2025-03-03T23:00:00Z push expiring expired\n"
        "suppressed 2025-03-03T23:00:00Z sms browse_sms unreachable\n"
        "send 2025-03-03T23:00:00Z email browse_first\n"
        "suppressed 2025-03-03T23:00:00Z email browse_second cap\n"
        "suppressed 2025-03-03T23:00:00Z email control holdout\n"
        "deferred 2025-03-03T23:00:00Z push waiting quiet "
        "2025-03-04T07:00:00Z\n"
        "suppressed 2025-03-03T23:00:00Z push expiring expired\n"
        "suppressed 2025-03-03T23:00:00Z sms browse_sms quiet\n"
        "suppressed 2025-03-03T23:00:00Z email browse_first consent\n"
        "suppressed 2025-03-03T23:00:00Z email browse_second consent\n"
        "suppressed 2025-03-04T01:00:00Z push waiting exit\n"
        "send 2025-03-04T07:00:00Z push waiting\n"
        "send 2025-03-04T07:00:00Z push waiting\n");

  const std::filesystem::path& scratch = outcome.scratch;
  for (const char* engine : {"jit", "interp"}) {
    INFO(engine);
    std::string state = (scratch / (std::string(engine) + ".db")).string();
    // The same decisions, field by field, in the lines and in the table.
    std::vector<std::string> lines;
    for (const std::string& text :
         SortedRows(state, "SELECT line FROM outbox")) {
      auto line = nlohmann::json::parse(text);
      std::string kind = line["kind"].get<std::string>();
      if (kind != "send" && kind != "suppressed" && kind != "deferred") {
        continue;
      }
      std::string fields;
      for (const char* key :
           {"at", "kind", "profile", "journey", "step", "channel", "template",
            "reason", "detail", "until"}) {
        // A send line has no reason, and no detail (its row may have).
        if (line.contains(key)) fields += line[key].get<std::string>();
        fields += "|";
      }
      lines.push_back(fields);
    }
    std::sort(lines.begin(), lines.end());
    std::vector<std::string> rows = SortedRows(
        state,
        "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', at, 'unixepoch') || '|' || "
        "kind || '|' || profile || '|' || journey || '|' || step || '|' || "
        "channel || '|' || template || '|' || "
        "CASE WHEN kind = 'send' THEN '|' ELSE reason || '|' || detail END "
        "|| '|' || "
        "coalesce(strftime('%Y-%m-%dT%H:%M:%SZ', until, 'unixepoch'), '') "
        "|| '|' FROM decisions");
    CHECK(lines.size() == 21);
    CHECK(rows == lines);
    CHECK(SortedRows(state,
                     "SELECT DISTINCT reason FROM decisions WHERE "
                     "kind <> 'send'") ==
          std::vector<std::string>{"cap", "consent", "exit", "expired",
                                   "holdout", "quiet", "unreachable"});

    // The backtest report counts the lines; by reason, its counts are the
    // table's.
    auto backtest = testing::RunParcours(
        {"report", "backtest", "--state", state, "--format", "json"}, scratch);
    REQUIRE(backtest.exit_code == 0);
    nlohmann::json report = nlohmann::json::parse(backtest.out);
    std::map<std::string, int64_t> reported;
    for (const std::string kind : {"suppressed", "deferred"}) {
      for (const auto& row : report[kind]) {
        reported[kind + " " + row["reason"].get<std::string>()] +=
            row["count"].get<int64_t>();
      }
    }
    std::map<std::string, int64_t> decided;
    for (const std::string& row :
         SortedRows(state,
                    "SELECT kind || ' ' || reason || '|' || count(*) FROM "
                    "decisions WHERE kind <> 'send' GROUP BY kind, reason")) {
      auto bar = row.find('|');
      decided[row.substr(0, bar)] = std::stoll(row.substr(bar + 1));
    }
    CHECK(reported == decided);
  }
}

TEST_CASE(
    "a cap's reserved slot: a normal message is held back while a high "
    "one still goes, on both sides of the edge") {
  std::string program = std::string("module reserve\n") + kEvents + R"(
policy weekly {
  cap 3 per week across email, push reserve 1 for high
}

journey thanks {
  on OrderPlaced
  policy weekly
  send email "thanks"
}

journey alert {
  on ProductViewed
  policy weekly
  send push "alert" priority high
}
)";
  // From Monday 2025-03-03: two normal emails use the two open slots (the
  // second one at one below the edge), the third is held back at the edge
  // with one slot still free; a high push takes that
  // slot, and a second high push finds the cap full.
  std::string events =
      Track("p1", "Order Completed", "o1", "2025-03-03T10:00:00Z") +
      Track("p1", "Order Completed", "o2", "2025-03-04T10:00:00Z") +
      Track("p1", "Order Completed", "o3", "2025-03-05T10:00:00Z") +
      Track("p1", "Product Viewed", "v1", "2025-03-05T11:00:00Z") +
      Track("p1", "Product Viewed", "v2", "2025-03-06T11:00:00Z") +
      // The next week a high push comes first: it counts like any send,
      // so one normal email goes and the next finds only the reserved
      // slot.
      Track("p1", "Product Viewed", "v3", "2025-03-10T09:00:00Z") +
      Track("p1", "Order Completed", "o4", "2025-03-10T10:00:00Z") +
      Track("p1", "Order Completed", "o5", "2025-03-10T11:00:00Z");
  Outcome outcome = RunBoth("reserve", program, events, "2025-03-11T00:00:00Z");
  CHECK(outcome.summary ==
        "send 2025-03-03T10:00:00Z email thanks\n"
        "send 2025-03-04T10:00:00Z email thanks\n"
        "suppressed 2025-03-05T10:00:00Z email thanks cap\n"
        "send 2025-03-05T11:00:00Z push alert\n"
        "suppressed 2025-03-06T11:00:00Z push alert cap\n"
        "send 2025-03-10T09:00:00Z push alert\n"
        "send 2025-03-10T10:00:00Z email thanks\n"
        "suppressed 2025-03-10T11:00:00Z email thanks cap\n");
  // The action line names the rule as written.
  CHECK(outcome.out.find(R"("detail":"cap 3 per week across email, push )"
                         R"(reserve 1 for high (policy.journey:)") !=
        std::string::npos);
}

TEST_CASE(
    "reserved slots serve the named priority and higher ones, not lower "
    "ones") {
  std::string program = std::string("module ranks\n") + kEvents + R"(
policy daily {
  cap 2 per day reserve 1 for high
}

journey thanks {
  on OrderPlaced
  policy daily
  send email "thanks" priority low
  send email "thanks_normal"
  send email "thanks_critical" priority critical
  send email "thanks_high" priority high
}
)";
  // A low message takes the one open slot, a normal one may not use the
  // reserved slot, a critical one may, and then the cap is full even for
  // a high one.
  std::string events =
      Track("p1", "Order Completed", "o1", "2025-03-03T10:00:00Z");
  Outcome outcome = RunBoth("ranks", program, events, "2025-03-04T00:00:00Z");
  CHECK(outcome.summary ==
        "send 2025-03-03T10:00:00Z email thanks\n"
        "suppressed 2025-03-03T10:00:00Z email thanks_normal cap\n"
        "send 2025-03-03T10:00:00Z email thanks_critical\n"
        "suppressed 2025-03-03T10:00:00Z email thanks_high cap\n");
}

TEST_CASE(
    "a normal message is deferred when only reserved slots are left, "
    "explain and report caps name the rule as written") {
  std::string program = std::string("module held\n") + kEvents + R"(
policy daily {
  cap 2 per day on email reserve 1 for high
  when capped: defer
}

journey thanks {
  on OrderPlaced
  policy daily
  send email "thanks"
}
)";
  auto scratch = testing::ScratchDir("policy-reserve-defer");
  testing::WriteText(scratch / "policy.journey", program);
  // The second order's email finds only the reserved slot and waits for
  // the next day, when it goes out.
  testing::WriteText(
      scratch / "events.jsonl",
      Track("p1", "Order Completed", "o1", "2025-03-03T10:00:00Z") +
          Track("p1", "Order Completed", "o2", "2025-03-03T11:00:00Z"));
  std::string state = (scratch / "state.db").string();
  for (const char* engine : {"jit", "interp"}) {
    std::string engine_state =
        (scratch / (std::string(engine) + ".db")).string();
    auto result = testing::RunParcours(
        {"run", (scratch / "policy.journey").string(), "--events",
         (scratch / "events.jsonl").string(), "--state", engine_state, "--out",
         "-", "--engine", engine, "--until", "2025-03-05T00:00:00Z"},
        scratch);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(Summary(result.out) ==
          "send 2025-03-03T10:00:00Z email thanks\n"
          "deferred 2025-03-03T11:00:00Z email thanks cap "
          "2025-03-04T00:00:00Z\n"
          "send 2025-03-04T00:00:00Z email thanks\n");
    state = engine_state;
  }

  auto explain = testing::RunParcours(
      {"explain", "--state", state, "--profile", "p1"}, scratch);
  REQUIRE(explain.exit_code == 0);
  CHECK(explain.out ==
        "profile p1\n"
        "2025-03-03T10:00:00Z thanks: entered\n"
        "2025-03-03T10:00:00Z send email \"thanks\" in thanks/send1\n"
        "2025-03-03T11:00:00Z thanks: entered\n"
        "2025-03-03T11:00:00Z deferred email \"thanks\" in thanks/send1 "
        "until 2025-03-04T00:00:00Z: cap, cap 2 per day on email reserve 1 "
        "for high (policy.journey:12)\n"
        "2025-03-04T00:00:00Z send email \"thanks\" in thanks/send1\n");

  auto table =
      testing::RunParcours({"report", "caps", "--state", state}, scratch);
  REQUIRE(table.exit_code == 0);
  CHECK(table.out ==
        "Messages by rule and journey\n"
        "  rule, then journey                sent suppressed  deferred\n"
        "  (no rule held it back)\n"
        "    thanks                             2          0         0\n"
        "  policy.journey:12 cap 2 per day on email reserve 1 for high\n"
        "    thanks                             0          0         1\n");
}

// A holdout contact's message was suppressed at once while a messaged
// contact's waited for the end of the quiet hours, so the control group
// left the journey hours earlier: an order placed in between converted
// the messaged contacts only, and the backtest credited the message with
// a lift that the quiet hours made.
TEST_CASE(
    "a holdout contact waits for the quiet hours as a messaged one does, "
    "so that both groups reach the same goals") {
  std::string program = R"(module pace
profile {
  email: string?
  timezone: tz = "Europe/London"
}
event CartUpdated "Cart Updated" {}
event OrderPlaced "Order Completed" {}

policy nights {
  quiet 21:00 .. 08:00 local
  when capped: defer
}

journey treated {
  on CartUpdated
  reentry never
  goal OrderPlaced within 5d
  policy nights
  send email "reminder"
  wait 3d
}

journey control {
  on CartUpdated
  reentry never
  holdout 100%
  goal OrderPlaced within 5d
  policy nights
  send email "reminder_control"
  wait 3d
}
)";
  // A cart at 22:00, inside the quiet hours until 08:00; an order three
  // days and two hours later, after the control's wait had ended when its
  // message was not held.
  std::string events =
      R"({"type":"identify","userId":"p1","messageId":"i1",)"
      R"("timestamp":"2025-03-03T22:00:00Z","traits":{"email":"a@x.y"}})"
      "\n" +
      Line("p1", "Cart Updated", "c1", "2025-03-03T22:00:00Z", {}) +
      Line("p1", "Order Completed", "o1", "2025-03-07T00:00:00Z", {});
  Outcome outcome =
      RunBoth("holdout-pace", program, events, "2025-03-12T00:00:00Z");
  CHECK(outcome.summary ==
        "deferred 2025-03-03T22:00:00Z email reminder quiet "
        "2025-03-04T08:00:00Z\n"
        "send 2025-03-04T08:00:00Z email reminder\n"
        "suppressed 2025-03-04T08:00:00Z email reminder_control holdout\n");

  auto report = testing::RunParcours(
      {"report", "backtest", "--state", (outcome.scratch / "jit.db").string(),
       "--format", "json"},
      outcome.scratch);
  REQUIRE(report.exit_code == 0);
  auto journeys = nlohmann::json::parse(report.out)["journeys"];
  REQUIRE(journeys.size() == 2);
  for (const nlohmann::json& journey : journeys) {
    INFO(journey.dump());
    CHECK(journey["goals"] == 1);
  }
}

// A `channel` trait spelt in capitals, as some CDPs write it, was a dead
// letter, and took the addresses on its line with it: the customer's own
// channel was unknown and every email unreachable.
TEST_CASE("a channel trait is a channel's name in any case") {
  std::string program = R"(module preferred
profile {
  email: string?
  phone: string?
  preferred: channel?
}
event Ping "Ping" {}

policy own_channel {
  priority email > sms
  prefer profile.preferred
}

journey ping {
  on Ping
  policy own_channel
  send best of [email, sms] "ping"
}
)";
  std::string events =
      R"({"type":"identify","userId":"p1","messageId":"i1",)"
      R"("timestamp":"2025-03-03T10:00:00Z","traits":{"email":"a@x.y",)"
      R"("phone":"+441","preferred":"SMS"}})"
      "\n" +
      Line("p1", "Ping", "g1", "2025-03-03T11:00:00Z", {});
  Outcome outcome =
      RunBoth("channel-case", program, events, "2025-03-04T00:00:00Z");
  CHECK(outcome.summary == "send 2025-03-03T11:00:00Z sms ping\n");
  CHECK_THAT(outcome.err, Catch::Contains("0 dead letters"));
}

}  // namespace
}  // namespace parcours
