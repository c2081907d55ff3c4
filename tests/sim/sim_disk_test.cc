// Tests of SimDisk's durability model (sim/sim_disk.h): what a crash keeps and what it loses, stale
// handles, failed syncs, capacity and bit flips. Crash choices are random, so crash tests run over
// many seeds and check that every outcome is an allowed one and that each allowed outcome happens.
// The seam contract every FileSystem meets (read/write/rename/list/error codes) is checked against
// SimDisk too, by the typed tests in tests/storage/posix_file_system_test.cc.
#include "sim/sim_disk.h"

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


// Crash choices are random per seed; this many seeds sees every outcome many times over.
constexpr uint64_t kSeeds = 200;

// Creates (or replaces the contents of) `path` with `contents` and makes both durable: the file is
// synced and so is its directory.
absl::Status WriteDurableFile(FileSystem& fs, absl::string_view path, absl::string_view contents) {
  OpenOptions options;
  options.truncate = true;
  ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs.Open(path, options));
  RETURN_IF_ERROR(file->Append(contents));
  RETURN_IF_ERROR(file->Sync());
  return fs.SyncDir(storage::ParentDir(path));
}

TEST(SimDiskCrashTest, SyncedBytesAndNamesSurviveEveryCrash) {
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    SimDisk disk(DiskOptions{}, Random(seed), /*observer=*/nullptr);
    KV_ASSERT_OK(disk.CreateDir("/d"));
    KV_ASSERT_OK(disk.SyncDir("/"));
    KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, disk.Open("/d/f", OpenOptions{}));
    // Appends, an overwrite, a cut and a zero-filled extension, then one sync.
    std::string expected = Pattern(5000, 1);
    KV_ASSERT_OK(file->Append(expected));
    KV_ASSERT_OK(file->WriteAt(100, "overwritten"));
    expected.replace(100, 11, "overwritten");
    KV_ASSERT_OK(file->Truncate(4000));
    expected.resize(4000);
    KV_ASSERT_OK(file->WriteAt(4500, "tail"));
    expected += std::string(500, '\0') + "tail";
    KV_ASSERT_OK(file->Sync());
    KV_ASSERT_OK(disk.SyncDir("/d"));
    EXPECT_EQ(disk.DurableContents("/d/f").value_or("<missing>"), expected);
    // A second file, synced, then grown with writes that are not synced.
    KV_ASSERT_OK(WriteDurableFile(disk, "/d/g", "synced part"));
    KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> g, disk.Open("/d/g", NoCreate()));
    KV_ASSERT_OK(g->Append(Pattern(3000, 2)));

    disk.Crash();

    EXPECT_EQ(ReadFile(disk, "/d/f").value_or("<missing>"), expected);
    KV_ASSERT_OK_AND_ASSIGN(std::string g_after, ReadFile(disk, "/d/g"));
    EXPECT_TRUE(absl::StartsWith(g_after, "synced part")) << g_after.size() << " bytes";
    EXPECT_TRUE(disk.IsDir("/d"));
  }
}

// What a crash left of a file whose durable bytes were followed by unsynced appends.
enum class Kept { kNone, kAll, kPrefix, kTorn, kNotAllowed };

// Classifies `got` against the outcomes the model allows for `durable` followed by the unsynced
// appends `writes`: none of them, all, a prefix of whole writes, or a prefix followed by the next
// write cut at its start or at a sector boundary (in file offsets) inside it, with the rest of that
// sector (up to the write's end) possibly garbage.
Kept ClassifyCrashOfAppends(const std::string& durable, const std::vector<std::string>& writes,
                            uint64_t sector_bytes, const std::string& got) {
  std::string full = durable;
  std::vector<uint64_t> ends = {durable.size()};
  for (const std::string& w : writes) {
    full += w;
    ends.push_back(full.size());
  }
  if (got == durable) return Kept::kNone;
  if (got == full) return Kept::kAll;
  for (size_t i = 1; i + 1 < ends.size(); ++i) {
    if (got == full.substr(0, ends[i])) return Kept::kPrefix;
  }
  for (size_t j = 0; j < writes.size(); ++j) {
    const uint64_t begin = ends[j];
    const uint64_t end = ends[j + 1];
    for (uint64_t cut = begin; cut < end; cut = (cut / sector_bytes + 1) * sector_bytes) {
      if (got.size() < cut || got.compare(0, cut, full, 0, cut) != 0) continue;
      const uint64_t garbage_end = std::min(end, (cut / sector_bytes + 1) * sector_bytes);
      if (got.size() == cut || got.size() == garbage_end) return Kept::kTorn;
    }
  }
  return Kept::kNotAllowed;
}

