// Ownership transfer: when the ring changes, the data of every replication unit (a partition's
// keys of one N: node/namespaces.h) whose preference list gained a node is streamed to that node, in key order and in batches, by every old replica (any
// of them may hold writes the others missed). Each batch's cursor is saved before the next batch,
// so a transfer resumes where it stopped after a crash. Writes that arrive during a transfer go to
// the new preference list; a replica write that reaches a node no longer in the key's list is
// kept as hints for the list (Coordinator); the streamed records merge with all of it (dotted
// version vectors), so nothing is dropped. A node giving a partition away streams it twice (the
// second pass catches writes that landed behind the first pass's cursor) and then deletes its
// copy (ReplicaStore::DropPartition, which first retires the node's dot issuer id). Anti-entropy
// remains the backstop.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "net/runtime.h"
#include "node/kv.pb.h"
#include "node/membership.h"
#include "node/replica_store.h"
#include "node/rpc.h"

namespace kv::node {

struct TransferOptions {
  Duration interval = absl::Milliseconds(500);
  size_t batch_keys = 256;
  Duration timeout = absl::Seconds(2);
};

struct TransferStats {
  uint64_t tasks_created = 0;
  uint64_t tasks_done = 0;
  uint64_t keys_sent = 0;
  uint64_t batches = 0;
  uint64_t failures = 0;
  uint64_t partitions_dropped = 0;
};

class OwnershipTransfer {
 public:
  OwnershipTransfer(Runtime& rt, RpcEndpoint& rpc, Membership& membership, ReplicaStore& store,
                    uint32_t n_val, TransferOptions options);

  // Registers kv.replica_write_batch. REQUIRES: before rpc.Start().
  void Register();
  // Restores the transfers owed before a crash.
  absl::Status Load();
  // Spawns the transfer fiber.
  void Start();
  // Adds the transfers this node owes for the change from `before` to `after` and saves them.
  // REQUIRES: on a fiber.
  void OnRingChange(const Ring& before, const Ring& after);

  // Transfers not done yet (partition, target, keys sent so far).
  std::vector<TransferTask> pending() const;
  const TransferStats& stats() const { return stats_; }

 private:
  void Loop();
  // Sends the next batch of `task`; true if it made progress.
  bool SendBatch(TransferTask& task);
  absl::Status Save();
  // Deletes this node's copy of partitions it no longer replicates once nothing is owed for them.
  void DropGivenAway();

  Runtime& rt_;
  RpcEndpoint& rpc_;
  Membership& membership_;
  ReplicaStore& store_;
  uint32_t n_val_;
  TransferOptions options_;
  TransferTasks tasks_;  // saved with the partitions given away (dropped once their tasks end)
  TransferStats stats_;
};

}  // namespace kv::node
