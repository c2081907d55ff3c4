// Fault points ("buggify", after FoundationDB): node code names a rare path the simulator may take,
//
//   if (KV_BUGGIFY(rt)) { timeout = absl::Milliseconds(1); }  // exercise the early-timeout path
//
// In a simulated run each site is switched on or off once per run by the seed, and an enabled site
// then fires with a small probability each time it is reached. In real mode it never fires. Sites
// are named by file and line; the simulator counts how often each was reached and fired.
#pragma once

#include "absl/strings/string_view.h"

namespace kv {

class FaultPoints {
 public:
  virtual ~FaultPoints() = default;
  // True when the rare path at `site` should be taken now.
  virtual bool Fire(absl::string_view site) = 0;
};

// Never fires. The real runtime's fault points.
class NoFaultPoints final : public FaultPoints {
 public:
  bool Fire(absl::string_view) override { return false; }
};

}  // namespace kv

#define KV_BUGGIFY_STR2(x) #x
#define KV_BUGGIFY_STR(x) KV_BUGGIFY_STR2(x)
// `rt` is a kv::Runtime (or anything with fault_points()).
#define KV_BUGGIFY(rt) ((rt).fault_points().Fire(__FILE__ ":" KV_BUGGIFY_STR(__LINE__)))
