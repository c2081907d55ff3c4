#include "tools/kvsim/scenario_file.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "workloads/kv/scenario_toml.h"

namespace kv::tools {

absl::StatusOr<workloads::Scenario> LoadScenarioFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read scenario file '", path, "'"));
  std::stringstream text;
  text << in.rdbuf();
  return workloads::ParseScenario(text.str(), path);
}

}  // namespace kv::tools
