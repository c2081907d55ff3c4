// RocksDB statuses as absl statuses, with the codes the storage engine documents.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/status.h"

namespace kv::storage {

// OK -> OK; NotFound -> NOT_FOUND; Corruption -> DATA_LOSS; an I/O error naming ENOSPC (or
// RocksDB's NoSpace) -> RESOURCE_EXHAUSTED; other I/O errors -> UNAVAILABLE; InvalidArgument ->
// INVALID_ARGUMENT; everything else -> INTERNAL. `what` prefixes the message.
absl::Status FromRocksDb(const rocksdb::Status& status, absl::string_view what);

}  // namespace kv::storage
