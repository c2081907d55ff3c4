// Cache namespaces (node/cache.h) in a simulated cluster: each node holds a cache namespace's
// live values within its budget, evictions are not undone by anti-entropy or read repair, reads
// count hits and misses, a restart counts what is stored again, and the sampled LRU keeps hot keys
// about as well as exact LRU would (measured against random eviction).
#include "node/cache.h"

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "node/namespaces.h"
#include "tests/node/cluster_test_util.h"

namespace kv::node {
namespace {

using testing::SimCluster;

Namespace CacheNs(uint32_t n, uint64_t bytes) {
  Namespace ns;
  ns.set_name("c");
  ns.set_n(n);
  ns.set_r(1);
  ns.set_w(1);
  ns.set_cache_bytes(bytes);
  return ns;
}

uint64_t Evictions(SimCluster& c) {
  uint64_t total = 0;
  for (NodeId id : c.node_ids) {
    if (c.serving(id)) total += c.node(id).cache().stats()["c"].evictions;
  }
  return total;
}

TEST(CacheTest, EachNodeStaysWithinItsBudgetAndEvictionsAreNotUndone) {
  constexpr uint64_t kBudget = 8 << 10;
  SimCluster c(11, 3, [](NodeOptions& o) {
    o.namespaces = {CacheNs(2, kBudget)};
    o.anti_entropy.interval = absl::Milliseconds(50);
  });
  int found = 0, missing = 0;
  uint64_t evictions_after_writes = 0;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE(client.Put(1 + i % 3, absl::StrCat("k", i), std::string(100, 'v'), {.ns = "c"}).ok());
    }
    FiberSleep(absl::Seconds(2));
    evictions_after_writes = Evictions(c);
    // Anti-entropy goes round many times: it must not bring evicted keys back.
    FiberSleep(absl::Seconds(20));
    for (int i = 0; i < 300; ++i) {
      auto got = client.Get(1 + i % 3, absl::StrCat("k", i), {.ns = "c"});
      ASSERT_TRUE(got.ok()) << got.status();
      got->values_size() > 0 ? ++found : ++missing;
    }
  });
  c.sim.RunFor(absl::Seconds(60));
  EXPECT_GT(evictions_after_writes, 0u);
  EXPECT_EQ(Evictions(c), evictions_after_writes) << "evicted keys came back and were evicted again";
  uint64_t hits = 0, misses = 0;
  for (NodeId id : c.node_ids) {
    const CacheSpaceStats s = c.node(id).cache().stats()["c"];
    EXPECT_LE(s.bytes, kBudget) << "node " << id;
    EXPECT_GT(s.bytes, kBudget / 2) << "node " << id;
    EXPECT_EQ(s.budget, kBudget);
    const auto& reads = c.node(id).coordinator().stats().cache_reads;
    if (auto it = reads.find("c"); it != reads.end()) {
      hits += it->second.hits;
      misses += it->second.misses;
    }
  }
  EXPECT_GT(found, 0);
  EXPECT_GT(missing, 0);
  EXPECT_EQ(hits, static_cast<uint64_t>(found));
  EXPECT_EQ(misses, static_cast<uint64_t>(missing));
}

TEST(CacheTest, ARestartCountsWhatIsStoredAgainAndDeletesStayDeleted) {
  SimCluster c(12, 1, [](NodeOptions& o) {
    o.coordinator.n = o.membership.n_val = 1;
    o.coordinator.r = o.coordinator.w = 1;
    o.namespaces = {CacheNs(1, 1 << 20)};
  });
  std::string deleted;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(10));
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(client.Put(1, absl::StrCat("k", i), "value", {.ns = "c"}).ok());
    }
    auto read = client.Get(1, "k0", {.ns = "c"});
    ASSERT_TRUE(read.ok());
    ASSERT_TRUE(client.Delete(1, "k0", read->context(), "c").ok());
  });
  c.sim.RunFor(absl::Seconds(15));
  const CacheSpaceStats before = c.node(1).cache().stats()["c"];
  EXPECT_EQ(before.keys, 49u) << "a tombstone holds nothing live";
  c.sim.Crash(1);
  c.sim.Start(1);
  c.sim.RunFor(absl::Seconds(2));
  ASSERT_TRUE(c.serving(1));
  const CacheSpaceStats after = c.node(1).cache().stats()["c"];
  EXPECT_EQ(after.keys, before.keys);
  EXPECT_EQ(after.bytes, before.bytes);
}

// Approximated LRU, measured: 2,000 cold keys are written once each, and after each write one of
// 40 hot keys is read (each hot key every 40 writes), with room for about 100 keys. Exact LRU
// keeps every hot key (at most 80 keys are more recent than any of them); the sampled LRU with
// its pool comes close, plain sampling (no pool) and random eviction do not.
double HotKeysKept(size_t samples, size_t pool) {
  SimCluster c(13, 1, [samples, pool](NodeOptions& o) {
    o.coordinator.n = o.membership.n_val = 1;
    o.coordinator.r = o.coordinator.w = 1;
    o.namespaces = {CacheNs(1, 100 * (100 + CacheEvictor::kRecordOverhead + 8))};
    o.cache.samples = samples;
    o.cache.pool = pool;
  });
  constexpr int kHot = 40;
  int kept = 0;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(10));
    const std::string value(100, 'v');
    for (int h = 0; h < kHot; ++h) {
      ASSERT_TRUE(client.Put(1, absl::StrCat("hot", h), value, {.ns = "c"}).ok());
    }
    for (int i = 0; i < 2000; ++i) {
      ASSERT_TRUE(client.Put(1, absl::StrCat("cold", i), value, {.ns = "c"}).ok());
      ASSERT_TRUE(client.Get(1, absl::StrCat("hot", i % kHot), {.ns = "c"}).ok());
    }
    FiberSleep(absl::Seconds(1));
    for (int h = 0; h < kHot; ++h) {
      const std::string stored = StoredKey("c", absl::StrCat("hot", h));
      const PartitionId p = c.node(1).membership().ring()->PartitionOf(stored);
      auto r = c.node(1).engine().Get(StoreId({.partition = p, .n = 1, .cache = true}, 1), stored);
      kept += r.ok() && r->has_value();
    }
  });
  c.sim.RunFor(absl::Seconds(600));
  return static_cast<double>(kept) / kHot;
}

TEST(CacheTest, SampledLruWithAPoolKeepsHotKeysThatPlainSamplingLoses) {
  const double pooled = HotKeysKept(5, 16);  // the defaults (Redis 3.0 on)
  const double sampled = HotKeysKept(5, 1);  // Redis 2.8's sampling, no pool
  const double random = HotKeysKept(1, 1);   // random eviction
  std::printf("hot keys kept (exact LRU: 100%%): 5 samples + pool of 16 %.0f%%, 5 samples %.0f%%, "
              "random %.0f%%\n", 100 * pooled, 100 * sampled, 100 * random);
  EXPECT_GE(pooled, 0.9);
  EXPECT_GT(pooled, sampled);
  EXPECT_GE(sampled, random);
}

}  // namespace
}  // namespace kv::node
