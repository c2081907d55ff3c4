// How many seeds a property test runs. The release build sweeps the normal count; the sanitizer
// build (about 10x slower) checks memory safety on a small slice so the whole suite stays inside
// CI's budget; KV_SEEDS=<n> overrides both (long mode: thousands).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <vector>

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

// The seeds a property test runs: KV_SEED=<s> alone (to reproduce a failure), else
// PropertySeeds(normal, sanitizer) of them counting up from `first`.
inline std::vector<uint64_t> PropertySeedList(uint64_t first, int normal, int sanitizer) {
  if (const char* only = std::getenv("KV_SEED")) return {std::strtoull(only, nullptr, 0)};
  std::vector<uint64_t> seeds;
  const int count = PropertySeeds(normal, sanitizer);
  for (int i = 0; i < count; ++i) seeds.push_back(first + static_cast<uint64_t>(i));
  return seeds;
}

}  // namespace kv::testing
