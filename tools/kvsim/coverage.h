// Coverage of rare paths across a sweep: for every fault point (KV_BUGGIFY) and "sometimes"
// condition (KV_SOMETIMES) compiled into the binary, in how many seeds it was reached and in how
// many it fired (buggify) or held (sometimes). The report lists those never reached: paths no
// seed of the sweep exercised.
#pragma once

#include <cstdint>
#include <string>

#include "absl/container/btree_map.h"
#include "nlohmann/json.hpp"
#include "sim/sim_fault_points.h"

namespace kv::tools {

// One run's sites as JSON: {"site": {"reached": n, "fired": m}, ...}.
nlohmann::json SitesJson(const absl::btree_map<std::string, sim::SimFaultPoints::SiteStats>& sites);

class CoverageTotals {
 public:
  // Adds one seed's SitesJson.
  void Add(const nlohmann::json& sites);
  // Every site compiled in, with the seeds that reached it and those where it fired or held;
  // then the sites never reached, and the sometimes-conditions that never held.
  std::string Report() const;

 private:
  struct Totals {
    uint64_t seeds_reached = 0;
    uint64_t seeds_fired = 0;
  };
  absl::btree_map<std::string, Totals> sites_;
  uint64_t seeds_ = 0;
};

}  // namespace kv::tools
