// Each feature of the mapping, and each reason a row is refused, on small
// CSV texts whose expected events are written out in full.
#include <catch2/catch.hpp>

#include "tests/import/import_support.h"

namespace parcours::import {
namespace {

using testing::Import;

// A mapping with the given extra members before the required ones.
std::string Mapping(const std::string& extra) {
  return "{" + extra + R"(, "user_id": "id",
      "timestamp": {"column": "at", "format": "epoch_seconds"}})";
}

TEST_CASE("one row, one track event, keys in the contract's order") {
  auto result = Import(Mapping(R"("event": "Signed In",
      "message_id": "m-{id}-{at}", "properties": {"device": "device"})"),
                       "id,at,device\np1,1700000000,ios\n");
  REQUIRE(result.finished);
  CHECK(result.events ==
        R"({"type":"track","event":"Signed In","userId":"p1",)"
        R"("messageId":"m-p1-1700000000","timestamp":"2023-11-14T22:13:20Z",)"
        R"("properties":{"device":"ios"}})"
        "\n");
  CHECK(result.summary ==
        "rows read: 1\nevents written: 1 (1 track, 0 identify)\n"
        "rows skipped by filter: 0\nbad rows: 0\n");
}

TEST_CASE("rules choose the event, and skip rules and filters drop rows") {
  auto result = Import(Mapping(R"("skip": [{"column": "kind", "in":
      ["test", "debug"]}], "message_id": "{id}-{at}", "event": [
      {"when": {"column": "kind", "equals": "bot"}, "skip": true},
      {"when": [{"column": "kind", "starts_with": "pv"},
                {"column": "id", "empty": false}], "event": "Product Viewed"},
      {"event": "Other"}])"),
                       "id,at,kind\n"
                       "a,1,pv\n"
                       "a,2,pvx\n"
                       "a,3,test\n"
                       "a,4,bot\n"
                       "a,5,buy\n");
  REQUIRE(result.finished);
  CHECK(
      result.events ==
      R"({"type":"track","event":"Product Viewed","userId":"a",)"
      R"("messageId":"a-1","timestamp":"1970-01-01T00:00:01Z","properties":{}})"
      "\n"
      R"({"type":"track","event":"Product Viewed","userId":"a",)"
      R"("messageId":"a-2","timestamp":"1970-01-01T00:00:02Z","properties":{}})"
      "\n"
      R"({"type":"track","event":"Other","userId":"a","messageId":"a-5",)"
      R"("timestamp":"1970-01-01T00:00:05Z","properties":{}})"
      "\n");
  CHECK(result.counts.rows_read == 5);
  CHECK(result.counts.rows_skipped == 2);
}

TEST_CASE("a row no rule matches is a bad row") {
  auto result = Import(Mapping(R"("event": [{"when": {"column": "kind",
      "equals": "pv"}, "event": "Product Viewed"}])"),
                       "id,at,kind\na,1,refund\n");
  REQUIRE(result.finished);
  CHECK(result.events.empty());
  CHECK(result.dead_letters ==
        R"({"line":2,"reason":"no event rule matches this row","record":"a,1,)"
        R"(refund"})"
        "\n");
}

TEST_CASE("typed properties are written exactly") {
  auto result = Import(Mapping(R"("event": "E", "message_id": "m",
      "properties": {
        "n": {"column": "n", "type": "int"},
        "d": {"column": "d", "type": "decimal"},
        "r": {"column": "d", "type": "decimal", "decimals": 1},
        "price": {"column": "d", "type": "money", "currency": "JPY",
                  "currency_property": "price_currency"},
        "paid": {"column": "p", "type": "money", "currency_column": "cur"},
        "ok": {"column": "ok", "type": "bool"},
        "seen": {"column": "seen", "type": "time", "format": "%Y-%m-%d",
                 "zone": "Europe/Paris"},
        "source": {"constant": "csv"},
        "version": {"constant": 2}
      })"),
                       "id,at,n,d,p,cur,ok,seen\n"
                       "a,0,17850.0,0.150,12.005,EUR,Yes,2024-07-01\n");
  REQUIRE(result.finished);
  CHECK(result.events ==
        R"({"type":"track","event":"E","userId":"a","messageId":"m",)"
        R"("timestamp":"1970-01-01T00:00:00Z","properties":{"n":17850,)"
        R"("d":0.150,"r":0.2,"price":0,"price_currency":"JPY",)"
        R"("paid":12.01,"currency":"EUR","ok":true,)"
        R"("seen":"2024-06-30T22:00:00Z","source":"csv","version":2}})"
        "\n");
}

