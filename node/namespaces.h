// Namespaces (Riak's bucket types): keys live in a namespace, and each namespace has its own N,
// R, W, quorum kind, default TTL, sibling limit and optional access token. The namespace
// `default` is the nodes' own configuration (their flags); the others are defined at run time
// (HTTP PUT /ns/{name}, kvctl ns create) and spread by gossip in the cluster state
// (membership.proto's Namespace): per name, the definition with the highest (version,
// modified_by) wins, so every node ends with the same table whatever the order of exchanges.
//
// Storage: a namespaced key is stored as "\0" + namespace + "\0" + key. A key of the default
// namespace is stored as itself, unless it starts with a zero byte, then as "\0\0" + key: so
// clusters without namespaces store exactly as before, and no two (namespace, key) pairs share a
// stored key. The ring places the stored key.
//
// Replication units (Riak's "index_n"): the keys of one partition whose namespaces have the same
// N have the same replicas (the first N of the partition's preference list), and are stored,
// Merkle-tree'd, anti-entropy'd and transferred together: under engine partition id
// StoreId(partition, n). For the cluster's own N that is the partition itself; otherwise
// n << 24 | partition, with bit 28 set for a cache namespace's units. A namespace's N, and
// whether it is a cache, are fixed once it is defined (its keys' unit depends on them).
//
// Cache namespaces (cache_bytes > 0): a byte budget per node for the live values of the
// namespace's keys; node/cache.h evicts the least recently used ones (approximately) when a node
// is over it. Evictions are local removals, never replicated as deletes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "node/membership.pb.h"
#include "storage/engine/keys.h"

namespace kv::node {

using storage::PartitionId;

inline constexpr absl::string_view kDefaultNamespace = "default";
inline constexpr size_t kNamespaceNameMax = 64;
// The largest N a namespace may have.
inline constexpr uint32_t kNamespaceNMax = 15;
// The stored key of a namespaced key is at most this much longer than the key.
inline constexpr size_t kStoredKeyOverhead = kNamespaceNameMax + 2;

// OK for 1..64 characters of [A-Za-z0-9_-]; INVALID_ARGUMENT saying why otherwise.
absl::Status ValidateNamespaceName(absl::string_view name);
// OK if `ns` can be defined: a valid name other than "default", 1 <= R, W <= N <= kNamespaceNMax,
// a TTL and a sibling limit that are not negative. INVALID_ARGUMENT naming the rule broken.
absl::Status ValidateNamespace(const Namespace& ns);
// OK if `next` may replace `current` (same name): N unchanged, a cache still a cache (its budget
// may change) and no other namespace one. FAILED_PRECONDITION otherwise.
absl::Status ValidateNamespaceChange(const Namespace& current, const Namespace& next);
// True if definition `a` should replace `b` (same name): higher (version, modified_by).
bool NamespaceSupersedes(const Namespace& a, const Namespace& b);

// "" and "default" both name the default namespace.
inline bool IsDefaultNamespace(absl::string_view ns) { return ns.empty() || ns == kDefaultNamespace; }
// The key stored for `key` in namespace `ns` (see above).
std::string StoredKey(absl::string_view ns, absl::string_view key);
// The inverse of StoredKey: false if `stored` is not one it makes. `ns` is "default" for the
// default namespace; both views point into `stored`.
bool SplitStoredKey(absl::string_view stored, absl::string_view* ns, absl::string_view* key);

// A replication unit: the keys of `partition` kept on its first `n` owners; `cache`: of cache
// namespaces (cache_bytes > 0), whose units have no anti-entropy, read repair or transfers, and
// whose live values each node evicts on its own (node/cache.h).
struct IndexN {
  PartitionId partition = 0;
  uint32_t n = 0;
  bool cache = false;
  friend bool operator==(const IndexN&, const IndexN&) = default;
};
// The engine partition id of `unit` in a cluster whose own N is `cluster_n`.
PartitionId StoreId(IndexN unit, uint32_t cluster_n);
// The inverse of StoreId.
IndexN UnitOf(PartitionId store_id, uint32_t cluster_n);
// True for a cache namespace's unit (cheaper than UnitOf(store_id, n).cache).
inline bool IsCacheUnit(PartitionId store_id) { return (store_id >> 28) & 1; }
// A bit per unit kind for a set of them: bit 0 for the cluster's N, bit n for N = n otherwise,
// bit 16 + n for a cache unit of N = n.
uint32_t UnitKindBit(PartitionId store_id);
// The unit of `key` (stored key) of a namespace with `def` (nullptr: the default namespace).
IndexN UnitOfKey(PartitionId partition, const Namespace* def, uint32_t cluster_n);

// The N of every replicated (not cache) unit kind a node may hold, ascending: the cluster's,
// every defined namespace's, and those whose bits are set in `seen` (units it was sent data for,
// whether or not it has heard of their namespace yet).
std::vector<uint32_t> ReplicationFactors(uint32_t cluster_n,
                                         const google::protobuf::RepeatedPtrField<Namespace>& table,
                                         uint32_t seen);

}  // namespace kv::node
