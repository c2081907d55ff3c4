// The demo world's node: the simulator's own demonstration workload, until the Dynamo node exists.
// Each node recovers its segmented log, then appends acknowledged records to it (append + fsync),
// and pings random peers with request ids and timeouts. It exercises every seam: fibers, futures
// with deadlines, the transport (with connection events), the disk (fsync discipline, checksums,
// recovery after torn writes and bit flips) and the random stream.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/container/btree_map.h"
#include "net/future.h"
#include "net/runtime.h"
#include "sim/simulator.h"
#include "storage/file_system.h"
#include "workloads/demo/demo_history.h"
#include "workloads/demo/segment_log.h"

namespace kv::demo {

struct DemoNodeOptions {
  Duration append_interval_mean = absl::Milliseconds(50);
  Duration ping_interval_mean = absl::Milliseconds(20);
  Duration ping_timeout = absl::Milliseconds(100);
  // Deliberate nondeterminism, to prove the determinism checks catch it. Never set in real runs.
  enum class Nondeterminism { kNone, kHashOrder, kExternal };
  Nondeterminism inject = Nondeterminism::kNone;
  // kExternal: a value from outside the simulation (the tool passes the real clock).
  std::function<uint64_t()> external_entropy;
};

class DemoNode final : public sim::ProcessApp {
 public:
  // `history` and `options` must outlive the node. `peers` excludes this node.
  DemoNode(Runtime& rt, storage::FileSystem& fs, DemoHistory* history,
           const DemoNodeOptions* options, std::vector<NodeId> peers);

 private:
  void Main();
  bool RecoverLog();
  void Writer();
  void Pinger();
  void Receiver();
  NodeId ChoosePeer();

  Runtime& rt_;
  DemoHistory* history_;
  const DemoNodeOptions* options_;
  std::vector<NodeId> peers_;
  SegmentLog log_;
  uint64_t next_ping_id_ = 1;
  absl::btree_map<uint64_t, Promise<Unit>> pending_pings_;
};

}  // namespace kv::demo
