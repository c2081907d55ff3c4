// One Dynamo node: storage, RPC, membership and the coordinator, wired together. main() (real
// mode) or the simulator's boot function builds it with the process's Runtime and calls Start on
// a fiber.
#pragma once

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "net/runtime.h"
#include "node/anti_entropy.h"
#include "node/cache.h"
#include "node/coordinator.h"
#include "node/hinted_handoff.h"
#include "node/membership.h"
#include "node/replica_store.h"
#include "node/rpc.h"
#include "node/transfer.h"
#include "storage/engine/engine.h"
#include "storage/record/resolution.h"

namespace kv::node {

struct NodeOptions {
  MembershipOptions membership;
  CoordinatorOptions coordinator;
  storage::EngineOptions engine;
  RpcOptions rpc;
  HandoffOptions handoff;
  AntiEntropyOptions anti_entropy;
  TransferOptions transfer;
  CacheOptions cache;
  // How concurrent writes to a key are resolved (storage/record/resolution.h): kept as siblings
  // (dotted version vectors, the default) or last-writer-wins by timestamp, which silently loses
  // all but one of them. A cluster-wide setting: every node must use the same.
  storage::Resolution resolution = storage::Resolution::kDottedVersionVectors;
  // The storage was just restored from a snapshot (kvnode --restore). The generations the node
  // took after the snapshot are unknown here, and reusing one would reissue dots other replicas
  // already hold for different writes; so this start's generation jumps kRestoreGenerationGap
  // past the snapshot's (safe unless the node took more generations than that since the snapshot:
  // a restart or a retired actor takes one).
  bool restored = false;
  // Namespaces this node defines at start (a scenario's, or a config file's), merged with what it
  // saved and what gossip brings as definitions of version 0: a later change (version >= 1)
  // replaces them. Every node given them must be given the same.
  std::vector<Namespace> namespaces;
};

inline constexpr uint64_t kRestoreGenerationGap = uint64_t{1} << 16;

class Node {
 public:
  Node(Runtime& rt, NodeOptions options);
  ~Node();

  // Opens storage, takes the next generation (persisted), and starts serving and gossiping.
  // REQUIRES: on a fiber of the runtime.
  absl::Status Start();
  // Closes storage cleanly. REQUIRES: on a fiber; Start succeeded.
  absl::Status Stop();

  bool started() const { return coordinator_ != nullptr; }
  // This node's id (its process's).
  NodeId self() const { return rt_.self(); }
  // This life's generation (membership's incarnation; the first dot issuer id's number).
  uint64_t generation() const { return generation_; }
  RpcEndpoint& rpc() { return rpc_; }
  // REQUIRES: started().
  Membership& membership() { return *membership_; }
  Coordinator& coordinator() { return *coordinator_; }
  HintedHandoff& handoff() { return *handoff_; }
  AntiEntropy& anti_entropy() { return *anti_entropy_; }
  OwnershipTransfer& transfer() { return *transfer_; }
  CacheEvictor& cache() { return *cache_; }
  storage::Engine& engine() { return *engine_; }
  const NodeOptions& options() const { return options_; }
  // The longest key a client may use (the engine stores it with its namespace's prefix).
  size_t key_bytes_max() const { return options_.engine.key_bytes_max; }

 private:
  // The node's persisted sequence advanced by `step` (durable before it returns): each start
  // takes a number as its generation, and so does each actor the replica store retires.
  absl::StatusOr<uint64_t> NextGeneration(uint64_t step);

  Runtime& rt_;
  NodeOptions options_;
  RpcEndpoint rpc_;
  std::unique_ptr<storage::Engine> engine_;
  uint64_t generation_ = 0;
  std::unique_ptr<ReplicaStore> store_;
  std::unique_ptr<Membership> membership_;
  std::unique_ptr<Coordinator> coordinator_;
  std::unique_ptr<HintedHandoff> handoff_;
  std::unique_ptr<AntiEntropy> anti_entropy_;
  std::unique_ptr<OwnershipTransfer> transfer_;
  std::unique_ptr<CacheEvictor> cache_;
  std::optional<Ring> last_ring_;  // the ring before the latest change, for transfers
};

// OK, or INVALID_ARGUMENT naming the rule broken (e.g. a tombstone grace shorter than an
// anti-entropy cycle, which would let a replica that missed a delete bring the value back).
absl::Status ValidateNodeOptions(const NodeOptions& options);

}  // namespace kv::node
