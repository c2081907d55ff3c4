// The disk seam's contract (storage/file_system.h), checked by one set of typed tests against every
// implementation: SimDisk, FaultyFileSystem with no faults, and PosixFileSystem on a temporary
// directory. Code tested in simulation must see the same results and error codes in production.
// Then tests of what only PosixFileSystem does: root mapping and errno mapping.
// What only a crash can show (durability) is tested on SimDisk in tests/sim/sim_disk_test.cc.
#include "storage/posix_file_system.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "support/file_test_util.h"
#include "support/status_test_util.h"
#include "net/random.h"
#include "net/status_macros.h"
#include "sim/faulty_file_system.h"
#include "sim/sim_disk.h"
#include "storage/file_system.h"

namespace kv::storage {
namespace {

using kv::testing::NoCreate;
using kv::testing::ReadFile;

constexpr absl::StatusCode kNotFound = absl::StatusCode::kNotFound;
constexpr absl::StatusCode kAlreadyExists = absl::StatusCode::kAlreadyExists;
constexpr absl::StatusCode kFailedPrecondition = absl::StatusCode::kFailedPrecondition;
constexpr absl::StatusCode kInvalidArgument = absl::StatusCode::kInvalidArgument;

// A fresh host directory under /tmp, removed with everything in it at destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/kv_posix_fs_test_XXXXXX";
    const char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr) << "mkdtemp: " << errno;
    path_ = made != nullptr ? made : "";
  }
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code error;
    std::filesystem::remove_all(path_, error);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// One FileSystem implementation under test, fresh and empty for each test.
struct SimDiskEnv {
  static constexpr const char* kName = "SimDisk";
  sim::SimDisk disk{sim::DiskOptions{}, Random(1), /*observer=*/nullptr};
  FileSystem& fs() { return disk; }
};

struct FaultyFileSystemEnv {
  static constexpr const char* kName = "FaultyFileSystem";
  sim::SimDisk disk{sim::DiskOptions{}, Random(1), /*observer=*/nullptr};
  sim::FaultyFileSystem faulty{&disk, sim::DiskFaultOptions{}, Random(2), /*sink=*/{}};
  FileSystem& fs() { return faulty; }
};

struct PosixEnv {
  static constexpr const char* kName = "Posix";
  TempDir dir;
  PosixFileSystem posix{dir.path().empty() ? "/nonexistent" : dir.path()};
  FileSystem& fs() { return posix; }
};

template <typename Env>
class FileSystemContractTest : public ::testing::Test {
 protected:
  FileSystem& fs() { return env_.fs(); }

 private:
  Env env_;
};

struct EnvName {
  template <typename Env>
  static std::string GetName(int) {
    return Env::kName;
  }
};

using Envs = ::testing::Types<SimDiskEnv, FaultyFileSystemEnv, PosixEnv>;
TYPED_TEST_SUITE(FileSystemContractTest, Envs, EnvName);

// Creates or replaces the file at `path` with `contents`.
absl::Status WriteFile(FileSystem& fs, absl::string_view path, absl::string_view contents) {
  OpenOptions options;
  options.truncate = true;
  ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs.Open(path, options));
  return file->Append(contents);
}

TYPED_TEST(FileSystemContractTest, ReadsSeeWritesAtOnce) {
  FileSystem& fs = this->fs();
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, fs.Open("/f", OpenOptions{}));
  EXPECT_EQ(file->path(), "/f");
  EXPECT_EQ(file->Size().value_or(99), 0u);
  KV_ASSERT_OK(file->Append("hello"));
  EXPECT_EQ(file->ReadAt(0, 5).value_or("<error>"), "hello");
  EXPECT_EQ(file->ReadAt(1, 100).value_or("<error>"), "ello");  // fewer at the end
  EXPECT_EQ(file->ReadAt(5, 10).value_or("<error>"), "");       // none past it
  EXPECT_EQ(file->ReadAt(1000, 10).value_or("<error>"), "");
  EXPECT_EQ(file->ReadAt(0, 0).value_or("<error>"), "");
  EXPECT_EQ(file->Size().value_or(0), 5u);
  EXPECT_EQ(fs.FileSize("/f").value_or(0), 5u);
  // Another handle sees the same bytes.
  EXPECT_EQ(ReadFile(fs, "/f").value_or("<error>"), "hello");
}

