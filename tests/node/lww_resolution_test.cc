// NodeOptions::resolution in a simulated cluster: two clients write one key
// concurrently with the same context. Dotted version vectors keep both
// acknowledged writes as siblings; last-writer-wins keeps the one with the
// later timestamp and silently loses the other (Jepsen's finding on Riak with
// last_write_wins=true), while the replicas still converge to identical
// records.
#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "node/node.h"
#include "storage/record/record_digest.h"
#include "tests/node/cluster_test_util.h"

namespace kv::node {
namespace {

using testing::SimCluster;

struct Outcome {
  int acked = 0;                    // of the two concurrent puts
  std::vector<std::string> values;  // a read of all N replicas afterwards
  std::vector<int> stored_siblings;
  std::vector<uint64_t> stored_digests;
};

Outcome WriteConcurrentlyWithOneContext(storage::Resolution resolution) {
  // Node 2's wall clock runs half a second ahead, so its write carries the
  // later timestamp.
  SimCluster c(
      11, 3, [resolution](NodeOptions& o) { o.resolution = resolution; },
      [](sim::ProcessOptions& p) {
        if (p.name == "n2") p.wall_clock_offset = absl::Milliseconds(500);
      });
  Outcome out;
  std::string context;
  auto put = [&](KvClient& client, NodeId coordinator, const std::string& value) {
    auto reply = client.Put(coordinator, "k", value, {.context = context});
    EXPECT_TRUE(reply.ok()) << reply.status();
    out.acked += reply.ok();
  };
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(20));  // the ring forms
    ASSERT_TRUE(client.Put(3, "k", "v0").ok());
    auto read = client.Get(3, "k", {.r = 3});
    ASSERT_TRUE(read.ok()) << read.status();
    context = read->context();
    FiberSleep(absl::Seconds(10));
    put(client, 1, "from n1");
    FiberSleep(absl::Seconds(10));
    auto after = client.Get(3, "k", {.r = 3});
    ASSERT_TRUE(after.ok()) << after.status();
    for (const ClientValue& v : after->values()) out.values.push_back(v.value());
    std::sort(out.values.begin(), out.values.end());
  });
  c.AddClient([&](Runtime&, KvClient& client) {
    FiberSleep(absl::Seconds(30));  // with the first client's write, not after it
    put(client, 2, "from n2");
  });
  c.sim.RunFor(absl::Seconds(45));
  for (NodeId id = 1; id <= 3; ++id) {
    Node& n = c.node(id);
    const PartitionId p = n.membership().ring()->PartitionOf("k");
    absl::StatusOr<std::optional<storage::Record>> r = n.engine().Get(p, "k");
    EXPECT_TRUE(r.ok() && r->has_value()) << "node " << id;
    if (!r.ok() || !r->has_value()) continue;
    out.stored_siblings.push_back((*r)->siblings_size());
    out.stored_digests.push_back(storage::RecordDigest(**r));
  }
  return out;
}

TEST(ResolutionTest, DottedVersionVectorsKeepBothConcurrentWritesAsSiblings) {
  const Outcome o = WriteConcurrentlyWithOneContext(storage::Resolution::kDottedVersionVectors);
  EXPECT_EQ(o.acked, 2);
  EXPECT_EQ(o.values, (std::vector<std::string>{"from n1", "from n2"}));
  EXPECT_EQ(o.stored_siblings, (std::vector<int>{2, 2, 2}));
}

TEST(ResolutionTest, LastWriterWinsLosesTheAcknowledgedWriteWithTheEarlierTimestamp) {
  const Outcome o = WriteConcurrentlyWithOneContext(storage::Resolution::kLastWriterWins);
  EXPECT_EQ(o.acked, 2);
  EXPECT_EQ(o.values, std::vector<std::string>{"from n2"});  // "from n1" is gone
  EXPECT_EQ(o.stored_siblings, (std::vector<int>{1, 1, 1}));
  ASSERT_EQ(o.stored_digests.size(), 3u);
  EXPECT_EQ(o.stored_digests[0], o.stored_digests[1]);
  EXPECT_EQ(o.stored_digests[0], o.stored_digests[2]);
}

}  // namespace
}  // namespace kv::node
