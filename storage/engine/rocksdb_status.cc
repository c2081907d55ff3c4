#include "storage/engine/rocksdb_status.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace kv::storage {

absl::Status FromRocksDb(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat(what, ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(message);
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsNoSpace() || absl::StrContains(message, "ENOSPC")) {
    return absl::ResourceExhaustedError(message);
  }
  if (s.IsIOError()) return absl::UnavailableError(message);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(message);
  return absl::InternalError(message);
}

}  // namespace kv::storage
