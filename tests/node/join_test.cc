// An operator's join (Membership::JoinThrough, `kvctl join`): a node that ran alone joins an
// existing cluster, takes its share of partitions, and what it stored alone stays readable.
#include <string>

#include "gtest/gtest.h"
#include "tests/node/cluster_test_util.h"

namespace kv::node {
namespace {

using testing::SimCluster;

TEST(JoinTest, ANodeRunningAloneJoinsAClusterAndKeepsItsData) {
  SimCluster c(5, 0);
  c.per_node = [](NodeId id, NodeOptions& o) {
    if (id == 4) o.membership.seeds = {4};  // its own seed: it bootstraps a cluster of itself
  };
  for (int i = 0; i < 4; ++i) c.AddNode();
  std::string alone_read, joined_read, refused;
  size_t ring_members = 0;
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));
    // Node 4 serves alone (N=3 puts with W=1 land on its own copy only).
    ASSERT_TRUE(client.Put(4, "solo", "mine", {.w = 1}).ok());
    auto got = client.Get(4, "solo", {.r = 1});
    ASSERT_TRUE(got.ok()) << got.status();
    if (got->values_size() == 1) alone_read = got->values(0).value();
    refused = c.node(2).membership().JoinThrough(1).ToString();
    ASSERT_TRUE(c.node(4).membership().JoinThrough(1).ok());
    FiberSleep(absl::Seconds(60));  // gossip, the claimant's rebalance, the transfers
    ring_members = c.node(1).membership().ring()->weights().size();
    auto after = client.Get(1, "solo");
    ASSERT_TRUE(after.ok()) << after.status();
    if (after->values_size() == 1) joined_read = after->values(0).value();
  });
  c.sim.RunFor(absl::Seconds(100));
  EXPECT_EQ(alone_read, "mine");
  EXPECT_EQ(ring_members, 4u);
  EXPECT_EQ(joined_read, "mine");
  EXPECT_EQ(refused,
            "FAILED_PRECONDITION: node 2 is already in a cluster of 3 nodes; only a node running "
            "alone can join another cluster");
}

}  // namespace
}  // namespace kv::node
