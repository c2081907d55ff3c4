// Shrinking a failing seed (as QuickCheck and Hypothesis shrink inputs): greedily removes
// faults and operations from the scenario while the same checker still fails on the same seed,
// and returns the smallest scenario found. Each step is one simplification (the nemesis off, one
// fault kind off, one scripted event gone, buggify off, half the clients, half the duration,
// fewer keys, a slower rate, one operation kind gone); a step is kept only if the run still
// fails the same checker. Deterministic: the same input shrinks to the same scenario.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "workloads/kv/scenario.h"

namespace kv::workloads {

struct ShrinkResult {
  Scenario scenario;       // the smallest scenario that still fails
  std::string checker;     // the checker that fails
  std::string detail;      // its verdict on the shrunk scenario
  int runs = 0;            // simulations run while shrinking
  int steps_kept = 0;
};

// The name of the first checker `scenario` fails on `seed` (ignoring expected violations), or ""
// if every checker passes.
std::string FailingChecker(const Scenario& scenario, uint64_t seed, std::string* detail = nullptr);

// REQUIRES: FailingChecker(scenario, seed) == checker, not "". `log` (optional) hears each step
// tried and whether it was kept.
ShrinkResult Shrink(const Scenario& scenario, uint64_t seed, const std::string& checker,
                    const std::function<void(const std::string& step, bool kept)>& log = nullptr);

}  // namespace kv::workloads
