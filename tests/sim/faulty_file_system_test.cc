// Tests of FaultyFileSystem (sim/faulty_file_system.h): each named fault does what the node must
// survive (a failed write wrote nothing, a failed sync lost the data, a bit flip changes exactly one
// bit), each injected fault reaches the FaultSink with its kind, and a seed fixes the faults.
// Without faults it must meet the seam contract; tests/storage/posix_file_system_test.cc checks that.
#include "sim/faulty_file_system.h"

#include <algorithm>
#include <memory>
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
#include "sim/sim_disk.h"
#include "storage/file_system.h"

namespace kv::sim {
namespace {

using storage::File;
using storage::FileSystem;
using storage::OpenOptions;
using kv::testing::BitsDiffering;
using kv::testing::NoCreate;
using kv::testing::Pattern;
using kv::testing::ReadFile;


// A SimDisk with a FaultyFileSystem on top whose sink records "kind path" for each fault.
struct Rig {
  explicit Rig(DiskFaultOptions options, uint64_t seed = 1)
      : disk(DiskOptions{}, Random(seed), /*observer=*/nullptr),
        fs(&disk, options, Random(seed).Fork("disk_faults"),
           [this](absl::string_view kind, absl::string_view path) {
             faults.push_back(absl::StrCat(kind, " ", path));
           }) {}
  Rig(const Rig&) = delete;
  Rig& operator=(const Rig&) = delete;

  SimDisk disk;
  FaultyFileSystem fs;
  std::vector<std::string> faults;
};

TEST(FaultyFileSystemTest, WriteErrorFailsWithEioAndWritesNothing) {
  Rig rig(DiskFaultOptions{.write_error_probability = 1});
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, rig.fs.Open("/f", OpenOptions{}));
  const absl::Status append = file->Append("data");
  EXPECT_EQ(append.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(append.message(), "EIO")) << append;
  EXPECT_EQ(file->WriteAt(10, "data").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(file->Size().value_or(99), 0u);
  EXPECT_EQ(ReadFile(rig.disk, "/f").value_or("<error>"), "");
  EXPECT_EQ(rig.disk.unsynced_bytes(), 0u);
  EXPECT_EQ(rig.faults, (std::vector<std::string>{"disk_eio_write /f", "disk_eio_write /f"}));

  rig.fs.set_options(DiskFaultOptions{});
  KV_EXPECT_OK(file->Append("data"));
  EXPECT_EQ(ReadFile(rig.disk, "/f").value_or("<error>"), "data");
}

TEST(FaultyFileSystemTest, SyncErrorFailsAndTheDataIsLostAtCrashEvenAfterALaterSync) {
  Rig rig(DiskFaultOptions{});
  {
    KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, rig.fs.Open("/f", OpenOptions{}));
    KV_ASSERT_OK(file->Append("base"));
    KV_ASSERT_OK(file->Sync());
    KV_ASSERT_OK(rig.fs.SyncDir("/"));
  }
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, rig.fs.Open("/f", NoCreate()));
  KV_ASSERT_OK(file->Append("unsynced"));
  rig.fs.set_options(DiskFaultOptions{.sync_error_probability = 1});
  const absl::Status sync = file->Sync();
  EXPECT_EQ(sync.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(sync.message(), "EIO")) << sync;
  EXPECT_EQ(rig.fs.SyncDir("/").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(rig.faults, (std::vector<std::string>{"disk_eio_sync /f", "disk_eio_syncdir /"}));
  // Readable until the crash...
  EXPECT_EQ(file->ReadAt(0, 100).value_or("<error>"), "baseunsynced");

  // ...and a later successful sync does not bring the bytes back.
  rig.fs.set_options(DiskFaultOptions{});
  KV_EXPECT_OK(file->Sync());
  rig.disk.Crash();
  EXPECT_EQ(ReadFile(rig.fs, "/f").value_or("<error>"), "base");
}

TEST(FaultyFileSystemTest, NoSpaceIsResourceExhaustedAndWritesNothing) {
  Rig rig(DiskFaultOptions{.no_space_probability = 1});
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, rig.fs.Open("/f", OpenOptions{}));
  const absl::Status append = file->Append("data");
  EXPECT_EQ(append.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(append.message(), "ENOSPC")) << append;
  EXPECT_EQ(file->WriteAt(0, "data").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReadFile(rig.disk, "/f").value_or("<error>"), "");
  EXPECT_EQ(rig.disk.used_bytes(), 0u);
  EXPECT_EQ(rig.faults, (std::vector<std::string>{"disk_enospc /f", "disk_enospc /f"}));
}