TYPED_TEST(FileSystemContractTest, AppendWritesAtTheEndWhateverWasWrittenBefore) {
  FileSystem& fs = this->fs();
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, fs.Open("/f", OpenOptions{}));
  KV_ASSERT_OK(file->Append("ab"));
  KV_ASSERT_OK(file->Append("cd"));
  KV_ASSERT_OK(file->WriteAt(1, "X"));
  KV_ASSERT_OK(file->Append("e"));
  EXPECT_EQ(ReadFile(fs, "/f").value_or("<error>"), "aXcde");
  // A second handle appends after what the first wrote.
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> second, fs.Open("/f", NoCreate()));
  KV_ASSERT_OK(second->Append("f"));
  KV_ASSERT_OK(file->Append("g"));
  EXPECT_EQ(ReadFile(fs, "/f").value_or("<error>"), "aXcdefg");
}

TYPED_TEST(FileSystemContractTest, WriteAtPastTheEndFillsTheGapWithZeros) {
  FileSystem& fs = this->fs();
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, fs.Open("/f", OpenOptions{}));
  KV_ASSERT_OK(file->Append("ab"));
  KV_ASSERT_OK(file->WriteAt(10, "xy"));
  EXPECT_EQ(file->Size().value_or(0), 12u);
  EXPECT_EQ(ReadFile(fs, "/f").value_or("<error>"), std::string("ab\0\0\0\0\0\0\0\0xy", 12));
  // Writing nothing past the end still extends the file.
  KV_ASSERT_OK(file->WriteAt(20, ""));
  EXPECT_EQ(file->Size().value_or(0), 20u);
}

TYPED_TEST(FileSystemContractTest, LargeWritesAndReadsRoundTrip) {
  FileSystem& fs = this->fs();
  Random random(7);
  std::string data(3 << 20, '\0');
  for (char& c : data) c = static_cast<char>(random.Uniform(256));
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, fs.Open("/big", OpenOptions{}));
  KV_ASSERT_OK(file->Append(data));
  KV_ASSERT_OK(file->Sync());
  EXPECT_TRUE(file->ReadAt(0, size_t{1} << 40).value_or("<error>") == data);
  EXPECT_TRUE(file->ReadAt(12345, 1 << 20).value_or("<error>") == data.substr(12345, 1 << 20));
}

TYPED_TEST(FileSystemContractTest, TruncateCutsOrZeroExtends) {
  FileSystem& fs = this->fs();
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, fs.Open("/f", OpenOptions{}));
  KV_ASSERT_OK(file->Append("abcdef"));
  KV_ASSERT_OK(file->Truncate(3));
  EXPECT_EQ(file->Size().value_or(0), 3u);
  EXPECT_EQ(ReadFile(fs, "/f").value_or("<error>"), "abc");
  KV_ASSERT_OK(file->Truncate(5));
  EXPECT_EQ(ReadFile(fs, "/f").value_or("<error>"), std::string("abc\0\0", 5));
  KV_ASSERT_OK(file->Append("z"));  // appends after the new end
  EXPECT_EQ(ReadFile(fs, "/f").value_or("<error>"), std::string("abc\0\0z", 6));
  KV_ASSERT_OK(file->Truncate(0));
  EXPECT_EQ(fs.FileSize("/f").value_or(99), 0u);
}

