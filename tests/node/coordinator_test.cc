// Puts and gets through coordinators in a simulated cluster of full nodes: replication to N,
// quorums, causal contexts and siblings, deletes, sloppy quorums with hints, retries, read repair,
// the sibling guard.
#include "node/coordinator.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "node/kv.pb.h"
#include "node/rpc.h"
#include "sim/sim_network.h"
#include "tests/node/cluster_test_util.h"

namespace kv::node {
namespace {

using testing::SimCluster;

// Nodes whose own store holds `key` with a live value.
int CopiesOf(SimCluster& c, const std::string& key) {
  int copies = 0;
  for (NodeId id = 1; id <= static_cast<NodeId>(c.node_count); ++id) {
    if (!c.sim.process(id).alive()) continue;
    Node& n = c.node(id);
    const PartitionId p = n.membership().ring()->PartitionOf(key);
    absl::StatusOr<std::optional<storage::Record>> r = n.engine().Get(p, key);
    copies += r.ok() && r->has_value();
  }
  return copies;
}

std::vector<std::string> Values(const ClientGetReply& reply) {
  std::vector<std::string> out;
  for (const ClientValue& v : reply.values()) out.push_back(v.value());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(CoordinatorTest, WritesReachNReplicasAndReadsFromAnyNodeSeeThem) {
  SimCluster c(1, 5);
  int written = 0, read_back = 0;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));  // the ring forms
    for (int i = 0; i < 50; ++i) {
      auto put = client.Put(2, "key" + std::to_string(i), "value" + std::to_string(i));
      ASSERT_TRUE(put.ok()) << put.status();
      EXPECT_GE(put->acks(), 2u);
      ++written;
    }
    for (int i = 0; i < 50; ++i) {
      auto got = client.Get(4, "key" + std::to_string(i));
      ASSERT_TRUE(got.ok()) << got.status();
      if (Values(*got) == std::vector<std::string>{"value" + std::to_string(i)}) ++read_back;
    }
  });
  c.sim.RunFor(absl::Seconds(40));
  EXPECT_EQ(written, 50);
  EXPECT_EQ(read_back, 50);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(CopiesOf(c, "key" + std::to_string(i)), 3) << i;
}

// A put can reach, already forwarded, a node outside the key's preference list: its forwarder's
// ring was older, or showed a replica down. That node writes the value into its own store first
// (it issues the dot) but is no replica: its copy must not count toward W. Found by
// `kvsim swarm workloads/scenarios/namespaces.toml` (seeds 30045, 30148 of 30000..30999): puts to
// an N=1 namespace acknowledged with no replica holding them, lost at the end; strict N=2 R=2
// W=2 reads missing acknowledged writes.
TEST(CoordinatorTest, AForwardedPutDoesNotCountTheNonReplicaCoordinatorsOwnCopy) {
  SimCluster c(5, 5, [](NodeOptions& o) {
    o.coordinator.sloppy = false;
    o.coordinator.request_timeout = absl::Milliseconds(300);
  });
  struct RawClient final : sim::ProcessApp {
    explicit RawClient(Runtime& rt) : rpc(rt) { rpc.Start(); }
    RpcEndpoint rpc;
  };
  absl::Status one_of_one_isolated, two_of_three_with_one;
  sim::ProcessOptions p;
  p.name = "raw-client";
  p.boot = [&](Runtime& rt, storage::FileSystem&) -> std::unique_ptr<sim::ProcessApp> {
    auto app = std::make_unique<RawClient>(rt);
    RawClient* raw = app.get();
    rt.Spawn("client", [&, raw] {
      FiberSleep(absl::Seconds(20));  // the ring forms
      // A key node 5 does not replicate (N=3 of 5 nodes).
      const Ring& ring = *c.node(1).membership().ring();
      std::string key;
      std::vector<NodeId> replicas;
      for (int i = 0; key.empty(); ++i) {
        const std::string k = "k" + std::to_string(i);
        replicas = ring.PreferenceList(ring.PartitionOf(k), 3);
        if (std::find(replicas.begin(), replicas.end(), NodeId{5}) == replicas.end()) key = k;
      }
      auto put = [&](uint32_t w) {
        ClientPut request;
        request.set_key(key);
        request.set_value("v");
        request.set_w(w);
        request.set_forwarded(true);  // as if a node with another view had sent it on
        return raw->rpc.Call(5, "kv.put", request.SerializeAsString(), absl::Seconds(2)).status();
      };
      // Every replica cut off: W=1 must not be met by node 5's own copy.
      for (NodeId r : replicas) c.sim.network().Isolate(r);
      one_of_one_isolated = put(1);
      // One replica back: W=2 needs two replicas, not one and node 5.
      c.sim.network().Heal();
      c.sim.network().Isolate(replicas[1]);
      c.sim.network().Isolate(replicas[2]);
      two_of_three_with_one = put(2);
    });
    return app;
  };
  c.sim.Start(c.sim.AddProcess(std::move(p)));
  c.sim.RunFor(absl::Seconds(30));
  EXPECT_FALSE(one_of_one_isolated.ok()) << "acknowledged with no replica holding the value";
  EXPECT_FALSE(two_of_three_with_one.ok()) << "acknowledged with one replica of two";
  EXPECT_NE(two_of_three_with_one.message().find("1 of 2 required replicas acknowledged"),
            std::string::npos)
      << two_of_three_with_one;
}

