// Typed values from JSON: the rules shared by event properties, identify
// traits and the state file.
#pragma once

#include <cstdint>
#include <string>

#include "compiler/ir/ir.h"
#include "runtime/common/record.h"
#include "runtime/ingest/json_value.h"

namespace parcours::ingest {

// Decimal places of `ir::kDecimalScale`, for exact text conversion.
inline constexpr int kDecimalDigits = 6;
static_assert(ir::kDecimalScale == 1'000'000,
              "kDecimalDigits must match ir::kDecimalScale");

// One decoded value before it is written into a record.
struct TypedValue {
  int64_t word = 0;  // the value's first word; for `String`, unused
  std::string text;  // `String` only: the bytes
};

// Decodes `value` as a value of `type`:
//   Int, Duration  a JSON integer (or a number with no fraction, "7.0")
//   Decimal        a JSON number or a string of one, read exactly
//   Money          its amount, like Decimal; the currency is the caller's
//   Bool           true or false
//   String         a JSON string
//   Time           an ISO 8601 string with a zone (`common::ParseTime`)
// Returns an empty string on success, otherwise the end of a sentence that
// starts with the value's name: "must be a number, got string".
std::string DecodeTyped(const JsonValue& value, ir::Type type, TypedValue& out);

// Decodes a date from "YYYY-MM-DD" into days since 1970-01-01; any other
// value, or a day that does not exist ("2023-02-29"), is a problem.
std::string DecodeDate(const JsonValue& value, TypedValue& out);

// Whether `text` has the layout of an ISO 8601 time with a zone
// (`2025-02-29T10:00:00Z`, `...T24:00:00.5+01:00`), whatever its numbers:
// a time of that layout that `common::ParseTime` refuses names a day or an
// hour that does not exist, which is a different mistake from a missing
// zone and is said so.
bool HasTimeLayout(const std::string& text);

// What is wrong with a time `ParseTime` refused, after the value's name:
// "is not an ISO 8601 time with a zone", or "is not a real time (...)"
// for one of the right layout.
std::string BadTimeReason(const std::string& text);

// Decodes the value of `field`: an enum from the name of one of its values
// (into its index), a date from its text, anything else as `DecodeTyped`
// does.
std::string DecodeFieldValue(const JsonValue& value, const ir::Field& field,
                             TypedValue& out);

// Writes `value` of `type` into the slot at `offset` of `record`; a
// `Money` slot takes `currency` (packed) as its second word.
void WriteTyped(common::Record& record, ir::Type type, int32_t offset,
                const TypedValue& value, int64_t currency = 0);

// Writes a field's value and marks it present.
void WriteField(common::Record& record, const ir::Field& field,
                const TypedValue& value, int64_t currency = 0);

// Zeroes a field's value and, for an optional field, marks it absent.
void ClearField(common::Record& record, const ir::Field& field);

// "an integer", "a number", "a boolean", ...: what `DecodeTyped` accepts.
const char* ExpectedForm(ir::Type type);

}  // namespace parcours::ingest
