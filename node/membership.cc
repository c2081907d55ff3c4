#include "node/membership.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "node/namespaces.h"

namespace kv::node {
namespace {

constexpr const char* kGossipMethod = "membership.gossip";
constexpr const char* kStateMethod = "membership.state";
// One round in this many also talks to a seed, so split groups find each other.
constexpr uint64_t kSeedEvery = 10;

auto RecordKey(const Member& m) { return std::make_tuple(m.generation(), m.version(), m.heartbeat()); }

}  // namespace

bool RingSupersedes(const RingState& a, const RingState& b) {
  if (a.version() != b.version()) return a.version() > b.version();
  if (a.claimant() != b.claimant()) return a.claimant() < b.claimant();
  return std::lexicographical_compare(a.owners().begin(), a.owners().end(), b.owners().begin(),
                                      b.owners().end());
}

Membership::Membership(Runtime& rt, RpcEndpoint& rpc, MembershipOptions options,
                       uint64_t generation, const RingState& saved_ring,
                       const std::vector<Namespace>& namespaces)
    : rt_(rt), rpc_(rpc), options_(std::move(options)), fd_(options_.failure_detector) {
  for (const Namespace& ns : namespaces) MergeNamespace(ns);
  Member* self = state_.add_members();
  self->set_node(rt_.self());
  self->set_status(Member::JOINING);
  self->set_weight(options_.weight);
  self->set_address(options_.address);
  self->set_generation(generation);
  if (saved_ring.owners_size() > 0) {
    AdoptRing(saved_ring);
    if (ring_.has_value() && ring_->weights().contains(rt_.self())) self->set_status(Member::UP);
  }
}

void Membership::Register() {
  rpc_.Register(kGossipMethod, [this](NodeId from, absl::string_view body)
                                   -> absl::StatusOr<std::string> {
    ClusterState incoming;
    if (!incoming.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      return absl::InvalidArgumentError("malformed gossip");
    }
    Merge(incoming, from);
    ReactToRing();
    return state_.SerializeAsString();
  });
  rpc_.Register(kStateMethod, [this](NodeId, absl::string_view) -> absl::StatusOr<std::string> {
    return state_.SerializeAsString();
  });
}

void Membership::Start() { rt_.Spawn("gossip", [this] { GossipLoop(); }); }

void Membership::MaybeBootstrap() {
  // The first seed creates the ring if, after a few rounds of asking, nobody knows one.
  const bool first_seed = options_.seeds.empty() || options_.seeds.front() == rt_.self();
  if (ring_.has_value() || !first_seed || rounds_ < options_.bootstrap_rounds) return;
  {
    absl::StatusOr<Ring> ring =
        Ring::Create(options_.partitions, {{rt_.self(), options_.weight}}, options_.n_val);
    KV_ASSERT_MSG(ring.ok(), ring.status().ToString());
    RingState rs;
    rs.set_version(1);
    rs.set_claimant(rt_.self());
    rs.set_n_val(options_.n_val);
    for (NodeId o : ring->owners()) rs.add_owners(o);
    rs.add_member_nodes(rt_.self());
    rs.add_member_weights(options_.weight);
    AdoptRing(rs);
    SetOwnStatus(Member::UP);
  }
}

void Membership::Leave() { SetOwnStatus(Member::LEAVING); }

absl::Status Membership::JoinThrough(NodeId seed) {
  if (seed == kNoNode || seed == rt_.self()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot join through node ", seed));
  }
  if (ring_.has_value() && ring_->weights().size() > 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "node ", rt_.self(), " is already in a cluster of ", ring_->weights().size(),
        " nodes; only a node running alone can join another cluster"));
  }
  options_.seeds = {seed};
  ring_.reset();
  state_.clear_ring();
  SetOwnStatus(Member::JOINING);
  return absl::OkStatus();
}

absl::Status Membership::Decommission(NodeId node) {
  if (node == rt_.self()) {
    return absl::FailedPreconditionError("a node cannot decommission itself; use leave");
  }
  Member* m = FindMember(node);
  if (m == nullptr) return absl::NotFoundError(absl::StrCat("node ", node, " is not a member"));
  // A higher version than the gone node's own record: the LEFT record wins every merge.
  m->set_status(Member::LEFT);
  m->set_version(m->version() + 1);
  rt_.Log(LogLevel::kInfo, "node %d decommissioned", node);
  return absl::OkStatus();  // the claimant acts on it at its next round
}

Member* Membership::FindMember(NodeId node) {
  for (Member& m : *state_.mutable_members()) {
    if (m.node() == node) return &m;
  }
  return nullptr;
}

