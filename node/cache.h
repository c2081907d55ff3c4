// Cache namespaces' memory bound (Redis's maxmemory with allkeys-lru, memcached): each node keeps
// the live values of a cache namespace's keys within the namespace's `cache_bytes`, evicting
// the least recently used keys when it is over.
//
// The LRU is approximate, as Redis's is: every access (a local write or read of the key's copy)
// stamps the key with a logical clock; to evict, the node draws `samples` keys of the namespace
// at random (the run's seeded Random) into a pool of the `pool` oldest candidates seen so far,
// and removes the oldest candidate not touched since it was drawn, again until it is within
// budget. tests/node/cache_test.cc measures how close this comes to exact LRU. Sizes count each key once plus its live values' bytes and kRecordOverhead per value;
// tombstones are never evicted (a delete must not come undone) and count nothing.
//
// An eviction removes this node's copy only (Engine::Update to nothing, when the key has not
// been touched since it was chosen): it is not replicated as a delete, the key's other replicas
// evict on their own, and anti-entropy, read repair and transfers leave cache units alone
// (node/namespaces.h). Because an evicted copy no longer holds the dots this node issued for the
// key, a later write the node coordinates may supersede a concurrent sibling it wrote before:
// a cache keeps the last write, as Redis and memcached do.
//
// At start, what is stored for the cache namespaces the node knows is counted again (every key
// equally old). Threading: the node's fibers; the eviction fiber suspends on engine writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "net/fiber.h"
#include "net/runtime.h"
#include "node/membership.h"
#include "node/replica_store.h"
#include "storage/engine/engine.h"

namespace kv::node {

struct CacheOptions {
  size_t samples = 5;  // keys drawn per eviction (Redis's maxmemory-samples)
  size_t pool = 16;    // oldest candidates kept across evictions (Redis's EVPOOL_SIZE)
};

struct CacheSpaceStats {
  uint64_t keys = 0;
  uint64_t bytes = 0;
  uint64_t budget = 0;  // 0 until this node knows the namespace
  uint64_t evictions = 0;
};

class CacheEvictor final : public StoreListener {
 public:
  static constexpr uint64_t kRecordOverhead = 64;

  CacheEvictor(Runtime& rt, storage::Engine& engine, Membership& membership, uint32_t cluster_n,
               CacheOptions options = {});

  // Counts what is stored for the cache namespaces known now. REQUIRES: on a fiber.
  absl::Status Load();
  // Evictions may start (the eviction fiber is spawned when a namespace first goes over budget).
  void Start();

  // The local copy of `stored_key` in engine partition `store_id` is now `record` (nullopt:
  // gone). Ignores units that are not a cache's.
  void OnStored(storage::PartitionId store_id, absl::string_view stored_key,
                const std::optional<storage::Record>& record) override;
  // The local copy was read.
  void OnRead(storage::PartitionId store_id, absl::string_view stored_key) override;
  // A namespace's budget may have changed: evict if it is now exceeded.
  void OnNamespacesChanged() { MaybeWake(); }

  // By namespace.
  absl::btree_map<std::string, CacheSpaceStats> stats() const;

  // The size a record counts for (0: nothing live).
  static uint64_t Size(absl::string_view stored_key, const storage::Record& record);

 private:
  struct Entry {
    storage::PartitionId unit = 0;
    uint64_t bytes = 0;
    uint64_t stamp = 0;
  };
  struct Candidate {
    std::string key;
    uint64_t stamp = 0;  // as drawn: a key touched since is no candidate any more
  };
  struct Space {
    std::vector<Candidate> pool;    // oldest first
    std::vector<std::string> keys;  // sampled by index; removal swaps the last in
    std::vector<Entry> entries;     // parallel to keys
    absl::flat_hash_map<std::string, size_t> index;  // lookups only, never iterated
    uint64_t bytes = 0;
    uint64_t evictions = 0;
  };
  uint64_t Budget(const std::string& ns) const;
  bool Over(const std::string& ns, const Space& space) const;
  void Remove(Space& space, size_t i);
  void MaybeWake();
  void Loop();
  // Evicts one key of `ns` (suspends). False if nothing could be evicted.
  bool EvictOne(const std::string& ns);

  Runtime& rt_;
  storage::Engine& engine_;
  Membership& membership_;
  uint32_t cluster_n_;
  CacheOptions options_;
  absl::btree_map<std::string, Space> spaces_;
  uint64_t clock_ = 0;
  WaitList wake_;
  bool started_ = false;
  bool spawned_ = false;
  bool evicting_ = false;
};

}  // namespace kv::node
