// RocksDB on the simulated disk under crashes and injected disk errors. What a user would notice:
//  - a write acknowledged with WriteOptions::sync = true is there after a crash and restart;
//  - unsynced writes may be lost, but only as a suffix: what survives is a prefix of the writes
//    (RocksDB's point-in-time recovery), and the DB opens;
//  - a write whose WAL append or sync failed (EIO) is reported to the writer, never acknowledged,
//    and every acknowledged write still survives a crash.
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "net/fiber.h"
#include "net/random.h"
#include "sim/faulty_file_system.h"
#include "sim/sim_process.h"
#include "sim/simulator.h"
#include "storage/rocksdb_env/flush_trigger.h"
#include "storage/rocksdb_sim_util.h"

namespace kv::storage::rocksdb_env {
namespace {

using testing::AddRocksProcess;
using testing::CloseDb;
using testing::OpenDb;
using testing::RocksApp;

// One write of a scenario, in issue order. Every write has its own key.
struct ScenarioWrite {
  std::string key;
  std::string value;
  bool sync = false;
  bool acked = false;  // Put returned OK
  std::string error;   // Put's status, if not OK
};

std::string WriteKey(size_t i) { return absl::StrFormat("w%07d", i); }

std::string RandomValue(Random& random) {
  std::string value(static_cast<size_t>(random.Range(20, 300)), ' ');
  for (char& c : value) c = static_cast<char>('a' + random.Uniform(26));
  return value;
}

// What the restarted process found.
struct Recovery {
  bool ran = false;
  rocksdb::Status open;
  std::vector<bool> present;        // per write
  std::vector<bool> value_correct;  // per write, if present
};

// Boot 1 writes until it crashes (or `max_writes`); boot 2 reopens and reads every key written.
class CrashScenario {
 public:
  explicit CrashScenario(uint64_t seed, sim::SimulatorOptions options = {})
      : sim_(seed, std::move(options)) {
    id_ = AddRocksProcess(
        sim_, "db", [this](Runtime& rt, RocksApp& app) { Boot(rt, app); });
  }

  sim::Simulator& sim() { return sim_; }
  NodeId id() const { return id_; }
  const std::vector<ScenarioWrite>& writes() const { return writes_; }
  const Recovery& recovery() const { return recovery_; }

  // Called on the writer's fiber after each write; may change faults.
  std::function<void(size_t index)> after_write;
  double sync_fraction = 0.3;
  uint64_t memtable_bytes_limit = 16 << 10;
  size_t max_writes = 5000;
  bool writer_done = false;
  // Background-job back-offs (RocksDB sleeping after a failed flush or compaction) by the writer.
  uint64_t back_offs = 0;

 private:
  void Boot(Runtime& rt, RocksApp& app) {
    if (++boots_ == 1) {
      WriteUntilCrash(rt, app);
    } else {
      Recover(app);
    }
  }

  void WriteUntilCrash(Runtime& rt, RocksApp& app) {
    ASSERT_TRUE(OpenDb(app).ok());
    FlushTrigger flush(app.db.get(), app.env.get(), {.memtable_bytes_limit = memtable_bytes_limit});
    for (size_t i = 0; i < max_writes; ++i) {
      ScenarioWrite w{WriteKey(i), RandomValue(rt.random()),
                      rt.random().NextDouble() < sync_fraction};
      rocksdb::WriteOptions options;
      options.sync = w.sync;
      writes_.push_back(w);
      const rocksdb::Status s = app.db->Put(options, w.key, w.value);
      writes_.back().acked = s.ok();
      if (!s.ok()) writes_.back().error = s.ToString();
      if (s.ok()) (void)flush.Account(w.key.size() + w.value.size());
      if (after_write) after_write(i);
      FiberSleep(rt.random().Exponential(absl::Microseconds(300)));
    }
    app.env->WaitForBackgroundJobs();
    back_offs = app.env->job_stats().sleeps_deferred;
    writer_done = true;
  }

  void Recover(RocksApp& app) {
    recovery_.ran = true;
    recovery_.open = OpenDb(app);
    if (!recovery_.open.ok()) return;
    std::string got;
    for (const ScenarioWrite& w : writes_) {
      const rocksdb::Status s = app.db->Get(rocksdb::ReadOptions(), w.key, &got);
      recovery_.present.push_back(s.ok());
      recovery_.value_correct.push_back(s.ok() && got == w.value);
    }
    EXPECT_TRUE(CloseDb(app).ok());
  }

