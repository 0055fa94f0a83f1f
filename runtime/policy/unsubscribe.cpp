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
  char joint = links.base_url.find('?') == std::string::npos ? '?' : '&';
  return links.base_url + joint +
         "token=" + UnsubscribeToken(links.key, profile) + "&channel=email";
}

}  // namespace parcours::policy
