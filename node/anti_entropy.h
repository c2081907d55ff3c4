// Active anti-entropy (Dynamo section 4.7, done the way Riak learnt to: trees kept current on
// every write, so it works from the first minute). Every `interval` this node takes the next
// partition it replicates (round robin) and, for each replication unit of it that it holds (one
// per namespace N: node/namespaces.h), exchanges Merkle trees with one live co-replica,
// level by level, then lists the keys of the differing leaves on both sides, and repairs exactly
// the keys that differ: each side gets the merge of both records (a merge of dotted version
// vectors: nothing acknowledged is lost, nothing superseded comes back). The bytes it moves are
// held to `bytes_per_second` (a token bucket).
//
// Deleted and expired keys stay gone as long as the tombstone grace exceeds a full cycle
// (interval x partitions); Node::Start refuses options that break this.
#pragma once

#include <cstdint>

#include "net/runtime.h"
#include "node/membership.h"
#include "node/replica_store.h"
#include "node/rpc.h"
#include "storage/merkle/key_diff.h"

namespace kv::node {

struct AntiEntropyOptions {
  Duration interval = absl::Seconds(1);
  uint64_t bytes_per_second = 4 << 20;
  Duration timeout = absl::Seconds(2);
  size_t keys_per_reply_max = 10000;
  bool enabled = true;
};

struct AntiEntropyStats {
  uint64_t exchanges = 0;
  uint64_t exchanges_failed = 0;
  uint64_t trees_equal = 0;
  uint64_t keys_compared = 0;
  uint64_t keys_repaired = 0;  // keys where at least one side changed
  uint64_t bytes = 0;
  uint64_t throttled = 0;
};

class AntiEntropy {
 public:
  AntiEntropy(Runtime& rt, RpcEndpoint& rpc, Membership& membership, ReplicaStore& store,
              uint32_t n_val, AntiEntropyOptions options);
  // Registers aae.level and aae.keys. REQUIRES: before rpc.Start().
  void Register();
  // Spawns the exchange fiber (if enabled).
  void Start();
  // One exchange of the unit stored as engine partition `store_id` with `peer`.
  // REQUIRES: on a fiber.
  absl::Status Exchange(PartitionId store_id, NodeId peer);

  const AntiEntropyStats& stats() const { return stats_; }

 private:
  // OK if `store_id` is a unit of the ring's: a peer's request may not make the engine build a
  // Merkle tree for any number it names (unbounded memory). UNAVAILABLE before a ring exists.
  absl::Status CheckPartition(uint32_t store_id) const;
  void Step();
  // Spends `bytes` of the budget, sleeping first if it is exhausted.
  void Spend(uint64_t bytes);
  absl::StatusOr<std::vector<KeyDigest>> ListKeys(PartitionId p, const std::vector<uint32_t>& leaves,
                                                  bool* truncated);
  absl::Status RepairKey(PartitionId p, const std::string& key, NodeId peer);

  Runtime& rt_;
  RpcEndpoint& rpc_;
  Membership& membership_;
  ReplicaStore& store_;
  uint32_t n_val_;
  AntiEntropyOptions options_;
  AntiEntropyStats stats_;
  PartitionId next_partition_ = 0;
  double tokens_ = 0;
  MonoTime refilled_;
};

}  // namespace kv::node
