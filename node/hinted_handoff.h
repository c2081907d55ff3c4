// Hinted handoff (Dynamo section 4.6): a node that stood in for a primary delivers the hints it
// keeps once the primary is reachable again, and deletes each hint only after the primary
// acknowledged it (and only if no newer write merged into the hint meanwhile).
//
// Every `interval`, for each node with hints that membership says is alive, up to `batch` hints
// are sent, one replica write each. Hints older than `window` are dropped instead (counted):
// anti-entropy repairs what they held. Progress is observable through stats().
#pragma once

#include <cstdint>

#include "net/runtime.h"
#include "node/membership.h"
#include "node/rpc.h"
#include "storage/engine/engine.h"

namespace kv::node {

struct HandoffOptions {
  Duration interval = absl::Seconds(1);
  size_t batch = 256;
  Duration window = absl::Minutes(30);
  Duration timeout = absl::Seconds(1);
};

struct HandoffStats {
  uint64_t delivered = 0;
  uint64_t failed = 0;
  uint64_t expired = 0;
  uint64_t rounds = 0;
};

class HintedHandoff {
 public:
  HintedHandoff(Runtime& rt, RpcEndpoint& rpc, Membership& membership, storage::Engine& engine,
                HandoffOptions options);
  // Spawns the delivery fiber.
  void Start();
  // One delivery pass (also what the fiber runs). REQUIRES: on a fiber.
  void DeliverOnce();

  const HandoffStats& stats() const { return stats_; }

 private:
  void Deliver(const storage::Hint& hint);

  Runtime& rt_;
  RpcEndpoint& rpc_;
  Membership& membership_;
  storage::Engine& engine_;
  HandoffOptions options_;
  HandoffStats stats_;
};

}  // namespace kv::node
