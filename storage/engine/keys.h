// The engine's RocksDB key layout. Big-endian integers, so keys sort by partition, then key.
//   records CF:  [partition u32][key]
//   hints CF:    [target node u32][partition u32][key]
//   meta CF:     [name]
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "net/transport.h"

namespace kv::storage {

using PartitionId = uint32_t;

// Bytes before the client key in a records-CF key.
inline constexpr size_t kRecordKeyPrefixBytes = 4;

std::string RecordKey(PartitionId partition, absl::string_view key);
// RecordKey(partition, key) appended to `*out`.
void AppendRecordKey(PartitionId partition, absl::string_view key, std::string* out);
// The first key of `partition` and the first key after it (an exclusive upper bound).
std::string PartitionStart(PartitionId partition);
std::string PartitionEnd(PartitionId partition);
// Splits a records-CF key. Returns false if it is malformed (shorter than 4 bytes).
bool ParseRecordKey(absl::string_view encoded, PartitionId* partition, absl::string_view* key);

std::string HintKey(NodeId target, PartitionId partition, absl::string_view key);
std::string HintTargetStart(NodeId target);
std::string HintTargetEnd(NodeId target);
bool ParseHintKey(absl::string_view encoded, NodeId* target, PartitionId* partition,
                  absl::string_view* key);

}  // namespace kv::storage
