#include "workloads/histogram.h"

#include <algorithm>
#include <bit>

#include "absl/strings/str_format.h"

namespace kv {

int LatencyHistogram::BucketOf(uint64_t ns) {
  if (ns < (uint64_t{1} << kSubBits)) return static_cast<int>(ns);
  const int msb = 63 - std::countl_zero(ns);
  const int shift = msb - kSubBits;
  const uint64_t sub = (ns >> shift) & ((uint64_t{1} << kSubBits) - 1);
  return ((shift + 1) << kSubBits) + static_cast<int>(sub);
}

uint64_t LatencyHistogram::BucketUpperBound(int bucket) {
  if (bucket < (1 << kSubBits)) return static_cast<uint64_t>(bucket);
  const int shift = (bucket >> kSubBits) - 1;
  const uint64_t sub = static_cast<uint64_t>(bucket & ((1 << kSubBits) - 1));
  return (((uint64_t{1} << kSubBits) | sub) << shift) + ((uint64_t{1} << shift) - 1);
}

void LatencyHistogram::Add(Duration d) {
  const int64_t signed_ns = absl::ToInt64Nanoseconds(d);
  const uint64_t ns = signed_ns < 0 ? 0 : static_cast<uint64_t>(signed_ns);
  ++buckets_[BucketOf(ns)];
  ++count_;
  min_ns_ = std::min(min_ns_, ns);
  max_ns_ = std::max(max_ns_, ns);
  sum_ns_ += ns;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  min_ns_ = std::min(min_ns_, other.min_ns_);
  max_ns_ = std::max(max_ns_, other.max_ns_);
  sum_ns_ += other.sum_ns_;
}

Duration LatencyHistogram::mean() const {
  if (count_ == 0) return absl::ZeroDuration();
  return absl::Nanoseconds(static_cast<int64_t>(sum_ns_ / count_));
}

Duration LatencyHistogram::Percentile(double q) const {
  if (count_ == 0) return absl::ZeroDuration();
  const auto rank = static_cast<uint64_t>(std::max(1.0, q * static_cast<double>(count_) + 0.5));
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      return absl::Nanoseconds(static_cast<int64_t>(std::min(BucketUpperBound(i), max_ns_)));
    }
  }
  return max();
}

std::string LatencyHistogram::Summary() const {
  if (count_ == 0) return "(no samples)";
  return absl::StrFormat("p50=%s p90=%s p99=%s p99.9=%s max=%s (n=%d)",
                         FormatLatency(Percentile(0.5)), FormatLatency(Percentile(0.9)),
                         FormatLatency(Percentile(0.99)), FormatLatency(Percentile(0.999)),
                         FormatLatency(max()), count_);
}

std::string FormatLatency(Duration d) {
  const double us = absl::ToDoubleMicroseconds(d);
  if (us < 1000) return absl::StrFormat("%.0fus", us);
  if (us < 1000000) return absl::StrFormat("%.3gms", us / 1000);
  return absl::StrFormat("%.3gs", us / 1000000);
}

}  // namespace kv
