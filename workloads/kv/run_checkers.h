// Runs a scenario's checkers over a finished run (the simulator's and `kvsim --real`'s alike).
// Keys of cache namespaces (node/cache.h) are held to the cache contract only (CheckCacheReads):
// the other checkers see a history and final state without them. Read-your-writes is judged per
// key by its namespace's quorums. Only the checkers the scenario lists run (all if it lists
// none); those it expects to fail are marked so.
#pragma once

#include <vector>

#include "workloads/checkers/checkers.h"
#include "workloads/kv/scenario.h"

namespace kv::workloads {

// `in.history` and `in.finals` hold every key; the rest of `in` as the checkers take it.
std::vector<Verdict> RunScenarioCheckers(const Scenario& s, const CheckInput& in);

}  // namespace kv::workloads
