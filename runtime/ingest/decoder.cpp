#include "runtime/ingest/decoder.h"

#include <algorithm>

#include "runtime/common/decimal_text.h"
#include "runtime/common/hash.h"
#include "runtime/common/near_names.h"
#include "runtime/common/time_text.h"
#include "runtime/ingest/values.h"

namespace parcours::ingest {

namespace {

using Kind = JsonValue::Kind;

// Input text quoted in a reason is cut so that one bad value cannot make
// the reason longer than the line it describes.
std::string Quote(std::string_view text) {
  constexpr size_t kMax = 60;
  if (text.size() <= kMax) return "`" + std::string(text) + "`";
  return "`" + std::string(text.substr(0, kMax)) + "...`";
}

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// What a JavaScript sender writes for a value it did not have (`${id}` of
// an undefined id, an object): the same text on every line it sends, so
// taken as a message id it would make every later line a duplicate.
bool IsPlaceholderId(std::string_view text) {
  return text == "undefined" || text == "null" || text == "NaN" ||
         text == "[object Object]";
}

// A `messageId` that is no id: absent, null, blanks or a placeholder.
bool IsNoMessageId(const JsonValue* value) {
  if (value == nullptr || value->kind == Kind::Null) return true;
  return value->kind == Kind::String &&
         (IsBlank(value->text) || IsPlaceholderId(value->text));
}

// An identifier: a string that is not blank, or an integer written as a
// number (exports from some tools carry numeric ids).
std::string DecodeId(const JsonValue* value, const char* name,
                     std::string& id) {
  if (value == nullptr || value->kind == Kind::Null) {
    return std::string("missing ") + name;
  }
  if (value->kind == Kind::String) {
    // Only blanks is a sender's empty field, not an id: taken as one,
    // every such line after the first would be a duplicate.
    if (IsBlank(value->text)) return std::string("missing ") + name;
    id = value->text;
    return "";
  }
  int64_t integer = 0;
  common::NumberProblem problem =
      value->kind == Kind::Number ? common::ParseScaled(value->text, 0, integer)
                                  : common::NumberProblem::NotANumber;
  if (problem == common::NumberProblem::None) {
    id = std::to_string(integer);
    return "";
  }
  // An id is text, and a long numeric one fits in none of our integers;
  // the sender can keep every digit by quoting it.
  if (problem == common::NumberProblem::OutOfRange) {
    bool negative = !value->text.empty() && value->text[0] == '-';
    return std::string(name) + " " + Quote(value->text) +
           (negative ? " is an integer too small (below "
                       "-9223372036854775808)"
                     : " is an integer too large (above "
                       "9223372036854775807)") +
           "; send it as a string, in quotes";
  }
  return std::string(name) + " must be a string or an integer, got " +
         KindName(value->kind);
}

std::string DecodeTime(const JsonValue* value, const char* name,
                       int64_t& seconds) {
  if (value->kind != Kind::String) {
    return std::string(name) + " must be an ISO 8601 time, got " +
           KindName(value->kind);
  }
  auto parsed = common::ParseTime(value->text);
  if (!parsed) {
    return std::string(name) + " " + BadTimeReason(value->text) + ": " +
           Quote(value->text);
  }
  // Waits are added to these times; a year like 0001 or 9999 with an
  // offset past the end is a typo, and could only push sums out of range.
  if (*parsed < common::kEarliestTime || *parsed > common::kLatestTime) {
    return std::string(name) + " " + Quote(value->text) +
           " is outside the years 1900 to 9999";
  }
  seconds = *parsed;
  return "";
}

// Sets `key` to the message id when `root` has a usable one, and says
// whether it did; errors are left for `DecodeEnvelope` to report in their
// turn.
bool PeekMessageId(const JsonValue& root, std::string& key) {
  const JsonValue* value = root.Find("messageId");
  if (IsNoMessageId(value)) return false;
  return DecodeId(value, "messageId", key).empty();
}

// Whether `packed` (from `ir::PackCurrency(text)`) is an ISO 4217 code.
// The codes seen so far are remembered by their packed number: a stream
// carries a handful, and the list of all codes is searched by string.
bool IsKnownCurrency(int64_t packed, const std::string& text) {
  thread_local std::vector<int64_t> known;
  if (std::find(known.begin(), known.end(), packed) != known.end()) {
    return true;
  }
  if (!ir::IsIsoCurrency(text)) return false;
  known.push_back(packed);
  return true;
}

// How messages refer to a value: "field `total` of `Order Completed`" or
// "trait `country`", and for its currency "money field `total`". Built
// only for a message: most lines have none, and building them for every
// value was a tenth of the decoding.
// The keys of `properties` that name none of `type`'s fields.
std::vector<std::string_view> UndeclaredKeys(const ir::EventType& type,
                                             const JsonValue& properties) {
  std::vector<std::string_view> keys;
  for (const JsonMember& member : properties.members) {
    bool declared = false;
    for (const ir::Field& field : type.fields) {
      declared = declared || field.wire_name == member.key;
    }
    if (!declared) keys.push_back(member.key);
  }
  return keys;
}

// For a required field missing from a line that carries a key spelt
// nearly like it (`totl`, `Total`): which one, so that the sender or the
// program can be corrected rather than every line dead-lettered blindly.
std::string MisspeltHint(const ir::Field& field,
                         const std::vector<std::string_view>& keys) {
  std::string_view near = common::NearestName(field.wire_name, keys);
  if (near.empty()) return "";
  return " (the line has " + Quote(near) + "; is one of them misspelt?)";
}

struct ValueLabel {
  const char* kind;        // "field" or "trait"
  std::string_view name;   // the field's wire name
  std::string_view event;  // the event's wire name; empty for a trait
  std::string Name() const {
    std::string label = kind;
    label.append(" ").append(Quote(name));
    if (!event.empty()) label.append(" of ").append(Quote(event));
    return label;
  }
  std::string MoneyName() const {
    std::string label = "money ";
    return label.append(kind).append(" ").append(Quote(name));
  }
};

// The packed currency of a money value, read from the `currency` member
// next to it. `label` names the value for messages ("money field
// `total`").
std::string DecodeCurrency(const JsonValue& container, const ValueLabel& label,
                           int64_t& currency) {
  const JsonValue* code = container.Find("currency");
  if (code == nullptr || code->kind == Kind::Null) {
    return label.MoneyName() + " needs a `currency`";
  }
  if (code->kind != Kind::String) {
    return "`currency` must be a string, got " +
           std::string(KindName(code->kind));
  }
  currency = ir::PackCurrency(code->text);
  if (currency == 0 || !IsKnownCurrency(currency, code->text)) {
    return "`currency` must be a three-letter ISO 4217 code such as `EUR`, "
           "got " +
           Quote(code->text);
  }
  return "";
}

// Decodes one present, non-null value into `field` of `record`.
std::string DecodeInto(const JsonValue& container, const JsonValue& value,
                       const ir::Field& field, const ValueLabel& label,
                       common::Record& record) {
  TypedValue typed;
  std::string problem = DecodeFieldValue(value, field, typed);
  if (!problem.empty()) return label.Name() + " " + problem;
  if (field.channel) {
    // A channel is a name, whatever its case, as on the consent lines: a
    // CDP that writes "SMS" means sms, and refusing it would drop the
    // addresses and every other trait of its line with it.
    for (char& c : typed.text) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    const auto& channels = ir::ConsentChannels();
    if (std::find(channels.begin(), channels.end(), typed.text) ==
        channels.end()) {
      return label.Name() +
             " takes a channel (email, inapp, push or sms), not " +
             Quote(value.text);
    }
  }

  int64_t currency = 0;
  if (field.type == ir::Type::Money) {
    problem = DecodeCurrency(container, label, currency);
    if (!problem.empty()) return problem;
  }
  WriteField(record, field, typed, currency);
  return "";
}

const JsonValue* ObjectMember(const JsonValue& root, const char* key,
                              std::string& problem) {
  const JsonValue* member = root.Find(key);
  if (member == nullptr || member->kind == Kind::Null) return nullptr;
  if (member->kind != Kind::Object) {
    problem = "`" + std::string(key) + "` must be an object, got " +
              KindName(member->kind);
  }
  return member;
}

// The first key that `object` holds twice, with where: a line with a
// repeated key is ambiguous, and taking either value would quietly drop
// the other.
std::string RepeatedKey(const JsonValue& object, const char* where) {
  // An event's few keys are compared pair by pair, with no allocation;
  // only a repeat is then looked for in sorted order, for its message.
  constexpr size_t kFewKeys = 16;
  const std::vector<JsonMember>& members = object.members;
  if (members.size() <= kFewKeys) {
    bool repeated = false;
    for (size_t i = 0; i < members.size() && !repeated; ++i) {
      for (size_t j = i + 1; j < members.size() && !repeated; ++j) {
        repeated = members[i].key == members[j].key;
      }
    }
    if (!repeated) return "";
  }

  // Sorted, so that a line with many keys costs n log n, not n squared.
  std::vector<std::string_view> keys;
  keys.reserve(object.members.size());
  for (const JsonMember& member : object.members) keys.push_back(member.key);
  std::sort(keys.begin(), keys.end());
  auto repeated = std::adjacent_find(keys.begin(), keys.end());
  if (repeated == keys.end()) return "";
  return "the key " + Quote(*repeated) + " appears twice" + where +
         "; which value is meant is unclear";
}

}  // namespace

Decoder::Decoder(const ir::Program& program) : program_(program) {
  for (size_t i = 0; i < program.events.size(); ++i) {
    events_by_wire_name_.emplace(program.events[i].wire_name,
                                 static_cast<int32_t>(i));
  }
  for (size_t i = 0; i < program.profile.size(); ++i) {
    attributes_by_wire_name_.emplace(program.profile[i].wire_name,
                                     static_cast<int32_t>(i));
  }
}

std::string ContentKey(std::string_view line) {
  return "line:" + common::Hex64(common::Fnv1a64(line));
}

DecodeResult Decoder::Decode(std::string_view line, int64_t line_number) const {
  DecodeResult result;
  Decode(line, line_number, result);
  return result;
}

namespace {

// Gives `result` the values of a new `DecodeResult`, keeping its buffers.
void Reset(DecodeResult& result) {
  result.outcome = LineOutcome::DeadLetter;
  result.reason.clear();
  DecodedEvent& event = result.event;
  event.kind = EventKind::Track;
  event.line = 0;
  event.user_id.clear();
  event.message_id.reset();
  event.key.clear();
  event.timestamp = 0;
  event.received_at.reset();
  event.event_type = -1;
  event.wire_event.clear();
  event.record.Clear(0);
  event.absent_fields.clear();
  event.undeclared_properties.clear();
  event.traits.Clear(0);
  event.trait_attributes.clear();
  event.ignored_traits.clear();
  event.consent.clear();
}

}  // namespace

void Decoder::Decode(std::string_view line, int64_t line_number,
                     DecodeResult& result) const {
  Reset(result);
  result.event.line = line_number;
  if (IsBlank(line)) {
    result.outcome = LineOutcome::Blank;
    return;
  }

  // One tree per thread, reused from line to line: the reader keeps its
  // strings and vectors (see `ParseJsonFast`).
  thread_local JsonValue root;
  std::string problem = ParseJson(line, root);
  if (!problem.empty()) {
    result.reason = IsValueProblem(problem) ? problem : "not JSON: " + problem;
    return;
  }
  if (root.kind != Kind::Object) {
    result.reason =
        std::string("not a JSON object, got ") + KindName(root.kind);
    return;
  }

  if (!PeekMessageId(root, result.event.key)) {
    result.event.key = ContentKey(line);
  }

  problem = RepeatedKey(root, "");
  struct Part {
    const char* key;
    const char* where;  // for the message, written out: no string per line
  };
  for (Part part : {Part{"properties", " in `properties`"},
                    Part{"traits", " in `traits`"}}) {
    const JsonValue* inner = root.Find(part.key);
    if (problem.empty() && inner != nullptr) {
      problem = RepeatedKey(*inner, part.where);
    }
  }
  if (!problem.empty()) {
    result.reason = problem;
    return;
  }

  const JsonValue* type = root.Find("type");
  if (type == nullptr || type->kind != Kind::String) {
    result.reason = "missing `type`";
    return;
  }
  if (type->text == "track") {
    result.event.kind = EventKind::Track;
  } else if (type->text == "identify") {
    result.event.kind = EventKind::Identify;
  } else {
    result.reason = "unknown type " + Quote(type->text) +
                    "; expected `track` or `identify`";
    return;
  }

  problem = DecodeEnvelope(root, result.event);
  if (problem.empty()) {
    problem = result.event.kind == EventKind::Track
                  ? DecodeTrack(root, result)
                  : DecodeIdentify(root, result.event);
  }
  if (!problem.empty()) {
    result.outcome = LineOutcome::DeadLetter;
    result.reason = std::move(problem);
    return;
  }
  if (result.outcome != LineOutcome::Ignored) {
    result.outcome = LineOutcome::Event;
  }
}

std::string Decoder::DecodeEnvelope(const JsonValue& root,
                                    DecodedEvent& event) const {
  std::string problem = DecodeId(root.Find("userId"), "userId", event.user_id);
  // A visitor not yet identified (the track/identify shape's
  // `anonymousId`) is no profile yet: say why its line is refused.
  const JsonValue* anonymous = root.Find("anonymousId");
  if (problem.rfind("missing ", 0) == 0 && anonymous != nullptr &&
      anonymous->kind != Kind::Null) {
    problem +=
        " (an `anonymousId` alone names no profile: events count from the "
        "user's first line with a `userId`)";
  }
  if (!problem.empty()) return problem;

  // A message id is optional; without one the line's content is its key.
  const JsonValue* message_id = root.Find("messageId");
  if (!IsNoMessageId(message_id)) {
    std::string id;
    problem = DecodeId(message_id, "messageId", id);
    if (!problem.empty()) return problem;
    event.message_id = std::move(id);
  }

  const JsonValue* timestamp = root.Find("timestamp");
  if (timestamp == nullptr || timestamp->kind == Kind::Null) {
    return "missing timestamp";
  }
  problem = DecodeTime(timestamp, "timestamp", event.timestamp);
  if (!problem.empty()) return problem;

  const JsonValue* received_at = root.Find("receivedAt");
  if (received_at != nullptr && received_at->kind != Kind::Null) {
    int64_t seconds = 0;
    problem = DecodeTime(received_at, "receivedAt", seconds);
    if (!problem.empty()) return problem;
    event.received_at = seconds;
  }
  return "";
}

std::string Decoder::DecodeTrack(const JsonValue& root,
                                 DecodeResult& result) const {
  const JsonValue* name = root.Find("event");
  if (name != nullptr && name->kind != Kind::String &&
      name->kind != Kind::Null) {
    return std::string("`event` must be the event's name as a string, got ") +
           KindName(name->kind);
  }
  if (name == nullptr || name->kind != Kind::String || name->text.empty()) {
    return "track without an `event` name";
  }

  // An event type the program does not declare is not a mistake in the
  // input: streams carry many kinds of events, and a program reacts to
  // some of them.
  auto found = events_by_wire_name_.find(name->text);
  bool consent = IsConsentEvent(name->text);
  if (found == events_by_wire_name_.end() && !consent) {
    result.outcome = LineOutcome::Ignored;
    result.event.wire_event = name->text;
    return "";
  }

  DecodedEvent& event = result.event;
  std::string problem;
  const JsonValue* properties = ObjectMember(root, "properties", problem);
  if (!problem.empty()) return problem;
  JsonValue empty;
  empty.kind = Kind::Object;
  if (properties == nullptr) properties = &empty;
  if (consent) {
    event.consent = ConsentFromTrack(name->text, *properties, &problem);
    if (!problem.empty()) return problem;
  }
  if (found == events_by_wire_name_.end()) return "";

  event.event_type = found->second;
  const ir::EventType& type = program_.events[event.event_type];
  event.record.Clear(type.record_words);

  for (size_t index = 0; index < type.fields.size(); ++index) {
    const ir::Field& field = type.fields[index];
    ValueLabel label{"field", field.wire_name, type.wire_name};
    const JsonValue* value = properties->Find(field.wire_name);
    if (value == nullptr && field.optional) {
      event.absent_fields.push_back(static_cast<int32_t>(index));
      continue;
    }
    if (value == nullptr) {
      return "missing " + label.Name() +
             MisspeltHint(field, UndeclaredKeys(type, *properties));
    }
    if (value->kind == Kind::Null && field.optional) continue;
    problem = DecodeInto(*properties, *value, field, label, event.record);
    if (!problem.empty()) return problem;
  }

  if (!event.absent_fields.empty() && SamplesProperties(event.line)) {
    for (std::string_view key : UndeclaredKeys(type, *properties)) {
      event.undeclared_properties.emplace_back(key);
    }
  }
  return "";
}

std::string Decoder::DecodeIdentify(const JsonValue& root,
                                    DecodedEvent& event) const {
  event.traits.Clear(program_.profile_words);

  std::string problem;
  const JsonValue* traits = ObjectMember(root, "traits", problem);
  if (!problem.empty()) return problem;
  if (traits == nullptr) return "";
  event.consent = ConsentFromTraits(*traits, &problem);
  if (!problem.empty()) return problem;

  // Traits the program does not declare are someone else's data; they are
  // skipped, not refused.
  for (const JsonMember& member : traits->members) {
    auto found = attributes_by_wire_name_.find(member.key);
    if (found == attributes_by_wire_name_.end()) {
      if (member.key != "consent") event.ignored_traits.push_back(member.key);
      continue;
    }
    const ir::Field& field = program_.profile[found->second];
    ValueLabel label{"trait", field.wire_name, ""};

    if (member.value.kind == Kind::Null && field.optional) {
      ClearField(event.traits, field);
    } else {
      problem = DecodeInto(*traits, member.value, field, label, event.traits);
      if (!problem.empty()) return problem;
    }

    bool listed = false;
    for (int32_t attribute : event.trait_attributes) {
      listed = listed || attribute == found->second;
    }
    if (!listed) event.trait_attributes.push_back(found->second);
  }
  return "";
}

}  // namespace parcours::ingest