TEST_CASE("empty cells are kept, omitted, null or bad as the mapping says") {
  auto result = Import(Mapping(R"("event": "E", "message_id": "m{at}",
      "properties": {
        "kept": "s",
        "gone": {"column": "s", "if_empty": "omit"},
        "none": {"column": "n", "type": "int", "if_empty": "null"},
        "must": {"column": "m", "type": "decimal"}
      })"),
                       "id,at,s,n,m\na,1,,,1.5\na,2,,,\n");
  REQUIRE(result.finished);
  CHECK(result.events ==
        R"({"type":"track","event":"E","userId":"a","messageId":"m1",)"
        R"("timestamp":"1970-01-01T00:00:01Z","properties":{"kept":"",)"
        R"("none":null,"must":1.5}})"
        "\n");
  CHECK(result.dead_letters ==
        R"({"line":3,"reason":"column m is empty","record":"a,2,,,"})"
        "\n");
}

TEST_CASE("a hashed messageId is stable and follows the mapped content") {
  std::string mapping = Mapping(R"("event": "E",
      "message_id": {"hash_prefix": "h-"}, "properties": {"x": "x"})");
  auto first = Import(mapping, "id,at,x,unused\na,1,x1,u1\na,1,x2,u1\n");
  auto again = Import(mapping, "id,at,x,unused\na,1,x1,u2\n");
  REQUIRE(first.finished);
  REQUIRE(again.finished);
  std::string first_line = first.events.substr(0, first.events.find('\n'));
  std::string second_line = first.events.substr(first_line.size() + 1);
  // An unmapped column does not change the id: the event is the same.
  CHECK(first_line + "\n" == again.events);
  CHECK_THAT(first_line, Catch::Contains(R"("messageId":"h-)"));
  CHECK(first_line.substr(0, 60) != second_line.substr(0, 60));
  auto id_of = [](const std::string& line) {
    size_t at = line.find("\"messageId\":\"") + 13;
    return line.substr(at, line.find('"', at) - at);
  };
  CHECK(id_of(first_line).size() == 2 + 32);
  CHECK(id_of(first_line) != id_of(second_line));
}

TEST_CASE("receivedAt, two time columns and a zone per row") {
  auto result = Import(R"({"event": "E", "user_id": "id", "message_id": "m",
      "timestamp": {"columns": ["day", "clock"], "format": "%d/%m/%Y %H:%M",
                    "zone_column": "tz"},
      "received_at": {"column": "got", "format": "iso8601"}})",
                       "id,day,clock,tz,got\n"
                       "a,02/01/2024,09:30,Asia/Tokyo,2024-01-02T01:00:00Z\n"
                       "a,02/01/2024,09:30,Nowhere/City,x\n"
                       "a,02/01/2024,09:30,,x\n");
  REQUIRE(result.finished);
  CHECK(result.events ==
        R"({"type":"track","event":"E","userId":"a","messageId":"m",)"
        R"("timestamp":"2024-01-02T00:30:00Z",)"
        R"("receivedAt":"2024-01-02T01:00:00Z","properties":{}})"
        "\n");
  CHECK(
      result.dead_letters ==
      R"({"line":3,)"
      R"("reason":"column tz: the time zone \"Nowhere/City\" is not in the tim)"
      R"(e zone database","record":"a,02/01/2024,09:30,Nowhere/City,x"})"
      "\n"
      R"({"line":4,"reason":"column tz is empty","record":"a,02/01/2024,09:30,)"
      R"(,x"})"
      "\n");
}

