// The shape of a partition's Merkle tree: how many leaves, how many children per interior node, and
// which leaf a key falls in. Two replicas can compare trees only if their shapes are equal, so the
// shape travels in every exchange message (merkle_exchange.h).
//
// Levels are numbered from the root: level 0 holds the root alone, level depth() holds the
// 2^leaf_count_log2 leaves. Each level above the leaves has 2^branching_log2 times fewer nodes than
// the one below it, except the root, which takes whatever is left (between 2 and 2^branching_log2
// children). Examples: 1024 leaves, branching 32 -> levels of 1, 32, 1024 nodes (depth 2);
// 1024 leaves, branching 16 -> 1, 4, 64, 1024 (depth 3); 2^16 leaves, branching 16 -> depth 4.
//
// Which leaf a key falls in is part of the wire format: changing LeafOfKeyHash changes every tree.
#pragma once

#include <cstdint>

#include "absl/strings/string_view.h"

namespace kv {

struct MerkleShape {
  // Limits: at most 2^20 leaves (8 MiB of leaf hashes, Riak's AAE default), at most 256 children.
  static constexpr uint32_t kLeafCountLog2Max = 20;
  static constexpr uint32_t kBranchingLog2Max = 8;

  // Defaults: 1024 leaves, 32 children per node, so depth 2: two round trips find the differing
  // leaves, each reply carries at most 32 hashes per differing node.
  uint32_t leaf_count_log2 = 10;
  uint32_t branching_log2 = 5;

  // True if 1 <= leaf_count_log2 <= kLeafCountLog2Max and 1 <= branching_log2 <= kBranchingLog2Max.
  bool valid() const;

  uint32_t leaf_count() const { return uint32_t{1} << leaf_count_log2; }
  // Number of levels below the root: the number of round trips of a full exchange.
  // REQUIRES: valid().
  uint32_t depth() const { return (leaf_count_log2 + branching_log2 - 1) / branching_log2; }
  // Number of nodes at `level`. REQUIRES: valid(), level <= depth().
  uint32_t NodeCount(uint32_t level) const;
  // Number of children of every node at `level`. REQUIRES: valid(), level < depth().
  uint32_t ChildCount(uint32_t level) const;

  bool operator==(const MerkleShape& other) const = default;
};

// The hash every Merkle computation starts from for `key` (StableHash, stable across processes).
uint64_t MerkleKeyHash(absl::string_view key);

// The leaf a key with MerkleKeyHash `key_hash` falls in. The hash is re-mixed first, so keys that
// share the high bits of their hash (as all keys of one ring partition may) still spread over all
// leaves. REQUIRES: shape.valid().
uint32_t LeafOfKeyHash(const MerkleShape& shape, uint64_t key_hash);

inline uint32_t LeafOfKey(const MerkleShape& shape, absl::string_view key) {
  return LeafOfKeyHash(shape, MerkleKeyHash(key));
}

}  // namespace kv
