#include "storage/engine/sync_dir.h"

#include <memory>

#include "net/status_macros.h"
#include "storage/engine/rocksdb_status.h"

namespace kv::storage {

absl::Status SyncDir(rocksdb::FileSystem* fs, const std::string& dir, absl::string_view what) {
  const rocksdb::IOOptions io;
  std::unique_ptr<rocksdb::FSDirectory> directory;
  RETURN_IF_ERROR(FromRocksDb(fs->NewDirectory(dir, io, &directory, nullptr), what));
  return FromRocksDb(directory->Fsync(io, nullptr), what);
}

}  // namespace kv::storage
