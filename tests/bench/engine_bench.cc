// The storage engine against raw RocksDB on the real disk, with the same options (RocksDB's
// default env, bloom filters, the same block cache size) and the same bytes per write, in the
// same run. Goal (storage issue): engine overhead at most 15 % over raw RocksDB.
//
//   build/release/tests/bench/engine_bench --benchmark_min_time=1
//   KV_BENCH_VALUE_BYTES=1024 build/release/tests/bench/engine_bench ...   (values of 1 KiB)
//
// For instruction counts that compare between builds, fix the iterations (the same keys, the
// same memtable sizes): KV_BENCH_ITERATIONS=1000 valgrind --tool=callgrind engine_bench ...
//
// "Raw" writes the engine's own encoded record bytes under the engine's key layout, so the
// difference is the engine's work: validation, record encoding, the Merkle update (a read of the
// old record's digest), group commit through a fiber, and hint/metadata bookkeeping.
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "net/asio_executor.h"
#include "net/fiber.h"
#include "net/null_transport.h"
#include "net/random.h"
#include "net/runtime.h"
#include "net/stderr_logger.h"
#include "rocksdb/db.h"
#include "rocksdb/perf_level.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "storage/engine/engine.h"
#include "storage/engine/keys.h"
#include "storage/record/dvv.h"
#include "storage/record/record_codec.h"
#include "tests/support/real_process.h"

