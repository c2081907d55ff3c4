// Runs a scenario's timed fault script against a simulated cluster: each event fires at
// `start + event.at` on the simulator's clock (crash, restart, pause, partition shapes, heal,
// clock jumps and drift, disk-fault windows, joins and leaves). Every event is recorded as a
// fault in the simulator's trace, so reports and timelines show it.
#pragma once

#include <vector>

#include "workloads/kv/scenario.h"
#include "workloads/kv/sim_cluster.h"

namespace kv::workloads {

// Schedules every event. `cluster` must outlive the run.
void ScheduleFaultScript(SimCluster& cluster, const std::vector<FaultEvent>& script, MonoTime start);

}  // namespace kv::workloads
