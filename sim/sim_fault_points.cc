#include "sim/sim_fault_points.h"

namespace kv::sim {

SimFaultPoints::SimFaultPoints(uint64_t seed, bool enabled, Random random)
    : seed_(seed), enabled_(enabled), random_(std::move(random)) {}

bool SimFaultPoints::Fire(absl::string_view site) {
  site = FaultSiteName(site);
  auto it = sites_.find(site);
  if (it == sites_.end()) {
    SiteStats stats;
    const uint64_t h = StableHash(site, seed_);
    stats.enabled = static_cast<double>(h >> 11) * 0x1.0p-53 < kSiteEnabledProbability;
    it = sites_.emplace(std::string(site), stats).first;
  }
  SiteStats& stats = it->second;
  ++stats.reached;
  const bool fired = enabled_ && stats.enabled && random_.Bernoulli(kFireProbability);
  if (fired) ++stats.fired;
  if (observer_) observer_(site, fired);
  return fired;
}

void SimFaultPoints::Sometimes(absl::string_view site, bool held) {
  // Counted only: a "sometimes" condition never changes what the run does.
  SiteStats& stats = sites_[FaultSiteName(site)];
  ++stats.reached;
  if (held) ++stats.fired;
}

}  // namespace kv::sim
