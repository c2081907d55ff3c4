// Messages from a buggy or hostile peer that once broke a node, found by the libFuzzer harness
// tests/fuzz/messages_fuzzer.cc: each now gets an answer, and the node keeps serving.
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "node/aae.pb.h"
#include "node/kv.pb.h"
#include "node/replica_store.h"
#include "node/rpc.h"
#include "sim/sim_process.h"
#include "storage/record/context.h"
#include "storage/record/dvv.h"
#include "storage/record/record_codec.h"
#include "tests/node/cluster_test_util.h"

namespace kv::node {
namespace {

using testing::SimCluster;

// A process that calls the node over raw RPC, as another node (or an impostor) would.
struct CallerApp final : sim::ProcessApp {
  explicit CallerApp(Runtime& rt) : rpc(rt) { rpc.Start(); }
  RpcEndpoint rpc;
};

NodeId AddCaller(SimCluster& c, std::function<void(RpcEndpoint&)> body) {
  sim::ProcessOptions p;
  p.name = "caller";
  p.boot = [body](Runtime& rt, storage::FileSystem&) -> std::unique_ptr<sim::ProcessApp> {
    auto app = std::make_unique<CallerApp>(rt);
    CallerApp* raw = app.get();
    rt.Spawn("caller", [body, raw] {
      FiberSleep(absl::Seconds(10));  // the node's ring forms
      body(raw->rpc);
    });
    return app;
  };
  const NodeId id = c.sim.AddProcess(p);
  c.sim.Start(id);
  return id;
}

// One node holding every key alone (N = R = W = 1).
void OneReplica(NodeOptions& o) {
  o.coordinator.n = o.coordinator.r = o.coordinator.w = 1;
  o.membership.n_val = 1;
}

// A replica write kept as a hint "for" the receiving node itself used to be handed off by the
// node to itself, an RPC to self, which aborts. It is the node's own copy.
TEST(FuzzFindingsTest, ReplicaWriteHintedForTheReceiverItselfIsItsOwnCopy) {
  SimCluster c(3, 1, OneReplica);
  const std::string key = "k";
  absl::Status written = absl::UnknownError("not sent");
  AddCaller(c, [&](RpcEndpoint& rpc) {
    ReplicaWrite m;
    m.set_partition(c.node(1).membership().ring()->PartitionOf(key));
    m.set_key(key);
    m.set_record(storage::EncodeRecord(storage::Update(
        storage::EmptyRecord(), storage::Context(), ActorId(9, 1), storage::Write::Put("v"),
        absl::ToUnixMicros(absl::FromUnixSeconds(1767225600)))));
    m.set_hint_for(1);
    written = rpc.Call(1, "kv.replica_write", m.SerializeAsString(), absl::Seconds(1)).status();
  });
  c.sim.RunFor(absl::Seconds(15));  // hinted handoff runs every second
  EXPECT_TRUE(written.ok()) << written;
  ASSERT_TRUE(c.serving(1));
  Node& node = c.node(1);
  absl::StatusOr<std::optional<storage::Record>> stored =
      node.engine().Get(node.membership().ring()->PartitionOf(key), key);
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ((*stored)->siblings(0).value(), "v");
  absl::StatusOr<absl::btree_map<NodeId, uint64_t>> hints = node.engine().HintCounts();
  ASSERT_TRUE(hints.ok()) << hints.status();
  EXPECT_TRUE(hints->empty());
}

// now + ttl_micros overflowed (undefined behaviour; in practice a negative expiry, which the
// record code asserts against).
TEST(FuzzFindingsTest, PutWithATtlPastTheEndOfTimeIsRefused) {
  SimCluster c(4, 1, OneReplica);
  absl::Status huge = absl::UnknownError("not sent");
  absl::Status normal = absl::UnknownError("not sent");
  AddCaller(c, [&](RpcEndpoint& rpc) {
    ClientPut put;
    put.set_key("k");
    put.set_value("v");
    put.set_ttl_micros(std::numeric_limits<int64_t>::max());
    huge = rpc.Call(1, "kv.put", put.SerializeAsString(), absl::Seconds(1)).status();
    put.set_ttl_micros(int64_t{3600} * 1000 * 1000);
    normal = rpc.Call(1, "kv.put", put.SerializeAsString(), absl::Seconds(1)).status();
  });
  c.sim.RunFor(absl::Seconds(15));
  EXPECT_EQ(huge.code(), absl::StatusCode::kInvalidArgument) << huge;
  EXPECT_TRUE(normal.ok()) << normal;
  EXPECT_TRUE(c.serving(1));
}

// An error quoting a binary key travelled in a proto3 `string` field, which does not parse unless
// it is UTF-8: the reply was dropped as malformed and the caller timed out instead of learning
// the error.
TEST(FuzzFindingsTest, ErrorsQuotingBinaryKeysReachTheCaller) {
  SimCluster c(5, 1, [](NodeOptions& o) {
    OneReplica(o);
    o.coordinator.siblings_max = 1;
  });
  const std::string key = "\xa2\xff";
  absl::Status first = absl::UnknownError("not sent");
  absl::Status second = absl::UnknownError("not sent");
  AddCaller(c, [&](RpcEndpoint& rpc) {
    ClientPut put;
    put.set_key(key);
    put.set_value("a");
    first = rpc.Call(1, "kv.put", put.SerializeAsString(), absl::Seconds(1)).status();
    // A second blind write would make a sibling, past the limit of 1.
    put.set_value("b");
    second = rpc.Call(1, "kv.put", put.SerializeAsString(), absl::Seconds(1)).status();
  });
  c.sim.RunFor(absl::Seconds(15));
  EXPECT_TRUE(first.ok()) << first;
  EXPECT_EQ(second.code(), absl::StatusCode::kFailedPrecondition) << second;
  EXPECT_NE(second.message().find(key), absl::string_view::npos) << second;
}

// A causal context claiming the coordinator's own last dot counter (2^64 - 1) made the node's
// next dot overflow, which storage::Update asserts against: any client could abort a node with a
// crafted context (its checksum is not a secret). Found while writing the messages harness.
TEST(FuzzFindingsTest, PutWithAContextAtTheLastDotCounterIsRefused) {
  SimCluster c(6, 1, OneReplica);
  absl::Status refused = absl::UnknownError("not sent");
  absl::Status blind = absl::UnknownError("not sent");
  AddCaller(c, [&](RpcEndpoint& rpc) {
    storage::VersionVector vv;
    storage::VersionVectorEntry* e = vv.add_entries();
    e->set_node(ActorId(1, 1));  // node 1's first life
    e->set_counter(std::numeric_limits<uint64_t>::max());
    ClientPut put;
    put.set_key("k");
    put.set_value("v");
    put.set_context(storage::Context::FromProto(vv).Encode());
    refused = rpc.Call(1, "kv.put", put.SerializeAsString(), absl::Seconds(1)).status();
    put.clear_context();
    blind = rpc.Call(1, "kv.put", put.SerializeAsString(), absl::Seconds(1)).status();
  });
  c.sim.RunFor(absl::Seconds(15));
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_TRUE(blind.ok()) << blind;
  EXPECT_TRUE(c.serving(1));
}

// Anti-entropy requests named any partition, and the engine built a Merkle tree for each number
// a peer sent: unbounded memory from one misbehaving peer. Partitions outside the ring are refused.
TEST(FuzzFindingsTest, AntiEntropyRequestsForPartitionsOutsideTheRingAreRefused) {
  SimCluster c(5, 1, OneReplica);
  std::string level, keys, inside;
  AddCaller(c, [&](RpcEndpoint& rpc) {
    AaeLevelRequest m;
    m.set_partition(1u << 30);
    m.set_leaf_count_log2(10);
    m.set_branching_log2(2);
    level = rpc.Call(1, "aae.level", m.SerializeAsString(), absl::Seconds(1)).status().ToString();
    AaeKeysRequest k;
    k.set_partition(4000000000u);
    keys = rpc.Call(1, "aae.keys", k.SerializeAsString(), absl::Seconds(1)).status().ToString();
    k.set_partition(0);
    inside = rpc.Call(1, "aae.keys", k.SerializeAsString(), absl::Seconds(1)).status().ToString();
  });
  c.sim.RunFor(absl::Seconds(15));
  EXPECT_EQ(level, "INVALID_ARGUMENT: partition 1073741824 is not in the ring (it has 64 partitions, and "
            "replicated units of N up to 15)");
  EXPECT_EQ(keys, "INVALID_ARGUMENT: partition 4000000000 is not in the ring (it has 64 partitions, and "
            "replicated units of N up to 15)");
  EXPECT_EQ(inside, "OK");
}

}  // namespace
}  // namespace kv::node
