// Where a key's replicas go: the preference list, and under a sloppy quorum the stand-ins for
// primaries that are down (Dynamo section 4.6).
#pragma once

#include <functional>
#include <vector>

#include "net/transport.h"
#include "node/ring.h"

namespace kv::node {

struct ReplicaTarget {
  NodeId node = kNoNode;
  // Nonzero for a stand-in: the primary whose copy it keeps, as a hint, until it is back.
  NodeId hint_for = kNoNode;

  friend bool operator==(const ReplicaTarget&, const ReplicaTarget&) = default;
};

// The nodes a write or read of partition `p` goes to.
//  - strict: the first n distinct owners clockwise (the preference list), up or not;
//  - sloppy: the first n nodes of the extended preference list that `alive` says are up; each
//    one beyond the primaries stands in for the first primary that is down and not yet covered.
// Fewer than n targets if fewer nodes exist (or are up, when sloppy).
std::vector<ReplicaTarget> ReplicaTargets(const Ring& ring, PartitionId p, uint32_t n, bool sloppy,
                                          const std::function<bool(NodeId)>& alive);

}  // namespace kv::node