TEST(CoordinatorTest, ContextsSupersedeAndBlindConcurrentWritesBecomeSiblings) {
  SimCluster c(2, 3);
  std::vector<std::string> after_context, after_blind, after_resolve, after_delete;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    ASSERT_TRUE(client.Put(1, "k", "v1").ok());
    auto read = client.Get(2, "k");
    ASSERT_TRUE(read.ok());
    ASSERT_TRUE(client.Put(3, "k", "v2", {.context = read->context()}).ok());
    after_context = Values(*client.Get(1, "k"));
    // A writer that did not read (a blind write) is concurrent with v2.
    ASSERT_TRUE(client.Put(2, "k", "v3").ok());
    auto siblings = client.Get(3, "k");
    after_blind = Values(*siblings);
    ASSERT_TRUE(client.Put(1, "k", "resolved", {.context = siblings->context()}).ok());
    auto resolved = client.Get(2, "k");
    after_resolve = Values(*resolved);
    ASSERT_TRUE(client.Delete(3, "k", resolved->context()).ok());
    after_delete = Values(*client.Get(1, "k"));
  });
  c.sim.RunFor(absl::Seconds(40));
  EXPECT_EQ(after_context, std::vector<std::string>{"v2"});
  EXPECT_EQ(after_blind, (std::vector<std::string>{"v2", "v3"}));
  EXPECT_EQ(after_resolve, std::vector<std::string>{"resolved"});
  EXPECT_TRUE(after_delete.empty());
}

TEST(CoordinatorTest, StrictQuorumFailsNamingHowManyReplicasAcknowledged) {
  SimCluster c(3, 5, [](NodeOptions& o) {
    o.coordinator.sloppy = false;
    o.coordinator.request_timeout = absl::Milliseconds(300);
  });
  std::string error;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    // Find a key whose preference list starts at node 1, then isolate its other two replicas.
    Node& n1 = c.node(1);
    std::string key;
    for (int i = 0; key.empty(); ++i) {
      const std::string k = "k" + std::to_string(i);
      if (n1.membership().ring()->PreferenceList(n1.membership().ring()->PartitionOf(k), 3)[0] == 1) {
        key = k;
      }
    }
    std::vector<NodeId> list =
        n1.membership().ring()->PreferenceList(n1.membership().ring()->PartitionOf(key), 3);
    c.sim.network().Isolate(list[1]);
    c.sim.network().Isolate(list[2]);
    auto put = client.Put(1, key, "v");
    error = put.status().ToString();
  });
  c.sim.RunFor(absl::Seconds(30));
  EXPECT_NE(error.find("put of '"), std::string::npos) << error;
  EXPECT_NE(error.find("1 of 2 required replicas acknowledged"), std::string::npos) << error;
}

TEST(CoordinatorTest, SloppyQuorumWritesToAStandInThatKeepsAHint) {
  SimCluster c(4, 5, [](NodeOptions& o) { o.coordinator.request_timeout = absl::Milliseconds(300); });
  bool put_ok = false;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    Node& n1 = c.node(1);
    const Ring& ring = *n1.membership().ring();
    std::string key;
    for (int i = 0; key.empty(); ++i) {
      const std::string k = "k" + std::to_string(i);
      if (ring.PreferenceList(ring.PartitionOf(k), 3)[0] == 1) key = k;
    }
    const NodeId down = ring.PreferenceList(ring.PartitionOf(key), 3)[2];
    c.sim.Crash(down);
    FiberSleep(absl::Seconds(30));  // the others notice
    put_ok = client.Put(1, key, "v", {.w = 3}).ok();
  });
  c.sim.RunFor(absl::Seconds(60));
  EXPECT_TRUE(put_ok) << "W=3 with a primary down: a stand-in acknowledges";
  uint64_t hints = 0;
  for (NodeId id = 1; id <= 5; ++id) {
    if (c.sim.process(id).alive()) hints += c.node(id).engine().stats().hints;
  }
  EXPECT_EQ(hints, 1u);
}

