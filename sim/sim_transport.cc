#include "sim/sim_transport.h"

#include <utility>

#include "sim/sim_network.h"

namespace kv::sim {

SimTransport::SimTransport(SimNetwork* network, NodeId self)
    : network_(network), self_(self), inbox_(kInboxEventsMax) {}

absl::Status SimTransport::Send(NodeId to, std::string payload) {
  if (payload.size() > kMessageBytesMax) {
    return absl::InvalidArgumentError(absl::StrCat("message of ", payload.size(),
                                                   " bytes exceeds the limit of ",
                                                   kMessageBytesMax));
  }
  return network_->Send(self_, to, std::move(payload));
}

absl::StatusOr<TransportEvent> SimTransport::ReceiveUntil(MonoTime deadline) {
  return inbox_.ReceiveUntil(deadline);
}

bool SimTransport::DeliverMessage(NodeId from, std::string payload) {
  const bool needs_connect = !connected_.contains(from);
  if (inbox_.size() + (needs_connect ? 2 : 1) > inbox_.capacity()) return false;
  if (needs_connect) {
    connected_.insert(from);
    inbox_.TrySend(TransportEvent{TransportEvent::Kind::kConnected, from, {}});
  }
  inbox_.TrySend(TransportEvent{TransportEvent::Kind::kMessage, from, std::move(payload)});
  return true;
}

void SimTransport::DeliverDisconnect(NodeId peer) {
  if (connected_.erase(peer) == 0) return;
  inbox_.TrySend(TransportEvent{TransportEvent::Kind::kDisconnected, peer, {}});
}

}  // namespace kv::sim
