// Scenario files: what a user writes is what runs, and every mistake is rejected with the file,
// the line and the reason before anything runs.
#include "workloads/kv/scenario_toml.h"

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace kv::workloads {
namespace {

std::string ErrorOf(absl::string_view text) {
  absl::StatusOr<Scenario> s = ParseScenario(text, "x.toml");
  EXPECT_FALSE(s.ok()) << "accepted:\n" << text;
  return s.ok() ? "" : std::string(s.status().message());
}

TEST(ScenarioTomlTest, ReadsEverySection) {
  absl::StatusOr<Scenario> s = ParseScenario(R"(
name = "t"
description = "d"
[cluster]
nodes = 6
weights = [1, 1, 2, 1, 1, 3]
n = 3
r = 1
w = 3
quorum = "strict"
partitions = 64
durability = "interval"
clock_skew = "250ms"
resolution = "lww"
[workload]
preset = "D"
clients = 7
loop = "open"
rate = 12.5
duration = "42s"
keys = 99
value_bytes = [10, 20]
ttl = ["1s", "3s"]
use_contexts = false
[[faults.script]]
at = "2s"
kind = "partition"
shape = "groups"
groups = [[1, 2], [3, 4, 5, 6]]
duration = "5s"
[[faults.script]]
at = "3s"
kind = "clock-jump"
node = 4
by = "-7s"
[faults.nemesis]
crash = 0
max_down = 2
[checks]
run = ["no-lost-writes", "convergence"]
)",
                                             "t.toml");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->cluster.nodes, 6);
  EXPECT_EQ(s->cluster.weights, (std::vector<uint32_t>{1, 1, 2, 1, 1, 3}));
  EXPECT_FALSE(s->cluster.sloppy);
  EXPECT_EQ(s->cluster.durability, storage::Durability::kInterval);
  EXPECT_EQ(s->cluster.clock_skew, absl::Milliseconds(250));
  EXPECT_EQ(s->cluster.resolution, storage::Resolution::kLastWriterWins);
  // Preset D: reads and inserts over the latest keys.
  EXPECT_EQ(s->workload.distribution, KeyDistribution::kLatest);
  EXPECT_DOUBLE_EQ(s->workload.mix.insert, 0.05);
  EXPECT_EQ(s->workload.loop, Loop::kOpen);
  EXPECT_DOUBLE_EQ(s->workload.rate, 12.5);
  EXPECT_EQ(s->workload.duration, absl::Seconds(42));
  EXPECT_EQ(s->workload.value_bytes_max, 20u);
  EXPECT_EQ(s->workload.ttl_max, absl::Seconds(3));
  EXPECT_FALSE(s->workload.use_contexts);
  ASSERT_EQ(s->script.size(), 2u);
  EXPECT_EQ(s->script[0].groups.size(), 2u);
  EXPECT_EQ(s->script[1].by, absl::Seconds(-7));
  EXPECT_EQ(s->script[1].node, 4u);
  EXPECT_TRUE(s->nemesis.enabled);
  EXPECT_EQ(s->nemesis.crash, 0);
  EXPECT_EQ(s->nemesis.max_down, 2u);
  EXPECT_EQ(s->checks.run.size(), 2u);
}

TEST(ScenarioTomlTest, AFileWithoutANemesisTableInjectsOnlyItsScript) {
  absl::StatusOr<Scenario> s = ParseScenario("[cluster]\nnodes = 3\n", "t.toml");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->nemesis.enabled);
  EXPECT_TRUE(s->script.empty());
}

TEST(ScenarioTomlTest, UnknownKeysAreRejectedWithTheirLine) {
  EXPECT_EQ(ErrorOf("[cluster]\nnodes = 5\nnodez = 3\n"), "x.toml:3: cluster.nodez: unknown key");
  EXPECT_EQ(ErrorOf("[clusters]\nnodes = 5\n"), "x.toml:1: clusters: unknown key");
  EXPECT_EQ(ErrorOf("[[faults.script]]\nat = \"1s\"\nkind = \"crash\"\nnode = 1\nwhen = 2\n"),
            "x.toml:5: faults.script[0].when: unknown key");
}

TEST(ScenarioTomlTest, WrongTypesAreRejectedWithTheirLine) {
  EXPECT_EQ(ErrorOf("[cluster]\n\nnodes = \"five\"\n"),
            "x.toml:3: cluster.nodes: expected an integer, got a string");
  EXPECT_EQ(ErrorOf("[workload]\nduration = 30\n"),
            "x.toml:2: workload.duration: expected a duration string such as \"500ms\" or "
            "\"2s\", got an integer");
  EXPECT_EQ(ErrorOf("[workload]\nduration = \"30 seconds\"\n"),
            "x.toml:2: workload.duration: cannot read '30 seconds' as a duration (examples: "
            "\"250ms\", \"3s\", \"2m\")");
  EXPECT_EQ(ErrorOf("[cluster]\nquorum = \"loose\"\n"),
            "x.toml:2: cluster.quorum: unknown value 'loose'; expected 'sloppy', 'strict'");
}