TEST(CoordinatorTest, HintsAreDeliveredWhenThePrimaryReturnsAndThenDeleted) {
  SimCluster c(8, 5, [](NodeOptions& o) { o.coordinator.request_timeout = absl::Milliseconds(300); });
  NodeId down = kNoNode;
  std::string key;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    const Ring& ring = *c.node(1).membership().ring();
    for (int i = 0; key.empty(); ++i) {
      const std::string k = "k" + std::to_string(i);
      if (ring.PreferenceList(ring.PartitionOf(k), 3)[0] == 1) key = k;
    }
    down = ring.PreferenceList(ring.PartitionOf(key), 3)[2];
    c.sim.Crash(down);
    FiberSleep(absl::Seconds(30));
    ASSERT_TRUE(client.Put(1, key, "while-down", {.w = 3}).ok());
  });
  c.sim.RunFor(absl::Seconds(55));
  uint64_t hints = 0;
  for (NodeId id = 1; id <= 5; ++id) {
    if (c.sim.process(id).alive()) hints += c.node(id).engine().stats().hints;
  }
  ASSERT_EQ(hints, 1u);
  c.sim.Start(down);
  c.sim.RunFor(absl::Seconds(30));
  uint64_t delivered = 0;
  hints = 0;
  for (NodeId id = 1; id <= 5; ++id) {
    hints += c.node(id).engine().stats().hints;
    delivered += c.node(id).handoff().stats().delivered;
  }
  EXPECT_EQ(hints, 0u) << "the hint is gone once the primary acknowledged it";
  EXPECT_EQ(delivered, 1u);
  Node& primary = c.node(down);
  auto stored = primary.engine().Get(primary.membership().ring()->PartitionOf(key), key);
  ASSERT_TRUE(stored.ok() && stored->has_value()) << "the primary has the write it missed";
}

TEST(NodeTest, ARestartedNodeKeepsItsRingEvenWhenCutOffFromEveryone) {
  SimCluster c(9, 3);
  c.sim.RunFor(absl::Seconds(20));
  const uint64_t version = c.node(2).membership().ring_version();
  const std::vector<NodeId> owners = c.node(2).membership().ring()->owners();
  ASSERT_GT(version, 1u);
  c.sim.Crash(1);  // the first seed: without a saved ring it would bootstrap a ring of itself
  c.sim.network().Isolate(1);
  c.sim.Start(1);
  c.sim.RunFor(absl::Seconds(10));
  EXPECT_EQ(c.node(1).membership().ring_version(), version);
  EXPECT_EQ(c.node(1).membership().ring()->owners(), owners);
  EXPECT_EQ(c.node(1).membership().status(), Member::UP);
  EXPECT_EQ(c.node(1).generation(), 2u);
}

TEST(NodeTest, AGenerationIsNeverReusedAfterACrashEvenWithIntervalDurability) {
  // Dots are issued by (node, generation): a generation lost in a crash would reissue dots
  // that other replicas already hold for different writes.
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    SimCluster c(seed, 1, [](NodeOptions& o) {
      o.engine.durability = storage::Durability::kInterval;
      o.engine.sync_interval = absl::Seconds(10);
    });
    uint64_t last = 0;
    for (int round = 0; round < 4; ++round) {
      c.sim.RunFor(absl::Milliseconds(100));  // started, well before an interval sync
      ASSERT_TRUE(c.serving(1)) << "seed " << seed;
      EXPECT_GT(c.node(1).generation(), last) << "seed " << seed << " round " << round;
      last = c.node(1).generation();
      c.sim.Crash(1);
      c.sim.Start(1);
    }
  }
}

