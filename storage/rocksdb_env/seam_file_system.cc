#include "storage/rocksdb_env/seam_file_system.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "storage/rocksdb_env/io_status.h"
#include "storage/rocksdb_env/seam_files.h"

namespace kv::storage::rocksdb_env {

namespace {

// A held entry of the lock table.
class SeamFileLock final : public rocksdb::FileLock {
 public:
  explicit SeamFileLock(std::string path) : path(std::move(path)) {}
  const std::string path;
};

rocksdb::IOStatus BadPath(absl::string_view op, const std::string& fname,
                          const absl::Status& status) {
  return rocksdb::IOStatus::InvalidArgument(absl::StrCat(op, " ", fname),
                                            std::string(status.message()));
}

// Creates `path` and syncs its parent. RocksDB never fsyncs the parent of a directory it creates
// (measured: without this, a crash soon after the first DB::Open loses the whole DB directory,
// with every synced write in it), so the adapter makes directory creation durable at once.
absl::Status CreateDirDurably(storage::FileSystem& fs, const std::string& path) {
  absl::Status s = fs.CreateDir(path);
  if (!s.ok()) return s;
  return fs.SyncDir(storage::ParentDir(path));
}

}  // namespace

SeamFileSystem::SeamFileSystem(storage::FileSystem* fs) : shared_(std::make_shared<Shared>(fs)) {
  KV_ASSERT(fs != nullptr);
}

SeamFileSystem::~SeamFileSystem() = default;

void SeamFileSystem::Disconnect() { shared_->disconnected = true; }
bool SeamFileSystem::disconnected() const { return shared_->disconnected; }
uint64_t SeamFileSystem::seam_calls() const { return shared_->seam_calls; }

rocksdb::IOStatus SeamFileSystem::OpenSeamFile(const std::string& fname,
                                               storage::OpenOptions options, const char* op,
                                               std::string* path,
                                               std::unique_ptr<storage::File>* file) {
  absl::StatusOr<std::string> normal = NormalizePath(fname);
  if (!normal.ok()) return BadPath(op, fname, normal.status());
  *path = *std::move(normal);
  return shared_->Run(op, *path, [&]() -> absl::Status {
    absl::StatusOr<std::unique_ptr<storage::File>> opened = shared_->fs->Open(*path, options);
    if (!opened.ok()) return opened.status();
    *file = *std::move(opened);
    return absl::OkStatus();
  });
}

// ---- files ----

rocksdb::IOStatus SeamFileSystem::NewSequentialFile(
    const std::string& fname, const rocksdb::FileOptions&,
    std::unique_ptr<rocksdb::FSSequentialFile>* result, rocksdb::IODebugContext*) {
  std::string path;
  std::unique_ptr<storage::File> file;
  rocksdb::IOStatus s = OpenSeamFile(fname, {.create = false}, "open for reading", &path, &file);
  if (s.ok()) *result = std::make_unique<SeamSequentialFile>(shared_, std::move(file));
  return s;
}

rocksdb::IOStatus SeamFileSystem::NewRandomAccessFile(
    const std::string& fname, const rocksdb::FileOptions&,
    std::unique_ptr<rocksdb::FSRandomAccessFile>* result, rocksdb::IODebugContext*) {
  std::string path;
  std::unique_ptr<storage::File> file;
  rocksdb::IOStatus s = OpenSeamFile(fname, {.create = false}, "open for reading", &path, &file);
  if (s.ok()) *result = std::make_unique<SeamRandomAccessFile>(shared_, std::move(file));
  return s;
}

rocksdb::IOStatus SeamFileSystem::NewWritableFile(const std::string& fname,
                                                  const rocksdb::FileOptions& options,
                                                  std::unique_ptr<rocksdb::FSWritableFile>* result,
                                                  rocksdb::IODebugContext*) {
  std::string path;
  std::unique_ptr<storage::File> file;
  rocksdb::IOStatus s = OpenSeamFile(fname, {.create = true, .truncate = true},
                                     "open for writing", &path, &file);
  if (s.ok()) *result = std::make_unique<SeamWritableFile>(shared_, std::move(file), 0, options);
  return s;
}

rocksdb::IOStatus SeamFileSystem::ReopenWritableFile(
    const std::string& fname, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext*) {
  std::string path;
  std::unique_ptr<storage::File> file;
  rocksdb::IOStatus s = OpenSeamFile(fname, {.create = true}, "reopen for writing", &path, &file);
  if (!s.ok()) return s;
  uint64_t size = 0;
  s = shared_->Run("size", path, [&]() -> absl::Status {
    absl::StatusOr<uint64_t> got = file->Size();
    if (got.ok()) size = *got;
    return got.status();
  });
  if (s.ok()) *result = std::make_unique<SeamWritableFile>(shared_, std::move(file), size, options);
  return s;
}

rocksdb::IOStatus SeamFileSystem::NewRandomRWFile(const std::string& fname,
                                                  const rocksdb::FileOptions&,
                                                  std::unique_ptr<rocksdb::FSRandomRWFile>* result,
                                                  rocksdb::IODebugContext*) {
  std::string path;
  std::unique_ptr<storage::File> file;
  rocksdb::IOStatus s = OpenSeamFile(fname, {.create = true}, "open read-write", &path, &file);
  if (s.ok()) *result = std::make_unique<SeamRandomRWFile>(shared_, std::move(file));
  return s;
}

rocksdb::IOStatus SeamFileSystem::NewDirectory(const std::string& name, const rocksdb::IOOptions&,
                                               std::unique_ptr<rocksdb::FSDirectory>* result,
                                               rocksdb::IODebugContext*) {
  absl::StatusOr<std::string> path = NormalizePath(name);
  if (!path.ok()) return BadPath("open dir", name, path.status());
  rocksdb::IOStatus s = shared_->Run("open dir", *path, [&]() -> absl::Status {
    if (shared_->fs->IsDir(*path)) return absl::OkStatus();
    if (shared_->fs->Exists(*path)) return absl::FailedPreconditionError("not a directory");
    return absl::NotFoundError("no such directory");
  });
  if (s.ok()) *result = std::make_unique<SeamDirectory>(shared_, *std::move(path));
  return s;
}

// ---- names ----

rocksdb::IOStatus SeamFileSystem::FileExists(const std::string& fname, const rocksdb::IOOptions&,
                                             rocksdb::IODebugContext*) {
  absl::StatusOr<std::string> path = NormalizePath(fname);
  if (!path.ok()) return BadPath("exists", fname, path.status());
  return shared_->Run(
      "exists", *path,
      [&] { return shared_->fs->Exists(*path) ? absl::OkStatus() : absl::NotFoundError("absent"); },
      MissingAs::kNotFound);
}

rocksdb::IOStatus SeamFileSystem::GetChildren(const std::string& dir, const rocksdb::IOOptions&,
                                              std::vector<std::string>* result,
                                              rocksdb::IODebugContext*) {
  absl::StatusOr<std::string> path = NormalizePath(dir);
  if (!path.ok()) return BadPath("list", dir, path.status());
  result->clear();
  return shared_->Run(
      "list", *path,
      [&]() -> absl::Status {
        absl::StatusOr<std::vector<std::string>> names = shared_->fs->List(*path);
        if (names.ok()) *result = *std::move(names);
        return names.status();
      },
      MissingAs::kNotFound);
}

rocksdb::IOStatus SeamFileSystem::DeleteFile(const std::string& fname, const rocksdb::IOOptions&,
                                             rocksdb::IODebugContext*) {
  absl::StatusOr<std::string> path = NormalizePath(fname);
  if (!path.ok()) return BadPath("delete", fname, path.status());
  return shared_->Run("delete", *path, [&] { return shared_->fs->Delete(*path); });
}

rocksdb::IOStatus SeamFileSystem::Truncate(const std::string& fname, size_t size,
                                           const rocksdb::IOOptions&, rocksdb::IODebugContext*) {
  std::string path;
  std::unique_ptr<storage::File> file;
  rocksdb::IOStatus s = OpenSeamFile(fname, {.create = false}, "open to truncate", &path, &file);
  if (!s.ok()) return s;
  return shared_->Run("truncate", path, [&] { return file->Truncate(size); });
}

rocksdb::IOStatus SeamFileSystem::CreateDir(const std::string& dirname, const rocksdb::IOOptions&,
                                            rocksdb::IODebugContext*) {
  absl::StatusOr<std::string> path = NormalizePath(dirname);
  if (!path.ok()) return BadPath("mkdir", dirname, path.status());
  return shared_->Run("mkdir", *path, [&] {
    // RocksDB's contract (unlike the seam's) makes an existing directory an error here.
    if (shared_->fs->Exists(*path)) return absl::AlreadyExistsError("file exists");
    return CreateDirDurably(*shared_->fs, *path);
  });
}

rocksdb::IOStatus SeamFileSystem::CreateDirIfMissing(const std::string& dirname,
                                                     const rocksdb::IOOptions&,
                                                     rocksdb::IODebugContext*) {
  absl::StatusOr<std::string> path = NormalizePath(dirname);
  if (!path.ok()) return BadPath("mkdir", dirname, path.status());
  return shared_->Run("mkdir", *path, [&] {
    if (shared_->fs->IsDir(*path)) return absl::OkStatus();
    return CreateDirDurably(*shared_->fs, *path);
  });
}

rocksdb::IOStatus SeamFileSystem::DeleteDir(const std::string& dirname, const rocksdb::IOOptions&,
                                            rocksdb::IODebugContext*) {
  absl::StatusOr<std::string> path = NormalizePath(dirname);
  if (!path.ok()) return BadPath("rmdir", dirname, path.status());
  return shared_->Run("rmdir", *path, [&] { return shared_->fs->DeleteDir(*path); });
}

rocksdb::IOStatus SeamFileSystem::GetFileSize(const std::string& fname, const rocksdb::IOOptions&,
                                              uint64_t* file_size, rocksdb::IODebugContext*) {
  absl::StatusOr<std::string> path = NormalizePath(fname);
  if (!path.ok()) return BadPath("size", fname, path.status());
  return shared_->Run("size", *path, [&]() -> absl::Status {
    absl::StatusOr<uint64_t> size = shared_->fs->FileSize(*path);
    if (size.ok()) *file_size = *size;
    return size.status();
  });
}

rocksdb::IOStatus SeamFileSystem::GetFileModificationTime(const std::string&,
                                                          const rocksdb::IOOptions&, uint64_t*,
                                                          rocksdb::IODebugContext*) {
  return rocksdb::IOStatus::NotSupported("the disk seam keeps no modification times");
}

rocksdb::IOStatus SeamFileSystem::RenameFile(const std::string& src, const std::string& target,
                                             const rocksdb::IOOptions&, rocksdb::IODebugContext*) {
  absl::StatusOr<std::string> from = NormalizePath(src);
  if (!from.ok()) return BadPath("rename", src, from.status());
  absl::StatusOr<std::string> to = NormalizePath(target);
  if (!to.ok()) return BadPath("rename", target, to.status());
  return shared_->Run("rename", *from, [&] { return shared_->fs->Rename(*from, *to); });
}

rocksdb::IOStatus SeamFileSystem::IsDirectory(const std::string& fname, const rocksdb::IOOptions&,
                                              bool* is_dir, rocksdb::IODebugContext*) {
  absl::StatusOr<std::string> path = NormalizePath(fname);
  if (!path.ok()) return BadPath("stat", fname, path.status());
  return shared_->Run("stat", *path, [&] {
    if (!shared_->fs->Exists(*path)) return absl::NotFoundError("no such file or directory");
    *is_dir = shared_->fs->IsDir(*path);
    return absl::OkStatus();
  });
}

rocksdb::IOStatus SeamFileSystem::GetAbsolutePath(const std::string& db_path,
                                                  const rocksdb::IOOptions&,
                                                  std::string* output_path,
                                                  rocksdb::IODebugContext*) {
  absl::StatusOr<std::string> path = NormalizePath(db_path);
  if (!path.ok()) return BadPath("absolute path", db_path, path.status());
  *output_path = *std::move(path);
  return rocksdb::IOStatus::OK();
}

rocksdb::IOStatus SeamFileSystem::GetTestDirectory(const rocksdb::IOOptions&, std::string*,
                                                   rocksdb::IODebugContext*) {
  return rocksdb::IOStatus::NotSupported("the disk seam has no test directory");
}

// ---- locks ----

rocksdb::IOStatus SeamFileSystem::LockFile(const std::string& fname, const rocksdb::IOOptions&,
                                           rocksdb::FileLock** lock, rocksdb::IODebugContext*) {
  *lock = nullptr;
  std::string path;
  std::unique_ptr<storage::File> file;
  rocksdb::IOStatus s = OpenSeamFile(fname, {.create = true}, "lock", &path, &file);
  if (!s.ok()) return s;
  if (!locked_paths_.insert(path).second) {
    return rocksdb::IOStatus::IOError(absl::StrCat("lock ", path),
                                      "lock held by another DB instance in this process");
  }
  *lock = new SeamFileLock(path);
  return rocksdb::IOStatus::OK();
}

rocksdb::IOStatus SeamFileSystem::UnlockFile(rocksdb::FileLock* lock, const rocksdb::IOOptions&,
                                             rocksdb::IODebugContext*) {
  KV_ASSERT(lock != nullptr);
  auto* held = static_cast<SeamFileLock*>(lock);
  const size_t erased = locked_paths_.erase(held->path);
  KV_ASSERT_MSG(erased == 1, absl::StrCat("unlocking a lock not held: ", held->path));
  delete held;
  return rocksdb::IOStatus::OK();
}

}  // namespace kv::storage::rocksdb_env
