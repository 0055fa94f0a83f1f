// One-click unsubscribe links for email sends (RFC 8058): the
// List-Unsubscribe and List-Unsubscribe-Post headers of an email's payload.
//
// The link names the person by a token, not by their id: the hex
// HMAC-SHA-256 of the profile id under a secret key, so that nobody can
// forge or guess another person's link. The receiving endpoint finds the
// person by recomputing tokens (or keeping a token -> id table) and feeds
// an `Unsubscribed` event back (docs/policy.md).
#pragma once

#include <string>
#include <string_view>

namespace parcours::policy {

struct UnsubscribeLinks {
  std::string base_url;  // https://...; empty: no headers
  std::string key;       // the HMAC key
};

// Lower-case hex HMAC-SHA-256 of `profile` under `key`.
std::string UnsubscribeToken(std::string_view key, std::string_view profile);

// `base_url` + `?token=<token>&channel=email` (`&` when it has a query).
std::string UnsubscribeUrl(const UnsubscribeLinks& links,
                           std::string_view profile);

}  // namespace parcours::policy
