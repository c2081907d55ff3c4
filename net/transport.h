// Messages between node processes. The simulator implements it over simulated links (latency, loss,
// reordering, duplication, partitions); the real runtime over TCP with length-prefixed frames.
//
// Delivery contract, the same in both worlds (it is what TCP gives a node that reconnects):
//  - Send is fire-and-forget: a sent message arrives at most once per copy sent... except that the
//    network may duplicate it (simulated fault; real reconnect-and-resend), may lose it, and may
//    delay it arbitrarily. Node code must tolerate loss, delay and duplicates (request ids, timeouts).
//  - Between connection events, messages from one peer arrive in the order sent unless the
//    simulator's reordering fault is on.
//  - kDisconnected(peer) says the connection to `peer` broke (it crashed or restarted, or the TCP
//    connection failed); messages in flight may be lost. kConnected(peer) comes before the first
//    message from a peer after a disconnection (or ever).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/time.h"

namespace kv {

using NodeId = uint32_t;
inline constexpr NodeId kNoNode = 0;

struct TransportEvent {
  enum class Kind : uint8_t { kMessage, kConnected, kDisconnected };
  Kind kind = Kind::kMessage;
  NodeId peer = kNoNode;
  std::string payload;  // kMessage only
};

const char* TransportEventKindName(TransportEvent::Kind kind);

class Transport {
 public:
  // Largest payload Send accepts.
  static constexpr size_t kMessageBytesMax = 16 << 20;
  // Received events queued beyond this are dropped (and counted), as a full socket buffer would.
  static constexpr size_t kInboxEventsMax = 65536;

  virtual ~Transport() = default;

  virtual NodeId self() const = 0;

  // Queues `payload` for `to`. Errors are local only: INVALID_ARGUMENT for a payload over
  // kMessageBytesMax or an unknown/self address. OK does not mean it will arrive.
  virtual absl::Status Send(NodeId to, std::string payload) = 0;

  // Suspends the calling fiber until an event arrives or `deadline` passes (DEADLINE_EXCEEDED).
  // REQUIRES: on a fiber of this process. One fiber receives at a time.
  virtual absl::StatusOr<TransportEvent> ReceiveUntil(MonoTime deadline) = 0;
};

}  // namespace kv
