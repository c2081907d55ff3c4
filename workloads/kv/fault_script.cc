#include "workloads/kv/fault_script.h"

#include "absl/strings/str_cat.h"
#include "sim/sim_network.h"
#include "sim/sim_process.h"

namespace kv::workloads {
namespace {

// Scenario files number nodes 1..n in the order they were added (joins continue the count);
// process ids differ once clients exist. kNoNode if node `k` does not exist (yet).
NodeId ProcessOf(SimCluster& c, NodeId k) {
  return k >= 1 && k <= c.node_ids.size() ? c.node_ids[k - 1] : kNoNode;
}

void Partition(SimCluster& c, const FaultEvent& e) {
  sim::SimNetwork& net = c.sim.network();
  const std::vector<NodeId>& nodes = c.node_ids;
  const size_t half = nodes.size() / 2;
  const std::vector<NodeId> first(nodes.begin(), nodes.begin() + half);
  const std::vector<NodeId> second(nodes.begin() + half, nodes.end());
  if (e.shape == "isolate") {
    net.Isolate(e.node);
  } else if (e.shape == "halves") {
    net.PartitionSymmetric(first, second);
  } else if (e.shape == "one-way") {
    net.PartitionOneWay(first, second);
  } else if (e.shape == "majority") {
    net.SplitMajorityMinority();
  } else if (e.shape == "bridge") {
    net.Bridge(e.node);
  } else if (e.shape == "groups") {
    std::vector<std::vector<NodeId>> groups;
    for (const auto& g : e.groups) {
      groups.emplace_back();
      for (NodeId k : g) {
        if (ProcessOf(c, k) != kNoNode) groups.back().push_back(ProcessOf(c, k));
      }
    }
    for (size_t i = 0; i < groups.size(); ++i) {
      for (size_t j = i + 1; j < groups.size(); ++j) net.PartitionSymmetric(groups[i], groups[j]);
    }
  }
}

void Fire(SimCluster& c, FaultEvent e) {
  using K = FaultEvent::Kind;
  sim::Simulator& sim = c.sim;
  // Events may name nodes that join later; one that does not exist (yet) is skipped.
  if (e.node != kNoNode) {
    e.node = ProcessOf(c, e.node);
    if (e.node == kNoNode) return;
  }
  switch (e.kind) {
    case K::kPartition:
      Partition(c, e);
      if (e.duration > absl::ZeroDuration()) sim.After(e.duration, [&c] { c.sim.network().Heal(); });
      break;
    case K::kHeal:
      sim.network().Heal();
      break;
    case K::kCrash:
      if (!sim.process(e.node).alive()) break;
      sim.Crash(e.node);
      if (e.duration > absl::ZeroDuration()) {
        sim.After(e.duration, [&c, id = e.node] {
          if (!c.sim.process(id).alive()) c.sim.Start(id);
        });
      }
      break;
    case K::kRestart:
      if (!sim.process(e.node).alive()) sim.Start(e.node);
      break;
    case K::kPause:
      if (sim.process(e.node).alive()) sim.Pause(e.node, e.duration);
      break;
    case K::kClockJump:
      sim.JumpWallClock(e.node, e.by);
      break;
    case K::kClockDrift:
      sim.SetWallClockDrift(e.node, e.drift_ppm);
      break;
    case K::kDiskFaults: {
      sim::DiskFaultOptions faults;
      faults.read_error_probability = e.error_probability;
      faults.write_error_probability = e.error_probability;
      faults.sync_error_probability = e.error_probability;
      faults.no_space_probability = e.no_space_probability;
      sim.process(e.node).fs().set_options(faults);
      sim.RecordFault("disk_fault_window", e.node, 0);
      sim.After(e.duration, [&c, id = e.node] { c.sim.process(id).fs().set_options({}); });
      break;
    }
    case K::kJoin:
      sim.RecordFault("join", c.AddNode(), 0);
      break;
    case K::kLeave:
      if (c.serving(e.node)) {
        sim.RecordFault("leave", e.node, 0);
        c.node(e.node).membership().Leave();
      }
      break;
    case K::kBackup:
      c.Backup(e.node);
      break;
    case K::kRestore:
      c.Restore(e.node, e.duration);
      break;
  }
}

}  // namespace

void ScheduleFaultScript(SimCluster& cluster, const std::vector<FaultEvent>& script, MonoTime start) {
  for (const FaultEvent& e : script) {
    cluster.sim.At(start + e.at, [&cluster, e] { Fire(cluster, e); });
  }
}

}  // namespace kv::workloads
