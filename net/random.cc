#include "net/random.h"

#include <cmath>
#include <cstring>

#include "net/assert.h"

namespace kv {

uint64_t StableHash(absl::string_view bytes, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ULL ^ Mix64(seed);
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);
    h = (h ^ (word * 0x9e3779b97f4a7c15ULL)) * 0x100000001b3ULL;
    h ^= h >> 29;
  }
  uint64_t tail = 0;
  if (i < bytes.size()) std::memcpy(&tail, bytes.data() + i, bytes.size() - i);
  h = (h ^ (tail * 0x9e3779b97f4a7c15ULL)) * 0x100000001b3ULL;
  return Mix64(h ^ bytes.size());
}

namespace {
inline uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Random::Random(uint64_t seed) : seed_(seed) {
  uint64_t x = seed;
  for (auto& s : s_) {
    x += 0x9e3779b97f4a7c15ULL;
    s = Mix64(x);
  }
}

Random Random::Fork(uint64_t tag) const { return Random(HashCombine(seed_, Mix64(tag))); }

uint64_t Random::Next64() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

uint64_t Random::Uniform(uint64_t n) {
  KV_ASSERT(n > 0);
  // Lemire's multiply-shift with rejection: unbiased.
  __uint128_t m = static_cast<__uint128_t>(Next64()) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = -n % n;
    while (low < threshold) {
      m = static_cast<__uint128_t>(Next64()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

int64_t Random::Range(int64_t lo, int64_t hi) {
  KV_ASSERT(lo <= hi);
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  if (span == UINT64_MAX) return static_cast<int64_t>(Next64());
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + Uniform(span + 1));
}

double Random::NextDouble() { return static_cast<double>(Next64() >> 11) * 0x1.0p-53; }

bool Random::Bernoulli(double p) {
  if (p <= 0) return false;
  if (p >= 1) return true;
  return NextDouble() < p;
}

Duration Random::Exponential(Duration mean) {
  const double u = NextDouble();
  return mean * -std::log1p(-u);
}

Duration Random::UniformDuration(Duration lo, Duration hi) {
  KV_ASSERT(lo <= hi);
  return absl::Nanoseconds(
      Range(absl::ToInt64Nanoseconds(lo), absl::ToInt64Nanoseconds(hi)));
}

}  // namespace kv
