// Cluster membership by gossip, with failure detection and the ring (Dynamo section 4.8; the
// claimant idea is Riak's).
//
// Every gossip_interval a node bumps its heartbeat and exchanges its whole cluster state with one
// random peer (push-pull): members with their status, and the ring. Merging keeps, per member,
// the record with the highest (generation, version, heartbeat) and, of two rings, the higher
// version (ties: lower claimant, then smaller owners), so states converge whatever the order of
// exchanges. A member's heartbeat rising feeds the phi accrual failure detector, whoever relayed
// it. Seeds are asked when no live peer is known (and now and then anyway), so partitioned
// groups find each other again.
//
// Ring changes: the claimant (the lowest-numbered node it considers up, itself included) compares
// the members that should own partitions (JOINING and UP; not LEAVING or LEFT; nodes that are
// merely down stay in the ring, as in Dynamo) with the ring's, and publishes a rebalanced ring
// with the next version. A JOINING node that finds itself in the ring marks itself UP; a LEAVING
// node that finds itself out of it marks itself LEFT. The first seed creates a ring of itself if
// it has heard of none after bootstrap_rounds rounds.
//
// Namespaces (node/namespaces.h) travel in the same state: per name, the definition with the
// highest (version, modified_by) wins.
//
// Persistence is the caller's: it passes the generation, the last saved ring and namespaces, and
// saves them from the observers. A node with a saved ring never bootstraps a new one.
//
// Threading: the runtime's fibers. Register before the RPC endpoint starts; then Start.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "net/runtime.h"
#include "node/failure_detector.h"
#include "node/membership.pb.h"
#include "node/ring.h"
#include "node/rpc.h"

namespace kv::node {

// The ring a gossiped RingState describes. INVALID_ARGUMENT if it is malformed.
absl::StatusOr<Ring> RingFromState(const RingState& state);

struct MembershipOptions {
  std::vector<NodeId> seeds;
  uint32_t partitions = 256;
  uint32_t n_val = 3;
  uint32_t weight = 1;
  std::string address;
  Duration gossip_interval = absl::Seconds(1);
  Duration gossip_timeout = absl::Milliseconds(500);
  // The first seed creates a ring of itself if it has learnt of none after this many rounds.
  uint64_t bootstrap_rounds = 3;
  FailureDetectorOptions failure_detector;
};

class Membership {
 public:
  // `generation` must exceed every generation this node used before (persist a counter).
  // `saved_ring` is the ring this node persisted last (empty: none), adopted at once; a node that
  // is in it starts UP.
  // `namespaces` are definitions this node knew before (saved, or configured), merged as gossip.
  Membership(Runtime& rt, RpcEndpoint& rpc, MembershipOptions options, uint64_t generation,
             const RingState& saved_ring = RingState(),
             const std::vector<Namespace>& namespaces = {});

  // Registers the gossip method ("membership.gossip") and the read-only "membership.state" (the
  // node's ClusterState, for tools such as `kvsim run --real`; it merges and records nothing about
  // the caller). REQUIRES: before rpc.Start().
  void Register();
  // Announces this node and starts gossiping.
  void Start();
  // Asks to leave the cluster (status LEAVING).
  void Leave();
  // Joins the cluster `seed` belongs to (an operator's `kvctl join`), for a node that runs alone:
  // it forgets its own one-node ring, becomes JOINING and gossips with `seed` until that
  // cluster's claimant puts it in the ring; what it stored moves to the new owners as in any ring
  // change. FAILED_PRECONDITION if its ring already has other members (it is in a cluster);
  // INVALID_ARGUMENT for itself or kNoNode.
  absl::Status JoinThrough(NodeId seed);
  // Removes a node that is gone for good (an operator's decision: its disk is lost, say): its
  // record becomes LEFT and the claimant rebalances without it. The other replicas' transfers
  // and anti-entropy rebuild its copies. FAILED_PRECONDITION for this node itself (use Leave),
  // NOT_FOUND for an unknown node.
  absl::Status Decommission(NodeId node);

  // Defines namespace `ns` or changes its definition (N excepted), as the next version made by
  // this node; gossip spreads it. INVALID_ARGUMENT / FAILED_PRECONDITION (ValidateNamespace,
  // ValidateNamespaceChange) with nothing changed. Returns the definition now in force.
  absl::StatusOr<Namespace> DefineNamespace(Namespace ns);
  // The definition of namespace `name`, or nullptr (never for "default": it has none).
  const Namespace* FindNamespace(absl::string_view name) const;
  // Every defined namespace, by name.
  const google::protobuf::RepeatedPtrField<Namespace>& namespaces() const {
    return state_.namespaces();
  }
  // Called after the namespace table changed (persist it, say); may block.
  void set_namespace_observer(std::function<void()> f) { namespace_observer_ = std::move(f); }

  bool IsAlive(NodeId node) const;
  // The current ring, if one exists yet.
  const std::optional<Ring>& ring() const { return ring_; }
  uint64_t ring_version() const { return state_.ring().version(); }
  // The member records, by node.
  absl::btree_map<NodeId, Member> members() const;
  Member::Status status() const;
  const FailureDetector& failure_detector() const { return fd_; }
  // Called on a fiber after the ring changed; may block (to persist the ring, say). Whatever it
  // is called with, the latest ring is state().ring().
  void set_ring_observer(std::function<void(const RingState&)> f) { ring_observer_ = std::move(f); }
  const ClusterState& state() const { return state_; }

  uint64_t rounds() const { return rounds_; }

 private:
  void GossipLoop();
  void MaybeBootstrap();
  void Round();
  NodeId ChooseTarget();
  // Merges `incoming` into the state; feeds the failure detector; adopts a newer ring.
  void Merge(const ClusterState& incoming, NodeId from);
  // The claimant's duty, and the joining/leaving member's follow-up on ring changes.
  void ReactToRing();
  Member* FindMember(NodeId node);
  void SetOwnStatus(Member::Status status);
  void AdoptRing(const RingState& ring);
  // Takes `theirs` if it supersedes this node's definition of its name; true if it did.
  bool MergeNamespace(const Namespace& theirs);

  Runtime& rt_;
  RpcEndpoint& rpc_;
  MembershipOptions options_;
  ClusterState state_;
  std::optional<Ring> ring_;
  FailureDetector fd_;
  std::function<void(const RingState&)> ring_observer_;
  std::function<void()> namespace_observer_;
  uint64_t rounds_ = 0;
};

// True if ring state `a` should replace `b` (see the merge rule above).
bool RingSupersedes(const RingState& a, const RingState& b);

}  // namespace kv::node
