#include "tools/import/mapping.h"

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "runtime/common/currency_digits.h"
#include "runtime/common/near_names.h"
#include "tools/import/exact_decimal.h"
#include "tools/import/json_places.h"
#include "tools/import/json_text.h"

namespace parcours::import {
namespace {

using Json = nlohmann::ordered_json;

// A mistake in the mapping, with the path of the value at fault.
struct MappingError : std::runtime_error {
  MappingError(const std::string& path, const std::string& message)
      : std::runtime_error(path.empty() ? message : path + ": " + message),
        path(path) {}
  std::string path;
};

std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string Index(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

// Refuses keys the format does not have, so that a typo such as
// "colum" is reported instead of silently ignored.
void OnlyKeys(const Json& object, const std::string& path,
              const std::set<std::string>& allowed) {
  if (!object.is_object()) throw MappingError(path, "must be an object");
  for (const auto& item : object.items()) {
    if (allowed.count(item.key())) continue;
    std::string names;
    for (const std::string& name : allowed) {
      names += (names.empty() ? "" : ", ") + name;
    }
    throw MappingError(Join(path, item.key()),
                       "unknown key; expected one of " + names);
  }
}

std::string Text(const Json& value, const std::string& path) {
  if (!value.is_string()) throw MappingError(path, "must be a string");
  return value.get<std::string>();
}

std::string NonEmptyText(const Json& value, const std::string& path) {
  std::string text = Text(value, path);
  if (text.empty()) throw MappingError(path, "must not be empty");
  return text;
}

bool Flag(const Json& value, const std::string& path) {
  if (!value.is_boolean()) throw MappingError(path, "must be true or false");
  return value.get<bool>();
}

std::vector<std::string> TextList(const Json& value, const std::string& path) {
  if (!value.is_array()) throw MappingError(path, "must be a list of strings");
  std::vector<std::string> texts;
  for (size_t i = 0; i < value.size(); ++i) {
    texts.push_back(Text(value[i], Index(path, i)));
  }
  return texts;
}

ColumnRef Column(const Json& value, const std::string& path) {
  return ColumnRef{NonEmptyText(value, path)};
}

char OneCharacter(const Json& value, const std::string& path,
                  bool may_be_empty) {
  std::string text = Text(value, path);
  if (text.empty() && may_be_empty) return '\0';
  if (text.size() != 1 || text[0] == '\n' || text[0] == '\r') {
    throw MappingError(path, "must be a single character such as \",\"");
  }
  return text[0];
}

Condition ReadCondition(const Json& value, const std::string& path) {
  OnlyKeys(value, path, {"column", "equals", "in", "starts_with", "empty"});
  if (!value.contains("column")) throw MappingError(path, "needs \"column\"");

  Condition condition;
  condition.column = Column(value["column"], Join(path, "column"));
  int tests = 0;
  if (value.contains("equals")) {
    condition.test = Condition::Test::Equals;
    condition.values = {Text(value["equals"], Join(path, "equals"))};
    ++tests;
  }
  if (value.contains("in")) {
    condition.test = Condition::Test::In;
    condition.values = TextList(value["in"], Join(path, "in"));
    ++tests;
  }
  if (value.contains("starts_with")) {
    condition.test = Condition::Test::StartsWith;
    condition.values = {
        NonEmptyText(value["starts_with"], Join(path, "starts_with"))};
    ++tests;
  }
  if (value.contains("empty")) {
    condition.test = Flag(value["empty"], Join(path, "empty"))
                         ? Condition::Test::Empty
                         : Condition::Test::NotEmpty;
    ++tests;
  }
  if (tests != 1) {
    throw MappingError(path,
                       "needs exactly one of equals, in, starts_with, empty");
  }
  return condition;
}

// One condition, or a list of conditions that must all hold.
std::vector<Condition> ReadConditions(const Json& value,
                                      const std::string& path) {
  std::vector<Condition> conditions;
  if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      conditions.push_back(ReadCondition(value[i], Index(path, i)));
    }
  } else {
    conditions.push_back(ReadCondition(value, path));
  }
  return conditions;
}

void ReadZone(const Json& value, const std::string& path, TimeSpec& spec) {
  if (value.contains("zone") && value.contains("zone_column")) {
    throw MappingError(path, "give \"zone\" or \"zone_column\", not both");
  }
  if (value.contains("zone")) {
    spec.zone = NonEmptyText(value["zone"], Join(path, "zone"));
    if (!IsKnownZone(spec.zone)) {
      throw MappingError(Join(path, "zone"),
                         "\"" + spec.zone +
                             "\" is not in the time zone database; use an "
                             "IANA name such as \"Europe/London\"");
    }
  }
  if (value.contains("zone_column")) {
    spec.zone_column = Column(value["zone_column"], Join(path, "zone_column"));
  }
  bool has_zone = !spec.zone.empty() || spec.zone_column;
  if (!PatternHasOffset(spec.pattern) && !has_zone) {
    throw MappingError(path,
                       "a wall-clock time needs \"zone\" (e.g. "
                       "\"Europe/London\", or \"UTC\") or \"zone_column\"");
  }
}

void ReadTimeFormat(const Json& value, const std::string& path,
                    TimeSpec& spec) {
  if (!value.contains("format")) throw MappingError(path, "needs \"format\"");
  spec.pattern.format = Text(value["format"], Join(path, "format"));
  std::string problem = CheckTimePattern(spec.pattern);
  if (!problem.empty()) throw MappingError(Join(path, "format"), problem);
  ReadZone(value, path, spec);
}

TimeSpec ReadTimeSpec(const Json& value, const std::string& path) {
  OnlyKeys(value, path, {"column", "columns", "format", "zone", "zone_column"});
  TimeSpec spec;
  if (value.contains("column") == value.contains("columns")) {
    throw MappingError(path, "needs \"column\" or \"columns\" (not both)");
  }
  if (value.contains("column")) {
    spec.columns.push_back(Column(value["column"], Join(path, "column")));
  } else {
    for (const std::string& name :
         TextList(value["columns"], Join(path, "columns"))) {
      spec.columns.push_back(ColumnRef{name});
    }
    if (spec.columns.empty()) {
      throw MappingError(Join(path, "columns"), "must name a column");
    }
  }
  ReadTimeFormat(value, path, spec);
  return spec;
}

ValueType ReadType(const Json& value, const std::string& path) {
  std::string name = Text(value, path);
  if (name == "string") return ValueType::String;
  if (name == "int") return ValueType::Int;
  if (name == "decimal") return ValueType::Decimal;
  if (name == "money") return ValueType::Money;
  if (name == "bool") return ValueType::Bool;
  if (name == "time") return ValueType::Time;
  throw MappingError(path, "unknown type \"" + name +
                               "\"; expected string, int, decimal, money, "
                               "bool or time");
}

WhenEmpty ReadWhenEmpty(const Json& value, const std::string& path) {
  std::string name = Text(value, path);
  if (name == "keep") return WhenEmpty::Keep;
  if (name == "omit") return WhenEmpty::Omit;
  if (name == "null") return WhenEmpty::Null;
  if (name == "bad") return WhenEmpty::Bad;
  throw MappingError(path,
                     "expected keep, omit, null or bad, not \"" + name + "\"");
}

bool IsCurrencyCode(const std::string& code) {
  if (code.size() != 3) return false;
  for (char c : code) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

Property ReadProperty(const std::string& name, const Json& value,
                      const std::string& path, bool grouped) {
  Property property;
  property.name = name;
  // "order_id": "InvoiceNo" is short for a string taken from a column.
  if (value.is_string()) {
    property.column = Column(value, path);
    property.when_empty = WhenEmpty::Keep;
    return property;
  }
  OnlyKeys(value, path,
           {"column", "constant", "count", "sum", "type", "decimals",
            "currency", "currency_column", "currency_property", "format",
            "zone", "zone_column", "if_empty"});

  int sources = 0;
  if (value.contains("column")) {
    property.column = Column(value["column"], Join(path, "column"));
    ++sources;
  }
  if (value.contains("constant")) {
    const Json& constant = value["constant"];
    if (constant.is_structured()) {
      throw MappingError(Join(path, "constant"),
                         "must be a string, number, true, false or null");
    }
    property.source = ValueSource::Constant;
    property.constant = constant.dump();
    ++sources;
  }
  if (value.contains("count")) {
    if (!Flag(value["count"], Join(path, "count"))) {
      throw MappingError(Join(path, "count"), "must be true when given");
    }
    property.source = ValueSource::RowCount;
    property.type = ValueType::Int;
    ++sources;
  }
  if (value.contains("sum")) {
    property.source = ValueSource::Sum;
    property.type = ValueType::Decimal;
    const Json& sum = value["sum"];
    if (sum.is_string()) {
      property.factors.push_back(Column(sum, Join(path, "sum")));
    } else {
      for (const std::string& column : TextList(sum, Join(path, "sum"))) {
        property.factors.push_back(ColumnRef{column});
      }
      if (property.factors.empty()) {
        throw MappingError(Join(path, "sum"), "must name a column");
      }
    }
    ++sources;
  }
  if (sources != 1) {
    throw MappingError(path,
                       "needs exactly one of column, constant, count, sum");
  }
  if (!grouped && (property.source == ValueSource::Sum)) {
    throw MappingError(Join(path, "sum"),
                       "adds the rows of a group; add a \"group\" section "
                       "or use \"column\"");
  }

  if (value.contains("type")) {
    property.type = ReadType(value["type"], Join(path, "type"));
  }
  bool numeric = property.type == ValueType::Int ||
                 property.type == ValueType::Decimal ||
                 property.type == ValueType::Money;
  if (property.source == ValueSource::Sum && !numeric) {
    throw MappingError(Join(path, "type"), "a sum is an int, decimal or money");
  }
  if (property.source == ValueSource::RowCount &&
      property.type != ValueType::Int) {
    throw MappingError(Join(path, "type"), "a count is an int");
  }
  if (property.source == ValueSource::Constant && value.contains("type")) {
    throw MappingError(Join(path, "type"),
                       "a constant is written as given; drop \"type\"");
  }
  property.when_empty =
      property.type == ValueType::String ? WhenEmpty::Keep : WhenEmpty::Bad;
  if (value.contains("if_empty")) {
    property.when_empty =
        ReadWhenEmpty(value["if_empty"], Join(path, "if_empty"));
  }

  if (value.contains("decimals")) {
    if (property.type != ValueType::Decimal) {
      throw MappingError(Join(path, "decimals"),
                         "applies to decimal properties only");
    }
    const Json& decimals = value["decimals"];
    if (!decimals.is_number_integer() || decimals.get<int>() < 0 ||
        decimals.get<int>() > kMaxScale) {
      throw MappingError(Join(path, "decimals"),
                         "must be a whole number from 0 to 18");
    }
    property.decimals = decimals.get<int>();
  }

  bool money_key = value.contains("currency") ||
                   value.contains("currency_column") ||
                   value.contains("currency_property");
  if (property.type == ValueType::Money) {
    if (value.contains("currency") == value.contains("currency_column")) {
      throw MappingError(path,
                         "money needs \"currency\" (e.g. \"GBP\") or "
                         "\"currency_column\"");
    }
    if (value.contains("currency")) {
      property.currency = Text(value["currency"], Join(path, "currency"));
      if (!IsCurrencyCode(property.currency)) {
        throw MappingError(Join(path, "currency"),
                           "must be a three-letter ISO 4217 code such as "
                           "\"EUR\"");
      }
    } else {
      property.currency_column =
          Column(value["currency_column"], Join(path, "currency_column"));
    }
    if (value.contains("currency_property")) {
      property.currency_property = NonEmptyText(
          value["currency_property"], Join(path, "currency_property"));
    }
  } else if (money_key) {
    throw MappingError(path, "currency keys apply to money properties only");
  }

  bool time_key = value.contains("format") || value.contains("zone") ||
                  value.contains("zone_column");
  if (property.type == ValueType::Time) {
    if (property.source != ValueSource::Column) {
      throw MappingError(path, "a time is read from a column");
    }
    property.time.columns.push_back(property.column);
    ReadTimeFormat(value, path, property.time);
  } else if (time_key) {
    throw MappingError(path, "format and zone apply to time properties only");
  }
  return property;
}

std::vector<Property> ReadProperties(const Json& value, const std::string& path,
                                     bool grouped) {
  if (!value.is_object()) {
    throw MappingError(path, "must be an object of name: column or spec");
  }
  std::vector<Property> properties;
  for (const auto& item : value.items()) {
    properties.push_back(ReadProperty(item.key(), item.value(),
                                      Join(path, item.key()), grouped));
  }

  // Every key an event gets must be its own: a second money property would
  // write a second "currency", and readers keep only one of two equal
  // keys, silently.
  std::map<std::string, std::string> owners;
  for (const Property& property : properties) {
    std::vector<std::string> keys = {property.name};
    if (property.type == ValueType::Money) {
      keys.push_back(property.currency_property);
    }
    for (const std::string& key : keys) {
      auto [owner, is_new] = owners.emplace(key, property.name);
      if (!is_new) {
        throw MappingError(
            Join(path, property.name),
            "writes the key \"" + key + "\", which \"" + owner->second +
                "\" writes too; give one of them another \"currency_property\" "
                "or name");
      }
    }
  }
  return properties;
}

Template ReadTemplate(const Json& value, const std::string& path) {
  std::string text = NonEmptyText(value, path);
  Template result;
  std::string literal;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '}') {
      throw MappingError(path, "has a } without its {");
    }
    if (text[i] != '{') {
      literal += text[i];
      continue;
    }
    size_t close = text.find('}', i);
    if (close == std::string::npos) {
      throw MappingError(path, "has a { without its }");
    }
    std::string name = text.substr(i + 1, close - i - 1);
    if (name.empty()) throw MappingError(path, "has an empty {}");
    if (!literal.empty()) result.parts.push_back({literal, {}, false});
    literal.clear();
    if (name == "userId") {
      result.parts.push_back({"", {}, true});
    } else {
      result.parts.push_back({"", ColumnRef{name}, false});
    }
    i = close;
  }
  if (!literal.empty()) result.parts.push_back({literal, {}, false});
  return result;
}

