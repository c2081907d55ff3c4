#include "storage/rocksdb_env/flush_trigger.h"

#include "net/assert.h"
#include "net/fiber.h"

namespace kv::storage::rocksdb_env {

FlushTrigger::FlushTrigger(rocksdb::DB* db, SeamEnv* env, FlushTriggerOptions options,
                           rocksdb::ColumnFamilyHandle* cf)
    : db_(db), env_(env), options_(options), cf_(cf != nullptr ? cf : db->DefaultColumnFamily()) {
  KV_ASSERT(db_ != nullptr);
  KV_ASSERT(env_ != nullptr);
  KV_ASSERT(options_.memtable_bytes_limit > 0);
  KV_ASSERT(options_.immutable_memtables_max >= 1);
  KV_ASSERT(options_.immutable_memtables_max < db_->GetOptions(cf_).max_write_buffer_number);
}

rocksdb::Status FlushTrigger::Account(uint64_t bytes) {
  KV_ASSERT(FiberScheduler::OnFiber());
  accounted_bytes_ += bytes;
  if (accounted_bytes_ < options_.memtable_bytes_limit) return rocksdb::Status::OK();
  rocksdb::Status status = FlushNow();
  if (ImmutableMemtables() >= static_cast<uint64_t>(options_.immutable_memtables_max)) {
    ++background_waits_;
    env_->WaitForBackgroundJobs();
  }
  return status;
}

rocksdb::Status FlushTrigger::FlushNow() {
  rocksdb::FlushOptions flush;
  flush.wait = false;
  flush.allow_write_stall = true;
  accounted_bytes_ = 0;
  ++flushes_requested_;
  return db_->Flush(flush, cf_);
}

uint64_t FlushTrigger::ImmutableMemtables() const {
  uint64_t n = 0;
  const bool known = db_->GetIntProperty(cf_, "rocksdb.num-immutable-mem-table", &n);
  KV_ASSERT(known);
  return n;
}

}  // namespace kv::storage::rocksdb_env
