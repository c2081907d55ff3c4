// `kvsim run --real`: a scenario's workload, faults and checkers against real kvnode processes.
// The same client code and checkers as the simulator, on real TCP, real disks and real clocks: a
// run with crashes, a pause and a join passes; last-writer-wins visibly loses writes (the checker
// catches it on a real history); the command line reports, and refuses simulator-only flags.
// Real time: nothing here is deterministic, so the assertions hold for any interleaving.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "support/seeds.h"
#include "support/shell.h"
#include "tools/realcluster/real_world.h"
#include "workloads/kv/scenario.h"

namespace kv::realcluster {
namespace {

using workloads::FaultEvent;
using workloads::Scenario;

std::string Binary(const std::string& name) {
  return absl::StrCat(KV_BINARY_DIR, "/tools/", name);
}

std::string RunDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = absl::StrCat(tmp ? tmp : "/tmp", "/dynkv-real-", name, "-", ::getpid());
  std::filesystem::remove_all(dir);
  return dir;
}

// A small, fast cluster: 3 nodes, short periods, few partitions, no simulator-only faults.
Scenario SmallScenario() {
  Scenario s;
  s.name = "real-test";
  s.cluster.nodes = 3;
  s.cluster.partitions = 16;
  s.cluster.gossip_interval = absl::Milliseconds(200);
  s.cluster.anti_entropy_interval = absl::Milliseconds(100);
  s.cluster.handoff_interval = absl::Milliseconds(200);
  s.workload.clients = 3;
  s.workload.rate = 40;
  s.workload.duration = absl::Seconds(6);
  s.workload.keys = 10;
  s.nemesis.enabled = false;
  s.buggify = false;
  s.checks.convergence_limit = absl::Seconds(60);
  return s;
}

FaultEvent Event(FaultEvent::Kind kind, absl::Duration at, NodeId node,
                 absl::Duration duration = absl::ZeroDuration()) {
  FaultEvent e;
  e.kind = kind;
  e.at = at;
  e.node = node;
  e.duration = duration;
  return e;
}

std::string Verdicts(const workloads::KvWorldResult& r) {
  std::string out;
  for (const workloads::Verdict& v : r.verdicts) {
    absl::StrAppend(&out, v.checker, v.passed ? " PASS " : " FAIL ", v.detail, "\n");
  }
  return out;
}

TEST(RealWorldTest, CrashesAPauseAndAJoinUnderLoadLoseNothingAndTheReplicasConverge) {
  Scenario s = SmallScenario();
  s.script = {Event(FaultEvent::Kind::kCrash, absl::Seconds(1), 2, absl::Milliseconds(1500)),
              Event(FaultEvent::Kind::kClockJump, absl::Seconds(2), 1),
              Event(FaultEvent::Kind::kPause, absl::Milliseconds(3500), 3, absl::Seconds(1)),
              Event(FaultEvent::Kind::kJoin, absl::Milliseconds(4500), kNoNode)};
  s.script[1].by = absl::Seconds(1);
  ASSERT_TRUE(workloads::ValidateScenario(s).ok()) << workloads::ValidateScenario(s);
  const std::string dir = RunDir("dvv");
  absl::StatusOr<RealWorldResult> result =
      RunRealWorld(11, s, {.kvnode_binary = Binary("kvnode"), .dir = dir});
  ASSERT_TRUE(result.ok()) << result.status();
  const workloads::KvWorldResult& r = result->world;

  EXPECT_TRUE(r.passed()) << Verdicts(r);
  EXPECT_EQ(r.verdicts.size(), workloads::CheckerNames().size());
  EXPECT_TRUE(r.converged);
  EXPECT_TRUE(result->unexpected_exits.empty()) << result->unexpected_exits.front();
  // Every fault real processes allow happened; the clock jump is named, not dropped.
  EXPECT_EQ(r.faults.count("crash") ? r.faults.at("crash") : 0, 1u);
  EXPECT_EQ(r.faults.count("restart") ? r.faults.at("restart") : 0, 1u);
  EXPECT_EQ(r.faults.count("pause") ? r.faults.at("pause") : 0, 1u);
  EXPECT_EQ(r.faults.count("join") ? r.faults.at("join") : 0, 1u);
  ASSERT_EQ(result->not_injected.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(result->not_injected[0], "clock-jump at 2s"))
      << result->not_injected[0];
  // The workload really ran against the cluster, and the final state covers every key written.
  EXPECT_GT(r.puts_ok, 50u);
  EXPECT_GT(r.gets_ok, 50u);
  EXPECT_EQ(r.finals.size(), r.keys_written);
  for (const auto& [key, final] : r.finals) {
    EXPECT_EQ(final.replicas_checked, 3u) << key;
    EXPECT_TRUE(final.replicas_agree) << key;
  }
  std::filesystem::remove_all(dir);
}

TEST(RealWorldTest, LastWriterWinsLosesConcurrentWritesAndTheCheckerCatchesIt) {
  if (kv::testing::kSanitizerBuild) {
    GTEST_SKIP() << "a whole real run; the release build runs it (CI time)";
  }
  // Read-modify-write by six clients on two keys: under LWW, of two concurrent writes one is
  // silently discarded, on real processes as in the simulator.
  Scenario s = SmallScenario();
  s.cluster.resolution = storage::Resolution::kLastWriterWins;
  ASSERT_TRUE(workloads::ApplyPreset("F", &s.workload).ok());
  s.workload.clients = 6;
  s.workload.keys = 2;
  s.workload.duration = absl::Seconds(5);
  s.workload.distribution = workloads::KeyDistribution::kUniform;
  s.checks.expect_violation = {"no-lost-writes", "siblings"};
  const std::string dir = RunDir("lww");
  absl::StatusOr<RealWorldResult> result =
      RunRealWorld(12, s, {.kvnode_binary = Binary("kvnode"), .dir = dir});
  ASSERT_TRUE(result.ok()) << result.status();
  const workloads::KvWorldResult& r = result->world;
  const workloads::Verdict* lost = nullptr;
  for (const workloads::Verdict& v : r.verdicts) {
    if (v.checker == "no-lost-writes") lost = &v;
  }
  ASSERT_NE(lost, nullptr);
  EXPECT_FALSE(lost->passed) << "LWW lost nothing in " << r.puts_ok << " writes: " << lost->detail;
  EXPECT_TRUE(lost->expected_violation);
  EXPECT_TRUE(r.passed()) << Verdicts(r);  // the violation was expected; convergence still holds
  std::filesystem::remove_all(dir);
}

// Runs a command; its stdout and stderr.
kv::testing::ShellRun RunCommand(const std::string& command) {
  return kv::testing::RunShell(absl::StrCat(command, " 2>&1"));
}

TEST(RealWorldCommandTest, KvsimRunRealReportsARealRunAndSaysItIsNotDeterministic) {
  if (kv::testing::kSanitizerBuild) {
    GTEST_SKIP() << "a whole real run; the release build runs it (CI time)";
  }
  const std::string dir = RunDir("cli");
  std::filesystem::create_directories(dir);
  const std::string scenario = dir + "/tiny.toml";
  std::ofstream(scenario) << "name = \"tiny\"\n"
                             "[cluster]\nnodes = 3\npartitions = 16\ngossip_interval = \"200ms\"\n"
                             "anti_entropy_interval = \"100ms\"\n"
                             "[workload]\nclients = 2\nduration = \"3s\"\nkeys = 5\n"
                             "[faults]\nbuggify = false\n"
                             "[[faults.script]]\nat = \"1s\"\nkind = \"partition\"\nshape = \"isolate\"\n"
                             "node = 1\nduration = \"1s\"\n";
  const kv::testing::ShellRun c = RunCommand(absl::StrCat(Binary("kvsim"), " run ", scenario, " --real --seed 4 --real-dir ",
                                     dir, "/cluster --history ", dir, "/history.jsonl"));
  EXPECT_EQ(c.exit_code, 0) << c.output;
  EXPECT_TRUE(absl::StrContains(c.output, "REAL cluster of kvnode processes")) << c.output;
  EXPECT_TRUE(absl::StrContains(c.output, "not deterministic")) << c.output;
  EXPECT_TRUE(absl::StrContains(c.output, "not injected (simulator only): partition at 1s")) << c.output;
  EXPECT_TRUE(absl::StrContains(c.output, "verdict: PASS")) << c.output;
  EXPECT_FALSE(absl::StrContains(c.output, "fingerprint")) << c.output;
  std::ifstream history(dir + "/history.jsonl");
  std::string line;
  int lines = 0;
  while (std::getline(history, line)) ++lines;
  EXPECT_GT(lines, 10);
  std::filesystem::remove_all(dir);
}

TEST(RealWorldCommandTest, SimulatorOnlyFlagsAndAMissingKvnodeAreRefusedClearly) {
  const std::string scenario = absl::StrCat(KV_SOURCE_DIR, "/workloads/scenarios/happy-path.toml");
  const std::string kvsim = Binary("kvsim");
  kv::testing::ShellRun c = RunCommand(absl::StrCat(kvsim, " run ", scenario, " --real --check-determinism"));
  EXPECT_EQ(c.exit_code, 2) << c.output;
  EXPECT_TRUE(absl::StrContains(c.output, "not deterministic")) << c.output;
  c = RunCommand(absl::StrCat(kvsim, " run ", scenario, " --kvnode /bin/true"));
  EXPECT_EQ(c.exit_code, 2) << c.output;
  EXPECT_TRUE(absl::StrContains(c.output, "--kvnode and --real-dir go with --real")) << c.output;
  c = RunCommand(absl::StrCat(kvsim, " run ", scenario, " --real --kvnode /nonexistent/kvnode"));
  EXPECT_EQ(c.exit_code, 2) << c.output;
  EXPECT_TRUE(absl::StrContains(c.output, "no kvnode binary at /nonexistent/kvnode")) << c.output;
}

}  // namespace
}  // namespace kv::realcluster