TEST_CASE("identify rows carry traits") {
  auto result = Import(R"({"type": "identify", "user_id": "id",
      "message_id": "id-{userId}",
      "timestamp": {"column": "at", "format": "epoch_seconds"},
      "traits": {"age": "age", "vip": {"column": "vip", "type": "bool"}}})",
                       "id,at,age,vip\nh1,0,25-34,0\n");
  REQUIRE(result.finished);
  CHECK(result.events ==
        R"({"type":"identify","userId":"h1","messageId":"id-h1",)"
        R"("timestamp":"1970-01-01T00:00:00Z",)"
        R"("traits":{"age":"25-34","vip":false}})"
        "\n");
  CHECK(result.counts.identify_events == 1);
}

// UCI-like invoices: a group per invoice, refunds negated.
const std::string kInvoices = R"({
  "skip": [{"column": "customer", "empty": true}],
  "group": {"by": "invoice"SORTED},
  "event": [{"when": {"column": "invoice", "starts_with": "C"},
             "event": "Order Refunded", "negate": ["total"]},
            {"event": "Order Completed"}],
  "user_id": {"column": "customer", "type": "int"},
  "timestamp": {"column": "at", "format": "%Y-%m-%d %H:%M",
                "zone": "Europe/London"},
  "message_id": "inv-{invoice}",
  "properties": {
    "total": {"sum": ["qty", "price"], "type": "money", "currency": "GBP"},
    "units": {"sum": "qty", "type": "int"},
    "lines": {"count": true}
  },
  "identify_first": {"message_id": "id-{userId}",
                     "traits": {"country": "country"}}
})";

std::string Invoices(const std::string& sorted) {
  std::string text = kInvoices;
  text.replace(text.find("SORTED"), 6, sorted);
  return text;
}

TEST_CASE("groups sum exactly, count lines and negate what the rule says") {
  auto result = Import(Invoices(""),
                       "invoice,customer,at,qty,price,country\n"
                       "1001,17850.0,2011-06-01 10:00,3,0.10,UK\n"
                       "1001,17850.0,2011-06-01 10:01,1,0.001,UK\n"
                       "1002,,2011-06-01 10:02,1,5,UK\n"
                       "C1003,17850.0,2011-06-02 10:00,-2,1.25,France\n");
  REQUIRE(result.finished);
  CHECK(result.events ==
        R"({"type":"identify","userId":"17850","messageId":"id-17850",)"
        R"("timestamp":"2011-06-01T09:00:00Z","traits":{"country":"UK"}})"
        "\n"
        R"({"type":"track","event":"Order Completed","userId":"17850",)"
        R"("messageId":"inv-1001","timestamp":"2011-06-01T09:00:00Z",)"
        R"("properties":{"total":0.30,"currency":"GBP","units":4,"lines":2}})"
        "\n"
        R"({"type":"track","event":"Order Refunded","userId":"17850",)"
        R"("messageId":"inv-C1003","timestamp":"2011-06-02T09:00:00Z",)"
        R"("properties":{"total":2.50,"currency":"GBP","units":-2,"lines":1}})"
        "\n");
  CHECK(result.counts.rows_read == 4);
  CHECK(result.counts.rows_skipped == 1);
  CHECK(result.counts.track_events == 2);
  CHECK(result.counts.identify_events == 1);
}

TEST_CASE("a sorted group key out of order stops with its line") {
  auto result = Import(Invoices(""),
                       "invoice,customer,at,qty,price,country\n"
                       "1001,1,2011-06-01 10:00,1,1,UK\n"
                       "1002,1,2011-06-01 10:00,1,1,UK\n"
                       "1001,1,2011-06-01 10:01,1,1,UK\n");
  CHECK_FALSE(result.finished);
  CHECK(result.error ==
        "line 4: invoice \"1001\" comes after \"1002\", but the rows must "
        "be sorted by invoice (byte order, as `LC_ALL=C sort`); sort the "
        "file or set \"sorted\": false in \"group\"");
  CHECK(result.counts.track_events == 2);
}

