// Options of the storage engine (engine.h), with their limits and validation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "net/time.h"

namespace kv::storage {

namespace rocksdb_env {
class SeamEnv;
}

// When a write is acknowledged.
enum class Durability {
  // The WAL is fsynced before a write is acknowledged; concurrent writes share one fsync
  // (group commit). Nothing acknowledged is lost by a crash. A WAL damaged anywhere but in its
  // torn tail makes the engine refuse to open (DATA_LOSS) rather than drop what follows.
  kSync,
  // Writes are acknowledged once in the WAL (page cache); the WAL is fsynced every
  // sync_interval, like Redis's appendfsync everysec. A crash loses at most the writes of the
  // last interval, always a suffix: if a write survives, every write acknowledged before it does.
  // WAL replay stops at the first damaged record (RocksDB's point-in-time recovery).
  kInterval,
};

const char* DurabilityName(Durability d);
// "sync" or "interval".
absl::StatusOr<Durability> ParseDurability(absl::string_view text);

// The largest value_bytes_max and key_bytes_max allowed.
inline constexpr size_t kValueBytesMaxLimit = 64 << 20;
inline constexpr size_t kKeyBytesMaxLimit = 64 << 10;

struct EngineOptions {
  // Directory of the database on the process's file system.
  std::string dir = "/db";
  Durability durability = Durability::kSync;
  Duration sync_interval = absl::Seconds(1);

  // Writes with a longer key or a longer value are refused (INVALID_ARGUMENT) before anything is
  // written.
  size_t key_bytes_max = 4 << 10;
  size_t value_bytes_max = 1 << 20;

  // A record whose every version is a tombstone or expired is purged by compaction once its last
  // death (tombstone wall time or expiry) is this far in the past. Must exceed the anti-entropy
  // cycle and the hint window, or a replica that missed the delete can bring the value back.
  Duration tombstone_grace = absl::Hours(1);

  // Memtables are flushed when this many bytes were written since the last flush: in a simulated
  // run by the engine's own accounting (RocksDB's size trigger is out of reach for determinism),
  // in real mode by RocksDB (its write_buffer_size).
  uint64_t memtable_flush_bytes = 32 << 20;
  // Most operations committed in one group (one WAL write and, under kSync, one fsync).
  size_t group_commit_ops_max = 1024;
  // Time a WAL fsync takes, as seen by the committing fiber (it sleeps this long after each
  // group). Zero in real mode, where the fsync itself takes the time; the simulator sets it to
  // model disk latency outside RocksDB (RocksDB's file calls never suspend a fiber).
  Duration modelled_sync_latency = absl::ZeroDuration();

  // Merkle tree shape: leaves per partition tree (a power of two).
  uint32_t merkle_leaves = 1024;
  // RocksDB block cache.
  size_t block_cache_bytes = 64 << 20;

  // RocksDB's environment. nullptr: RocksDB's default (real mode: POSIX files under `dir` taken as
  // an OS path, RocksDB's own threads, its own memtable sizing). A SeamEnv
  // (storage/rocksdb_env/seam_env.h) runs RocksDB on the seam with the settings a thread-free,
  // deterministic run needs, and memtables flushed by the engine's byte accounting. main() (or
  // the simulator's boot function) chooses; the engine's callers never look.
  rocksdb_env::SeamEnv* seam_env = nullptr;
};

// OK, or INVALID_ARGUMENT naming the first bad option.
absl::Status ValidateEngineOptions(const EngineOptions& options);

}  // namespace kv::storage
