// A small JSON tree that keeps each number's text as written.
//
// nlohmann/json stores non-integer numbers as `double`, which cannot hold
// 129.90 exactly. Its SAX interface still hands over the number's text, so
// this tree is built from SAX events and keeps that text; decoders then
// read money and decimals exactly (see `common::ParseScaled`).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parcours::ingest {

struct JsonMember;

struct JsonValue {
  enum class Kind : uint8_t { Null, Bool, Number, String, Object, Array };

  Kind kind = Kind::Null;
  bool boolean = false;
  // String: the decoded UTF-8 value. Number: the number as written in the
  // input, e.g. "129.90" or "-1.5e3".
  std::string text;
  std::vector<JsonMember> members;  // Object, in input order
  std::vector<JsonValue> items;     // Array

  // The value of the last member named `key` (a repeated key takes its
  // last value, as most JSON readers do), or null when absent or when this
  // is not an object.
  const JsonValue* Find(std::string_view key) const;
};

struct JsonMember {
  std::string key;
  JsonValue value;
};

// Appends `value` as compact JSON text: numbers as they were written,
// members in input order, strings escaped only where JSON requires.
void AppendJson(const JsonValue& value, std::string& out);

// "null", "boolean", "number", "string", "object" or "array", for messages.
const char* KindName(JsonValue::Kind kind);

// Parses one complete JSON text into `value`. Returns an empty string on
// success, otherwise what is wrong ("syntax error at column 9: ...").
// Nesting deeper than 64 levels is refused rather than risk the stack.
//
// Objects and arrays are read first by simdjson (`ParseJsonFast`), which
// is several times faster than nlohmann/json on event lines
// (bench/replay.cpp); anything it does not accept is read again by
// nlohmann (`ParseJsonPrecisely`), whose verdict and message stand. A
// test compares the two on hostile inputs.
std::string ParseJson(std::string_view text, JsonValue& value);

// How a problem with a value, in text that is otherwise valid JSON,
// begins: "number out of range: `1e400`, the value of `properties.total`".
inline constexpr char kNumberOutOfRange[] = "number out of range";

// Whether a problem `ParseJson` returned is such a value problem rather
// than one of syntax (callers then need not call the text "not JSON").
bool IsValueProblem(const std::string& problem);

// The two readers, for that test. The fast one returns false, leaving a
// null `value`, whenever it is not sure.
bool ParseJsonFast(std::string_view text, JsonValue& value);
std::string ParseJsonPrecisely(std::string_view text, JsonValue& value);

}  // namespace parcours::ingest
