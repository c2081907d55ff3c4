// SeamClock: rocksdb::SystemClock over a process's seam clock (net/clock.h), so RocksDB's notion of
// time is simulated time in the simulator. Semantics follow RocksDB's POSIX clock:
//   NowMicros      -> wall clock (kv::Clock::WallNow), microseconds since the Unix epoch;
//   NowNanos       -> monotonic clock (kv::Clock::MonoNow), nanoseconds since the process origin;
//   GetCurrentTime -> wall clock, whole seconds since the Unix epoch;
//   CPUMicros/CPUNanos -> 0 ("not supported"): CPU time is real and differs between runs.
// Wall time may jump in the simulator (nemesis clock faults); RocksDB tolerates that from
// gettimeofday too.
//
// SleepForMicroseconds never sleeps: a thread that sleeps stops the whole simulation, and
// simulated time cannot pass inside one call. Called on a fiber it is a KV_ASSERT failure (RocksDB
// only sleeps in the foreground to delay a stalled write, which with ApplyDeterministicOptions
// means the storage layer let background work fall far behind); elsewhere it is a no-op. SeamEnv
// routes RocksDB's sleeps through SeamEnv::SleepForMicroseconds, which also defers the next
// background job (see seam_env.h).
//
// Threading: called on the process's thread only. RocksDB's own timer thread uses its default
// clock, never this one.
#pragma once

#include <cstdint>
#include <string>

#include "net/clock.h"
#include "rocksdb/system_clock.h"

namespace kv::storage::rocksdb_env {

class SeamClock final : public rocksdb::SystemClock {
 public:
  // `clock` must outlive this.
  explicit SeamClock(const Clock* clock);

  static const char* kClassName() { return "SeamClock"; }
  const char* Name() const override { return kClassName(); }

  uint64_t NowMicros() override;
  uint64_t NowNanos() override;
  uint64_t CPUMicros() override { return 0; }
  uint64_t CPUNanos() override { return 0; }
  void SleepForMicroseconds(int micros) override;
  rocksdb::Status GetCurrentTime(int64_t* unix_time) override;
  // "YYYY/MM/DD-HH:MM:SS" in UTC (independent of the host's time zone).
  std::string TimeToString(uint64_t seconds_since_epoch) override;

 private:
  const Clock* clock_;
};

}  // namespace kv::storage::rocksdb_env
