// The sync watermark: the highest WAL sequence number known to be fsynced, kept beside the
// database, so that an open can tell "the WAL lost its unsynced tail" (allowed) from "the WAL lost
// writes that were synced" (corruption, reported as DATA_LOSS instead of dropped silently).
// RocksDB's point-in-time recovery replays the WAL up to its first damaged record; without the
// watermark a flipped bit in synced WAL data would silently drop every acknowledged write after it.
//
// Two slot files (SYNCED-0, SYNCED-1) are written alternately, each [u64 counter][u64 sequence]
// [u32 CRC-32] and fsynced; a torn or lost slot leaves the other, older one. Reading takes the
// valid slot with the higher counter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "rocksdb/file_system.h"

namespace kv::storage {

class SyncWatermark {
 public:
  // `fs` must outlive this; `dir` is the database directory.
  SyncWatermark(rocksdb::FileSystem* fs, std::string dir);

  // The persisted watermark, nullopt if no valid slot exists (a new database).
  // UNAVAILABLE if a slot cannot be read for a reason other than its absence.
  absl::StatusOr<std::optional<uint64_t>> Read();

  // Persists `sequence` durably (slot file fsynced; the directory too on the first write to each
  // slot, whose file may be new).
  absl::Status Write(uint64_t sequence);

 private:
  std::string SlotPath(int slot) const;

  rocksdb::FileSystem* fs_;
  std::string dir_;
  uint64_t counter_ = 0;
  bool dir_synced_[2] = {false, false};  // per slot: the directory synced since its first write
};

}  // namespace kv::storage
