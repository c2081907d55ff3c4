#include "node/cache.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "net/fault_points.h"
#include "node/namespaces.h"
#include "storage/record/dvv.h"

namespace kv::node {

CacheEvictor::CacheEvictor(Runtime& rt, storage::Engine& engine, Membership& membership,
                           uint32_t cluster_n, CacheOptions options)
    : rt_(rt), engine_(engine), membership_(membership), cluster_n_(cluster_n), options_(options) {
  KV_ASSERT(options_.samples >= 1);
}

uint64_t CacheEvictor::Size(absl::string_view stored_key, const storage::Record& record) {
  uint64_t bytes = 0;
  for (const storage::Sibling& s : record.siblings()) {
    if (s.tombstone()) continue;
    bytes += s.value().size() + kRecordOverhead;
  }
  return bytes == 0 ? 0 : bytes + stored_key.size();
}

absl::Status CacheEvictor::Load() {
  const std::optional<Ring>& ring = membership_.ring();
  if (!ring.has_value()) return absl::OkStatus();
  absl::btree_map<uint32_t, bool> kinds;  // the N of each cache namespace known
  for (const Namespace& ns : membership_.namespaces()) {
    if (ns.cache_bytes() > 0) kinds[ns.n()] = true;
  }
  for (const auto& [n, unused] : kinds) {
    for (PartitionId p = 0; p < ring->partition_count(); ++p) {
      const PartitionId unit = StoreId({.partition = p, .n = n, .cache = true}, cluster_n_);
      absl::Status scanned =
          engine_.ScanPartition(unit, [&](absl::string_view key, const storage::Record& record) {
            OnStored(unit, key, record);
            return true;
          });
      if (!scanned.ok()) return scanned;
    }
  }
  // Loaded keys are equally old.
  for (auto& [name, space] : spaces_) {
    for (Entry& e : space.entries) e.stamp = 0;
  }
  return absl::OkStatus();
}

void CacheEvictor::Start() {
  started_ = true;
  MaybeWake();
}

uint64_t CacheEvictor::Budget(const std::string& ns) const {
  const Namespace* def = membership_.FindNamespace(ns);
  return def == nullptr ? 0 : def->cache_bytes();
}

bool CacheEvictor::Over(const std::string& ns, const Space& space) const {
  const uint64_t budget = Budget(ns);
  return budget > 0 && space.bytes > budget && !space.keys.empty();
}

void CacheEvictor::OnStored(storage::PartitionId store_id, absl::string_view stored_key,
                            const std::optional<storage::Record>& record) {
  if (!UnitOf(store_id, cluster_n_).cache) return;
  absl::string_view ns_view, key;
  if (!SplitStoredKey(stored_key, &ns_view, &key)) return;
  Space& space = spaces_[std::string(ns_view)];
  const uint64_t bytes = record.has_value() ? Size(stored_key, *record) : 0;
  auto it = space.index.find(stored_key);
  if (it != space.index.end()) {
    const size_t i = it->second;
    space.bytes -= space.entries[i].bytes;
    if (bytes == 0) {
      Remove(space, i);
      return;
    }
    space.entries[i].bytes = bytes;
    space.entries[i].stamp = ++clock_;
    space.bytes += bytes;
  } else if (bytes > 0) {
    space.index.emplace(std::string(stored_key), space.keys.size());
    space.keys.emplace_back(stored_key);
    space.entries.push_back(Entry{.unit = store_id, .bytes = bytes, .stamp = ++clock_});
    space.bytes += bytes;
  }
  if (Over(std::string(ns_view), space)) MaybeWake();
}

void CacheEvictor::OnRead(storage::PartitionId store_id, absl::string_view stored_key) {
  if (!UnitOf(store_id, cluster_n_).cache) return;
  absl::string_view ns, key;
  if (!SplitStoredKey(stored_key, &ns, &key)) return;
  auto space = spaces_.find(ns);
  if (space == spaces_.end()) return;
  auto it = space->second.index.find(stored_key);
  if (it != space->second.index.end()) space->second.entries[it->second].stamp = ++clock_;
}

void CacheEvictor::Remove(Space& space, size_t i) {
  space.index.erase(space.keys[i]);
  const size_t last = space.keys.size() - 1;
  if (i != last) {
    space.keys[i] = std::move(space.keys[last]);
    space.entries[i] = space.entries[last];
    space.index[space.keys[i]] = i;
  }
  space.keys.pop_back();
  space.entries.pop_back();
}

void CacheEvictor::MaybeWake() {
  if (!started_) return;
  if (!spawned_) {
    // Only once some cache namespace is over budget: a node without caches runs no extra fiber
    // (and a simulated run without caches is event for event what it was before caches).
    bool any = false;
    for (const auto& [ns, space] : spaces_) any = any || Over(ns, space);
    if (!any) return;
    spawned_ = true;
    rt_.Spawn("cache-evictor", [this] { Loop(); });
    return;
  }
  if (!evicting_) wake_.WakeAll();
}

void CacheEvictor::Loop() {
  while (true) {
    evicting_ = false;
    bool any = false;
    for (const auto& [ns, space] : spaces_) any = any || Over(ns, space);
    if (!any) {
      Waiter w;
      WaitRegistration registration(wake_, &w);
      w.Wait();
    }
    evicting_ = true;
    // One namespace at a time, by name; spaces_ may change while an eviction suspends.
    std::vector<std::string> over;
    for (const auto& [ns, space] : spaces_) {
      if (Over(ns, space)) over.push_back(ns);
    }
    bool failed = false;
    for (const std::string& ns : over) {
      while (!failed && Over(ns, spaces_.at(ns))) failed = !EvictOne(ns);
    }
    if (failed) FiberSleep(absl::Milliseconds(100));  // the disk refused a write; try later
  }
}

bool CacheEvictor::EvictOne(const std::string& ns) {
  Space& space = spaces_.at(ns);
  // Redis's eviction pool: a few keys drawn at random join the oldest candidates kept from
  // earlier draws; the oldest candidate still as it was when drawn goes.
  for (size_t s = 0; s < options_.samples; ++s) {
    const size_t i = rt_.random().Uniform(space.keys.size());
    const Candidate drawn{space.keys[i], space.entries[i].stamp};
    auto at = std::lower_bound(space.pool.begin(), space.pool.end(), drawn,
                               [](const Candidate& a, const Candidate& b) {
                                 return a.stamp < b.stamp || (a.stamp == b.stamp && a.key < b.key);
                               });
    if (at != space.pool.end() && at->key == drawn.key) continue;
    if (space.pool.size() >= options_.pool && at == space.pool.end()) continue;
    space.pool.insert(at, drawn);
    if (space.pool.size() > options_.pool) space.pool.pop_back();
  }
  size_t victim = space.keys.size();
  while (!space.pool.empty() && victim == space.keys.size()) {
    const Candidate oldest = space.pool.front();
    space.pool.erase(space.pool.begin());
    auto it = space.index.find(oldest.key);
    if (it != space.index.end() && space.entries[it->second].stamp == oldest.stamp) victim = it->second;
  }
  if (victim == space.keys.size()) return true;  // every candidate was touched: draw again
  const std::string key = space.keys[victim];
  const Entry chosen = space.entries[victim];
  enum class Outcome { kEvicted, kTouched, kGone };
  Outcome outcome = Outcome::kTouched;
  absl::StatusOr<std::optional<storage::Record>> done = engine_.Update(
      chosen.unit, key,
      [&](const storage::Record* current) -> absl::StatusOr<std::optional<storage::Record>> {
        const Space& now = spaces_.at(ns);
        auto it = now.index.find(key);
        // Touched since it was chosen (a write or read while the lock was awaited): keep it.
        if (it == now.index.end() || now.entries[it->second].stamp != chosen.stamp) {
          return absl::AbortedError("touched");
        }
        outcome = current != nullptr ? Outcome::kEvicted : Outcome::kGone;
        if (current == nullptr) return absl::AbortedError("gone");
        return std::optional<storage::Record>();
      });
  if (!done.ok() && !absl::IsAborted(done.status())) return false;  // a disk fault: later
  Space& after = spaces_.at(ns);
  if (outcome != Outcome::kTouched) {
    auto it = after.index.find(key);
    if (it != after.index.end()) {
      after.bytes -= after.entries[it->second].bytes;
      Remove(after, it->second);
    }
  }
  if (outcome == Outcome::kEvicted) {
    ++after.evictions;
    KV_SOMETIMES(rt_, true);  // a cache evicted a key
  }
  return true;
}

absl::btree_map<std::string, CacheSpaceStats> CacheEvictor::stats() const {
  absl::btree_map<std::string, CacheSpaceStats> out;
  for (const auto& [ns, space] : spaces_) {
    out[ns] = CacheSpaceStats{.keys = space.keys.size(),
                              .bytes = space.bytes,
                              .budget = Budget(ns),
                              .evictions = space.evictions};
  }
  return out;
}

}  // namespace kv::node
