// Fault points ("buggify") in the simulator. Each site (file:line, directories stripped so a site
// hashes the same on every machine) is enabled or not once per run, decided by hashing the root seed
// with the site; an enabled site fires with kFireProbability each time it is reached. Counts of
// reached and fired per site feed the coverage report ("which rare paths never ran").
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/container/btree_map.h"
#include "net/fault_points.h"
#include "net/random.h"

namespace kv::sim {

class SimFaultPoints final : public FaultPoints {
 public:
  static constexpr double kSiteEnabledProbability = 0.25;
  static constexpr double kFireProbability = 0.25;

  struct SiteStats {
    bool enabled = false;
    uint64_t reached = 0;
    uint64_t fired = 0;  // buggify: fired; sometimes: the condition held
  };

  SimFaultPoints(uint64_t seed, bool enabled, Random random);

  bool Fire(absl::string_view site) override;
  void Sometimes(absl::string_view site, bool held) override;

  void set_enabled(bool enabled) { enabled_ = enabled; }
  bool enabled() const { return enabled_; }
  // Sites reached so far (buggify and sometimes), by name.
  const absl::btree_map<std::string, SiteStats>& sites() const { return sites_; }

  // Called on every firing (the simulator traces it).
  void set_observer(std::function<void(absl::string_view site, bool fired)> observer) {
    observer_ = std::move(observer);
  }

 private:
  uint64_t seed_;
  bool enabled_;
  Random random_;
  absl::btree_map<std::string, SiteStats> sites_;
  std::function<void(absl::string_view, bool)> observer_;
};

}  // namespace kv::sim