TEST_CASE("unsorted groups gather scattered rows, in first-row order") {
  auto result = Import(Invoices(R"(, "sorted": false)"),
                       "invoice,customer,at,qty,price,country\n"
                       "1002,2,2011-01-01 10:00,1,1,UK\n"
                       "1001,1,2011-01-01 10:00,1,2,UK\n"
                       "1002,2,2011-01-01 10:01,1,3,UK\n");
  REQUIRE(result.finished);
  CHECK(result.events ==
        R"({"type":"identify","userId":"2","messageId":"id-2",)"
        R"("timestamp":"2011-01-01T10:00:00Z","traits":{"country":"UK"}})"
        "\n"
        R"({"type":"track","event":"Order Completed","userId":"2",)"
        R"("messageId":"inv-1002","timestamp":"2011-01-01T10:00:00Z",)"
        R"("properties":{"total":4.00,"currency":"GBP","units":2,"lines":2}})"
        "\n"
        R"({"type":"identify","userId":"1","messageId":"id-1",)"
        R"("timestamp":"2011-01-01T10:00:00Z","traits":{"country":"UK"}})"
        "\n"
        R"({"type":"track","event":"Order Completed","userId":"1",)"
        R"("messageId":"inv-1001","timestamp":"2011-01-01T10:00:00Z",)"
        R"("properties":{"total":2.00,"currency":"GBP","units":1,"lines":1}})"
        "\n");
}

TEST_CASE("a bad row drops its group, and both are dead-lettered") {
  auto result = Import(Invoices(""),
                       "invoice,customer,at,qty,price,country\n"
                       "1001,1,2011-01-01 10:00,1,1,UK\n"
                       "1001,1,2011-01-01 10:00,1,4.4e-16,UK\n"
                       "1002,1,2011-01-01 10:00,2,1,UK\n");
  REQUIRE(result.finished);
  CHECK(
      result.dead_letters ==
      R"({"line":3,"reason":"column price: \"4.4e-16\" is not a number",)"
      R"("record":"1001,1,2011-01-01 10:00,1,4.4e-16,UK"})"
      "\n"
      R"({"line":2,)"
      R"("reason":"the event of invoice \"1001\" is not written because one of)"
      R"( its rows is bad","record":"1001,1,2011-01-01 10:00,1,1,UK"})"
      "\n");
  CHECK_THAT(result.events, Catch::Contains("inv-1002"));
  CHECK_THAT(result.events, !Catch::Contains("inv-1001"));
  CHECK(result.counts.bad_rows == 1);
  CHECK(result.counts.groups_dropped == 1);
  CHECK(result.counts.rows_in_dropped_groups == 1);
  CHECK_THAT(result.summary,
             Catch::Contains("groups dropped for a bad row: 1 (with 1 good "
                             "row)\n"));
}

TEST_CASE("a repeated wall time is counted in the summary") {
  auto result = Import(Invoices(""),
                       "invoice,customer,at,qty,price,country\n"
                       "1001,1,2011-10-30 01:30,1,1,UK\n");
  REQUIRE(result.finished);
  CHECK_THAT(result.events, Catch::Contains("2011-10-30T00:30:00Z"));
  CHECK_THAT(result.summary,
             Catch::Contains("local times that occur twice (read with the "
                             "earlier offset): 1"));
}

// --- Bad rows: one reason each -------------------------------------------

std::string DeadLetterOf(const std::string& csv_row,
                         const std::string& header = "id,at,n") {
  auto result = Import(Mapping(R"("event": "E", "message_id": "m",
      "properties": {"n": {"column": "n", "type": "decimal"}})"),
                       header + "\n" + csv_row);
  REQUIRE(result.finished);
  CHECK(result.events.empty());
  CHECK(result.counts.bad_rows == 1);
  return result.dead_letters;
}

TEST_CASE("bad row: wrong number of fields") {
  CHECK(DeadLetterOf("a,1\n") ==
        R"({"line":2,"reason":"has 2 fields; the header has 3","record":"a,1"})"
        "\n");
}

TEST_CASE("bad row: a number that does not parse") {
  CHECK(
      DeadLetterOf("a,1,\"12,50\"\n") ==
      R"({"line":2,"reason":"column n: \"12,50\" is not a number","record":"a,)"
      R"(1,\"12,50\""})"
      "\n");
  CHECK(DeadLetterOf("a,1,twelve\n") ==
        R"({"line":2,"reason":"column n: \"twelve\" is not a number",)"
        R"("record":"a,1,twelve"})"
        "\n");
}