void ReadCsv(const Json& value, const std::string& path, Mapping& mapping) {
  OnlyKeys(value, path,
           {"delimiter", "quote", "header", "columns", "encoding"});
  if (value.contains("encoding")) {
    // Said out loud so that a reviewer sees the assumption; the reader
    // checks every cell, and a cell that is not UTF-8 makes its row bad.
    std::string encoding = Text(value["encoding"], Join(path, "encoding"));
    if (encoding != "utf-8" && encoding != "UTF-8") {
      throw MappingError(Join(path, "encoding"),
                         "only \"utf-8\" is read; convert the file first, "
                         "e.g. iconv -f " +
                             encoding + " -t utf-8");
    }
  }
  if (value.contains("delimiter")) {
    mapping.dialect.delimiter =
        OneCharacter(value["delimiter"], Join(path, "delimiter"), false);
  }
  if (value.contains("quote")) {
    mapping.dialect.quote =
        OneCharacter(value["quote"], Join(path, "quote"), true);
  }
  if (mapping.dialect.quote == mapping.dialect.delimiter) {
    throw MappingError(path, "the quote and the delimiter must differ");
  }
  if (value.contains("header")) {
    mapping.header = Flag(value["header"], Join(path, "header"));
  }
  if (value.contains("columns")) {
    mapping.columns = TextList(value["columns"], Join(path, "columns"));
  }
  if (!mapping.header && mapping.columns.empty()) {
    throw MappingError(path, "a file without a header row needs \"columns\"");
  }
}

