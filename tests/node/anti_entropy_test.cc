// Anti-entropy in a simulated cluster: replicas that missed writes converge without any read;
// deletes and expiries are never undone by it; option validation.
#include "node/anti_entropy.h"

#include <string>

#include "gtest/gtest.h"
#include "sim/sim_network.h"
#include "tests/node/cluster_test_util.h"

namespace kv::node {
namespace {

using testing::SimCluster;

void FastAntiEntropy(NodeOptions& o) {
  o.anti_entropy.interval = absl::Milliseconds(100);
  o.coordinator.request_timeout = absl::Milliseconds(300);
}

int LiveCopies(SimCluster& c, const std::string& key) {
  int copies = 0;
  for (NodeId id = 1; id <= static_cast<NodeId>(c.node_count); ++id) {
    Node& n = c.node(id);
    auto r = n.engine().Get(n.membership().ring()->PartitionOf(key), key);
    if (r.ok() && r->has_value() &&
        !storage::LiveValues(**r, absl::ToUnixMicros(c.sim.process(id).WallNow())).empty()) {
      ++copies;
    }
  }
  return copies;
}

TEST(AntiEntropyTest, AReplicaThatMissedWritesCatchesUpWithoutAnyRead) {
  SimCluster c(21, 3, FastAntiEntropy);
  int missing = 0;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    c.sim.network().Isolate(3);
    for (int i = 0; i < 40; ++i) ASSERT_TRUE(client.Put(1, "k" + std::to_string(i), "v").ok());
    for (int i = 0; i < 40; ++i) missing += LiveCopies(c, "k" + std::to_string(i)) < 3;
    c.sim.network().Heal();
  });
  c.sim.RunFor(absl::Seconds(25));
  EXPECT_EQ(missing, 40) << "node 3 missed every write while isolated";
  c.sim.RunFor(absl::Seconds(30));  // a few anti-entropy cycles (64 partitions at 100 ms)
  for (int i = 0; i < 40; ++i) EXPECT_EQ(LiveCopies(c, "k" + std::to_string(i)), 3) << i;
  uint64_t repaired = 0;
  for (NodeId id = 1; id <= 3; ++id) repaired += c.node(id).anti_entropy().stats().keys_repaired;
  EXPECT_GE(repaired, 40u);
}

TEST(AntiEntropyTest, ADeleteMissedByOneReplicaWinsInsteadOfTheOldValueComingBack) {
  SimCluster c(22, 3, FastAntiEntropy);
  std::vector<int> values_seen;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    ASSERT_TRUE(client.Put(1, "k", "v").ok());
    FiberSleep(absl::Seconds(1));
    auto read = client.Get(1, "k", {.r = 3});
    ASSERT_TRUE(read.ok());
    c.sim.network().Isolate(3);  // node 3 keeps the live value
    ASSERT_TRUE(client.Delete(1, "k", read->context()).ok());
    c.sim.network().Heal();
    FiberSleep(absl::Seconds(30));  // anti-entropy cycles
    for (NodeId coordinator : {1, 2, 3}) {
      auto got = client.Get(coordinator, "k", {.r = 3});
      values_seen.push_back(got.ok() ? got->values_size() : -1);
    }
  });
  c.sim.RunFor(absl::Seconds(60));
  EXPECT_EQ(values_seen, (std::vector<int>{0, 0, 0}));
  EXPECT_EQ(LiveCopies(c, "k"), 0);
}

TEST(AntiEntropyTest, ExpiredValuesStayGone) {
  SimCluster c(23, 3, FastAntiEntropy);
  int before = -1, after = -1;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    c.sim.network().Isolate(3);
    ASSERT_TRUE(client.Put(1, "k", "short-lived", {.ttl = absl::Seconds(5)}).ok());
    c.sim.network().Heal();
    before = client.Get(2, "k")->values_size();
    FiberSleep(absl::Seconds(40));  // expiry, and anti-entropy spreading the record
    after = client.Get(3, "k", {.r = 3})->values_size();
  });
  c.sim.RunFor(absl::Seconds(70));
  EXPECT_EQ(before, 1);
  EXPECT_EQ(after, 0);
  EXPECT_EQ(LiveCopies(c, "k"), 0);
}

TEST(NodeOptionsTest, GraceShorterThanAnAntiEntropyCycleOrTheHintWindowIsRefused) {
  NodeOptions o;
  EXPECT_TRUE(ValidateNodeOptions(o).ok()) << ValidateNodeOptions(o);
  o.engine.tombstone_grace = absl::Minutes(2);  // 256 partitions x 1 s = 4m16s
  absl::Status s = ValidateNodeOptions(o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("must exceed an anti-entropy cycle"), std::string::npos) << s;
  o = NodeOptions();
  o.handoff.window = absl::Hours(2);
  EXPECT_NE(ValidateNodeOptions(o).message().find("hint window"), std::string::npos);
  o = NodeOptions();
  o.coordinator.w = 4;
  EXPECT_NE(ValidateNodeOptions(o).message().find("1 <= R, W <= N"), std::string::npos);
}

}  // namespace
}  // namespace kv::node