TEST_CASE("bad row: a time that does not parse") {
  CHECK(
      DeadLetterOf("a,yesterday,1\n") ==
      R"({"line":2,)"
      R"("reason":"column at: \"yesterday\" not a whole number of seconds sinc)"
      R"(e 1970","record":"a,yesterday,1"})"
      "\n");
}

TEST_CASE("bad row: an empty or non-numeric user id") {
  CHECK(DeadLetterOf(",1,1\n") ==
        R"({"line":2,"reason":"the user id (column id) is empty","record":",1,)"
        R"(1"})"
        "\n");
  auto result = Import(R"({"event": "E", "user_id": {"column": "id",
      "type": "int"}, "timestamp": {"column": "at",
      "format": "epoch_seconds"}})",
                       "id,at\n12.5,1\n");
  CHECK(result.dead_letters ==
        R"({"line":2,)"
        R"("reason":"the user id (column id) \"12.5\" is not a whole number",)"
        R"("record":"12.5,1"})"
        "\n");
}

TEST_CASE("bad row: a whole number too large is called too large") {
  // "99999999999999999999 is not a whole number" would send the analyst
  // looking for a decimal point that is not there.
  auto ids = Import(R"({"event": "E", "user_id": {"column": "id",
      "type": "int"}, "timestamp": {"column": "at",
      "format": "epoch_seconds"}})",
                    "id,at\n99999999999999999999,1\n");
  CHECK(ids.dead_letters ==
        R"({"line":2,"reason":"the user id (column id) )"
        R"(\"99999999999999999999\" is above the largest whole number, )"
        R"(9223372036854775807; map the column without \"type\": \"int\" )"
        R"(to keep the id as text","record":"99999999999999999999,1"})"
        "\n");

  auto counts = Import(R"({"event": "E", "user_id": "id",
      "timestamp": {"column": "at", "format": "epoch_seconds"},
      "properties": {"n": {"column": "n", "type": "int"}}})",
                       "id,at,n\na,1,-99999999999999999999\n");
  CHECK(counts.dead_letters ==
        R"({"line":2,"reason":"column n: -99999999999999999999 is below )"
        R"(the smallest whole number, -9223372036854775808",)"
        R"("record":"a,1,-99999999999999999999"})"
        "\n");
}

TEST_CASE("bad row: an amount no run could read is refused here") {
  // 999999999999 units at 99999999 each: written as it was, every run
  // would have dead-lettered the order, far from the CSV line.
  auto result = Import(Invoices(""),
                       "invoice,customer,at,qty,price,country\n"
                       "1001,17850.0,2011-06-01 10:00,999999999999,99999999,"
                       "UK\n"
                       "1002,17850.0,2011-06-01 10:05,1,5,UK\n");
  REQUIRE(result.finished);
  CHECK_THAT(result.dead_letters,
             Catch::Contains(R"({"line":2,"reason":"invoice \"1001\" )"
                             R"((1 row): the sum for total: )"
                             R"(99999998999900000001 is beyond the largest )"
                             R"(amount a run reads, 9223372036854.775807 )"
                             R"(either way")"));
  CHECK_THAT(result.events, Catch::Contains(R"("messageId":"inv-1002")"));
  CHECK_THAT(result.events, !Catch::Contains("inv-1001"));
}

TEST_CASE("bad row: invalid UTF-8 and NUL bytes") {
  CHECK(DeadLetterOf("a\xC3(,1,1\n") ==
        "{\"line\":2,\"reason\":\"column id is not valid UTF-8\","
        "\"record\":\"a\xEF\xBF\xBD(,1,1\"}\n");
  CHECK(DeadLetterOf(std::string("a,1,1\0\n", 7)) ==
        R"({"line":2,"reason":"column n holds a NUL byte","record":"a,1,)"
        R"(1\u0000"})"
        "\n");
}

TEST_CASE("bad row: a quote still open at the end of the input") {
  CHECK(
      DeadLetterOf("a,1,\"1\nb,2,2\n") ==
      R"({"line":2,)"
      R"("reason":"a quoted field opened on line 2 is not closed before the en)"
      R"(d of the input","record":"a,1,\"1\nb,2,2"})"
      "\n");
}