void ReadEvents(const Json& value, const std::string& path, Mapping& mapping) {
  if (value.is_string()) {
    mapping.rules.push_back({{}, NonEmptyText(value, path), false, {}});
    return;
  }
  if (!value.is_array() || value.empty()) {
    throw MappingError(path, "must be an event name or a list of rules");
  }
  for (size_t i = 0; i < value.size(); ++i) {
    std::string rule_path = Index(path, i);
    const Json& item = value[i];
    OnlyKeys(item, rule_path, {"when", "event", "skip", "negate"});
    EventRule rule;
    if (item.contains("when")) {
      rule.when = ReadConditions(item["when"], Join(rule_path, "when"));
    }
    if (item.contains("skip")) {
      rule.skip = Flag(item["skip"], Join(rule_path, "skip"));
    }
    if (item.contains("event") == rule.skip) {
      throw MappingError(rule_path, "needs either \"event\" or \"skip\": true");
    }
    if (item.contains("event")) {
      rule.event = NonEmptyText(item["event"], Join(rule_path, "event"));
    }
    if (item.contains("negate")) {
      rule.negate = TextList(item["negate"], Join(rule_path, "negate"));
    }
    mapping.rules.push_back(std::move(rule));
  }
}

void CheckNegations(const Mapping& mapping) {
  for (size_t i = 0; i < mapping.rules.size(); ++i) {
    for (const std::string& name : mapping.rules[i].negate) {
      bool numeric = false;
      bool found = false;
      for (const Property& property : mapping.properties) {
        if (property.name != name) continue;
        found = true;
        numeric = property.type == ValueType::Int ||
                  property.type == ValueType::Decimal ||
                  property.type == ValueType::Money;
      }
      std::string path =
          "event" + std::string("[") + std::to_string(i) + "].negate";
      if (!found) {
        throw MappingError(path, "\"" + name + "\" is not a property");
      }
      if (!numeric) {
        throw MappingError(path, "\"" + name + "\" is not a number");
      }
    }
  }
}

