#include "workloads/kv/swarm.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "net/random.h"

namespace kv::workloads {

Scenario SwarmVariant(const Scenario& scenario, uint64_t seed) {
  Scenario s = scenario;
  Random random = Random(seed).Fork("swarm");
  NemesisSpec& n = s.nemesis;
  n.enabled = true;
  double* kinds[] = {&n.partition, &n.crash, &n.pause, &n.clock_jump, &n.disk};
  bool any = false;
  for (double* rate : kinds) {
    *rate = random.Bernoulli(0.5) ? 0.5 + random.NextDouble() * 1.5 : 0;
    any = any || *rate > 0;
  }
  if (!any) *kinds[random.Uniform(5)] = 1;
  n.mean_interval = absl::Milliseconds(250 + random.Uniform(1750));
  n.partition_mean = absl::Milliseconds(500 + random.Uniform(5500));
  n.downtime_mean = absl::Milliseconds(500 + random.Uniform(4500));
  n.pause_mean = absl::Milliseconds(100 + random.Uniform(1900));
  n.clock_jump_max = absl::Milliseconds(100 + random.Uniform(20'000));
  n.disk_fault_window = absl::Milliseconds(250 + random.Uniform(3750));
  const uint64_t most_down = std::max<int>(1, (s.cluster.nodes - 1) / 2);
  n.max_down = 1 + random.Uniform(std::min<uint64_t>(most_down, 2));
  s.buggify = random.Bernoulli(0.5);
  s.name = absl::StrCat(scenario.name, " (swarm)");
  return s;
}

std::string DescribeSwarmKnobs(const Scenario& s) {
  const NemesisSpec& n = s.nemesis;
  std::vector<std::string> kinds;
  if (n.partition > 0) kinds.push_back("partition");
  if (n.crash > 0) kinds.push_back("crash");
  if (n.pause > 0) kinds.push_back("pause");
  if (n.clock_jump > 0) kinds.push_back("clock-jump");
  if (n.disk > 0) kinds.push_back("disk");
  return absl::StrFormat("%s; a fault every %s on average; max_down %d; buggify %s",
                         absl::StrJoin(kinds, " "), absl::FormatDuration(n.mean_interval),
                         n.max_down, s.buggify ? "on" : "off");
}

}  // namespace kv::workloads
