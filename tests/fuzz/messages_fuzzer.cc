// libFuzzer harness for the node's protobuf message handlers: whatever bytes a peer sends, a node
// must not crash (no KV_ASSERT failure, no sanitizer report), must keep running, and must send
// only frames that parse.
//
// One simulated node (process 1: a full kv::node::Node, RocksDB on the simulated disk through
// SeamEnv) and two fake peers (processes 2 and 3) live in one simulator, built on the first input
// and rebuilt every KV_FUZZ_RESET_EVERY inputs (default 1000). State carries over between inputs
// otherwise, so to tell whether a crashing input crashes a fresh node on its own, run it with
// KV_FUZZ_RESET_EVERY=1. An input is a short program of steps (FuzzedDataProvider):
//   - a raw transport payload from a peer (the RPC frame parser);
//   - a request frame for one of the node's methods, with raw bytes as the body or a body built
//     from the input (message_builders.h);
//   - how the peers answer the node's own calls of a method (gossip, replica writes and reads,
//     anti-entropy, transfers, forwarding): an error, raw bytes or a built reply, once, twice or
//     never;
//   - a reply frame to one of the node's recent calls, or to a made-up id;
//   - up to 3 simulated seconds passing (gossip, handoff, anti-entropy and transfer loops,
//     timeouts).
// Every input ends with 1.1 simulated seconds, so each periodic loop acts on what it left. Every
// payload and body also goes through the decoders' contract checks (decoder_checks.h).
//
// Build and run: tests/fuzz/README.md.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/stubs/logging.h"
#include "net/assert.h"
#include "node/kv.pb.h"
#include "node/node.h"
#include "node/rpc.pb.h"
#include "sim/sim_network.h"
#include "sim/sim_process.h"
#include "sim/simulator.h"
#include "storage/rocksdb_env/deterministic_options.h"
#include "storage/rocksdb_env/seam_env.h"
#include "tests/fuzz/decoder_checks.h"
#include "tests/fuzz/message_builders.h"