  sim::Simulator sim_;
  NodeId id_;
  int boots_ = 0;
  std::vector<ScenarioWrite> writes_;
  Recovery recovery_;
};

struct RecoveryCounts {
  size_t lost_unsynced = 0;     // acknowledged unsynced writes lost
  size_t unacked_present = 0;   // failed writes that survived anyway (allowed: their fate is open)
};

// Checks the recovery of `run`: the DB opened, every acknowledged synced write survived with its
// value, and the survivors are a prefix of the writes.
RecoveryCounts CheckRecovery(uint64_t seed, const CrashScenario& run) {
  RecoveryCounts counts;
  const Recovery& r = run.recovery();
  EXPECT_TRUE(r.ran) << "seed " << seed;
  EXPECT_TRUE(r.open.ok()) << "seed " << seed << ": reopen after crash: " << r.open.ToString();
  if (!r.open.ok()) return counts;
  const std::vector<ScenarioWrite>& writes = run.writes();
  size_t first_missing = writes.size();
  for (size_t i = 0; i < writes.size(); ++i) {
    const ScenarioWrite& w = writes[i];
    if (r.present[i]) {
      EXPECT_TRUE(r.value_correct[i]) << "seed " << seed << ": wrong value for " << w.key;
      EXPECT_LT(i, first_missing) << "seed " << seed << ": " << w.key << " survived but the earlier "
                                  << WriteKey(first_missing) << " was lost (not a prefix)";
      counts.unacked_present += w.acked ? 0 : 1;
      continue;
    }
    first_missing = std::min(first_missing, i);
    if (w.acked && w.sync) {
      ADD_FAILURE() << "seed " << seed << ": acknowledged synced write " << w.key << " was lost";
    }
    if (w.acked && !w.sync) ++counts.lost_unsynced;
  }
  return counts;
}

TEST(RocksCrashTest, SyncedWritesSurviveCrashesAndWhatSurvivesIsAPrefix) {
  constexpr int kSeeds = 50;
  size_t lost_unsynced = 0, acked = 0, acked_synced = 0, seeds_losing_writes = 0;
  sim::CrashOutcome disk;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    CrashScenario run(seed);
    Random timing = run.sim().ForkRandom("crash-time");
    const Duration crash_at = timing.UniformDuration(absl::Milliseconds(50), absl::Milliseconds(900));
    run.sim().Start(run.id());
    run.sim().After(crash_at, [&] { disk += run.sim().Crash(run.id()); });
    run.sim().After(crash_at + absl::Milliseconds(100), [&] { run.sim().Start(run.id()); });
    run.sim().RunFor(absl::Seconds(5));
    ASSERT_FALSE(run.writer_done) << "seed " << seed << ": the crash came after the workload";
    const size_t lost = CheckRecovery(seed, run).lost_unsynced;
    lost_unsynced += lost;
    seeds_losing_writes += lost > 0 ? 1 : 0;
    for (const ScenarioWrite& w : run.writes()) {
      acked += w.acked;
      acked_synced += w.acked && w.sync;
    }
    if (::testing::Test::HasFailure()) break;
  }
  std::cout << kSeeds << " crashes: " << acked << " acknowledged writes (" << acked_synced
            << " synced), " << lost_unsynced << " unsynced ones lost in " << seeds_losing_writes
            << " runs; disk: " << disk.files_with_unsynced_writes << " files with unsynced writes, "
            << disk.files_kept_none << " kept none, " << disk.files_kept_prefix << " a prefix, "
            << disk.files_torn << " torn, " << disk.dir_ops_pending << " directory operations "
            << "pending of which " << disk.dir_ops_kept << " kept\n";
  // The runs exercised the crash model: unsynced data was dropped and torn.
  EXPECT_GT(acked_synced, 1000u);
  EXPECT_GT(lost_unsynced, 0u);
  EXPECT_GT(disk.files_torn, 0u);
  EXPECT_GT(disk.files_kept_none, 0u);
}

// Runs a scenario that injects `faults` from write `from` on, crashes after the writer stops,
// and restarts with faults off. Returns the scenario for checks.
std::unique_ptr<CrashScenario> RunWithFaultsFrom(uint64_t seed, size_t from, size_t writes,
                                                 sim::DiskFaultOptions faults, double sync_fraction,
                                                 uint64_t memtable_bytes_limit = 16 << 10,
                                                 sim::SimulatorOptions options = {}) {
  auto run = std::make_unique<CrashScenario>(seed, std::move(options));
  CrashScenario* r = run.get();
  r->memtable_bytes_limit = memtable_bytes_limit;
  r->max_writes = writes;
  r->sync_fraction = sync_fraction;
  r->after_write = [r, from, faults](size_t i) {
    if (i + 1 == from) r->sim().process(r->id()).fs().set_options(faults);
  };
  r->sim().Start(r->id());
  r->sim().RunUntilCondition([r] { return r->writer_done; }, MonoTime() + absl::Seconds(30));
  EXPECT_TRUE(r->writer_done);
  r->sim().Crash(r->id());
  r->sim().process(r->id()).fs().set_options({});
  r->sim().Start(r->id());
  r->sim().RunFor(absl::Seconds(5));
  return run;
}

// The memtable limit is out of reach in these two, so no flush runs and the WAL is the only file
// written when the fault strikes.
TEST(RocksCrashTest, EioOnWalSyncFailsTheWriteAndItIsNeverAcknowledged) {
  auto run = RunWithFaultsFrom(7, 100, 110, {.sync_error_probability = 1.0},
                               /*sync_fraction=*/1.0, /*memtable_bytes_limit=*/1 << 30);
  const std::vector<ScenarioWrite>& writes = run->writes();
  for (size_t i = 0; i < 100; ++i) EXPECT_TRUE(writes[i].acked) << i;
  for (size_t i = 100; i < writes.size(); ++i) EXPECT_FALSE(writes[i].acked) << i;
  EXPECT_NE(writes[100].error.find("EIO: injected I/O error on sync of '/db/"), std::string::npos)
      << writes[100].error;
  EXPECT_NE(writes[100].error.find(".log'"), std::string::npos) << writes[100].error;
  EXPECT_EQ(run->sim().faults().at("disk_eio_sync"), 1u);
  CheckRecovery(7, *run);
  ASSERT_EQ(run->recovery().present.size(), writes.size());
  std::cout << "the write whose WAL sync failed is "
            << (run->recovery().present[100] ? "present" : "absent")
            << " after the crash; later writes failed with: " << writes[101].error << "\n";
}

TEST(RocksCrashTest, EioOnWalWriteFailsTheWriteAndItIsNeverAcknowledged) {
  auto run = RunWithFaultsFrom(8, 100, 110, {.write_error_probability = 1.0},
                               /*sync_fraction=*/0.0, /*memtable_bytes_limit=*/1 << 30);
  const std::vector<ScenarioWrite>& writes = run->writes();
  for (size_t i = 0; i < 100; ++i) EXPECT_TRUE(writes[i].acked) << i;
  for (size_t i = 100; i < writes.size(); ++i) EXPECT_FALSE(writes[i].acked) << i;
  EXPECT_NE(writes[100].error.find("EIO: injected I/O error on write of '/db/"), std::string::npos)
      << writes[100].error;
  EXPECT_NE(writes[100].error.find(".log'"), std::string::npos) << writes[100].error;
  EXPECT_GE(run->sim().faults().at("disk_eio_write"), 1u);
  const RecoveryCounts counts = CheckRecovery(8, *run);
  EXPECT_EQ(counts.unacked_present, 0u) << "a write that wrote nothing cannot survive";
}

// Random EIO and ENOSPC on every file (WAL, SST writes of flush jobs, MANIFEST), then a crash: every
// acknowledged synced write survives, over many seeds. Flush and compaction errors take RocksDB's
// back-off path (a sleep in a background job, deferred in simulated time).
TEST(RocksCrashTest, RandomDiskErrorsNeverLoseAnAcknowledgedSyncedWrite) {
  size_t failed_writes = 0, back_offs = 0, unacked_present = 0, error_log_lines = 0;
  sim::SimulatorOptions quiet;  // RocksDB logs every background error at length
  quiet.log_sink = [&](absl::string_view) { ++error_log_lines; };
  for (uint64_t seed = 100; seed < 130; ++seed) {
    auto run = RunWithFaultsFrom(seed, 50, 400,
                                 {.read_error_probability = 0.002,
                                  .write_error_probability = 0.01,
                                  .sync_error_probability = 0.01,
                                  .no_space_probability = 0.005},
                                 /*sync_fraction=*/0.5, 16 << 10, quiet);
    for (const ScenarioWrite& w : run->writes()) failed_writes += !w.acked;
    back_offs += run->back_offs;
    unacked_present += CheckRecovery(seed, *run).unacked_present;
    if (::testing::Test::HasFailure()) break;
  }
  std::cout << failed_writes << " writes failed and were not acknowledged (" << unacked_present
            << " of them survived the crash anyway); " << back_offs << " background back-offs; "
            << error_log_lines << " RocksDB warnings and errors logged\n";
  EXPECT_GT(failed_writes, 0u);
}

}  // namespace
}  // namespace kv::storage::rocksdb_env
