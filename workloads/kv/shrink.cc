#include "workloads/kv/shrink.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "workloads/kv/kv_world.h"

namespace kv::workloads {
namespace {

using Edit = std::function<bool(Scenario&)>;  // false: not applicable

struct Step {
  std::string name;
  Edit edit;
};

// Every simplification of `s`, most drastic first.
std::vector<Step> Steps(const Scenario& s) {
  std::vector<Step> steps;
  steps.push_back({"turn the random nemesis off", [](Scenario& x) {
                     if (!x.nemesis.enabled) return false;
                     x.nemesis.enabled = false;
                     return true;
                   }});
  const std::pair<const char*, double NemesisSpec::*> kinds[] = {
      {"partition", &NemesisSpec::partition}, {"crash", &NemesisSpec::crash},
      {"pause", &NemesisSpec::pause},         {"clock_jump", &NemesisSpec::clock_jump},
      {"disk", &NemesisSpec::disk}};
  for (const auto& [name, rate] : kinds) {
    steps.push_back({absl::StrCat("stop nemesis ", name, " faults"), [rate = rate](Scenario& x) {
                       if (!x.nemesis.enabled || x.nemesis.*rate == 0) return false;
                       x.nemesis.*rate = 0;
                       const NemesisSpec& n = x.nemesis;
                       return n.partition + n.crash + n.pause + n.clock_jump + n.disk > 0;
                     }});
  }
  for (size_t i = s.script.size(); i-- > 0;) {
    steps.push_back({absl::StrCat("remove scripted event ", i, " (",
                                  FaultEventKindName(s.script[i].kind), " at ",
                                  absl::FormatDuration(s.script[i].at), ")"),
                     [kind = s.script[i].kind, at = s.script[i].at](Scenario& x) {
                       // Indexes shift as events go: find the event by what it is.
                       for (size_t j = x.script.size(); j-- > 0;) {
                         if (x.script[j].kind == kind && x.script[j].at == at) {
                           x.script.erase(x.script.begin() + static_cast<std::ptrdiff_t>(j));
                           return true;
                         }
                       }
                       return false;
                     }});
  }
  steps.push_back({"turn buggify off", [](Scenario& x) {
                     if (!x.buggify) return false;
                     x.buggify = false;
                     return true;
                   }});
  steps.push_back({"halve the clients", [](Scenario& x) {
                     if (x.workload.clients <= 1) return false;
                     x.workload.clients /= 2;
                     return true;
                   }});
  steps.push_back({"halve the workload's duration", [](Scenario& x) {
                     if (x.workload.duration <= absl::Seconds(1)) return false;
                     const Duration half = x.workload.duration / 2;
                     for (const FaultEvent& e : x.script) {
                       if (e.at > half) return false;  // scripted events must stay inside
                     }
                     x.workload.duration = half;
                     return true;
                   }});
  steps.push_back({"halve the keys", [](Scenario& x) {
                     if (x.workload.keys <= 1) return false;
                     x.workload.keys /= 2;
                     return true;
                   }});
  steps.push_back({"halve the rate", [](Scenario& x) {
                     if (x.workload.rate <= 1) return false;
                     x.workload.rate /= 2;
                     return true;
                   }});
  const std::pair<const char*, double OperationMix::*> ops[] = {
      {"reads", &OperationMix::read},   {"updates", &OperationMix::update},
      {"inserts", &OperationMix::insert}, {"read-modify-writes", &OperationMix::read_modify_write},
      {"deletes", &OperationMix::remove}};
  for (const auto& [name, share] : ops) {
    steps.push_back({absl::StrCat("drop ", name), [share = share](Scenario& x) {
                       if (x.workload.mix.*share == 0) return false;
                       x.workload.mix.*share = 0;
                       x.workload.preset.clear();
                       return true;
                     }});
  }
  return steps;
}

}  // namespace

std::string FailingChecker(const Scenario& scenario, uint64_t seed, std::string* detail) {
  const KvWorldResult r = RunKvWorld(seed, scenario);
  const Verdict* v = r.first_failure();
  if (v == nullptr) return "";
  if (detail != nullptr) *detail = v->detail;
  return v->checker;
}

ShrinkResult Shrink(const Scenario& scenario, uint64_t seed, const std::string& checker,
                    const std::function<void(const std::string&, bool)>& log) {
  ShrinkResult result;
  result.scenario = scenario;
  result.checker = checker;
  // Repeat passes until no step helps: a later step can make an earlier one possible.
  for (bool progress = true; progress;) {
    progress = false;
    for (const Step& step : Steps(result.scenario)) {
      Scenario candidate = result.scenario;
      if (!step.edit(candidate) || !ValidateScenario(candidate).ok()) continue;
      ++result.runs;
      std::string detail;
      const bool still_fails = FailingChecker(candidate, seed, &detail) == checker;
      if (log) log(step.name, still_fails);
      if (!still_fails) continue;
      result.scenario = std::move(candidate);
      result.detail = detail;
      ++result.steps_kept;
      progress = true;
    }
  }
  if (result.detail.empty()) FailingChecker(result.scenario, seed, &result.detail);
  result.scenario.name = absl::StrCat(scenario.name, "-shrunk");
  result.scenario.description =
      absl::StrCat("shrunk from ", scenario.name, " seed ", seed, ": ", checker, " fails");
  return result;
}

}  // namespace kv::workloads
