#include "storage/engine/expiry_filter.h"

#include <algorithm>
#include <string>

#include "net/assert.h"
#include "storage/record/dvv.h"
#include "storage/record/record_codec.h"

namespace kv::storage {

bool RecordIsPurgeable(const Record& record, int64_t wall_now_micros, int64_t grace_micros) {
  if (record.siblings_size() == 0) return false;
  int64_t last_death = INT64_MIN;
  for (const Sibling& s : record.siblings()) {
    if (s.tombstone()) {
      last_death = std::max(last_death, s.wall_micros());
    } else if (IsExpired(s, wall_now_micros)) {
      last_death = std::max(last_death, s.expiry_micros());
    } else {
      return false;  // a live version
    }
  }
  return last_death <= wall_now_micros - grace_micros;
}

namespace {

class ExpiryFilter final : public rocksdb::CompactionFilter {
 public:
  ExpiryFilter(int64_t wall_now_micros, int64_t grace_micros, ExpiryFilterStats* stats)
      : now_(wall_now_micros), grace_(grace_micros), stats_(stats) {}

  bool Filter(int /*level*/, const rocksdb::Slice& /*key*/, const rocksdb::Slice& value,
              std::string* /*new_value*/, bool* /*value_changed*/) const override {
    stats_->examined.fetch_add(1, std::memory_order_relaxed);
    absl::StatusOr<Record> record = DecodeRecord(absl::string_view(value.data(), value.size()));
    if (!record.ok()) {
      stats_->undecodable.fetch_add(1, std::memory_order_relaxed);
      return false;  // never drop what we cannot read; reads report it
    }
    if (!RecordIsPurgeable(*record, now_, grace_)) return false;
    stats_->purged.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  const char* Name() const override { return "kv.ExpiryFilter"; }

 private:
  int64_t now_;
  int64_t grace_;
  ExpiryFilterStats* stats_;
};

}  // namespace

ExpiryFilterFactory::ExpiryFilterFactory(const Clock* clock, Duration grace,
                                         ExpiryFilterStats* stats)
    : clock_(clock), grace_micros_(absl::ToInt64Microseconds(grace)), stats_(stats) {
  KV_ASSERT(clock_ != nullptr);
  KV_ASSERT(stats_ != nullptr);
}

std::unique_ptr<rocksdb::CompactionFilter> ExpiryFilterFactory::CreateCompactionFilter(
    const rocksdb::CompactionFilter::Context& /*context*/) {
  // One clock reading per compaction: a compaction judges all its records at the same instant.
  const int64_t now = absl::ToUnixMicros(clock_->WallNow());
  return std::make_unique<ExpiryFilter>(now, grace_micros_, stats_);
}

}  // namespace kv::storage