TYPED_TEST(FileSystemContractTest, OpenOptionsCreateTruncateAndExclusive) {
  FileSystem& fs = this->fs();
  EXPECT_EQ(fs.Open("/f", NoCreate()).status().code(), kNotFound);
  EXPECT_FALSE(fs.Exists("/f"));
  KV_ASSERT_OK(WriteFile(fs, "/f", "old"));

  OpenOptions exclusive;
  exclusive.exclusive = true;
  EXPECT_EQ(fs.Open("/f", exclusive).status().code(), kAlreadyExists);
  EXPECT_EQ(ReadFile(fs, "/f").value_or("<error>"), "old");
  KV_EXPECT_OK(fs.Open("/g", exclusive).status());
  EXPECT_TRUE(fs.Exists("/g"));

  // Opening an existing file keeps its bytes unless asked to truncate.
  KV_EXPECT_OK(fs.Open("/f", OpenOptions{}).status());
  EXPECT_EQ(ReadFile(fs, "/f").value_or("<error>"), "old");
  OpenOptions truncate;
  truncate.truncate = true;
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, fs.Open("/f", truncate));
  EXPECT_EQ(file->Size().value_or(99), 0u);
}

TYPED_TEST(FileSystemContractTest, OpenNeedsAParentDirectoryAndAFile) {
  FileSystem& fs = this->fs();
  EXPECT_EQ(fs.Open("/missing/f", OpenOptions{}).status().code(), kNotFound);
  EXPECT_FALSE(fs.Exists("/missing"));
  KV_ASSERT_OK(WriteFile(fs, "/file", "x"));
  EXPECT_EQ(fs.Open("/file/f", OpenOptions{}).status().code(), kFailedPrecondition);
  KV_ASSERT_OK(fs.CreateDir("/d"));
  EXPECT_EQ(fs.Open("/d", OpenOptions{}).status().code(), kFailedPrecondition);
  EXPECT_EQ(fs.Open("/", OpenOptions{}).status().code(), kFailedPrecondition);
}

TYPED_TEST(FileSystemContractTest, MalformedPathsAreInvalidArgument) {
  FileSystem& fs = this->fs();
  KV_ASSERT_OK(WriteFile(fs, "/ok", "x"));
  for (const char* bad : {"", "relative", "ok", "/d/", "/a//b", "/./ok", "/a/../ok", "/..", "//"}) {
    SCOPED_TRACE(absl::StrCat("path '", bad, "'"));
    EXPECT_EQ(fs.Open(bad, OpenOptions{}).status().code(), kInvalidArgument);
    EXPECT_EQ(fs.Rename(bad, "/x").code(), kInvalidArgument);
    EXPECT_EQ(fs.Rename("/ok", bad).code(), kInvalidArgument);
    EXPECT_EQ(fs.Delete(bad).code(), kInvalidArgument);
    EXPECT_EQ(fs.CreateDir(bad).code(), kInvalidArgument);
    EXPECT_EQ(fs.DeleteDir(bad).code(), kInvalidArgument);
    EXPECT_EQ(fs.List(bad).status().code(), kInvalidArgument);
    EXPECT_EQ(fs.SyncDir(bad).code(), kInvalidArgument);
    EXPECT_EQ(fs.FileSize(bad).status().code(), kInvalidArgument);
    EXPECT_FALSE(fs.Exists(bad));
    EXPECT_FALSE(fs.IsDir(bad));
  }
  // Nothing was created or moved.
  EXPECT_EQ(fs.List("/").value_or(std::vector<std::string>{"<error>"}),
            std::vector<std::string>{"ok"});
}

