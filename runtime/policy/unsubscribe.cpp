#include "runtime/policy/unsubscribe.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace parcours::policy {

std::string UnsubscribeToken(std::string_view key, std::string_view profile) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(profile.data()), profile.size(),
       digest, &length);
  static const char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned int i = 0; i < length; ++i) {
    token.push_back(kHex[digest[i] >> 4]);
    token.push_back(kHex[digest[i] & 0xf]);
  }
  return token;
}

std::string UnsubscribeUrl(const UnsubscribeLinks& links,
                           std::string_view profile) {
  // The query goes before a fragment (`#top`), and joins what the base
  // has: after `?` or `&` nothing more, after other parameters a `&`.
  std::string_view base = links.base_url;
  std::string_view fragment;
  if (size_t hash = base.find('#'); hash != std::string_view::npos) {
    fragment = base.substr(hash);
    base = base.substr(0, hash);
  }
  std::string url(base);
  if (base.find('?') == std::string_view::npos) {
    url += '?';
  } else if (!base.ends_with('?') && !base.ends_with('&')) {
    url += '&';
  }
  url += "token=" + UnsubscribeToken(links.key, profile) + "&channel=email";
  url += fragment;
  return url;
}

}  // namespace parcours::policy