TEST(SimDiskCrashTest, UnsyncedAppendsSurviveAsNoneAllPrefixOrTornPrefix) {
  const uint64_t sector = 512;
  // Lengths chosen so that no write starts or ends on a sector boundary.
  const std::string durable = Pattern(700, 1);
  const std::vector<std::string> writes = {Pattern(300, 2), Pattern(1500, 3), Pattern(2000, 4)};
  int seen[5] = {};
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    SimDisk disk(DiskOptions{.sector_bytes = sector}, Random(seed), /*observer=*/nullptr);
    KV_ASSERT_OK(WriteDurableFile(disk, "/f", durable));
    KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, disk.Open("/f", NoCreate()));
    for (const std::string& w : writes) KV_ASSERT_OK(file->Append(w));
    EXPECT_EQ(disk.unsynced_bytes(), 3800u);

    const CrashOutcome outcome = disk.Crash();

    EXPECT_EQ(outcome.files_with_unsynced_writes, 1u);
    KV_ASSERT_OK_AND_ASSIGN(std::string got, ReadFile(disk, "/f"));
    const Kept kept = ClassifyCrashOfAppends(durable, writes, sector, got);
    EXPECT_NE(kept, Kept::kNotAllowed) << "a crash left " << got.size() << " bytes";
    ++seen[static_cast<int>(kept)];
    EXPECT_EQ(disk.unsynced_bytes(), 0u);
    EXPECT_EQ(disk.DurableContents("/f").value_or("<missing>"), got);
  }
  EXPECT_GT(seen[static_cast<int>(Kept::kNone)], 0);
  EXPECT_GT(seen[static_cast<int>(Kept::kAll)], 0);
  EXPECT_GT(seen[static_cast<int>(Kept::kPrefix)], 0);
  EXPECT_GT(seen[static_cast<int>(Kept::kTorn)], 0);
}

TEST(SimDiskCrashTest, TornWriteKeepsTheWriteOnlyUpToASectorBoundary) {
  const uint64_t sector = 512;
  const uint64_t begin = 100;
  const std::string write = Pattern(10 * 1024, 7);
  const uint64_t end = begin + write.size();
  const std::string all = std::string(begin, '\0') + write;
  int torn_inside = 0;
  int torn_with_garbage = 0;
  int kept_all = 0;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    SimDisk disk(DiskOptions{.sector_bytes = sector}, Random(seed), /*observer=*/nullptr);
    KV_ASSERT_OK(WriteDurableFile(disk, "/f", ""));
    KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, disk.Open("/f", NoCreate()));
    KV_ASSERT_OK(file->WriteAt(begin, write));
    disk.Crash();
    KV_ASSERT_OK_AND_ASSIGN(std::string got, ReadFile(disk, "/f"));
    if (got.empty()) continue;
    if (got == all) {
      ++kept_all;
      continue;
    }
    // Torn: the zero gap before the write, the write up to `cut`, then nothing or garbage up to
    // the end of the sector holding `cut` (never past the write). `cut` is the write's start or a
    // sector boundary inside the write.
    bool allowed = false;
    for (uint64_t cut = begin; cut < end && !allowed; cut = (cut / sector + 1) * sector) {
      if (got.size() < cut || got.compare(0, cut, all, 0, cut) != 0) continue;
      const uint64_t garbage_end = std::min(end, (cut / sector + 1) * sector);
      if (got.size() != cut && got.size() != garbage_end) continue;
      allowed = true;
      if (cut > begin) ++torn_inside;
      if (got.size() > cut) ++torn_with_garbage;
    }
    EXPECT_TRUE(allowed) << "a crash left " << got.size() << " bytes";
  }
  EXPECT_GT(kept_all, 0);
  EXPECT_GT(torn_inside, 0);
  EXPECT_GT(torn_with_garbage, 0);
}

TEST(SimDiskCrashTest, CreatedFileMayVanishUntilItsDirectoryIsSynced) {
  int vanished = 0;
  int survived = 0;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    SimDisk disk(DiskOptions{}, Random(seed), /*observer=*/nullptr);
    KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, disk.Open("/f", OpenOptions{}));
    KV_ASSERT_OK(file->Append("data"));
    KV_ASSERT_OK(file->Sync());  // the bytes are durable, the name is not
    disk.Crash();
    if (disk.Exists("/f")) {
      ++survived;
      EXPECT_EQ(ReadFile(disk, "/f").value_or("<missing>"), "data");
    } else {
      ++vanished;
      EXPECT_TRUE(disk.List("/").value().empty());
    }
  }
  EXPECT_GT(vanished, 0);
  EXPECT_GT(survived, 0);

  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    SimDisk disk(DiskOptions{}, Random(seed), /*observer=*/nullptr);
    KV_ASSERT_OK(WriteDurableFile(disk, "/f", "data"));
    disk.Crash();
    EXPECT_EQ(ReadFile(disk, "/f").value_or("<missing>"), "data");
  }
}

