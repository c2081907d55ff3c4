// A node's data directory and its identity. The directory holds IDENTITY (which node, which
// format) and db/ (RocksDB). kvnode refuses to start on a directory of another node or of another
// format version, or on a non-empty directory that is not a dynkv data directory, rather than mix
// two nodes' data or misread an old layout.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "net/transport.h"

namespace kv::kvnode {

// The layout this build writes and reads.
inline constexpr int kDataFormatVersion = 1;

// Creates `dir` (and parents) if missing and writes its IDENTITY durably (temporary file, fsync,
// rename, fsync of the directory); or checks the IDENTITY that is there. Errors
// (FAILED_PRECONDITION, with the directory in the message): another node's directory, another
// format version, a non-empty directory without IDENTITY, an unreadable IDENTITY; I/O errors as
// UNAVAILABLE.
absl::Status PrepareDataDir(const std::string& dir, NodeId node);

}  // namespace kv::kvnode