TEST(ScenarioTomlTest, ImpossibleSettingsAreRejectedWithTheLineThatSetThem) {
  EXPECT_EQ(ErrorOf("[cluster]\nnodes = 5\nn = 3\nw = 4\n"),
            "x.toml:4: cluster.w: W must be 1..N; got W=4 with N=3");
  EXPECT_EQ(ErrorOf("[cluster]\nnodes = 2\n"),
            "x.toml:1: cluster.n: N=3 needs at least 3 nodes, got 2");
  EXPECT_EQ(ErrorOf("[cluster]\nnodes = 3\n[faults.nemesis]\nmax_down = 3\n"),
            "x.toml:4: faults.nemesis.max_down: 3 would let all 3 nodes be down at once");
  EXPECT_EQ(ErrorOf("[cluster]\nnodes = 3\n[[faults.script]]\nat = \"1s\"\nkind = \"crash\"\nnode = 4\n"),
            "x.toml:6: faults.script[0].node: 'crash' event: must name a node 1..3, got 4");
  EXPECT_EQ(ErrorOf("[workload]\nduration = \"10s\"\n[[faults.script]]\nat = \"11s\"\nkind = \"heal\"\n"),
            "x.toml:4: faults.script[0].at: 'heal' event: 11s is after the workload ends (duration 10s)");
  EXPECT_EQ(ErrorOf("[checks]\nrun = [\"linearizable\"]\n"),
            "x.toml:2: checks.run: unknown checker 'linearizable'; checkers: no-lost-writes, "
            "convergence, siblings, deletes-and-expiry, read-your-writes, hints-drained");
  EXPECT_EQ(ErrorOf("[cluster]\nnodes = 3\n[[faults.script]]\nat = \"2s\"\nkind = \"restore\"\n"
                    "node = 2\n[[faults.script]]\nat = \"3s\"\nkind = \"backup\"\nnode = 2\n"),
            "x.toml:4: faults.script[0].at: 'restore' event: no backup of node 2 before 2s to "
            "restore from");
  EXPECT_EQ(ErrorOf("[cluster]\nnodes = 3\n[[cluster.namespace]]\nname = \"big\"\nn = 4\nr = 1\n"
                    "w = 1\n"),
            "x.toml:3: cluster.namespace[0]: N=4 needs at least 4 nodes, got 3");
  EXPECT_EQ(ErrorOf("[[cluster.namespace]]\nname = \"a\"\nn = 2\nr = 3\nw = 1\n"),
            "x.toml:1: cluster.namespace[0]: namespace 'a': need 1 <= R, W <= N; got N=2 R=3 W=1");
  EXPECT_EQ(ErrorOf("[[cluster.namespace]]\nname = \"a\"\nn = 1\nr = 1\nw = 1\n"
                    "[[cluster.namespace]]\nname = \"a\"\nn = 2\nr = 1\nw = 1\n"),
            "x.toml:6: cluster.namespace[1]: namespace 'a' is defined twice");
  EXPECT_EQ(ErrorOf("[[cluster.namespace]]\nname = \"a\"\nn = 1\nr = 1\nw = 1\nreplicas = 2\n"),
            "x.toml:6: cluster.namespace[0].replicas: unknown key");
  EXPECT_EQ(ErrorOf("[workload]\npreset = \"E\"\n"),
            "x.toml:2: workload.preset: unknown YCSB preset 'E': expected A, B, C, D or F (E "
            "needs range scans, which a Dynamo store does not offer)");
}

TEST(ScenarioTomlTest, BrokenTomlNamesTheLine) {
  const std::string error = ErrorOf("[cluster]\nnodes = = 5\n");
  EXPECT_EQ(error.rfind("x.toml:2: not valid TOML: ", 0), 0u) << error;
}

TEST(ScenarioTomlTest, WritingAScenarioAndReadingItBackGivesTheSameScenario) {
  absl::StatusOr<Scenario> s = ParseScenario(R"(
name = "round trip"
[cluster]
nodes = 4
weights = [1, 2, 1, 1]
clock_drift_ppm = 20
[workload]
preset = "F"
value_bytes = 100
[[faults.script]]
at = "1s"
kind = "disk-faults"
node = 2
duration = "2s"
error_probability = 0.3
[[faults.script]]
at = "2s"
kind = "join"
[faults.nemesis]
pause = 0
[[cluster.namespace]]
name = "t1"
n = 2
r = 1
w = 2
quorum = "strict"
ttl = "90s"
siblings_max = 5
[checks]
expect_violation = ["siblings"]
)",
                                             "t.toml");
  ASSERT_TRUE(s.ok()) << s.status();
  const std::string text = ScenarioToToml(*s);
  absl::StatusOr<Scenario> back = ParseScenario(text, "back.toml");
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << text;
  EXPECT_EQ(ScenarioToToml(*back), text);
  EXPECT_EQ(back->cluster.weights, s->cluster.weights);
  EXPECT_EQ(back->workload.value_bytes_min, 100u);
  ASSERT_EQ(back->script.size(), 2u);
  EXPECT_DOUBLE_EQ(back->script[0].error_probability, 0.3);
  EXPECT_EQ(back->script[1].kind, FaultEvent::Kind::kJoin);
  EXPECT_EQ(back->nemesis.pause, 0);
  EXPECT_EQ(back->checks.expect_violation, std::vector<std::string>{"siblings"});
  ASSERT_EQ(back->cluster.namespaces.size(), 1u);
  EXPECT_EQ(back->cluster.namespaces[0].DebugString(), s->cluster.namespaces[0].DebugString());
  EXPECT_EQ(back->cluster.namespaces[0].default_ttl_micros(), 90'000'000);
}

TEST(ScenarioTomlTest, TheFormatDocumentedInTheReadmeParses) {
  std::ifstream in(std::string(KV_SOURCE_DIR) + "/workloads/scenarios/README.md");
  ASSERT_TRUE(in);
  std::stringstream text;
  text << in.rdbuf();
  const std::string readme = text.str();
  const size_t start = readme.find("```toml\n");
  ASSERT_NE(start, std::string::npos);
  const size_t end = readme.find("```", start + 8);
  absl::StatusOr<Scenario> s = ParseScenario(readme.substr(start + 8, end - start - 8), "README.md");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->script.size(), 1u);
  EXPECT_TRUE(s->nemesis.enabled);
}

}  // namespace
}  // namespace kv::workloads
