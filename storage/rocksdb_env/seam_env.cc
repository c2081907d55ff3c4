#include "storage/rocksdb_env/seam_env.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "net/assert.h"
#include "storage/rocksdb_env/seam_logger.h"

namespace kv::storage::rocksdb_env {

// The queue of background jobs. Executor tasks hold it weakly: a task that runs after the env is
// gone finds nothing to do.
struct SeamEnv::Jobs {
  struct Job {
    void (*function)(void*);
    void* arg;
    Priority pri;
    void* tag;
    void (*unschedule)(void*);
  };
  absl::btree_map<uint64_t, Job> queued;  // by id, which is the order scheduled
  uint64_t next_id = 1;
  JobStats stats;
  WaitList idle_waiters;  // fibers in WaitForBackgroundJobs
};

SeamEnv::SeamEnv(Runtime& runtime, storage::FileSystem& fs)
    : SeamEnv(runtime, std::make_shared<SeamFileSystem>(&fs)) {}

// The composite target answers the legacy Env file calls with the same SeamFileSystem; every
// other call RocksDB makes of a thread pool, clock or logger is overridden here.
SeamEnv::SeamEnv(Runtime& runtime, std::shared_ptr<SeamFileSystem> seam_fs)
    : rocksdb::EnvWrapper(rocksdb::NewCompositeEnv(seam_fs)),
      runtime_(runtime),
      seam_fs_(std::move(seam_fs)),
      clock_(std::make_shared<SeamClock>(&runtime.clock())),
      info_log_(std::make_shared<SeamLogger>(&runtime.logger())),
      random_(runtime.random().Fork("rocksdb/seam-env")),
      jobs_(std::make_shared<Jobs>()) {
  file_system_ = seam_fs_;
  KV_ASSERT(GetFileSystem().get() == seam_fs_.get());
}

SeamEnv::~SeamEnv() {
  KV_ASSERT_MSG(jobs_->idle_waiters.empty(), "SeamEnv destroyed while a fiber waits for its jobs");
  // Jobs still queued belong to DBs already destroyed (a DB unschedules its own jobs when it
  // closes); they are dropped with their arguments.
  for (auto& [id, job] : jobs_->queued) {
    if (job.unschedule != nullptr) job.unschedule(job.arg);
  }
  jobs_->queued.clear();
}

// ---- time ----

void SeamEnv::SleepForMicroseconds(int micros) {
  clock_->SleepForMicroseconds(micros);  // KV_ASSERT failure on a fiber
  const MonoTime until = runtime_.Now() + absl::Microseconds(std::max(micros, 0));
  defer_jobs_until_ = std::max(defer_jobs_until_, until);
  ++jobs_->stats.sleeps_deferred;
}

// ---- identity and logging ----

std::string SeamEnv::GenerateUniqueId() {
  const uint64_t hi = random_.Next64();
  const uint64_t lo = random_.Next64();
  // RFC 4122 layout (version 4, variant 1), like RocksDB's own ids.
  return absl::StrFormat("%08x-%04x-4%03x-%04x-%012x", hi >> 32, (hi >> 16) & 0xffff, hi & 0xfff,
                         0x8000 | ((lo >> 48) & 0x3fff), lo & 0xffffffffffffULL);
}

rocksdb::Status SeamEnv::GetHostName(char* name, uint64_t len) {
  if (len == 0) return rocksdb::Status::InvalidArgument("empty host name buffer");
  const std::string host = absl::StrCat("kv-node-", runtime_.self());
  const size_t n = std::min<size_t>(host.size(), len - 1);
  std::memcpy(name, host.data(), n);
  name[n] = '\0';
  return rocksdb::Status::OK();
}

rocksdb::Status SeamEnv::NewLogger(const std::string&, std::shared_ptr<rocksdb::Logger>* result) {
  *result = info_log_;
  return rocksdb::Status::OK();
}

rocksdb::Status SeamEnv::GetTestDirectory(std::string*) {
  return rocksdb::Status::NotSupported("SeamEnv has no test directory");
}

// ---- background work ----

void SeamEnv::Schedule(void (*function)(void* arg), void* arg, Priority pri, void* tag,
                       void (*unschedule_function)(void* arg)) {
  KV_ASSERT(function != nullptr);
  const uint64_t id = jobs_->next_id++;
  jobs_->queued.emplace(id, Jobs::Job{function, arg, pri, tag, unschedule_function});
  ++jobs_->stats.scheduled;
  std::weak_ptr<Jobs> weak = jobs_;
  Task task = [weak, id] {
    if (std::shared_ptr<Jobs> jobs = weak.lock()) RunJob(jobs, id);
  };
  if (defer_jobs_until_ > runtime_.Now()) {
    runtime_.executor().RunAt(defer_jobs_until_, std::move(task));
  } else {
    runtime_.executor().Post(std::move(task));
  }
}

void SeamEnv::RunJob(const std::shared_ptr<Jobs>& jobs, uint64_t id) {
  auto it = jobs->queued.find(id);
  if (it == jobs->queued.end()) return;  // unscheduled
  const Jobs::Job job = it->second;
  jobs->queued.erase(it);
  KV_ASSERT(!FiberScheduler::OnFiber());
  job.function(job.arg);
  ++jobs->stats.run;
  jobs->idle_waiters.WakeAll();
}

int SeamEnv::UnSchedule(void* tag, Priority pri) {
  int dropped = 0;
  for (auto it = jobs_->queued.begin(); it != jobs_->queued.end();) {
    if (it->second.tag != tag || it->second.pri != pri) {
      ++it;
      continue;
    }
    const Jobs::Job job = it->second;
    it = jobs_->queued.erase(it);
    if (job.unschedule != nullptr) job.unschedule(job.arg);
    ++dropped;
  }
  jobs_->stats.unscheduled += dropped;
  if (dropped > 0) jobs_->idle_waiters.WakeAll();
  return dropped;
}

void SeamEnv::StartThread(void (*function)(void* arg), void* arg) {
  KV_ASSERT(function != nullptr);
  ++jobs_->stats.threads_started;
  runtime_.executor().Post([function, arg] { function(arg); });
}

unsigned int SeamEnv::GetThreadPoolQueueLen(Priority pri) const {
  unsigned int n = 0;
  for (const auto& [id, job] : jobs_->queued) n += job.pri == pri ? 1 : 0;
  return n;
}

void SeamEnv::SetBackgroundThreads(int number, Priority pri) {
  KV_ASSERT(pri >= 0 && pri < Priority::TOTAL);
  background_threads_[pri] = std::max(number, 0);
}

int SeamEnv::GetBackgroundThreads(Priority pri) {
  KV_ASSERT(pri >= 0 && pri < Priority::TOTAL);
  return background_threads_[pri];
}

void SeamEnv::IncBackgroundThreadsIfNeeded(int number, Priority pri) {
  KV_ASSERT(pri >= 0 && pri < Priority::TOTAL);
  background_threads_[pri] = std::max(background_threads_[pri], number);
}

void SeamEnv::WaitForBackgroundJobs() {
  KV_ASSERT_MSG(FiberScheduler::OnFiber(), "WaitForBackgroundJobs must be called on a fiber");
  while (!jobs_->queued.empty()) {
    Waiter waiter;
    jobs_->idle_waiters.Add(&waiter);
    struct Unregister {
      WaitList& list;
      Waiter* waiter;
      ~Unregister() { list.Remove(waiter); }
    } unregister{jobs_->idle_waiters, &waiter};
    waiter.Wait();
  }
}

size_t SeamEnv::pending_jobs() const { return jobs_->queued.size(); }

const SeamEnv::JobStats& SeamEnv::job_stats() const { return jobs_->stats; }

std::unique_ptr<SeamEnv> NewSeamEnv(Runtime& runtime, storage::FileSystem& fs) {
  return std::make_unique<SeamEnv>(runtime, fs);
}

}  // namespace kv::storage::rocksdb_env
