// The token of one-click unsubscribe links is an HMAC-SHA-256, checked
// against the published test vectors of RFC 4231.
#include "runtime/policy/unsubscribe.h"

#include <catch2/catch.hpp>

namespace parcours::policy {
namespace {

TEST_CASE("an unsubscribe token is the HMAC-SHA-256 of the profile id",
          "[runtime][policy]") {
  // RFC 4231, test case 2: key "Jefe".
  CHECK(UnsubscribeToken("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("an unsubscribe URL adds the token and channel to the base",
          "[runtime][policy]") {
  std::string token = UnsubscribeToken("k", "p1");
  CHECK(token.size() == 64);
  CHECK(token.find("p1") == std::string::npos);
  CHECK(UnsubscribeUrl({"https://shop.example/u", "k"}, "p1") ==
        "https://shop.example/u?token=" + token + "&channel=email");
  CHECK(UnsubscribeUrl({"https://shop.example/u?list=news", "k"}, "p1") ==
        "https://shop.example/u?list=news&token=" + token + "&channel=email");
}

TEST_CASE(
    "an unsubscribe URL joins a base ending in `?` or `&`, and keeps "
    "its fragment last",
    "[runtime][policy]") {
  std::string token = UnsubscribeToken("k", "p1");
  std::string query = "token=" + token + "&channel=email";
  CHECK(UnsubscribeUrl({"https://shop.example/u?", "k"}, "p1") ==
        "https://shop.example/u?" + query);
  CHECK(UnsubscribeUrl({"https://shop.example/u?list=news&", "k"}, "p1") ==
        "https://shop.example/u?list=news&" + query);
  CHECK(UnsubscribeUrl({"https://shop.example/u#done", "k"}, "p1") ==
        "https://shop.example/u?" + query + "#done");
  CHECK(UnsubscribeUrl({"https://shop.example/u?a=1#done", "k"}, "p1") ==
        "https://shop.example/u?a=1&" + query + "#done");
}

}  // namespace
}  // namespace parcours::policy