namespace kv::storage {
namespace {

constexpr int kPreloadKeys = 100'000;
// Memtable size on both sides: kvnode's default (and RocksDB's).
constexpr uint64_t kMemtableBytes = 64 << 20;
// KV_BENCH_VALUE_BYTES=n sets the value size (default 100; PERFORMANCE.md uses 3 and 1024 too).
size_t ValueBytes() {
  static const size_t bytes = [] {
    const char* env = ::getenv("KV_BENCH_VALUE_BYTES");
    return env != nullptr ? static_cast<size_t>(std::strtoull(env, nullptr, 10)) : size_t{100};
  }();
  return bytes;
}

std::string TempDir() {
  char pattern[] = "/tmp/kv-engine-bench-XXXXXX";
  char* dir = ::mkdtemp(pattern);
  if (dir == nullptr) std::abort();
  return dir;
}

std::string Key(uint64_t i) { return absl::StrFormat("user%012d", i); }

Record MakeRecord(uint64_t i) {
  std::string value(ValueBytes(), static_cast<char>('a' + i % 26));
  return Update(EmptyRecord(), Context(), 1, Write::Put(std::move(value)),
                static_cast<int64_t>(i + 1));
}

// The record's stored bytes as a raw RocksDB user would make them: the same one-allocation
// encoder the engine uses, so encoding costs the same on both sides.
std::string Encoded(const Record& record) {
  std::string out;
  EncodeValidRecord(record, &out);
  return out;
}

using kv::testing::RealProcess;

rocksdb::DB* OpenRaw(const std::string& dir) {
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.block_cache = rocksdb::NewLRUCache(64 << 20);
  rocksdb::Options options;
  options.create_if_missing = true;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // The engine's memtable size and records column family options.
  options.write_buffer_size = kMemtableBytes;
  options.memtable_whole_key_filtering = true;
  options.memtable_prefix_bloom_size_ratio = 0.05;
  // As the engine: RocksDB's per-thread perf counters off (the level is per thread, so without
  // this the order of the benchmarks would decide which raw runs count them).
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  rocksdb::DB* db = nullptr;
  if (!rocksdb::DB::Open(options, dir, &db).ok()) std::abort();
  return db;
}

void BM_RawPut(benchmark::State& state) {
  const bool sync = state.range(0) != 0;
  const std::string dir = TempDir();
  rocksdb::DB* db = OpenRaw(dir);
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  uint64_t i = 0;
  for (auto _ : state) {
    const std::string value = Encoded(MakeRecord(i));
    if (!db->Put(wo, RecordKey(i % 64, Key(i)), value).ok()) std::abort();
    ++i;
  }
  state.SetItemsProcessed(static_cast<int64_t>(i));
  delete db;
  std::filesystem::remove_all(dir);
}

void BM_EnginePut(benchmark::State& state) {
  const bool sync = state.range(0) != 0;
  const std::string dir = TempDir();
  RealProcess process;
  process.RunOnFiber([&] {
    EngineOptions options;
    options.dir = dir;
    options.memtable_flush_bytes = kMemtableBytes;
    options.durability = sync ? Durability::kSync : Durability::kInterval;
    std::unique_ptr<Engine> engine = *Engine::Open(process.runtime, options);
    uint64_t i = 0;
    for (auto _ : state) {
      if (!engine->Put(static_cast<PartitionId>(i % 64), Key(i), MakeRecord(i)).ok()) std::abort();
      ++i;
    }
    state.SetItemsProcessed(static_cast<int64_t>(i));
    if (!engine->Close().ok()) std::abort();
  });
  std::filesystem::remove_all(dir);
}

void BM_RawBatchPut(benchmark::State& state) {
  const std::string dir = TempDir();
  rocksdb::DB* db = OpenRaw(dir);
  uint64_t i = 0;
  for (auto _ : state) {
    rocksdb::WriteBatch batch;
    for (int k = 0; k < 100; ++k, ++i) {
      batch.Put(RecordKey(i % 64, Key(i)), Encoded(MakeRecord(i)));
    }
    if (!db->Write(rocksdb::WriteOptions(), &batch).ok()) std::abort();
  }
  state.SetItemsProcessed(static_cast<int64_t>(i));
  delete db;
  std::filesystem::remove_all(dir);
}

void BM_EngineBatchPut(benchmark::State& state) {
  const std::string dir = TempDir();
  RealProcess process;
  process.RunOnFiber([&] {
    EngineOptions options;
    options.dir = dir;
    options.memtable_flush_bytes = kMemtableBytes;
    options.durability = Durability::kInterval;
    std::unique_ptr<Engine> engine = *Engine::Open(process.runtime, options);
    uint64_t i = 0;
    for (auto _ : state) {
      WriteBatch batch;
      batch.Reserve(100);
      for (int k = 0; k < 100; ++k, ++i) {
        batch.PutRecord(static_cast<PartitionId>(i % 64), Key(i), MakeRecord(i));
      }
      if (!engine->Write(std::move(batch)).ok()) std::abort();
    }
    state.SetItemsProcessed(static_cast<int64_t>(i));
    if (!engine->Close().ok()) std::abort();
  });
  std::filesystem::remove_all(dir);
}

void BM_RawGet(benchmark::State& state) {
  const std::string dir = TempDir();
  rocksdb::DB* db = OpenRaw(dir);
  for (uint64_t i = 0; i < kPreloadKeys; ++i) {
    if (!db->Put(rocksdb::WriteOptions(), RecordKey(i % 64, Key(i)), EncodeRecord(MakeRecord(i)))
             .ok()) {
      std::abort();
    }
  }
  Random random(7);
  std::string value;
  for (auto _ : state) {
    const uint64_t i = random.Uniform(kPreloadKeys);
    if (!db->Get(rocksdb::ReadOptions(), RecordKey(i % 64, Key(i)), &value).ok()) std::abort();
    // Raw RocksDB hands back bytes; a reader still has to check and parse them.
    benchmark::DoNotOptimize(DecodeRecord(value));
  }
  state.SetItemsProcessed(state.iterations());
  delete db;
  std::filesystem::remove_all(dir);
}

void BM_EngineGet(benchmark::State& state) {
  const std::string dir = TempDir();
  RealProcess process;
  process.RunOnFiber([&] {
    EngineOptions options;
    options.dir = dir;
    options.memtable_flush_bytes = kMemtableBytes;
    options.durability = Durability::kInterval;
    std::unique_ptr<Engine> engine = *Engine::Open(process.runtime, options);
    for (uint64_t i = 0; i < kPreloadKeys; i += 100) {
      WriteBatch batch;
      for (uint64_t k = i; k < i + 100; ++k) {
        batch.PutRecord(static_cast<PartitionId>(k % 64), Key(k), MakeRecord(k));
      }
      if (!engine->Write(std::move(batch)).ok()) std::abort();
    }
    Random random(7);
    for (auto _ : state) {
      const uint64_t i = random.Uniform(kPreloadKeys);
      benchmark::DoNotOptimize(engine->Get(static_cast<PartitionId>(i % 64), Key(i)));
    }
    state.SetItemsProcessed(state.iterations());
    if (!engine->Close().ok()) std::abort();
  });
  std::filesystem::remove_all(dir);
}

// Read-modify-write, the node's write path: raw Get + decode + Put against Engine::Update.
void BM_RawReadModifyWrite(benchmark::State& state) {
  const std::string dir = TempDir();
  rocksdb::DB* db = OpenRaw(dir);
  uint64_t i = 0;
  std::string value;
  for (auto _ : state) {
    const uint64_t k = i % 10'000;  // each key in one partition, as a node stores it
    const std::string key = RecordKey(k % 64, Key(k));
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), key, &value);
    Record current = s.ok() ? *DecodeRecord(value) : EmptyRecord();
    Record next = Update(current, ReadContext(current), 1, Write::Put(std::string(ValueBytes(), 'x')),
                         static_cast<int64_t>(i + 1));
    if (!db->Put(rocksdb::WriteOptions(), key, Encoded(next)).ok()) std::abort();
    ++i;
  }
  state.SetItemsProcessed(static_cast<int64_t>(i));
  delete db;
  std::filesystem::remove_all(dir);
}

