// The mapping file: how the columns of one CSV export become events.
//
// It is JSON so that an analyst can read it in a pull request; docs/
// import.md describes every key. Loading checks the whole file before any
// row is read, and every mistake names its place, either as `line:column`
// for a JSON syntax error or as a path such as `properties.total.type`.
// Column names are checked later, against the header (`Resolve`).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tools/import/csv_reader.h"
#include "tools/import/time_reading.h"

namespace parcours::import {

// A named column and, once resolved, its position in a row.
struct ColumnRef {
  std::string name;
  int index = -1;
};

struct Condition {
  enum class Test { Equals, In, StartsWith, Empty, NotEmpty };
  ColumnRef column;
  Test test = Test::Equals;
  std::vector<std::string> values;
};

struct TimeSpec {
  // The cells joined with one space, e.g. a date column and a time column.
  std::vector<ColumnRef> columns;
  TimePattern pattern;
  // A fixed IANA zone, or a column holding one per row.
  std::string zone;
  std::optional<ColumnRef> zone_column;
};

enum class ValueType { String, Int, Decimal, Money, Bool, Time };
enum class ValueSource { Column, Constant, RowCount, Sum };
enum class WhenEmpty { Keep, Omit, Null, Bad };

struct Property {
  std::string name;
  ValueType type = ValueType::String;
  ValueSource source = ValueSource::Column;
  ColumnRef column;
  // The JSON text of a constant.
  std::string constant;
  // Sum: the cells of each row are multiplied, then the rows are added.
  std::vector<ColumnRef> factors;
  // Decimal: round to this many decimals; -1 keeps the cell's own.
  int decimals = -1;
  // Money: a fixed currency code or a column, written as its own
  // property right after the amount.
  std::string currency;
  std::optional<ColumnRef> currency_column;
  std::string currency_property = "currency";
  // Time: how the cell is read.
  TimeSpec time;
  WhenEmpty when_empty = WhenEmpty::Bad;
};

struct EventRule {
  std::vector<Condition> when;  // all must hold; empty always holds
  std::string event;
  bool skip = false;
  // Numeric properties whose sign this rule flips (refund amounts).
  std::vector<std::string> negate;
};

// Text with `{Column}` and `{userId}` placeholders.
struct Template {
  struct Part {
    std::string literal;
    std::optional<ColumnRef> column;
    bool user_id = false;
  };
  std::vector<Part> parts;
};

struct Grouping {
  ColumnRef key;
  // True: rows arrive sorted by the key (byte order); false: rows of one
  // key may be scattered, and groups are held until the end of the input.
  bool sorted = true;
};

struct IdentifyFirst {
  std::optional<Template> message_id;  // a hash when absent
  std::vector<Property> traits;
};

struct Mapping {
  CsvDialect dialect;
  bool header = true;
  std::vector<std::string> columns;

  std::vector<Condition> skip;
  bool identify = false;  // rows become identify events, not track events
  std::vector<EventRule> rules;
  ColumnRef user_id;
  bool user_id_integer = false;
  TimeSpec timestamp;
  std::optional<TimeSpec> received_at;
  std::optional<Template> message_id;  // a hash when absent
  std::string hash_prefix;
  std::vector<Property> properties;
  std::optional<Grouping> group;
  std::optional<IdentifyFirst> identify_first;
};

// Parses and checks mapping text; on failure returns nothing and sets
// `*error` to a message that names the place.
std::optional<Mapping> LoadMapping(const std::string& text, std::string* error);

// Points every column reference at its position in `header`. Returns
// false and sets `*error` when a name is missing or repeated.
bool Resolve(Mapping& mapping, const std::vector<std::string>& header,
             std::string* error);

// Decimals of a currency's minor unit (ISO 4217): 2 unless listed.
int CurrencyDigits(const std::string& code);

}  // namespace parcours::import
