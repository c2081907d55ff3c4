#include "storage/rocksdb_env/io_status.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "net/assert.h"

namespace kv::storage::rocksdb_env {

rocksdb::IOStatus ToIOStatus(const absl::Status& status, absl::string_view op,
                             absl::string_view path, MissingAs missing) {
  if (status.ok()) return rocksdb::IOStatus::OK();
  const std::string context = absl::StrCat(op, " ", path);
  const std::string detail(status.message());
  if (absl::IsNotFound(status)) {
    return missing == MissingAs::kNotFound ? rocksdb::IOStatus::NotFound(context, detail)
                                           : rocksdb::IOStatus::PathNotFound(context, detail);
  }
  rocksdb::IOStatus out = rocksdb::IOStatus::IOError(context, detail);
  out.SetRetryable(false);
  KV_ASSERT(!out.IsNoSpace());
  return out;
}

absl::StatusOr<std::string> NormalizePath(absl::string_view path) {
  if (path.empty()) return absl::InvalidArgumentError("empty path");
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out = absl::StrCat("/", absl::StrJoin(parts, "/"));
  KV_ASSERT(!out.empty() && out[0] == '/');
  return out;
}

}  // namespace kv::storage::rocksdb_env
