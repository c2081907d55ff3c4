// Who may use what, by token: the cluster's client token (kvnode --token) and namespaces' own
// tokens (node/namespaces.h). One rule for every front end (HTTP bearer tokens, Redis AUTH):
//  - the client token opens everything: every namespace, and the cluster's administration;
//  - a namespace's token opens that namespace's keys, nothing else;
//  - presenting no token opens the namespaces without a token, if the cluster has no client
//    token (and its administration, as before namespaces existed);
//  - a token that does not open the namespace asked for is refused even where no token would
//    have done: a tenant's credential never reaches another namespace.
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "node/membership.pb.h"

namespace kv::api {

// Compares without an early exit, so the time taken does not reveal a matching prefix.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

// May a client that presented `token` (nullopt: none) use the keys of namespace `ns`, whose
// definition is `def` (nullptr for the default namespace, or one this node does not know: then
// only the client token decides, and the request fails later as unknown)?
bool MayUseNamespace(absl::string_view client_token, const node::Namespace* def,
                     const std::optional<std::string>& token);
// May it administer the cluster (define namespaces, join, leave, back up, read /cluster)?
bool MayAdminister(absl::string_view client_token, const std::optional<std::string>& token);
// True if `token` is the client token or some namespace's: what AUTH accepts.
bool IsKnownToken(absl::string_view client_token,
                  const google::protobuf::RepeatedPtrField<node::Namespace>& namespaces,
                  absl::string_view token);

}  // namespace kv::api
