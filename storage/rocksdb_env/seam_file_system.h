// SeamFileSystem: RocksDB's rocksdb::FileSystem implemented on the disk seam (storage/file_system.h),
// so that in the simulator RocksDB's WAL, SST, MANIFEST, CURRENT, OPTIONS and LOCK files live on
// the simulated disk with its crash model and injected faults, and in real mode on the POSIX seam.
//
// Mapping (RocksDB -> seam):
//   NewWritableFile  -> Open{create, truncate};      Append -> File::Append; Flush -> nothing
//                       (no buffering here: RocksDB's WritableFileWriter buffers);
//                       Sync/Fsync -> File::Sync; Truncate -> File::Truncate;
//                       PositionedAppend -> File::WriteAt; Close -> drops the handle.
//   ReopenWritableFile -> Open{create};              appends after the existing bytes.
//   NewSequentialFile / NewRandomAccessFile -> Open{no create}; reads -> File::ReadAt.
//   NewRandomRWFile -> Open{create}; Write -> File::WriteAt; Read -> File::ReadAt.
//   NewDirectory -> a handle whose Fsync is FileSystem::SyncDir (RocksDB fsyncs directories after
//                   creating and renaming files, which is what makes those names durable).
//   GetChildren -> List (sorted); FileExists -> Exists; DeleteFile -> Delete; RenameFile -> Rename;
//   CreateDir(IfMissing) -> CreateDir, then SyncDir of the parent: RocksDB never fsyncs the
//                   parent of a directory it creates, and a crash would otherwise take the whole
//                   DB directory (with every synced write in it) away.
//   DeleteDir; GetFileSize -> FileSize; IsDirectory -> IsDir.
//   LockFile/UnlockFile -> an in-process lock table (the LOCK file is created, as POSIX does);
//                   a second LockFile on a held path fails with IOError, so two DB instances of
//                   one process cannot open the same directory.
//   GetFileModificationTime, LinkFile, GetFreeSpace, GetTestDirectory -> NotSupported.
// Paths from RocksDB are normalised (NormalizePath) before they reach the seam. Status codes map
// as io_status.h says (ENOSPC is reported as a plain IOError, never NoSpace).
//
// Threading: every call must come from the thread that created the file system (KV_ASSERT): the
// simulator's only thread. Calls never suspend a fiber: if the seam suspends the calling fiber
// (a latency wrapper under RocksDB, which holds pthread mutexes across file calls), a KV_ASSERT
// stops the run with a message saying so.
//
// Disconnect(): after it every call fails with IOError and touches nothing. A process that is
// crashing destroys its DB (the destructor writes and syncs); disconnecting first keeps that
// close-time I/O, which a real crash would never do, off the disk.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/container/btree_set.h"
#include "rocksdb/file_system.h"
#include "storage/file_system.h"

namespace kv::storage::rocksdb_env {

class SeamFileSystem final : public rocksdb::FileSystem {
 public:
  // State shared with the open files (they may outlive a call, never the seam `fs`).
  struct Shared;

  // `fs` must outlive this file system and every file opened from it.
  explicit SeamFileSystem(storage::FileSystem* fs);
  ~SeamFileSystem() override;

  const char* Name() const override { return "SeamFileSystem"; }

  // Makes every later call (on this file system and its open files) fail with IOError without
  // touching the seam. Irreversible. Lock-table calls keep working so the DB can be destroyed.
  void Disconnect();
  bool disconnected() const;
  // Number of calls that reached the seam (for tests).
  uint64_t seam_calls() const;

  // ---- files ----
  rocksdb::IOStatus NewSequentialFile(const std::string& fname, const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSSequentialFile>* result,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewRandomAccessFile(const std::string& fname,
                                        const rocksdb::FileOptions& options,
                                        std::unique_ptr<rocksdb::FSRandomAccessFile>* result,
                                        rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& fname,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewRandomRWFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSRandomRWFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewDirectory(const std::string& name, const rocksdb::IOOptions& options,
                                 std::unique_ptr<rocksdb::FSDirectory>* result,
                                 rocksdb::IODebugContext* dbg) override;

  // ---- names ----
  rocksdb::IOStatus FileExists(const std::string& fname, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus GetChildren(const std::string& dir, const rocksdb::IOOptions& options,
                                std::vector<std::string>* result,
                                rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& fname, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Truncate(const std::string& fname, size_t size,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus CreateDir(const std::string& dirname, const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus CreateDirIfMissing(const std::string& dirname,
                                       const rocksdb::IOOptions& options,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteDir(const std::string& dirname, const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus GetFileSize(const std::string& fname, const rocksdb::IOOptions& options,
                                uint64_t* file_size, rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus GetFileModificationTime(const std::string& fname,
                                            const rocksdb::IOOptions& options,
                                            uint64_t* file_mtime,
                                            rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& target,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus IsDirectory(const std::string& path, const rocksdb::IOOptions& options,
                                bool* is_dir, rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus GetAbsolutePath(const std::string& db_path, const rocksdb::IOOptions& options,
                                    std::string* output_path,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus GetTestDirectory(const rocksdb::IOOptions& options, std::string* path,
                                     rocksdb::IODebugContext* dbg) override;

  // ---- locks ----
  rocksdb::IOStatus LockFile(const std::string& fname, const rocksdb::IOOptions& options,
                             rocksdb::FileLock** lock, rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus UnlockFile(rocksdb::FileLock* lock, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;

 private:
  // Opens `fname` (normalised into *path) with `options`.
  rocksdb::IOStatus OpenSeamFile(const std::string& fname, storage::OpenOptions options,
                                 const char* op, std::string* path,
                                 std::unique_ptr<storage::File>* file);

  std::shared_ptr<Shared> shared_;
  absl::btree_set<std::string> locked_paths_;
};

}  // namespace kv::storage::rocksdb_env
