// Scenario files: TOML in (the tools read the file; see tools/kvsim/scenario_file.h), Scenario out (and back, for `kvsim shrink`). The format is documented
// in workloads/scenarios/README.md. Every error names the file, the line and the reason
// ("scenarios/x.toml:12: cluster.w: W must be 1..N; got W=4 with N=3"): an unknown key, a wrong
// type, a value out of range or an impossible combination (ValidateScenario) is rejected, and
// nothing runs.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "workloads/kv/scenario.h"

namespace kv::workloads {

// Parses `text`; `source_name` labels errors and becomes Scenario::source.
absl::StatusOr<Scenario> ParseScenario(absl::string_view text, absl::string_view source_name);

// The scenario as TOML that ParseScenario reads back to an equal scenario.
std::string ScenarioToToml(const Scenario& scenario);

}  // namespace kv::workloads
