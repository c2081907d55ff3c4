#include "workloads/kv/sim_cluster.h"

#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "sim/sim_process.h"
#include "storage/rocksdb_env/deterministic_options.h"

namespace kv::workloads {

NodeApp::~NodeApp() {
  node.reset();
  env.reset();
}

SimCluster::SimCluster(uint64_t seed, int nodes, std::function<void(node::NodeOptions&)> tweak,
                       std::function<void(sim::ProcessOptions&)> process,
                       sim::SimulatorOptions sim_options)
    : sim(seed, sim_options), tweak_(std::move(tweak)), process_(std::move(process)) {
  for (int i = 0; i < nodes; ++i) AddNode();
}

sim::ProcessOptions SimCluster::NodeProcessOptions(NodeId id) {
  sim::ProcessOptions p;
  p.name = absl::StrCat("n", node_count + 1);
  p.hash_disk_bytes = storage::rocksdb_env::HashRocksDbFileBytes;
  p.boot = [tweak = tweak_, per_node = per_node, id](Runtime& rt, storage::FileSystem& fs) -> std::unique_ptr<sim::ProcessApp> {
    auto app = std::make_unique<NodeApp>();
    app->env = storage::rocksdb_env::NewSeamEnv(rt, fs);
    node::NodeOptions options;
    options.membership.seeds = {1};
    options.membership.partitions = 64;
    options.engine.seam_env = app->env.get();
    if (tweak) tweak(options);
    if (per_node) per_node(id, options);
    app->node = std::make_unique<node::Node>(rt, options);
    NodeApp* raw = app.get();
    // A node whose start fails (its storage refuses to open, say) serves nothing.
    rt.Spawn("start", [raw] { raw->start_status = raw->node->Start(); });
    return app;
  };
  if (process_) process_(p);
  if (per_node_process) per_node_process(id, p);
  return p;
}

NodeId SimCluster::AddNode() {
  const NodeId expected = static_cast<NodeId>(sim.process_ids().size() + 1);
  const NodeId id = sim.AddProcess(NodeProcessOptions(expected));
  KV_ASSERT(id == expected);
  ++node_count;
  node_ids.push_back(id);
  sim.Start(id);
  return id;
}

NodeId SimCluster::AddClient(std::function<void(Runtime&, node::KvClient&)> body) {
  sim::ProcessOptions p;
  p.name = absl::StrCat("client", sim.process_ids().size() + 1 - node_ids.size());
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

NodeApp& SimCluster::app(NodeId id) { return *static_cast<NodeApp*>(sim.process(id).app()); }

bool SimCluster::serving(NodeId id) {
  if (!sim.process(id).alive()) return false;
  NodeApp& a = app(id);
  return a.node != nullptr && a.node->started() && a.start_status.ok();
}

}  // namespace kv::workloads
