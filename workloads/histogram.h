// A latency histogram with bounded memory: log-linear buckets (64 sub-buckets per power of two,
// so a reported percentile is within about 1.6 % of the true value), any number of samples.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "net/time.h"

namespace kv {

class LatencyHistogram {
 public:
  void Add(Duration d);
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  Duration max() const { return absl::Nanoseconds(max_ns_); }
  Duration min() const { return count_ == 0 ? absl::ZeroDuration() : absl::Nanoseconds(min_ns_); }
  Duration mean() const;
  // The smallest bucket bound at or below which a fraction `q` (0..1) of samples lie.
  Duration Percentile(double q) const;

  // "p50=1.2ms p90=3.4ms p99=8ms p99.9=12ms max=20ms (n=1234)".
  std::string Summary() const;

 private:
  static constexpr int kSubBits = 6;
  static constexpr int kBuckets = 64 << kSubBits;
  static int BucketOf(uint64_t ns);
  static uint64_t BucketUpperBound(int bucket);

  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  uint64_t min_ns_ = UINT64_MAX;
  uint64_t max_ns_ = 0;
  long double sum_ns_ = 0;
};

// Formats a duration compactly for reports: "850us", "12.3ms", "4.5s".
std::string FormatLatency(Duration d);

}  // namespace kv
