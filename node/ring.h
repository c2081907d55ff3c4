// The consistent-hash ring (Dynamo's strategy 3, as Riak does it): the 64-bit hash space is cut
// into Q equal partitions (Q a power of two); each partition is owned by one physical node, and
// nodes own partitions in proportion to their weight. A key's partition is the top log2(Q) bits of
// its hash; its preference list is the first N distinct owners walking clockwise from there.
//
// Claiming (Rebalance): each node's target is its weighted share of Q, rounded by largest
// remainder (ties by node id). Partitions move only from nodes above their target (or gone) to
// nodes below it, so adding or removing nodes moves about the ideal fraction and nothing else.
// A moved partition prefers a receiver that owns none of its N-1 neighbours on either side, so
// the N replicas of a partition are normally the owners of N consecutive partitions. (When Q is
// not a multiple of a small node count, a few windows at the seam repeat a node; their
// preference lists then reach further clockwise, still N distinct nodes.) Every choice is deterministic (no hashing of addresses,
// no hashed-container order): the same members give the same ring on every node.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "net/transport.h"

namespace kv::node {

using PartitionId = uint32_t;

class Ring {
 public:
  static constexpr uint32_t kPartitionsMax = 1 << 16;

  // A ring of `partitions` partitions (a power of two, 1..kPartitionsMax) claimed by `weights`
  // (node -> weight >= 1), built from nothing. INVALID_ARGUMENT for bad arguments.
  static absl::StatusOr<Ring> Create(uint32_t partitions,
                                     const absl::btree_map<NodeId, uint32_t>& weights,
                                     uint32_t n_val = 3);

  // The ring after membership changes to `weights`: partitions of departed nodes and the excess
  // of nodes above their target move to nodes below theirs; nothing else moves.
  absl::StatusOr<Ring> Rebalance(const absl::btree_map<NodeId, uint32_t>& weights) const;

  uint32_t partition_count() const { return static_cast<uint32_t>(owners_.size()); }
  uint32_t n_val() const { return n_val_; }
  // The partition holding `key`.
  PartitionId PartitionOf(absl::string_view key) const;
  // The partition holding hash `h` (top bits).
  PartitionId PartitionOfHash(uint64_t h) const;
  NodeId owner(PartitionId p) const { return owners_[p]; }
  const std::vector<NodeId>& owners() const { return owners_; }
  const absl::btree_map<NodeId, uint32_t>& weights() const { return weights_; }

  // The first `n` distinct owners walking clockwise from `p` (fewer if fewer nodes exist).
  std::vector<NodeId> PreferenceList(PartitionId p, uint32_t n) const;
  // Every distinct owner in clockwise order from `p` (the extended list sloppy quorums walk).
  std::vector<NodeId> ExtendedPreferenceList(PartitionId p) const;

  // Partitions owned by each node.
  absl::btree_map<NodeId, uint32_t> OwnedCounts() const;
  // Number of partitions whose owner differs between this ring and `other` (same Q).
  uint32_t MovedPartitions(const Ring& other) const;

  // A ring from its parts (as gossiped). INVALID_ARGUMENT unless the owners are exactly the nodes
  // of `weights`, their count a valid partition count.
  static absl::StatusOr<Ring> FromParts(std::vector<NodeId> owners,
                                        absl::btree_map<NodeId, uint32_t> weights, uint32_t n_val);

 private:
  Ring(std::vector<NodeId> owners, absl::btree_map<NodeId, uint32_t> weights, uint32_t n_val)
      : owners_(std::move(owners)), weights_(std::move(weights)), n_val_(n_val) {}

  std::vector<NodeId> owners_;  // partition -> owner
  absl::btree_map<NodeId, uint32_t> weights_;
  uint32_t n_val_;
};

// Each node's target partition count: its weighted share of `partitions`, by largest remainder.
absl::btree_map<NodeId, uint32_t> ClaimTargets(uint32_t partitions,
                                               const absl::btree_map<NodeId, uint32_t>& weights);

}  // namespace kv::node
