// A simulated cluster of full nodes (RocksDB on each process's simulated disk) and client
// processes: what the key-value world, the node tests and kvsim scenarios build on.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "node/client.h"
#include "node/node.h"
#include "sim/sim_process.h"
#include "sim/simulator.h"
#include "storage/rocksdb_env/seam_env.h"

namespace kv::workloads {

struct NodeApp final : sim::ProcessApp {
  std::unique_ptr<storage::rocksdb_env::SeamEnv> env;
  std::unique_ptr<node::Node> node;
  absl::Status start_status = absl::UnknownError("not started");
  ~NodeApp() override;
};

struct ClientApp final : sim::ProcessApp {
  // Clients retry transient failures (3 tries), as real clients do.
  explicit ClientApp(Runtime& rt) : rpc(rt), client(rt, rpc, absl::Seconds(2), 3) { rpc.Start(); }
  node::RpcEndpoint rpc;
  node::KvClient client;
};

class SimCluster {
 public:
  // Nodes 1..nodes, all seeded with node 1 (64 partitions); `tweak` adjusts each node's options
  // and `process` each process's (disk, clock). To tune nodes one by one, construct with 0 nodes,
  // set `per_node`, then AddNode().
  SimCluster(uint64_t seed, int nodes, std::function<void(node::NodeOptions&)> tweak = nullptr,
             std::function<void(sim::ProcessOptions&)> process = nullptr,
             sim::SimulatorOptions sim_options = {});

  // Adds and starts one more node (it joins through the seeds). Returns its id.
  NodeId AddNode();

  // Adds a client process running `body` on a fiber.
  NodeId AddClient(std::function<void(Runtime&, node::KvClient&)> body);

  // The node of process `id`. REQUIRES: the process runs and its node object exists.
  NodeApp& app(NodeId id);
  node::Node& node(NodeId id) { return *app(id).node; }
  // True if the process runs and its node started.
  bool serving(NodeId id);

  // An online snapshot of node `id`'s storage (Engine::Checkpoint, as kvctl backup does) into
  // /backups/<k> on its own disk, remembered as its latest. False if the node is not serving or
  // the checkpoint failed (a disk fault, say).
  bool Backup(NodeId id);
  // As an operator restoring a node that lost its disk (kvnode --restore): crashes node `id`,
  // leaves the RESTORED marker, replaces its database with its latest backup's files, and starts
  // it again after `down` (0: at once); that start takes a new range of generations
  // (NodeOptions::restored) and clears the marker once the node serves. False (nothing done) if
  // the node has no backup.
  bool Restore(NodeId id, Duration down);

  sim::Simulator sim;
  // Per-node tuning, with the node's process id: `per_node` after `tweak` at each boot,
  // `per_node_process` after `process` when the node is added.
  std::function<void(NodeId, node::NodeOptions&)> per_node;
  std::function<void(NodeId, sim::ProcessOptions&)> per_node_process;
  int node_count = 0;
  std::vector<NodeId> node_ids;  // in order of addition (1..n for the initial nodes)

 private:
  sim::ProcessOptions NodeProcessOptions(NodeId id);
  absl::Status RestoreFiles(NodeId id, const std::string& backup);
  absl::btree_map<NodeId, std::string> latest_backup_;
  int backups_taken_ = 0;
  std::function<void(node::NodeOptions&)> tweak_;
  std::function<void(sim::ProcessOptions&)> process_;
};

}  // namespace kv::workloads
