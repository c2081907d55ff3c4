// Determinism checks for a seed: the same seed must give the same fingerprint when run again in
// the same process (catches reads of real clocks, uninitialised memory, leftover global state) and
// in a separate process (also catches iteration over hashed containers, whose hash seed differs per
// process, and decisions on pointer values). On an in-process mismatch, the first diverging trace
// record is named.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "sim/trace.h"

namespace kv::tools {

struct DeterminismVerdict {
  bool deterministic = false;
  std::string message;
};

// Runs the seed once more (with an optional trace sink) and returns the fingerprint.
using SeedRun = std::function<uint64_t(sim::Trace::Sink sink)>;

// `fingerprint` is the first run's. `child_command` is a shell command that runs the same seed in
// a new process and prints only its fingerprint.
DeterminismVerdict CheckDeterminism(uint64_t seed, uint64_t fingerprint, const SeedRun& run,
                                    const std::string& child_command);

// Quotes `s` for a POSIX shell.
std::string ShellQuote(const std::string& s);

}  // namespace kv::tools
