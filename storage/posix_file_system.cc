#include "storage/posix_file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "net/status_macros.h"

namespace kv::storage {

namespace {

// A system call interrupted by a signal is retried at most this many times before its EINTR is
// reported (as INTERNAL): a steady stream of signals must not hang the caller.
constexpr int kEintrRetriesMax = 64;

constexpr mode_t kFileMode = 0644;
constexpr mode_t kDirMode = 0755;

// Calls `call`, a system call returning -1 and setting errno on failure, again while it fails with
// EINTR (bounded by kEintrRetriesMax). Returns its last result, with errno as that call left it.
template <typename Call>
auto RetryOnEintr(Call call) {
  auto result = call();
  for (int i = 0; i < kEintrRetriesMax && result == -1 && errno == EINTR; ++i) result = call();
  return result;
}

// strerror_r comes in two flavours: GNU returns the message, XSI fills the buffer.
[[maybe_unused]] const char* StrerrorResult(const char* message, const char* /*buffer*/) {
  return message;
}
[[maybe_unused]] const char* StrerrorResult(int rc, const char* buffer) {
  return rc == 0 ? buffer : "unknown error";
}

std::string ErrnoText(int error) {
  char buffer[256] = {};
  return StrerrorResult(strerror_r(error, buffer, sizeof(buffer)), buffer);
}

absl::StatusOr<struct stat> Stat(const std::string& host_path, absl::string_view op,
                                 absl::string_view path) {
  struct stat st = {};
  if (RetryOnEintr([&] { return ::stat(host_path.c_str(), &st); }) != 0) {
    return PosixErrorStatus(errno, op, path);
  }
  return st;
}

// A file opened with open(2). Owns the descriptor.
class PosixFile final : public File {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {
    KV_ASSERT(fd_ >= 0);
    KV_ASSERT(!path_.empty());
  }
  // close(2) is not retried on EINTR: Linux releases the descriptor even then.
  ~PosixFile() override { ::close(fd_); }

  absl::Status Append(absl::string_view data) override {
    ASSIGN_OR_RETURN(uint64_t size, Size());
    return WriteFully(size, data, "append");
  }

  absl::Status WriteAt(uint64_t offset, absl::string_view data) override {
    if (data.empty()) {
      // pwrite(2) of nothing does not extend the file; the seam says WriteAt does.
      ASSIGN_OR_RETURN(uint64_t size, Size());
      return offset > size ? Truncate(offset) : absl::OkStatus();
    }
    return WriteFully(offset, data, "write");
  }

  absl::StatusOr<std::string> ReadAt(uint64_t offset, size_t n) override {
    ASSIGN_OR_RETURN(uint64_t size, Size());
    if (offset >= size) return std::string();
    // Never allocate more than the file holds: callers may pass a huge `n` to mean "the rest".
    std::string out(static_cast<size_t>(std::min<uint64_t>(n, size - offset)), '\0');
    size_t done = 0;
    // Each pass reads at least one byte or leaves the loop, so it runs at most out.size() times.
    while (done < out.size()) {
      const ssize_t got = RetryOnEintr([&] {
        return ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
      });
      if (got < 0) return PosixErrorStatus(errno, "read", path_);
      if (got == 0) break;  // the file shrank since Size()
      done += static_cast<size_t>(got);
    }
    out.resize(done);
    return out;
  }

