// Ownership transfer when nodes join and leave: data reaches new replicas by streaming (anti-
// entropy off, so nothing else could move it), old replicas give up their copies, a crash of the
// sender resumes the stream, and writes during the transfer are kept.
#include "node/transfer.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/node/cluster_test_util.h"

namespace kv::node {
namespace {

using testing::SimCluster;

void TransferOnly(NodeOptions& o) {
  o.anti_entropy.enabled = false;
  o.coordinator.read_repair = false;
  o.transfer.batch_keys = 16;
  o.transfer.interval = absl::Milliseconds(200);
}

// For each key: do exactly its current replicas hold it?
int KeysWhereExactlyTheReplicasHoldIt(SimCluster& c, int keys) {
  int good = 0;
  const Ring& ring = *c.node(1).membership().ring();
  for (int i = 0; i < keys; ++i) {
    const std::string key = "k" + std::to_string(i);
    const PartitionId p = ring.PartitionOf(key);
    std::vector<NodeId> replicas = ring.PreferenceList(p, 3);
    bool ok = true;
    for (NodeId id : c.node_ids) {
      auto r = c.node(id).engine().Get(p, key);
      const bool holds = r.ok() && r->has_value();
      const bool should = std::find(replicas.begin(), replicas.end(), id) != replicas.end();
      ok = ok && holds == should;
    }
    good += ok;
  }
  return good;
}

TEST(TransferTest, AJoiningNodeReceivesItsPartitionsAndOldReplicasLetGo) {
  SimCluster c(31, 4, TransferOnly);
  constexpr int kKeys = 200;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    for (int i = 0; i < kKeys; ++i) ASSERT_TRUE(client.Put(1, "k" + std::to_string(i), "v", {.w = 3}).ok());
  });
  c.sim.RunFor(absl::Seconds(40));
  ASSERT_EQ(KeysWhereExactlyTheReplicasHoldIt(c, kKeys), kKeys);
  const NodeId joined = c.AddNode();
  c.sim.RunFor(absl::Seconds(60));
  ASSERT_EQ(c.node(1).membership().ring()->weights().size(), 5u);
  EXPECT_EQ(KeysWhereExactlyTheReplicasHoldIt(c, kKeys), kKeys);
  uint64_t keys_sent = 0, dropped = 0, pending = 0;
  for (NodeId id : c.node_ids) {
    keys_sent += c.node(id).transfer().stats().keys_sent;
    dropped += c.node(id).transfer().stats().partitions_dropped;
    pending += c.node(id).transfer().pending().size();
  }
  EXPECT_GT(keys_sent, 0u);
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(pending, 0u);
  (void)joined;
}

TEST(TransferTest, ALeavingNodeHandsItsDataOverBeforeItGoes) {
  SimCluster c(32, 5, TransferOnly);
  constexpr int kKeys = 150;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    for (int i = 0; i < kKeys; ++i) ASSERT_TRUE(client.Put(2, "k" + std::to_string(i), "v", {.w = 3}).ok());
    c.node(5).membership().Leave();
  });
  c.sim.RunFor(absl::Seconds(90));
  EXPECT_EQ(c.node(5).membership().status(), Member::LEFT);
  EXPECT_FALSE(c.node(1).membership().ring()->weights().contains(5));
  EXPECT_EQ(KeysWhereExactlyTheReplicasHoldIt(c, kKeys), kKeys);
}

