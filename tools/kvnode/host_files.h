// Small helpers for kvnode's own files on the host (data directory identity, snapshots): errors
// as absl::Status naming the path, and fsync of a file or directory.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace kv::kvnode {

// UNAVAILABLE: "<what> <path>: <strerror(errno)>".
absl::Status ErrnoError(absl::string_view what, const std::string& path);

// fsync of `path`, opened with `flags` (O_RDONLY for a file, O_RDONLY | O_DIRECTORY for a
// directory, so a rename or a new entry in it is durable).
absl::Status FsyncPath(const std::string& path, int flags);

}  // namespace kv::kvnode
