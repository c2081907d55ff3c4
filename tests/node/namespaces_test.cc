// Namespaces: stored keys that never collide, definitions validated and spread by gossip, and in
// a simulated cluster each namespace keeping its own N (anti-entropy and transfers included), R,
// W, default TTL and sibling limit, with keys of equal names kept apart.
#include "node/namespaces.h"

#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/node/cluster_test_util.h"

namespace kv::node {
namespace {

using testing::SimCluster;

Namespace Def(const std::string& name, uint32_t n, uint32_t r, uint32_t w) {
  Namespace ns;
  ns.set_name(name);
  ns.set_n(n);
  ns.set_r(r);
  ns.set_w(w);
  return ns;
}

TEST(NamespaceKeysTest, StoredKeysOfDifferentNamespacesNeverCollideAndSplitBack) {
  std::mt19937_64 rng(7);
  const std::vector<std::string> names = {"default", "a", "ab", "b", "a-b", "x_1", "9"};
  std::set<std::string> stored_keys;
  std::set<std::pair<std::string, std::string>> pairs;
  for (int i = 0; i < 5000; ++i) {
    std::string key;
    const int len = static_cast<int>(rng() % 5);
    // Zero bytes and the bytes of names, where collisions would come from.
    for (int j = 0; j < len; ++j) key.push_back("\0ab-"[rng() % 4]);
    const std::string& ns = names[rng() % names.size()];
    const std::string stored = StoredKey(ns, key);
    absl::string_view back_ns, back_key;
    ASSERT_TRUE(SplitStoredKey(stored, &back_ns, &back_key)) << absl::CHexEscape(stored);
    EXPECT_EQ(back_ns, ns);
    EXPECT_EQ(back_key, key);
    stored_keys.insert(stored);
    pairs.insert({ns, key});
  }
  // Distinct (namespace, key) pairs, distinct stored keys.
  EXPECT_EQ(stored_keys.size(), pairs.size());
  // The default namespace stores keys as they are (clusters without namespaces are unchanged).
  EXPECT_EQ(StoredKey("", "user:1"), "user:1");
  EXPECT_EQ(StoredKey("default", "user:1"), "user:1");
  EXPECT_EQ(StoredKey("t1", "user:1"), std::string("\0t1\0user:1", 10));
}

TEST(NamespaceKeysTest, DefinitionsAreValidatedWithTheRuleBroken) {
  EXPECT_TRUE(ValidateNamespace(Def("tenant-1", 3, 2, 2)).ok());
  EXPECT_EQ(ValidateNamespace(Def("default", 3, 2, 2)).message(),
            "the default namespace is configured by the nodes' own settings (--n, --r, --w, ...)");
  EXPECT_EQ(ValidateNamespace(Def("a b", 3, 2, 2)).message(),
            "namespace 'a b': a name is letters, digits, '_' and '-' only");
  EXPECT_EQ(ValidateNamespace(Def("", 3, 2, 2)).message(),
            "a namespace name has 1 to 64 characters; got 0");
  EXPECT_EQ(ValidateNamespace(Def("t", 0, 1, 1)).message(),
            "namespace 't': N must be between 1 and 15; got 0");
  EXPECT_EQ(ValidateNamespace(Def("t", 16, 1, 1)).message(),
            "namespace 't': N must be between 1 and 15; got 16");
  EXPECT_EQ(ValidateNamespace(Def("t", 2, 3, 1)).message(),
            "namespace 't': need 1 <= R, W <= N; got N=2 R=3 W=1");
  EXPECT_EQ(ValidateNamespaceChange(Def("t", 3, 2, 2), Def("t", 1, 1, 1)).message(),
            "namespace 't' has N=3; N cannot change once a namespace is defined (its keys are "
            "placed by it)");
  EXPECT_TRUE(ValidateNamespaceChange(Def("t", 3, 2, 2), Def("t", 3, 1, 3)).ok());
  Namespace cache = Def("t", 3, 2, 2);
  cache.set_cache_bytes(1 << 20);
  EXPECT_EQ(ValidateNamespaceChange(Def("t", 3, 2, 2), cache).message(),
            "namespace 't' is not a cache; that cannot change once it is defined (only a cache's "
            "budget can)");
  Namespace bigger = cache;
  bigger.set_cache_bytes(2 << 20);
  EXPECT_TRUE(ValidateNamespaceChange(cache, bigger).ok());
  EXPECT_EQ(UnitOf(StoreId({.partition = 9, .n = 3, .cache = true}, 3), 3),
            (IndexN{.partition = 9, .n = 3, .cache = true}));
}

TEST(NamespaceKeysTest, UnitsOfTheClusterNAreThePartitionsThemselves) {
  EXPECT_EQ(StoreId({.partition = 17, .n = 3}, 3), 17u);
  EXPECT_EQ(UnitOf(17, 3), (IndexN{.partition = 17, .n = 3}));
  for (uint32_t n = 1; n <= kNamespaceNMax; ++n) {
    const IndexN unit{.partition = 65535, .n = n};
    EXPECT_EQ(UnitOf(StoreId(unit, 3), 3), unit) << n;
  }
  google::protobuf::RepeatedPtrField<Namespace> table;
  *table.Add() = Def("one", 1, 1, 1);
  *table.Add() = Def("five", 5, 3, 3);
  *table.Add() = Def("three", 3, 2, 2);
  EXPECT_EQ(ReplicationFactors(3, table, 1), (std::vector<uint32_t>{1, 3, 5}));
  // A unit seen in data before its namespace is known.
  EXPECT_EQ(ReplicationFactors(3, {}, UnitKindBit(StoreId({.n = 7}, 3))),
            (std::vector<uint32_t>{3, 7}));
}

// Nodes of the cluster whose own store holds `key` of namespace `ns` (whose N is `n`).
int CopiesOf(SimCluster& c, const std::string& ns, uint32_t n, const std::string& key) {
  int copies = 0;
  const std::string stored = StoredKey(ns, key);
  for (NodeId id : c.node_ids) {
    if (!c.serving(id)) continue;
    Node& node = c.node(id);
    const PartitionId p = node.membership().ring()->PartitionOf(stored);
    auto r = node.engine().Get(StoreId({.partition = p, .n = n}, 3), stored);
    copies += r.ok() && r->has_value();
  }
  return copies;
}

std::string OnlyValue(const absl::StatusOr<ClientGetReply>& got) {
  if (!got.ok()) return got.status().ToString();
  if (got->values_size() != 1) return absl::StrCat(got->values_size(), " values");
  return got->values(0).value();
}

// Three namespaces with N = 1, 3 (the cluster's) and 5 hold keys of the same names. After
// anti-entropy has gone round many times, each key has exactly its namespace's N copies (the
// N=1 keys were not spread to the cluster's 3 replicas), and each read sees its own namespace's
// value.
TEST(NamespaceClusterTest, EachNamespaceKeepsItsOwnNAndItsOwnValues) {
  SimCluster c(3, 5, [](NodeOptions& o) { o.anti_entropy.interval = absl::Milliseconds(100); });
  constexpr int kKeys = 40;
  std::vector<std::string> errors;
  int checked = 0;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    ASSERT_TRUE(c.node(1).membership().DefineNamespace(Def("one", 1, 1, 1)).ok());
    ASSERT_TRUE(c.node(2).membership().DefineNamespace(Def("five", 5, 3, 3)).ok());
    FiberSleep(absl::Seconds(5));  // gossip
    for (int i = 0; i < kKeys; ++i) {
      const std::string key = absl::StrCat("k", i);
      const NodeId via = 1 + i % 5;
      for (const char* ns : {"default", "one", "five"}) {
        auto put = client.Put(via, key, absl::StrCat(ns, "-", i), {.ns = ns});
        if (!put.ok()) errors.push_back(put.status().ToString());
      }
    }
    // An unknown namespace is refused, naming it.
    auto missing = client.Put(3, "k", "v", {.ns = "nope"});
    errors.push_back(missing.status().ToString());
    FiberSleep(absl::Seconds(30));  // anti-entropy: 64 partitions every 100 ms, many times over
    for (int i = 0; i < kKeys; ++i) {
      const std::string key = absl::StrCat("k", i);
      for (const char* ns : {"default", "one", "five"}) {
        EXPECT_EQ(OnlyValue(client.Get(1 + (i + 2) % 5, key, {.ns = ns})), absl::StrCat(ns, "-", i));
        ++checked;
      }
      EXPECT_EQ(CopiesOf(c, "one", 1, key), 1) << key;
      EXPECT_EQ(CopiesOf(c, "default", 3, key), 3) << key;
      EXPECT_EQ(CopiesOf(c, "five", 5, key), 5) << key;
    }
  });
  c.sim.RunFor(absl::Seconds(90));
  EXPECT_EQ(checked, 3 * kKeys);
  EXPECT_EQ(errors, std::vector<std::string>{"NOT_FOUND: no namespace 'nope' (kvctl ns create nope)"});
  for (NodeId id : c.node_ids) {
    EXPECT_EQ(c.node(id).membership().namespaces().size(), 2) << "node " << id;
  }
}