TEST_CASE("bad row: a very long field, without holding it in memory") {
  std::string huge(3 << 20, '7');
  std::string dead = DeadLetterOf("a,1," + huge + "\n");
  CHECK_THAT(dead,
             Catch::StartsWith(
                 R"({"line":2,"reason":"a field is longer than 1048576 bytes",)"
                 R"("record":"a,1,777)"));
  CHECK(dead.size() < 5000);
}

TEST_CASE("bad row: a local time skipped by the clocks") {
  auto result = Import(Invoices(""),
                       "invoice,customer,at,qty,price,country\n"
                       "1001,1,2011-03-27 01:30,1,1,UK\n");
  REQUIRE(result.finished);
  CHECK(
      result.dead_letters ==
      R"({"line":2,)"
      R"("reason":"invoice \"1001\" (1 row): column at: \"2011-03-27 01:30\" )"
      R"(does not exist in Europe/London: the clocks went forward over it",)"
      R"("record":"1001,1,2011-03-27 01:30,1,1,UK"})"
      "\n");
}

TEST_CASE("bad row: values that do not fit their type") {
  auto result = Import(Mapping(R"("event": "E", "message_id": "m{at}",
      "properties": {
        "n": {"column": "n", "type": "int", "if_empty": "omit"},
        "ok": {"column": "ok", "type": "bool", "if_empty": "omit"},
        "paid": {"column": "paid", "type": "money", "if_empty": "omit",
                 "currency_column": "cur"}})"),
                       "id,at,n,ok,paid,cur\n"
                       "a,1,2.5,,,\n"
                       "a,2,,maybe,,\n"
                       "a,3,,,9.99,euro\n"
                       "a,4,7,no,9.99,EUR\n");
  REQUIRE(result.finished);
  CHECK(result.dead_letters ==
        R"({"line":2,"reason":"column n: 2.5 is not a whole number",)"
        R"("record":"a,1,2.5,,,"})"
        "\n"
        R"({"line":3,"reason":"column ok: \"maybe\" is not true or false",)"
        R"("record":"a,2,,maybe,,"})"
        "\n"
        R"({"line":4,"reason":"column cur: \"euro\" is not a currency code )"
        R"(such as EUR","record":"a,3,,,9.99,euro"})"
        "\n");
  CHECK_THAT(
      result.events,
      Catch::Contains(R"("n":7,"ok":false,"paid":9.99,"currency":"EUR")"));
}

TEST_CASE("a header that differs from csv.columns stops the import") {
  auto result = Import(R"({"csv": {"columns": ["id", "at"]}, "event": "E",
      "user_id": "id",
      "timestamp": {"column": "at", "format": "epoch_seconds"}})",
                       "id,time\na,1\n");
  CHECK_FALSE(result.finished);
  CHECK(result.error ==
        "line 1: the header row differs from the mapping's csv.columns");
}

TEST_CASE("the import goes on after bad rows, line numbers intact") {
  auto result = Import(Mapping(R"("event": "E", "message_id": "m{at}")"),
                       "id,at\n\"x\"y,1\n\na,2\r\n,3\nb,4");
  REQUIRE(result.finished);
  CHECK(result.counts.rows_read == 4);
  CHECK(result.counts.bad_rows == 2);
  CHECK(result.counts.blank_lines == 1);
  CHECK_THAT(result.dead_letters, Catch::Contains(R"("line":2,)"));
  CHECK_THAT(result.dead_letters, Catch::Contains(R"("line":5,)"));
  CHECK_THAT(result.events, Catch::Contains(R"("messageId":"m2")"));
  CHECK_THAT(result.events, Catch::Contains(R"("messageId":"m4")"));
}

TEST_CASE("an empty input is an error, not an empty success") {
  auto result = Import(Mapping(R"("event": "E")"), "");
  CHECK_FALSE(result.finished);
  CHECK(result.error == "the input is empty: not even a header row");
}

TEST_CASE("a file without a header uses the mapping's column names") {
  auto result = Import(R"({"csv": {"header": false, "delimiter": ";",
      "columns": ["id", "at"]}, "event": "E", "message_id": "m",
      "user_id": "id",
      "timestamp": {"column": "at", "format": "epoch_seconds"}})",
                       "u1;5\n");
  REQUIRE(result.finished);
  CHECK(result.counts.rows_read == 1);
  CHECK_THAT(result.events, Catch::Contains(R"("userId":"u1")"));
}