TYPED_TEST(FileSystemContractTest, ListGivesSortedNamesOfDirectChildren) {
  FileSystem& fs = this->fs();
  EXPECT_EQ(fs.List("/").value_or(std::vector<std::string>{"<error>"}), std::vector<std::string>{});
  for (const char* name : {"/c", "/a-b", "/b", "/a"}) KV_ASSERT_OK(WriteFile(fs, name, "x"));
  KV_ASSERT_OK(fs.CreateDir("/a.d"));
  KV_ASSERT_OK(WriteFile(fs, "/a.d/inner", "x"));
  KV_ASSERT_OK(fs.CreateDir("/a.d/sub"));
  const std::vector<std::string> root = {"a", "a-b", "a.d", "b", "c"};
  EXPECT_EQ(fs.List("/").value_or(std::vector<std::string>{"<error>"}), root);
  const std::vector<std::string> inner = {"inner", "sub"};
  EXPECT_EQ(fs.List("/a.d").value_or(std::vector<std::string>{"<error>"}), inner);
  EXPECT_EQ(fs.List("/a.d/sub").value_or(std::vector<std::string>{"<error>"}),
            std::vector<std::string>{});
  EXPECT_EQ(fs.List("/missing").status().code(), kNotFound);
  EXPECT_EQ(fs.List("/a").status().code(), kFailedPrecondition);
}

TYPED_TEST(FileSystemContractTest, CreateDirAndDeleteDir) {
  FileSystem& fs = this->fs();
  KV_ASSERT_OK(fs.CreateDir("/d"));
  KV_EXPECT_OK(fs.CreateDir("/d"));  // OK if it exists already
  KV_EXPECT_OK(fs.CreateDir("/"));
  EXPECT_TRUE(fs.IsDir("/d"));
  EXPECT_TRUE(fs.Exists("/d"));
  EXPECT_TRUE(fs.IsDir("/"));
  EXPECT_EQ(fs.CreateDir("/x/y").code(), kNotFound);
  KV_ASSERT_OK(fs.CreateDir("/d/e"));
  KV_ASSERT_OK(WriteFile(fs, "/d/e/f", "x"));
  EXPECT_EQ(fs.CreateDir("/d/e/f").code(), kAlreadyExists);
  EXPECT_FALSE(fs.IsDir("/d/e/f"));

  EXPECT_EQ(fs.DeleteDir("/d/e").code(), kFailedPrecondition);  // not empty
  EXPECT_TRUE(fs.IsDir("/d/e"));
  KV_ASSERT_OK(fs.Delete("/d/e/f"));
  KV_EXPECT_OK(fs.DeleteDir("/d/e"));
  EXPECT_FALSE(fs.Exists("/d/e"));
  EXPECT_EQ(fs.DeleteDir("/d/e").code(), kNotFound);
  EXPECT_EQ(fs.DeleteDir("/").code(), kInvalidArgument);
  KV_ASSERT_OK(WriteFile(fs, "/file", "x"));
  EXPECT_EQ(fs.DeleteDir("/file").code(), kFailedPrecondition);
  EXPECT_TRUE(fs.Exists("/file"));
}

TYPED_TEST(FileSystemContractTest, RenameMovesAndReplaces) {
  FileSystem& fs = this->fs();
  KV_ASSERT_OK(WriteFile(fs, "/a", "A"));
  KV_ASSERT_OK(WriteFile(fs, "/b", "B"));
  KV_ASSERT_OK(fs.Rename("/a", "/b"));
  EXPECT_FALSE(fs.Exists("/a"));
  EXPECT_EQ(ReadFile(fs, "/b").value_or("<error>"), "A");
  EXPECT_EQ(fs.List("/").value_or(std::vector<std::string>{"<error>"}),
            std::vector<std::string>{"b"});

  KV_ASSERT_OK(fs.CreateDir("/d"));
  KV_ASSERT_OK(fs.Rename("/b", "/d/c"));  // across directories
  EXPECT_EQ(ReadFile(fs, "/d/c").value_or("<error>"), "A");
  KV_EXPECT_OK(fs.Rename("/d/c", "/d/c"));  // onto itself: nothing changes
  EXPECT_EQ(ReadFile(fs, "/d/c").value_or("<error>"), "A");

  EXPECT_EQ(fs.Rename("/missing", "/x").code(), kNotFound);
  EXPECT_EQ(fs.Rename("/d/c", "/nodir/c").code(), kNotFound);
  KV_ASSERT_OK(fs.CreateDir("/e"));
  EXPECT_EQ(fs.Rename("/d/c", "/e").code(), kFailedPrecondition);  // target is a directory
  EXPECT_EQ(ReadFile(fs, "/d/c").value_or("<error>"), "A");
}

