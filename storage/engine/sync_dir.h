// Making a directory's entries durable through RocksDB's file system (the seam's, or the OS's in
// real mode): what the engine and the sync watermark need after creating names.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/file_system.h"

namespace kv::storage {

// Fsyncs directory `dir`: the names created in it so far survive a crash. Errors as FromRocksDb,
// prefixed by `what`.
absl::Status SyncDir(rocksdb::FileSystem* fs, const std::string& dir, absl::string_view what);

}  // namespace kv::storage