void Membership::SetOwnStatus(Member::Status status) {
  Member* self = FindMember(rt_.self());
  KV_ASSERT(self != nullptr);
  if (self->status() == status) return;
  self->set_status(status);
  self->set_version(self->version() + 1);
  rt_.Log(LogLevel::kInfo, "member %d is now %s", rt_.self(), Member::Status_Name(status));
}

Member::Status Membership::status() const {
  for (const Member& m : state_.members()) {
    if (m.node() == rt_.self()) return m.status();
  }
  KV_UNREACHABLE("no own member record");
}

absl::btree_map<NodeId, Member> Membership::members() const {
  absl::btree_map<NodeId, Member> out;
  for (const Member& m : state_.members()) out[m.node()] = m;
  return out;
}

namespace {
// The position of `name` in the sorted table (where it is, or would go).
template <typename Table>
auto NamespaceSlot(Table& table, absl::string_view name) {
  return std::lower_bound(table.begin(), table.end(), name,
                          [](const Namespace& ns, absl::string_view n) { return ns.name() < n; });
}
}  // namespace

const Namespace* Membership::FindNamespace(absl::string_view name) const {
  auto it = NamespaceSlot(state_.namespaces(), name);
  return it != state_.namespaces().end() && it->name() == name ? &*it : nullptr;
}

bool Membership::MergeNamespace(const Namespace& theirs) {
  if (!ValidateNamespace(theirs).ok()) return false;  // a peer's bad definition is not taken
  auto* table = state_.mutable_namespaces();
  auto it = NamespaceSlot(*table, theirs.name());
  if (it != table->end() && it->name() == theirs.name()) {
    if (!NamespaceSupersedes(theirs, *it)) return false;
    if (it->n() != theirs.n()) {
      // Two nodes defined the name at once with different N: the later definition wins.
      rt_.Log(LogLevel::kWarn, "namespace %s: N %d replaced by N %d (a concurrent definition)",
              theirs.name(), it->n(), theirs.n());
    }
    *it = theirs;
    return true;
  }
  const int index = static_cast<int>(it - table->begin());
  *table->Add() = theirs;
  for (int i = table->size() - 1; i > index; --i) table->SwapElements(i, i - 1);
  return true;
}

absl::StatusOr<Namespace> Membership::DefineNamespace(Namespace ns) {
  if (absl::Status s = ValidateNamespace(ns); !s.ok()) return s;
  uint64_t version = 1;
  if (const Namespace* current = FindNamespace(ns.name()); current != nullptr) {
    if (absl::Status s = ValidateNamespaceChange(*current, ns); !s.ok()) return s;
    version = current->version() + 1;
  }
  ns.set_version(version);
  ns.set_modified_by(rt_.self());
  const bool taken = MergeNamespace(ns);
  KV_ASSERT(taken);
  rt_.Log(LogLevel::kInfo, "namespace %s defined (version %d): N=%d R=%d W=%d", ns.name(), version,
          ns.n(), ns.r(), ns.w());
  if (namespace_observer_) namespace_observer_();
  return ns;
}

bool Membership::IsAlive(NodeId node) const {
  if (node == rt_.self()) return true;
  return fd_.Alive(node, rt_.Now());
}

void Membership::GossipLoop() {
  while (true) {
    Round();
    FiberSleep(options_.gossip_interval);
  }
}

NodeId Membership::ChooseTarget() {
  std::vector<NodeId> alive;
  std::vector<NodeId> known;
  for (const Member& m : state_.members()) {
    if (m.node() == rt_.self() || m.status() == Member::LEFT) continue;
    known.push_back(m.node());
    if (IsAlive(m.node())) alive.push_back(m.node());
  }
  std::vector<NodeId> seeds;
  for (NodeId s : options_.seeds) {
    if (s != rt_.self()) seeds.push_back(s);
  }
  if (!seeds.empty() && (alive.empty() || rounds_ % kSeedEvery == 0)) {
    return seeds[rt_.random().Uniform(seeds.size())];
  }
  if (!alive.empty()) return alive[rt_.random().Uniform(alive.size())];
  if (!known.empty()) return known[rt_.random().Uniform(known.size())];
  return kNoNode;
}

void Membership::Round() {
  ++rounds_;
  Member* self = FindMember(rt_.self());
  self->set_heartbeat(self->heartbeat() + 1);
  MaybeBootstrap();
  ReactToRing();
  const NodeId target = ChooseTarget();
  if (target == kNoNode) return;
  absl::StatusOr<std::string> reply =
      rpc_.Call(target, kGossipMethod, state_.SerializeAsString(), options_.gossip_timeout);
  if (!reply.ok()) return;
  ClusterState incoming;
  if (!incoming.ParseFromString(*reply)) return;
  Merge(incoming, target);
  ReactToRing();
}

