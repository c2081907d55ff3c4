// The phi accrual failure detector (Hayashibara et al., as Cassandra uses it): instead of a yes/no
// timeout, a suspicion level phi that grows with the time since a peer was last heard from,
// scaled by how regularly it is usually heard from. A peer is considered down while
// phi > threshold. With inter-arrival times modelled as exponential (Cassandra's choice, robust to
// bursty gossip), phi(t) = t / mean_interval * log10(e): a threshold of 8 means "down after about
// 18 mean intervals of silence".
//
// Memory is bounded: the last `window` inter-arrival times per peer. Peers never heard from are
// unknown (Phi returns +infinity, Alive returns false). Times are the node's monotonic clock.
#pragma once

#include <cstddef>
#include <deque>
#include <vector>

#include "absl/container/btree_map.h"
#include "net/time.h"
#include "net/transport.h"

namespace kv::node {

struct FailureDetectorOptions {
  double phi_threshold = 8.0;
  size_t window = 1000;
  // Floor on the mean interval, so a burst of arrivals does not make a short pause look fatal.
  Duration min_mean_interval = absl::Milliseconds(100);
  // Assumed interval before a peer has two arrivals.
  Duration first_interval = absl::Seconds(1);
};

class FailureDetector {
 public:
  explicit FailureDetector(FailureDetectorOptions options = {});

  // Records that `peer` was heard from at `now`.
  void Heartbeat(NodeId peer, MonoTime now);
  // Forgets a peer (it left the cluster).
  void Remove(NodeId peer);

  double Phi(NodeId peer, MonoTime now) const;
  bool Alive(NodeId peer, MonoTime now) const { return Phi(peer, now) <= options_.phi_threshold; }
  // Known peers, ascending.
  std::vector<NodeId> peers() const;
  const FailureDetectorOptions& options() const { return options_; }

 private:
  struct History {
    MonoTime last;
    std::deque<int64_t> intervals_ns;
    int64_t sum_ns = 0;
  };
  FailureDetectorOptions options_;
  absl::btree_map<NodeId, History> peers_;
};

}  // namespace kv::node
