#include "sim/sim_network.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "sim/sim_process.h"
#include "sim/sim_transport.h"
#include "sim/simulator.h"

namespace kv::sim {

const char* DropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kLoss: return "loss";
    case DropReason::kPartition: return "partition";
    case DropReason::kDeadSender: return "dead_sender";
    case DropReason::kDeadReceiver: return "dead_receiver";
    case DropReason::kInboxFull: return "inbox_full";
  }
  return "?";
}

SimNetwork::SimNetwork(Simulator* sim, Random random) : sim_(sim), random_(std::move(random)) {}

void SimNetwork::SetLinkProfile(NodeId from, NodeId to, const LinkProfile& profile) {
  link_profiles_[{from, to}] = profile;
}

const LinkProfile& SimNetwork::profile(NodeId from, NodeId to) const {
  auto it = link_profiles_.find({from, to});
  return it == link_profiles_.end() ? default_profile_ : it->second;
}

Duration SimNetwork::SampleLatency(const LinkProfile& p) {
  switch (p.shape) {
    case LinkProfile::Shape::kFixed:
      return p.latency_min;
    case LinkProfile::Shape::kUniform:
      return random_.UniformDuration(p.latency_min, std::max(p.latency_min, p.latency_max));
    case LinkProfile::Shape::kExponentialTail:
      return std::min(p.latency_max, p.latency_min + random_.Exponential(p.tail_mean));
  }
  return p.latency_min;
}

void SimNetwork::Drop(NodeId from, NodeId to, DropReason reason, uint64_t payload_hash) {
  switch (reason) {
    case DropReason::kLoss: ++stats_.dropped_loss; break;
    case DropReason::kPartition: ++stats_.dropped_partition; break;
    case DropReason::kDeadSender:
    case DropReason::kDeadReceiver: ++stats_.dropped_dead; break;
    case DropReason::kInboxFull: ++stats_.dropped_inbox_full; break;
  }
  sim_->trace().Record(sim_->now().nanos(), TraceKind::kMsgDrop, from, to,
                       HashCombine(static_cast<uint64_t>(reason), payload_hash));
}

absl::Status SimNetwork::Send(NodeId from, NodeId to, std::string payload) {
  if (!sim_->has_process(to) || to == from) {
    return absl::InvalidArgumentError(absl::StrCat("process ", from, " cannot send to node ", to));
  }
  const uint64_t h = StableHash(payload);
  ++stats_.sent;
  stats_.bytes_sent += payload.size();
  sim_->trace().Record(sim_->now().nanos(), TraceKind::kMsgSend, from, to, h);

  if (!sim_->process(from).alive()) {
    Drop(from, to, DropReason::kDeadSender, h);
    return absl::OkStatus();
  }
  if (blocked(from, to)) {
    Drop(from, to, DropReason::kPartition, h);
    return absl::OkStatus();
  }
  const LinkProfile& p = profile(from, to);
  if (random_.Bernoulli(p.loss_probability)) {
    Drop(from, to, DropReason::kLoss, h);
    return absl::OkStatus();
  }
  SimProcess& receiver = sim_->process(to);
  if (!receiver.alive()) {
    Drop(from, to, DropReason::kDeadReceiver, h);
    return absl::OkStatus();
  }
  const bool duplicate = random_.Bernoulli(p.duplicate_probability);
  const bool reorder = random_.Bernoulli(p.reorder_probability);
  const int64_t now = sim_->now().nanos();
  int64_t deliver_ns = (sim_->now() + SampleLatency(p)).nanos();
  const uint64_t link = static_cast<uint64_t>(from) << 32 | to;
  if (reorder) {
    ++stats_.reordered;
  } else {
    int64_t& last = last_delivery_ns_[link];
    deliver_ns = std::max(deliver_ns, last);
    last = deliver_ns;
  }
  if (duplicate) {
    ++stats_.duplicated;
    const Duration copy_latency = SampleLatency(p);
    ScheduleDelivery(from, to, receiver.incarnation(), copy_latency, payload, h);
  }
  ScheduleDelivery(from, to, receiver.incarnation(), absl::Nanoseconds(deliver_ns - now),
                   std::move(payload), h);
  return absl::OkStatus();
}

