#include "node/failure_detector.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "net/assert.h"

namespace kv::node {

FailureDetector::FailureDetector(FailureDetectorOptions options) : options_(options) {
  KV_ASSERT(options_.window > 0);
  KV_ASSERT(options_.phi_threshold > 0);
}

void FailureDetector::Heartbeat(NodeId peer, MonoTime now) {
  auto [it, inserted] = peers_.try_emplace(peer);
  History& h = it->second;
  if (!inserted) {
    const int64_t interval = std::max<int64_t>(0, (now - h.last) / absl::Nanoseconds(1));
    h.intervals_ns.push_back(interval);
    h.sum_ns += interval;
    if (h.intervals_ns.size() > options_.window) {
      h.sum_ns -= h.intervals_ns.front();
      h.intervals_ns.pop_front();
    }
  }
  h.last = std::max(h.last, now);
}

void FailureDetector::Remove(NodeId peer) { peers_.erase(peer); }

double FailureDetector::Phi(NodeId peer, MonoTime now) const {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return std::numeric_limits<double>::infinity();
  const History& h = it->second;
  const double mean_ns =
      h.intervals_ns.empty()
          ? absl::ToDoubleNanoseconds(options_.first_interval)
          : std::max(static_cast<double>(h.sum_ns) / static_cast<double>(h.intervals_ns.size()),
                     absl::ToDoubleNanoseconds(options_.min_mean_interval));
  const double since_ns = std::max(0.0, absl::ToDoubleNanoseconds(now - h.last));
  return since_ns / mean_ns * std::log10(std::exp(1.0));
}

std::vector<NodeId> FailureDetector::peers() const {
  std::vector<NodeId> out;
  for (const auto& [peer, h] : peers_) out.push_back(peer);
  return out;
}

}  // namespace kv::node
