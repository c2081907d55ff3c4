// The records column family's compaction filter: purges records that can never be read again.
// A record is purged when it has versions and every one of them is dead (a tombstone, or expired)
// and the latest death (a tombstone's wall time, an expiry time) is at least `grace` before the
// node's wall clock now. Until then a dead record stays, so its causal context keeps superseding
// older versions that a replica which missed the delete (or the overwrite) could send back through
// read repair, hinted handoff or anti-entropy. Reads treat dead versions as absent at once
// (storage/record/dvv.h LiveValues); this filter only reclaims space.
//
// RocksDB turns a removal into a deletion marker below which older versions stay hidden, so a
// purged record cannot resurface from a lower level.
//
// Threading: in real mode RocksDB calls the filter from its background threads; it reads only the
// clock (thread-safe) and atomic counters. A record that fails to decode is kept.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "net/clock.h"
#include "net/time.h"
#include "rocksdb/compaction_filter.h"
#include "storage/record/record.pb.h"

namespace kv::storage {

// Counters shared by every filter instance of one engine.
struct ExpiryFilterStats {
  std::atomic<uint64_t> examined{0};
  std::atomic<uint64_t> purged{0};
  std::atomic<uint64_t> undecodable{0};
};

// True if `record` may be purged at `wall_now_micros` (see above).
bool RecordIsPurgeable(const Record& record, int64_t wall_now_micros, int64_t grace_micros);

class ExpiryFilterFactory final : public rocksdb::CompactionFilterFactory {
 public:
  // `clock` and `stats` must outlive the database.
  ExpiryFilterFactory(const Clock* clock, Duration grace, ExpiryFilterStats* stats);

  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context& context) override;
  const char* Name() const override { return "kv.ExpiryFilterFactory"; }

 private:
  const Clock* clock_;
  int64_t grace_micros_;
  ExpiryFilterStats* stats_;
};

}  // namespace kv::storage