Mapping ReadMapping(const Json& root) {
  OnlyKeys(root, "",
           {"csv", "skip", "group", "type", "event", "user_id", "timestamp",
            "received_at", "message_id", "properties", "traits",
            "identify_first", "description"});
  Mapping mapping;
  if (root.contains("csv")) ReadCsv(root["csv"], "csv", mapping);
  if (root.contains("type")) {
    std::string type = Text(root["type"], "type");
    if (type != "track" && type != "identify") {
      throw MappingError("type", "must be \"track\" or \"identify\"");
    }
    mapping.identify = type == "identify";
  }
  if (root.contains("skip")) {
    const Json& skip = root["skip"];
    if (!skip.is_array()) throw MappingError("skip", "must be a list");
    for (size_t i = 0; i < skip.size(); ++i) {
      mapping.skip.push_back(ReadCondition(skip[i], Index("skip", i)));
    }
  }
  if (root.contains("group")) {
    const Json& group = root["group"];
    OnlyKeys(group, "group", {"by", "sorted"});
    if (!group.contains("by")) throw MappingError("group", "needs \"by\"");
    Grouping grouping;
    grouping.key = Column(group["by"], "group.by");
    if (group.contains("sorted")) {
      grouping.sorted = Flag(group["sorted"], "group.sorted");
    }
    mapping.group = grouping;
  }

  if (mapping.identify) {
    if (root.contains("event") || root.contains("properties")) {
      throw MappingError("type",
                         "identify rows carry \"traits\", not \"event\" or "
                         "\"properties\"");
    }
    mapping.rules.push_back({{}, "", false, {}});
  } else {
    if (!root.contains("event")) throw MappingError("", "needs \"event\"");
    if (root.contains("traits")) {
      throw MappingError("traits", "belong to \"type\": \"identify\"");
    }
    ReadEvents(root["event"], "event", mapping);
  }

  if (!root.contains("user_id")) throw MappingError("", "needs \"user_id\"");
  const Json& user = root["user_id"];
  if (user.is_string()) {
    mapping.user_id = Column(user, "user_id");
  } else {
    OnlyKeys(user, "user_id", {"column", "type"});
    if (!user.contains("column")) {
      throw MappingError("user_id", "needs \"column\"");
    }
    mapping.user_id = Column(user["column"], "user_id.column");
    if (user.contains("type")) {
      std::string type = Text(user["type"], "user_id.type");
      if (type != "string" && type != "int") {
        throw MappingError("user_id.type", "must be \"string\" or \"int\"");
      }
      mapping.user_id_integer = type == "int";
    }
  }

  if (!root.contains("timestamp")) {
    throw MappingError("", "needs \"timestamp\"");
  }
  mapping.timestamp = ReadTimeSpec(root["timestamp"], "timestamp");
  if (root.contains("received_at")) {
    mapping.received_at = ReadTimeSpec(root["received_at"], "received_at");
  }

  if (root.contains("message_id")) {
    const Json& id = root["message_id"];
    if (id.is_object()) {
      OnlyKeys(id, "message_id", {"hash_prefix"});
      if (id.contains("hash_prefix")) {
        mapping.hash_prefix = Text(id["hash_prefix"], "message_id.hash_prefix");
      }
    } else {
      mapping.message_id = ReadTemplate(id, "message_id");
    }
  }

  bool grouped = mapping.group.has_value();
  const char* fields = mapping.identify ? "traits" : "properties";
  if (root.contains(fields)) {
    mapping.properties = ReadProperties(root[fields], fields, grouped);
  }
  CheckNegations(mapping);

  if (root.contains("identify_first")) {
    const Json& first = root["identify_first"];
    OnlyKeys(first, "identify_first", {"message_id", "traits"});
    IdentifyFirst identify;
    if (first.contains("message_id")) {
      identify.message_id =
          ReadTemplate(first["message_id"], "identify_first.message_id");
    }
    if (first.contains("traits")) {
      identify.traits =
          ReadProperties(first["traits"], "identify_first.traits", grouped);
    }
    mapping.identify_first = std::move(identify);
  }
  return mapping;
}

