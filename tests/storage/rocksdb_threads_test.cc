// Proof that RocksDB on the seam env starts no thread of its own in a simulated run, except the one
// DESIGN.md section 3 allows: RocksDB's periodic-task timer (kFlushInfoLog every 10 s of real time),
// which no option stops and which DB::Close shuts down again. Two independent views:
//  - the kernel's: the threads of this process (/proc/self/task, with names from .../comm),
//    sampled from inside the simulation while RocksDB opens, writes, flushes, compacts and closes;
//  - every thread creation in the process: this binary interposes pthread_create (the executable's
//    definition wins over libc's for every shared library, RocksDB and libstdc++ included),
//    records the creating call stack and forwards to the real one. Short-lived threads that a
//    sample could miss are counted too.
#include <dlfcn.h>
#include <execinfo.h>
#include <pthread.h>

#include <cstdlib>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "net/fiber.h"
#include "sim/simulator.h"
#include "storage/rocksdb_env/flush_trigger.h"
#include "storage/rocksdb_sim_util.h"

namespace {

std::mutex creation_mu;
std::vector<std::string>* creation_stacks = new std::vector<std::string>;  // never freed

}  // namespace

extern "C" int pthread_create(pthread_t* thread, const pthread_attr_t* attr,
                              void* (*start)(void*), void* arg) {
  using PthreadCreate = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
  static const auto real = reinterpret_cast<PthreadCreate>(dlsym(RTLD_NEXT, "pthread_create"));
  void* frames[48];
  const int n = backtrace(frames, 48);
  std::string stack;
  if (char** symbols = backtrace_symbols(frames, n)) {
    for (int i = 0; i < n; ++i) stack.append(symbols[i]).append("\n");
    std::free(symbols);
  }
  {
    std::lock_guard<std::mutex> lock(creation_mu);
    creation_stacks->push_back(std::move(stack));
  }
  return real(thread, attr, start, arg);
}

namespace kv::storage::rocksdb_env {
namespace {

// Call stacks of the threads created since the `since`-th creation.
std::vector<std::string> CreationsSince(size_t since) {
  std::lock_guard<std::mutex> lock(creation_mu);
  return std::vector<std::string>(creation_stacks->begin() + since, creation_stacks->end());
}

size_t Creations() {
  std::lock_guard<std::mutex> lock(creation_mu);
  return creation_stacks->size();
}

using testing::AddRocksProcess;
using testing::CloseDb;
using testing::FilesAtLevel;
using testing::Key;
using testing::OpenDb;
using testing::RocksApp;
using testing::Value;

// The threads of this process: kernel thread id -> name (/proc/self/task/<tid>/comm).
std::map<int, std::string> Threads() {
  std::map<int, std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(entry.path() / "comm");
    std::string name;
    std::getline(comm, name);
    out[std::stoi(entry.path().filename().string())] = name;
  }
  return out;
}

// Threads in `now` that are not in `base`, as "tid:name".
std::vector<std::string> NewThreads(const std::map<int, std::string>& base,
                                    const std::map<int, std::string>& now) {
  std::vector<std::string> out;
  for (const auto& [tid, name] : now) {
    if (!base.contains(tid)) out.push_back(absl::StrCat(tid, ":", name));
  }
  return out;
}

TEST(RocksThreadsTest, TheThreadProbesSeeAThreadStartedInThisProcess) {
  // Proves the probes below can fail: a thread we start is seen, with its name, and its creation
  // is recorded with its call stack.
  const size_t created_before = Creations();
  const std::map<int, std::string> base = Threads();
  bool stop = false;
  std::mutex mu;
  std::condition_variable cv;
  std::thread t([&] {
    pthread_setname_np(pthread_self(), "probe-check");
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return stop; });
  });
  std::vector<std::string> seen;
  for (int i = 0; i < 1000 && seen.empty(); ++i) {
    seen = NewThreads(base, Threads());
    if (seen.empty() || seen[0].find("probe-check") == std::string::npos) {
      seen.clear();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
  }
  cv.notify_all();
  t.join();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_NE(seen[0].find("probe-check"), std::string::npos);
  const std::vector<std::string> created = CreationsSince(created_before);
  ASSERT_EQ(created.size(), 1u);
  EXPECT_NE(created[0].find("_ZNSt6thread15_M_start_thread"), std::string::npos)
      << created[0];
}