TEST(CoordinatorTest, ARetriedPutIsAnsweredNotAppliedTwice) {
  SimCluster c(5, 3);
  size_t siblings = 0;
  uint64_t retries = 0;
  c.AddClient([&](Runtime& rt, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    RpcEndpoint& rpc = static_cast<testing::ClientApp*>(c.sim.process(rt.self()).app())->rpc;
    ClientPut put;
    put.set_key("k");
    put.set_value("v");
    put.set_request_id(777);
    for (int attempt = 0; attempt < 3; ++attempt) {
      ASSERT_TRUE(rpc.Call(1, "kv.put", put.SerializeAsString(), absl::Seconds(2)).ok());
    }
    siblings = client.Get(2, "k")->values_size();
    retries = c.node(1).coordinator().stats().retries_answered;
  });
  c.sim.RunFor(absl::Seconds(40));
  EXPECT_EQ(siblings, 1u);
  EXPECT_EQ(retries, 2u);
}

TEST(CoordinatorTest, ReadRepairUpdatesAReplicaThatMissedAWrite) {
  SimCluster c(6, 3, [](NodeOptions& o) { o.coordinator.request_timeout = absl::Milliseconds(300); });
  int copies_before = 0, copies_after = 0;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    c.sim.network().Isolate(3);
    ASSERT_TRUE(client.Put(1, "k", "v").ok());  // W=2: nodes 1 and 2 have it
    c.sim.network().Heal();
    FiberSleep(absl::Seconds(1));
    copies_before = CopiesOf(c, "k");
    auto got = client.Get(2, "k", {.r = 3});
    ASSERT_TRUE(got.ok()) << got.status();
    FiberSleep(absl::Seconds(1));
    copies_after = CopiesOf(c, "k");
  });
  c.sim.RunFor(absl::Seconds(40));
  EXPECT_EQ(copies_before, 2);
  EXPECT_EQ(copies_after, 3);
}

// Redis-style overwrites (ClientPut.overwrite) replace what the coordinator holds without a read:
// repeated blind writes through one coordinator leave one value, where plain blind writes pile up
// siblings. Overwrites through different coordinators before either saw the other stay concurrent.
TEST(CoordinatorTest, OverwritesSupersedeWhatTheCoordinatorHolds) {
  SimCluster c(3, 3);
  std::vector<std::string> blind, overwritten, concurrent;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(client.Put(1, "b", "v" + std::to_string(i)).ok());
    blind = Values(*client.Get(2, "b"));
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(client.Put(1, "o", "v" + std::to_string(i), {.overwrite = true}).ok());
    }
    overwritten = Values(*client.Get(2, "o"));
    ASSERT_TRUE(client.Put(1, "o", "x", {.overwrite = true}).ok());
    ASSERT_TRUE(client.Put(2, "o", "y", {.overwrite = true}).ok());
    concurrent = Values(*client.Get(3, "o"));
  });
  c.sim.RunFor(absl::Seconds(40));
  EXPECT_EQ(blind, (std::vector<std::string>{"v0", "v1", "v2"}));
  EXPECT_EQ(overwritten, std::vector<std::string>{"v2"});
  // "y" supersedes whatever node 2 held when it took it ("x" too, if node 1's replica write had
  // arrived): one or two values, never more, and "y" among them.
  ASSERT_FALSE(concurrent.empty());
  EXPECT_LE(concurrent.size(), 2u);
  EXPECT_NE(std::find(concurrent.begin(), concurrent.end(), "y"), concurrent.end());
}

// Found in real mode (redis-benchmark without -r: 50 clients SET one key through one node):
// concurrent overwrites of one hot key must all succeed, however they interleave on the replicas.
TEST(CoordinatorTest, ConcurrentOverwritesOfOneHotKeyAllSucceed) {
  SimCluster c(4, 3);
  std::vector<std::string> errors;
  int ok = 0;
  for (int i = 0; i < 50; ++i) {
    c.AddClient([&, i](Runtime&, KvClient& client) {
      FiberSleep(absl::Seconds(20));
      for (int round = 0; round < 4; ++round) {
        auto put = client.Put(1, "hot", absl::StrCat("v", i, "-", round), {.overwrite = true});
        if (put.ok()) {
          ++ok;
        } else {
          errors.push_back(put.status().ToString());
        }
      }
    });
  }
  c.sim.RunFor(absl::Seconds(60));
  EXPECT_EQ(ok, 200);
  EXPECT_TRUE(errors.empty()) << errors.size() << " failed, first: " << errors.front();
}

