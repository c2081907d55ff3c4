// `kvsim run SCENARIO --real`: one scenario's workload, faults and checkers against a cluster of
// real kvnode processes on loopback (local_cluster.h) instead of the simulator.
//
// What carries over from the scenario:
//  - the cluster settings kvnode has: nodes, weights, N/R/W, sloppy or strict, partitions,
//    durability, gossip / anti-entropy / handoff periods, request timeout, resolution;
//  - the whole client workload: the same client code as in simulation
//    (workloads/kv/client_workload.h), here on the real runtime, over TCP to the nodes' peer ports
//    with the node RPC protocol, so histories carry dots and contexts exactly as simulated ones;
//  - the faults real processes allow, scripted or from the random nemesis: crash (SIGKILL, then a
//    restart after `duration`), restart, pause (SIGSTOP, SIGCONT after `duration`), join (a new
//    kvnode), leave (POST /admin/leave);
//  - then every fault heals, the cluster quiesces (hints drained, transfers done, replicas agree;
//    the replicas' records are read over RPC) and the same checkers judge the history and the
//    final state.
// What does not: network partitions, clock jumps, drift and skew, disk faults and buggify points
// need the simulator. Each one the scenario asks for is listed in RealWorldResult::not_injected;
// none is dropped silently.
//
// Nothing here is deterministic: the seed picks the workload's and the nemesis's random draws, but
// real scheduling and timing decide what happens. Reproduce a failure in the simulator.
//
// Threading: runs on the calling thread (an Asio event loop with fibers); blocks until done.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "workloads/kv/kv_world.h"
#include "workloads/kv/scenario.h"

namespace kv::realcluster {

struct RealWorldOptions {
  std::string kvnode_binary;  // path of kvnode
  std::string dir;            // the cluster's data and logs (created; node i in dir/n<i>)
  // Called about once a second with the time run so far and the workload's duration.
  std::function<void(absl::Duration done, absl::Duration workload)> progress;
};

struct RealWorldResult {
  // As a simulated run's: history, finals, verdicts, counts, faults injected. The simulator-only
  // parts (network stats, sites, events, fingerprint) stay empty.
  workloads::KvWorldResult world;
  // What the scenario asks for that real processes cannot do, one line each ("partition at 5s
  // (line 12)", "clock_skew 250ms"). Empty: everything was applied.
  std::vector<std::string> not_injected;
  // Nodes that exited by themselves during the run (not killed by the fault schedule): a crash of
  // kvnode, reported with the tail of its log.
  std::vector<std::string> unexpected_exits;
};

// Runs `scenario` for `seed` against real processes. Errors: INVALID_ARGUMENT for an invalid
// scenario; UNAVAILABLE / DEADLINE_EXCEEDED when the cluster cannot start or form its ring (with
// the node's log tail). Checker failures are not errors: they are in the result's verdicts.
absl::StatusOr<RealWorldResult> RunRealWorld(uint64_t seed, const workloads::Scenario& scenario,
                                             const RealWorldOptions& options);

// The kvnode flags for a scenario's cluster settings (shared by every node; weights are per node).
std::vector<std::string> KvnodeFlags(const workloads::ClusterSpec& cluster);

}  // namespace kv::realcluster
