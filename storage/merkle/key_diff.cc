#include "storage/merkle/key_diff.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "net/assert.h"

namespace kv {
namespace {

// Sorts `listing` by key (through pointers, without copying keys) and checks it: no key twice, and
// every key in one of `sorted_leaves`.
absl::StatusOr<std::vector<const KeyDigest*>> SortAndCheck(
    const MerkleShape& shape, const std::vector<uint32_t>& sorted_leaves,
    absl::Span<const KeyDigest> listing, const char* side) {
  std::vector<const KeyDigest*> sorted;
  sorted.reserve(listing.size());
  for (const KeyDigest& entry : listing) {
    if (!std::binary_search(sorted_leaves.begin(), sorted_leaves.end(),
                            LeafOfKey(shape, entry.key))) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s key listing holds a key outside the listed leaves", side));
    }
    sorted.push_back(&entry);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const KeyDigest* a, const KeyDigest* b) { return a->key < b->key; });
  for (size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i - 1]->key == sorted[i]->key) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s key listing repeats a key", side));
    }
  }
  return sorted;
}

}  // namespace

absl::StatusOr<std::vector<KeyDifference>> DiffKeyListings(const MerkleShape& shape,
                                                           absl::Span<const uint32_t> leaves,
                                                           absl::Span<const KeyDigest> local,
                                                           absl::Span<const KeyDigest> remote) {
  KV_ASSERT(shape.valid());
  std::vector<uint32_t> sorted_leaves(leaves.begin(), leaves.end());
  std::sort(sorted_leaves.begin(), sorted_leaves.end());
  absl::StatusOr<std::vector<const KeyDigest*>> a =
      SortAndCheck(shape, sorted_leaves, local, "local");
  if (!a.ok()) return a.status();
  absl::StatusOr<std::vector<const KeyDigest*>> b =
      SortAndCheck(shape, sorted_leaves, remote, "remote");
  if (!b.ok()) return b.status();

  std::vector<KeyDifference> differences;
  size_t i = 0, j = 0;
  while (i < a->size() || j < b->size()) {
    const KeyDigest* x = i < a->size() ? (*a)[i] : nullptr;
    const KeyDigest* y = j < b->size() ? (*b)[j] : nullptr;
    if (y == nullptr || (x != nullptr && x->key < y->key)) {
      differences.push_back({x->key, x->digest, std::nullopt});
      ++i;
    } else if (x == nullptr || y->key < x->key) {
      differences.push_back({y->key, std::nullopt, y->digest});
      ++j;
    } else {
      if (x->digest != y->digest) differences.push_back({x->key, x->digest, y->digest});
      ++i;
      ++j;
    }
  }
  KV_ASSERT(differences.size() <= a->size() + b->size());
  return differences;
}

}  // namespace kv
