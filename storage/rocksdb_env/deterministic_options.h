// The rocksdb::Options a thread-free, deterministic run needs (DESIGN.md section 3, measured on
// Debian's RocksDB 7.8). Every setting below answers one of these:
//  - threads RocksDB would start outside the Env: table loading at open
//    (max_file_opening_threads = 1), subcompactions (max_subcompactions = 1), parallel compression
//    (parallel_threads = 1), automatic recovery from background errors
//    (max_bgerror_resume_count = 0), periodic stats dumping and persisting (stats_*_period_sec =
//    0), seqno-to-time sampling on the timer thread (preclude_last_level_data_seconds = 0,
//    preserve_internal_time_seconds = 0). What remains is RocksDB's info-log flush timer, one
//    thread no option stops; the info log must then be a logger whose Flush touches nothing
//    (SeamLogger; a discarding one is installed if none is set).
//  - blocking on one thread: a foreground write must never wait for background work, which runs
//    only when the writing fiber yields. So the write-stall triggers are out of reach
//    (max_write_buffer_number, level-0 slowdown/stop triggers, pending-compaction-bytes limits
//    off), purges run inline (avoid_unnecessary_blocking_io = false, so Close never waits for a
//    job it cannot unschedule), and the storage layer never uses blocking APIs (Flush with
//    wait = false: see flush_trigger.h).
//  - determinism: memtable flush points would depend on skiplist node heights, whose random
//    generator RocksDB seeds from the thread id; write_buffer_size is therefore out of reach and
//    the storage layer flushes from its own byte accounting (FlushTrigger). Block-cache sharding
//    hashes keys derived from the random DB session id, so the block cache has one shard (its LRU
//    order is then the access order, the same in every run). db_host_id = "" keeps the host name
//    out of SST files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/strings/string_view.h"
#include "rocksdb/cache.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"

namespace kv::storage::rocksdb_env {

class SeamEnv;

// A memtable size no workload reaches (RocksDB clamps write_buffer_size to 64 GiB).
inline constexpr size_t kWriteBufferBytesOutOfReach = size_t{16} << 30;

// Block cache capacity used when the caller's table options have none.
inline constexpr size_t kDefaultBlockCacheBytes = size_t{32} << 20;

// Applies the settings above to `options`, and installs a block-based table factory made from
// `table` with, if `table.block_cache` is null, a one-shard LRU block cache of
// kDefaultBlockCacheBytes. Leaves env, create_if_missing, compression, comparators, filters and
// compaction filters alone. REQUIRES: options != nullptr.
void ApplyDeterministicOptions(rocksdb::Options* options,
                               rocksdb::BlockBasedTableOptions table = {});

// An LRU cache with one shard (see above).
std::shared_ptr<rocksdb::Cache> NewDeterministicBlockCache(size_t capacity_bytes);

// For sim::ProcessOptions::hash_disk_bytes: false for the RocksDB files whose bytes differ between
// two runs of one seed, so only the shape of their I/O (operation, offset, length) is traced; true
// for every other file. Measured on RocksDB 7.8 (tests/storage/rocksdb_determinism_test.cc): SST
// files (*.sst) and MANIFEST-* carry the random DB session id; WAL (*.log), CURRENT, IDENTITY,
// OPTIONS-* and LOCK are byte-identical.
bool HashRocksDbFileBytes(absl::string_view path);

// Options for a DB on `env`: env, its info log, create_if_missing, then ApplyDeterministicOptions.
rocksdb::Options SeamOptions(SeamEnv* env, rocksdb::BlockBasedTableOptions table = {});

}  // namespace kv::storage::rocksdb_env