TEST(TransferTest, ADecommissionedDeadNodeIsReplacedFromTheOtherReplicas) {
  SimCluster c(35, 5, TransferOnly);
  constexpr int kKeys = 120;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    for (int i = 0; i < kKeys; ++i) ASSERT_TRUE(client.Put(1, "k" + std::to_string(i), "v", {.w = 3}).ok());
  });
  c.sim.RunFor(absl::Seconds(40));
  c.sim.Crash(4);  // gone for good
  c.sim.RunFor(absl::Seconds(30));
  EXPECT_EQ(c.node(1).membership().Decommission(1).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(c.node(1).membership().Decommission(42).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(c.node(1).membership().Decommission(4).ok());
  c.sim.RunFor(absl::Seconds(60));
  const Ring& ring = *c.node(2).membership().ring();
  EXPECT_FALSE(ring.weights().contains(4));
  int complete = 0;
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = "k" + std::to_string(i);
    const PartitionId p = ring.PartitionOf(key);
    int copies = 0;
    for (NodeId id : ring.PreferenceList(p, 3)) {
      auto r = c.node(id).engine().Get(p, key);
      copies += r.ok() && r->has_value();
    }
    complete += copies == 3;
  }
  EXPECT_EQ(complete, kKeys) << "every key back to 3 copies without node 4";
}

TEST(TransferTest, AStreamInterruptedByACrashResumesWhereItStopped) {
  SimCluster c(33, 4, [](NodeOptions& o) {
    TransferOnly(o);
    o.transfer.batch_keys = 4;
    o.transfer.interval = absl::Seconds(1);
  });
  constexpr int kKeys = 300;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    for (int i = 0; i < kKeys; ++i) ASSERT_TRUE(client.Put(1, "k" + std::to_string(i), "v", {.w = 3}).ok());
  });
  c.sim.RunFor(absl::Seconds(40));
  c.AddNode();
  // Run until some sender is mid-stream, then crash it.
  NodeId sender = kNoNode;
  c.sim.RunUntilCondition(
      [&] {
        for (NodeId id : c.node_ids) {
          if (!c.serving(id)) continue;
          for (const TransferTask& t : c.node(id).transfer().pending()) {
            if (t.keys_sent() > 0) sender = id;
          }
        }
        return sender != kNoNode;
      },
      c.sim.now() + absl::Minutes(2));
  ASSERT_NE(sender, kNoNode);
  c.sim.Crash(sender);
  c.sim.RunFor(absl::Seconds(2));
  c.sim.Start(sender);
  c.sim.RunFor(absl::Seconds(2));
  bool resumed_from_cursor = false;
  for (const TransferTask& t : c.node(sender).transfer().pending()) {
    resumed_from_cursor = resumed_from_cursor || t.keys_sent() > 0;
  }
  EXPECT_TRUE(resumed_from_cursor || c.node(sender).transfer().pending().empty());
  c.sim.RunFor(absl::Seconds(120));
  EXPECT_EQ(KeysWhereExactlyTheReplicasHoldIt(c, kKeys), kKeys);
}

TEST(TransferTest, WritesDuringAJoinAreKept) {
  SimCluster c(34, 4, TransferOnly);
  std::vector<std::string> acked;
  bool join_done = false;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    for (int i = 0; i < 400; ++i) {
      const std::string key = "k" + std::to_string(i % 100);
      auto read = client.Get(1 + i % 4, key);
      std::string context = read.ok() ? read->context() : "";
      if (client.Put(1 + i % 4, key, "v" + std::to_string(i), {.context = context}).ok()) {
        acked.push_back(key + "=v" + std::to_string(i));
      }
      FiberSleep(absl::Milliseconds(100));
    }
    join_done = true;
  });
  c.sim.RunFor(absl::Seconds(25));
  c.AddNode();  // joins while the client keeps writing
  c.sim.RunFor(absl::Seconds(120));
  ASSERT_TRUE(join_done);
  // The last acknowledged value of each key is what its replicas hold.
  std::map<std::string, std::string> last;
  for (const std::string& kv : acked) last[kv.substr(0, kv.find('='))] = kv.substr(kv.find('=') + 1);
  const Ring& ring = *c.node(1).membership().ring();
  int wrong = 0;
  for (const auto& [key, value] : last) {
    const PartitionId p = ring.PartitionOf(key);
    for (NodeId replica : ring.PreferenceList(p, 3)) {
      auto r = c.node(replica).engine().Get(p, key);
      const bool has = r.ok() && r->has_value() &&
                       !storage::LiveValues(**r, INT64_MAX / 2).empty() &&
                       storage::LiveValues(**r, INT64_MAX / 2).back()->value() == value;
      wrong += !has;
    }
  }
  EXPECT_EQ(wrong, 0);
}

