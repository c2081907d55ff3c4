#include "node/ring.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "net/random.h"

namespace kv::node {
namespace {

absl::Status ValidateMembers(uint32_t partitions, const absl::btree_map<NodeId, uint32_t>& weights,
                             uint32_t n_val) {
  if (partitions == 0 || partitions > Ring::kPartitionsMax || (partitions & (partitions - 1))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the partition count must be a power of two from 1 to ", Ring::kPartitionsMax, ", got ",
        partitions));
  }
  if (weights.empty()) return absl::InvalidArgumentError("a ring needs at least one node");
  if (n_val == 0) return absl::InvalidArgumentError("n_val must be at least 1");
  for (const auto& [node, weight] : weights) {
    if (node == kNoNode) return absl::InvalidArgumentError("node id 0 is reserved");
    if (weight == 0) {
      return absl::InvalidArgumentError(absl::StrCat("node ", node, " has weight 0"));
    }
  }
  return absl::OkStatus();
}

// True if `node` owns a partition within `reach` steps of `p` on either side (p itself excluded).
bool OwnsNeighbour(const std::vector<NodeId>& owners, PartitionId p, NodeId node, uint32_t reach) {
  const uint32_t q = static_cast<uint32_t>(owners.size());
  for (uint32_t d = 1; d <= reach && d < q; ++d) {
    if (owners[(p + d) % q] == node || owners[(p + q - d) % q] == node) return true;
  }
  return false;
}

// Gives every partition in `free` (ascending) to a node below its target, preferring one that owns
// no neighbour within n_val - 1, then the node furthest below its target, then the lowest id.
void Assign(std::vector<NodeId>* owners, std::vector<PartitionId> free,
            absl::btree_map<NodeId, uint32_t> deficit, uint32_t n_val) {
  for (PartitionId p : free) {
    NodeId best = kNoNode;
    bool best_spread = false;
    uint32_t best_deficit = 0;
    for (const auto& [node, need] : deficit) {
      if (need == 0) continue;
      const bool spread = !OwnsNeighbour(*owners, p, node, n_val - 1);
      if (best == kNoNode || (spread && !best_spread) ||
          (spread == best_spread && need > best_deficit)) {
        best = node;
        best_spread = spread;
        best_deficit = need;
      }
    }
    KV_ASSERT_MSG(best != kNoNode, "more free partitions than the targets leave room for");
    (*owners)[p] = best;
    --deficit[best];
  }
}

}  // namespace

absl::btree_map<NodeId, uint32_t> ClaimTargets(uint32_t partitions,
                                               const absl::btree_map<NodeId, uint32_t>& weights) {
  uint64_t total = 0;
  for (const auto& [node, w] : weights) total += w;
  absl::btree_map<NodeId, uint32_t> targets;
  std::vector<std::pair<uint64_t, NodeId>> remainders;  // (remainder, node)
  uint32_t assigned = 0;
  for (const auto& [node, w] : weights) {
    const uint64_t share = static_cast<uint64_t>(partitions) * w;
    targets[node] = static_cast<uint32_t>(share / total);
    assigned += targets[node];
    remainders.emplace_back(share % total, node);
  }
  // Largest remainders first; ties to the lower node id.
  std::sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  for (size_t i = 0; assigned < partitions; ++i, ++assigned) ++targets[remainders[i].second];
  return targets;
}

absl::StatusOr<Ring> Ring::Create(uint32_t partitions,
                                  const absl::btree_map<NodeId, uint32_t>& weights,
                                  uint32_t n_val) {
  if (absl::Status s = ValidateMembers(partitions, weights, n_val); !s.ok()) return s;
  std::vector<NodeId> owners(partitions, kNoNode);
  std::vector<PartitionId> free(partitions);
  for (PartitionId p = 0; p < partitions; ++p) free[p] = p;
  Assign(&owners, std::move(free), ClaimTargets(partitions, weights), n_val);
  return Ring(std::move(owners), weights, n_val);
}