  absl::Status Sync() override {
    if (RetryOnEintr([&] { return ::fsync(fd_); }) != 0) return PosixErrorStatus(errno, "fsync", path_);
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> Size() override {
    struct stat st = {};
    if (RetryOnEintr([&] { return ::fstat(fd_, &st); }) != 0) {
      return PosixErrorStatus(errno, "fstat", path_);
    }
    KV_ASSERT(st.st_size >= 0);
    return static_cast<uint64_t>(st.st_size);
  }

  absl::Status Truncate(uint64_t size) override {
    if (size > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) {
      return absl::InvalidArgumentError(absl::StrCat("size too large for '", path_, "': ", size));
    }
    if (RetryOnEintr([&] { return ::ftruncate(fd_, static_cast<off_t>(size)); }) != 0) {
      return PosixErrorStatus(errno, "ftruncate", path_);
    }
    return absl::OkStatus();
  }

  const std::string& path() const override { return path_; }

 private:
  // Writes all of `data` at `offset`, continuing after short writes.
  absl::Status WriteFully(uint64_t offset, absl::string_view data, absl::string_view op) {
    if (offset > static_cast<uint64_t>(std::numeric_limits<off_t>::max()) - data.size()) {
      return absl::InvalidArgumentError(absl::StrCat("offset too large for '", path_, "': ", offset));
    }
    size_t done = 0;
    // Each pass writes at least one byte or returns, so it runs at most data.size() times.
    while (done < data.size()) {
      const ssize_t put = RetryOnEintr([&] {
        return ::pwrite(fd_, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
      });
      if (put < 0) return PosixErrorStatus(errno, op, path_);
      if (put == 0) {
        return absl::InternalError(absl::StrCat(op, " '", path_, "': pwrite wrote nothing"));
      }
      done += static_cast<size_t>(put);
    }
    KV_ASSERT(done == data.size());
    return absl::OkStatus();
  }

  const int fd_;
  const std::string path_;
};

}  // namespace

absl::Status PosixErrorStatus(int error, absl::string_view op, absl::string_view path) {
  KV_ASSERT(error != 0);
  const std::string what = absl::StrCat(op, " '", path, "': ", ErrnoText(error));
  switch (error) {
    case ENOENT:
      return absl::NotFoundError(what);
    case EEXIST:
      return absl::AlreadyExistsError(what);
    case EIO:
      return absl::UnavailableError(absl::StrCat("EIO: ", what));
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(absl::StrCat("ENOSPC: ", what));
    case ENOTDIR:
    case EISDIR:
    case ENOTEMPTY:
      return absl::FailedPreconditionError(what);
    default:
      return absl::InternalError(what);
  }
}

PosixFileSystem::PosixFileSystem(std::string root) : root_(std::move(root)) {
  KV_ASSERT_MSG(!root_.empty() && root_[0] == '/', "the root must be an absolute host path");
  while (!root_.empty() && root_.back() == '/') root_.pop_back();
}

std::string PosixFileSystem::HostPath(absl::string_view path) const {
  KV_ASSERT(ValidatePath(path).ok());
  if (path == "/") return root_.empty() ? std::string("/") : root_;
  return absl::StrCat(root_, path);
}

absl::StatusOr<std::unique_ptr<File>> PosixFileSystem::Open(absl::string_view path,
                                                            OpenOptions options) {
  RETURN_IF_ERROR(ValidatePath(path));
  int flags = O_RDWR | O_CLOEXEC;
  if (options.create) flags |= O_CREAT;
  if (options.create && options.exclusive) flags |= O_EXCL;
  if (options.truncate) flags |= O_TRUNC;
  const std::string host = HostPath(path);
  const int fd = RetryOnEintr([&] { return ::open(host.c_str(), flags, kFileMode); });
  if (fd < 0) return PosixErrorStatus(errno, "open", path);
  return std::unique_ptr<File>(new PosixFile(fd, std::string(path)));
}

absl::Status PosixFileSystem::Rename(absl::string_view from, absl::string_view to) {
  RETURN_IF_ERROR(ValidatePath(from));
  RETURN_IF_ERROR(ValidatePath(to));
  const std::string host_from = HostPath(from);
  const std::string host_to = HostPath(to);
  if (RetryOnEintr([&] { return ::rename(host_from.c_str(), host_to.c_str()); }) != 0) {
    return PosixErrorStatus(errno, "rename", absl::StrCat(from, "' to '", to));
  }
  return absl::OkStatus();
}

absl::Status PosixFileSystem::Delete(absl::string_view path) {
  RETURN_IF_ERROR(ValidatePath(path));
  const std::string host = HostPath(path);
  if (RetryOnEintr([&] { return ::unlink(host.c_str()); }) != 0) {
    return PosixErrorStatus(errno, "unlink", path);
  }
  return absl::OkStatus();
}

absl::Status PosixFileSystem::CreateDir(absl::string_view path) {
  RETURN_IF_ERROR(ValidatePath(path));
  const std::string host = HostPath(path);
  if (RetryOnEintr([&] { return ::mkdir(host.c_str(), kDirMode); }) == 0) return absl::OkStatus();
  const int error = errno;
  if (error == EEXIST && IsDir(path)) return absl::OkStatus();
  return PosixErrorStatus(error, "mkdir", path);
}

absl::Status PosixFileSystem::DeleteDir(absl::string_view path) {
  RETURN_IF_ERROR(ValidatePath(path));
  if (path == "/") return absl::InvalidArgumentError("cannot delete the root directory");
  const std::string host = HostPath(path);
  if (RetryOnEintr([&] { return ::rmdir(host.c_str()); }) != 0) {
    // POSIX lets rmdir(2) report a non-empty directory as EEXIST too.
    return PosixErrorStatus(errno == EEXIST ? ENOTEMPTY : errno, "rmdir", path);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> PosixFileSystem::List(absl::string_view dir) {
  RETURN_IF_ERROR(ValidatePath(dir));
  const std::string host = HostPath(dir);
  DIR* d = ::opendir(host.c_str());
  if (d == nullptr) return PosixErrorStatus(errno, "opendir", dir);
  std::vector<std::string> names;
  int error = 0;
  // readdir(3) returns each entry once, so the loop is bounded by the directory's size.
  while (true) {
    errno = 0;
    const struct dirent* entry = ::readdir(d);
    if (entry == nullptr) {
      error = errno;
      break;
    }
    const absl::string_view name(entry->d_name);
    if (name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  ::closedir(d);
  if (error != 0) return PosixErrorStatus(error, "readdir", dir);
  std::sort(names.begin(), names.end());
  return names;
}

absl::Status PosixFileSystem::SyncDir(absl::string_view dir) {
  RETURN_IF_ERROR(ValidatePath(dir));
  const std::string host = HostPath(dir);
  const int fd =
      RetryOnEintr([&] { return ::open(host.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
  if (fd < 0) return PosixErrorStatus(errno, "open directory", dir);
  const int rc = RetryOnEintr([&] { return ::fsync(fd); });
  const int error = errno;
  ::close(fd);
  if (rc != 0) return PosixErrorStatus(error, "fsync directory", dir);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> PosixFileSystem::FileSize(absl::string_view path) {
  RETURN_IF_ERROR(ValidatePath(path));
  ASSIGN_OR_RETURN(struct stat st, Stat(HostPath(path), "stat", path));
  if (S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat("is a directory: '", path, "'"));
  }
  KV_ASSERT(st.st_size >= 0);
  return static_cast<uint64_t>(st.st_size);
}

bool PosixFileSystem::Exists(absl::string_view path) {
  if (!ValidatePath(path).ok()) return false;
  return Stat(HostPath(path), "stat", path).ok();
}

bool PosixFileSystem::IsDir(absl::string_view path) {
  if (!ValidatePath(path).ok()) return false;
  absl::StatusOr<struct stat> st = Stat(HostPath(path), "stat", path);
  return st.ok() && S_ISDIR(st->st_mode);
}

}  // namespace kv::storage