// Collects every column reference so that one loop can resolve them.
void ForEachColumn(Mapping& mapping, std::vector<ColumnRef*>& refs) {
  auto time = [&](TimeSpec& spec) {
    for (ColumnRef& column : spec.columns) refs.push_back(&column);
    if (spec.zone_column) refs.push_back(&*spec.zone_column);
  };
  auto property = [&](Property& item) {
    if (item.source == ValueSource::Column) refs.push_back(&item.column);
    for (ColumnRef& factor : item.factors) refs.push_back(&factor);
    if (item.currency_column) refs.push_back(&*item.currency_column);
    if (item.type == ValueType::Time) time(item.time);
  };
  auto templated = [&](std::optional<Template>& text) {
    if (!text) return;
    for (Template::Part& part : text->parts) {
      if (part.column) refs.push_back(&*part.column);
    }
  };

  for (Condition& condition : mapping.skip) refs.push_back(&condition.column);
  for (EventRule& rule : mapping.rules) {
    for (Condition& condition : rule.when) refs.push_back(&condition.column);
  }
  refs.push_back(&mapping.user_id);
  time(mapping.timestamp);
  if (mapping.received_at) time(*mapping.received_at);
  templated(mapping.message_id);
  for (Property& item : mapping.properties) property(item);
  if (mapping.group) refs.push_back(&mapping.group->key);
  if (mapping.identify_first) {
    templated(mapping.identify_first->message_id);
    for (Property& item : mapping.identify_first->traits) property(item);
  }
}

