// Request/reply RPC between nodes over the transport (net/transport.h).
//
//   RpcEndpoint rpc(rt, options);
//   rpc.Register("kv.get", [](NodeId from, absl::string_view body) -> absl::StatusOr<std::string> {
//     ...; return reply_bytes; });
//   rpc.Start();
//   absl::StatusOr<std::string> reply = rpc.Call(peer, "kv.get", request_bytes, absl::Seconds(1));
//
// Contract:
//  - Call suspends the calling fiber until the reply or the timeout (DEADLINE_EXCEEDED, naming the
//    peer and method). A reply that arrives after the timeout, a duplicated reply, or a reply to an
//    id this endpoint never used is dropped (and counted).
//  - A request runs its handler on a fiber of its own; the handler's status travels back as the
//    reply's status. An unknown method gets UNIMPLEMENTED; past `handlers_max` concurrent handlers
//    a request gets RESOURCE_EXHAUSTED at once (load shedding, never an unbounded queue).
//  - The network may duplicate a request: handlers must be idempotent (node writes are merges of
//    dotted version vectors, which are).
//  - Frames that do not parse are dropped and counted; nothing crashes on bad input.
// Threading: all on the runtime's fibers. Start() spawns the receive loop; it runs until the
// process stops.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "net/future.h"
#include "net/runtime.h"

namespace kv::node {

struct RpcOptions {
  // Most requests handled at once; more are refused with RESOURCE_EXHAUSTED.
  size_t handlers_max = 1024;
  // Most calls waiting for replies at once; more fail at once with RESOURCE_EXHAUSTED.
  size_t calls_max = 65536;
};

struct RpcStats {
  uint64_t calls = 0;
  uint64_t calls_timed_out = 0;
  uint64_t requests_handled = 0;
  uint64_t requests_shed = 0;
  uint64_t replies_dropped = 0;  // late, duplicated or unknown
  uint64_t frames_malformed = 0;
  uint64_t connection_events = 0;
};

class RpcEndpoint {
 public:
  using Handler =
      std::function<absl::StatusOr<std::string>(NodeId from, absl::string_view body)>;
  // Called (on the receive fiber; must not block) for kConnected/kDisconnected events.
  using ConnectionObserver = std::function<void(const TransportEvent& event)>;

  RpcEndpoint(Runtime& rt, RpcOptions options = {});
  RpcEndpoint(const RpcEndpoint&) = delete;
  RpcEndpoint& operator=(const RpcEndpoint&) = delete;

  // REQUIRES: before Start; one handler per method.
  void Register(std::string method, Handler handler);
  void set_connection_observer(ConnectionObserver observer) { observer_ = std::move(observer); }
  // Spawns the receive loop. REQUIRES: once.
  void Start();

  // REQUIRES: on a fiber; `to` is not this node.
  absl::StatusOr<std::string> Call(NodeId to, absl::string_view method, std::string body,
                                   Duration timeout);

  const RpcStats& stats() const { return stats_; }

 private:
  void ReceiveLoop();
  // `handler` is the method's (nullptr: unknown); `method` and `body` view the request frame,
  // which the handler's fiber owns.
  void HandleRequest(NodeId from, uint64_t id, const Handler* handler, absl::string_view method,
                     absl::string_view body);
  void SendReply(NodeId to, uint64_t id, const absl::StatusOr<std::string>& result);

  Runtime& rt_;
  RpcOptions options_;
  absl::btree_map<std::string, Handler> handlers_;
  ConnectionObserver observer_;
  uint64_t next_id_;
  // Calls waiting for replies, by request id. Hashed, for lookups only: never iterated, and
  // empty whenever it is destroyed (each entry belongs to a Call on a fiber, which removes it
  // when it returns or unwinds), so its order never decides anything.
  using PendingCalls = absl::flat_hash_map<uint64_t, Promise<std::string>>;
  PendingCalls pending_;
  size_t handlers_running_ = 0;
  bool started_ = false;
  RpcStats stats_;
};

}  // namespace kv::node
