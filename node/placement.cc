#include "node/placement.h"

#include <algorithm>

namespace kv::node {

std::vector<ReplicaTarget> ReplicaTargets(const Ring& ring, PartitionId p, uint32_t n, bool sloppy,
                                          const std::function<bool(NodeId)>& alive) {
  const std::vector<NodeId> primaries = ring.PreferenceList(p, n);
  std::vector<ReplicaTarget> out;
  out.reserve(n);  // one allocation (every request places its key)
  if (!sloppy) {
    for (NodeId node : primaries) out.push_back({node, kNoNode});
    return out;
  }
  std::vector<NodeId> down;  // primaries that are down, in preference order
  for (NodeId node : primaries) {
    if (alive(node)) {
      out.push_back({node, kNoNode});
    } else {
      down.push_back(node);
    }
  }
  size_t next_down = 0;
  for (NodeId node : ring.ExtendedPreferenceList(p)) {
    if (out.size() >= n || next_down >= down.size()) break;
    if (std::find(primaries.begin(), primaries.end(), node) != primaries.end()) continue;
    if (!alive(node)) continue;
    out.push_back({node, down[next_down++]});
  }
  return out;
}

}  // namespace kv::node
