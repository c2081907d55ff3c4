// A Merkle tree over one partition's keys, kept current write by write, for anti-entropy between
// replicas (Dynamo section 4.7). It stores no keys: only a hash and a key count per leaf, and the
// interior hashes above them.
//
// Hashing (all of it is wire format: two replicas' trees must hash alike):
//   key_hash(k)      = MerkleKeyHash(k)                     (StableHash; stable across processes)
//   entry(k, d)      = Mix64(HashCombine(key_hash(k), d))   (d: the record digest from the caller)
//   leaf             = sum of entry(k, d) over the leaf's keys, mod 2^64
//   interior node    = HashCombine folded over its children's hashes, left to right
// The leaf sum is order-independent, so an update is O(1) at the leaf (subtract the old entry, add
// the new one) and two replicas that applied the same writes in different orders agree. A sum, not
// XOR: a key wrongly added twice shows up as a difference instead of cancelling out.
//
// Interior hashes are recomputed lazily: an update marks the leaf's ancestors dirty (stopping at
// the first ancestor already dirty), so a burst of W writes costs O(W) and the next Root()
// recomputes only the dirty nodes, O(dirty nodes * branching).
//
// Memory: 16 bytes per leaf and 9 per interior node, in three arrays; an update touches the tree's
// header, one leaf and (unless already dirty) its parent's flag: few cache lines per write.
//
// Not thread-safe. Root() and NodeHash() are const but refresh cached interior hashes. A tree is a
// plain value: copy it to freeze a snapshot for an exchange while writes continue on the original.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/strings/string_view.h"
#include "storage/merkle/merkle_shape.h"

namespace kv {

class MerkleTree {
 public:
  // An empty tree. REQUIRES: shape.valid().
  explicit MerkleTree(const MerkleShape& shape = MerkleShape());

  const MerkleShape& shape() const { return shape_; }
  uint32_t depth() const { return depth_; }

  // Records that `key`'s digest changed from `old_digest` to `new_digest`; std::nullopt means
  // "absent". Insert: (nullopt, d). Change: (d0, d1). Remove: (d, nullopt). Equal arguments are a
  // no-op. O(1) at the leaf plus marking at most depth() ancestors dirty.
  // REQUIRES: `old_digest` is what the tree currently holds for `key` (the tree cannot check this;
  // a wrong old digest corrupts the leaf's hash until Clear()). Asserts that a removal or change
  // does not hit an empty leaf.
  void Update(absl::string_view key, std::optional<uint64_t> old_digest,
              std::optional<uint64_t> new_digest) {
    UpdateHashed(MerkleKeyHash(key), old_digest, new_digest);
  }
  // Update, for a caller that has the key's MerkleKeyHash already.
  void UpdateHashed(uint64_t key_hash, std::optional<uint64_t> old_digest,
                    std::optional<uint64_t> new_digest);

  // Empties the tree (all leaves hash to 0, all counts 0).
  void Clear();

  // Clear(), then inserts every (key, digest) of `entries`: a range of pairs such as a
  // std::map<std::string, uint64_t> or std::vector<std::pair<std::string, uint64_t>>.
  // REQUIRES: keys are distinct.
  template <typename Range>
  void Rebuild(const Range& entries) {
    Clear();
    for (const auto& [key, digest] : entries) Update(key, std::nullopt, digest);
  }

  // The root hash; recomputes dirty interior nodes first.
  uint64_t Root() const { return NodeHash(0, 0); }

  // The hash of node `index` at `level` (0 = root, depth() = leaves); recomputes it first if dirty.
  // REQUIRES: level <= depth(), index < shape().NodeCount(level).
  uint64_t NodeHash(uint32_t level, uint32_t index) const;

  // The leaf `key` falls in.
  uint32_t LeafOf(absl::string_view key) const { return LeafOfKey(shape_, key); }

  // Number of keys currently in `leaf` (to size key-listing messages). REQUIRES: leaf < leaf count.
  uint32_t LeafKeyCount(uint32_t leaf) const;
  uint64_t key_count() const { return key_count_; }

  // The entry hash of one (key, digest) pair, as defined above.
  static uint64_t EntryHash(uint64_t key_hash, uint64_t digest);

 private:
  // A leaf's hash and key count side by side: an update touches one cache line.
  struct Leaf {
    uint64_t hash = 0;
    uint32_t key_count = 0;
  };

  void MarkAncestorsDirty(uint32_t leaf);
  void Refresh(uint32_t level, uint32_t index) const;
  // Index of node `index` at interior `level` (< depth_) in interior_hash_ and dirty_.
  size_t Interior(uint32_t level, uint32_t index) const { return level_start_[level] + index; }

  static constexpr uint32_t kDepthMax = MerkleShape::kLeafCountLog2Max;

  // The fields an update reads come first: two cache lines.
  MerkleShape shape_;
  uint32_t depth_;
  // child_count_log2_[l]: log2 of the number of children of each node at level l < depth_.
  uint8_t child_count_log2_[kDepthMax] = {};
  std::vector<Leaf> leaves_;
  // Interior nodes, all levels in one array each, root first. dirty_[i]: interior_hash_[i] is
  // stale. Invariant: a dirty node's parent is dirty.
  mutable std::vector<uint8_t> dirty_;
  mutable std::vector<uint64_t> interior_hash_;
  // Where interior level l < depth_ starts in interior_hash_ and dirty_.
  uint32_t level_start_[kDepthMax] = {};
  uint64_t key_count_ = 0;
};

}  // namespace kv
