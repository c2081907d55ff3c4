// The sync watermark (storage/engine/sync_watermark.h) on the simulated disk: once Write returned,
// a crash never reads back an older watermark. The disk keeps, at a crash, only a random prefix
// of the name operations no directory sync covered, so a slot file created without one can
// vanish; the watermark would then fall back to the other, older slot and the engine's check
// against lost synced writes would pass writes it should have caught.
#include "storage/engine/sync_watermark.h"

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sim/simulator.h"
#include "tests/storage/engine_test_util.h"
#include "tests/support/seeds.h"

namespace kv::storage {
namespace {

using testing::AddEngineProcess;
using testing::EngineApp;

// Writes watermarks 1..`writes` on the first boot, crashes, and returns what the second boot reads.
std::optional<uint64_t> ReadAfterCrash(uint64_t seed, uint64_t writes) {
  sim::Simulator sim(seed);
  bool written = false;
  std::optional<uint64_t> read_back;
  NodeId id = AddEngineProcess(sim, "node", [&](Runtime&, EngineApp& app) {
    rocksdb::FileSystem* fs = app.env->GetFileSystem().get();
    if (!written) {
      // The database directory itself made durable first, as RocksDB's open does.
      ASSERT_TRUE(fs->CreateDirIfMissing("/db", rocksdb::IOOptions(), nullptr).ok());
      std::unique_ptr<rocksdb::FSDirectory> root;
      ASSERT_TRUE(fs->NewDirectory("/", rocksdb::IOOptions(), &root, nullptr).ok());
      ASSERT_TRUE(root->Fsync(rocksdb::IOOptions(), nullptr).ok());
      SyncWatermark watermark(fs, "/db");
      for (uint64_t w = 1; w <= writes; ++w) ASSERT_TRUE(watermark.Write(w).ok());
      written = true;
      return;
    }
    SyncWatermark watermark(fs, "/db");
    absl::StatusOr<std::optional<uint64_t>> read = watermark.Read();
    ASSERT_TRUE(read.ok()) << read.status();
    read_back = *read;
  });
  sim.Start(id);
  sim.RunFor(absl::Seconds(1));
  EXPECT_TRUE(written);
  sim.Crash(id);
  sim.Start(id);
  sim.RunFor(absl::Seconds(1));
  return read_back;
}

// KV_SEED=<seed> runs that seed alone.
TEST(SyncWatermarkTest, AWrittenWatermarkSurvivesACrash) {
  for (const uint64_t seed : ::kv::testing::PropertySeedList(1, 200, 50)) {
    // Two writes: the second creates the second slot file. Three: the first slot again.
    for (uint64_t writes : {1, 2, 3}) {
      const std::optional<uint64_t> read = ReadAfterCrash(seed, writes);
      ASSERT_EQ(read, std::optional<uint64_t>(writes))
          << "seed " << seed << ", " << writes << " writes: read back "
          << (read.has_value() ? absl::StrCat(*read) : "nothing") << "\nreproduce: KV_SEED="
          << seed
          << " build/release/tests/tests_storage --gtest_filter='SyncWatermarkTest.*'";
    }
  }
}

}  // namespace
}  // namespace kv::storage