namespace {

using kv::Duration;
using kv::NodeId;
using kv::fuzz::BuildReply;
using kv::fuzz::BuildRequest;
using kv::fuzz::CheckDecoders;
using kv::fuzz::kNode;
using kv::fuzz::kOtherPeer;
using kv::fuzz::kPartitions;
using kv::fuzz::kPeer;
using kv::fuzz::PickMethod;

// Most steps per input, so one input cannot run for long.
constexpr int kStepsMax = 24;
// Simulated time a "time passes" step may take.
constexpr int64_t kRunMillisMax = 3000;

// How the fake peers answer the node's calls of one method.
struct Answer {
  int32_t status_code = 0;  // 0: OK with `body`
  std::string body;
  int copies = 1;  // 0: never answers (the call times out); 2: a duplicated reply
};

struct PeerState {
  absl::btree_map<std::string, Answer> answers;  // by method; none: OK, empty body
  std::deque<uint64_t> call_ids;                 // the node's latest request ids (at most 8)
};

struct NodeApp final : kv::sim::ProcessApp {
  std::unique_ptr<kv::storage::rocksdb_env::SeamEnv> env;
  std::unique_ptr<kv::node::Node> node;
  absl::Status start_status = absl::UnknownError("not started");
  ~NodeApp() override {
    node.reset();
    env.reset();
  }
};

struct PeerApp final : kv::sim::ProcessApp {};

// A fake peer's only fiber: answers every request as `state` says.
void PeerLoop(kv::Runtime& rt, PeerState& state) {
  while (true) {
    absl::StatusOr<kv::TransportEvent> event = rt.transport().ReceiveUntil(kv::MonoTime::Max());
    if (!event.ok() || event->kind != kv::TransportEvent::Kind::kMessage) continue;
    kv::node::RpcFrame request;
    // Whatever it was sent, the node sends only frames that parse (a reply that does not is lost,
    // and its caller times out instead of learning the status).
    KV_ASSERT_MSG(
        request.ParseFromString(event->payload),
        absl::StrCat("the node sent a malformed RPC frame: ", absl::CHexEscape(event->payload)));
    if (request.kind() != kv::node::RpcFrame::REQUEST) continue;
    state.call_ids.push_back(request.id());
    if (state.call_ids.size() > 8) state.call_ids.pop_front();
    const auto it = state.answers.find(request.method());
    const Answer answer = it == state.answers.end() ? Answer() : it->second;
    kv::node::RpcFrame reply;
    reply.set_id(request.id());
    reply.set_kind(kv::node::RpcFrame::REPLY);
    reply.set_status_code(answer.status_code);
    if (answer.status_code == 0) {
      reply.set_body(answer.body);
    } else {
      reply.set_status_message(answer.body);
    }
    for (int i = 0; i < answer.copies; ++i) {
      (void)rt.transport().Send(event->peer, reply.SerializeAsString());
    }
  }
}

class World {
 public:
  World() : sim_(7, SimOptions()) {
    kv::sim::LinkProfile link;
    link.shape = kv::sim::LinkProfile::Shape::kFixed;
    link.latency_min = absl::Microseconds(200);
    sim_.network().set_default_profile(link);

    kv::sim::ProcessOptions node_process;
    node_process.name = "node";
    node_process.hash_disk_bytes = kv::storage::rocksdb_env::HashRocksDbFileBytes;
    node_process.boot = [](kv::Runtime& rt,
                           kv::storage::FileSystem& fs) -> std::unique_ptr<kv::sim::ProcessApp> {
      auto app = std::make_unique<NodeApp>();
      app->env = kv::storage::rocksdb_env::NewSeamEnv(rt, fs);
      kv::node::NodeOptions options;
      options.membership.seeds = {kNode};
      options.membership.partitions = kPartitions;
      options.engine.seam_env = app->env.get();
      app->node = std::make_unique<kv::node::Node>(rt, options);
      NodeApp* raw = app.get();
      rt.Spawn("start", [raw] { raw->start_status = raw->node->Start(); });
      return app;
    };
    KV_ASSERT(sim_.AddProcess(node_process) == kNode);

    for (const NodeId id : {kPeer, kOtherPeer}) {
      kv::sim::ProcessOptions peer_process;
      peer_process.name = absl::StrCat("peer", id);
      peer_process.boot = [this](kv::Runtime& rt,
                                 kv::storage::FileSystem&) -> std::unique_ptr<kv::sim::ProcessApp> {
        rt.Spawn("peer", [&rt, this] { PeerLoop(rt, peers_); });
        return std::make_unique<PeerApp>();
      };
      KV_ASSERT(sim_.AddProcess(peer_process) == id);
    }
    for (const NodeId id : {kNode, kPeer, kOtherPeer}) sim_.Start(id);
    // The node bootstraps a ring of itself after a few gossip rounds.
    const bool up = sim_.RunUntilCondition(
        [this] { return app().start_status.ok() && node().membership().ring().has_value(); },
        sim_.now() + absl::Seconds(30));
    KV_ASSERT_MSG(up, app().start_status.ToString());
  }

  // The node receives `payload` from peer `from` (after the link's latency).
  void Deliver(NodeId from, std::string payload) {
    absl::Status sent = sim_.network().Send(from, kNode, std::move(payload));
    KV_ASSERT_MSG(sent.ok(), sent.ToString());
  }
  void Run(Duration d) {
    sim_.RunFor(d);
    // Nothing a peer sends may stop the node.
    KV_ASSERT(sim_.process(kNode).alive());
  }
  PeerState& peers() { return peers_; }
  // The ring's partition of `key` (the node always has a ring once built).
  uint32_t PartitionOf(absl::string_view key) {
    return node().membership().ring()->PartitionOf(key);
  }

 private:
  static kv::sim::SimulatorOptions SimOptions() {
    kv::sim::SimulatorOptions o;
    o.buggify = false;
    o.log_level = kv::LogLevel::kError;
    o.log_sink = [](absl::string_view) {};
    return o;
  }
  NodeApp& app() { return *static_cast<NodeApp*>(sim_.process(kNode).app()); }
  kv::node::Node& node() { return *app().node; }

