#include "storage/engine/sync_watermark.h"

#include <cstring>

#include <boost/crc.hpp>

#include "absl/strings/str_cat.h"
#include "net/status_macros.h"
#include "storage/engine/rocksdb_status.h"
#include "storage/engine/sync_dir.h"

namespace kv::storage {
namespace {

constexpr size_t kSlotBytes = 20;

uint32_t Crc(const char* data, size_t n) {
  boost::crc_32_type crc;
  crc.process_bytes(data, n);
  return crc.checksum();
}

struct Slot {
  uint64_t counter = 0;
  uint64_t sequence = 0;
};

std::optional<Slot> ParseSlot(const std::string& bytes) {
  if (bytes.size() != kSlotBytes) return std::nullopt;
  uint32_t crc;
  std::memcpy(&crc, bytes.data() + 16, 4);
  if (Crc(bytes.data(), 16) != crc) return std::nullopt;
  Slot slot;
  std::memcpy(&slot.counter, bytes.data(), 8);
  std::memcpy(&slot.sequence, bytes.data() + 8, 8);
  return slot;
}

}  // namespace

SyncWatermark::SyncWatermark(rocksdb::FileSystem* fs, std::string dir)
    : fs_(fs), dir_(std::move(dir)) {}

std::string SyncWatermark::SlotPath(int slot) const { return absl::StrCat(dir_, "/SYNCED-", slot); }

absl::StatusOr<std::optional<uint64_t>> SyncWatermark::Read() {
  std::optional<Slot> best;
  for (int i = 0; i < 2; ++i) {
    std::string bytes;
    rocksdb::IOStatus s = rocksdb::ReadFileToString(fs_, SlotPath(i), &bytes);
    if (s.IsNotFound() || s.IsPathNotFound()) continue;
    RETURN_IF_ERROR(FromRocksDb(s, absl::StrCat("reading ", SlotPath(i))));
    std::optional<Slot> slot = ParseSlot(bytes);
    if (slot.has_value() && (!best.has_value() || slot->counter > best->counter)) best = slot;
  }
  if (!best.has_value()) return std::nullopt;
  counter_ = best->counter;
  return best->sequence;
}

absl::Status SyncWatermark::Write(uint64_t sequence) {
  ++counter_;
  char bytes[kSlotBytes];
  std::memcpy(bytes, &counter_, 8);
  std::memcpy(bytes + 8, &sequence, 8);
  const uint32_t crc = Crc(bytes, 16);
  std::memcpy(bytes + 16, &crc, 4);
  RETURN_IF_ERROR(FromRocksDb(rocksdb::WriteStringToFile(fs_, rocksdb::Slice(bytes, kSlotBytes),
                                                         SlotPath(counter_ % 2), /*sync=*/true),
                              "writing the sync watermark"));
  // A slot file this instance has not written may be new: its name is durable only once the
  // directory is synced, or a crash can take the file away and leave the other, older slot.
  const int slot = static_cast<int>(counter_ % 2);
  if (!dir_synced_[slot]) {
    RETURN_IF_ERROR(SyncDir(fs_, dir_, "syncing the database directory"));
    dir_synced_[slot] = true;
  }
  return absl::OkStatus();
}

}  // namespace kv::storage