void SimNetwork::ScheduleDelivery(NodeId from, NodeId to, uint32_t incarnation, Duration latency,
                                  std::string payload, uint64_t h) {
  sim_->ScheduleOwned(
      to, incarnation, sim_->now() + latency,
      [this, from, to, h, payload = std::move(payload)]() mutable {
        if (blocked(from, to)) {
          Drop(from, to, DropReason::kPartition, h);
          return;
        }
        if (!sim_->process(to).transport().DeliverMessage(from, std::move(payload))) {
          Drop(from, to, DropReason::kInboxFull, h);
          return;
        }
        ++stats_.delivered;
        sim_->trace().Record(sim_->now().nanos(), TraceKind::kMsgDeliver, from, to, h);
      });
}

void SimNetwork::OnCrash(NodeId crashed) {
  for (NodeId peer : sim_->process_ids()) {
    if (peer == crashed) continue;
    SimProcess& p = sim_->process(peer);
    if (!p.alive() || !p.transport().connected_to(crashed) || blocked(crashed, peer)) continue;
    const Duration latency = SampleLatency(profile(crashed, peer));
    p.RunAt(sim_->now() + latency, [this, peer, crashed] {
      sim_->process(peer).transport().DeliverDisconnect(crashed);
      sim_->trace().Record(sim_->now().nanos(), TraceKind::kConnEvent, peer, crashed,
                           static_cast<uint64_t>(TransportEvent::Kind::kDisconnected));
    });
  }
}

// ---- partitions ----

void SimNetwork::RecordPartitionChange(absl::string_view kind, uint64_t param) {
  sim_->RecordFault(kind, 0, param);
}

void SimNetwork::Block(NodeId from, NodeId to) {
  if (from != to) blocked_.insert({from, to});
}

void SimNetwork::Unblock(NodeId from, NodeId to) { blocked_.erase({from, to}); }

void SimNetwork::PartitionSymmetric(const std::vector<NodeId>& a, const std::vector<NodeId>& b) {
  for (NodeId x : a) {
    for (NodeId y : b) {
      Block(x, y);
      Block(y, x);
    }
  }
  RecordPartitionChange("partition_symmetric", a.size() << 16 | b.size());
}

void SimNetwork::PartitionOneWay(const std::vector<NodeId>& from, const std::vector<NodeId>& to) {
  for (NodeId x : from) {
    for (NodeId y : to) Block(x, y);
  }
  RecordPartitionChange("partition_one_way", from.size() << 16 | to.size());
}

void SimNetwork::Isolate(NodeId node) {
  for (NodeId other : sim_->process_ids()) {
    Block(node, other);
    Block(other, node);
  }
  RecordPartitionChange("partition_isolate", node);
}

namespace {
void Shuffle(std::vector<NodeId>* v, Random* random) {
  for (size_t i = v->size(); i > 1; --i) std::swap((*v)[i - 1], (*v)[random->Uniform(i)]);
}
}  // namespace

std::vector<NodeId> SimNetwork::SplitMajorityMinority() {
  std::vector<NodeId> ids = sim_->process_ids();
  if (ids.size() < 2) return {};
  Shuffle(&ids, &random_);
  const size_t minority_size = (ids.size() - 1) / 2 == 0 ? 1 : (ids.size() - 1) / 2;
  std::vector<NodeId> minority(ids.begin(), ids.begin() + static_cast<ptrdiff_t>(minority_size));
  std::vector<NodeId> majority(ids.begin() + static_cast<ptrdiff_t>(minority_size), ids.end());
  std::sort(minority.begin(), minority.end());
  for (NodeId x : minority) {
    for (NodeId y : majority) {
      Block(x, y);
      Block(y, x);
    }
  }
  RecordPartitionChange("partition_majority_minority", minority.size());
  return minority;
}

std::vector<NodeId> SimNetwork::Bridge(NodeId bridge) {
  std::vector<NodeId> others;
  for (NodeId id : sim_->process_ids()) {
    if (id != bridge) others.push_back(id);
  }
  Shuffle(&others, &random_);
  const size_t half = others.size() / 2;
  std::vector<NodeId> first(others.begin(), others.begin() + static_cast<ptrdiff_t>(half));
  std::vector<NodeId> second(others.begin() + static_cast<ptrdiff_t>(half), others.end());
  std::sort(first.begin(), first.end());
  for (NodeId x : first) {
    for (NodeId y : second) {
      Block(x, y);
      Block(y, x);
    }
  }
  RecordPartitionChange("partition_bridge", bridge);
  return first;
}

void SimNetwork::Heal() {
  if (blocked_.empty()) return;
  blocked_.clear();
  RecordPartitionChange("heal", 0);
}

}  // namespace kv::sim
