// Translation between the disk seam's absl::Status codes and RocksDB's IOStatus, and RocksDB path
// normalisation. Used by SeamFileSystem; small and pure, so tests can pin the mapping down.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rocksdb/io_status.h"

namespace kv::storage::rocksdb_env {

// How a NOT_FOUND from the seam is reported, which depends on the RocksDB call (POSIX parity):
// FileExists and GetChildren answer NotFound; opening, sizing or renaming a missing file answers
// IOError with subcode PathNotFound (IsPathNotFound() and IsIOError() both hold).
enum class MissingAs { kNotFound, kPathNotFound };

// Maps a seam status to an IOStatus. `op` and `path` go into the message.
//   OK -> OK; NOT_FOUND -> per `missing`;
//   UNAVAILABLE (EIO) and everything else -> IOError, never retryable.
//   RESOURCE_EXHAUSTED (ENOSPC) -> IOError too, deliberately NOT IOStatus::NoSpace: RocksDB answers
//   NoSpace by starting an error-recovery thread in its SstFileManager (DESIGN.md section 3), and
//   a simulated run must never start a thread. The message keeps the seam's "ENOSPC" text.
rocksdb::IOStatus ToIOStatus(const absl::Status& status, absl::string_view op,
                             absl::string_view path, MissingAs missing = MissingAs::kPathNotFound);

// Turns a path as RocksDB spells it into a seam path (storage::ValidatePath accepts the result):
// repeated '/' collapse, "." components go, ".." removes the previous component (never above "/"),
// and a trailing '/' goes. Relative paths are taken relative to "/". Never fails for a non-empty
// path; INVALID_ARGUMENT for "".
absl::StatusOr<std::string> NormalizePath(absl::string_view path);

}  // namespace kv::storage::rocksdb_env