TEST(CoordinatorTest, NRAndWCanBeChosenPerRequest) {
  SimCluster c(10, 5, [](NodeOptions& o) {
    o.anti_entropy.enabled = false;
    o.coordinator.read_repair = false;
  });
  int copies_n1 = 0, copies_n3 = 0;
  std::vector<std::string> errors;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    ASSERT_TRUE(client.Put(1, "one", "v", {.w = 1, .n = 1}).ok());
    ASSERT_TRUE(client.Put(1, "three", "v", {.w = 3}).ok());
    FiberSleep(absl::Seconds(1));
    copies_n1 = CopiesOf(c, "one");
    copies_n3 = CopiesOf(c, "three");
    errors.push_back(client.Put(1, "x", "v", {.n = 4}).status().ToString());
    errors.push_back(client.Put(1, "x", "v", {.w = 3, .n = 2}).status().ToString());
    errors.push_back(client.Get(1, "x", {.r = 3, .n = 2}).status().ToString());
  });
  c.sim.RunFor(absl::Seconds(30));
  EXPECT_EQ(copies_n1, 1);
  EXPECT_EQ(copies_n3, 3);
  EXPECT_EQ(errors, (std::vector<std::string>{
                        "INVALID_ARGUMENT: n = 4 exceeds the replication factor 3 of namespace 'default'",
                        "INVALID_ARGUMENT: w must be between 1 and n = 2",
                        "INVALID_ARGUMENT: r must be between 1 and n = 2"}));
}

TEST(CoordinatorTest, TheSiblingGuardRefusesWritesPastTheLimit) {
  SimCluster c(7, 3, [](NodeOptions& o) { o.coordinator.siblings_max = 2; });
  std::vector<std::string> results;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    for (int i = 0; i < 3; ++i) {
      auto put = client.Put(1, "k", "blind" + std::to_string(i));
      results.push_back(put.ok() ? "ok" : std::string(absl::StatusCodeToString(put.status().code())));
    }
  });
  c.sim.RunFor(absl::Seconds(40));
  EXPECT_EQ(results, (std::vector<std::string>{"ok", "ok", "FAILED_PRECONDITION"}));
}

// Expiry is judged by each node's wall clock. Node 2's clock runs 40 s ahead: it hides a value
// with a 30 s TTL right after it was written. A client reads through node 2 (nothing), then writes
// with that read's context. Returns what a read through node 1 (correct clock) shows afterwards.
std::vector<std::string> WriteAfterAFastClockHidYourValue(Duration clock_offset_max) {
  SimCluster c(41, 3, [clock_offset_max](NodeOptions& o) {
    o.coordinator.clock_offset_max = clock_offset_max;
  });
  bool jumped = false;
  std::vector<std::string> seen_by_node_1 = {"not read"};
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    ASSERT_TRUE(client.Put(1, "session", "ttl", {.ttl = absl::Seconds(30), .w = 3}).ok());
    while (!jumped) FiberSleep(absl::Seconds(1));
    auto hidden = client.Get(2, "session", {.r = 3});
    ASSERT_TRUE(hidden.ok()) << hidden.status();
    EXPECT_TRUE(Values(*hidden).empty()) << "by node 2's clock the value has expired";
    ASSERT_TRUE(client.Put(2, "session", "next", {.context = hidden->context(), .w = 3}).ok());
    auto seen = client.Get(1, "session", {.r = 3});
    ASSERT_TRUE(seen.ok()) << seen.status();
    seen_by_node_1 = Values(*seen);
  });
  c.sim.RunFor(absl::Seconds(25));
  c.sim.JumpWallClock(2, absl::Seconds(40));
  jumped = true;
  c.sim.RunFor(absl::Seconds(10));
  return seen_by_node_1;
}

TEST(CoordinatorTest, AValueHiddenByAFastClockIsNotReplacedByAWriteThatNeverSawIt) {
  // The read's context leaves out the value it hid (expired less than clock_offset_max ago), so
  // the write does not supersede it: where it has not expired, it is a sibling of the new one.
  EXPECT_EQ(WriteAfterAFastClockHidYourValue(absl::Minutes(1)),
            (std::vector<std::string>{"next", "ttl"}));
  // With no allowance for clock offsets the context covers everything the record had seen, and
  // the write silently replaces a value its client was never shown.
  EXPECT_EQ(WriteAfterAFastClockHidYourValue(absl::ZeroDuration()),
            (std::vector<std::string>{"next"}));
}

}  // namespace
}  // namespace kv::node
