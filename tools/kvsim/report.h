// Renders a demo run's report for humans: operations, latencies (simulated time), faults, checker
// verdicts, speed, and the fingerprint last.
#pragma once

#include <string>

#include "workloads/demo/demo_world.h"

namespace kv::tools {

std::string FormatDemoReport(const demo::DemoOptions& options, const demo::DemoResult& result,
                             double wall_seconds);

}  // namespace kv::tools