TEST(SimDiskCrashTest, FileInANewDirectoryVanishesWithTheDirectory) {
  int vanished = 0;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    SimDisk disk(DiskOptions{}, Random(seed), /*observer=*/nullptr);
    KV_ASSERT_OK(disk.CreateDir("/d"));                  // "/" is never synced
    KV_ASSERT_OK(WriteDurableFile(disk, "/d/f", "data"));  // syncs "/d"
    disk.Crash();
    EXPECT_EQ(disk.IsDir("/d"), disk.Exists("/d/f"));
    if (!disk.IsDir("/d")) ++vanished;
  }
  EXPECT_GT(vanished, 0);

  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    SimDisk disk(DiskOptions{}, Random(seed), /*observer=*/nullptr);
    KV_ASSERT_OK(disk.CreateDir("/d"));
    KV_ASSERT_OK(disk.SyncDir("/"));
    KV_ASSERT_OK(WriteDurableFile(disk, "/d/f", "data"));
    disk.Crash();
    EXPECT_EQ(ReadFile(disk, "/d/f").value_or("<missing>"), "data") << "seed " << seed;
  }
}

TEST(SimDiskCrashTest, RenameMayBeUndoneUntilTheDirectoryIsSynced) {
  int undone = 0;
  int kept = 0;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    SimDisk disk(DiskOptions{}, Random(seed), /*observer=*/nullptr);
    KV_ASSERT_OK(WriteDurableFile(disk, "/a", "A"));
    KV_ASSERT_OK(WriteDurableFile(disk, "/b", "B"));
    KV_ASSERT_OK(disk.Rename("/a", "/b"));
    disk.Crash();
    const std::string a = ReadFile(disk, "/a").value_or("<missing>");
    const std::string b = ReadFile(disk, "/b").value_or("<missing>");
    if (a == "A" && b == "B") {
      ++undone;  // the old name came back and the replaced file with it
    } else {
      ++kept;
      EXPECT_EQ(a, "<missing>");
      EXPECT_EQ(b, "A");
    }
  }
  EXPECT_GT(undone, 0);
  EXPECT_GT(kept, 0);

  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    SimDisk disk(DiskOptions{}, Random(seed), /*observer=*/nullptr);
    KV_ASSERT_OK(WriteDurableFile(disk, "/a", "A"));
    KV_ASSERT_OK(WriteDurableFile(disk, "/b", "B"));
    KV_ASSERT_OK(disk.Rename("/a", "/b"));
    KV_ASSERT_OK(disk.SyncDir("/"));
    disk.Crash();
    EXPECT_FALSE(disk.Exists("/a"));
    EXPECT_EQ(ReadFile(disk, "/b").value_or("<missing>"), "A");
  }
}

TEST(SimDiskCrashTest, DeleteMayBeUndoneUntilTheDirectoryIsSynced) {
  int undone = 0;
  int kept = 0;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    SimDisk disk(DiskOptions{}, Random(seed), /*observer=*/nullptr);
    KV_ASSERT_OK(WriteDurableFile(disk, "/a", "A"));
    KV_ASSERT_OK(disk.Delete("/a"));
    EXPECT_FALSE(disk.Exists("/a"));
    disk.Crash();
    if (disk.Exists("/a")) {
      ++undone;
      EXPECT_EQ(ReadFile(disk, "/a").value_or("<missing>"), "A");
    } else {
      ++kept;
    }
  }
  EXPECT_GT(undone, 0);
  EXPECT_GT(kept, 0);

  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    SimDisk disk(DiskOptions{}, Random(seed), /*observer=*/nullptr);
    KV_ASSERT_OK(WriteDurableFile(disk, "/a", "A"));
    KV_ASSERT_OK(disk.Delete("/a"));
    KV_ASSERT_OK(disk.SyncDir("/"));
    disk.Crash();
    EXPECT_FALSE(disk.Exists("/a")) << "seed " << seed;
  }
}

