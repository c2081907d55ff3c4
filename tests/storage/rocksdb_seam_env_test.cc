// The pieces of storage/rocksdb_env/ on their own: path normalisation and status mapping, the
// rocksdb::FileSystem over the disk seam, and the Env's clock, job queue, identity and guards.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "net/fiber.h"
#include "net/random.h"
#include "rocksdb/file_system.h"
#include "sim/sim_disk.h"
#include "sim/simulator.h"
#include "storage/rocksdb_env/io_status.h"
#include "storage/rocksdb_env/seam_env.h"
#include "storage/rocksdb_env/seam_file_system.h"
#include "storage/rocksdb_sim_util.h"
#include "support/sim_test_util.h"

namespace kv::storage::rocksdb_env {
namespace {

using rocksdb::IOOptions;
using rocksdb::IOStatus;

TEST(RocksSeamPathTest, NormalizesPathsAsRocksDbSpellsThem) {
  EXPECT_EQ(NormalizePath("/db//000001.log").value(), "/db/000001.log");
  EXPECT_EQ(NormalizePath("/db/").value(), "/db");
  EXPECT_EQ(NormalizePath("db").value(), "/db");
  EXPECT_EQ(NormalizePath("/a/./b/../c").value(), "/a/c");
  EXPECT_EQ(NormalizePath("/../x").value(), "/x");
  EXPECT_EQ(NormalizePath("/").value(), "/");
  EXPECT_FALSE(NormalizePath("").ok());
}

TEST(RocksSeamPathTest, MapsSeamErrorsAndNeverReportsNoSpace) {
  EXPECT_TRUE(ToIOStatus(absl::OkStatus(), "op", "/p").ok());
  const IOStatus missing = ToIOStatus(absl::NotFoundError("x"), "op", "/p");
  EXPECT_TRUE(missing.IsPathNotFound());
  EXPECT_TRUE(missing.IsIOError());
  EXPECT_TRUE(ToIOStatus(absl::NotFoundError("x"), "op", "/p", MissingAs::kNotFound).IsNotFound());
  const IOStatus eio = ToIOStatus(absl::UnavailableError("EIO: boom"), "sync", "/db/1.log");
  EXPECT_TRUE(eio.IsIOError());
  EXPECT_NE(eio.ToString().find("EIO: boom"), std::string::npos);
  EXPECT_NE(eio.ToString().find("/db/1.log"), std::string::npos);
  // ENOSPC as NoSpace would start RocksDB's error-recovery thread.
  const IOStatus full = ToIOStatus(absl::ResourceExhaustedError("ENOSPC: full"), "append", "/f");
  EXPECT_TRUE(full.IsIOError());
  EXPECT_FALSE(full.IsNoSpace());
  EXPECT_FALSE(full.GetRetryable());
}

class RocksSeamFileSystemTest : public ::testing::Test {
 protected:
  RocksSeamFileSystemTest() : disk_({}, Random(1), nullptr), fs_(&disk_) {}

