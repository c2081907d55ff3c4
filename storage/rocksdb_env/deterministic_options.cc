#include "storage/rocksdb_env/deterministic_options.h"

#include <utility>

#include "absl/strings/match.h"
#include "net/assert.h"
#include "storage/rocksdb_env/seam_env.h"
#include "storage/rocksdb_env/seam_logger.h"

namespace kv::storage::rocksdb_env {

namespace {

// No thread outside the Env.
void ApplyThreadFreeOptions(rocksdb::Options* o) {
  o->max_file_opening_threads = 1;
  o->max_subcompactions = 1;
  o->compression_opts.parallel_threads = 1;
  o->bottommost_compression_opts.parallel_threads = 1;
  o->max_bgerror_resume_count = 0;
  o->stats_dump_period_sec = 0;
  o->stats_persist_period_sec = 0;
  o->persist_stats_to_disk = false;
  o->preclude_last_level_data_seconds = 0;
  o->preserve_internal_time_seconds = 0;
  o->enable_thread_tracking = false;
  o->dump_malloc_stats = false;
  if (o->info_log == nullptr) o->info_log = NewNullLogger();
}

// Nothing on the one thread ever waits for background work.
void ApplyNoBlockingOptions(rocksdb::Options* o) {
  o->max_write_buffer_number = 32;
  o->min_write_buffer_number_to_merge = 1;
  o->level0_slowdown_writes_trigger = 512;
  o->level0_stop_writes_trigger = 1024;
  o->soft_pending_compaction_bytes_limit = 0;  // 0 = no limit
  o->hard_pending_compaction_bytes_limit = 0;
  o->avoid_unnecessary_blocking_io = false;    // purge obsolete files inline
  o->enable_pipelined_write = false;
  o->two_write_queues = false;
  o->unordered_write = false;
  o->manual_wal_flush = false;
  o->use_direct_reads = false;
  o->use_direct_io_for_flush_and_compaction = false;
  o->allow_mmap_reads = false;
  o->allow_mmap_writes = false;
  o->bytes_per_sync = 0;
  o->wal_bytes_per_sync = 0;
  o->rate_limiter = nullptr;
}

// The same seed writes the same files through the same I/O.
void ApplyDeterminismOptions(rocksdb::Options* o) {
  o->write_buffer_size = kWriteBufferBytesOutOfReach;
  o->db_write_buffer_size = 0;
  o->write_buffer_manager = nullptr;
  o->max_total_wal_size = 0;
  o->db_host_id = "";
  o->table_cache_numshardbits = 0;
  o->wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
}

}  // namespace

std::shared_ptr<rocksdb::Cache> NewDeterministicBlockCache(size_t capacity_bytes) {
  return rocksdb::NewLRUCache(capacity_bytes, /*num_shard_bits=*/0);
}

void ApplyDeterministicOptions(rocksdb::Options* options, rocksdb::BlockBasedTableOptions table) {
  KV_ASSERT(options != nullptr);
  ApplyThreadFreeOptions(options);
  ApplyNoBlockingOptions(options);
  ApplyDeterminismOptions(options);
  if (table.block_cache == nullptr && !table.no_block_cache) {
    table.block_cache = NewDeterministicBlockCache(kDefaultBlockCacheBytes);
  }
  options->table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  KV_ASSERT(options->level0_stop_writes_trigger >= options->level0_slowdown_writes_trigger);
  KV_ASSERT(options->level0_slowdown_writes_trigger >= options->level0_file_num_compaction_trigger);
}

bool HashRocksDbFileBytes(absl::string_view path) {
  const size_t slash = path.rfind('/');
  const absl::string_view name = slash == absl::string_view::npos ? path : path.substr(slash + 1);
  return !absl::EndsWith(name, ".sst") && !absl::StartsWith(name, "MANIFEST-");
}

rocksdb::Options SeamOptions(SeamEnv* env, rocksdb::BlockBasedTableOptions table) {
  KV_ASSERT(env != nullptr);
  rocksdb::Options options;
  options.env = env;
  options.info_log = env->info_log();
  options.create_if_missing = true;
  ApplyDeterministicOptions(&options, std::move(table));
  return options;
}

}  // namespace kv::storage::rocksdb_env