TYPED_TEST(FileSystemContractTest, OpenHandleFollowsItsFileThroughRenameAndDelete) {
  FileSystem& fs = this->fs();
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, fs.Open("/a", OpenOptions{}));
  KV_ASSERT_OK(file->Append("one"));
  KV_ASSERT_OK(fs.Rename("/a", "/b"));
  KV_ASSERT_OK(file->Append("two"));
  EXPECT_EQ(ReadFile(fs, "/b").value_or("<error>"), "onetwo");
  EXPECT_EQ(file->path(), "/a");  // the path it was opened with

  KV_ASSERT_OK(fs.Delete("/b"));
  EXPECT_FALSE(fs.Exists("/b"));
  KV_EXPECT_OK(file->Append("three"));
  EXPECT_EQ(file->ReadAt(0, 100).value_or("<error>"), "onetwothree");
  KV_EXPECT_OK(file->Sync());
}

TYPED_TEST(FileSystemContractTest, DeleteRemovesFilesOnly) {
  FileSystem& fs = this->fs();
  KV_ASSERT_OK(WriteFile(fs, "/a", "A"));
  KV_ASSERT_OK(fs.Delete("/a"));
  EXPECT_FALSE(fs.Exists("/a"));
  EXPECT_EQ(fs.FileSize("/a").status().code(), kNotFound);
  EXPECT_EQ(fs.Open("/a", NoCreate()).status().code(), kNotFound);
  EXPECT_EQ(fs.Delete("/a").code(), kNotFound);
  KV_ASSERT_OK(fs.CreateDir("/d"));
  EXPECT_EQ(fs.Delete("/d").code(), kFailedPrecondition);
  EXPECT_TRUE(fs.IsDir("/d"));
}

TYPED_TEST(FileSystemContractTest, SyncAndSyncDir) {
  FileSystem& fs = this->fs();
  KV_ASSERT_OK(fs.CreateDir("/d"));
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, fs.Open("/d/f", OpenOptions{}));
  KV_ASSERT_OK(file->Append("data"));
  KV_EXPECT_OK(file->Sync());
  KV_EXPECT_OK(file->Sync());  // nothing new: still OK
  KV_EXPECT_OK(fs.SyncDir("/d"));
  KV_EXPECT_OK(fs.SyncDir("/"));
  EXPECT_EQ(fs.SyncDir("/missing").code(), kNotFound);
  EXPECT_EQ(fs.SyncDir("/d/f").code(), kFailedPrecondition);
  EXPECT_EQ(ReadFile(fs, "/d/f").value_or("<error>"), "data");
}

TYPED_TEST(FileSystemContractTest, FileSizeExistsAndIsDir) {
  FileSystem& fs = this->fs();
  KV_ASSERT_OK(WriteFile(fs, "/f", "12345"));
  KV_ASSERT_OK(fs.CreateDir("/d"));
  EXPECT_EQ(fs.FileSize("/f").value_or(0), 5u);
  EXPECT_EQ(fs.FileSize("/d").status().code(), kFailedPrecondition);
  EXPECT_EQ(fs.FileSize("/g").status().code(), kNotFound);
  EXPECT_TRUE(fs.Exists("/f"));
  EXPECT_FALSE(fs.IsDir("/f"));
  EXPECT_TRUE(fs.Exists("/d"));
  EXPECT_TRUE(fs.IsDir("/d"));
  EXPECT_FALSE(fs.Exists("/g"));
  EXPECT_FALSE(fs.IsDir("/g"));
  EXPECT_FALSE(fs.Exists("/f/x"));
}