// A namespace's default TTL applies to writes that name none, and its sibling limit to its keys
// only. A change of R spreads as a new version; a change of N is refused.
TEST(NamespaceClusterTest, DefaultTtlSiblingLimitAndChangesAreTheNamespaces) {
  SimCluster c(4, 3);
  std::string short_lived, kept, third_sibling, default_third, n_change;
  uint64_t version_seen_by_3 = 0;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    Namespace ns = Def("sessions", 3, 2, 2);
    ns.set_default_ttl_micros(5'000'000);
    ns.set_siblings_max(2);
    ASSERT_TRUE(c.node(1).membership().DefineNamespace(ns).ok());
    FiberSleep(absl::Seconds(5));
    ASSERT_TRUE(client.Put(2, "s1", "v", {.ns = "sessions"}).ok());
    ASSERT_TRUE(client.Put(2, "s2", "v", {.ttl = absl::Seconds(100), .ns = "sessions"}).ok());
    // Blind writes are concurrent: the third sibling is refused here, not in the default namespace.
    ASSERT_TRUE(client.Put(1, "x", "1", {.ns = "sessions"}).ok());
    ASSERT_TRUE(client.Put(1, "x", "2", {.ns = "sessions"}).ok());
    third_sibling = client.Put(1, "x", "3", {.ns = "sessions"}).status().ToString();
    for (const char* v : {"1", "2", "3"}) {
      default_third = client.Put(1, "x", v).status().ToString();
    }
    FiberSleep(absl::Seconds(10));
    short_lived = OnlyValue(client.Get(3, "s1", {.ns = "sessions"}));
    kept = OnlyValue(client.Get(3, "s2", {.ns = "sessions"}));
    ns.set_r(1);
    ASSERT_TRUE(c.node(2).membership().DefineNamespace(ns).ok());
    ns.set_n(1);
    ns.set_w(1);
    n_change = c.node(2).membership().DefineNamespace(ns).status().ToString();
    FiberSleep(absl::Seconds(5));
    version_seen_by_3 = c.node(3).membership().FindNamespace("sessions")->version();
  });
  c.sim.RunFor(absl::Seconds(60));
  EXPECT_EQ(short_lived, "0 values");
  EXPECT_EQ(kept, "v");
  EXPECT_EQ(third_sibling.rfind("FAILED_PRECONDITION", 0), 0u) << third_sibling;
  EXPECT_EQ(default_third, "OK");
  EXPECT_EQ(n_change,
            "FAILED_PRECONDITION: namespace 'sessions' has N=3; N cannot change once a namespace is "
            "defined (its keys are placed by it)");
  EXPECT_EQ(version_seen_by_3, 2u);
  EXPECT_EQ(c.node(3).membership().FindNamespace("sessions")->r(), 1u);
}

