// Renders a key-value world run (a simulated Dynamo cluster) for humans: operations by kind with
// their outcomes, latency percentiles in simulated time, faults, repairs, siblings, each checker's
// verdict, speed, and the fingerprint last.
#pragma once

#include <string>
#include <vector>

#include "workloads/kv/kv_world.h"

namespace kv::tools {

// A run against real kvnode processes (`kvsim run --real`): latencies are in real time, there is
// no fingerprint, and the report lists what the simulator would have injected but real processes
// cannot, and any node that exited by itself.
struct RealRunNotes {
  std::vector<std::string> not_injected;
  std::vector<std::string> unexpected_exits;
  std::string dir;  // the cluster's data and logs
};

// `real`: null for a simulated run.
std::string FormatClusterReport(const workloads::Scenario& scenario,
                                const workloads::KvWorldResult& result, double wall_seconds,
                                const RealRunNotes* real = nullptr);

}  // namespace kv::tools
