// Renders a key-value world run (a simulated Dynamo cluster) for humans: operations by kind with
// their outcomes, latency percentiles in simulated time, faults, repairs, siblings, each checker's
// verdict, speed, and the fingerprint last.
#pragma once

#include <string>

#include "workloads/kv/kv_world.h"

namespace kv::tools {

std::string FormatClusterReport(const workloads::Scenario& scenario,
                                const workloads::KvWorldResult& result, double wall_seconds);

}  // namespace kv::tools
