// kvctl ns list | show NAME | create NAME | update NAME: namespaces over a node's HTTP API
// (/ns, /ns/{name}; node/api/namespace_json.h). Exit status as commands.h says.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "tools/kvctl/commands.h"
#include "tools/kvctl/http_client.h"

namespace kv::kvctl {

// The settings a create or update names; those left unset keep their value (an update) or take
// the default namespace's (a create).
struct NamespaceArgs {
  std::string name;
  std::optional<int> n, r, w, siblings_max;
  std::optional<bool> strict;
  std::optional<absl::Duration> ttl;  // zero: no default TTL
  std::optional<std::string> token;   // "": remove it
  std::optional<uint64_t> cache_bytes;  // a cache's budget per node (fixed: cache or not)
};

int ListNamespaces(const HttpTarget& node, const Output& out);
int ShowNamespace(const HttpTarget& node, const Output& out, const std::string& name);
// `create`: refuses (exit 1) a namespace that exists; else an update, which refuses (exit 1) one
// that does not.
int DefineNamespace(const HttpTarget& node, const Output& out, const NamespaceArgs& args,
                    bool create);

}  // namespace kv::kvctl
