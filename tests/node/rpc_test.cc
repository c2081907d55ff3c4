// Node-to-node RPC in the simulator: replies, errors, timeouts under partitions, duplicated
// frames, load shedding and malformed input.
#include "node/rpc.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/sim_network.h"
#include "sim/sim_process.h"
#include "sim/simulator.h"

namespace kv::node {
namespace {

struct RpcApp final : sim::ProcessApp {
  explicit RpcApp(Runtime& rt, RpcOptions options) : rpc(rt, options) {}
  RpcEndpoint rpc;
};

class RpcTest : public ::testing::Test {
 protected:
  // Adds a node with "echo", "fail" and "slow" methods; `client` (if set) runs on a fiber.
  NodeId AddNode(std::function<void(Runtime&, RpcEndpoint&)> client = nullptr,
                 RpcOptions options = {}) {
    sim::ProcessOptions p;
    p.boot = [this, client, options](Runtime& rt,
                                     storage::FileSystem&) -> std::unique_ptr<sim::ProcessApp> {
      auto app = std::make_unique<RpcApp>(rt, options);
      RpcEndpoint& rpc = app->rpc;
      rpc.Register("echo", [](NodeId, absl::string_view body) -> absl::StatusOr<std::string> {
        return std::string(body);
      });
      rpc.Register("fail", [](NodeId from, absl::string_view) -> absl::StatusOr<std::string> {
        return absl::FailedPreconditionError(absl::StrCat("refused for node ", from));
      });
      rpc.Register("slow", [](NodeId, absl::string_view) -> absl::StatusOr<std::string> {
        FiberSleep(absl::Seconds(1));
        return std::string("done");
      });
      rpc.Start();
      endpoints_.push_back(&rpc);
      if (client) rt.Spawn("client", [client, &rt, &rpc] { client(rt, rpc); });
      return app;
    };
    NodeId id = sim_.AddProcess(p);
    sim_.Start(id);
    return id;
  }

  sim::Simulator sim_{11};
  std::vector<RpcEndpoint*> endpoints_;
};

TEST_F(RpcTest, CallsGetRepliesAndErrorsWithTheirStatus) {
  std::vector<std::string> results;
  AddNode();  // node 1: the server
  AddNode([&](Runtime&, RpcEndpoint& rpc) {
    absl::StatusOr<std::string> r = rpc.Call(1, "echo", "hello", absl::Seconds(1));
    results.push_back(r.ok() ? *r : r.status().ToString());
    r = rpc.Call(1, "fail", "", absl::Seconds(1));
    results.push_back(r.status().ToString());
    r = rpc.Call(1, "nope", "", absl::Seconds(1));
    results.push_back(r.status().ToString());
  });
  sim_.RunFor(absl::Seconds(5));
  EXPECT_EQ(results, (std::vector<std::string>{
                         "hello", "FAILED_PRECONDITION: refused for node 2",
                         "UNIMPLEMENTED: unknown method 'nope'"}));
}

TEST_F(RpcTest, CallsTimeOutAtTheirDeadlineWhenPartitionedAndLateRepliesAreDropped) {
  std::string error;
  MonoTime returned;
  AddNode();
  NodeId client = AddNode([&](Runtime& rt, RpcEndpoint& rpc) {
    FiberSleep(absl::Milliseconds(10));
    absl::StatusOr<std::string> r = rpc.Call(1, "slow", "", absl::Milliseconds(300));
    error = r.status().ToString();
    returned = rt.Now();
  });
  sim_.RunFor(absl::Seconds(5));
  EXPECT_EQ(error, "DEADLINE_EXCEEDED: no reply from node 1 to slow within 300ms");
  EXPECT_EQ(returned, MonoTime() + absl::Milliseconds(310));
  EXPECT_EQ(endpoints_[1]->stats().calls_timed_out, 1u);
  EXPECT_EQ(endpoints_[1]->stats().replies_dropped, 1u) << "the late reply arrived and was dropped";
  (void)client;
}

TEST_F(RpcTest, PartitionedPeerTimesOut) {
  absl::StatusCode code = absl::StatusCode::kOk;
  AddNode();
  AddNode([&](Runtime&, RpcEndpoint& rpc) {
    code = rpc.Call(1, "echo", "x", absl::Milliseconds(100)).status().code();
  });
  sim_.network().Isolate(1);
  sim_.RunFor(absl::Seconds(1));
  EXPECT_EQ(code, absl::StatusCode::kDeadlineExceeded);
}

TEST_F(RpcTest, DuplicatedFramesDoNotConfuseCallers) {
  sim::LinkProfile p;
  p.duplicate_probability = 1.0;
  sim_.network().set_default_profile(p);
  std::vector<std::string> got;
  AddNode();
  AddNode([&](Runtime&, RpcEndpoint& rpc) {
    for (int i = 0; i < 20; ++i) {
      absl::StatusOr<std::string> r = rpc.Call(1, "echo", std::to_string(i), absl::Seconds(1));
      got.push_back(r.ok() ? *r : r.status().ToString());
    }
  });
  sim_.RunFor(absl::Seconds(5));
  ASSERT_EQ(got.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(got[i], std::to_string(i));
  EXPECT_GT(endpoints_[1]->stats().replies_dropped, 0u);
  EXPECT_EQ(endpoints_[0]->stats().requests_handled, 40u) << "each request ran twice";
}

TEST_F(RpcTest, OverloadedNodeShedsRequestsInsteadOfQueueingThem) {
  RpcOptions small;
  small.handlers_max = 2;
  int ok = 0, shed = 0;
  AddNode(nullptr, small);
  AddNode([&](Runtime& rt, RpcEndpoint& rpc) {
    std::vector<FiberHandle> calls;
    for (int i = 0; i < 5; ++i) {
      calls.push_back(rt.Spawn("call", [&] {
        absl::StatusOr<std::string> r = rpc.Call(1, "slow", "", absl::Seconds(5));
        if (r.ok()) ++ok;
        if (r.status().code() == absl::StatusCode::kResourceExhausted) ++shed;
      }));
    }
    for (auto& c : calls) c.Join();
  });
  sim_.RunFor(absl::Seconds(10));
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(shed, 3);
  EXPECT_EQ(endpoints_[0]->stats().requests_shed, 3u);
}

TEST_F(RpcTest, MalformedFramesAreDroppedAndTheEndpointKeepsServing) {
  std::string reply;
  AddNode();
  AddNode([&](Runtime& rt, RpcEndpoint& rpc) {
    (void)rt.transport().Send(1, std::string("\xff\xff\xff garbage", 11));
    absl::StatusOr<std::string> r = rpc.Call(1, "echo", "still here", absl::Seconds(1));
    reply = r.ok() ? *r : r.status().ToString();
  });
  sim_.RunFor(absl::Seconds(2));
  EXPECT_EQ(reply, "still here");
  EXPECT_EQ(endpoints_[0]->stats().frames_malformed, 1u);
}

}  // namespace
}  // namespace kv::node