// A node whose copy of a partition was deleted after a handoff no longer holds the writes it
// coordinated there. If it then coordinated a write to one of those keys under the same dot
// issuer id (as a stand-in under a sloppy quorum), its version vector entry would claim them, and
// the replicas holding them would drop them although no client ever saw them.
TEST(TransferTest, ANodeThatHandedAPartitionOffDoesNotSupersedeWhatItNoLongerHolds) {
  SimCluster c(36, 4, TransferOnly);
  constexpr int kKeys = 200;
  std::map<std::string, uint64_t> issuer;  // key -> dot issuer of its first write
  std::string key;                         // set by the test: the key to write again via node 1
  uint64_t second_issuer = 0;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    for (int i = 0; i < kKeys; ++i) {
      const std::string k = "k" + std::to_string(i);
      auto put = client.Put(1, k, "old", {.w = 3});
      ASSERT_TRUE(put.ok()) << put.status();
      issuer[k] = put->dot_node();
    }
    while (key.empty()) FiberSleep(absl::Seconds(1));
    auto put = client.Put(1, key, "new");  // blind: concurrent with "old"
    ASSERT_TRUE(put.ok()) << put.status();
    second_issuer = put->dot_node();
  });
  c.sim.RunFor(absl::Seconds(40));
  ASSERT_EQ(issuer.size(), static_cast<size_t>(kKeys));
  c.AddNode();
  c.sim.RunFor(absl::Seconds(60));
  ASSERT_GT(c.node(1).transfer().stats().partitions_dropped, 0u);
  // A key node 1 wrote as coordinator and whose copy it has since deleted.
  const Ring& ring = *c.node(1).membership().ring();
  std::string chosen;
  for (const auto& [k, actor] : issuer) {
    const PartitionId p = ring.PartitionOf(k);
    auto local = c.node(1).engine().Get(p, k);
    if ((actor >> 32) == 1 && local.ok() && !local->has_value()) chosen = k;
  }
  ASSERT_FALSE(chosen.empty());
  const PartitionId p = ring.PartitionOf(chosen);
  const std::vector<NodeId> replicas = ring.PreferenceList(p, 3);
  ASSERT_EQ(std::count(replicas.begin(), replicas.end(), 1), 0);
  // Two replicas down: node 1 becomes a stand-in for the key and coordinates the next write.
  c.sim.Crash(replicas[0]);
  c.sim.Crash(replicas[1]);
  c.sim.RunFor(absl::Seconds(20));
  key = chosen;
  c.sim.RunFor(absl::Seconds(10));
  ASSERT_NE(second_issuer, 0u);
  EXPECT_NE(second_issuer, issuer[chosen]) << "node 1 retired the id whose writes it dropped";
  c.sim.Start(replicas[0]);
  c.sim.Start(replicas[1]);
  c.sim.RunFor(absl::Seconds(60));  // hints delivered
  storage::Record merged = storage::EmptyRecord();
  for (NodeId replica : replicas) {
    auto r = c.node(replica).engine().Get(p, chosen);
    ASSERT_TRUE(r.ok()) << r.status();
    if (r->has_value()) merged = storage::Merge(merged, **r);
  }
  std::vector<std::string> live;
  for (const storage::Sibling* s : storage::LiveValues(merged, 0)) live.push_back(s->value());
  std::sort(live.begin(), live.end());
  EXPECT_EQ(live, (std::vector<std::string>{"new", "old"}));
}

}  // namespace
}  // namespace kv::node
