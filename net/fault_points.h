// Fault points ("buggify", after FoundationDB): node code names a rare path the simulator may take,
//
//   if (KV_BUGGIFY(rt)) { timeout = absl::Milliseconds(1); }  // exercise the early-timeout path
//
// In a simulated run each site is switched on or off once per run by the seed, and an enabled site
// then fires with a small probability each time it is reached. In real mode it never fires. Sites
// are named by file and line; the simulator counts how often each was reached and fired.
//
// "Sometimes" conditions (after Antithesis) name a rare situation the tests should reach, without
// changing behaviour:
//
//   KV_SOMETIMES(rt_, siblings.size() > 1);  // a read that returns siblings
//
// The simulator counts how often each was evaluated and held; `kvsim swarm` lists every site
// compiled into the binary that a sweep never reached (or whose condition never held).
//
// Both macros register their site in the binary's "kv_fault_sites" section at compile time, so
// the list of all sites is known without running them. Use them in function bodies in .cc files
// (not in inline functions or templates in headers: GCC rejects those with "section type
// conflict").
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace kv {

// One KV_BUGGIFY or KV_SOMETIMES site.
struct FaultSite {
  const char* name;  // __FILE__ ":" __LINE__
  const char* kind;  // "buggify" or "sometimes"
};

// A site's name without directories ("coordinator.cc:120"): the same on every machine.
absl::string_view FaultSiteName(absl::string_view site);

// Every site compiled into this binary, by name (directories stripped), in name order.
std::vector<std::pair<std::string, std::string>> AllFaultSites();

class FaultPoints {
 public:
  virtual ~FaultPoints() = default;
  // True when the rare path at `site` should be taken now.
  virtual bool Fire(absl::string_view site) = 0;
  // The "sometimes" condition at `site` was evaluated; `held` tells whether it was true.
  virtual void Sometimes(absl::string_view site, bool held) {}
};

// Never fires. The real runtime's fault points.
class NoFaultPoints final : public FaultPoints {
 public:
  bool Fire(absl::string_view) override { return false; }
};

}  // namespace kv

#define KV_BUGGIFY_STR2(x) #x
#define KV_BUGGIFY_STR(x) KV_BUGGIFY_STR2(x)
// Registers a site of `kind` and evaluates to its name.
#define KV_FAULT_SITE_(kind)                                                              \
  ([]() -> const char* {                                                                  \
    static const ::kv::FaultSite kv_site __attribute__((used, section("kv_fault_sites"))) = \
        {__FILE__ ":" KV_BUGGIFY_STR(__LINE__), kind};                                    \
    return kv_site.name;                                                                  \
  }())
// `rt` is a kv::Runtime (or anything with fault_points()).
#define KV_BUGGIFY(rt) ((rt).fault_points().Fire(KV_FAULT_SITE_("buggify")))
#define KV_SOMETIMES(rt, condition) \
  ((rt).fault_points().Sometimes(KV_FAULT_SITE_("sometimes"), static_cast<bool>(condition)))
