// The disk seam: files and directories of one node process. The simulator implements it with a
// page-cache-vs-durable model and injected faults (sim/sim_disk.h, sim/faulty_file_system.h); the
// real implementation is POSIX (storage/posix_file_system.h).
//
// Paths are '/'-separated and absolute ("/data/log"). Durability contract, as on Linux:
//  - Written bytes are visible to reads at once but durable only after File::Sync returns OK.
//  - A crash may lose any unsynced bytes: per file, none, a prefix of the writes since the last
//    sync, or that prefix with the next write torn at a sector boundary.
//  - Creating, renaming and deleting a name is durable only after SyncDir of the directory holding
//    the name (both directories for a rename). Until then a crash may undo it.
//  - A failed Sync (EIO) may have dropped the unsynced bytes for good: later syncs do not bring them
//    back. Treat a failed sync as "those writes are lost", never retry and assume durability.
//
// Error codes: NOT_FOUND (no such file), ALREADY_EXISTS, UNAVAILABLE ("EIO": an I/O error),
// RESOURCE_EXHAUSTED ("ENOSPC": the disk is full), FAILED_PRECONDITION (closed file, a directory
// where a file was expected), INVALID_ARGUMENT (a malformed path). Data corruption is NOT reported
// by the disk: bytes may come back with flipped bits, and checksums above the disk must catch it.
//
// Threading: calls complete without suspending the calling fiber unless the implementation says
// otherwise (the simulator's latency wrapper suspends; RocksDB's adapter never uses that wrapper).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kv::storage {

class File {
 public:
  virtual ~File() = default;

  // Writes `data` at the end of the file.
  virtual absl::Status Append(absl::string_view data) = 0;
  // Writes `data` at `offset`, extending the file (with zeros in any gap) if needed.
  virtual absl::Status WriteAt(uint64_t offset, absl::string_view data) = 0;
  // Reads up to `n` bytes at `offset`; fewer at the end of the file, none past it.
  virtual absl::StatusOr<std::string> ReadAt(uint64_t offset, size_t n) = 0;
  // Makes every byte written so far durable.
  virtual absl::Status Sync() = 0;
  virtual absl::StatusOr<uint64_t> Size() = 0;
  // Sets the file's size, cutting or zero-extending it.
  virtual absl::Status Truncate(uint64_t size) = 0;
  // The path this file was opened with.
  virtual const std::string& path() const = 0;
};

struct OpenOptions {
  bool create = true;      // create the file if missing
  bool truncate = false;   // cut an existing file to size 0
  bool exclusive = false;  // with create: fail with ALREADY_EXISTS if the file exists
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Opens (and per `options` creates) a file for reading and writing. The parent directory must
  // exist (NOT_FOUND otherwise).
  virtual absl::StatusOr<std::unique_ptr<File>> Open(absl::string_view path, OpenOptions options) = 0;
  // Atomically renames `from` to `to`, replacing `to` if it exists.
  virtual absl::Status Rename(absl::string_view from, absl::string_view to) = 0;
  // Deletes a file. NOT_FOUND if missing. Open handles keep working on the unlinked file.
  virtual absl::Status Delete(absl::string_view path) = 0;
  // Creates a directory; OK if it exists already. The parent must exist.
  virtual absl::Status CreateDir(absl::string_view path) = 0;
  // Deletes an empty directory.
  virtual absl::Status DeleteDir(absl::string_view path) = 0;
  // Names (not paths) of the entries of a directory, sorted.
  virtual absl::StatusOr<std::vector<std::string>> List(absl::string_view dir) = 0;
  // Makes the creations, deletions and renames of names in `dir` durable.
  virtual absl::Status SyncDir(absl::string_view dir) = 0;
  virtual absl::StatusOr<uint64_t> FileSize(absl::string_view path) = 0;
  // True if a file or directory exists at `path`.
  virtual bool Exists(absl::string_view path) = 0;
  virtual bool IsDir(absl::string_view path) = 0;
};

// Path helpers shared by implementations. "/a/b" -> "/a"; "/a" -> "/"; "a" (a relative OS path, as
// a real node's data directory may be) -> ".".
std::string ParentDir(absl::string_view path);
// "/a/b" -> "b".
std::string BaseName(absl::string_view path);
// "/a" + "b" -> "/a/b".
std::string JoinPath(absl::string_view dir, absl::string_view name);
// OK if `path` is absolute, has no empty, "." or ".." components, and no trailing '/' (except "/").
absl::Status ValidatePath(absl::string_view path);

}  // namespace kv::storage