// A column name fit for a terminal: a header that is really binary
// garbage, or a data row read as a header, must not flood the screen.
std::string Printable(const std::string& name) {
  constexpr size_t kLongest = 40;
  std::string shown;
  for (size_t at = 0; at < name.size() && shown.size() < kLongest;) {
    size_t length = Utf8SequenceLength(name, at);
    bool control = length == 1 && static_cast<unsigned char>(name[at]) < 0x20;
    if (length == 0 || control) {
      shown += '?';
      at += length == 0 ? 1 : length;
      continue;
    }
    shown.append(name, at, length);
    at += length;
  }
  return shown.size() < name.size() ? shown + "..." : shown;
}

std::string DescribeHeader(const std::vector<std::string>& header) {
  constexpr size_t kShown = 20;
  std::string names;
  for (size_t i = 0; i < header.size() && i < kShown; ++i) {
    names += (i == 0 ? "" : ", ") + Printable(header[i]);
  }
  if (header.size() > kShown) {
    names += " and " + std::to_string(header.size() - kShown) + " more";
  }
  return names;
}

}  // namespace

std::optional<Mapping> LoadMapping(const std::string& text,
                                   std::string* error) {
  Json root;
  try {
    root = Json::parse(text);
  } catch (const Json::parse_error& failure) {
    *error = LineAndColumn(text, failure.byte == 0 ? 0 : failure.byte - 1) +
             ": not valid JSON (" + failure.what() + ")";
    return std::nullopt;
  }

  // The parser keeps only the last of two equal keys, so a reviewer who
  // reads the first one would be misled about what the import does.
  if (auto repeated = FindRepeatedKey(text)) {
    *error = LineAndColumn(text, repeated->again) + ": " + repeated->path +
             ": the key \"" + repeated->key +
             "\" is written twice in one object (first at " +
             LineAndColumn(text, repeated->first) + "); keep one of them";
    return std::nullopt;
  }

  try {
    return ReadMapping(root);
  } catch (const MappingError& failure) {
    *error = failure.what();
    // The place of the value at fault, or of the nearest enclosing one
    // (a missing key is reported at the object that lacks it).
    std::map<std::string, size_t> places = JsonPlaces(text);
    std::string path = failure.path;
    for (;;) {
      auto found = places.find(path);
      if (found != places.end()) {
        *error = LineAndColumn(text, found->second) + ": " + *error;
        break;
      }
      size_t cut = path.find_last_of(".[");
      if (cut == std::string::npos) break;
      path.resize(cut);
    }
  }
  return std::nullopt;
}

