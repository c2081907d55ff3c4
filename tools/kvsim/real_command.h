// `kvsim run SCENARIO --real`: the scenario against real kvnode processes on loopback
// (tools/realcluster/real_world.h), reported like a simulated run. Not deterministic, and the
// report says so.
#pragma once

#include <cstdint>
#include <string>

#include "workloads/kv/scenario.h"

namespace kv::tools {

struct RealRunFlags {
  std::string kvnode;   // kvnode binary; "": next to kvsim
  std::string dir;      // data and logs; "": a new directory under $TMPDIR (removed if it passes)
  std::string history;  // --history: the client history as JSON Lines
  bool progress = true;
};

// Runs it and prints the report. Exit status as `kvsim run`: 0 passed, 1 a checker failed or a
// node exited by itself, 2 the cluster could not be run (bad scenario, no kvnode, ...).
int RunRealScenario(const workloads::Scenario& scenario, uint64_t seed, const RealRunFlags& flags,
                    const std::string& self_path, const std::string& reproduce);

}  // namespace kv::tools
