#include "runtime/engine/actions.h"

#include <nlohmann/json.hpp>

#include "runtime/common/hash.h"
#include "runtime/common/time_text.h"
#include "runtime/ingest/json_value.h"

namespace parcours::engine {

std::string ActionId(std::string_view module, std::string_view profile,
                     std::string_view journey, int64_t instance_seq,
                     std::string_view step) {
  std::string key;
  key.reserve(module.size() + profile.size() + journey.size() + step.size() +
              25);
  key.append(module);
  key.push_back('\x1f');
  key.append(profile);
  key.push_back('\x1f');
  key.append(journey);
  key.push_back('\x1f');
  key.append(std::to_string(instance_seq));
  key.push_back('\x1f');
  key.append(step);

  return common::Hex64(Fnv1a64(key));
}

std::string StepKey(const ir::Step& step) {
  if (step.kind != ir::StepKind::Send) return step.name;
  return step.name + '\x1f' + step.channel + '\x1f' + step.template_name;
}

namespace {

using Line = nlohmann::ordered_json;

// `ordered_json` keeps keys in insertion order, which is the contract's
// order; its number and string output does not depend on the locale.
Line Start(const char* kind, const SendAction& action) {
  Line line = Line::object();
  line["kind"] = kind;
  line["id"] = action.id;
  line["at"] = common::FormatTime(action.at);
  line["profile"] = action.profile;
  return line;
}

void AddOrigin(Line& line, const SendAction& action) {
  line["journey"] = action.journey;
  line["step"] = action.step->name;
}

std::string Finish(const Line& line) {
  return line.dump(-1, ' ', false, Line::error_handler_t::replace);
}

Line StartMessage(const char* kind, const SendAction& send) {
  Line line = Start(kind, send);
  line["channel"] = send.channel.empty() ? std::string_view(send.step->channel)
                                         : send.channel;
  line["template"] = send.step->template_name;
  AddOrigin(line, send);
  return line;
}

std::string FormatSendLineWithTree(const SendAction& send) {
  Line line = StartMessage("send", send);
  line["category"] = send.step->category;
  if (!send.step->priority.empty()) line["priority"] = send.step->priority;
  line["payload"] = send.payload;
  if (!send.unsubscribe_url.empty()) {
    // RFC 8058 one-click unsubscribe.
    line["payload"]["headers"] = {
        {"List-Unsubscribe", "<" + std::string(send.unsubscribe_url) + ">"},
        {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"}};
  }
  if (send.late) line["late"] = true;
  return Finish(line);
}

// Whether the tree's dump writes `text` as its own bytes between quotes,
// escaping only `"` and `\`: true of printable ASCII. Other bytes may be
// escaped or replaced, which only the tree's dump does exactly.
bool IsPrintableAscii(std::string_view text) {
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7e) return false;
  }
  return true;
}

// Appends `,"key":"value"`; `value` must be printable ASCII.
void AppendMember(std::string& line, std::string_view key,
                  std::string_view value) {
  line += ",\"";
  line += key;
  line += "\":\"";
  // The bytes between two that need a backslash go in at once.
  size_t start = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '"' && value[i] != '\\') continue;
    line.append(value, start, i - start);
    line.push_back('\\');
    start = i;
  }
  line.append(value, start);
  line.push_back('"');
}

}  // namespace

std::string FormatSendLine(const SendAction& send) {
  // The common case is written directly, byte for byte what the tree would
  // give: a send is about one line in ten, and building its tree cost
  // more than deciding it.
  const ir::Step& step = *send.step;
  std::string_view channel =
      send.channel.empty() ? std::string_view(step.channel) : send.channel;
  std::string at = common::FormatTime(send.at);
  bool direct = send.unsubscribe_url.empty();
  for (std::string_view text :
       {send.id, std::string_view(at), send.profile, channel,
        std::string_view(step.template_name), send.journey,
        std::string_view(step.name), std::string_view(step.category),
        std::string_view(step.priority)}) {
    direct = direct && IsPrintableAscii(text);
  }
  if (!direct) return FormatSendLineWithTree(send);

  std::string line;
  line.reserve(320);  // a send line's usual size, grown once at most
  line += "{\"kind\":\"send\"";
  AppendMember(line, "id", send.id);
  AppendMember(line, "at", at);
  AppendMember(line, "profile", send.profile);
  AppendMember(line, "channel", channel);
  AppendMember(line, "template", step.template_name);
  AppendMember(line, "journey", send.journey);
  AppendMember(line, "step", step.name);
  AppendMember(line, "category", step.category);
  if (!step.priority.empty()) AppendMember(line, "priority", step.priority);
  line += ",\"payload\":";
  line += Finish(send.payload);
  if (send.late) line += ",\"late\":true";
  line.push_back('}');
  return line;
}

