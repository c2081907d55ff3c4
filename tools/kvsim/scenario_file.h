// Reads a scenario file from the real file system and parses it (workloads/kv/scenario_toml.h).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "workloads/kv/scenario.h"

namespace kv::tools {

// NOT_FOUND if the file cannot be read; INVALID_ARGUMENT "<path>:<line>: <reason>" if it is not
// a valid scenario.
absl::StatusOr<workloads::Scenario> LoadScenarioFile(const std::string& path);

}  // namespace kv::tools
