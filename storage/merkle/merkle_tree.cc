#include "storage/merkle/merkle_tree.h"

#include <algorithm>
#include <limits>

#include "net/assert.h"
#include "net/random.h"

namespace kv {
namespace {

// Starting value of every interior node's fold. Part of the wire format.
constexpr uint64_t kInteriorSeed = 0x6d65726b6c65696eULL;  // "merklein"

}  // namespace

MerkleTree::MerkleTree(const MerkleShape& shape) : shape_(shape), depth_(0) {
  KV_ASSERT(shape.valid());
  depth_ = shape.depth();
  KV_ASSERT(depth_ >= 1);
  KV_ASSERT(depth_ <= kDepthMax);
  uint32_t interior_nodes = 0;
  for (uint32_t level = 0; level < depth_; ++level) {
    const uint32_t children = shape.ChildCount(level);
    const uint32_t log2 = static_cast<uint32_t>(__builtin_ctz(children));
    KV_ASSERT((uint32_t{1} << log2) == children);
    child_count_log2_[level] = static_cast<uint8_t>(log2);
    level_start_[level] = interior_nodes;
    interior_nodes += shape.NodeCount(level);
  }
  interior_hash_.assign(interior_nodes, 0);
  dirty_.assign(interior_nodes, 1);
  leaves_.assign(shape.leaf_count(), Leaf{});
}

uint64_t MerkleTree::EntryHash(uint64_t key_hash, uint64_t digest) {
  return Mix64(HashCombine(key_hash, digest));
}

void MerkleTree::UpdateHashed(uint64_t key_hash, std::optional<uint64_t> old_digest,
                              std::optional<uint64_t> new_digest) {
  if (old_digest == new_digest) return;
  const uint32_t leaf_index = LeafOfKeyHash(shape_, key_hash);
  KV_ASSERT(leaf_index < leaves_.size());
  Leaf& leaf = leaves_[leaf_index];
  if (old_digest.has_value()) {
    KV_ASSERT_MSG(leaf.key_count > 0, "removing or changing a key in an empty Merkle leaf");
    leaf.hash -= EntryHash(key_hash, *old_digest);
  }
  if (new_digest.has_value()) leaf.hash += EntryHash(key_hash, *new_digest);
  if (!old_digest.has_value()) {
    KV_ASSERT(leaf.key_count < std::numeric_limits<uint32_t>::max());
    ++leaf.key_count;
    ++key_count_;
  } else if (!new_digest.has_value()) {
    --leaf.key_count;
    KV_ASSERT(key_count_ > 0);
    --key_count_;
  }
  MarkAncestorsDirty(leaf_index);
}

void MerkleTree::Clear() {
  std::fill(leaves_.begin(), leaves_.end(), Leaf{});
  std::fill(dirty_.begin(), dirty_.end(), 1);
  key_count_ = 0;
}

void MerkleTree::MarkAncestorsDirty(uint32_t leaf) {
  uint32_t index = leaf;
  for (uint32_t level = depth_; level-- > 0;) {
    index >>= child_count_log2_[level];
    const size_t i = Interior(level, index);
    KV_ASSERT(i < dirty_.size());
    // Invariant: a dirty node's ancestors are all dirty already.
    if (dirty_[i]) return;
    dirty_[i] = 1;
  }
}

uint64_t MerkleTree::NodeHash(uint32_t level, uint32_t index) const {
  KV_ASSERT(level <= depth_);
  KV_ASSERT(index < shape_.NodeCount(level));
  if (level == depth_) return leaves_[index].hash;
  if (dirty_[Interior(level, index)]) Refresh(level, index);
  return interior_hash_[Interior(level, index)];
}

void MerkleTree::Refresh(uint32_t level, uint32_t index) const {
  KV_ASSERT(level < depth_);
  KV_ASSERT(dirty_[Interior(level, index)]);
  const uint32_t child_level = level + 1;
  const uint32_t first = index << child_count_log2_[level];
  const uint32_t end = first + (uint32_t{1} << child_count_log2_[level]);
  uint64_t h = kInteriorSeed;
  for (uint32_t child = first; child < end; ++child) {
    if (child_level == depth_) {
      h = HashCombine(h, leaves_[child].hash);
      continue;
    }
    if (dirty_[Interior(child_level, child)]) Refresh(child_level, child);
    h = HashCombine(h, interior_hash_[Interior(child_level, child)]);
  }
  interior_hash_[Interior(level, index)] = h;
  dirty_[Interior(level, index)] = 0;
}

uint32_t MerkleTree::LeafKeyCount(uint32_t leaf) const {
  KV_ASSERT(leaf < leaves_.size());
  return leaves_[leaf].key_count;
}

}  // namespace kv
