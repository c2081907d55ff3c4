// Time units for tests that write simulated times as integer nanoseconds.
#pragma once

#include <cstdint>

namespace kv::testing {

// Nanoseconds per millisecond: tests write MonoTime::FromNanos and trace timestamps as `n * kMs`.
inline constexpr int64_t kMs = 1'000'000;

}  // namespace kv::testing
