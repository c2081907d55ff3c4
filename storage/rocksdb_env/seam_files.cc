#include "storage/rocksdb_env/seam_files.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "net/fiber.h"

namespace kv::storage::rocksdb_env {

rocksdb::IOStatus SeamFileSystem::Shared::Enter(absl::string_view op, absl::string_view path) {
  KV_ASSERT_MSG(pthread_equal(pthread_self(), owner) != 0,
                absl::StrCat("RocksDB called ", op, " on '", path,
                             "' from a thread other than the simulator's"));
  if (disconnected) {
    return rocksdb::IOStatus::IOError(absl::StrCat(op, " ", path),
                                      "disk disconnected: the process is gone");
  }
  ++seam_calls;
  return rocksdb::IOStatus::OK();
}

NoFiberSwitch::NoFiberSwitch() : on_fiber_(FiberScheduler::OnFiber()) {
  if (on_fiber_) switches_before_ = FiberScheduler::CurrentScheduler().switches();
}

NoFiberSwitch::~NoFiberSwitch() {
  if (!on_fiber_) return;
  KV_ASSERT_MSG(FiberScheduler::CurrentScheduler().switches() == switches_before_,
                "a disk call under RocksDB suspended its fiber; RocksDB holds mutexes across file "
                "calls, so its disk must not have latency (DiskFaultOptions::latency_mean = 0)");
}

namespace {

// Reads up to `n` bytes at `offset` into `scratch` and points `result` at them.
absl::Status ReadInto(storage::File& file, uint64_t offset, size_t n, rocksdb::Slice* result,
                      char* scratch) {
  absl::StatusOr<std::string> bytes = file.ReadAt(offset, n);
  if (!bytes.ok()) {
    *result = rocksdb::Slice();
    return bytes.status();
  }
  KV_ASSERT(bytes->size() <= n);
  if (!bytes->empty()) std::memcpy(scratch, bytes->data(), bytes->size());
  *result = rocksdb::Slice(scratch, bytes->size());
  return absl::OkStatus();
}

absl::string_view View(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

rocksdb::IOStatus Closed(absl::string_view op, absl::string_view path) {
  return rocksdb::IOStatus::IOError(absl::StrCat(op, " ", path), "file is closed");
}

}  // namespace

// ---- SeamSequentialFile ----

rocksdb::IOStatus SeamSequentialFile::Read(size_t n, const rocksdb::IOOptions&,
                                           rocksdb::Slice* result, char* scratch,
                                           rocksdb::IODebugContext*) {
  rocksdb::IOStatus s = shared_->Run("read", file_->path(),
                                     [&] { return ReadInto(*file_, offset_, n, result, scratch); });
  if (s.ok()) offset_ += result->size();
  return s;
}

rocksdb::IOStatus SeamSequentialFile::PositionedRead(uint64_t offset, size_t n,
                                                     const rocksdb::IOOptions&,
                                                     rocksdb::Slice* result, char* scratch,
                                                     rocksdb::IODebugContext*) {
  return shared_->Run("read", file_->path(),
                      [&] { return ReadInto(*file_, offset, n, result, scratch); });
}

rocksdb::IOStatus SeamSequentialFile::Skip(uint64_t n) {
  offset_ += n;
  return rocksdb::IOStatus::OK();
}

// ---- SeamRandomAccessFile ----

rocksdb::IOStatus SeamRandomAccessFile::Read(uint64_t offset, size_t n, const rocksdb::IOOptions&,
                                             rocksdb::Slice* result, char* scratch,
                                             rocksdb::IODebugContext*) const {
  return shared_->Run("read", file_->path(),
                      [&] { return ReadInto(*file_, offset, n, result, scratch); });
}

// ---- SeamWritableFile ----

rocksdb::IOStatus SeamWritableFile::CheckOpen(absl::string_view op) const {
  return file_ == nullptr ? Closed(op, "(closed file)") : rocksdb::IOStatus::OK();
}

rocksdb::IOStatus SeamWritableFile::Append(const rocksdb::Slice& data, const rocksdb::IOOptions&,
                                           rocksdb::IODebugContext*) {
  if (rocksdb::IOStatus s = CheckOpen("append"); !s.ok()) return s;
  rocksdb::IOStatus s = shared_->Run("append", file_->path(), [&] { return file_->Append(View(data)); });
  // A failed write wrote nothing (storage/file_system.h), so the size only moves on success.
  if (s.ok()) size_ += data.size();
  return s;
}

rocksdb::IOStatus SeamWritableFile::PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                                     const rocksdb::IOOptions&,
                                                     rocksdb::IODebugContext*) {
  if (rocksdb::IOStatus s = CheckOpen("positioned append"); !s.ok()) return s;
  rocksdb::IOStatus s = shared_->Run("positioned append", file_->path(),
                                     [&] { return file_->WriteAt(offset, View(data)); });
  if (s.ok() && offset + data.size() > size_) size_ = offset + data.size();
  return s;
}

rocksdb::IOStatus SeamWritableFile::Truncate(uint64_t size, const rocksdb::IOOptions&,
                                             rocksdb::IODebugContext*) {
  if (rocksdb::IOStatus s = CheckOpen("truncate"); !s.ok()) return s;
  rocksdb::IOStatus s =
      shared_->Run("truncate", file_->path(), [&] { return file_->Truncate(size); });
  if (s.ok()) size_ = size;
  return s;
}

rocksdb::IOStatus SeamWritableFile::Close(const rocksdb::IOOptions&, rocksdb::IODebugContext*) {
  // Closing only drops the handle; it neither flushes nor syncs (nothing is buffered here).
  file_.reset();
  return rocksdb::IOStatus::OK();
}

rocksdb::IOStatus SeamWritableFile::Flush(const rocksdb::IOOptions&, rocksdb::IODebugContext*) {
  return CheckOpen("flush");
}

rocksdb::IOStatus SeamWritableFile::Sync(const rocksdb::IOOptions&, rocksdb::IODebugContext*) {
  if (rocksdb::IOStatus s = CheckOpen("sync"); !s.ok()) return s;
  return shared_->Run("sync", file_->path(), [&] { return file_->Sync(); });
}

rocksdb::IOStatus SeamWritableFile::Fsync(const rocksdb::IOOptions& options,
                                          rocksdb::IODebugContext* dbg) {
  return Sync(options, dbg);
}

// ---- SeamRandomRWFile ----

rocksdb::IOStatus SeamRandomRWFile::Write(uint64_t offset, const rocksdb::Slice& data,
                                          const rocksdb::IOOptions&, rocksdb::IODebugContext*) {
  if (file_ == nullptr) return Closed("write", "(closed file)");
  return shared_->Run("write", file_->path(), [&] { return file_->WriteAt(offset, View(data)); });
}

rocksdb::IOStatus SeamRandomRWFile::Read(uint64_t offset, size_t n, const rocksdb::IOOptions&,
                                         rocksdb::Slice* result, char* scratch,
                                         rocksdb::IODebugContext*) const {
  if (file_ == nullptr) return Closed("read", "(closed file)");
  return shared_->Run("read", file_->path(),
                      [&] { return ReadInto(*file_, offset, n, result, scratch); });
}

rocksdb::IOStatus SeamRandomRWFile::Sync(const rocksdb::IOOptions&, rocksdb::IODebugContext*) {
  if (file_ == nullptr) return Closed("sync", "(closed file)");
  return shared_->Run("sync", file_->path(), [&] { return file_->Sync(); });
}

rocksdb::IOStatus SeamRandomRWFile::Close(const rocksdb::IOOptions&, rocksdb::IODebugContext*) {
  file_.reset();
  return rocksdb::IOStatus::OK();
}

// ---- SeamDirectory ----

rocksdb::IOStatus SeamDirectory::Fsync(const rocksdb::IOOptions&, rocksdb::IODebugContext*) {
  return shared_->Run("fsync dir", path_, [&] { return shared_->fs->SyncDir(path_); });
}

}  // namespace kv::storage::rocksdb_env
