// Internal to SeamFileSystem: the state its files share with it, the guard every seam call runs
// under, and the RocksDB file classes (FSSequentialFile, FSRandomAccessFile, FSWritableFile,
// FSRandomRWFile, FSDirectory) over storage::File.
#pragma once

#include <pthread.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/file_system.h"
#include "storage/file_system.h"
#include "storage/rocksdb_env/io_status.h"
#include "storage/rocksdb_env/seam_file_system.h"

namespace kv::storage::rocksdb_env {

struct SeamFileSystem::Shared {
  explicit Shared(storage::FileSystem* f) : fs(f), owner(pthread_self()) {}

  // Checks the caller's thread (KV_ASSERT) and returns IOError if disconnected. A call that gets
  // OK may go to the seam and is counted.
  rocksdb::IOStatus Enter(absl::string_view op, absl::string_view path);

  // Runs `call` (returning absl::Status) against the seam under Enter and the no-fiber-switch
  // check, and maps its status.
  template <typename Call>
  rocksdb::IOStatus Run(absl::string_view op, absl::string_view path, Call&& call,
                        MissingAs missing = MissingAs::kPathNotFound);

  storage::FileSystem* const fs;
  const pthread_t owner;
  bool disconnected = false;
  uint64_t seam_calls = 0;
};

// Asserts, on destruction, that the calling fiber (if any) was not suspended in between: RocksDB
// holds pthread mutexes across file calls, and all fibers share one thread.
class NoFiberSwitch {
 public:
  NoFiberSwitch();
  ~NoFiberSwitch();
  NoFiberSwitch(const NoFiberSwitch&) = delete;
  NoFiberSwitch& operator=(const NoFiberSwitch&) = delete;

 private:
  bool on_fiber_;
  uint64_t switches_before_ = 0;
};

template <typename Call>
rocksdb::IOStatus SeamFileSystem::Shared::Run(absl::string_view op, absl::string_view path,
                                              Call&& call, MissingAs missing) {
  rocksdb::IOStatus entered = Enter(op, path);
  if (!entered.ok()) return entered;
  absl::Status status;
  {
    NoFiberSwitch guard;
    status = std::forward<Call>(call)();
  }
  return ToIOStatus(status, op, path, missing);
}

using SharedPtr = std::shared_ptr<SeamFileSystem::Shared>;

class SeamSequentialFile final : public rocksdb::FSSequentialFile {
 public:
  SeamSequentialFile(SharedPtr shared, std::unique_ptr<storage::File> file)
      : shared_(std::move(shared)), file_(std::move(file)) {}

  rocksdb::IOStatus Read(size_t n, const rocksdb::IOOptions& options, rocksdb::Slice* result,
                         char* scratch, rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus PositionedRead(uint64_t offset, size_t n, const rocksdb::IOOptions& options,
                                   rocksdb::Slice* result, char* scratch,
                                   rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Skip(uint64_t n) override;

 private:
  SharedPtr shared_;
  std::unique_ptr<storage::File> file_;
  uint64_t offset_ = 0;
};

class SeamRandomAccessFile final : public rocksdb::FSRandomAccessFile {
 public:
  SeamRandomAccessFile(SharedPtr shared, std::unique_ptr<storage::File> file)
      : shared_(std::move(shared)), file_(std::move(file)) {}

  rocksdb::IOStatus Read(uint64_t offset, size_t n, const rocksdb::IOOptions& options,
                         rocksdb::Slice* result, char* scratch,
                         rocksdb::IODebugContext* dbg) const override;

 private:
  SharedPtr shared_;
  std::unique_ptr<storage::File> file_;
};

class SeamWritableFile final : public rocksdb::FSWritableFile {
 public:
  // `size` is the file's size when opened (0 after a truncating open).
  SeamWritableFile(SharedPtr shared, std::unique_ptr<storage::File> file, uint64_t size,
                   const rocksdb::FileOptions& options)
      : rocksdb::FSWritableFile(options),
        shared_(std::move(shared)),
        file_(std::move(file)),
        size_(size) {}

  using rocksdb::FSWritableFile::Append;
  using rocksdb::FSWritableFile::PositionedAppend;
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Truncate(uint64_t size, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Close(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Flush(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override;
  uint64_t GetFileSize(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    return size_;
  }
  // Everything runs on one thread, so syncing while another call appends cannot happen. RocksDB's
  // DB::SyncWAL (the engine's interval durability) refuses files that do not say so.
  bool IsSyncThreadSafe() const override { return true; }

 private:
  rocksdb::IOStatus CheckOpen(absl::string_view op) const;

  SharedPtr shared_;
  std::unique_ptr<storage::File> file_;  // null once closed
  uint64_t size_;
};

class SeamRandomRWFile final : public rocksdb::FSRandomRWFile {
 public:
  SeamRandomRWFile(SharedPtr shared, std::unique_ptr<storage::File> file)
      : shared_(std::move(shared)), file_(std::move(file)) {}

  rocksdb::IOStatus Write(uint64_t offset, const rocksdb::Slice& data,
                          const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Read(uint64_t offset, size_t n, const rocksdb::IOOptions& options,
                         rocksdb::Slice* result, char* scratch,
                         rocksdb::IODebugContext* dbg) const override;
  rocksdb::IOStatus Flush(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    return rocksdb::IOStatus::OK();
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Close(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override;

 private:
  SharedPtr shared_;
  std::unique_ptr<storage::File> file_;  // null once closed
};

class SeamDirectory final : public rocksdb::FSDirectory {
 public:
  SeamDirectory(SharedPtr shared, std::string path)
      : shared_(std::move(shared)), path_(std::move(path)) {}

  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Close(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    return rocksdb::IOStatus::OK();
  }

 private:
  SharedPtr shared_;
  std::string path_;
};

}  // namespace kv::storage::rocksdb_env
