// The real disk seam: storage::FileSystem on POSIX calls (open, pread, pwrite, fsync, rename, ...).
// A PosixFileSystem is rooted at a host directory, a node's data directory: the seam path "/" is
// that directory and "/wal/000001.log" is <root>/wal/000001.log. Seam paths are checked with
// storage::ValidatePath, so no path can reach outside the root.
//
// Durability is the kernel's: File::Sync is fsync(2) and SyncDir is fsync(2) on the directory.
// Errors map from errno as storage/file_system.h documents:
//   ENOENT -> NOT_FOUND, EEXIST -> ALREADY_EXISTS, EIO -> UNAVAILABLE ("EIO ..."),
//   ENOSPC/EDQUOT -> RESOURCE_EXHAUSTED ("ENOSPC ..."),
//   ENOTDIR/EISDIR/ENOTEMPTY -> FAILED_PRECONDITION, anything else -> INTERNAL (with strerror).
// EINTR is retried (a bounded number of times) and short reads and writes are continued.
//
// Threading: calls block the calling thread in the kernel; they never suspend a fiber. One File
// may be used by one thread at a time. Append writes at the size the file has when it is called,
// so two handles appending to the same file concurrently may overwrite each other.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/file_system.h"

namespace kv::storage {

// The status for a failed POSIX call `op` on seam path `path` that set errno to `error`
// (see the table above). REQUIRES: error != 0.
absl::Status PosixErrorStatus(int error, absl::string_view op, absl::string_view path);

class PosixFileSystem final : public FileSystem {
 public:
  // REQUIRES: `root` is an absolute host path of an existing directory. A trailing '/' is ignored.
  // The directory is neither created nor checked here; calls fail with NOT_FOUND if it is missing.
  explicit PosixFileSystem(std::string root);

  absl::StatusOr<std::unique_ptr<File>> Open(absl::string_view path, OpenOptions options) override;
  absl::Status Rename(absl::string_view from, absl::string_view to) override;
  absl::Status Delete(absl::string_view path) override;
  absl::Status CreateDir(absl::string_view path) override;
  // INVALID_ARGUMENT for "/" (the root is not ours to delete); FAILED_PRECONDITION if not empty.
  absl::Status DeleteDir(absl::string_view path) override;
  absl::StatusOr<std::vector<std::string>> List(absl::string_view dir) override;
  absl::Status SyncDir(absl::string_view dir) override;
  absl::StatusOr<uint64_t> FileSize(absl::string_view path) override;
  // False for malformed paths.
  bool Exists(absl::string_view path) override;
  bool IsDir(absl::string_view path) override;

  // The host path that seam path `path` maps to. REQUIRES: ValidatePath(path) is OK.
  std::string HostPath(absl::string_view path) const;
  const std::string& root() const { return root_; }

 private:
  std::string root_;  // without a trailing '/'; empty when the root is the host's "/"
};

}  // namespace kv::storage
