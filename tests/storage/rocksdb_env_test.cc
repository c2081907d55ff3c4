// RocksDB on the seam, inside the simulator: a DB on a simulated process's disk, on simulated time,
// with flushes and compactions run as simulator events. What a user of the storage layer would
// notice: data round-trips and survives reopen and restart; acknowledged synced writes survive
// crashes; injected disk errors reach the writer and are never acknowledged.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "net/fiber.h"
#include "rocksdb/db.h"
#include "sim/sim_process.h"
#include "sim/simulator.h"
#include "storage/rocksdb_sim_util.h"
#include "storage/rocksdb_env/flush_trigger.h"

namespace kv::storage::rocksdb_env {
namespace {

using testing::AddRocksProcess;
using testing::CloseDb;
using testing::FilesAtLevel;
using testing::Key;
using testing::OpenDb;
using testing::RocksApp;
using testing::Value;

constexpr int kKeys = 3000;

// Checks that keys [0, kKeys) hold Value(i) except every third, which was deleted, by point reads
// and by a full scan.
void ExpectContents(rocksdb::DB* db) {
  std::string got;
  for (int i = 0; i < kKeys; ++i) {
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), Key(i), &got);
    if (i % 3 == 0) {
      ASSERT_TRUE(s.IsNotFound()) << Key(i) << ": " << s.ToString();
    } else {
      ASSERT_TRUE(s.ok()) << Key(i) << ": " << s.ToString();
      ASSERT_EQ(got, Value(i)) << Key(i);
    }
  }
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  int next = 1;
  int seen = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ASSERT_EQ(it->key().ToString(), Key(next));
    ASSERT_EQ(it->value().ToString(), Value(next));
    ++seen;
    next += next % 3 == 1 ? 1 : 2;  // skip multiples of 3
  }
  ASSERT_TRUE(it->status().ok()) << it->status().ToString();
  EXPECT_EQ(seen, kKeys - (kKeys + 2) / 3);
}

TEST(RocksEnvTest, RoundTripWithBackgroundJobsAsSimulatorEventsSurvivesReopenAndRestart) {
  sim::Simulator sim(1);
  int boots = 0;
  bool wrote = false;
  bool verified_after_restart = false;
  const NodeId id = AddRocksProcess(sim, "db", [&](Runtime& rt, RocksApp& app) {
    if (++boots == 2) {
      ASSERT_TRUE(OpenDb(app).ok());
      ExpectContents(app.db.get());
      ASSERT_TRUE(CloseDb(app).ok());
      verified_after_restart = true;
      return;
    }
    ASSERT_TRUE(OpenDb(app).ok());
    FlushTrigger flush(app.db.get(), app.env.get(), {.memtable_bytes_limit = 64 << 10});
    rocksdb::WriteOptions write;
    for (int i = 0; i < kKeys; ++i) {
      ASSERT_TRUE(app.db->Put(write, Key(i), Value(i)).ok());
      ASSERT_TRUE(flush.Account(Key(i).size() + Value(i).size()).ok());
      if (i % 100 == 99) FiberSleep(absl::Milliseconds(1));
    }
    for (int i = 0; i < kKeys; i += 3) ASSERT_TRUE(app.db->Delete(write, Key(i)).ok());
    FiberSleep(absl::Milliseconds(1));
    EXPECT_GE(flush.flushes_requested(), 4u);
    EXPECT_GT(FilesAtLevel(app.db.get(), 1), 0) << "no compaction ran";
    ExpectContents(app.db.get());

    // A flush requested without waiting is a queued job: nothing is written until the fiber
    // yields and the job runs as its own event.
    const SeamEnv::JobStats before = app.env->job_stats();
    const int l0_before = FilesAtLevel(app.db.get(), 0);
    ASSERT_TRUE(flush.FlushNow().ok());
    EXPECT_EQ(app.env->pending_jobs(), 1u);
    EXPECT_EQ(app.env->job_stats().scheduled, before.scheduled + 1);
    EXPECT_EQ(app.env->job_stats().run, before.run);
    EXPECT_EQ(FilesAtLevel(app.db.get(), 0), l0_before);
    Yield();
    EXPECT_GT(app.env->job_stats().run, before.run);
    EXPECT_EQ(FilesAtLevel(app.db.get(), 0), l0_before + 1);

    // Reopen in the same incarnation.
    ASSERT_TRUE(CloseDb(app).ok());
    ASSERT_TRUE(OpenDb(app).ok());
    ExpectContents(app.db.get());
    ASSERT_TRUE(CloseDb(app).ok());
    EXPECT_EQ(app.env->job_stats().run + app.env->job_stats().unscheduled,
              app.env->job_stats().scheduled);
    wrote = true;
  });
  sim.Start(id);
  sim.RunFor(absl::Seconds(30));
  ASSERT_TRUE(wrote);
  sim.Stop(id);
  sim.Start(id);
  sim.RunFor(absl::Seconds(30));
  EXPECT_TRUE(verified_after_restart);

  // RocksDB's files are on the simulated disk.
  absl::StatusOr<std::vector<std::string>> names = sim.process(id).disk().List("/db");
  ASSERT_TRUE(names.ok()) << names.status();
  std::string listing = absl::StrJoin(*names, " ");
  EXPECT_NE(listing.find("CURRENT"), std::string::npos) << listing;
  EXPECT_NE(listing.find("MANIFEST-"), std::string::npos) << listing;
  EXPECT_NE(listing.find(".sst"), std::string::npos) << listing;
  EXPECT_NE(listing.find(".log"), std::string::npos) << listing;
  EXPECT_EQ(listing.find("LOG"), std::string::npos) << "the info log must not be a file: " << listing;
}

}  // namespace
}  // namespace kv::storage::rocksdb_env
