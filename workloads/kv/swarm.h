// Swarm testing (Groce et al., "Swarm Testing", ISSTA 2012): each seed of a sweep runs a variant
// of the scenario whose fault knobs are drawn from the seed, switching whole fault kinds off and
// scaling rates and durations, so that some seeds get (say) only partitions and pauses at a high
// rate while others get crashes alone. Faults that mask one another then stop hiding bugs.
// Deterministic: the same scenario and seed always give the same variant.
#pragma once

#include <cstdint>
#include <string>

#include "workloads/kv/scenario.h"

namespace kv::workloads {

// The variant of `scenario` for `seed`. The cluster and the workload stay as written; the
// nemesis is enabled with a random non-empty subset of fault kinds, a mean interval scaled by
// 0.25..2x, random fault durations and max_down, and buggify on or off.
Scenario SwarmVariant(const Scenario& scenario, uint64_t seed);

// One line naming what the variant chose ("partition crash; every 0.8s; max_down 2; buggify").
std::string DescribeSwarmKnobs(const Scenario& variant);

}  // namespace kv::workloads
