// A stable 64-bit digest of a record's version set, for Merkle-tree anti-entropy.
#pragma once

#include <cstdint>

#include "storage/record/record.pb.h"

namespace kv::storage {

// Hashes every sibling (dot, wall_micros, value, tombstone, expiry_micros). Independent of sibling
// order and of protobuf serialisation; stable across processes and builds (kv::StableHash), so two
// replicas holding the same versions produce the same digest.
// The causal context is deliberately left out: replicas that hold the same versions but pruned
// their contexts differently must not look divergent forever (a merge would not make them equal).
// An empty version set (no siblings) has digest 0, like a missing key.
uint64_t RecordDigest(const Record& record);

}  // namespace kv::storage
