// A seeded, deterministic random stream (xoshiro256**, seeded through SplitMix64). Its output for a
// seed is fixed by this file, unlike absl's or the standard library's distributions, whose results
// may change between library versions; a seed must reproduce a run on every build.
//
// Streams are cheap. Give each consumer (network, disk, nemesis, each process) its own stream made
// with Fork(tag), so that adding random draws in one place does not shift the draws of another.
#pragma once

#include <cstdint>
#include "absl/strings/string_view.h"

#include "net/time.h"

namespace kv {

// Mixes a 64-bit value into a well-distributed 64-bit value (SplitMix64's finaliser).
inline uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Deterministic 64-bit hash of bytes (FNV-1a followed by Mix64). Stable across processes and
// builds, unlike absl::Hash, which is seeded per process.
uint64_t StableHash(absl::string_view bytes, uint64_t seed = 0);

// Combines two hashes; order matters.
inline uint64_t HashCombine(uint64_t h, uint64_t v) {
  return Mix64(h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)));
}

class Random {
 public:
  explicit Random(uint64_t seed);

  // A new independent stream derived from this stream's seed and `tag`; does not advance this one.
  Random Fork(uint64_t tag) const;
  Random Fork(absl::string_view tag) const { return Fork(StableHash(tag)); }

  uint64_t seed() const { return seed_; }

  uint64_t Next64();
  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t Uniform(uint64_t n);
  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  int64_t Range(int64_t lo, int64_t hi);
  // Uniform in [0, 1).
  double NextDouble();
  // True with probability p (p <= 0 never, p >= 1 always; no draw is consumed in those cases).
  bool Bernoulli(double p);
  // Exponentially distributed with the given mean.
  Duration Exponential(Duration mean);
  // Uniform in [lo, hi].
  Duration UniformDuration(Duration lo, Duration hi);

 private:
  uint64_t seed_;
  uint64_t s_[4];
};

}  // namespace kv
