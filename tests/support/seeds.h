// How many seeds a property test runs. The release build sweeps the normal count; the sanitizer
// build (about 10x slower) checks memory safety on a small slice so the whole suite stays inside
// CI's budget; KV_SEEDS=<n> overrides both (long mode: thousands).
#pragma once

#include <cstdlib>

namespace kv::testing {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitizerBuild = true;
#else
inline constexpr bool kSanitizerBuild = false;
#endif

// `normal` in release, `sanitizer` under ASan, unless KV_SEEDS says otherwise.
inline int PropertySeeds(int normal, int sanitizer) {
  if (const char* env = std::getenv("KV_SEEDS")) return std::atoi(env);
  return kSanitizerBuild ? sanitizer : normal;
}

}  // namespace kv::testing
