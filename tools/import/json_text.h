// JSON text written by hand, so that numbers keep their exact digits.
#pragma once

#include <string>
#include <string_view>

namespace parcours::import {

// The length of the valid UTF-8 sequence at `at`, or 0 when the bytes
// there are not one (overlong forms and surrogates included).
size_t Utf8SequenceLength(std::string_view text, size_t at);

bool IsValidUtf8(std::string_view text);

// Appends `text` as a JSON string: quotes, backslashes and control
// characters escaped, other characters as they are. Bytes that are not
// UTF-8 become U+FFFD, which only dead letters can contain.
void AppendJsonString(std::string& out, std::string_view text);

}  // namespace parcours::import
