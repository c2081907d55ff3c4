// The simulated network between processes. Fault model:
//  - Latency per directed link, drawn from the link's profile: fixed, uniform in [min, max], or
//    min plus an exponential tail with mean `tail_mean`, capped at max.
//  - Loss, duplication and reordering, each a named probability per link. Without reordering a
//    link is FIFO (a message never overtakes an earlier one on the same link), as over TCP.
//  - Partitions: a set of blocked directed links. A message is dropped if its link is blocked when
//    it is sent or when it would be delivered. Helpers build the usual shapes (symmetric split,
//    one-way, isolate one node, random majority/minority split, bridge) and Heal unblocks all.
//  - Crashes: messages to a crashed process are dropped (and so are messages in flight to an
//    incarnation that crashed: TCP connections do not survive restarts). Peers that had received
//    messages from the crashed process get a kDisconnected event after one link latency.
// Every send, delivery and drop goes into the trace.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "net/random.h"
#include "net/time.h"
#include "net/transport.h"

namespace kv::sim {

class Simulator;

struct LinkProfile {
  enum class Shape : uint8_t { kFixed, kUniform, kExponentialTail };
  Shape shape = Shape::kExponentialTail;
  Duration latency_min = absl::Microseconds(100);
  Duration latency_max = absl::Milliseconds(50);
  Duration tail_mean = absl::Microseconds(400);  // kExponentialTail only
  double loss_probability = 0;
  double duplicate_probability = 0;
  double reorder_probability = 0;
};

enum class DropReason : uint8_t {
  kLoss = 1, kPartition, kDeadSender, kDeadReceiver, kInboxFull,
};
const char* DropReasonName(DropReason reason);

struct NetworkStats {
  uint64_t sent = 0;
  uint64_t delivered = 0;
  uint64_t duplicated = 0;
  uint64_t reordered = 0;
  uint64_t dropped_loss = 0;
  uint64_t dropped_partition = 0;
  uint64_t dropped_dead = 0;
  uint64_t dropped_inbox_full = 0;
  uint64_t bytes_sent = 0;
};

class SimNetwork {
 public:
  SimNetwork(Simulator* sim, Random random);

  void set_default_profile(const LinkProfile& profile) { default_profile_ = profile; }
  const LinkProfile& default_profile() const { return default_profile_; }
  // Overrides the profile of the directed link from -> to.
  void SetLinkProfile(NodeId from, NodeId to, const LinkProfile& profile);
  const LinkProfile& profile(NodeId from, NodeId to) const;

  // ---- partitions ----
  void Block(NodeId from, NodeId to);
  void Unblock(NodeId from, NodeId to);
  bool blocked(NodeId from, NodeId to) const { return blocked_.contains({from, to}); }
  // No message passes between `a` and `b` in either direction.
  void PartitionSymmetric(const std::vector<NodeId>& a, const std::vector<NodeId>& b);
  // Messages from `from` to `to` are dropped; the other direction works.
  void PartitionOneWay(const std::vector<NodeId>& from, const std::vector<NodeId>& to);
  // `node` can neither send to nor receive from anyone.
  void Isolate(NodeId node);
  // Splits all processes at random into a minority and a majority, partitioned from each other.
  // Returns the minority.
  std::vector<NodeId> SplitMajorityMinority();
  // Splits all processes except `bridge` into two random halves that cannot talk to each other;
  // `bridge` talks to both (Jepsen's bridge). Returns the first half.
  std::vector<NodeId> Bridge(NodeId bridge);
  // Unblocks every link.
  void Heal();
  bool partitioned() const { return !blocked_.empty(); }
  const absl::btree_set<std::pair<NodeId, NodeId>>& blocked_links() const { return blocked_; }

  // ---- used by SimTransport and the simulator ----
  // INVALID_ARGUMENT for an unknown destination or a send to self; otherwise OK, whatever becomes
  // of the message.
  absl::Status Send(NodeId from, NodeId to, std::string payload);
  // Tells every peer that had a connection from `crashed` that it broke.
  void OnCrash(NodeId crashed);

  const NetworkStats& stats() const { return stats_; }

 private:
  Duration SampleLatency(const LinkProfile& p);
  // `h` is the payload's hash, computed once at send.
  void ScheduleDelivery(NodeId from, NodeId to, uint32_t incarnation, Duration latency,
                        std::string payload, uint64_t h);
  void Drop(NodeId from, NodeId to, DropReason reason, uint64_t payload_hash);
  void RecordPartitionChange(absl::string_view kind, uint64_t param);

  Simulator* sim_;
  Random random_;
  LinkProfile default_profile_;
  absl::btree_map<std::pair<NodeId, NodeId>, LinkProfile> link_profiles_;
  absl::btree_set<std::pair<NodeId, NodeId>> blocked_;
  // Latest scheduled delivery time per link, for FIFO order. Looked up, never iterated.
  absl::flat_hash_map<uint64_t, int64_t> last_delivery_ns_;
  NetworkStats stats_;
};

}  // namespace kv::sim