absl::StatusOr<Ring> Ring::Rebalance(const absl::btree_map<NodeId, uint32_t>& weights) const {
  if (absl::Status s = ValidateMembers(partition_count(), weights, n_val_); !s.ok()) return s;
  const absl::btree_map<NodeId, uint32_t> targets = ClaimTargets(partition_count(), weights);
  std::vector<NodeId> owners = owners_;
  absl::btree_map<NodeId, uint32_t> owned;
  for (NodeId o : owners) ++owned[o];
  // Departed nodes give up everything; nodes above target give up their excess, choosing first
  // the partitions where they crowd their neighbours, then the highest-numbered.
  std::vector<PartitionId> free;
  for (PartitionId p = 0; p < partition_count(); ++p) {
    if (!targets.contains(owners[p])) {
      free.push_back(p);
      owners[p] = kNoNode;
    }
  }
  for (const auto& [node, target] : targets) {
    uint32_t excess = owned[node] > target ? owned[node] - target : 0;
    for (int pass = 0; pass < 2 && excess > 0; ++pass) {
      for (PartitionId p = partition_count(); p-- > 0 && excess > 0;) {
        if (owners[p] != node) continue;
        if (pass == 0 && !OwnsNeighbour(owners, p, node, n_val_ - 1)) continue;
        owners[p] = kNoNode;
        free.push_back(p);
        --excess;
      }
    }
  }
  std::sort(free.begin(), free.end());
  absl::btree_map<NodeId, uint32_t> deficit;
  for (const auto& [node, target] : targets) {
    const uint32_t have = owned.contains(node) ? owned[node] : 0;
    deficit[node] = target > have ? target - have : 0;
  }
  Assign(&owners, std::move(free), std::move(deficit), n_val_);
  return Ring(std::move(owners), weights, n_val_);
}

absl::StatusOr<Ring> Ring::FromParts(std::vector<NodeId> owners,
                                     absl::btree_map<NodeId, uint32_t> weights, uint32_t n_val) {
  const uint32_t q = static_cast<uint32_t>(owners.size());
  if (absl::Status s = ValidateMembers(q, weights, n_val); !s.ok()) return s;
  for (NodeId o : owners) {
    if (!weights.contains(o)) {
      return absl::InvalidArgumentError(absl::StrCat("partition owner ", o, " is not a member"));
    }
  }
  return Ring(std::move(owners), std::move(weights), n_val);
}

PartitionId Ring::PartitionOfHash(uint64_t h) const {
  const int bits = __builtin_ctz(partition_count());
  return bits == 0 ? 0 : static_cast<PartitionId>(h >> (64 - bits));
}

PartitionId Ring::PartitionOf(absl::string_view key) const {
  return PartitionOfHash(StableHash(key));
}

std::vector<NodeId> Ring::PreferenceList(PartitionId p, uint32_t n) const {
  KV_ASSERT(p < partition_count());
  std::vector<NodeId> out;
  out.reserve(std::min<size_t>(n, weights_.size()));  // one allocation (a hot path: every request)
  const uint32_t q = partition_count();
  for (uint32_t d = 0; d < q && out.size() < n; ++d) {
    const NodeId o = owners_[(p + d) % q];
    if (std::find(out.begin(), out.end(), o) == out.end()) out.push_back(o);
  }
  return out;
}

std::vector<NodeId> Ring::ExtendedPreferenceList(PartitionId p) const {
  return PreferenceList(p, static_cast<uint32_t>(weights_.size()));
}

absl::btree_map<NodeId, uint32_t> Ring::OwnedCounts() const {
  absl::btree_map<NodeId, uint32_t> counts;
  for (NodeId o : owners_) ++counts[o];
  return counts;
}

uint32_t Ring::MovedPartitions(const Ring& other) const {
  KV_ASSERT(other.partition_count() == partition_count());
  uint32_t moved = 0;
  for (PartitionId p = 0; p < partition_count(); ++p) moved += owners_[p] != other.owners_[p];
  return moved;
}

}  // namespace kv::node
