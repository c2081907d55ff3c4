// Every shipped scenario (workloads/scenarios/*.toml) is a property test: it runs over a number
// of seeds and every checker must pass, except those the scenario exists to show failing, which
// must fail on at least one seed (the LWW scenario must really lose updates). A failure prints
// the seed and the kvsim command that reproduces it. KV_SEEDS=<n> runs more seeds (long mode).
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "support/seeds.h"
#include "workloads/kv/kv_world.h"
#include "workloads/kv/scenario_toml.h"

namespace kv::workloads {
namespace {

const std::string kDir = std::string(KV_SOURCE_DIR) + "/workloads/scenarios";

std::vector<std::string> ScenarioNames() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(kDir)) {
    if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class ShippedScenarioTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ShippedScenarioTest, PassesItsCheckersOverManySeeds) {
  const std::string path = absl::StrCat(kDir, "/", GetParam(), ".toml");
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<Scenario> scenario = ParseScenario(text.str(), path);
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  // The 64-node cluster costs ~10 small scenarios per seed.
  const bool large = scenario->cluster.nodes > 16;
  const int seeds = kv::testing::PropertySeeds(large ? 2 : 8, large ? 0 : 1);
  if (seeds == 0) GTEST_SKIP() << "too slow under the sanitizers; the release build runs it";
  absl::btree_map<std::string, int> expected_failures;
  for (int i = 0; i < seeds; ++i) {
    const uint64_t seed = 1 + i;
    const KvWorldResult r = RunKvWorld(seed, *scenario);
    for (const Verdict& v : r.verdicts) {
      if (v.expected_violation) {
        expected_failures[v.checker] += v.passed ? 0 : 1;
        continue;
      }
      if (!v.passed) {
        ADD_FAILURE() << v.checker << ": " << v.detail << "\nreproduce: build/release/tools/kvsim run "
                      << "workloads/scenarios/" << GetParam() << ".toml --seed " << seed;
        return;
      }
    }
    EXPECT_GT(r.puts_ok + r.gets_ok, 0u) << "seed " << seed << ": no operation succeeded";
  }
  for (const std::string& checker : scenario->checks.expect_violation) {
    EXPECT_GT(expected_failures[checker], 0)
        << "the scenario exists to show '" << checker << "' failing, yet it passed on all "
        << seeds << " seeds";
  }
}

INSTANTIATE_TEST_SUITE_P(Scenarios, ShippedScenarioTest, ::testing::ValuesIn(ScenarioNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace kv::workloads