TEST(FaultyFileSystemTest, WriteBitFlipStoresEachWriteWithExactlyOneBitFlipped) {
  Rig rig(DiskFaultOptions{.write_bit_flip_probability = 1});
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, rig.fs.Open("/f", OpenOptions{}));
  const int writes = 20;
  const size_t chunk = 50;
  std::string written;
  for (int i = 0; i < writes; ++i) {
    const std::string data = Pattern(chunk, i);
    KV_ASSERT_OK(file->Append(data));  // the caller is not told
    written += data;
  }
  KV_ASSERT_OK(file->Sync());
  KV_ASSERT_OK(rig.fs.SyncDir("/"));
  KV_ASSERT_OK_AND_ASSIGN(std::string stored, ReadFile(rig.disk, "/f"));
  ASSERT_EQ(stored.size(), written.size());
  for (int i = 0; i < writes; ++i) {
    EXPECT_EQ(BitsDiffering(stored.substr(i * chunk, chunk), written.substr(i * chunk, chunk)), 1)
        << "write " << i;
  }
  EXPECT_EQ(rig.disk.DurableContents("/f").value_or("<error>"), stored);
  EXPECT_EQ(rig.faults.size(), static_cast<size_t>(writes));
  EXPECT_EQ(rig.faults.front(), "disk_bitflip_write /f");
}

TEST(FaultyFileSystemTest, ReadBitFlipCorruptsWhatIsReadButNotWhatIsStored) {
  Rig rig(DiskFaultOptions{});
  const std::string data = Pattern(64, 1);
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, rig.fs.Open("/f", OpenOptions{}));
  KV_ASSERT_OK(file->Append(data));
  rig.fs.set_options(DiskFaultOptions{.read_bit_flip_probability = 1});
  std::vector<std::string> reads;
  for (int i = 0; i < 20; ++i) {
    KV_ASSERT_OK_AND_ASSIGN(std::string read, file->ReadAt(0, 64));
    EXPECT_EQ(BitsDiffering(read, data), 1);
    reads.push_back(read);
  }
  // Transient: different reads flip different bits, and the stored bytes are intact.
  std::sort(reads.begin(), reads.end());
  EXPECT_GT(std::unique(reads.begin(), reads.end()) - reads.begin(), 1);
  EXPECT_EQ(ReadFile(rig.disk, "/f").value_or("<error>"), data);
  EXPECT_EQ(rig.faults.size(), 20u);
  EXPECT_EQ(rig.faults.front(), "disk_bitflip_read /f");
  // Reading nothing has no bit to flip.
  EXPECT_EQ(file->ReadAt(64, 10).value_or("<error>"), "");
  EXPECT_EQ(rig.faults.size(), 20u);
}

TEST(FaultyFileSystemTest, ReadErrorFailsWithEio) {
  Rig rig(DiskFaultOptions{});
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, rig.fs.Open("/f", OpenOptions{}));
  KV_ASSERT_OK(file->Append("data"));
  rig.fs.set_options(DiskFaultOptions{.read_error_probability = 1});
  const absl::StatusOr<std::string> read = file->ReadAt(0, 4);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(read.status().message(), "EIO")) << read.status();
  EXPECT_EQ(rig.faults, std::vector<std::string>{"disk_eio_read /f"});
}

TEST(FaultyFileSystemTest, FaultsWithoutASinkStillHappen) {
  SimDisk disk(DiskOptions{}, Random(1), /*observer=*/nullptr);
  FaultyFileSystem fs(&disk, DiskFaultOptions{.write_error_probability = 1}, Random(2), FaultSink());
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, fs.Open("/f", OpenOptions{}));
  EXPECT_EQ(file->Append("x").code(), absl::StatusCode::kUnavailable);
}

