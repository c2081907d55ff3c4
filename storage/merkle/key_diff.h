// The key-level step of anti-entropy: once the trees have named the differing leaves, each side
// lists the (key, digest) pairs in those leaves and the lists are compared. Pure: the node gathers
// the listings (its storage finds a leaf's keys with LeafOfKey) and carries them.
//
// Bound the listings: MerkleTree::LeafKeyCount tells how many keys a leaf holds, so the node can
// ask for a few leaves at a time and keep each listing under its message limit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "storage/merkle/merkle_shape.h"

namespace kv {

struct KeyDigest {
  std::string key;
  uint64_t digest = 0;
};

// One key on which the replicas disagree. A missing digest means the key is absent on that side.
struct KeyDifference {
  std::string key;
  std::optional<uint64_t> local_digest;
  std::optional<uint64_t> remote_digest;

  bool operator==(const KeyDifference& other) const = default;
};

// Compares two listings of the same leaves and returns, sorted by key, exactly the keys present on
// one side only or present on both with different digests. Listings may be in any order.
// INVALID_ARGUMENT if a listing repeats a key or holds a key outside `leaves` (each key's leaf is
// LeafOfKey(shape, key)), which would mean the lister answered a different question.
// REQUIRES: shape.valid().
absl::StatusOr<std::vector<KeyDifference>> DiffKeyListings(const MerkleShape& shape,
                                                           absl::Span<const uint32_t> leaves,
                                                           absl::Span<const KeyDigest> local,
                                                           absl::Span<const KeyDigest> remote);

}  // namespace kv
