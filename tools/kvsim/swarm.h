// `kvsim swarm`: runs many seeds of a scenario in parallel child processes (each `kvsim run
// SCENARIO --seed S --swarm --summary-json`), collects each child's one-line JSON summary, and
// reports failing seeds with the command that reproduces each, plus the rare paths (fault points
// and "sometimes" conditions) the sweep never reached. `shard` splits a sweep across machines:
// shard i of n takes the seeds whose offset from the first is i modulo n.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/status/statusor.h"

namespace kv::tools {

struct SwarmOptions {
  std::string self;           // this kvsim binary
  std::string scenario_path;
  uint64_t first_seed = 1, last_seed = 100;  // inclusive
  int jobs = 2;
  int shard_index = 0, shard_count = 1;
  bool randomise_knobs = true;  // false: every seed runs the scenario as written
  bool progress = true;         // a progress line on a terminal
};

// Parses "A..B" (inclusive, A <= B) into `first` and `last`.
absl::Status ParseSeedRange(const std::string& text, uint64_t* first, uint64_t* last);
// Parses "i/n" (0 <= i < n).
absl::Status ParseShard(const std::string& text, int* index, int* count);

// Runs the sweep and prints its report to `out`. Returns the exit status: 0 every seed passed,
// 1 some seed failed or crashed.
int RunSwarm(const SwarmOptions& options, FILE* out);

}  // namespace kv::tools