// A node that restarts cut off from everyone still serves its namespaces (they were saved).
TEST(NamespaceClusterTest, ARestartedNodeKnowsItsNamespacesBeforeAnyGossip) {
  SimCluster c(5, 3);
  c.sim.RunFor(absl::Seconds(20));
  bool defined = false;
  c.AddClient([&](Runtime&, KvClient&) {
    defined = c.node(1).membership().DefineNamespace(Def("t", 2, 1, 1)).ok();
  });
  c.sim.RunFor(absl::Seconds(5));
  ASSERT_TRUE(defined);
  ASSERT_NE(c.node(3).membership().FindNamespace("t"), nullptr);
  c.sim.Crash(3);
  c.sim.network().Isolate(3);
  c.sim.Start(3);
  c.sim.RunFor(absl::Seconds(2));
  ASSERT_TRUE(c.serving(3));
  const Namespace* t = c.node(3).membership().FindNamespace("t");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->n(), 2u);
}

// A node joins: the keys of an N=1 namespace move to their new single owner by transfer alone
// (anti-entropy off), and the old owner lets go of them.
TEST(NamespaceClusterTest, TransfersMoveEachUnitToItsNewOwners) {
  SimCluster c(6, 4, [](NodeOptions& o) {
    o.anti_entropy.enabled = false;
    o.coordinator.read_repair = false;
    o.transfer.interval = absl::Milliseconds(200);
  });
  constexpr int kKeys = 150;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    ASSERT_TRUE(c.node(1).membership().DefineNamespace(Def("one", 1, 1, 1)).ok());
    FiberSleep(absl::Seconds(5));
    for (int i = 0; i < kKeys; ++i) {
      ASSERT_TRUE(client.Put(1 + i % 4, absl::StrCat("k", i), "v", {.ns = "one"}).ok());
    }
  });
  c.sim.RunFor(absl::Seconds(40));
  c.AddNode();
  c.sim.RunFor(absl::Seconds(60));
  ASSERT_EQ(c.node(1).membership().ring()->weights().size(), 5u);
  int exactly_one = 0, at_owner = 0;
  const Ring& ring = *c.node(1).membership().ring();
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = absl::StrCat("k", i);
    exactly_one += CopiesOf(c, "one", 1, key) == 1;
    const std::string stored = StoredKey("one", key);
    const PartitionId p = ring.PartitionOf(stored);
    const NodeId owner = ring.PreferenceList(p, 1).front();
    auto r = c.node(owner).engine().Get(StoreId({.partition = p, .n = 1}, 3), stored);
    at_owner += r.ok() && r->has_value();
  }
  EXPECT_EQ(exactly_one, kKeys);
  EXPECT_EQ(at_owner, kKeys);
}

}  // namespace
}  // namespace kv::node