TEST(FaultyFileSystemTest, ZeroProbabilitiesInjectNothing) {
  Rig rig(DiskFaultOptions{});
  EXPECT_FALSE(rig.fs.options().any());
  KV_ASSERT_OK(rig.fs.CreateDir("/d"));
  std::string expected;
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, rig.fs.Open("/d/f", OpenOptions{}));
  for (int i = 0; i < 1000; ++i) {
    const std::string data = Pattern(16, i);
    KV_ASSERT_OK(file->Append(data));
    expected += data;
    KV_ASSERT_OK(file->WriteAt(i, "w"));
    expected[i] = 'w';
    KV_ASSERT_OK_AND_ASSIGN(std::string read, file->ReadAt(0, expected.size()));
    ASSERT_TRUE(read == expected) << "op " << i;
    if (i % 10 == 0) {
      KV_ASSERT_OK(file->Sync());
      KV_ASSERT_OK(rig.fs.SyncDir("/d"));
    }
  }
  KV_ASSERT_OK(file->Sync());
  EXPECT_TRUE(rig.disk.DurableContents("/d/f").value_or("<error>") == expected);
  EXPECT_TRUE(rig.faults.empty()) << rig.faults.front();
}

TEST(FaultyFileSystemTest, FaultsHappenAtTheirProbability) {
  Rig rig(DiskFaultOptions{.write_error_probability = 0.25});
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, rig.fs.Open("/f", OpenOptions{}));
  const int appends = 4000;
  int failed = 0;
  for (int i = 0; i < appends; ++i) failed += file->Append("x").ok() ? 0 : 1;
  EXPECT_GT(failed, 800);  // 1000 expected; 200 is more than six standard deviations
  EXPECT_LT(failed, 1200);
  EXPECT_EQ(rig.faults.size(), static_cast<size_t>(failed));
  EXPECT_EQ(file->Size().value_or(0), static_cast<uint64_t>(appends - failed));
}

// A transcript of a fault-heavy workload on a rig seeded `seed`: each call's result, each fault,
// and what a crash left.
std::string FaultTranscript(uint64_t seed) {
  const double p = 0.15;
  Rig rig(DiskFaultOptions{.read_error_probability = p,
                           .write_error_probability = p,
                           .sync_error_probability = p,
                           .no_space_probability = p,
                           .write_bit_flip_probability = p,
                           .read_bit_flip_probability = p},
          seed);
  std::string out;
  auto file = rig.fs.Open("/f", OpenOptions{});
  if (!file.ok()) return file.status().ToString();
  for (int i = 0; i < 300; ++i) {
    absl::StrAppend(&out, static_cast<int>((*file)->Append(Pattern(100, i)).code()), ",");
    absl::StrAppend(&out, (*file)->ReadAt(i, 50).value_or("<error>"), ",");
    if (i % 7 == 0) absl::StrAppend(&out, static_cast<int>((*file)->Sync().code()), ",");
    if (i % 31 == 0) absl::StrAppend(&out, static_cast<int>(rig.fs.SyncDir("/").code()), ",");
  }
  rig.disk.Crash();
  for (const std::string& fault : rig.faults) absl::StrAppend(&out, fault, ";");
  absl::StrAppend(&out, "|", rig.faults.size(), "|", ReadFile(rig.fs, "/f").value_or("<missing>"));
  return out;
}

TEST(FaultyFileSystemTest, SameSeedSameFaultsDifferentSeedDifferentFaults) {
  const std::string first = FaultTranscript(3);
  EXPECT_TRUE(absl::StrContains(first, "disk_eio_write"));
  EXPECT_TRUE(absl::StrContains(first, "disk_bitflip_read"));
  EXPECT_TRUE(first == FaultTranscript(3));
  EXPECT_FALSE(first == FaultTranscript(4));
}

}  // namespace
}  // namespace kv::sim
