// Workload keys and namespaces. A scenario's keys are spread round robin over the default
// namespace and the scenario's own (cluster.namespace): key index i belongs to namespace
// i mod (1 + namespaces). A workload key names its namespace: "key7" is key "key7" of the
// default namespace, "ns/key8" key "key8" of namespace "ns" (key names never hold a '/').
// Histories and checkers use workload keys as they are; clients and final-state readers split
// them with PlaceOf.
#pragma once

#include <cstdint>
#include <string>

#include "node/namespaces.h"
#include "workloads/kv/scenario.h"

namespace kv::workloads {

// The workload key of key index `index` in cluster `c`.
std::string WorkloadKey(uint64_t index, const ClusterSpec& c);

struct KeyPlace {
  std::string ns;      // "" for the default namespace
  std::string key;     // the key within it (what a client sends)
  std::string stored;  // how replicas store it (node/namespaces.h StoredKey)
  uint32_t n = 0;      // its namespace's N
};
// Where `workload_key` lives in cluster `c`. A namespace the cluster does not define gets the
// cluster's N (its operations fail as unknown anyway).
KeyPlace PlaceOf(const std::string& workload_key, const ClusterSpec& c);

}  // namespace kv::workloads
