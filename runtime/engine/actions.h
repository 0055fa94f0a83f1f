// The action lines the engine writes, byte for byte.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "compiler/ir/ir.h"
#include "runtime/common/hash.h"

namespace parcours::engine {

// 64-bit FNV-1a; see `common::Fnv1a64`.
using common::Fnv1a64;

// The idempotency key of an action: 16 lower-case hex digits of the FNV-1a
// hash of the program's module name, profile, journey, instance seq and
// step key (`StepKey`), joined by 0x1f (a byte that cannot appear in the
// decimal numbers and is unlikely in names). The same instance step always
// gets the same key; the step's name, not its index, so that the optimiser
// removing other steps changes none. The module and, for a send, the
// channel and template are part of it so that two programs sharing one
// outbox or webhook (a spring and a summer campaign, both with a journey
// `welcome`) do not give their different messages one key.
std::string ActionId(std::string_view module, std::string_view profile,
                     std::string_view journey, int64_t instance_seq,
                     std::string_view step_key);

// A step's part of an action key: its name; for a send, its name, channel
// and template joined by 0x1f.
std::string StepKey(const ir::Step& step);

// What an action line says: the step that decided it and, for sends,
// webhooks and emitted events, the values it computed.
struct SendAction {
  std::string_view id;
  int64_t at = 0;
  std::string_view profile;
  std::string_view journey;
  const ir::Step* step = nullptr;
  nlohmann::ordered_json payload = nlohmann::ordered_json::object();
  bool late = false;  // a send whose wait fell due while no process ran
  // The channel chosen (`send best of`, a fallback); empty: the step's.
  std::string_view channel;
  // An email's one-click unsubscribe link; empty: no headers.
  std::string_view unsubscribe_url;
};

// The action of `step` of `journey` for `profile`, decided at `at`, with
// no payload yet. The texts are borrowed.
inline SendAction ActionOf(std::string_view id, int64_t at,
                           std::string_view profile, std::string_view journey,
                           const ir::Step& step) {
  SendAction action;
  action.id = id;
  action.at = at;
  action.profile = profile;
  action.journey = journey;
  action.step = &step;
  return action;
}

// Every line is compact JSON, keys in the order shown, times in UTC with
// a Z. A send:
// {"kind":"send","id":...,"at":...,"profile":...,"channel":...,
//  "template":...,"journey":...,"step":...,"category":...,
//  ["priority":...,] "payload":{...}}
// `category` is "marketing" unless the step names one; `priority` appears
// only when the step names one; a late send ends with "late":true.
std::string FormatSendLine(const SendAction& send);

// A send that did not happen (contracts.md "Actions out"):
// {"kind":"suppressed","id":...,"at":...,"profile":...,"channel":...,
//  "template":...,"journey":...,"step":...,"reason":...,"detail":...}
// and, for a late one, "late":true at the end.
std::string FormatSuppressedLine(const SendAction& send,
                                 std::string_view reason,
                                 std::string_view detail);

// A task, webhook or award that a holdout contact would have had: the
// action's own line without its payload, marked as suppressed, with
// `action` naming its kind (a suppressed message has `channel` instead).
// For an award, `payload` holds "program" and "points".
// {"kind":"suppressed","id":...,"at":...,"profile":...,"action":"task",
//  "system":...,"text":...,"team":...,"journey":...,"step":...,
//  "reason":...,"detail":...}
// {"kind":"suppressed","id":...,"at":...,"profile":...,
//  "action":"webhook","webhook":...,"journey":...,"step":...,
//  "reason":...,"detail":...}
// {"kind":"suppressed","id":...,"at":...,"profile":...,"action":"award",
//  "program":...,"points":N,"journey":...,"step":...,"reason":...,
//  "detail":...}
std::string FormatSuppressedActionLine(const SendAction& action,
                                       std::string_view reason,
                                       std::string_view detail);

// {"kind":"task","id":...,"at":...,"profile":...,"system":...,"text":...,
//  "team":...,"journey":...,"step":...}
std::string FormatTaskLine(const SendAction& task);

// A security action (`freeze account`, `require second factor`). It is
// not a message: no consent, no caps, never suppressed or deferred.
// {"kind":"freeze"|"second_factor","id":...,"at":...,"profile":...,
//  "reason":...,"journey":...,"step":...}
std::string FormatSecurityLine(const SendAction& action);

// {"kind":"webhook","id":...,"at":...,"profile":...,"webhook":...,
//  "journey":...,"step":...,"payload":{...}}
std::string FormatWebhookLine(const SendAction& webhook);

// An event a journey emitted, as it is applied to the profile:
// {"kind":"event","id":...,"at":...,"profile":...,"event":<wire name>,
//  "journey":...,"step":...,"properties":{...}}
std::string FormatEventLine(const SendAction& event,
                            std::string_view wire_name);

// Where an action line goes in the canonical output order: by its `at`
// ("YYYY-MM-DDTHH:MM:SSZ" sorts as text), then by its profile id
// (bytewise).
struct ActionOrder {
  std::string at;
  std::string profile;
  bool operator<(const ActionOrder& other) const {
    return at != other.at ? at < other.at : profile < other.profile;
  }
};

// The order of `line`: the values of its top-level `at` and `profile`
// members, each empty when the line lacks it or is not JSON.
ActionOrder OrderOfLine(std::string_view line);

// The same, always by reading the whole line as JSON; `OrderOfLine` reads
// only the opening members where it can. For the test comparing the two.
ActionOrder OrderOfLineByReading(std::string_view line);

}  // namespace parcours::engine
