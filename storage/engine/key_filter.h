// A filter of the record keys an engine may hold, in memory: answers "certainly absent" or
// "maybe present" for a key's hash. It lets a write of a new key skip the read of its old record
// (the Merkle tree's old digest, an Update's current record) and a read of a missing key skip
// RocksDB's point lookup, which costs about 2,000 instructions even when every one of RocksDB's
// own bloom filters says no (super-version reference, lookup key, per-level checks).
//
// Contract: MayContain(h) is true for every hash h that was Added. It may also be true for hashes
// never added (false positives, about 1 % per layer at the sizes below); the caller then does the
// read it would have done anyway. Nothing is ever removed, so deleted and expired keys stay in
// until the engine reopens and rebuilds the filter from the keys on disk.
//
// Growth: a chain of blocked Bloom filters (each key's probes fall in one 64-byte block, one cache
// miss per layer). When the newest layer holds its capacity, a layer of twice that capacity is
// added, with more bits per key so the chain's total false-positive rate stays bounded (Almeida
// et al., "Scalable Bloom Filters", 2007). Memory: 1.25 bytes per key while the first layer holds
// them all; 2 to 4 bytes per key once it has grown (most just after a new layer starts).
//
// Deterministic (no per-process seed): the caller's hash decides everything. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kv::storage {

class KeyFilter {
 public:
  // Sized for `expected_keys` before its first growth (at least kMinCapacity).
  explicit KeyFilter(uint64_t expected_keys = 0);

  // Records `key_hash` (a well-mixed 64-bit hash of the key, such as MerkleKeyHash).
  void Add(uint64_t key_hash);
  // False only if `key_hash` was never added.
  bool MayContain(uint64_t key_hash) const;

  uint64_t added() const { return added_; }
  size_t layer_count() const { return layers_.size(); }
  size_t memory_bytes() const;

  static constexpr uint64_t kMinCapacity = uint64_t{1} << 16;
  // The first layer's bits per key; each further layer has kExtraBitsPerLayer more, up to
  // kBitsPerKeyMax.
  static constexpr uint32_t kFirstBitsPerKey = 10;
  static constexpr uint32_t kExtraBitsPerLayer = 2;
  static constexpr uint32_t kBitsPerKeyMax = 20;

 private:
  struct Block {
    uint64_t words[8];  // 512 bits: one cache line
  };
  struct Layer {
    std::vector<Block> blocks;
    uint64_t capacity = 0;  // keys it takes before the next layer starts
    uint64_t added = 0;
    uint32_t probes = 0;    // bits set per key
  };

  void AddLayer(uint64_t capacity);
  static bool LayerMayContain(const Layer& layer, uint64_t key_hash);

  std::vector<Layer> layers_;  // oldest first; Add fills the last
  uint64_t added_ = 0;
};

}  // namespace kv::storage
