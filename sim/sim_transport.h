// The Transport of one simulated process incarnation: Send hands messages to the SimNetwork;
// delivered messages and connection events queue in a bounded inbox read by ReceiveUntil.
#pragma once

#include <string>

#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"
#include "net/channel.h"
#include "net/transport.h"

namespace kv::sim {

class SimNetwork;

class SimTransport final : public Transport {
 public:
  SimTransport(SimNetwork* network, NodeId self);

  NodeId self() const override { return self_; }
  absl::Status Send(NodeId to, std::string payload) override;
  absl::StatusOr<TransportEvent> ReceiveUntil(MonoTime deadline) override;

  // Called by the network. A kConnected event precedes the first message from a peer after a
  // disconnection. Returns false if the inbox was full (the message is dropped).
  bool DeliverMessage(NodeId from, std::string payload);
  // The connection to `peer` broke (it crashed); the next message from it reconnects.
  void DeliverDisconnect(NodeId peer);
  bool connected_to(NodeId peer) const { return connected_.contains(peer); }
  const absl::btree_set<NodeId>& connected_peers() const { return connected_; }
  size_t inbox_size() const { return inbox_.size(); }

 private:
  SimNetwork* network_;
  NodeId self_;
  absl::btree_set<NodeId> connected_;
  Channel<TransportEvent> inbox_;
};

}  // namespace kv::sim
