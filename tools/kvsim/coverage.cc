#include "tools/kvsim/coverage.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "net/fault_points.h"

namespace kv::tools {

nlohmann::json SitesJson(const absl::btree_map<std::string, sim::SimFaultPoints::SiteStats>& sites) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, stats] : sites) {
    out[name] = {{"reached", stats.reached}, {"fired", stats.fired}};
  }
  return out;
}

void CoverageTotals::Add(const nlohmann::json& sites) {
  ++seeds_;
  for (const auto& [name, stats] : sites.items()) {
    Totals& t = sites_[name];
    if (stats.value("reached", 0) > 0) ++t.seeds_reached;
    if (stats.value("fired", 0) > 0) ++t.seeds_fired;
  }
}

std::string CoverageTotals::Report() const {
  std::string out = absl::StrFormat("rare paths over %d seeds (seeds reached / seeds fired or held)\n",
                                    seeds_);
  std::vector<std::string> never_reached, never_held;
  for (const auto& [name, kind] : AllFaultSites()) {
    auto it = sites_.find(name);
    const Totals t = it == sites_.end() ? Totals{} : it->second;
    absl::StrAppendFormat(&out, "  %-9s %-32s %6d / %d\n", kind, name, t.seeds_reached, t.seeds_fired);
    if (t.seeds_reached == 0) {
      never_reached.push_back(name);
    } else if (t.seeds_fired == 0 && kind == "sometimes") {
      never_held.push_back(name);
    }
  }
  absl::StrAppend(&out, "never reached: ",
                  never_reached.empty() ? "none" : absl::StrJoin(never_reached, " "), "\n");
  absl::StrAppend(&out, "sometimes-conditions that never held: ",
                  never_held.empty() ? "none" : absl::StrJoin(never_held, " "), "\n");
  return out;
}

}  // namespace kv::tools
