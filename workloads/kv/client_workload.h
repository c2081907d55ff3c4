// The clients of the key-value world: each runs the scenario's operation mix against random
// coordinators, closed loop (one operation at a time, exponential think time) or open loop
// (Poisson arrivals, operations overlap), keeping a session (the context of its last read or
// write of each key) and recording every operation in the history. Values are unique per write
// ("c<client>-<n>", padded to the drawn size after a '.'), so a value read names its write.
#pragma once

#include <cstdint>
#include <vector>

#include "net/runtime.h"
#include "node/client.h"
#include "workloads/kv/history.h"
#include "workloads/kv/key_chooser.h"
#include "workloads/kv/scenario.h"

namespace kv::workloads {

// What the clients of one run share. Outlives every client fiber.
struct SharedWorkload {
  SharedWorkload(const Scenario& s, KvHistory* h, const std::vector<NodeId>* nodes);

  const Scenario& scenario;
  KvHistory* history;
  const std::vector<NodeId>* coordinators;  // nodes a client may send to (grows with joins)
  KeyChooser keys;
  bool stop = false;
};

// Client `index`'s loop, until shared.stop. REQUIRES: on a fiber of `rt`.
void RunClient(Runtime& rt, node::KvClient& client, uint32_t index, SharedWorkload& shared);

// The value id inside a stored value (the part before the padding).
absl::string_view ValueId(absl::string_view stored);

// Appends to `final` the live siblings of `merged` (every replica's record of a key, merged) as
// of `wall_micros`: value ids, dots, expiries and write times.
void AddLiveValues(const storage::Record& merged, int64_t wall_micros, KeyFinal* final);

}  // namespace kv::workloads
