// Namespace definitions as the HTTP API and kvctl show and take them (JSON):
//   {"name": "sessions", "n": 3, "r": 2, "w": 2, "quorum": "sloppy" | "strict",
//    "ttl": 3600 (seconds, 0 = none), "siblings_max": 0 (0 = the nodes' limit),
//    "token": true | false (shown: whether one is set; taken: the token, "" or false to remove
//             it, true to keep it),
//    "cache_bytes": 0 (0: not a cache; else the live bytes each node keeps, node/cache.h),
//    "version": 1}
#pragma once

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "node/coordinator.h"
#include "node/membership.pb.h"

namespace kv::api {

// What GET /ns/{name} shows of a definition (never the token itself).
nlohmann::json NamespaceJson(const node::Namespace& ns);
// The default namespace as this node runs it (its own settings; version 0).
nlohmann::json DefaultNamespaceJson(const node::CoordinatorOptions& options, bool token_set);
// The definition a PUT /ns/{name} body asks for: the fields it names replace those of `base`
// (the current definition, or a new one's defaults, named as the path names it); a "name" must
// be that name; versions are the node's to number. INVALID_ARGUMENT for malformed JSON, an unknown field or a value of the wrong type.
absl::StatusOr<node::Namespace> NamespaceFromJson(absl::string_view body, node::Namespace base);

}  // namespace kv::api
