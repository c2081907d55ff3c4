// FlushTrigger: memtable flushes driven by the storage layer's own byte accounting.
//
// Why: RocksDB decides a memtable is full from its arena's memory use, which depends on the
// skiplist's random node heights, and RocksDB seeds that generator from the thread id, which
// changes from run to run. Left to RocksDB, two runs of a seed flush after different writes and
// write different files. ApplyDeterministicOptions puts write_buffer_size out of reach; this class
// flushes instead when the bytes the caller accounted (any deterministic measure, e.g. key + value
// sizes of each write) reach a limit. The flush never blocks: FlushOptions{wait = false,
// allow_write_stall = true} switches the memtable and schedules the flush as a background job
// (a simulator event). Because background jobs run only when the writing fiber yields, a writer
// that never yields would pile up immutable memtables until RocksDB stalls the write (a KV_ASSERT
// failure in SeamEnv, since nothing may sleep); so when immutable_memtables_max memtables wait,
// Account() lets the background jobs run first.
//
// After a restart the accounting starts at zero: RocksDB replays the WAL into a memtable and, with
// the default avoid_flush_during_recovery = false, flushes it while opening.
//
// Threading: one FlushTrigger per column family, used from the process's fibers. The DB and env
// must outlive it.
#pragma once

#include <cstdint>

#include "rocksdb/db.h"
#include "storage/rocksdb_env/seam_env.h"

namespace kv::storage::rocksdb_env {

struct FlushTriggerOptions {
  // Flush once this many accounted bytes went into the memtable.
  uint64_t memtable_bytes_limit = uint64_t{4} << 20;
  // Wait for background jobs when this many immutable memtables are unflushed. Must stay below
  // the max_write_buffer_number that ApplyDeterministicOptions sets, so no write ever stalls.
  int immutable_memtables_max = 4;
};

class FlushTrigger {
 public:
  // `cf` null means the default column family.
  FlushTrigger(rocksdb::DB* db, SeamEnv* env, FlushTriggerOptions options = {},
               rocksdb::ColumnFamilyHandle* cf = nullptr);

  // Accounts `bytes` just written. When the limit is reached, requests a flush (see above) and
  // returns that request's status; otherwise OK. May suspend the calling fiber while background
  // jobs run. REQUIRES: on a fiber.
  rocksdb::Status Account(uint64_t bytes);
  // Requests a flush now, whatever has been accounted. Never blocks.
  rocksdb::Status FlushNow();

  uint64_t accounted_bytes() const { return accounted_bytes_; }
  uint64_t flushes_requested() const { return flushes_requested_; }
  uint64_t background_waits() const { return background_waits_; }

 private:
  uint64_t ImmutableMemtables() const;

  rocksdb::DB* db_;
  SeamEnv* env_;
  FlushTriggerOptions options_;
  rocksdb::ColumnFamilyHandle* cf_;
  uint64_t accounted_bytes_ = 0;
  uint64_t flushes_requested_ = 0;
  uint64_t background_waits_ = 0;
};

}  // namespace kv::storage::rocksdb_env
