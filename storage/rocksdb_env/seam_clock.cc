#include "storage/rocksdb_env/seam_clock.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "net/assert.h"
#include "net/fiber.h"

namespace kv::storage::rocksdb_env {

SeamClock::SeamClock(const Clock* clock) : clock_(clock) { KV_ASSERT(clock != nullptr); }

uint64_t SeamClock::NowMicros() {
  const int64_t micros = absl::ToUnixMicros(clock_->WallNow());
  KV_ASSERT(micros >= 0);
  return static_cast<uint64_t>(micros);
}

uint64_t SeamClock::NowNanos() {
  const int64_t nanos = clock_->MonoNow().nanos();
  KV_ASSERT(nanos >= 0);
  return static_cast<uint64_t>(nanos);
}

void SeamClock::SleepForMicroseconds(int micros) {
  KV_ASSERT_MSG(!FiberScheduler::OnFiber(),
                absl::StrCat("RocksDB tried to sleep ", micros,
                             " us on a fiber: a write stall. Flush earlier (FlushTrigger) or let "
                             "background jobs run; a sleeping fiber would stop the simulation"));
}

rocksdb::Status SeamClock::GetCurrentTime(int64_t* unix_time) {
  *unix_time = absl::ToUnixSeconds(clock_->WallNow());
  return rocksdb::Status::OK();
}

std::string SeamClock::TimeToString(uint64_t seconds_since_epoch) {
  return absl::FormatTime("%Y/%m/%d-%H:%M:%S",
                          absl::FromUnixSeconds(static_cast<int64_t>(seconds_since_epoch)),
                          absl::UTCTimeZone());
}

}  // namespace kv::storage::rocksdb_env
