#include "storage/engine/options.h"

#include "absl/strings/str_cat.h"

namespace kv::storage {

const char* DurabilityName(Durability d) {
  switch (d) {
    case Durability::kSync:
      return "sync";
    case Durability::kInterval:
      return "interval";
  }
  return "?";
}

absl::StatusOr<Durability> ParseDurability(absl::string_view text) {
  if (text == "sync") return Durability::kSync;
  if (text == "interval") return Durability::kInterval;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown durability mode '", text, "': expected sync or interval"));
}

absl::Status ValidateEngineOptions(const EngineOptions& o) {
  auto bad = [](absl::string_view what) { return absl::InvalidArgumentError(what); };
  if (o.dir.empty() || o.dir[0] != '/') return bad(absl::StrCat("dir must be absolute: '", o.dir, "'"));
  if (o.durability == Durability::kInterval && o.sync_interval <= absl::ZeroDuration()) {
    return bad("sync_interval must be positive under interval durability");
  }
  if (o.key_bytes_max == 0 || o.key_bytes_max > kKeyBytesMaxLimit) {
    return bad(absl::StrCat("key_bytes_max must be in 1..65536, got ", o.key_bytes_max));
  }
  if (o.value_bytes_max == 0 || o.value_bytes_max > kValueBytesMaxLimit) {
    return bad(absl::StrCat("value_bytes_max must be in 1..64 MiB, got ", o.value_bytes_max));
  }
  if (o.tombstone_grace < absl::ZeroDuration()) return bad("tombstone_grace must not be negative");
  if (o.memtable_flush_bytes < (64 << 10)) return bad("memtable_flush_bytes must be >= 64 KiB");
  if (o.group_commit_ops_max == 0) return bad("group_commit_ops_max must be positive");
  if (o.merkle_leaves == 0 || (o.merkle_leaves & (o.merkle_leaves - 1)) != 0) {
    return bad(absl::StrCat("merkle_leaves must be a power of two, got ", o.merkle_leaves));
  }
  return absl::OkStatus();
}

}  // namespace kv::storage
