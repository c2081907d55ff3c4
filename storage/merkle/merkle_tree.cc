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
  hashes_.resize(depth_ + 1);
  dirty_.resize(depth_);
  for (uint32_t level = 0; level <= depth_; ++level) {
    hashes_[level].assign(shape.NodeCount(level), 0);
  }
  for (uint32_t level = 0; level < depth_; ++level) {
    const uint32_t children = shape.ChildCount(level);
    const uint32_t log2 = static_cast<uint32_t>(__builtin_ctz(children));
    KV_ASSERT((uint32_t{1} << log2) == children);
    child_count_log2_.push_back(log2);
    dirty_[level].assign(shape.NodeCount(level), 1);
  }
  leaf_key_count_.assign(shape.leaf_count(), 0);
}

uint64_t MerkleTree::EntryHash(uint64_t key_hash, uint64_t digest) {
  return Mix64(HashCombine(key_hash, digest));
}

void MerkleTree::UpdateHashed(uint64_t key_hash, std::optional<uint64_t> old_digest,
                              std::optional<uint64_t> new_digest) {
  if (old_digest == new_digest) return;
  const uint32_t leaf = LeafOfKeyHash(shape_, key_hash);
  uint64_t& leaf_hash = hashes_[depth_][leaf];
  uint32_t& count = leaf_key_count_[leaf];
  if (old_digest.has_value()) {
    KV_ASSERT_MSG(count > 0, "removing or changing a key in an empty Merkle leaf");
    leaf_hash -= EntryHash(key_hash, *old_digest);
  }
  if (new_digest.has_value()) leaf_hash += EntryHash(key_hash, *new_digest);
  if (!old_digest.has_value()) {
    KV_ASSERT(count < std::numeric_limits<uint32_t>::max());
    ++count;
    ++key_count_;
  } else if (!new_digest.has_value()) {
    --count;
    KV_ASSERT(key_count_ > 0);
    --key_count_;
  }
  MarkAncestorsDirty(leaf);
}

void MerkleTree::Clear() {
  std::fill(hashes_[depth_].begin(), hashes_[depth_].end(), 0);
  for (auto& level : dirty_) std::fill(level.begin(), level.end(), 1);
  std::fill(leaf_key_count_.begin(), leaf_key_count_.end(), 0);
  key_count_ = 0;
}

void MerkleTree::MarkAncestorsDirty(uint32_t leaf) {
  uint32_t index = leaf;
  for (uint32_t level = depth_; level-- > 0;) {
    index >>= child_count_log2_[level];
    KV_ASSERT(index < dirty_[level].size());
    // Invariant: a dirty node's ancestors are all dirty already.
    if (dirty_[level][index]) return;
    dirty_[level][index] = 1;
  }
}

uint64_t MerkleTree::NodeHash(uint32_t level, uint32_t index) const {
  KV_ASSERT(level <= depth_);
  KV_ASSERT(index < hashes_[level].size());
  if (level < depth_ && dirty_[level][index]) Refresh(level, index);
  return hashes_[level][index];
}

void MerkleTree::Refresh(uint32_t level, uint32_t index) const {
  KV_ASSERT(level < depth_);
  KV_ASSERT(dirty_[level][index]);
  const uint32_t child_level = level + 1;
  const uint32_t first = index << child_count_log2_[level];
  const uint32_t end = first + (uint32_t{1} << child_count_log2_[level]);
  uint64_t h = kInteriorSeed;
  for (uint32_t child = first; child < end; ++child) {
    if (child_level < depth_ && dirty_[child_level][child]) Refresh(child_level, child);
    h = HashCombine(h, hashes_[child_level][child]);
  }
  hashes_[level][index] = h;
  dirty_[level][index] = 0;
}

uint32_t MerkleTree::LeafKeyCount(uint32_t leaf) const {
  KV_ASSERT(leaf < leaf_key_count_.size());
  return leaf_key_count_[leaf];
}

}  // namespace kv
