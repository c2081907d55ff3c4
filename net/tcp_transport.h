// The real runtime's Transport: length-prefixed frames over TCP between node processes.
//
// Connections. Each node keeps one outbound connection per peer it sends to, used only for
// sending: a writer fiber per peer drains that peer's queue, (re)connecting with jittered
// exponential backoff while messages wait. Inbound connections are only read. So two nodes that
// talk both ways hold two connections, one each way.
//
// Delivery contract (net/transport.h), as this transport keeps it:
//  - Messages from one peer arrive in the order it sent them while its connection lasts. When a
//    connection breaks, the messages queued on it or in flight are lost; the peer's later
//    messages come on a new connection, after a connection event.
//  - Connection events for a peer alternate, starting with kConnected. kConnected(peer) comes when
//    a connection with the peer (either way) completes its handshake, and at the latest before its
//    first message. kDisconnected(peer) comes when any established connection with the peer
//    breaks: end of stream or error (the peer crashed, restarted or stopped), a write timeout, an
//    invalid frame, or a newer inbound connection from the same node replacing the old one.
//  - Loss is part of the contract: Send returns OK and drops the message (counted in stats) when
//    the peer's queue is over `peer_queue_bytes_max`, and a queued message older than
//    `message_age_max` when its turn comes is dropped (its sender gave up long ago). Received
//    events beyond Transport::kInboxEventsMax are dropped and counted.
//
// Wire format. Every frame is a 4-byte little-endian payload length followed by the payload. A
// length over Transport::kMessageBytesMax closes the connection (logged, counted). The first frame
// each way is a handshake (at most kHandshakeBytesMax bytes); integers are little-endian, strings
// are a u16 length and bytes:
//   hello  (connector -> acceptor): "DKV1", u16 version (kWireVersion), u8 1, u32 sender node id,
//          u32 node id it wants to reach, string sender's listen address, string cluster secret.
//   accept (acceptor -> connector): "DKV1", u16 version, u8 2, u32 acceptor's node id.
//   reject (acceptor -> connector): "DKV1", u16 version, u8 3, string reason; then it closes.
// The acceptor rejects a hello with a wrong magic, version or cluster secret (compared in constant
// time), from node 0 or from its own id, or meant for another node id (a stale address). A node
// with a wrong secret never gets a message delivered. The secret travels in clear, like Redis AUTH:
// it keeps misconfigured or foreign processes out, not attackers; use on trusted networks only.
// The acceptor learns the connector's listen address from the hello (when it had none for that
// node; a wildcard host such as 0.0.0.0 is replaced by the connection's source address).
//
// Limits: a peer's queue (peer_queue_bytes_max); the inbox (kInboxEventsMax); inbound connections
// (inbound_connections_max; more are closed on accept); a hello must arrive within
// handshake_timeout; a frame that has started must finish within idle_timeout (a connection
// between frames may stay quiet: its peer is authenticated and holds one inbound connection).
//
// Threading: the process's AsioExecutor thread. Send, SetPeerAddress, PeerAddress, Stop and the
// accessors never suspend and may be called from fibers or executor tasks; ReceiveUntil suspends
// (one fiber at a time). The transport's fibers run on the FiberScheduler given to it and keep its
// internals alive until they have unwound, so the TcpTransport object itself may be destroyed
// right after Stop. REQUIRES: the executor, scheduler and logger outlive every fiber of the
// scheduler (as a Runtime's parts do).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/asio_executor.h"
#include "net/fiber.h"
#include "net/log.h"
#include "net/random.h"
#include "net/time.h"
#include "net/transport.h"