TEST_CASE("keeping the first users keeps their whole histories") {
  std::string mapping_text = Mapping(R"("event": "E", "message_id": "{at}")");
  std::string error;
  auto mapping = LoadMapping(mapping_text, &error);
  REQUIRE(mapping);
  std::istringstream input("id,at\nb,1\na,2\nc,3\nb,4\nc,5\na,6\n");
  std::ostringstream events;
  Importer importer(std::move(*mapping), events, nullptr);
  importer.KeepFirstUsers(2);
  REQUIRE(importer.Run(input));
  for (const char* at : {"1", "2", "4", "6"}) {
    CHECK_THAT(events.str(),
               Catch::Contains(std::string("\"messageId\":\"") + at + "\""));
  }
  CHECK_THAT(events.str(), !Catch::Contains("\"userId\":\"c\""));
  CHECK(importer.counts().events_of_later_users == 2);
  CHECK_THAT(importer.Summary(),
             Catch::Contains("events of users after the first ones kept: 2"));
}

TEST_CASE("a UTF-16 file is named as such, with the command to convert it") {
  // "Unicode text" from a spreadsheet: the header "id,at" in UTF-16 little
  // endian, with its byte-order mark. Read as UTF-8 it would show as
  // columns "??i?d?" and "?a?t?".
  std::string utf16 =
      std::string("\xFF\xFE", 2) + std::string("i\0d\0,\0a\0t\0\n\0", 12);
  std::string expected =
      "line 1: the file is UTF-16 (it starts with a UTF-16 byte-order "
      "mark), and only UTF-8 is read; convert it first, e.g. iconv -f "
      "UTF-16 -t UTF-8";

  auto with_header = Import(Mapping(R"("event": "E")"), utf16);
  CHECK_FALSE(with_header.finished);
  CHECK(with_header.error == expected);

  auto without_header = Import(R"({"csv": {"header": false,
      "columns": ["id", "at"]}, "event": "E", "user_id": "id",
      "timestamp": {"column": "at", "format": "epoch_seconds"}})",
                               utf16);
  CHECK_FALSE(without_header.finished);
  CHECK(without_header.error == expected);
}

TEST_CASE("a header of binary garbage is described briefly") {
  std::string garbage = "\x01\xff" + std::string(500, 'x');
  auto result = Import(Mapping(R"("event": "E")"), garbage + ",y\n");
  CHECK_FALSE(result.finished);
  CHECK(result.error ==
        "the mapping reads column \"id\", which the file does not have (its "
        "columns: ??" +
            std::string(38, 'x') + "..., y)");
}

TEST_CASE("a column the file spells another way is pointed out") {
  auto by_case = Import(Mapping(R"("event": "E")"), "ID,at\np1,1\n");
  CHECK_FALSE(by_case.finished);
  CHECK(by_case.error ==
        "the mapping reads column \"id\", which the file does not have (its "
        "columns: ID, at); the file has \"ID\", which differs in case only");

  auto by_typo = Import(Mapping(R"("event": "E",
      "properties": {"device": "device_type"})"),
                        "id,at,devise_type\np1,1,ios\n");
  CHECK_FALSE(by_typo.finished);
  CHECK(by_typo.error ==
        "the mapping reads column \"device_type\", which the file does not "
        "have (its columns: id, at, devise_type); did you mean "
        "\"devise_type\"?");
}

TEST_CASE("the same input gives the same bytes") {
  std::string csv = "invoice,customer,at,qty,price,country\n";
  for (int i = 0; i < 200; ++i) {
    csv += std::to_string(2000 + i % 37) + "," + std::to_string(i % 11) +
           ",2011-05-0" + std::to_string(1 + i % 9) + " 10:00," +
           std::to_string(i % 5 + 1) + ",1.0" + std::to_string(i % 10) +
           ",UK\n";
  }
  auto first = Import(Invoices(R"(, "sorted": false)"), csv);
  auto second = Import(Invoices(R"(, "sorted": false)"), csv);
  REQUIRE(first.finished);
  CHECK(first.counts.track_events == 37);
  CHECK(first.events == second.events);
}

}  // namespace
}  // namespace parcours::import
