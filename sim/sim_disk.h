// The simulated disk of one machine: the durability model (page cache vs durable bytes, directory
// journaling, crash semantics). Fault injection is a separate wrapper (faulty_file_system.h).
//
// Fault model (what survives a crash), per file and per directory entry:
//  - Every file has the bytes reads see (its page cache) and durable bytes. File::Sync makes the
//    page cache durable. Writes since the last sync form an ordered log.
//  - At Crash(), each file with unsynced writes keeps, chosen by the disk's random stream with
//    equal odds: none of them, all of them, a prefix of them, or a prefix followed by the next write
//    torn at a sector boundary (sector_bytes): that write's bytes persist up to a sector boundary
//    inside it, and with even odds the sector after the tear holds garbage instead of old data.
//  - Name operations (create, delete, rename, mkdir, rmdir) apply at once to the visible namespace
//    and are queued; SyncDir(d) makes the queued operations that touch d durable. At a crash, a
//    prefix (random length) of the still-queued operations becomes durable, in order, like a
//    metadata journal; the rest are undone. Entries whose parent directory did not survive vanish.
//  - A failed sync (see FailSync) drops the file's unsynced writes from the durability pipeline:
//    they stay readable until a crash and are lost at it, even if a later sync succeeds.
//  - Capacity: writes that would grow the disk past capacity_bytes fail with RESOURCE_EXHAUSTED and
//    write nothing.
// File handles opened before a crash fail with FAILED_PRECONDITION afterwards.
//
// Not modelled: reordering of data writes within one file beyond prefix/tear (the write log is
// persisted in order), and metadata-only fsync (fdatasync) differences.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/container/btree_map.h"
#include "net/random.h"
#include "sim/chunked_bytes.h"
#include "storage/file_system.h"

namespace kv::sim {

enum class DiskOp : uint8_t {
  kOpen = 1, kAppend, kWrite, kRead, kSync, kTruncate, kRename, kDelete, kMkdir, kRmdir, kSyncDir,
};
const char* DiskOpName(DiskOp op);

// Receives every disk operation (for the trace).
class DiskObserver {
 public:
  virtual ~DiskObserver() = default;
  // `data` is the bytes written (empty for other operations).
  virtual void OnDiskOp(DiskOp op, absl::string_view path, uint64_t offset, uint64_t length,
                        absl::string_view data) = 0;
};

struct DiskOptions {
  uint64_t capacity_bytes = uint64_t{64} << 30;
  uint64_t sector_bytes = 4096;
};

// What a crash did, for reports and tests.
struct CrashOutcome {
  uint64_t files_with_unsynced_writes = 0;
  uint64_t files_kept_none = 0;
  uint64_t files_kept_all = 0;
  uint64_t files_kept_prefix = 0;
  uint64_t files_torn = 0;
  uint64_t unsynced_bytes_lost = 0;
  uint64_t dir_ops_pending = 0;
  uint64_t dir_ops_kept = 0;

  CrashOutcome& operator+=(const CrashOutcome& o);
};

class SimDisk final : public storage::FileSystem {
 public:
  // `observer` may be null. The root directory "/" always exists.
  SimDisk(DiskOptions options, Random random, DiskObserver* observer);
  ~SimDisk() override;

  absl::StatusOr<std::unique_ptr<storage::File>> Open(absl::string_view path,
                                                      storage::OpenOptions options) override;
  absl::Status Rename(absl::string_view from, absl::string_view to) override;
  absl::Status Delete(absl::string_view path) override;
  absl::Status CreateDir(absl::string_view path) override;
  absl::Status DeleteDir(absl::string_view path) override;
  absl::StatusOr<std::vector<std::string>> List(absl::string_view dir) override;
  absl::Status SyncDir(absl::string_view dir) override;
  absl::StatusOr<uint64_t> FileSize(absl::string_view path) override;
  bool Exists(absl::string_view path) override;
  bool IsDir(absl::string_view path) override;

  // Applies the crash model (see above). Every open handle becomes stale.
  CrashOutcome Crash();

  // Marks the unsynced writes of `file` as never to become durable (a failed fsync).
  // REQUIRES: `file` was opened from this disk.
  void FailSync(storage::File* file);

  // Flips one bit of the durable and visible bytes of `path` at byte `offset` (latent corruption).
  // Returns false if the file is missing or shorter.
  bool FlipBit(absl::string_view path, uint64_t offset, int bit);

  // Inspection for tests and checkers.
  // The bytes of `path` a crash right now would keep at minimum (its durable bytes), if it exists.
  absl::StatusOr<std::string> DurableContents(absl::string_view path) const;
  uint64_t used_bytes() const { return used_bytes_; }
  uint64_t unsynced_bytes() const;
  uint64_t crashes() const { return epoch_; }
  const DiskOptions& options() const { return options_; }

 private:
  class SimFile;
  struct Inode;
  struct PendingWrite;
  struct Entry {
    bool is_dir = false;
    uint64_t inode = 0;  // files only
  };
  struct DirOp {
    enum Kind : uint8_t { kCreate, kDelete, kRename, kMkdir, kRmdir } kind;
    std::string path;
    std::string path2;  // rename target
    uint64_t inode = 0;
  };
  using Namespace = absl::btree_map<std::string, Entry>;

  absl::Status CheckParentDir(absl::string_view path) const;
  void QueueDirOp(DirOp op);
  // Applies `op` to the visible or the durable namespace, keeping inode link counts.
  void ApplyDirOp(const DirOp& op, bool durable);
  void DropDurableOrphans();
  void Link(uint64_t inode, bool durable, int delta);
  // Applies the crash model to one file's unsynced writes; returns the surviving bytes.
  ChunkedBytes SurvivingBytes(Inode& inode, CrashOutcome* outcome);
  void Observe(DiskOp op, absl::string_view path, uint64_t offset, uint64_t length,
               absl::string_view data);
  absl::Status ReserveGrowth(uint64_t old_size, uint64_t new_size);
  void FreeInodeIfUnreferenced(uint64_t inode);

  DiskOptions options_;
  Random random_;
  DiskObserver* observer_;
  uint64_t epoch_ = 0;  // number of crashes; handles remember the epoch they were opened in
  uint64_t next_inode_ = 1;
  uint64_t used_bytes_ = 0;
  absl::btree_map<uint64_t, std::shared_ptr<Inode>> inodes_;
  Namespace visible_;
  Namespace durable_;
  std::vector<DirOp> pending_dir_ops_;
};

}  // namespace kv::sim
