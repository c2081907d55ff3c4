// The log tail check (storage/engine/log_tail.h) on a `sync` engine in the simulator: a synced
// record of the WAL or the MANIFEST whose length field is damaged on disk is reported (DATA_LOSS)
// instead of being dropped as a torn tail, while a real torn tail (a record cut short by a crash)
// still opens. Found by the crash property: `sync_bit_flips` seed 5259 lost its last eight
// acknowledged writes that way (WAL), seed 5795 every write of a flush (MANIFEST).
#include "storage/engine/log_tail.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "sim/simulator.h"
#include "tests/storage/engine_test_util.h"

namespace kv::storage {
namespace {

using testing::AddEngineProcess;
using testing::EngineApp;
using testing::OnlyValue;
using testing::OpenEngine;
using testing::ValueRecord;

constexpr int kWrites = 10;
constexpr uint64_t kBlockBytes = 32768;

// The path of the file in /db whose name passes `match` (the last one, in name order).
std::string FindFile(sim::SimDisk& disk, const std::function<bool(absl::string_view)>& match) {
  absl::StatusOr<std::vector<std::string>> names = disk.List("/db");
  EXPECT_TRUE(names.ok()) << names.status();
  std::string found;
  for (const std::string& name : *names) {
    if (match(name)) found = "/db/" + name;
  }
  EXPECT_FALSE(found.empty());
  return found;
}

std::string Wal(sim::SimDisk& disk) {
  return FindFile(disk, [](absl::string_view n) { return absl::EndsWith(n, ".log"); });
}

std::string Manifest(sim::SimDisk& disk) {
  return FindFile(disk, [](absl::string_view n) { return absl::StartsWith(n, "MANIFEST-"); });
}

// The durable bytes of `path`'s final block and the block's offset in the file.
std::pair<std::string, uint64_t> FinalBlock(sim::SimDisk& disk, const std::string& path) {
  absl::StatusOr<std::string> bytes = disk.DurableContents(path);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  const uint64_t start = bytes->size() - bytes->size() % kBlockBytes;
  return {bytes->substr(start), start};
}

// The file offset of the last record header in `path`, walking its final block's headers
// ([CRC 4][length 2][type 1][payload]).
uint64_t LastRecord(sim::SimDisk& disk, const std::string& path) {
  const auto [block, start] = FinalBlock(disk, path);
  uint64_t p = 0, last = 0;
  while (block.size() - p >= 7) {
    last = p;
    p += 7 + (static_cast<uint8_t>(block[p + 4]) | static_cast<uint8_t>(block[p + 5]) << 8);
  }
  return start + last;
}

// What the second boot saw.
struct Reopened {
  absl::Status open;
  int present = 0;    // keys k0.. found, in order, before the first missing one
  bool last = false;  // the last write's key is present
};

// Writes k0..k9 (one acknowledged group each) under `sync`, then (if `compact`) flushes and
// compacts them; crashes the node, lets `damage` change its disk, and opens the engine again.
Reopened WriteDamageReopen(bool compact, const std::function<void(sim::SimDisk&)>& damage) {
  sim::Simulator sim(1);
  bool written = false;
  Reopened out;
  NodeId id = AddEngineProcess(sim, "node", [&](Runtime& rt, EngineApp& app) {
    if (!written) {
      ASSERT_TRUE(OpenEngine(rt, app).ok());
      for (int i = 0; i < kWrites; ++i) {
        ASSERT_TRUE(app.engine->Put(1, "k" + std::to_string(i), ValueRecord("v")).ok());
      }
      if (compact) {
        ASSERT_TRUE(app.engine->CompactRecords().ok());
      }
      written = true;
      return;
    }
    out.open = OpenEngine(rt, app);
    if (!out.open.ok()) return;
    for (int i = 0; i < kWrites; ++i) {
      absl::StatusOr<std::optional<Record>> got = app.engine->Get(1, "k" + std::to_string(i));
      ASSERT_TRUE(got.ok()) << got.status();
      const bool found = got->has_value() && OnlyValue(**got) == "v";
      if (found && out.present == i) ++out.present;
      if (i == kWrites - 1) out.last = found;
    }
  });
  sim.Start(id);
  sim.RunFor(absl::Seconds(1));
  EXPECT_TRUE(written);
  sim.Crash(id);  // under sync every acknowledged write is already durable
  damage(sim.process(id).disk());
  sim.Start(id);
  sim.RunFor(absl::Seconds(1));
  return out;
}

// Flips bit 5 of the high byte of the length of `path`'s last record (+8192: past the end of the
// file) and checks that FindDamagedLogRecord finds that record, whole.
void DamageLastLength(sim::SimDisk& disk, const std::string& path) {
  const uint64_t last = LastRecord(disk, path);
  ASSERT_TRUE(disk.FlipBit(path, last + 5, 5));
  const auto [block, start] = FinalBlock(disk, path);
  const std::optional<DamagedLogRecord> found = FindDamagedLogRecord(block);
  ASSERT_TRUE(found.has_value()) << path;
  EXPECT_EQ(start + found->offset, last);
  EXPECT_EQ(found->complete_length + 8192, found->claimed_length);
}

TEST(LogTailTest, UndamagedLogsReplayEveryAcknowledgedWrite) {
  for (bool compact : {false, true}) {
    const Reopened r = WriteDamageReopen(compact, [](sim::SimDisk&) {});
    ASSERT_TRUE(r.open.ok()) << r.open;
    EXPECT_EQ(r.present, kWrites) << "compact " << compact;
  }
}

TEST(LogTailTest, ASyncedWalRecordWithADamagedLengthIsReportedNotDropped) {
  const Reopened r =
      WriteDamageReopen(false, [](sim::SimDisk& disk) { DamageLastLength(disk, Wal(disk)); });
  EXPECT_EQ(r.open.code(), absl::StatusCode::kDataLoss) << r.open;
  EXPECT_NE(r.open.message().find(".log holds a complete record"), std::string::npos) << r.open;
}

TEST(LogTailTest, AManifestRecordWithADamagedLengthIsReportedNotDropped) {
  // The MANIFEST's last record is the compaction's edit; the flush before it deleted the WAL.
  const Reopened r = WriteDamageReopen(
      true, [](sim::SimDisk& disk) { DamageLastLength(disk, Manifest(disk)); });
  EXPECT_EQ(r.open.code(), absl::StatusCode::kDataLoss) << r.open;
  EXPECT_NE(r.open.message().find("MANIFEST"), std::string::npos) << r.open;
}

TEST(LogTailTest, ATornLastWalRecordStillOpensWithTheWritesBeforeIt) {
  const Reopened r = WriteDamageReopen(false, [](sim::SimDisk& disk) {
    // A crash cut the last group's record short (as if it had not been synced).
    const std::string wal = Wal(disk);
    const uint64_t last = LastRecord(disk, wal);
    absl::StatusOr<std::unique_ptr<storage::File>> file = disk.Open(wal, {});
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_TRUE((*file)->Truncate(last + 7 + 3).ok());
    ASSERT_TRUE((*file)->Sync().ok());
    EXPECT_FALSE(FindDamagedLogRecord(FinalBlock(disk, wal).first).has_value());
  });
  ASSERT_TRUE(r.open.ok()) << r.open;
  EXPECT_EQ(r.present, kWrites - 1);
  EXPECT_FALSE(r.last);
}

}  // namespace
}  // namespace kv::storage