// --- What only PosixFileSystem does. ---

std::string ReadHostFile(const std::string& host_path) {
  std::ifstream in(host_path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(PosixFileSystemTest, SeamPathsMapUnderTheRoot) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  PosixFileSystem fs(dir.path() + "/");  // a trailing '/' is ignored
  EXPECT_EQ(fs.root(), dir.path());
  EXPECT_EQ(fs.HostPath("/"), dir.path());
  EXPECT_EQ(fs.HostPath("/wal/1.log"), dir.path() + "/wal/1.log");
  KV_ASSERT_OK(fs.CreateDir("/wal"));
  KV_ASSERT_OK(WriteFile(fs, "/wal/1.log", "entry"));
  EXPECT_EQ(ReadHostFile(dir.path() + "/wal/1.log"), "entry");
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() + "/wal"));
  EXPECT_EQ(PosixFileSystem("/").HostPath("/tmp"), "/tmp");
}

TEST(PosixFileSystemTest, SyncedDataIsThereForTheNextProcess) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  {
    PosixFileSystem fs(dir.path());
    KV_ASSERT_OK(fs.CreateDir("/data"));
    KV_ASSERT_OK(fs.SyncDir("/"));
    KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, fs.Open("/data/log", OpenOptions{}));
    KV_ASSERT_OK(file->Append("durable"));
    KV_ASSERT_OK(file->Sync());
    KV_ASSERT_OK(fs.SyncDir("/data"));
  }
  PosixFileSystem restarted(dir.path());
  EXPECT_EQ(ReadFile(restarted, "/data/log").value_or("<error>"), "durable");
}

TEST(PosixFileSystemTest, MissingRootFailsWithNotFound) {
  PosixFileSystem fs("/nonexistent/kv_posix_fs_test_root");
  EXPECT_EQ(fs.Open("/f", OpenOptions{}).status().code(), kNotFound);
  EXPECT_EQ(fs.List("/").status().code(), kNotFound);
  EXPECT_FALSE(fs.Exists("/"));
}

TEST(PosixFileSystemTest, FullDiskIsResourceExhausted) {
  // /dev/full fails every write with ENOSPC.
  if (::access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no writable /dev/full";
  PosixFileSystem dev("/dev");
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> full, dev.Open("/full", NoCreate()));
  const absl::Status status = full->Append("x");
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "ENOSPC")) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "/full")) << status;
}

TEST(PosixFileSystemTest, ErrnoMapsToTheDocumentedCodes) {
  struct Case {
    int error;
    absl::StatusCode code;
    const char* must_contain;
  };
  const Case cases[] = {
      {ENOENT, absl::StatusCode::kNotFound, "No such file"},
      {EEXIST, absl::StatusCode::kAlreadyExists, "exists"},
      {EIO, absl::StatusCode::kUnavailable, "EIO"},
      {ENOSPC, absl::StatusCode::kResourceExhausted, "ENOSPC"},
      {EDQUOT, absl::StatusCode::kResourceExhausted, "ENOSPC"},
      {ENOTDIR, absl::StatusCode::kFailedPrecondition, "Not a directory"},
      {EISDIR, absl::StatusCode::kFailedPrecondition, "Is a directory"},
      {ENOTEMPTY, absl::StatusCode::kFailedPrecondition, "not empty"},
      {EACCES, absl::StatusCode::kInternal, "Permission denied"},
      {EROFS, absl::StatusCode::kInternal, "Read-only"},
  };
  for (const Case& c : cases) {
    const absl::Status status = PosixErrorStatus(c.error, "op", "/some/path");
    EXPECT_EQ(status.code(), c.code) << status;
    EXPECT_TRUE(absl::StrContains(status.message(), c.must_contain)) << status;
    EXPECT_TRUE(absl::StrContains(status.message(), "/some/path")) << status;
  }
}

}  // namespace
}  // namespace kv::storage