  PeerState peers_;  // before sim_: the peers' fibers use it until the simulator is gone
  kv::sim::Simulator sim_;
};

size_t ResetEvery() {
  const char* text = std::getenv("KV_FUZZ_RESET_EVERY");
  size_t n = 0;
  if (text == nullptr || !absl::SimpleAtoi(text, &n) || n == 0) return 1000;
  return n;
}

World& TheWorld() {
  static const size_t reset_every = ResetEvery();
  // Never destroyed at exit: the thread's fiber stack pool (a thread_local) is gone by then, and
  // the simulator's destructor would hand the fibers' stacks back to it.
  static World* world = nullptr;
  static size_t inputs = 0;
  if (world == nullptr || inputs % reset_every == 0) {
    delete world;
    world = new World();
  }
  ++inputs;
  return *world;
}

kv::node::RpcFrame RequestFrame(FuzzedDataProvider& in, std::string method, std::string body) {
  kv::node::RpcFrame frame;
  frame.set_id(in.ConsumeIntegral<uint64_t>());
  frame.set_kind(kv::node::RpcFrame::REQUEST);
  frame.set_method(std::move(method));
  frame.set_body(std::move(body));
  return frame;
}

// One step of the input's program.
void Step(World& world, FuzzedDataProvider& in) {
  const NodeId from = in.ConsumeBool() ? kPeer : kOtherPeer;
  switch (in.ConsumeIntegralInRange(0, 5)) {
    case 0: {  // raw transport payload
      std::string payload = in.ConsumeRandomLengthString(1024);
      CheckDecoders(payload);
      world.Deliver(from, std::move(payload));
      return;
    }
    case 1: {  // a request with a raw body
      std::string method = PickMethod(in);
      std::string body = in.ConsumeRandomLengthString(1024);
      CheckDecoders(body);
      world.Deliver(from, RequestFrame(in, std::move(method), std::move(body)).SerializeAsString());
      return;
    }
    case 2: {  // a request with a body built from the input
      std::string method = PickMethod(in);
      std::string body = BuildRequest(method, in);
      if (method == "kv.replica_write" && in.ConsumeBool()) {
        // Aimed at the key's real partition, so it reaches the store's merge.
        kv::node::ReplicaWrite m;
        KV_ASSERT(m.ParseFromString(body));
        m.set_partition(world.PartitionOf(m.key()));
        body = m.SerializeAsString();
      }
      CheckDecoders(body);
      world.Deliver(from, RequestFrame(in, std::move(method), std::move(body)).SerializeAsString());
      return;
    }
    case 3: {  // how the peers answer the node's calls of one method
      const std::string method = PickMethod(in);
      Answer answer;
      answer.copies = in.ConsumeIntegralInRange(0, 2);
      if (in.ConsumeIntegralInRange(0, 3) == 0) {
        answer.status_code =
            in.ConsumeBool() ? in.ConsumeIntegralInRange(1, 16) : in.ConsumeIntegral<int32_t>();
      }
      answer.body = in.ConsumeBool() ? BuildReply(method, in) : in.ConsumeRandomLengthString(512);
      CheckDecoders(answer.body);
      world.peers().answers[method] = std::move(answer);
      return;
    }
    case 4: {  // a reply frame to a recent call of the node's, or to any id
      kv::node::RpcFrame reply;
      const std::deque<uint64_t>& ids = world.peers().call_ids;
      reply.set_id(!ids.empty() && in.ConsumeBool()
                       ? ids[in.ConsumeIntegralInRange<size_t>(0, ids.size() - 1)]
                       : in.ConsumeIntegral<uint64_t>());
      reply.set_kind(kv::node::RpcFrame::REPLY);
      if (in.ConsumeBool()) reply.set_status_code(in.ConsumeIntegral<int32_t>());
      const std::string method = PickMethod(in);
      reply.set_body(in.ConsumeBool() ? BuildReply(method, in) : in.ConsumeRandomLengthString(256));
      world.Deliver(from, reply.SerializeAsString());
      return;
    }
    default:  // time passes
      world.Run(absl::Milliseconds(in.ConsumeIntegralInRange<int64_t>(0, kRunMillisMax)));
      return;
  }
}

}  // namespace

// Protobuf's log is silenced (parse failures are expected by the thousand). The node's fibers run
// on mmap'ed stacks that LeakSanitizer does not scan, so whatever only a suspended fiber
// references looks leaked: leak detection is off unless the command line turns it on again (a
// flag given later wins).
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  google::protobuf::SetLogHandler(nullptr);
  static std::vector<char*> args;
  static char no_leaks[] = "-detect_leaks=0";
  args.assign(*argv, *argv + *argc);
  args.insert(args.begin() + 1, no_leaks);
  args.push_back(nullptr);
  *argc = static_cast<int>(args.size()) - 1;
  *argv = args.data();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  CheckDecoders(bytes);
  World& world = TheWorld();
  FuzzedDataProvider in(data, size);
  for (int steps = 0; steps < kStepsMax && in.remaining_bytes() > 0; ++steps) Step(world, in);
  // The last messages arrive, their handlers finish (calls to the peers time out after 1 s), and
  // every periodic loop (gossip, handoff, anti-entropy: 1 s; transfers: 500 ms) runs at least once
  // on what they left, so an input that breaks the node does so within itself.
  world.Run(absl::Milliseconds(1100));
  return 0;
}
