#include "runtime/ingest/consent_events.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>

namespace parcours::ingest {
namespace {

using Kind = JsonValue::Kind;

const std::vector<std::string>& Channels() {
  static const std::vector<std::string> channels = {"email", "inapp", "push",
                                                    "sms"};
  return channels;
}

std::string Text(const JsonValue& object, const char* key) {
  const JsonValue* value = object.Find(key);
  if (value == nullptr || value->kind != Kind::String) return "";
  return value->text;
}

// Channels, purposes and bounce types are names, whatever their case:
// "Hard" and "HARD" bounces are hard.
std::string Lower(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

// A JSON value as a reason shows it: strings quoted, numbers as written,
// containers by their kind; cut so that one bad value cannot make the
// reason longer than its line.
std::string ValueText(const JsonValue& value) {
  constexpr size_t kMax = 60;
  switch (value.kind) {
    case Kind::Null: return "null";
    case Kind::Bool: return value.boolean ? "true" : "false";
    case Kind::Object: return "an object";
    case Kind::Array: return "an array";
    case Kind::Number:
    case Kind::String: break;
  }
  std::string text = value.text.size() <= kMax
                         ? value.text
                         : value.text.substr(0, kMax) + "...";
  if (value.kind == Kind::Number) return text;

  // Quoted as JSON writes a string, so that a quote or a control byte in
  // the value cannot make the reason ambiguous.
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04x",
                    static_cast<unsigned>(static_cast<unsigned char>(c)));
      quoted += escape;
    } else {
      quoted += c;
    }
  }
  return quoted + "\"";
}

// The `channel` property, or `fallback` when it is absent; "" (with a
// problem) when it is not a known channel.
std::string ChannelOf(const JsonValue& properties, const std::string& event,
                      const std::string& fallback, std::string* problem) {
  std::string channel = Lower(Text(properties, "channel"));
  if (channel.empty()) channel = fallback;
  if (std::find(Channels().begin(), Channels().end(), channel) ==
      Channels().end()) {
    *problem = "`" + event + "` needs a `channel` property of email, inapp, " +
               "push or sms" +
               (channel.empty() ? std::string() : ", not `" + channel + "`");
    return "";
  }
  return channel;
}

}  // namespace

bool IsConsentEvent(const std::string& event) {
  static const std::vector<std::string> events = {
      "Consent Granted", "Consent Revoked", "SMS Received",
      "Unsubscribed",    "Spam Reported",   "Message Bounced"};
  return std::find(events.begin(), events.end(), event) != events.end();
}

bool IsStopWord(const std::string& text) {
  // The word itself, whatever surrounds it: spaces (no-break ones too,
  // U+00A0 as UTF-8), a final full stop or exclamation mark, and spaces
  // inside ("Stop all").
  std::string word;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == 0xC2 && i + 1 < text.size() &&
        static_cast<unsigned char>(text[i + 1]) == 0xA0) {
      ++i;
      continue;
    }
    if (std::isspace(c)) continue;
    word += static_cast<char>(std::toupper(c));
  }
  while (!word.empty() && (word.back() == '.' || word.back() == '!')) {
    word.pop_back();
  }
  static const std::vector<std::string> words = {
      "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"};
  return std::find(words.begin(), words.end(), word) != words.end();
}

std::vector<ConsentChange> ConsentFromTrack(const std::string& event,
                                            const JsonValue& properties,
                                            std::string* problem) {
  ConsentChange change;
  change.source = Text(properties, "source");
  if (event == "Consent Granted" || event == "Consent Revoked") {
    change.channel = ChannelOf(properties, event, "", problem);
    change.granted = event == "Consent Granted";
    std::string purpose = Lower(Text(properties, "purpose"));
    if (!purpose.empty()) change.purpose = purpose;
    change.context = event;
  } else if (event == "SMS Received") {
    const JsonValue* body = properties.Find("text");
    if (body == nullptr || body->kind != Kind::String) {
      *problem = "`SMS Received` needs the message as a string `text`";
      return {};
    }
    std::string text = body->text;
    if (!IsStopWord(text)) return {};
    change.channel = "sms";
    change.context = "inbound SMS \"" + text + "\"";
  } else if (event == "Message Bounced") {
    // Amazon SES calls a hard bounce "Permanent" (and a soft one
    // "Transient"): the address will never take mail either way.
    std::string bounce = Lower(Text(properties, "bounce_type"));
    if (bounce != "hard" && bounce != "permanent") return {};
    change.channel = ChannelOf(properties, event, "email", problem);
    change.context = "hard bounce";
  } else {
    change.channel = ChannelOf(properties, event, "email", problem);
    change.context = event == "Spam Reported" ? "complaint" : "unsubscribe";
  }
  if (!problem->empty()) return {};
  return {change};
}

// A consent value as producers write it: JSON's true and false, and the
// same said plainly, as CRM exports and forms do ("false", "No", "0",
// 0). An opt-out written so is an opt-out; refusing the line would keep
// messaging the customer until someone read the dead letters. Anything
// else (2, "maybe") could mean either, and is refused.
std::optional<bool> ConsentValue(const JsonValue& value) {
  if (value.kind == Kind::Bool) return value.boolean;
  if (value.kind != Kind::String && value.kind != Kind::Number) {
    return std::nullopt;
  }
  std::string word = Lower(value.text);
  size_t first = word.find_first_not_of(" \t");
  size_t last = word.find_last_not_of(" \t");
  word = first == std::string::npos ? "" : word.substr(first, last - first + 1);
  if (word == "1" ||
      (value.kind == Kind::String && (word == "true" || word == "yes"))) {
    return true;
  }
  if (word == "0" ||
      (value.kind == Kind::String && (word == "false" || word == "no"))) {
    return false;
  }
  return std::nullopt;
}

std::vector<ConsentChange> ConsentFromTraits(const JsonValue& traits,
                                             std::string* problem) {
  const JsonValue* consent = traits.Find("consent");
  if (consent == nullptr || consent->kind == Kind::Null) return {};
  if (consent->kind != Kind::Object) {
    *problem =
        "trait `consent` is an object of channels, as in "
        "{\"email\": true, \"sms\": false}";
    return {};
  }
  std::vector<ConsentChange> changes;
  std::vector<std::string> keys;  // as written, one per change
  for (const JsonMember& member : consent->members) {
    std::string channel = Lower(member.key);
    bool known = std::find(Channels().begin(), Channels().end(), channel) !=
                 Channels().end();
    if (!known) {
      *problem =
          "trait `consent` takes the channels email, inapp, push and sms, "
          "not `" +
          member.key + "`";
      return {};
    }
    // The channel is right; its value is what the sender must change.
    std::optional<bool> granted = ConsentValue(member.value);
    if (!granted) {
      *problem =
          "trait `consent` takes true or false (or \"yes\", \"no\", "
          "1, 0) for `" +
          member.key + "`, not " + ValueText(member.value);
      return {};
    }
    // The JSON reader refuses a key written twice; `sms` and `SMS` are two
    // keys but one channel, so which value is meant is as unclear.
    for (size_t i = 0; i < changes.size(); ++i) {
      if (changes[i].channel != channel) continue;
      *problem = "trait `consent` names the channel " + channel +
                 " twice, as `" + keys[i] + "` and `" + member.key + "`";
      return {};
    }
    ConsentChange change;
    change.channel = channel;
    change.granted = *granted;
    change.context = "identify trait consent";
    changes.push_back(change);
    keys.push_back(member.key);
  }
  return changes;
}

}  // namespace parcours::ingest
