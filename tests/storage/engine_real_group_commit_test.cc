// Group commit in real mode (the engine on RocksDB's default environment and the Asio event
// loop), where an fsync blocks the whole thread. Found with redis-benchmark against kvnode: every
// write paid its own fsync (the leader synced before other writers could queue, and an update
// held its key's lock through the fsync), so 50 clients got ~350 SET/s. The simulator cannot show
// it (its fsyncs take no time on the executor), hence a real-mode test.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/engine/engine.h"
#include "storage/record/dvv.h"
#include "tests/support/real_process.h"

namespace kv::storage {
namespace {

using kv::testing::RealProcess;

// 50 fibers each write 20 times under kSync: to one hot key (Update, under its key lock) or to
// keys of their own (Put). Returns {acknowledged writes, WAL fsyncs}.
std::pair<uint64_t, uint64_t> Hammer(bool hot_key) {
  RealProcess p;
  const std::string dir = absl::StrCat(::testing::TempDir(), "/group-commit-", hot_key);
  std::filesystem::remove_all(dir);
  EngineStats stats;
  p.RunOnFiber([&] {
    EngineOptions options;
    options.dir = dir;
    options.durability = Durability::kSync;
    std::unique_ptr<Engine> engine = *Engine::Open(p.runtime, options);
    std::vector<FiberHandle> writers;
    for (int i = 0; i < 50; ++i) {
      writers.push_back(p.runtime.Spawn("writer", [&, i] {
        for (int r = 0; r < 20; ++r) {
          const uint64_t counter = static_cast<uint64_t>(i * 100 + r + 1);
          if (hot_key) {
            auto s = engine->Update(1, "hot", [&](const Record* cur)
                                                  -> absl::StatusOr<std::optional<Record>> {
              const Record& base = cur != nullptr ? *cur : EmptyRecord();
              return std::optional<Record>(
                  Update(base, Context(), 1, Write::Put("v"), 1, counter));
            });
            ASSERT_TRUE(s.ok()) << s.status();
          } else {
            Record record = Update(EmptyRecord(), Context(), 1, Write::Put("v"), 1, counter);
            ASSERT_TRUE(engine->Put(1, absl::StrCat("k", i, "-", r), record).ok());
          }
        }
      }));
    }
    for (FiberHandle& w : writers) w.Join();
    stats = engine->stats();
    ASSERT_TRUE(engine->Close().ok());
  });
  std::filesystem::remove_all(dir);
  return {stats.writes, stats.wal_syncs};
}

TEST(EngineRealGroupCommitTest, ConcurrentWritersShareFsyncs) {
  auto [writes, syncs] = Hammer(/*hot_key=*/false);
  EXPECT_EQ(writes, 1000u);
  EXPECT_LE(syncs, writes / 10) << "group commit did not group";
}

TEST(EngineRealGroupCommitTest, UpdatesOfOneHotKeyShareFsyncs) {
  auto [writes, syncs] = Hammer(/*hot_key=*/true);
  EXPECT_EQ(writes, 1000u);
  EXPECT_LE(syncs, writes / 10) << "each update of the hot key paid its own fsync";
}

// kvnode's shutdown: SIGTERM cancels every fiber, then closes the engine on a new one. A writer
// cancelled while it leads a commit (at its yield before the WAL write) must not leave the
// engine "in a write": found by the integration tests, where a SIGTERM during a ring save made
// Engine::Close abort with "Engine::Close during a write".
TEST(EngineRealGroupCommitTest, CancellingWritersMidCommitLetsTheEngineCloseCleanly) {
  RealProcess p;
  const std::string dir = absl::StrCat(::testing::TempDir(), "/group-commit-cancel");
  std::filesystem::remove_all(dir);
  std::unique_ptr<Engine> engine;
  int acknowledged = 0;
  p.RunOnFiber([&] {
    EngineOptions options;
    options.dir = dir;
    options.durability = Durability::kSync;
    engine = *Engine::Open(p.runtime, options);
    for (int i = 0; i < 5; ++i) {
      p.runtime.Spawn("writer", [&, i] {
        Record record = Update(EmptyRecord(), Context(), 1, Write::Put("v"), 1, i + 1);
        if (engine->Put(1, absl::StrCat("k", i), record).ok()) ++acknowledged;
      });
    }
    // The writers run: the first leads and yields before its WAL write, the others queue behind
    // it. Stop there.
    Yield();
    p.executor.Stop();
  });
  p.fibers.CancelAll();  // what the shutdown does
  absl::Status closed = absl::UnknownError("Close did not run");
  p.RunOnFiber([&] {
    closed = engine->Close();
    p.executor.Stop();
  });
  EXPECT_TRUE(closed.ok()) << closed;
  EXPECT_EQ(acknowledged, 0) << "the writers were cancelled before their commit";
  // Whatever was applied is there after a reopen; nothing is half-written.
  engine.reset();
  p.RunOnFiber([&] {
    EngineOptions options;
    options.dir = dir;
    options.durability = Durability::kSync;
    absl::StatusOr<std::unique_ptr<Engine>> reopened = Engine::Open(p.runtime, options);
    EXPECT_TRUE(reopened.ok()) << reopened.status();
    if (reopened.ok()) {
      EXPECT_TRUE((*reopened)->Close().ok());
    }
    p.executor.Stop();
  });
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kv::storage
