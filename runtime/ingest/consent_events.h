// Consent changes carried by input lines (docs/policy.md, "Consent"):
//   - `Consent Granted` / `Consent Revoked` track events (channel,
//     purpose, source);
//   - the identify trait `consent`, one boolean per channel;
//   - `SMS Received` whose text is STOP, STOPALL, UNSUBSCRIBE, CANCEL, END
//     or QUIT (any case, surrounding blanks ignored): SMS revoked;
//   - `Unsubscribed` and `Spam Reported` (channel, email by default), and
//     `Message Bounced` with `bounce_type` "hard": that channel revoked.
#pragma once

#include <string>
#include <vector>

#include "runtime/ingest/json_value.h"

namespace parcours::ingest {

struct ConsentChange {
  std::string channel;
  std::string purpose = "marketing";
  bool granted = false;
  std::string context;  // what the line said, e.g. "inbound SMS \"STOP\""
  std::string source;   // the line's own `source` property, if any
};

// Whether a track event named `event` can change consent.
bool IsConsentEvent(const std::string& event);

// The changes a track event `event` with `properties` makes; a problem
// (a missing channel) goes to `*problem`.
std::vector<ConsentChange> ConsentFromTrack(const std::string& event,
                                            const JsonValue& properties,
                                            std::string* problem);

// The changes an identify's `consent` trait makes, key by key.
std::vector<ConsentChange> ConsentFromTraits(const JsonValue& traits,
                                             std::string* problem);

// Whether an inbound SMS text asks to stop.
bool IsStopWord(const std::string& text);

}  // namespace parcours::ingest
