// A simulated cluster of full nodes (RocksDB on the simulated disk) and client processes.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "node/client.h"
#include "node/node.h"
#include "sim/sim_process.h"
#include "sim/simulator.h"
#include "storage/rocksdb_env/deterministic_options.h"
#include "storage/rocksdb_env/seam_env.h"

namespace kv::node::testing {

struct NodeApp final : sim::ProcessApp {
  std::unique_ptr<storage::rocksdb_env::SeamEnv> env;
  std::unique_ptr<Node> node;
  absl::Status start_status = absl::UnknownError("not started");
  ~NodeApp() override {
    node.reset();
    env.reset();
  }
};

struct ClientApp final : sim::ProcessApp {
  explicit ClientApp(Runtime& rt) : rpc(rt), client(rt, rpc) { rpc.Start(); }
  RpcEndpoint rpc;
  KvClient client;
};

class SimCluster {
 public:
  // Nodes 1..nodes, all seeded with node 1; `tweak` adjusts each node's options.
  SimCluster(uint64_t seed, int nodes, std::function<void(NodeOptions&)> tweak = nullptr)
      : sim(seed) {
    for (int i = 0; i < nodes; ++i) {
      sim::ProcessOptions p;
      p.hash_disk_bytes = storage::rocksdb_env::HashRocksDbFileBytes;
      p.boot = [tweak](Runtime& rt, storage::FileSystem& fs) -> std::unique_ptr<sim::ProcessApp> {
        auto app = std::make_unique<NodeApp>();
        app->env = storage::rocksdb_env::NewSeamEnv(rt, fs);
        NodeOptions options;
        options.membership.seeds = {1};
        options.membership.partitions = 64;
        options.engine.seam_env = app->env.get();
        if (tweak) tweak(options);
        app->node = std::make_unique<Node>(rt, options);
        NodeApp* raw = app.get();
        rt.Spawn("start", [raw] { raw->start_status = raw->node->Start(); });
        return app;
      };
      sim.Start(sim.AddProcess(p));
    }
    node_count = nodes;
  }

  // Adds a client process running `body` on a fiber.
  NodeId AddClient(std::function<void(Runtime&, KvClient&)> body) {
    sim::ProcessOptions p;
    p.name = "client";
    p.boot = [body](Runtime& rt, storage::FileSystem&) -> std::unique_ptr<sim::ProcessApp> {
      auto app = std::make_unique<ClientApp>(rt);
      ClientApp* raw = app.get();
      rt.Spawn("client", [body, &rt, raw] { body(rt, raw->client); });
      return app;
    };
    NodeId id = sim.AddProcess(p);
    sim.Start(id);
    return id;
  }

  NodeApp& app(NodeId id) { return *static_cast<NodeApp*>(sim.process(id).app()); }
  Node& node(NodeId id) { return *app(id).node; }

  sim::Simulator sim;
  int node_count = 0;
};

}  // namespace kv::node::testing