namespace {

// A header column the mapping probably meant: exports change the case of
// their headers between versions (`CustomerID`, `customer_id`), and a
// name one edit away is more often a typo than another column.
std::string NearColumn(const std::string& wanted,
                       const std::vector<std::string>& header) {
  std::vector<std::string_view> names(header.begin(), header.end());
  std::string_view near = common::NearestName(wanted, names);
  if (near.empty()) return "";

  // Short names are a few edits from anything: `id` is not a typo of `y`.
  int64_t edits = common::NameDistance(wanted, near, 8);
  if (edits * 2 >= static_cast<int64_t>(wanted.size())) return "";

  std::string quoted = "\"" + Printable(std::string(near)) + "\"";
  if (edits == 0) {
    return "; the file has " + quoted + ", which differs in case only";
  }
  return "; did you mean " + quoted + "?";
}

}  // namespace

bool Resolve(Mapping& mapping, const std::vector<std::string>& header,
             std::string* error) {
  for (size_t i = 0; i < header.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (header[i] == header[j]) {
        *error =
            "the header names column \"" + Printable(header[i]) + "\" twice";
        return false;
      }
    }
  }

  std::vector<ColumnRef*> refs;
  ForEachColumn(mapping, refs);
  for (ColumnRef* ref : refs) {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == ref->name) ref->index = static_cast<int>(i);
    }
    if (ref->index >= 0) continue;
    *error = "the mapping reads column \"" + ref->name +
             "\", which the file does not have (its columns: " +
             DescribeHeader(header) + ")" + NearColumn(ref->name, header);
    return false;
  }
  return true;
}

int CurrencyDigits(const std::string& code) {
  return common::CurrencyMinorDigits(code);
}

}  // namespace parcours::import
