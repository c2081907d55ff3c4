// Determinism checks for a seed: the same seed must give the same fingerprint when run again in
// the same process (catches reads of real clocks, uninitialised memory, leftover global state) and
// in a separate process (also catches iteration over hashed containers, whose hash seed differs per
// process, and decisions on pointer values). On an in-process mismatch, the first diverging trace
// record is named.
#pragma once

#include <cstdint>
#include <string>

#include "workloads/demo/demo_world.h"

namespace kv::tools {

struct DeterminismVerdict {
  bool deterministic = false;
  std::string message;
};

// The command line that reproduces a demo run.
std::string DemoReproduceCommand(uint64_t seed, int nodes, const std::string& duration,
                                 bool no_faults, const std::string& inject);

// `fingerprint` is the first run's. `self_path` is the kvsim binary to run as the child.
DeterminismVerdict CheckDemoDeterminism(uint64_t seed, const demo::DemoOptions& options,
                                        uint64_t fingerprint, const std::string& self_path,
                                        int nodes, const std::string& duration, bool no_faults,
                                        const std::string& inject);

}  // namespace kv::tools