  sim::SimDisk disk_;
  SeamFileSystem fs_;
  IOOptions io_;
  rocksdb::FileOptions file_options_;
};

TEST_F(RocksSeamFileSystemTest, FilesAndNamesRoundTripThroughTheSeam) {
  ASSERT_TRUE(fs_.CreateDirIfMissing("/db/", io_, nullptr).ok());
  ASSERT_TRUE(fs_.CreateDirIfMissing("/db", io_, nullptr).ok());
  EXPECT_FALSE(fs_.CreateDir("/db", io_, nullptr).ok()) << "CreateDir of an existing directory";
  std::unique_ptr<rocksdb::FSWritableFile> w;
  ASSERT_TRUE(fs_.NewWritableFile("/db//000001.log", file_options_, &w, nullptr).ok());
  ASSERT_TRUE(w->Append("hello ", io_, nullptr).ok());
  ASSERT_TRUE(w->Append("world", io_, nullptr).ok());
  EXPECT_EQ(w->GetFileSize(io_, nullptr), 11u);
  ASSERT_TRUE(w->Sync(io_, nullptr).ok());
  ASSERT_TRUE(w->Close(io_, nullptr).ok());
  EXPECT_EQ(disk_.FileSize("/db/000001.log").value(), 11u);
  EXPECT_EQ(disk_.unsynced_bytes(), 0u) << "Sync reached the disk";

  std::unique_ptr<rocksdb::FSSequentialFile> seq;
  ASSERT_TRUE(fs_.NewSequentialFile("/db/000001.log", file_options_, &seq, nullptr).ok());
  char scratch[16];
  rocksdb::Slice got;
  ASSERT_TRUE(seq->Read(6, io_, &got, scratch, nullptr).ok());
  EXPECT_EQ(got.ToString(), "hello ");
  ASSERT_TRUE(seq->Read(16, io_, &got, scratch, nullptr).ok());
  EXPECT_EQ(got.ToString(), "world");
  std::unique_ptr<rocksdb::FSRandomAccessFile> ra;
  ASSERT_TRUE(fs_.NewRandomAccessFile("/db/000001.log", file_options_, &ra, nullptr).ok());
  ASSERT_TRUE(ra->Read(3, 5, io_, &got, scratch, nullptr).ok());
  EXPECT_EQ(got.ToString(), "lo wo");

  std::vector<std::string> children;
  ASSERT_TRUE(fs_.GetChildren("/db", io_, &children, nullptr).ok());
  EXPECT_EQ(children, std::vector<std::string>{"000001.log"});
  uint64_t size = 0;
  ASSERT_TRUE(fs_.GetFileSize("/db/000001.log", io_, &size, nullptr).ok());
  EXPECT_EQ(size, 11u);
  bool is_dir = false;
  ASSERT_TRUE(fs_.IsDirectory("/db", io_, &is_dir, nullptr).ok());
  EXPECT_TRUE(is_dir);
  ASSERT_TRUE(fs_.RenameFile("/db/000001.log", "/db/CURRENT", io_, nullptr).ok());
  EXPECT_TRUE(fs_.FileExists("/db/000001.log", io_, nullptr).IsNotFound());
  EXPECT_TRUE(fs_.FileExists("/db/CURRENT", io_, nullptr).ok());
  ASSERT_TRUE(fs_.DeleteFile("/db/CURRENT", io_, nullptr).ok());
  EXPECT_TRUE(fs_.NewSequentialFile("/db/CURRENT", file_options_, &seq, nullptr).IsPathNotFound());
  EXPECT_TRUE(fs_.GetChildren("/nope", io_, &children, nullptr).IsNotFound());
  std::string absolute;
  ASSERT_TRUE(fs_.GetAbsolutePath("db/", io_, &absolute, nullptr).ok());
  EXPECT_EQ(absolute, "/db");
}

TEST_F(RocksSeamFileSystemTest, ADirectoryRocksDbCreatesSurvivesACrashWithoutAnFsyncOfItsParent) {
  ASSERT_TRUE(fs_.CreateDirIfMissing("/db", io_, nullptr).ok());
  ASSERT_TRUE(disk_.CreateDir("/raw").ok());  // through the seam directly: not durable yet
  disk_.Crash();
  EXPECT_TRUE(disk_.IsDir("/db"));
}

TEST_F(RocksSeamFileSystemTest, ADirectoryFsyncMakesItsNamesDurable) {
  ASSERT_TRUE(fs_.CreateDirIfMissing("/db", io_, nullptr).ok());
  std::unique_ptr<rocksdb::FSWritableFile> w;
  ASSERT_TRUE(fs_.NewWritableFile("/db/MANIFEST-000001", file_options_, &w, nullptr).ok());
  ASSERT_TRUE(w->Append("m", io_, nullptr).ok());
  ASSERT_TRUE(w->Sync(io_, nullptr).ok());
  std::unique_ptr<rocksdb::FSDirectory> dir;
  ASSERT_TRUE(fs_.NewDirectory("/db", io_, &dir, nullptr).ok());
  ASSERT_TRUE(dir->Fsync(io_, nullptr).ok());
  disk_.Crash();
  EXPECT_EQ(disk_.DurableContents("/db/MANIFEST-000001").value(), "m");
  EXPECT_FALSE(fs_.NewDirectory("/missing", io_, &dir, nullptr).ok());
}

TEST_F(RocksSeamFileSystemTest, ASecondLockOnAPathFailsUntilTheFirstIsReleased) {
  ASSERT_TRUE(fs_.CreateDirIfMissing("/db", io_, nullptr).ok());
  rocksdb::FileLock* first = nullptr;
  rocksdb::FileLock* second = nullptr;
  ASSERT_TRUE(fs_.LockFile("/db/LOCK", io_, &first, nullptr).ok());
  EXPECT_TRUE(disk_.Exists("/db/LOCK"));
  EXPECT_TRUE(fs_.LockFile("/db//LOCK", io_, &second, nullptr).IsIOError());
  EXPECT_EQ(second, nullptr);
  ASSERT_TRUE(fs_.UnlockFile(first, io_, nullptr).ok());
  ASSERT_TRUE(fs_.LockFile("/db/LOCK", io_, &second, nullptr).ok());
  ASSERT_TRUE(fs_.UnlockFile(second, io_, nullptr).ok());
}

TEST_F(RocksSeamFileSystemTest, ADisconnectedFileSystemFailsEveryCallAndTouchesNothing) {
  ASSERT_TRUE(fs_.CreateDirIfMissing("/db", io_, nullptr).ok());
  std::unique_ptr<rocksdb::FSWritableFile> w;
  ASSERT_TRUE(fs_.NewWritableFile("/db/000003.log", file_options_, &w, nullptr).ok());
  ASSERT_TRUE(w->Append("acked", io_, nullptr).ok());
  rocksdb::FileLock* lock = nullptr;
  ASSERT_TRUE(fs_.LockFile("/db/LOCK", io_, &lock, nullptr).ok());
  const uint64_t calls = fs_.seam_calls();
  fs_.Disconnect();
  EXPECT_TRUE(w->Append("after death", io_, nullptr).IsIOError());
  EXPECT_TRUE(w->Sync(io_, nullptr).IsIOError());
  EXPECT_TRUE(fs_.DeleteFile("/db/000003.log", io_, nullptr).IsIOError());
  EXPECT_TRUE(fs_.NewWritableFile("/db/000004.log", file_options_, &w, nullptr).IsIOError());
  EXPECT_EQ(fs_.seam_calls(), calls);
  EXPECT_EQ(disk_.FileSize("/db/000003.log").value(), 5u);
  EXPECT_EQ(disk_.unsynced_bytes(), 5u) << "nothing was synced after the disconnect";
  EXPECT_FALSE(disk_.Exists("/db/000004.log"));
  EXPECT_TRUE(fs_.UnlockFile(lock, io_, nullptr).ok()) << "the DB must still be destroyable";
}

// ---- SeamEnv ----

using kv::testing::AddFiberProcess;

// Runs `body` with a SeamEnv on a fiber of a fresh one-process simulation with `seed`.
void WithEnv(uint64_t seed, std::function<void(Runtime&, SeamEnv&)> body) {
  sim::Simulator sim(seed);
  bool done = false;
  const NodeId id = AddFiberProcess(sim, "p", [&](Runtime& rt, storage::FileSystem& fs) {
    std::unique_ptr<SeamEnv> env = NewSeamEnv(rt, fs);
    body(rt, *env);
    done = true;
  });
  sim.Start(id);
  sim.RunFor(absl::Seconds(60));
  EXPECT_TRUE(done);
}

TEST(RocksSeamEnvTest, RocksDbsClockIsTheProcessesSimulatedClock) {
  WithEnv(1, [](Runtime& rt, SeamEnv& env) {
    FiberSleep(absl::Milliseconds(1500));
    rocksdb::SystemClock* clock = env.GetSystemClock().get();  // what RocksDB's internals read
    EXPECT_EQ(clock->NowNanos(), static_cast<uint64_t>(rt.Now().nanos()));
    EXPECT_EQ(clock->NowMicros(), static_cast<uint64_t>(absl::ToUnixMicros(rt.WallNow())));
    EXPECT_EQ(env.NowMicros(), clock->NowMicros());
    int64_t unix_seconds = 0;
    ASSERT_TRUE(clock->GetCurrentTime(&unix_seconds).ok());
    EXPECT_EQ(unix_seconds, absl::ToUnixSeconds(rt.WallNow()));
    EXPECT_EQ(clock->CPUNanos(), 0u);
    EXPECT_EQ(env.TimeToString(1767225600), "2026/01/01-00:00:00");
    EXPECT_EQ(env.GetFileSystem().get(), &env.seam_file_system());
  });
}

struct Counter {
  int runs = 0;
  int unscheduled = 0;
};
void CountRun(void* arg) { ++static_cast<Counter*>(arg)->runs; }
void Unschedule(void* arg) { ++static_cast<Counter*>(arg)->unscheduled; }

TEST(RocksSeamEnvTest, JobsRunLaterAsTasksNeverInlineAndUnScheduleDropsATagsQueuedJobs) {
  WithEnv(1, [](Runtime&, SeamEnv& env) {
    Counter a, b;
    int tag_a = 0, tag_b = 0;
    env.Schedule(&CountRun, &a, rocksdb::Env::LOW, &tag_a, &Unschedule);
    env.Schedule(&CountRun, &a, rocksdb::Env::LOW, &tag_a, &Unschedule);
    env.Schedule(&CountRun, &b, rocksdb::Env::HIGH, &tag_b, &Unschedule);
    EXPECT_EQ(a.runs + b.runs, 0) << "a job ran inline";
    EXPECT_EQ(env.GetThreadPoolQueueLen(rocksdb::Env::LOW), 2u);
    EXPECT_EQ(env.GetThreadPoolQueueLen(rocksdb::Env::HIGH), 1u);
    EXPECT_EQ(env.UnSchedule(&tag_a, rocksdb::Env::HIGH), 0) << "wrong priority";
    EXPECT_EQ(env.UnSchedule(&tag_a, rocksdb::Env::LOW), 2);
    EXPECT_EQ(a.unscheduled, 2);
    EXPECT_EQ(env.pending_jobs(), 1u);
    env.WaitForBackgroundJobs();
    EXPECT_EQ(a.runs, 0);
    EXPECT_EQ(b.runs, 1);
    EXPECT_EQ(env.job_stats().scheduled, 3u);
    EXPECT_EQ(env.job_stats().run, 1u);
    EXPECT_EQ(env.job_stats().unscheduled, 2u);
  });
}

struct SleepyJob {
  SeamEnv* env;
  Runtime* rt;
  MonoTime ran_at;
};

TEST(RocksSeamEnvTest, ABackgroundJobsSleepDefersLaterJobsInSimulatedTime) {
  WithEnv(1, [](Runtime& rt, SeamEnv& env) {
    SleepyJob first{&env, &rt, {}}, second{&env, &rt, {}};
    env.Schedule(
        [](void* arg) {
          auto* job = static_cast<SleepyJob*>(arg);
          job->ran_at = job->rt->Now();
          job->env->SleepForMicroseconds(1000000);  // RocksDB's back-off after a failed flush
        },
        &first);
    env.WaitForBackgroundJobs();
    env.Schedule([](void* arg) { static_cast<SleepyJob*>(arg)->ran_at =
                                     static_cast<SleepyJob*>(arg)->rt->Now(); },
                 &second);
    env.WaitForBackgroundJobs();
    EXPECT_EQ(second.ran_at - first.ran_at, absl::Seconds(1));
    EXPECT_EQ(env.job_stats().sleeps_deferred, 1u);
  });
}

TEST(RocksSeamEnvTest, UniqueIdsAndHostNamesComeFromTheSeedNotTheMachine) {
  auto ids = [](uint64_t seed) {
    std::vector<std::string> out;
    WithEnv(seed, [&](Runtime&, SeamEnv& env) {
      out.push_back(env.GenerateUniqueId());
      out.push_back(env.GenerateUniqueId());
      char host[64];
      ASSERT_TRUE(env.GetHostName(host, sizeof(host)).ok());
      out.push_back(host);
    });
    return out;
  };
  const std::vector<std::string> a = ids(3);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a, ids(3));
  EXPECT_NE(a[0], ids(4)[0]);
  EXPECT_NE(a[0], a[1]);
  EXPECT_EQ(a[0].size(), 36u) << a[0];
  EXPECT_EQ(a[2], "kv-node-1");
}

TEST(RocksSeamEnvDeathTest, ASleepOnAFiberStopsTheRunAndSaysItIsAWriteStall) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(WithEnv(1, [](Runtime&, SeamEnv& env) { env.SleepForMicroseconds(1000); }),
               "a write stall");
}

TEST(RocksSeamEnvDeathTest, DiskLatencyUnderRocksDbStopsTheRunWithAClearMessage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto open_on_a_slow_disk = [] {
    sim::Simulator sim(1);
    sim::ProcessOptions options;
    options.disk_faults.latency_mean = absl::Milliseconds(1);
    const NodeId id = testing::AddRocksProcess(
        sim, "db", [](Runtime&, testing::RocksApp& app) { (void)testing::OpenDb(app); }, options);
    sim.Start(id);
    sim.RunFor(absl::Seconds(10));
  };
  EXPECT_DEATH(open_on_a_slow_disk(), "must not have latency");
}

}  // namespace
}  // namespace kv::storage::rocksdb_env