std::string FormatSuppressedLine(const SendAction& send,
                                 std::string_view reason,
                                 std::string_view detail) {
  Line line = StartMessage("suppressed", send);
  line["reason"] = reason;
  line["detail"] = detail;
  if (send.late) line["late"] = true;
  return Finish(line);
}

std::string FormatSuppressedActionLine(const SendAction& action,
                                       std::string_view reason,
                                       std::string_view detail) {
  const ir::Step& step = *action.step;
  Line line = Start("suppressed", action);
  if (step.kind == ir::StepKind::Task) {
    line["action"] = "task";
    line["system"] = step.system;
    line["text"] = step.text;
    line["team"] = step.team;
  } else if (step.kind == ir::StepKind::Webhook) {
    line["action"] = "webhook";
    line["webhook"] = step.text;
  } else {
    line["action"] = "award";
    line["program"] = action.payload["program"];
    line["points"] = action.payload["points"];
  }
  AddOrigin(line, action);
  line["reason"] = reason;
  line["detail"] = detail;
  return Finish(line);
}

std::string FormatTaskLine(const SendAction& task) {
  Line line = Start("task", task);
  line["system"] = task.step->system;
  line["text"] = task.step->text;
  line["team"] = task.step->team;
  AddOrigin(line, task);
  return Finish(line);
}

std::string FormatSecurityLine(const SendAction& action) {
  bool freeze = action.step->kind == ir::StepKind::Freeze;
  Line line = Start(freeze ? "freeze" : "second_factor", action);
  line["reason"] = action.step->text;
  AddOrigin(line, action);
  return Finish(line);
}

std::string FormatWebhookLine(const SendAction& webhook) {
  Line line = Start("webhook", webhook);
  line["webhook"] = webhook.step->text;
  AddOrigin(line, webhook);
  line["payload"] = webhook.payload;
  return Finish(line);
}

std::string FormatEventLine(const SendAction& event,
                            std::string_view wire_name) {
  Line line = Start("event", event);
  line["event"] = wire_name;
  AddOrigin(line, event);
  line["properties"] = event.payload;
  return Finish(line);
}

ActionOrder OrderOfLineByReading(std::string_view line) {
  ActionOrder order;
  ingest::JsonValue root;
  if (!ingest::ParseJson(line, root).empty()) return order;
  const ingest::JsonValue* at = root.Find("at");
  const ingest::JsonValue* profile = root.Find("profile");
  if (at != nullptr) order.at = at->text;
  if (profile != nullptr) order.profile = profile->text;
  return order;
}

namespace {

// Reads `"name":"value"` at `at` of `line`, moving `at` past it, when the
// value is printable ASCII without `"` or `\`: its bytes between the
// quotes are then exactly the string a JSON reader gives.
bool ReadPlainMember(std::string_view line, size_t& at, std::string_view name,
                     std::string_view& value) {
  std::string_view rest = line.substr(at);
  if (rest.size() < name.size() + 5 || rest[0] != '"' ||
      rest.substr(1, name.size()) != name ||
      rest.substr(1 + name.size(), 3) != "\":\"") {
    return false;
  }
  size_t start = name.size() + 4;
  size_t end = start;
  while (end < rest.size() && rest[end] != '"') {
    auto byte = static_cast<unsigned char>(rest[end]);
    if (byte < 0x20 || byte > 0x7e || byte == '\\') return false;
    ++end;
  }
  if (end == rest.size()) return false;
  value = rest.substr(start, end - start);
  at += end + 1;
  return true;
}

}  // namespace

ActionOrder OrderOfLine(std::string_view line) {
  // Every action line opens with the same four members, written by the
  // formatters above, policy::FormatHeldLine and the loyalty lines, none
  // of which writes a top-level key twice: where their texts are plain,
  // the order is read from them without reading the whole line (which
  // was most of the cost of sorting a save's actions).
  std::string_view kind, id, at, profile;
  size_t pos = 1;
  bool plain = line.size() > 1 && line[0] == '{' &&
               ReadPlainMember(line, pos, "kind", kind) && pos < line.size() &&
               line[pos++] == ',' && ReadPlainMember(line, pos, "id", id) &&
               pos < line.size() && line[pos++] == ',' &&
               ReadPlainMember(line, pos, "at", at) && pos < line.size() &&
               line[pos++] == ',' &&
               ReadPlainMember(line, pos, "profile", profile) &&
               pos < line.size() && (line[pos] == ',' || line[pos] == '}');
  if (!plain) return OrderOfLineByReading(line);
  return {std::string(at), std::string(profile)};
}

}  // namespace parcours::engine
