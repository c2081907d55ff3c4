// SeamEnv: the rocksdb::Env of one process, built on the seam (net/runtime.h and
// storage/file_system.h), so that in the simulator RocksDB runs on the simulated disk, on simulated
// time, with its background work as simulator events and no thread of its own.
//
//   disk        GetFileSystem() is a SeamFileSystem over the process's storage::FileSystem (set in
//               Env's protected file_system_, which RocksDB's internals read). Legacy Env file
//               calls forward to a composite env over the same SeamFileSystem.
//   time        NowMicros/NowNanos/GetCurrentTime/TimeToString come from a SeamClock on the
//               runtime's clock. RocksDB's internals read GetSystemClock(), which for an Env built
//               by EnvWrapper is RocksDB's forwarding clock that calls these overrides (measured:
//               tests/storage/rocksdb_seam_env_test.cc checks GetSystemClock() reads simulated
//               time). Env's own protected clock member is left alone: the forwarding clock
//               already reads the seam.
//               NowCPUNanos is 0.
//   sleeping    SleepForMicroseconds never sleeps. On a fiber it is a KV_ASSERT failure (RocksDB
//               sleeps in the foreground only to delay a stalled write). In a background job it is
//               RocksDB's back-off after a failed flush or compaction: it returns at once and
//               defers every background job scheduled in the next `micros` of simulated time.
//   jobs        Schedule queues the job and posts an executor task that runs it; never inline, and
//               in the simulator that task is an event of the process. Jobs run one at a time, in
//               the order scheduled (whatever their priority), outside any fiber. UnSchedule drops
//               queued jobs of a tag (calling their unschedule function), as RocksDB's Close
//               expects; GetThreadPoolQueueLen counts queued jobs. StartThread runs the function
//               as one executor task (it must not block). Thread counts are bookkeeping only.
//   identity    GenerateUniqueId draws from a stream forked from the runtime's random stream;
//               GetHostName is "kv-node-<id>". With Options::db_host_id = "" no host name is
//               written into SST files.
//   info log    NewLogger returns info_log(), a SeamLogger on the runtime's logger, so no LOG file
//               is written and the timer thread's Flush touches nothing shared.
//
// Threading: create, use and destroy the env on the process's thread; RocksDB calls it from the
// process's fibers and from its own background jobs (executor tasks on the same thread). The
// Runtime and the storage::FileSystem must outlive the env, and the env must outlive every DB
// opened with it. After a simulated crash the process's pending tasks are dropped unrun; the jobs
// stay queued here until the DB's destructor unschedules them or the env is destroyed.
//
// Crash: a process that is crashing should call Disconnect() before deleting its DB, so the DB's
// destructor (which closes and syncs files) cannot make anything durable. See SeamFileSystem.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/btree_map.h"
#include "net/fiber.h"
#include "net/random.h"
#include "net/runtime.h"
#include "rocksdb/env.h"
#include "storage/file_system.h"
#include "storage/rocksdb_env/seam_clock.h"
#include "storage/rocksdb_env/seam_file_system.h"

namespace kv::storage::rocksdb_env {

class SeamEnv final : public rocksdb::EnvWrapper {
 public:
  // Counters for tests and reports.
  struct JobStats {
    uint64_t scheduled = 0;
    uint64_t run = 0;
    uint64_t unscheduled = 0;
    uint64_t threads_started = 0;
    uint64_t sleeps_deferred = 0;  // background back-offs turned into deferred jobs
  };

  // Prefer NewSeamEnv. `runtime` and `fs` must outlive the env.
  SeamEnv(Runtime& runtime, storage::FileSystem& fs);
  ~SeamEnv() override;

  static const char* kClassName() { return "SeamEnv"; }
  const char* Name() const override { return kClassName(); }

  SeamFileSystem& seam_file_system() { return *seam_fs_; }
  const std::shared_ptr<SeamClock>& seam_clock() const { return clock_; }
  // The info log to give RocksDB (Options::info_log).
  const std::shared_ptr<rocksdb::Logger>& info_log() const { return info_log_; }

  // Suspends the calling fiber until no background job is queued (jobs that jobs schedule
  // included). Call before DB::Close so flushes and compactions finish.
  // REQUIRES: on a fiber of the process the env belongs to. Throws FiberCancelled if cancelled.
  void WaitForBackgroundJobs();
  // Jobs queued and not yet run or unscheduled.
  size_t pending_jobs() const;
  const JobStats& job_stats() const;

  // Every later disk call fails with IOError without touching the disk. For crashing processes.
  void Disconnect() { seam_fs_->Disconnect(); }

  // ---- time ----
  uint64_t NowMicros() override { return clock_->NowMicros(); }
  uint64_t NowNanos() override { return clock_->NowNanos(); }
  uint64_t NowCPUNanos() override { return 0; }
  void SleepForMicroseconds(int micros) override;
  rocksdb::Status GetCurrentTime(int64_t* unix_time) override {
    return clock_->GetCurrentTime(unix_time);
  }
  std::string TimeToString(uint64_t time) override { return clock_->TimeToString(time); }

  // ---- identity and logging ----
  std::string GenerateUniqueId() override;
  rocksdb::Status GetHostName(char* name, uint64_t len) override;
  rocksdb::Status NewLogger(const std::string& fname,
                            std::shared_ptr<rocksdb::Logger>* result) override;
  rocksdb::Status GetTestDirectory(std::string* path) override;

  // ---- background work ----
  void Schedule(void (*function)(void* arg), void* arg, Priority pri = LOW, void* tag = nullptr,
                void (*unschedule_function)(void* arg) = nullptr) override;
  int UnSchedule(void* tag, Priority pri) override;
  void StartThread(void (*function)(void* arg), void* arg) override;
  void WaitForJoin() override {}
  unsigned int GetThreadPoolQueueLen(Priority pri = LOW) const override;
  void SetBackgroundThreads(int number, Priority pri = LOW) override;
  int GetBackgroundThreads(Priority pri = LOW) override;
  void IncBackgroundThreadsIfNeeded(int number, Priority pri) override;
  int ReserveThreads(int, Priority) override { return 0; }
  int ReleaseThreads(int, Priority) override { return 0; }
  void LowerThreadPoolIOPriority(Priority) override {}
  void LowerThreadPoolCPUPriority(Priority) override {}
  rocksdb::Status LowerThreadPoolCPUPriority(Priority, rocksdb::CpuPriority) override {
    return rocksdb::Status::OK();
  }

 private:
  struct Jobs;
  SeamEnv(Runtime& runtime, std::shared_ptr<SeamFileSystem> seam_fs);
  // Runs queued job `id` if it is still queued (an executor task).
  static void RunJob(const std::shared_ptr<Jobs>& jobs, uint64_t id);

  Runtime& runtime_;
  std::shared_ptr<SeamFileSystem> seam_fs_;
  std::shared_ptr<SeamClock> clock_;
  std::shared_ptr<rocksdb::Logger> info_log_;
  Random random_;
  std::shared_ptr<Jobs> jobs_;
  // Background jobs scheduled before this time wait until it (RocksDB's error back-off).
  MonoTime defer_jobs_until_;
  // Bookkeeping for Get/Set/IncBackgroundThreads, indexed by Priority.
  int background_threads_[rocksdb::Env::Priority::TOTAL] = {0, 1, 1, 0};
};

// Builds the env of a process. See SeamEnv.
std::unique_ptr<SeamEnv> NewSeamEnv(Runtime& runtime, storage::FileSystem& fs);

}  // namespace kv::storage::rocksdb_env
