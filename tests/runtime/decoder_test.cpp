// Decoding input lines into typed records, and lines that become dead
// letters.
#include "runtime/ingest/decoder.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "runtime/common/hash.h"
#include "runtime/common/time_text.h"
#include "tests/runtime/runtime_test_support.h"

namespace parcours::testing {
namespace {

using ingest::DecodeResult;
using ingest::LineOutcome;

// Whether `a` and `b` hold the same values in the layout of `fields`: the
// same words, but strings by their bytes, not by where they are.
void CheckSameRecord(const std::vector<ir::Field>& fields,
                     const common::Record& a, const common::Record& b) {
  REQUIRE(a.size() == b.size());
  if (a.size() == 0) return;  // not filled: an identify's record, say
  std::vector<bool> is_pointer(static_cast<size_t>(a.size()), false);
  for (const ir::Field& field : fields) {
    if (field.type != ir::Type::String) continue;
    is_pointer[field.offset] = true;
    CHECK(a.GetString(field.offset) == b.GetString(field.offset));
  }
  for (int32_t offset = 0; offset < a.size(); ++offset) {
    if (!is_pointer[offset]) CHECK(a.Get(offset) == b.Get(offset));
  }
}

// Every line of these tests is also decoded into one result reused from
// test to test, which must give what a new result gets, whatever the
// lines before it left there.
void CheckSameDecoding(const ir::Program& program, const DecodeResult& fresh,
                       const DecodeResult& reused) {
  const ingest::DecodedEvent& a = fresh.event;
  const ingest::DecodedEvent& b = reused.event;
  CHECK(fresh.outcome == reused.outcome);
  CHECK(fresh.reason == reused.reason);
  CHECK(a.kind == b.kind);
  CHECK(a.line == b.line);
  CHECK(a.user_id == b.user_id);
  CHECK(a.message_id == b.message_id);
  CHECK(a.key == b.key);
  CHECK(a.timestamp == b.timestamp);
  CHECK(a.received_at == b.received_at);
  CHECK(a.event_type == b.event_type);
  CHECK(a.wire_event == b.wire_event);
  CHECK(a.trait_attributes == b.trait_attributes);
  CHECK(a.absent_fields == b.absent_fields);
  CHECK(a.undeclared_properties == b.undeclared_properties);
  REQUIRE(a.consent.size() == b.consent.size());
  for (size_t i = 0; i < a.consent.size(); ++i) {
    CHECK(a.consent[i].channel == b.consent[i].channel);
    CHECK(a.consent[i].purpose == b.consent[i].purpose);
    CHECK(a.consent[i].granted == b.consent[i].granted);
    CHECK(a.consent[i].context == b.consent[i].context);
    CHECK(a.consent[i].source == b.consent[i].source);
  }
  std::vector<ir::Field> event_fields;
  if (a.event_type >= 0) event_fields = program.events[a.event_type].fields;
  CheckSameRecord(event_fields, a.record, b.record);
  CheckSameRecord(program.profile, a.traits, b.traits);
}

DecodeResult DecodeWith(const Shop& shop, const std::string& line) {
  ingest::Decoder decoder(shop.program);
  DecodeResult fresh = decoder.Decode(line, 7);

  static DecodeResult reused;
  decoder.Decode(line, 7, reused);
  CheckSameDecoding(shop.program, fresh, reused);
  return fresh;
}

// Decodes a line that must be usable.
ingest::DecodedEvent Usable(const Shop& shop, const std::string& line) {
  DecodeResult result = DecodeWith(shop, line);
  INFO(result.reason);
  REQUIRE(result.outcome == LineOutcome::Event);
  return std::move(result.event);
}

// Decodes a line that must be refused, and returns why.
std::string Refused(const Shop& shop, const std::string& line) {
  DecodeResult result = DecodeWith(shop, line);
  REQUIRE(result.outcome == LineOutcome::DeadLetter);
  return result.reason;
}

const char* kTime = "2011-01-02T10:00:00Z";

TEST_CASE("money is read exactly from the number's text", "[runtime][ingest]") {
  Shop shop = MakeShop();
  struct Case {
    const char* total;
    int64_t units;
  };
  const Case cases[] = {
      {"129.90", 129'900'000}, {"\"129.90\"", 129'900'000}, {"0.1", 100'000},
      {"-5.25", -5'250'000},   {"1e3", 1'000'000'000},      {"12", 12'000'000},
      {"0.123456", 123'456},
  };
  for (const Case& c : cases) {
    INFO(c.total);
    auto event = Usable(shop, Order("p1", "o1", kTime, c.total));
    CHECK(event.kind == ingest::EventKind::Track);
    CHECK(event.event_type == 0);
    CHECK(event.record.Get(2) == c.units);
    CHECK(event.record.Get(3) == kEur);
  }
}

// `money` and `decimal` took "12.50" in quotes, but an `int` refused "5":
// exports that quote every number lost those lines.
TEST_CASE("an int field or trait takes an integer in quotes",
          "[runtime][ingest]") {
  Shop shop = MakeShop();
  auto order = [](const std::string& items) {
    return Track("Order Completed", "p1", "o1", kTime,
                 R"({"order_id":"o1","total":1,"currency":"EUR","items":)" +
                     items + "}");
  };
  auto quoted = Usable(shop, order("\"5\""));
  auto bare = Usable(shop, order("5"));
  CheckSameRecord(shop.program.events[0].fields, quoted.record, bare.record);

  auto quoted_age =
      Usable(shop, Identify("p1", "i1", kTime, R"({"age":"-41"})"));
  auto bare_age = Usable(shop, Identify("p1", "i1", kTime, R"({"age":-41})"));
  CheckSameRecord(shop.program.profile, quoted_age.traits, bare_age.traits);

  // The same checks as for a bare number.
  CHECK(Refused(shop, order("\"5.5\"")) == Refused(shop, order("5.5")));
  CHECK(Refused(shop, order("\"99999999999999999999\"")) ==
        Refused(shop, order("99999999999999999999")));
  CHECK_THAT(Refused(shop, order("\"five\"")),
             Catch::Contains("must be an integer, or one written as text "
                             "such as \"5\", got `five`"));
}

TEST_CASE("a decimal and other field types decode into their slots",
          "[runtime][ingest]") {
  Shop shop = MakeShop();
  auto event =
      Usable(shop, Track("Cart Updated", "p1", "m1", kTime,
                         R"({"value":"0.30","at":"2011-01-02T11:00:00+01:00",)"
                         R"("wait":3600,"gift":true})"));
  CHECK(event.event_type == 2);
  CHECK(event.record.Get(0) == 300'000);
  CHECK(event.record.Get(1) == 1293962400);  // at
  CHECK(event.record.Get(2) == 1);           // at present
  CHECK(event.record.Get(3) == 3600);        // wait
  CHECK(event.record.Get(5) == 1);           // gift
  CHECK(event.record.Get(6) == 1);           // gift present
}

// A length past the language's thousand years is a unit mix-up: taken,
// a wait computed from it could wrap past the 64-bit range and end at
// once.
TEST_CASE("a duration past a thousand years is a dead letter",
          "[runtime][ingest]") {
  Shop shop = MakeShop();
  auto line = [&](const std::string& seconds) {
    return Track("Cart Updated", "p1", "m1", kTime,
                 R"({"value":"0.30","wait":)" + seconds + "}");
  };
  const int64_t thousand_years = int64_t{1000} * 366 * 86400;
  CHECK(Usable(shop, line(std::to_string(thousand_years))).record.Get(3) ==
        thousand_years);
  CHECK(Usable(shop, line(std::to_string(-thousand_years))).record.Get(3) ==
        -thousand_years);
  for (std::string seconds :
       {std::to_string(thousand_years + 1), std::string("-9223372036854775807"),
        std::string("4611686018427387904")}) {
    INFO(seconds);
    CHECK_THAT(Refused(shop, line(seconds)),
               Catch::Contains("is more than a thousand years of seconds, "
                               "which is no length (milliseconds?)"));
  }
}

TEST_CASE("optional fields left out, and the keys beside them, are listed",
          "[runtime][ingest]") {
  Shop shop = MakeShop();
  ingest::Decoder decoder(shop.program);
  std::string line = Track("Order Completed", "p1", "o1", kTime,
                           R"({"order_id":"o1","total":10,"currency":"EUR",)"
                           R"("Note":"gift wrap","items":2,"x":1})");
  // `note` (field 2) is left out; the keys the type does not declare are
  // listed on the first thousand lines and one in 1,024 after.
  for (int64_t number : {1, 1000, 2048, 1001, 2047}) {
    INFO("line " << number);
    DecodeResult result = decoder.Decode(line, number);
    REQUIRE(result.outcome == LineOutcome::Event);
    CHECK(result.event.absent_fields == std::vector<int32_t>{2});
    std::vector<std::string> listed;
    if (number <= 1000 || number == 2048) listed = {"currency", "Note", "x"};
    CHECK(result.event.undeclared_properties == listed);
  }

  // Nothing left out, nothing listed; a null is given, not left out.
  DecodeResult full = decoder.Decode(
      Track("Order Completed", "p1", "o2", kTime,
            R"({"order_id":"o2","total":1,"currency":"EUR","note":null,)"
            R"("items":1,"x":1})"),
      1);
  REQUIRE(full.outcome == LineOutcome::Event);
  CHECK(full.event.absent_fields.empty());
  CHECK(full.event.undeclared_properties.empty());
}

TEST_CASE("optional fields carry a presence word", "[runtime][ingest]") {
  Shop shop = MakeShop();
  auto bare = Usable(shop, Order("p1", "o1", kTime, "10"));
  CHECK(bare.record.Get(6) == 0);
  CHECK(bare.record.Get(8) == 0);

  auto full =
      Usable(shop, Track("Order Completed", "p1", "o2", kTime,
                         R"({"order_id":"o2","total":10,"currency":"EUR",)"
                         R"("note":"gift wrap","items":3})"));
  CHECK(full.record.GetString(4) == "gift wrap");
  CHECK(full.record.Get(6) == 1);
  CHECK(full.record.Get(7) == 3);
  CHECK(full.record.Get(8) == 1);

  auto null_note =
      Usable(shop, Track("Order Completed", "p1", "o3", kTime,
                         R"({"order_id":"o3","total":1,"currency":"EUR",)"
                         R"("note":null})"));
  CHECK(null_note.record.Get(6) == 0);
}

TEST_CASE("unicode strings survive decoding and moving the event",
          "[runtime][ingest]") {
  Shop shop = MakeShop();
  std::vector<ingest::DecodedEvent> events;
  events.push_back(Usable(shop, Track("Order Completed", "Zoë", "o1", kTime,
                                      R"({"order_id":"東京-🎉",)"
                                      R"("total":1,"currency":"EUR",)"
                                      R"("note":"caf\u00e9 \ud83d\ude00"})")));
  // Growing the vector moves the first event; its slots must still point
  // at live bytes.
  for (int i = 0; i < 50; ++i) {
    events.push_back(Usable(shop, Order("p", "o", kTime, "1")));
  }
  CHECK(events[0].user_id == "Zoë");
  CHECK(events[0].record.GetString(0) == "東京-🎉");
  CHECK(events[0].record.GetString(4) == "café 😀");
}

TEST_CASE("the envelope: ids, numeric user ids and times",
          "[runtime][ingest]") {
  Shop shop = MakeShop();
  auto event = Usable(
      shop, R"({"type":"track","event":"Signed Up","userId":17850,)"
            R"("messageId":"m-1","timestamp":"2011-01-02T12:00:00.5+02:00",)"
            R"("receivedAt":"2011-01-02T10:05:00Z"})");
  CHECK(event.user_id == "17850");
  CHECK(event.message_id == "m-1");
  CHECK(event.timestamp == 1293962400);
  CHECK(event.received_at == 1293962700);
  CHECK(event.ClockTime() == 1293962700);
  CHECK(event.line == 7);

  auto no_id = Usable(shop, Track("Signed Up", "p1", "", kTime));
  CHECK_FALSE(no_id.message_id.has_value());
  CHECK(no_id.ClockTime() == 1293962400);
}

TEST_CASE("an undeclared event type is ignored, not refused",
          "[runtime][ingest]") {
  Shop shop = MakeShop();
  DecodeResult result =
      DecodeWith(shop, Track("Page Viewed", "p1", "m1", kTime));
  CHECK(result.outcome == LineOutcome::Ignored);
  CHECK(result.event.ClockTime() == 1293962400);
}

TEST_CASE("identify traits become typed profile attributes",
          "[runtime][ingest]") {
  Shop shop = MakeShop();
  auto event =
      Usable(shop, Identify("p1", "m1", kTime,
                            R"({"email":"p1@example.com","vip":true,)"
                            R"("timezone":"Europe/Paris","age":null})"));
  CHECK(event.kind == ingest::EventKind::Identify);
  REQUIRE(event.trait_attributes == std::vector<int32_t>{0, 1, 3});
  CHECK(event.traits.GetString(shop.email) == "p1@example.com");
  CHECK(event.traits.Get(shop.email + 2) == 1);
  CHECK(event.traits.Get(shop.vip) == 1);
}

TEST_CASE("unusable lines say why", "[runtime][ingest]") {
  Shop shop = MakeShop();
  struct Case {
    std::string line;
    std::string reason;
  };
  const Case cases[] = {
      {"{\"type\":", "not JSON: "},
      {"[1,2]", "not a JSON object, got array"},
      // Valid JSON, but a number past what a double holds: the reason
      // said "not JSON: number overflow", which sent readers looking for
      // a syntax error.
      {Track("Cart Updated", "p1", "m1", kTime, R"({"value":1e400})"),
       "number out of range: `1e400`, the value of `properties.value` "
       "(JSON numbers here run to about 1.8e308)"},
      {Track("Cart Updated", "p1", "m1", kTime,
             R"({"value":1,"items":[{"price":2},{"price":-7e999}]})"),
       "number out of range: `-7e999`, the value of "
       "`properties.items[1].price` (JSON numbers here run to about "
       "1.8e308)"},
      {R"({"type":"page","userId":"p1"})",
       "unknown type `page`; expected `track` or `identify`"},
      {R"({"userId":"p1"})", "missing `type`"},
      {Track("Signed Up", "", "m1", kTime), "missing userId"},
      {Track("Signed Up", "  ", "m1", kTime), "missing userId"},
      {R"({"type":"track","event":5,"userId":"p1",)"
       R"("timestamp":"2011-01-02T10:00:00Z"})",
       "`event` must be the event's name as a string, got number"},
      {R"({"type":"track","event":"Signed Up",)"
       R"("timestamp":"2011-01-02T10:00:00Z"})",
       "missing userId"},
      {R"({"type":"track","event":"Signed Up","anonymousId":"a1",)"
       R"("timestamp":"2011-01-02T10:00:00Z"})",
       "missing userId (an `anonymousId` alone names no profile: events "
       "count from the user's first line with a `userId`)"},
      {R"({"type":"track","event":"Signed Up","userId":true,"timestamp":"x"})",
       "userId must be a string or an integer, got boolean"},
      // An id past 64 bits is still an integer: it fits as a string.
      {R"({"type":"track","event":"Signed Up",)"
       R"("userId":92233720368547758070,"timestamp":"x"})",
       "userId `92233720368547758070` is an integer too large (above "
       "9223372036854775807); send it as a string, in quotes"},
      {R"({"type":"track","event":"Signed Up",)"
       R"("userId":-9223372036854775809,"timestamp":"x"})",
       "userId `-9223372036854775809` is an integer too small (below "
       "-9223372036854775808); send it as a string, in quotes"},
      {Track("Signed Up", "p1", "m1", "2011-01-02T10:00:00"),
       "timestamp is not an ISO 8601 time with a zone: "
       "`2011-01-02T10:00:00`"},
      // The layout is right and the zone is there: the day or the hour
      // is what does not exist.
      {Track("Signed Up", "p1", "m1", "2025-02-29T10:00:00Z"),
       "timestamp is not a real time (no such day, or an hour past 23, or "
       "a minute or second past 59): `2025-02-29T10:00:00Z`"},
      {Track("Signed Up", "p1", "m1", "2025-01-31T24:00:00.5+01:00"),
       "timestamp is not a real time (no such day, or an hour past 23, or "
       "a minute or second past 59): `2025-01-31T24:00:00.5+01:00`"},
      // The day and the hour exist; the zone offset is what does not.
      {Track("Signed Up", "p1", "m1", "2025-01-31T10:00:00+25:00"),
       "timestamp has a zone offset out of range (`+25:00`; offsets run "
       "from -23:59 to +23:59): `2025-01-31T10:00:00+25:00`"},
      {Track("Signed Up", "p1", "m1", "2025-01-31T10:00:00-05:60"),
       "timestamp has a zone offset out of range (`-05:60`; offsets run "
       "from -23:59 to +23:59): `2025-01-31T10:00:00-05:60`"},
      {Track("Cart Updated", "p1", "m1", kTime,
             R"({"value":1,"at":"2025-04-31T10:00:00Z"})"),
       "field `at` of `Cart Updated` is not a real time (no such day, or an "
       "hour past 23, or a minute or second past 59): "
       "`2025-04-31T10:00:00Z`"},
      {Track("Order Completed", "p1", "m1", kTime,
             R"({"order_id":"o1","total":129.9})"),
       "money field `total` needs a `currency`"},
      {Track("Order Completed", "p1", "m1", kTime,
             R"({"order_id":"o1","total":1,"currency":"euro"})"),
       "`currency` must be a three-letter ISO 4217 code such as `EUR`, "
       "got `euro`"},
      {Track("Order Completed", "p1", "m1", kTime,
             R"({"order_id":"o1","total":"abc","currency":"EUR"})"),
       "field `total` of `Order Completed` must be a number, or one written "
       "as text such as \"20.00\", got `abc`"},
      {Track("Order Completed", "p1", "m1", kTime,
             R"({"order_id":5,"total":1,"currency":"EUR"})"),
       "field `order_id` of `Order Completed` must be a string, got number"},
      {Track("Order Completed", "p1", "m1", kTime, R"({"total":1})"),
       "missing field `order_id` of `Order Completed`"},
      {Track("Order Completed", "p1", "m1", kTime,
             R"({"order_id":"o1","total":null,"currency":"EUR"})"),
       "field `total` of `Order Completed` must be a number, got null"},
      {Track("Order Completed", "p1", "m1", kTime,
             R"({"order_id":"o1","total":0.0000001,"currency":"EUR"})"),
       "field `total` of `Order Completed` has more than 6 decimal places"},
      {Track("Order Completed", "p1", "m1", kTime,
             R"({"order_id":"o1","total":1,"currency":"EUR","items":2.5})"),
       "field `items` of `Order Completed` must be an integer, got a "
       "fraction"},
      {Track("Cart Updated", "p1", "m1", kTime, R"({"value":1,"gift":"yes"})"),
       "field `gift` of `Cart Updated` must be a boolean, got string"},
      {Track("Cart Updated", "p1", "m1", kTime,
             R"({"value":1,"at":"tomorrow"})"),
       "field `at` of `Cart Updated` is not an ISO 8601 time with a zone: "
       "`tomorrow`"},
      {Track("Signed Up", "p1", "m1", kTime, "[]"),
       "`properties` must be an object, got array"},
      {Identify("p1", "m1", kTime, R"({"vip":"yes"})"),
       "trait `vip` must be a boolean, got string"},
      {Identify("p1", "m1", kTime, R"({"vip":null})"),
       "trait `vip` must be a boolean, got null"},
      // The channel is right and the value is wrong: the value is named.
      {Identify("p1", "m1", kTime, R"({"consent":{"sms":"maybe"}})"),
       "trait `consent` takes true or false (or \"yes\", \"no\", 1, 0) for "
       "`sms`, not \"maybe\""},
      // Quoted as JSON quotes it: a quote or a NUL cannot hide.
      {Identify("p1", "m1", kTime, R"({"consent":{"sms":"a\u0000\"x\\"}})"),
       "trait `consent` takes true or false (or \"yes\", \"no\", 1, 0) for "
       "`sms`, not \"a\\u0000\\\"x\\\\\""},
      {Identify("p1", "m1", kTime, R"({"consent":{"sms":2}})"),
       "trait `consent` takes true or false (or \"yes\", \"no\", 1, 0) for "
       "`sms`, not 2"},
      {Identify("p1", "m1", kTime, R"({"consent":{"sms":1.0}})"),
       "trait `consent` takes true or false (or \"yes\", \"no\", 1, 0) for "
       "`sms`, not 1.0"},
      {Identify("p1", "m1", kTime, R"({"consent":{"fax":true}})"),
       "trait `consent` takes the channels email, inapp, push and sms, "
       "not `fax`"},
  };
  for (const Case& c : cases) {
    INFO(c.line);
    std::string reason = Refused(shop, c.line);
    CHECK(reason.substr(0, c.reason.size()) == c.reason);
  }
}

TEST_CASE("a currency must be an ISO 4217 code, as in the compiler",
          "[runtime][ingest]") {
  Shop shop = MakeShop();
  for (const char* code : {"ABC", "XYZ", "EUX"}) {
    INFO(code);
    CHECK(Refused(shop, Track("Order Completed", "p1", "m1", kTime,
                              R"({"order_id":"o1","total":1,"currency":")" +
                                  std::string(code) + R"("})")) ==
          "`currency` must be a three-letter ISO 4217 code such as `EUR`, "
          "got `" +
              std::string(code) + "`");
  }
  for (const char* code : {"EUR", "GBP", "USD", "JPY", "CHF"}) {
    INFO(code);
    auto event = Usable(shop, Order("p1", "o1", kTime, "1", code));
    CHECK(event.record.Get(3) == ir::PackCurrency(code));
  }
}

TEST_CASE("a time in PostgreSQL's text form is refused with its ISO form",
          "[runtime][ingest]") {
  Shop shop = MakeShop();
  CHECK(
      Refused(shop, Track("Signed Up", "p1", "m1", "2011-03-01 10:00:00+00")) ==
      "timestamp has a space between the date and the time, where ISO "
      "8601 puts a `T` (write it `2011-03-01T10:00:00+00:00`): "
      "`2011-03-01 10:00:00+00`");
  CHECK(Refused(shop, Track("Signed Up", "p1", "m1",
                            "2011-03-01 10:00:00.25-0530")) ==
        "timestamp has a space between the date and the time, where ISO "
        "8601 puts a `T` (write it `2011-03-01T10:00:00.25-05:30`): "
        "`2011-03-01 10:00:00.25-0530`");
  CHECK(Refused(shop, Track("Signed Up", "p1", "m1", "2011-03-01 10:00:00Z")) ==
        "timestamp has a space between the date and the time, where ISO "
        "8601 puts a `T` (write it `2011-03-01T10:00:00Z`): "
        "`2011-03-01 10:00:00Z`");
  // Without a zone, the space is not all that is wrong.
  CHECK(Refused(shop, Track("Signed Up", "p1", "m1", "2011-03-01 10:00:00")) ==
        "timestamp is not an ISO 8601 time with a zone: "
        "`2011-03-01 10:00:00`");
  CHECK(
      Refused(shop, Track("Signed Up", "p1", "m1", "2011-03-01 10:00:00.5")) ==
      "timestamp is not an ISO 8601 time with a zone: "
      "`2011-03-01 10:00:00.5`");
  // The offset in hours alone is taken in the ISO layout.
  CHECK(Usable(shop, Track("Signed Up", "p1", "m1", "2011-03-01T10:00:00+01"))
            .timestamp == *common::ParseTime("2011-03-01T09:00:00Z"));
}

TEST_CASE("envelope times must lie between the years 1900 and 9999",
          "[runtime][ingest]") {
  Shop shop = MakeShop();
  CHECK(Refused(shop, Track("Signed Up", "p1", "m1", "1899-12-31T23:59:59Z")) ==
        "timestamp `1899-12-31T23:59:59Z` is outside the years 1900 to 9999");
  CHECK(Refused(shop, Track("Signed Up", "p1", "m1", "0001-01-01T00:00:00Z")) ==
        "timestamp `0001-01-01T00:00:00Z` is outside the years 1900 to 9999");
  CHECK(Refused(shop,
                Track("Signed Up", "p1", "m1", "9999-12-31T23:00:00-05:00")) ==
        "timestamp `9999-12-31T23:00:00-05:00` is outside the years 1900 to "
        "9999");
  CHECK(Refused(shop, R"({"type":"identify","userId":"p1",)"
                      R"("timestamp":"2011-01-02T10:00:00Z",)"
                      R"("receivedAt":"1000-01-01T00:00:00Z"})") ==
        "receivedAt `1000-01-01T00:00:00Z` is outside the years 1900 to 9999");

  CHECK(Usable(shop, Track("Signed Up", "p1", "m1", "1900-01-01T00:00:00Z"))
            .timestamp == common::kEarliestTime);
  CHECK(Usable(shop, Track("Signed Up", "p1", "m1", "9999-12-31T23:59:59Z"))
            .timestamp == common::kLatestTime);
}

TEST_CASE("an event's key is its message id, or its line's content",
          "[runtime][ingest]") {
  Shop shop = MakeShop();
  CHECK(Usable(shop, Track("Signed Up", "p1", "m-1", kTime)).key == "m-1");
  CHECK(Usable(shop, R"({"type":"identify","userId":"p1","messageId":42,)"
                     R"("timestamp":"2011-01-02T10:00:00Z"})")
            .key == "42");

  std::string line = Track("Signed Up", "p1", "", kTime);
  std::string key = Usable(shop, line).key;
  CHECK(key == "line:" + common::Hex64(common::Fnv1a64(line)));
  CHECK(key == ingest::ContentKey(line));
  CHECK(Usable(shop, Track("Signed Up", "p2", "", kTime)).key != key);
  CHECK(Usable(shop, line + " ").key != key);

  // An empty message id is no id, and neither is one of blanks only: two
  // profiles' lines sent with `"   "` are two events, not a duplicate.
  CHECK(Usable(shop, R"({"type":"identify","userId":"p1","messageId":"",)"
                     R"("timestamp":"2011-01-02T10:00:00Z"})")
            .key.rfind("line:", 0) == 0);
  std::string blank_p1 = Track("Signed Up", "p1", " \\t ", kTime);
  std::string blank_p2 = Track("Signed Up", "p2", " \\t ", kTime);
  CHECK(Usable(shop, blank_p1).key == ingest::ContentKey(blank_p1));
  CHECK(Usable(shop, blank_p2).key == ingest::ContentKey(blank_p2));

  // So is what a JavaScript sender writes for an id it did not have: as an
  // id, every later line of that sender would be a duplicate.
  for (const char* placeholder :
       {"undefined", "null", "NaN", "[object Object]"}) {
    INFO(placeholder);
    std::string sent = Track("Signed Up", "p1", placeholder, kTime);
    CHECK(Usable(shop, sent).key == ingest::ContentKey(sent));
  }
  // An id that only contains such a word is an id.
  CHECK(Usable(shop, Track("Signed Up", "p1", "undefined-1", kTime)).key ==
        "undefined-1");

  // A line that cannot be used still says which event it was, so that a
  // line applied before is known as a duplicate rather than dead-lettered.
  DecodeResult refused =
      DecodeWith(shop, Track("Order Completed", "p1", "o-9", kTime, "{}"));
  CHECK(refused.outcome == LineOutcome::DeadLetter);
  CHECK(refused.event.key == "o-9");
}

TEST_CASE("blank lines are neither events nor dead letters",
          "[runtime][ingest]") {
  Shop shop = MakeShop();
  CHECK(DecodeWith(shop, "").outcome == LineOutcome::Blank);
  CHECK(DecodeWith(shop, "  \t ").outcome == LineOutcome::Blank);
}

TEST_CASE("deep nesting is refused without exhausting the stack",
          "[runtime][ingest]") {
  Shop shop = MakeShop();
  std::string deep = R"({"type":"track","x":)" + std::string(100000, '[') +
                     std::string(100000, ']') + "}";
  CHECK(Refused(shop, deep).find("nested deeper than 64") != std::string::npos);
}

}  // namespace
}  // namespace parcours::testing

namespace parcours::testing {
namespace {

TEST_CASE("a line that repeats a key is a dead letter, not a guess",
          "[runtime][ingest]") {
  Shop shop = MakeShop();
  CHECK(Refused(shop,
                R"({"type":"track","event":"Order Completed","userId":"p1",)"
                R"("timestamp":"2011-01-02T10:00:00Z","properties":)"
                R"({"order_id":"o1","total":1,"currency":"EUR",)"
                R"("currency":"USD"}})") ==
        "the key `currency` appears twice in `properties`; which value is "
        "meant is unclear");
  CHECK(Refused(shop, R"({"type":"identify","userId":"p1","userId":"p2",)"
                      R"("timestamp":"2011-01-02T10:00:00Z","traits":{}})") ==
        "the key `userId` appears twice; which value is meant is unclear");
}

}  // namespace
}  // namespace parcours::testing