TEST(SimDiskCrashTest, SameSeedSameCrashDifferentSeedsDifferentCrashes) {
  // Runs the same unsynced workload on a disk seeded `seed` and returns what the crash left.
  auto run = [](uint64_t seed) {
    SimDisk disk(DiskOptions{.sector_bytes = 512}, Random(seed), /*observer=*/nullptr);
    std::string out;
    for (int i = 0; i < 4; ++i) {
      const std::string path = absl::StrCat("/f", i);
      auto file = disk.Open(path, OpenOptions{});
      if (!file.ok()) return file.status().ToString();
      for (int j = 0; j < 3; ++j) (*file)->Append(Pattern(900, 10 * i + j)).IgnoreError();
    }
    disk.Crash();
    for (int i = 0; i < 4; ++i) {
      out += absl::StrCat("|", ReadFile(disk, absl::StrCat("/f", i)).value_or("<missing>"));
    }
    return out;
  };
  EXPECT_EQ(run(5), run(5));
  int differing = 0;
  for (uint64_t seed = 1; seed < 20; ++seed) differing += run(seed) != run(0) ? 1 : 0;
  EXPECT_GT(differing, 0);
}

TEST(SimDiskTest, HandlesOpenedBeforeACrashFailWithFailedPrecondition) {
  SimDisk disk(DiskOptions{}, Random(1), /*observer=*/nullptr);
  KV_ASSERT_OK(WriteDurableFile(disk, "/f", "data"));
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> stale, disk.Open("/f", NoCreate()));
  disk.Crash();
  EXPECT_EQ(disk.crashes(), 1u);

  EXPECT_EQ(stale->Append("x").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(stale->WriteAt(0, "x").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(stale->ReadAt(0, 4).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(stale->Sync().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(stale->Size().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(stale->Truncate(0).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(stale->path(), "/f");

  // The refused calls changed nothing; a new handle works.
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> fresh, disk.Open("/f", NoCreate()));
  EXPECT_EQ(fresh->ReadAt(0, 100).value_or("<error>"), "data");
  KV_EXPECT_OK(fresh->Append("!"));
  stale.reset();  // closing a stale handle must not disturb the new one
  EXPECT_EQ(fresh->ReadAt(0, 100).value_or("<error>"), "data!");
}

TEST(SimDiskTest, FailedSyncLosesTheUnsyncedWritesEvenIfALaterSyncSucceeds) {
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    SimDisk disk(DiskOptions{}, Random(seed), /*observer=*/nullptr);
    KV_ASSERT_OK(WriteDurableFile(disk, "/f", "base"));
    KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, disk.Open("/f", NoCreate()));
    KV_ASSERT_OK(file->Append("lost"));
    disk.FailSync(file.get());
    // Still readable until the crash.
    EXPECT_EQ(file->ReadAt(0, 100).value_or("<error>"), "baselost");
    KV_ASSERT_OK(file->Append("after"));
    KV_ASSERT_OK(file->Sync());
    EXPECT_EQ(disk.unsynced_bytes(), 0u);
    disk.Crash();
    // Only the write after the failure became durable; the failed bytes read as a hole.
    EXPECT_EQ(ReadFile(disk, "/f").value_or("<missing>"), std::string("base\0\0\0\0after", 13));
  }
}

TEST(SimDiskTest, FailedSyncWithoutALaterSyncLosesTheWritesAtCrash) {
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    SimDisk disk(DiskOptions{}, Random(seed), /*observer=*/nullptr);
    KV_ASSERT_OK(WriteDurableFile(disk, "/f", "base"));
    KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, disk.Open("/f", NoCreate()));
    KV_ASSERT_OK(file->Append(Pattern(5000, 3)));
    disk.FailSync(file.get());
    disk.Crash();
    EXPECT_EQ(ReadFile(disk, "/f").value_or("<missing>"), "base");
  }
}

