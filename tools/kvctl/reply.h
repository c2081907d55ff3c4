// What kvctl's commands share: printing failures (exit status 1), reading JSON replies, and the
// API path of a key.
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "tools/kvctl/http_client.h"

namespace kv::kvctl {

// Prints "kvctl: <message>" to stderr; returns 1.
int Fail(const absl::Status& status);
// A reply that is not what the command expected: prints the node's status and message; returns 1.
int FailReply(const HttpReply& reply);
// The reply's body as JSON; DATA_LOSS if it is not JSON.
absl::StatusOr<nlohmann::json> ParseJson(const HttpReply& reply);
// GET `path`, expecting 200 with a JSON body. nullopt after printing why not (exit status 1).
std::optional<nlohmann::json> GetJson(const HttpTarget& node, const std::string& path);
// j[key] as text ("" if absent or null; strings unquoted).
std::string Str(const nlohmann::json& j, const char* key);
// /kv/{key} for the default namespace ("" or "default"), else /ns/{ns}/kv/{key}, encoded.
std::string KeyPath(const std::string& ns, const std::string& key);

}  // namespace kv::kvctl
