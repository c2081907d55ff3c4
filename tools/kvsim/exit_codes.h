// kvsim's exit status, the same for every command.
#pragma once

namespace kv::tools {

inline constexpr int kExitCheckerFailed = 1;   // a checker failed (a reproduce line follows)
inline constexpr int kExitUsage = 2;           // bad usage, a bad scenario, or it could not run
inline constexpr int kExitNondeterminism = 3;  // two runs of one seed differed

}  // namespace kv::tools
