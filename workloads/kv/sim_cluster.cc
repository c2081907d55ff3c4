#include "workloads/kv/sim_cluster.h"

#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "net/status_macros.h"
#include "sim/sim_process.h"
#include "storage/rocksdb_env/deterministic_options.h"

namespace kv::workloads {
namespace {
// Left by a restore, removed by the first start that took a new range of generations.
constexpr const char* kRestoredMarker = "/RESTORED";
}  // namespace

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
    // As kvnode: the marker a restore leaves makes the start take a new range of generations.
    const bool restored = fs.Exists(kRestoredMarker);
    options.restored = restored;
    app->node = std::make_unique<node::Node>(rt, options);
    NodeApp* raw = app.get();
    // A node whose start fails (its storage refuses to open, say) serves nothing.
    rt.Spawn("start", [raw, restored, &fs] {
      raw->start_status = raw->node->Start();
      if (restored && raw->start_status.ok() && fs.Delete(kRestoredMarker).ok()) {
        (void)fs.SyncDir("/");
      }
    });
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

bool SimCluster::Backup(NodeId id) {
  if (!serving(id)) return false;
  storage::FileSystem& fs = sim.process(id).fs();
  const std::string dir = absl::StrCat("/backups/", ++backups_taken_);
  // Durable directories, as kvnode's snapshot writer leaves them: a later crash keeps them.
  absl::Status made = absl::OkStatus();
  if (!fs.Exists("/backups")) {
    made = fs.CreateDir("/backups");
    if (made.ok()) made = fs.SyncDir("/");
  }
  if (made.ok()) made = fs.CreateDir(dir);
  if (made.ok()) made = fs.SyncDir("/backups");
  if (made.ok()) made = node(id).engine().Checkpoint(dir + "/db");
  sim.RecordFault(made.ok() ? "backup" : "backup_failed", id, 0);
  if (!made.ok()) {
    sim.process(id).Log(LogLevel::kWarn, absl::StrCat("backup failed: ", made.ToString()));
    return false;
  }
  latest_backup_[id] = dir;
  return true;
}

absl::Status SimCluster::RestoreFiles(NodeId id, const std::string& backup) {
  storage::FileSystem& disk = sim.process(id).disk();
  // The marker first (durable), then the files: a crash in between still jumps the generation.
  {
    ASSIGN_OR_RETURN(std::unique_ptr<storage::File> marker,
                     disk.Open(kRestoredMarker, {.create = true, .truncate = true}));
    RETURN_IF_ERROR(marker->Append(absl::StrCat("restored from ", backup, "\n")));
    RETURN_IF_ERROR(marker->Sync());
    RETURN_IF_ERROR(disk.SyncDir("/"));
  }
  const std::string db = "/db";
  if (disk.Exists(db)) {
    ASSIGN_OR_RETURN(std::vector<std::string> old, disk.List(db));
    for (const std::string& name : old) RETURN_IF_ERROR(disk.Delete(absl::StrCat(db, "/", name)));
  } else {
    RETURN_IF_ERROR(disk.CreateDir(db));
  }
  const std::string from = backup + "/db";
  ASSIGN_OR_RETURN(std::vector<std::string> names, disk.List(from));
  for (const std::string& name : names) {
    ASSIGN_OR_RETURN(std::unique_ptr<storage::File> in,
                     disk.Open(absl::StrCat(from, "/", name), {.create = false}));
    ASSIGN_OR_RETURN(const uint64_t size, in->Size());
    ASSIGN_OR_RETURN(std::string bytes, in->ReadAt(0, size));
    ASSIGN_OR_RETURN(std::unique_ptr<storage::File> out,
                     disk.Open(absl::StrCat(db, "/", name), {.create = true, .truncate = true}));
    RETURN_IF_ERROR(out->Append(bytes));
    RETURN_IF_ERROR(out->Sync());
  }
  return disk.SyncDir(db);
}

bool SimCluster::Restore(NodeId id, Duration down) {
  auto backup = latest_backup_.find(id);
  if (backup == latest_backup_.end()) return false;
  if (sim.process(id).alive()) sim.Crash(id);
  const absl::Status restored = RestoreFiles(id, backup->second);
  KV_ASSERT_MSG(restored.ok(), restored.ToString());  // the harness's own copy on a healthy disk
  sim.RecordFault("restore", id, 0);
  auto start = [this, id] {
    if (!sim.process(id).alive()) sim.Start(id);
  };
  if (down > absl::ZeroDuration()) {
    sim.After(down, start);
  } else {
    start();
  }
  return true;
}

NodeApp& SimCluster::app(NodeId id) { return *static_cast<NodeApp*>(sim.process(id).app()); }

bool SimCluster::serving(NodeId id) {
  if (!sim.process(id).alive()) return false;
  NodeApp& a = app(id);
  return a.node != nullptr && a.node->started() && a.start_status.ok();
}

}  // namespace kv::workloads
