#include "node/api/access.h"

#include <algorithm>

namespace kv::api {

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  const size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

bool MayAdminister(absl::string_view client_token, const std::optional<std::string>& token) {
  if (client_token.empty()) return true;
  return token.has_value() && ConstantTimeEquals(*token, client_token);
}

bool MayUseNamespace(absl::string_view client_token, const node::Namespace* def,
                     const std::optional<std::string>& token) {
  const absl::string_view own = def != nullptr ? absl::string_view(def->token()) : "";
  if (!token.has_value()) return client_token.empty() && own.empty();
  if (!client_token.empty() && ConstantTimeEquals(*token, client_token)) return true;
  return !own.empty() && ConstantTimeEquals(*token, own);
}

bool IsKnownToken(absl::string_view client_token,
                  const google::protobuf::RepeatedPtrField<node::Namespace>& namespaces,
                  absl::string_view token) {
  bool known = !client_token.empty() && ConstantTimeEquals(token, client_token);
  for (const node::Namespace& ns : namespaces) {
    known |= !ns.token().empty() && ConstantTimeEquals(token, ns.token());
  }
  return known;
}

}  // namespace kv::api
