// The node tests use the workloads' simulated cluster.
#pragma once

#include "workloads/kv/sim_cluster.h"

namespace kv::node::testing {
using workloads::ClientApp;
using workloads::NodeApp;
using workloads::SimCluster;
}  // namespace kv::node::testing