void BM_EngineUpdate(benchmark::State& state) {
  const std::string dir = TempDir();
  RealProcess process;
  process.RunOnFiber([&] {
    EngineOptions options;
    options.dir = dir;
    options.memtable_flush_bytes = kMemtableBytes;
    options.durability = Durability::kInterval;
    std::unique_ptr<Engine> engine = *Engine::Open(process.runtime, options);
    const Record empty = EmptyRecord();
    uint64_t i = 0;
    for (auto _ : state) {
      const uint64_t k = i % 10'000;
      auto r = engine->Update(static_cast<PartitionId>(k % 64), Key(k),
                              [i, &empty](const Record* current) {
                                const Record& base = current != nullptr ? *current : empty;
                                return std::optional<Record>(
                                    Update(base, ReadContext(base), 1,
                                           Write::Put(std::string(ValueBytes(), 'x')),
                                           static_cast<int64_t>(i + 1)));
                              });
      if (!r.ok()) std::abort();
      ++i;
    }
    state.SetItemsProcessed(static_cast<int64_t>(i));
    if (!engine->Close().ok()) std::abort();
  });
  std::filesystem::remove_all(dir);
}

// KV_BENCH_ITERATIONS=n runs every benchmark exactly n iterations, once.
void FixedIterations(benchmark::internal::Benchmark* b) {
  const char* iterations = ::getenv("KV_BENCH_ITERATIONS");
  if (iterations != nullptr) b->Iterations(std::atoll(iterations));
}

BENCHMARK(BM_RawReadModifyWrite)->UseRealTime()->Apply(FixedIterations);
BENCHMARK(BM_EngineUpdate)->UseRealTime()->Apply(FixedIterations);
BENCHMARK(BM_RawPut)->Arg(0)->Arg(1)->ArgName("sync")->UseRealTime()->Apply(FixedIterations);
BENCHMARK(BM_EnginePut)->Arg(0)->Arg(1)->ArgName("sync")->UseRealTime()->Apply(FixedIterations);
BENCHMARK(BM_RawBatchPut)->UseRealTime()->Apply(FixedIterations);
BENCHMARK(BM_EngineBatchPut)->UseRealTime()->Apply(FixedIterations);
BENCHMARK(BM_RawGet)->UseRealTime()->Apply(FixedIterations);
BENCHMARK(BM_EngineGet)->UseRealTime()->Apply(FixedIterations);

}  // namespace
}  // namespace kv::storage
