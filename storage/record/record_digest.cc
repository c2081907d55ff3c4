#include "storage/record/record_digest.h"

#include <algorithm>

#include "absl/container/inlined_vector.h"
#include "net/assert.h"
#include "net/random.h"

namespace kv::storage {
namespace {

uint64_t SiblingHash(const Sibling& s) {
  uint64_t h = StableHash(s.value(), /*seed=*/0x51b11);
  h = HashCombine(h, s.dot_node());
  h = HashCombine(h, s.dot_counter());
  h = HashCombine(h, static_cast<uint64_t>(s.wall_micros()));
  h = HashCombine(h, s.tombstone() ? 1 : 0);
  h = HashCombine(h, static_cast<uint64_t>(s.expiry_micros()));
  return h;
}

}  // namespace

uint64_t RecordDigest(const Record& record) {
  if (record.siblings_size() == 0) return 0;
  constexpr uint64_t kSeed = 0x7265636f7264ULL;  // "record"
  if (record.siblings_size() == 1) {  // most records: the fold below over one hash, unsorted
    const uint64_t digest = HashCombine(HashCombine(kSeed, 1), SiblingHash(record.siblings(0)));
    return digest == 0 ? 1 : digest;
  }
  // Records rarely hold more than a few siblings: no allocation for those.
  absl::InlinedVector<uint64_t, 8> hashes;
  hashes.reserve(record.siblings_size());
  for (const Sibling& s : record.siblings()) hashes.push_back(SiblingHash(s));
  std::sort(hashes.begin(), hashes.end());  // order-independent
  uint64_t digest = HashCombine(kSeed, hashes.size());
  for (uint64_t h : hashes) digest = HashCombine(digest, h);
  KV_ASSERT(hashes.size() == static_cast<size_t>(record.siblings_size()));
  return digest == 0 ? 1 : digest;  // 0 is reserved for the empty version set
}

}  // namespace kv::storage