TEST(SimDiskTest, WritesPastCapacityFailWithResourceExhaustedAndWriteNothing) {
  SimDisk disk(DiskOptions{.capacity_bytes = 1000}, Random(1), /*observer=*/nullptr);
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, disk.Open("/f", OpenOptions{}));
  const std::string first = Pattern(600, 1);
  KV_ASSERT_OK(file->Append(first));

  const absl::Status append = file->Append(Pattern(401, 2));
  EXPECT_EQ(append.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(append.message(), "ENOSPC")) << append;
  EXPECT_EQ(file->WriteAt(999, "ab").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(file->Truncate(1001).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(file->Size().value_or(0), 600u);
  EXPECT_EQ(file->ReadAt(0, 2000).value_or("<error>"), first);
  EXPECT_EQ(disk.used_bytes(), 600u);

  // Overwriting in place needs no space; filling exactly to capacity is allowed.
  KV_EXPECT_OK(file->WriteAt(0, "xy"));
  KV_EXPECT_OK(file->Append(Pattern(400, 3)));
  EXPECT_EQ(disk.used_bytes(), 1000u);
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> other, disk.Open("/g", OpenOptions{}));
  EXPECT_EQ(other->Append("z").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(other->Size().value_or(99), 0u);

  // Cutting a file gives its space back.
  KV_EXPECT_OK(file->Truncate(100));
  KV_EXPECT_OK(other->Append(Pattern(900, 4)));
}

TEST(SimDiskTest, DeletedFileGivesItsSpaceBackOnceTheDeleteIsDurable) {
  SimDisk disk(DiskOptions{.capacity_bytes = 1000}, Random(1), /*observer=*/nullptr);
  KV_ASSERT_OK(WriteDurableFile(disk, "/a", Pattern(1000, 1)));
  KV_ASSERT_OK(disk.Delete("/a"));
  KV_ASSERT_OK(disk.SyncDir("/"));
  EXPECT_EQ(disk.used_bytes(), 0u);
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, disk.Open("/b", OpenOptions{}));
  KV_EXPECT_OK(file->Append(Pattern(1000, 2)));
}

TEST(SimDiskTest, FileReplacedByARenameGivesItsSpaceBackOnceTheRenameIsDurable) {
  SimDisk disk(DiskOptions{.capacity_bytes = 1000}, Random(1), /*observer=*/nullptr);
  KV_ASSERT_OK(WriteDurableFile(disk, "/a", Pattern(100, 1)));
  KV_ASSERT_OK(WriteDurableFile(disk, "/b", Pattern(800, 2)));
  KV_ASSERT_OK(disk.Rename("/a", "/b"));
  KV_ASSERT_OK(disk.SyncDir("/"));
  EXPECT_EQ(disk.used_bytes(), 100u);
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, disk.Open("/c", OpenOptions{}));
  KV_EXPECT_OK(file->Append(Pattern(900, 3)));
}

TEST(SimDiskTest, FlipBitChangesExactlyOneBitOfTheDurableContents) {
  SimDisk disk(DiskOptions{}, Random(1), /*observer=*/nullptr);
  const std::string original = Pattern(100, 1);
  KV_ASSERT_OK(WriteDurableFile(disk, "/f", original));
  EXPECT_TRUE(disk.FlipBit("/f", 37, 5));

  KV_ASSERT_OK_AND_ASSIGN(std::string durable, disk.DurableContents("/f"));
  EXPECT_EQ(BitsDiffering(durable, original), 1);
  EXPECT_EQ(durable[37] ^ original[37], 1 << 5);
  EXPECT_EQ(ReadFile(disk, "/f").value_or("<missing>"), durable);
  disk.Crash();
  EXPECT_EQ(ReadFile(disk, "/f").value_or("<missing>"), durable);

  EXPECT_FALSE(disk.FlipBit("/f", 100, 0));
  EXPECT_FALSE(disk.FlipBit("/missing", 0, 0));
}

// Records every disk operation it is told about.
class RecordingObserver final : public DiskObserver {
 public:
  void OnDiskOp(DiskOp op, absl::string_view path, uint64_t offset, uint64_t length,
                absl::string_view data) override {
    ops.push_back(absl::StrCat(DiskOpName(op), " ", path, " ", offset, " ", length, " ", data));
  }
  std::vector<std::string> ops;
};

TEST(SimDiskTest, ObserverSeesEachOperationWithItsBytes) {
  RecordingObserver observer;
  SimDisk disk(DiskOptions{}, Random(1), &observer);
  KV_ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, disk.Open("/f", OpenOptions{}));
  KV_ASSERT_OK(file->Append("abc"));
  KV_ASSERT_OK(file->WriteAt(1, "Z"));
  KV_ASSERT_OK(file->Sync());
  KV_ASSERT_OK(disk.Rename("/f", "/g"));
  KV_ASSERT_OK(disk.SyncDir("/"));
  const std::vector<std::string> expected = {
      "open /f 0 0 ", "append /f 0 3 abc", "write /f 1 1 Z", "sync /f 0 2 ",
      "rename /f 0 0 /g", "syncdir / 0 0 ",
  };
  EXPECT_EQ(observer.ops, expected);
}

}  // namespace
}  // namespace kv::sim