void Membership::Merge(const ClusterState& incoming, NodeId from) {
  const MonoTime now = rt_.Now();
  fd_.Heartbeat(from, now);
  for (const Member& theirs : incoming.members()) {
    if (theirs.node() == rt_.self() || theirs.node() == kNoNode) continue;
    Member* mine = FindMember(theirs.node());
    if (mine == nullptr) {
      *state_.add_members() = theirs;
      fd_.Heartbeat(theirs.node(), now);
      continue;
    }
    if (RecordKey(theirs) > RecordKey(*mine)) {
      const bool newer_life = std::make_tuple(theirs.generation(), theirs.heartbeat()) >
                              std::make_tuple(mine->generation(), mine->heartbeat());
      *mine = theirs;
      if (newer_life) fd_.Heartbeat(theirs.node(), now);
    }
  }
  // Keep members in node order so the state (and what is gossiped) is canonical.
  std::sort(state_.mutable_members()->begin(), state_.mutable_members()->end(),
            [](const Member& a, const Member& b) { return a.node() < b.node(); });
  bool namespaces_changed = false;
  for (const Namespace& ns : incoming.namespaces()) namespaces_changed |= MergeNamespace(ns);
  if (namespaces_changed && namespace_observer_) namespace_observer_();
  if (incoming.has_ring() && incoming.ring().owners_size() > 0 &&
      (!ring_.has_value() || RingSupersedes(incoming.ring(), state_.ring()))) {
    AdoptRing(incoming.ring());
  }
}

absl::StatusOr<Ring> RingFromState(const RingState& rs) {
  std::vector<NodeId> owners(rs.owners().begin(), rs.owners().end());
  absl::btree_map<NodeId, uint32_t> weights;
  for (int i = 0; i < rs.member_nodes_size() && i < rs.member_weights_size(); ++i) {
    weights[rs.member_nodes(i)] = rs.member_weights(i);
  }
  return Ring::FromParts(std::move(owners), std::move(weights), rs.n_val());
}

void Membership::AdoptRing(const RingState& rs) {
  absl::StatusOr<Ring> ring = RingFromState(rs);
  if (!ring.ok()) {
    rt_.Log(LogLevel::kWarn, "ignoring a malformed ring (version %d): %s", rs.version(),
            ring.status().ToString());
    return;
  }
  *state_.mutable_ring() = rs;
  ring_ = *std::move(ring);
  if (ring_observer_) ring_observer_(rs);
}

void Membership::ReactToRing() {
  if (!ring_.has_value()) return;
  // A joining member in the ring is up; a leaving member out of it has left.
  const bool in_ring = ring_->weights().contains(rt_.self());
  const Member::Status mine = status();
  if (mine == Member::JOINING && in_ring) SetOwnStatus(Member::UP);
  if (mine == Member::LEAVING && !in_ring) SetOwnStatus(Member::LEFT);

  // The claimant: the lowest-numbered member that is UP and alive, as this node sees it.
  // Wanted in the ring: its current members unless known to be leaving, plus joining ones. A
  // member this node has not heard of yet is never dropped.
  NodeId claimant = kNoNode;
  absl::btree_map<NodeId, uint32_t> wanted = ring_->weights();
  for (const Member& m : state_.members()) {
    if (m.status() == Member::UP && IsAlive(m.node()) && claimant == kNoNode) claimant = m.node();
    if (m.status() == Member::JOINING || m.status() == Member::UP) {
      wanted[m.node()] = m.weight();
    } else {
      wanted.erase(m.node());
    }
  }
  if (claimant != rt_.self() || wanted.empty() || wanted == ring_->weights()) return;
  absl::StatusOr<Ring> next = ring_->Rebalance(wanted);
  if (!next.ok()) return;
  RingState rs;
  rs.set_version(state_.ring().version() + 1);
  rs.set_claimant(rt_.self());
  rs.set_n_val(next->n_val());
  for (NodeId o : next->owners()) rs.add_owners(o);
  for (const auto& [node, weight] : wanted) {
    rs.add_member_nodes(node);
    rs.add_member_weights(weight);
  }
  rt_.Log(LogLevel::kInfo, "claimant %d publishes ring version %d (%d members, %d partitions moved)",
          rt_.self(), rs.version(), wanted.size(), ring_->MovedPartitions(*next));
  AdoptRing(rs);
  if (status() == Member::JOINING) SetOwnStatus(Member::UP);
}

}  // namespace kv::node
