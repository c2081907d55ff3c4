#include "storage/merkle/merkle_shape.h"

#include "net/assert.h"
#include "net/random.h"

namespace kv {
namespace {

// Salts the leaf choice so that it is independent of any other use of the key's hash (the ring's
// partition choice in particular). Part of the wire format.
constexpr uint64_t kLeafSalt = 0x6d65726b6c656166ULL;  // "merkleaf"

}  // namespace

bool MerkleShape::valid() const {
  return leaf_count_log2 >= 1 && leaf_count_log2 <= kLeafCountLog2Max && branching_log2 >= 1 &&
         branching_log2 <= kBranchingLog2Max;
}

uint32_t MerkleShape::NodeCount(uint32_t level) const {
  KV_ASSERT(valid());
  const uint32_t d = depth();
  KV_ASSERT(level <= d);
  if (level == 0) return 1;
  const uint32_t shift = (d - level) * branching_log2;
  KV_ASSERT(shift < leaf_count_log2);
  return uint32_t{1} << (leaf_count_log2 - shift);
}

uint32_t MerkleShape::ChildCount(uint32_t level) const {
  KV_ASSERT(level < depth());
  const uint32_t children = NodeCount(level + 1) / NodeCount(level);
  KV_ASSERT(children >= 2);
  KV_ASSERT(children <= (uint32_t{1} << branching_log2));
  return children;
}

uint64_t MerkleKeyHash(absl::string_view key) { return StableHash(key); }

uint32_t LeafOfKeyHash(const MerkleShape& shape, uint64_t key_hash) {
  KV_ASSERT(shape.valid());
  const uint64_t mixed = Mix64(key_hash ^ kLeafSalt);
  const uint32_t leaf = static_cast<uint32_t>(mixed >> (64 - shape.leaf_count_log2));
  KV_ASSERT(leaf < shape.leaf_count());
  return leaf;
}

}  // namespace kv
