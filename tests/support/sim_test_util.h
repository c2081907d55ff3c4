// Helpers for tests that need fibers: run a body on a fiber of a simulated process.
#pragma once

#include <functional>
#include <memory>

#include "sim/sim_process.h"
#include "sim/simulator.h"

namespace kv::testing {

// Adds a process named `name` whose boot spawns one fiber running `body(runtime, fs)`.
inline NodeId AddFiberProcess(sim::Simulator& sim, std::string name,
                              std::function<void(Runtime&, storage::FileSystem&)> body) {
  sim::ProcessOptions options;
  options.name = std::move(name);
  options.boot = [body](Runtime& rt, storage::FileSystem& fs) -> std::unique_ptr<sim::ProcessApp> {
    rt.Spawn("main", [body, &rt, &fs] { body(rt, fs); });
    return nullptr;
  };
  return sim.AddProcess(std::move(options));
}

// Runs `body` on a fiber of a fresh one-process simulation until the simulation is idle.
inline void RunOnFiber(std::function<void(Runtime&)> body, uint64_t seed = 1) {
  sim::Simulator sim(seed);
  NodeId id = AddFiberProcess(sim, "test", [body](Runtime& rt, storage::FileSystem&) { body(rt); });
  sim.Start(id);
  while (sim.Step()) {
  }
}

}  // namespace kv::testing
