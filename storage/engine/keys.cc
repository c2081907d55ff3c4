#include "storage/engine/keys.h"

#include "absl/strings/str_cat.h"

namespace kv::storage {
namespace {

void AppendU32(std::string* out, uint32_t v) {
  out->push_back(static_cast<char>(v >> 24));
  out->push_back(static_cast<char>(v >> 16));
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v));
}

uint32_t LoadU32(absl::string_view s) {
  return static_cast<uint32_t>(static_cast<uint8_t>(s[0])) << 24 |
         static_cast<uint32_t>(static_cast<uint8_t>(s[1])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(s[2])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(s[3]));
}

// The smallest string greater than every string starting with `prefix` (of 4-byte integers).
std::string AfterU32Prefix(uint32_t v) {
  std::string out;
  if (v == UINT32_MAX) return std::string(5, '\xff');
  AppendU32(&out, v + 1);
  return out;
}

}  // namespace

std::string RecordKey(PartitionId partition, absl::string_view key) {
  std::string out;
  out.reserve(4 + key.size());
  AppendRecordKey(partition, key, &out);
  return out;
}

void AppendRecordKey(PartitionId partition, absl::string_view key, std::string* out) {
  AppendU32(out, partition);
  out->append(key.data(), key.size());
}

std::string PartitionStart(PartitionId partition) { return RecordKey(partition, ""); }
std::string PartitionEnd(PartitionId partition) { return AfterU32Prefix(partition); }

bool ParseRecordKey(absl::string_view encoded, PartitionId* partition, absl::string_view* key) {
  if (encoded.size() < 4) return false;
  *partition = LoadU32(encoded);
  *key = encoded.substr(4);
  return true;
}

std::string HintKey(NodeId target, PartitionId partition, absl::string_view key) {
  std::string out;
  out.reserve(8 + key.size());
  AppendU32(&out, target);
  AppendU32(&out, partition);
  out.append(key.data(), key.size());
  return out;
}

std::string HintTargetStart(NodeId target) {
  std::string out;
  AppendU32(&out, target);
  return out;
}

std::string HintTargetEnd(NodeId target) { return AfterU32Prefix(target); }

bool ParseHintKey(absl::string_view encoded, NodeId* target, PartitionId* partition,
                  absl::string_view* key) {
  if (encoded.size() < 8) return false;
  *target = LoadU32(encoded);
  *partition = LoadU32(encoded.substr(4));
  *key = encoded.substr(8);
  return true;
}

}  // namespace kv::storage
