// The consistent-hash ring: proportional claims, preference lists of distinct nodes, minimal
// movement on join and leave, determinism, bad input.
#include "node/ring.h"

#include <cmath>
#include <string>

#include "gtest/gtest.h"

namespace kv::node {
namespace {

absl::btree_map<NodeId, uint32_t> Nodes(int n, uint32_t weight = 1) {
  absl::btree_map<NodeId, uint32_t> out;
  for (int i = 1; i <= n; ++i) out[static_cast<NodeId>(i)] = weight;
  return out;
}

TEST(RingTest, NodesOwnPartitionsInProportionToTheirWeight) {
  absl::btree_map<NodeId, uint32_t> weights = {{1, 1}, {2, 1}, {3, 2}};
  Ring ring = *Ring::Create(256, weights);
  EXPECT_EQ(ring.OwnedCounts(), (absl::btree_map<NodeId, uint32_t>{{1, 64}, {2, 64}, {3, 128}}));
  Ring uneven = *Ring::Create(256, Nodes(3));
  absl::btree_map<NodeId, uint32_t> counts = uneven.OwnedCounts();
  EXPECT_EQ(counts[1] + counts[2] + counts[3], 256u);
  for (auto& [node, c] : counts) EXPECT_TRUE(c == 85 || c == 86) << node << " owns " << c;
}

TEST(RingTest, PreferenceListsHoldNDistinctNodesOnConsecutivePartitions) {
  for (int nodes : {3, 4, 5, 8, 16, 64}) {
    Ring ring = *Ring::Create(256, Nodes(nodes), 3);
    uint32_t spread = 0;
    for (PartitionId p = 0; p < 256; ++p) {
      std::vector<NodeId> list = ring.PreferenceList(p, 3);
      ASSERT_EQ(list.size(), 3u);
      EXPECT_EQ(list[0], ring.owner(p));
      // The ideal: the N replicas are the owners of N consecutive partitions.
      spread += ring.owner(p) != ring.owner((p + 1) % 256) &&
                ring.owner(p) != ring.owner((p + 2) % 256) &&
                ring.owner((p + 1) % 256) != ring.owner((p + 2) % 256);
    }
    // With 3 nodes, 256 partitions cannot repeat a 3-node pattern all the way round: at the
    // seam at most N-1 windows repeat a node (their lists then reach one partition further).
    EXPECT_GE(spread, 256u % nodes == 0 || nodes > 3 ? 256u : 254u) << nodes << " nodes";
  }
}

TEST(RingTest, ExtendedPreferenceListVisitsEveryNodeOnce) {
  Ring ring = *Ring::Create(64, Nodes(5));
  std::vector<NodeId> all = ring.ExtendedPreferenceList(17);
  ASSERT_EQ(all.size(), 5u);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<NodeId>{1, 2, 3, 4, 5}));
}

// Growing 4 -> 5 -> 8 -> 16 nodes moves within 10 % of the ideal number of partitions.
TEST(RingTest, JoinsMoveAboutTheIdealFractionAndNothingElse) {
  Ring ring = *Ring::Create(256, Nodes(4));
  int n_old = 4;
  for (int n_new : {5, 8, 16}) {
    Ring grown = *ring.Rebalance(Nodes(n_new));
    const double ideal = 256.0 * (n_new - n_old) / n_new;
    const uint32_t moved = ring.MovedPartitions(grown);
    EXPECT_LE(std::abs(moved - ideal), 0.1 * ideal)
        << n_old << " -> " << n_new << ": moved " << moved << ", ideal " << ideal;
    // Only new nodes receive partitions when every old node was at its target.
    for (PartitionId p = 0; p < 256; ++p) {
      if (ring.owner(p) != grown.owner(p)) {
        EXPECT_GT(grown.owner(p), static_cast<NodeId>(n_old));
      }
    }
    for (auto& [node, c] : grown.OwnedCounts()) {
      EXPECT_EQ(c, ClaimTargets(256, Nodes(n_new)).at(node));
    }
    ring = grown;
    n_old = n_new;
  }
}

TEST(RingTest, LeaveMovesOnlyTheLeaversPartitions) {
  Ring ring = *Ring::Create(256, Nodes(8));
  absl::btree_map<NodeId, uint32_t> without3 = Nodes(8);
  without3.erase(3);
  Ring shrunk = *ring.Rebalance(without3);
  const double ideal = 256.0 / 8;
  EXPECT_LE(std::abs(ring.MovedPartitions(shrunk) - ideal), 0.1 * ideal);
  for (PartitionId p = 0; p < 256; ++p) {
    EXPECT_NE(shrunk.owner(p), 3u);
    if (ring.owner(p) != 3) {
      EXPECT_EQ(shrunk.owner(p), ring.owner(p)) << "partition " << p;
    }
  }
}

TEST(RingTest, WeightChangesMoveOnlyTheDifference) {
  Ring ring = *Ring::Create(256, Nodes(4));
  absl::btree_map<NodeId, uint32_t> heavier = Nodes(4);
  heavier[2] = 2;  // node 2 now takes 2/5 of the ring instead of 1/4
  Ring reweighted = *ring.Rebalance(heavier);
  EXPECT_EQ(reweighted.OwnedCounts().at(2), ClaimTargets(256, heavier).at(2));
  const double ideal = 256.0 * (2.0 / 5 - 1.0 / 4);
  EXPECT_LE(std::abs(ring.MovedPartitions(reweighted) - ideal), 0.1 * ideal + 1);
}

TEST(RingTest, SameMembersGiveTheSameRingEverywhere) {
  EXPECT_EQ(Ring::Create(1024, Nodes(7))->owners(), Ring::Create(1024, Nodes(7))->owners());
  Ring a = *Ring::Create(256, Nodes(4));
  EXPECT_EQ(a.Rebalance(Nodes(6))->owners(), a.Rebalance(Nodes(6))->owners());
}

TEST(RingTest, KeysSpreadEvenlyOverPartitions) {
  Ring ring = *Ring::Create(16, Nodes(4));
  std::vector<int> per_partition(16);
  for (int i = 0; i < 160000; ++i) ++per_partition[ring.PartitionOf("key" + std::to_string(i))];
  for (int count : per_partition) EXPECT_NEAR(count, 10000, 500);
  EXPECT_EQ(ring.PartitionOf("same key"), ring.PartitionOf("same key"));
}

TEST(RingTest, BadMembershipIsRefusedWithAReason) {
  EXPECT_EQ(Ring::Create(100, Nodes(3)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Ring::Create(0, Nodes(3)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Ring::Create(256, {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Ring::Create(256, {{1, 0}}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Ring::Create(256, {{0, 1}}).status().code(), absl::StatusCode::kInvalidArgument);
  absl::Status s = Ring::Create(100, Nodes(3)).status();
  EXPECT_NE(s.message().find("power of two"), std::string::npos) << s;
}

}  // namespace
}  // namespace kv::node
