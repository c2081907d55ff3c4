// Finding the leaves where two replicas' Merkle trees differ: locally (DifferingLeaves), or across
// a network, level by level, with bounded messages (MerkleDiffer on the side that drives the
// exchange, AnswerLevelRequest on the other). Pure data and functions: no I/O, no fibers; the node
// carries the messages.
//
// The exchange. The requester (R) holds tree A, the responder (S) tree B, both of one shape.
//   R -> S  MerkleLevelRequest  {level L, nodes n_1..n_k at L, A's hashes of them}
//   S -> R  MerkleLevelReply    {the n_i whose hash in B differs, and B's hashes of their children}
//   R compares those children with A's; the differing ones are the nodes of the next request.
// The first request names the root; the replies to requests at level depth()-1 name leaves. So with
// at most `max_nodes_per_request` differing nodes per level, an exchange takes exactly depth()
// round trips when the roots differ and one when they are equal. A request carries k hashes and its
// reply at most k * branching, k being the number of differing nodes at that level (which is at
// most the number of differing keys): traffic grows with the differences, not with the keys.
//
// Writes may continue during an exchange. Hashes are read when each message is built, so a key
// written meanwhile may be reported or missed; anti-entropy runs again and catches it. To compare
// frozen states, run the exchange on copies of the trees.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/merkle/merkle_shape.h"
#include "storage/merkle/merkle_tree.h"

namespace kv {

// Ascending indexes of the leaves whose hashes differ between `a` and `b`, found by descending
// from the root into differing nodes only. REQUIRES: a.shape() == b.shape().
std::vector<uint32_t> DifferingLeaves(const MerkleTree& a, const MerkleTree& b);

// Limit on the hashes in one reply (512 KiB of hashes); requests are sized to respect it.
inline constexpr size_t kMerkleReplyHashesMax = 64 * 1024;

struct MerkleLevelRequest {
  MerkleShape shape;             // the requester's; the responder refuses a different shape
  uint32_t level = 0;            // level of `nodes`; < shape.depth()
  std::vector<uint32_t> nodes;   // strictly ascending node indexes at `level`
  std::vector<uint64_t> hashes;  // the requester's hash of each node, parallel to `nodes`
};

struct MerkleLevelReply {
  uint32_t level = 0;                  // the request's level
  std::vector<uint32_t> nodes;         // the requested nodes whose hash differed, ascending
  std::vector<uint64_t> child_hashes;  // per node in `nodes`, its ChildCount(level) children
};

// The responder's side: answers `request` from `tree`. Errors (the request is untrusted input):
// FAILED_PRECONDITION if the shapes differ; INVALID_ARGUMENT if the level is out of range, nodes
// are out of range or not strictly ascending, `hashes` is not parallel to `nodes`, or the reply
// would exceed kMerkleReplyHashesMax hashes.
absl::StatusOr<MerkleLevelReply> AnswerLevelRequest(const MerkleTree& tree,
                                                    const MerkleLevelRequest& request);

// The requester's side of one exchange: a state machine that alternates NextRequest() and
// OnReply(), one request outstanding at a time, until NextRequest() returns std::nullopt.
class MerkleDiffer {
 public:
  // Default bound on the nodes named in one request. A level with more differing nodes than this
  // is asked about in several requests (more round trips, same total traffic).
  static constexpr size_t kDefaultMaxNodesPerRequest = 1024;

  // `local` must outlive the differ. `max_nodes_per_request` is clamped so that no reply can
  // exceed kMerkleReplyHashesMax hashes. REQUIRES: max_nodes_per_request >= 1.
  explicit MerkleDiffer(const MerkleTree& local,
                        size_t max_nodes_per_request = kDefaultMaxNodesPerRequest);

  // The next request to send, or std::nullopt when the exchange is over (then differing_leaves()
  // is final). REQUIRES: no request outstanding (the previous one got its OnReply).
  std::optional<MerkleLevelRequest> NextRequest();

  // Takes the reply to the outstanding request. INVALID_ARGUMENT if it does not fit the request
  // (wrong level, a node not asked about, not ascending, wrong number of hashes); the differ is
  // then unusable and must be discarded. REQUIRES: a request is outstanding.
  absl::Status OnReply(const MerkleLevelReply& reply);

  bool done() const { return done_; }
  // Ascending indexes of the leaves that differ. REQUIRES: done().
  const std::vector<uint32_t>& differing_leaves() const;

  // Accounting for rate limits and tests.
  size_t round_trips() const { return round_trips_; }
  size_t hashes_sent() const { return hashes_sent_; }
  size_t hashes_received() const { return hashes_received_; }

 private:
  void AdvanceLevel();

  const MerkleTree& local_;
  size_t max_nodes_per_request_;
  uint32_t level_ = 0;              // level of the nodes being asked about
  std::vector<uint32_t> pending_;   // nodes at level_ not yet asked about, ascending
  size_t pending_next_ = 0;         // first unasked index into pending_
  std::vector<uint32_t> differing_; // differing nodes found at level_ + 1, ascending
  std::optional<MerkleLevelRequest> outstanding_;
  bool failed_ = false;
  bool done_ = false;
  size_t round_trips_ = 0;
  size_t hashes_sent_ = 0;
  size_t hashes_received_ = 0;
};

}  // namespace kv