namespace kv {

struct TcpTransportOptions {
  NodeId self = kNoNode;
  // "host:port" to listen on; port 0 picks a free port (see listen_address()). Peers learn this
  // string from the hello, so listen on a routable address, not a wildcard, where possible.
  std::string listen_address = "127.0.0.1:0";
  // The same for every node of the cluster; may be empty (then every node uses the empty one).
  std::string cluster_secret;
  // Bytes queued for one peer and not yet written; a message beyond it is dropped (and counted).
  size_t peer_queue_bytes_max = size_t{64} << 20;
  // A queued message older than this when its turn to be written comes is dropped (and counted).
  Duration message_age_max = absl::Seconds(30);
  // Delay before reconnecting after a failed attempt: doubles from min up to max, each delay drawn
  // uniformly from [d/2, d] (the jitter keeps restarted clusters from reconnecting in lockstep).
  Duration reconnect_backoff_min = absl::Milliseconds(50);
  Duration reconnect_backoff_max = absl::Seconds(2);
  Duration connect_timeout = absl::Seconds(2);
  // For the hello to arrive (acceptor) and for its answer (connector).
  Duration handshake_timeout = absl::Seconds(2);
  // One write of queued frames must finish within this, or the peer is taken for hung and its
  // connection closed.
  Duration write_timeout = absl::Seconds(30);
  // An inbound frame that has started must finish within this, or the connection is closed.
  Duration idle_timeout = absl::Minutes(5);
  size_t inbound_connections_max = 1024;
};

struct TcpTransportStats {
  uint64_t frames_sent = 0;
  uint64_t bytes_sent = 0;  // payload bytes, without frame headers
  uint64_t frames_received = 0;
  uint64_t bytes_received = 0;
  uint64_t dropped_queue_full = 0;       // Send over peer_queue_bytes_max
  uint64_t dropped_stale = 0;            // queued longer than message_age_max
  uint64_t dropped_connection_lost = 0;  // being written when the connection broke
  uint64_t dropped_inbox_full = 0;       // received events beyond kInboxEventsMax
  uint64_t connects = 0;                 // outbound connections whose hello was accepted
  uint64_t connect_failures = 0;         // refused, timed out, or hello rejected by the peer
  uint64_t accepts = 0;                  // inbound connections whose hello this node accepted
  uint64_t handshakes_rejected = 0;      // inbound hellos rejected, malformed or missing
  uint64_t inbound_refused = 0;          // closed on accept: over inbound_connections_max
  uint64_t frames_oversized = 0;         // inbound length over the max: connection closed
  uint64_t frames_incomplete = 0;        // inbound frame unfinished after idle_timeout: closed
  uint64_t disconnects = 0;              // kDisconnected events reported
};

class TcpTransport final : public Transport {
 public:
  static constexpr char kMagic[4] = {'D', 'K', 'V', '1'};
  static constexpr uint16_t kWireVersion = 1;
  static constexpr size_t kHandshakeBytesMax = 4096;

  // REQUIRES: options.self != kNoNode; `fibers` is driven by `executor`.
  TcpTransport(AsioExecutor& executor, FiberScheduler& fibers, Logger& logger, Random random,
               TcpTransportOptions options);
  // Stops.
  ~TcpTransport() override;
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  // Listens on options.listen_address and spawns the accept loop. Errors name the address
  // ("cannot listen on 127.0.0.1:80: Permission denied"). REQUIRES: once; does not suspend.
  absl::Status Start();
  // Closes the listener and every connection, drops queued messages and cancels the transport's
  // fibers. Later Sends fail with FAILED_PRECONDITION; ReceiveUntil returns events already queued,
  // then waits for its deadline. Idempotent. REQUIRES: not on one of the transport's fibers.
  void Stop();

  // The bound address ("127.0.0.1:41234"; the actual port when listening on port 0). Empty
  // before Start.
  std::string listen_address() const;

  // Where to connect to reach `peer` (from the node's configuration and gossip). An address that
  // does not parse is ignored (and logged); ids 0 and self are ignored. A changed address is used
  // from the next connection attempt on (a waiting reconnect is tried at once).
  void SetPeerAddress(NodeId peer, std::string host_port);
  std::optional<std::string> PeerAddress(NodeId peer) const;

  const TcpTransportStats& stats() const;

  // Transport. Send: INVALID_ARGUMENT for a payload over kMessageBytesMax, for self or node 0, or
  // for a peer without an address ("no address for node 7"); FAILED_PRECONDITION before Start or
  // after Stop.
  NodeId self() const override;
  absl::Status Send(NodeId to, std::string payload) override;
  absl::StatusOr<TransportEvent> ReceiveUntil(MonoTime deadline) override;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace kv
