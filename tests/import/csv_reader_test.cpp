// The CSV reader on the shapes real exports take.
#include "tools/import/csv_reader.h"

#include <catch2/catch.hpp>
#include <sstream>
#include <stdexcept>
#include <streambuf>

namespace parcours::import {
namespace {

std::vector<CsvRecord> ReadAll(const std::string& text, CsvDialect dialect = {},
                               CsvLimits limits = {}) {
  std::istringstream input(text);
  CsvReader reader(input, dialect, limits);
  std::vector<CsvRecord> records;
  CsvRecord record;
  while (reader.Next(record)) records.push_back(record);
  return records;
}

using Fields = std::vector<std::string>;

TEST_CASE("plain fields, with and without a final newline") {
  auto records = ReadAll("a,b,c\n1,2,3");
  REQUIRE(records.size() == 2);
  CHECK(records[0].fields == Fields{"a", "b", "c"});
  CHECK(records[1].fields == Fields{"1", "2", "3"});
  CHECK(records[1].line == 2);
}

TEST_CASE("quoted fields hold delimiters and doubled quotes") {
  auto records = ReadAll("\"a,b\",\"say \"\"hi\"\"\",\"\"\n");
  REQUIRE(records.size() == 1);
  CHECK(records[0].fields == Fields{"a,b", "say \"hi\"", ""});
  CHECK(records[0].problem.empty());
}

TEST_CASE("CRLF line ends are not part of the last field") {
  auto records = ReadAll("a,b\r\n1,2\r\n");
  REQUIRE(records.size() == 2);
  CHECK(records[0].fields == Fields{"a", "b"});
  CHECK(records[1].fields == Fields{"1", "2"});
  CHECK(records[1].raw == "1,2");
}

TEST_CASE("a quoted field may span lines, and line numbers follow the file") {
  auto records = ReadAll("h1,h2\n\"two\nlines\",x\nlast,y\n");
  REQUIRE(records.size() == 3);
  CHECK(records[1].fields == Fields{"two\nlines", "x"});
  CHECK(records[1].line == 2);
  CHECK(records[2].line == 4);
}

TEST_CASE("a byte-order mark does not become part of the first name") {
  auto records = ReadAll("\xEF\xBB\xBFid,name\n1,x\n");
  REQUIRE(records.size() == 2);
  CHECK(records[0].fields == Fields{"id", "name"});
}

TEST_CASE("bytes that only start like a byte-order mark are kept") {
  auto records = ReadAll("\xEF\xBBid\n");
  REQUIRE(records.size() == 1);
  CHECK(records[0].fields == Fields{"\xEF\xBBid"});
}

TEST_CASE("blank lines are counted, not returned") {
  std::istringstream input("a\n\n\r\nb\n");
  CsvReader reader(input, CsvDialect{});
  CsvRecord record;
  std::vector<int64_t> lines;
  while (reader.Next(record)) lines.push_back(record.line);
  CHECK(lines == std::vector<int64_t>{1, 4});
  CHECK(reader.blank_lines() == 2);
}

TEST_CASE("a quote left open at the end names the line it opened on") {
  auto records = ReadAll("a,b\n1,\"open\n2,3\n");
  REQUIRE(records.size() == 2);
  CHECK(records[1].line == 2);
  CHECK(records[1].problem ==
        "a quoted field opened on line 2 is not closed before the end of "
        "the input");
}

TEST_CASE("text after a closing quote is a problem of that record only") {
  auto records = ReadAll("\"a\"b,c\nd,e\n");
  REQUIRE(records.size() == 2);
  CHECK(records[0].problem == "text follows the closing quote of field 1");
  CHECK(records[1].problem.empty());
  CHECK(records[1].fields == Fields{"d", "e"});
}

TEST_CASE("a quote inside an unquoted field is an ordinary character") {
  auto records = ReadAll("5\" screen,x\n");
  REQUIRE(records.size() == 1);
  CHECK(records[0].fields == Fields{"5\" screen", "x"});
}

TEST_CASE("a field over the limit is cut and reported, and the next is fine") {
  CsvLimits limits;
  limits.max_field_bytes = 8;
  limits.max_raw_bytes = 16;
  std::string huge(100000, 'x');
  auto records = ReadAll(huge + ",1\nok,2\n", CsvDialect{}, limits);
  REQUIRE(records.size() == 2);
  CHECK(records[0].fields[0] == "xxxxxxxx");
  CHECK(records[0].problem == "a field is longer than 8 bytes");
  CHECK(records[0].raw.size() == 16);
  CHECK(records[0].raw_cut);
  CHECK(records[1].fields == Fields{"ok", "2"});
}

TEST_CASE("a line of very many fields is bounded like a long field") {
  CsvLimits limits;
  limits.max_fields = 4;
  auto records =
      ReadAll(std::string(1000, ',') + "\na,b\n", CsvDialect{}, limits);
  REQUIRE(records.size() == 2);
  CHECK(records[0].fields.size() == 4);
  CHECK(records[0].problem == "the record has more than 4 fields");
  CHECK(records[1].fields == Fields{"a", "b"});
}

TEST_CASE("many fields under the field limit still meet the record limit") {
  CsvLimits limits;
  limits.max_field_bytes = 4;
  limits.max_record_bytes = 10;
  auto records = ReadAll("aaaa,bbbb,cccc,dddd\nok\n", CsvDialect{}, limits);
  REQUIRE(records.size() == 2);
  CHECK(records[0].fields == Fields{"aaaa", "bbbb", "cc", ""});
  CHECK(records[0].problem == "the record is longer than 10 bytes");
  CHECK(records[1].fields == Fields{"ok"});
}

TEST_CASE("NUL bytes are data, not the end of a field") {
  auto records = ReadAll(std::string("a\0b,c\n", 6));
  REQUIRE(records.size() == 1);
  CHECK(records[0].fields[0] == std::string("a\0b", 3));
}

TEST_CASE("tabs and no quoting for a TSV export") {
  CsvDialect tabs;
  tabs.delimiter = '\t';
  tabs.quote = '\0';
  auto records = ReadAll("a\t\"b\"\n", tabs);
  REQUIRE(records.size() == 1);
  CHECK(records[0].fields == Fields{"a", "\"b\""});
}

// A stream buffer that fails the way `std::filebuf` does on a directory.
class FailingBuffer : public std::streambuf {
 protected:
  int_type underflow() override { throw std::runtime_error("Is a directory"); }
};

TEST_CASE("a read error stops the reader and says why") {
  FailingBuffer buffer;
  std::istream input(&buffer);
  CsvReader reader(input, CsvDialect{});
  CsvRecord record;
  CHECK_FALSE(reader.Next(record));
  CHECK(reader.failed());
  CHECK(reader.error() == "Is a directory");
}

}  // namespace
}  // namespace parcours::import