TEST(RocksThreadsTest, ASimulatedRunStartsAtMostRocksDbsTimerThreadAndCloseStopsIt) {
  // Name this thread, so a thread RocksDB starts from it (which inherits the name) is told apart
  // from threads of its pools, which RocksDB names "rocksdb:low", "rocksdb:high", ...
  pthread_setname_np(pthread_self(), "kv-sim-main");
  const size_t created_before = Creations();
  const std::map<int, std::string> base = Threads();
  std::map<int, std::string> seen_new;  // every new thread seen at any sample
  size_t peak_new = 0;
  int samples = 0;
  auto sample = [&] {
    const std::map<int, std::string> now = Threads();
    size_t fresh = 0;
    for (const auto& [tid, name] : now) {
      if (base.contains(tid)) continue;
      ++fresh;
      seen_new[tid] = name;
    }
    peak_new = std::max(peak_new, fresh);
    ++samples;
  };

  bool done = false;
  size_t new_after_open = 0;
  uint64_t jobs_run = 0;
  {
    sim::Simulator sim(5);
    const NodeId id = AddRocksProcess(sim, "db", [&](Runtime& rt, RocksApp& app) {
      ASSERT_TRUE(OpenDb(app).ok());
      sample();
      new_after_open = seen_new.size();
      FlushTrigger flush(app.db.get(), app.env.get(), {.memtable_bytes_limit = 32 << 10});
      for (int i = 0; i < 4000; ++i) {
        ASSERT_TRUE(app.db->Put(rocksdb::WriteOptions(), Key(i % 1500), Value(i)).ok());
        ASSERT_TRUE(flush.Account(Key(i).size() + Value(i).size()).ok());
        if (i % 100 == 99) {
          FiberSleep(absl::Milliseconds(1));
          sample();
        }
      }
      app.env->WaitForBackgroundJobs();
      sample();
      EXPECT_GT(FilesAtLevel(app.db.get(), 1), 0) << "no compaction ran";
      jobs_run = app.env->job_stats().run;
      ASSERT_TRUE(CloseDb(app).ok());
      sample();
      done = true;
    });
    sim.Start(id);
    sim.RunFor(absl::Seconds(60));
  }
  sample();
  ASSERT_TRUE(done);
  EXPECT_GT(jobs_run, 5u);
  EXPECT_GT(samples, 40);

  std::vector<std::string> names;
  for (const auto& [tid, name] : seen_new) names.push_back(absl::StrCat(tid, ":", name));
  const std::string listing = absl::StrJoin(names, ", ");
  // At most one thread at a time, and one in all: the timer, started by DB::Open.
  EXPECT_LE(peak_new, 1u) << listing;
  EXPECT_LE(seen_new.size(), 1u) << listing;
  EXPECT_EQ(new_after_open, seen_new.size()) << "a thread started after open: " << listing;
  for (const auto& [tid, name] : seen_new) {
    EXPECT_EQ(name.rfind("rocksdb:", 0), std::string::npos) << "a RocksDB pool thread: " << listing;
    EXPECT_EQ(name, "kv-sim-main") << "started by something other than this thread: " << listing;
  }
  // Every thread created during the run, however short its life: exactly one, by RocksDB's
  // periodic task scheduler (whose Timer::Start is inlined into Register).
  const std::vector<std::string> created = CreationsSince(created_before);
  ASSERT_EQ(created.size(), 1u) << absl::StrJoin(created, "\n----\n");
  EXPECT_NE(created[0].find("PeriodicTaskScheduler"), std::string::npos) << created[0];
  // Close shut the timer down: no thread is left over.
  EXPECT_TRUE(NewThreads(base, Threads()).empty()) << absl::StrJoin(NewThreads(base, Threads()), ", ");
  std::cout << "new threads seen during the run: [" << listing << "], peak " << peak_new << "\n";
}

// The negative control: with RocksDB's default max_file_opening_threads (16) instead of the 1 that
// ApplyDeterministicOptions sets, reopening a DB with SST files loads them on threads RocksDB
// starts itself, and the first file call from such a thread stops the run (SeamFileSystem checks
// the calling thread on every call).
TEST(RocksThreadsDeathTest, WithDefaultOptionsRocksDbOpensTablesOnItsOwnThreadsAndTheRunStops) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto reopen_with_default_table_loading = [] {
    sim::Simulator sim(9);
    int boots = 0;
    const NodeId id = AddRocksProcess(sim, "db", [&](Runtime&, RocksApp& app) {
      if (++boots == 1) {
        ASSERT_TRUE(OpenDb(app).ok());
        FlushTrigger flush(app.db.get(), app.env.get(), {.memtable_bytes_limit = 8 << 10});
        for (int i = 0; i < 300; ++i) {
          ASSERT_TRUE(app.db->Put(rocksdb::WriteOptions(), Key(i), Value(i)).ok());
          ASSERT_TRUE(flush.Account(Key(i).size() + Value(i).size()).ok());
        }
        ASSERT_TRUE(CloseDb(app).ok());
        return;
      }
      rocksdb::Options options = SeamOptions(app.env.get());
      options.max_file_opening_threads = 16;
      rocksdb::DB* raw = nullptr;
      (void)rocksdb::DB::Open(options, "/db", &raw);
      delete raw;
    });
    sim.Start(id);
    sim.RunFor(absl::Seconds(10));
    sim.Stop(id);
    sim.Start(id);
    sim.RunFor(absl::Seconds(10));
  };
  EXPECT_DEATH(reopen_with_default_table_loading(), "from a thread other than the simulator's");
}

}  // namespace
}  // namespace kv::storage::rocksdb_env
