#include "storage/merkle/merkle_exchange.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"
#include "net/assert.h"

namespace kv {

std::vector<uint32_t> DifferingLeaves(const MerkleTree& a, const MerkleTree& b) {
  KV_ASSERT(a.shape() == b.shape());
  const MerkleShape& shape = a.shape();
  std::vector<uint32_t> differing;
  if (a.Root() != b.Root()) differing.push_back(0);
  for (uint32_t level = 0; level < a.depth() && !differing.empty(); ++level) {
    const uint32_t children = shape.ChildCount(level);
    std::vector<uint32_t> next;
    for (const uint32_t node : differing) {
      for (uint32_t child = node * children; child < (node + 1) * children; ++child) {
        if (a.NodeHash(level + 1, child) != b.NodeHash(level + 1, child)) next.push_back(child);
      }
    }
    differing = std::move(next);
  }
  KV_ASSERT(std::is_sorted(differing.begin(), differing.end()));
  return differing;
}

namespace {

// Checks the parts of a request that do not depend on the tree's hashes.
absl::Status ValidateRequest(const MerkleShape& shape, const MerkleLevelRequest& request) {
  if (!request.shape.valid() || !(request.shape == shape)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "Merkle shape mismatch: request has %d leaves/%d branching (log2), tree has %d/%d",
        request.shape.leaf_count_log2, request.shape.branching_log2, shape.leaf_count_log2,
        shape.branching_log2));
  }
  if (request.level >= shape.depth()) {
    return absl::InvalidArgumentError(absl::StrFormat("Merkle request level %d out of range",
                                                      request.level));
  }
  if (request.hashes.size() != request.nodes.size()) {
    return absl::InvalidArgumentError("Merkle request hashes are not parallel to its nodes");
  }
  if (request.nodes.size() > kMerkleReplyHashesMax / shape.ChildCount(request.level)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("Merkle request names %d nodes: the reply would be too large",
                        request.nodes.size()));
  }
  const uint32_t node_count = shape.NodeCount(request.level);
  for (size_t i = 0; i < request.nodes.size(); ++i) {
    if (request.nodes[i] >= node_count || (i > 0 && request.nodes[i] <= request.nodes[i - 1])) {
      return absl::InvalidArgumentError(
          "Merkle request nodes are out of range or not strictly ascending");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<MerkleLevelReply> AnswerLevelRequest(const MerkleTree& tree,
                                                    const MerkleLevelRequest& request) {
  if (absl::Status status = ValidateRequest(tree.shape(), request); !status.ok()) return status;
  const uint32_t children = tree.shape().ChildCount(request.level);
  MerkleLevelReply reply;
  reply.level = request.level;
  for (size_t i = 0; i < request.nodes.size(); ++i) {
    const uint32_t node = request.nodes[i];
    if (tree.NodeHash(request.level, node) == request.hashes[i]) continue;
    reply.nodes.push_back(node);
    for (uint32_t child = node * children; child < (node + 1) * children; ++child) {
      reply.child_hashes.push_back(tree.NodeHash(request.level + 1, child));
    }
  }
  KV_ASSERT(reply.child_hashes.size() == reply.nodes.size() * children);
  KV_ASSERT(reply.child_hashes.size() <= kMerkleReplyHashesMax);
  return reply;
}

MerkleDiffer::MerkleDiffer(const MerkleTree& local, size_t max_nodes_per_request)
    : local_(local),
      max_nodes_per_request_(std::min(max_nodes_per_request,
                                      kMerkleReplyHashesMax >> local.shape().branching_log2)),
      pending_{0} {
  KV_ASSERT(max_nodes_per_request >= 1);
  KV_ASSERT(max_nodes_per_request_ >= 1);
}

std::optional<MerkleLevelRequest> MerkleDiffer::NextRequest() {
  KV_ASSERT(!failed_);
  KV_ASSERT(!outstanding_.has_value());
  if (done_) return std::nullopt;
  if (pending_next_ == pending_.size()) {
    // Every node at level_ has been asked about; differing_ now holds level_ + 1 completely.
    if (differing_.empty() || level_ + 1 == local_.depth()) {
      if (level_ + 1 < local_.depth()) KV_ASSERT(differing_.empty());
      done_ = true;
      return std::nullopt;
    }
    AdvanceLevel();
  }
  MerkleLevelRequest request;
  request.shape = local_.shape();
  request.level = level_;
  const size_t end = std::min(pending_.size(), pending_next_ + max_nodes_per_request_);
  for (; pending_next_ < end; ++pending_next_) {
    const uint32_t node = pending_[pending_next_];
    request.nodes.push_back(node);
    request.hashes.push_back(local_.NodeHash(level_, node));
  }
  KV_ASSERT(!request.nodes.empty());
  hashes_sent_ += request.hashes.size();
  outstanding_ = request;
  return request;
}

void MerkleDiffer::AdvanceLevel() {
  KV_ASSERT(level_ + 1 < local_.depth());
  ++level_;
  pending_ = std::move(differing_);
  differing_.clear();
  pending_next_ = 0;
}

absl::Status MerkleDiffer::OnReply(const MerkleLevelReply& reply) {
  KV_ASSERT(!failed_);
  KV_ASSERT(outstanding_.has_value());
  const MerkleLevelRequest& request = *outstanding_;
  const uint32_t children = local_.shape().ChildCount(request.level);
  failed_ = true;  // until the reply is known to fit
  if (reply.level != request.level) return absl::InvalidArgumentError("Merkle reply: wrong level");
  if (reply.nodes.size() > request.nodes.size() ||
      reply.child_hashes.size() != reply.nodes.size() * children) {
    return absl::InvalidArgumentError("Merkle reply: wrong number of nodes or hashes");
  }
  size_t asked = 0;  // reply.nodes must be a strictly ascending subsequence of request.nodes
  for (const uint32_t node : reply.nodes) {
    while (asked < request.nodes.size() && request.nodes[asked] < node) ++asked;
    if (asked == request.nodes.size() || request.nodes[asked] != node) {
      return absl::InvalidArgumentError("Merkle reply: a node that was not asked about");
    }
    ++asked;
  }
  failed_ = false;
  for (size_t i = 0; i < reply.nodes.size(); ++i) {
    const uint32_t first_child = reply.nodes[i] * children;
    for (uint32_t c = 0; c < children; ++c) {
      if (local_.NodeHash(level_ + 1, first_child + c) != reply.child_hashes[i * children + c]) {
        KV_ASSERT(differing_.empty() || differing_.back() < first_child + c);
        differing_.push_back(first_child + c);
      }
    }
  }
  hashes_received_ += reply.child_hashes.size();
  ++round_trips_;
  outstanding_.reset();
  return absl::OkStatus();
}

const std::vector<uint32_t>& MerkleDiffer::differing_leaves() const {
  KV_ASSERT(done_);
  return differing_;
}

}  // namespace kv
