// The transport of a process that talks to no peer (a benchmark, a one-node tool): Send refuses
// with FAILED_PRECONDITION, ReceiveUntil waits until the deadline.
#pragma once

#include "net/fiber.h"
#include "net/transport.h"

namespace kv {

class NullTransport final : public Transport {
 public:
  explicit NullTransport(NodeId self) : self_(self) {}
  NodeId self() const override { return self_; }
  absl::Status Send(NodeId, std::string) override {
    return absl::FailedPreconditionError("this process has no network");
  }
  absl::StatusOr<TransportEvent> ReceiveUntil(MonoTime deadline) override {
    FiberSleepUntil(deadline);
    return absl::DeadlineExceededError("no network: nothing to receive");
  }

 private:
  NodeId self_;
};

}  // namespace kv
