// kvsim as a user runs it: real processes, exit codes and output. Includes the cross-process
// determinism check and proof that planted nondeterminism is caught.
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "support/seeds.h"
#include "support/shell.h"

namespace kv {
namespace {

using KvsimRun = testing::ShellRun;

// Runs kvsim with `args`; stdout and stderr.
KvsimRun Kvsim(const std::string& args) {
  return testing::RunShell(std::string(KV_BINARY_DIR) + "/tools/kvsim " + args + " 2>&1");
}

TEST(KvsimTest, DemoPassesItsCheckersAndIsDeterministicAcrossProcesses) {
  KvsimRun run = Kvsim("demo --seed 7 --duration 20s --check-determinism");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("durability       PASS"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("determinism: OK"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("fingerprint "), std::string::npos) << run.output;
}

TEST(KvsimTest, SameSeedSameFingerprintDifferentSeedsDiffer) {
  KvsimRun a = Kvsim("demo --seed 11 --duration 10s --fingerprint-only");
  KvsimRun b = Kvsim("demo --seed 11 --duration 10s --fingerprint-only");
  KvsimRun c = Kvsim("demo --seed 12 --duration 10s --fingerprint-only");
  ASSERT_EQ(a.exit_code, 0) << a.output;
  EXPECT_EQ(a.output.size(), 17u) << a.output;  // 16 hex digits and a newline
  EXPECT_EQ(a.output, b.output);
  EXPECT_NE(a.output, c.output);
}

TEST(KvsimTest, PlantedWallClockReadIsCaughtAndTheDivergenceNamed) {
  KvsimRun run = Kvsim("demo --seed 3 --duration 5s --check-determinism --inject-nondeterminism wall-clock");
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_NE(run.output.find("NONDETERMINISM: seed 3"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("first divergence at trace record #"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("reproduce: kvsim demo --seed 3"), std::string::npos) << run.output;
}

TEST(KvsimTest, PlantedHashedContainerIterationIsCaught) {
  KvsimRun run = Kvsim("demo --seed 3 --duration 5s --check-determinism --inject-nondeterminism hash-order");
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_NE(run.output.find("NONDETERMINISM: seed 3"), std::string::npos) << run.output;
}

TEST(KvsimTest, BadInputGetsAClearErrorAndExitStatusTwo) {
  struct Case {
    const char* args;
    const char* message;
  } cases[] = {
      {"demo --seed banana", "invalid seed 'banana'"},
      {"demo --seed 0xZZ", "invalid seed '0xZZ'"},
      {"demo --seed 99999999999999999999999", "invalid seed"},
      {"demo --duration forever", "invalid duration 'forever'"},
      {"demo --duration 0s", "invalid duration '0s'"},
      {"demo --nodes 0", "nodes must be between 1 and 1000"},
      {"demo --nodes many", "--nodes"},
      {"demo --inject-nondeterminism sometimes", "unknown --inject-nondeterminism mode"},
      {"demo --no-such-flag", "no-such-flag"},
      {"frobnicate", "frobnicate"},
  };
  for (const Case& c : cases) {
    KvsimRun run = Kvsim(c.args);
    EXPECT_EQ(run.exit_code, 2) << c.args << "\n" << run.output;
    EXPECT_NE(run.output.find(c.message), std::string::npos) << c.args << "\n" << run.output;
  }
}

TEST(KvsimTest, ClusterRunPassesItsCheckersAndIsDeterministicAcrossProcesses) {
  if (testing::kSanitizerBuild) {
    GTEST_SKIP() << "whole simulations in child kvsim processes: the release build runs this; "
                    "the sanitizer build covers the same code in-process (KvWorldTest)";
  }
  KvsimRun run = Kvsim("cluster --seed 7 --duration 15s --check-determinism");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  for (const char* line : {"no-lost-writes     PASS", "convergence        PASS",
                           "siblings           PASS", "deletes-and-expiry PASS",
                           "hints-drained      PASS", "determinism: OK", "fingerprint "}) {
    EXPECT_NE(run.output.find(line), std::string::npos) << line << "\n" << run.output;
  }
}

TEST(KvsimTest, ClusterBadInputGetsAClearErrorAndExitStatusTwo) {
  struct Case {
    const char* args;
    const char* message;
  } cases[] = {
      {"cluster --nodes 2", "N=3 needs at least 3 nodes, got 2"},
      {"cluster --clients 0", "workload.clients: must be 1..1024, got 0"},
      {"cluster --seed -1", "invalid seed"},
      {"cluster --duration 1y", "invalid duration"},
  };
  for (const Case& c : cases) {
    KvsimRun run = Kvsim(c.args);
    EXPECT_EQ(run.exit_code, 2) << c.args << "\n" << run.output;
    EXPECT_NE(run.output.find(c.message), std::string::npos) << c.args << "\n" << run.output;
  }
}

TEST(KvsimTest, HexSeedsAreTheSameSeeds) {
  EXPECT_EQ(Kvsim("demo --seed 0x2a --duration 5s --fingerprint-only").output,
            Kvsim("demo --seed 42 --duration 5s --fingerprint-only").output);
}

const std::string kScenarios = std::string(KV_SOURCE_DIR) + "/workloads/scenarios/";

std::string TempFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs(text.c_str(), f);
  std::fclose(f);
  return path;
}

TEST(KvsimTest, RunReportsAScenarioAndIsDeterministicAcrossProcesses) {
  if (testing::kSanitizerBuild) {
    GTEST_SKIP() << "whole simulations in child kvsim processes: the release build runs this; "
                    "the sanitizer build covers the same code in-process (KvWorldTest)";
  }
  KvsimRun run = Kvsim("run " + kScenarios + "partition-heal.toml --seed 3 --check-determinism");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  for (const char* line : {"scenario partition-heal: seed=3", "p99=", "partition_symmetric=",
                           "hints delivered=", "anti-entropy exchanges=", "no-lost-writes     PASS",
                           "x real time", "determinism: OK", "fingerprint "}) {
    EXPECT_NE(run.output.find(line), std::string::npos) << line << "\n" << run.output;
  }
}

TEST(KvsimTest, AnExpectedViolationIsReportedWithoutFailingTheRun) {
  KvsimRun run = Kvsim("run " + kScenarios + "lww-lost-updates.toml --seed 1");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("no-lost-writes     FAIL (expected)"), std::string::npos) << run.output;
}

TEST(KvsimTest, ABadScenarioIsRejectedWithFileLineAndReasonAndNothingRuns) {
  const std::string path = TempFile("bad.toml", "[cluster]\nnodes = 5\nn = 3\nw = 4\n");
  KvsimRun run = Kvsim("run " + path + " --seed 1");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find(path + ":4: cluster.w: W must be 1..N; got W=4 with N=3"),
            std::string::npos)
      << run.output;
  EXPECT_EQ(run.output.find("fingerprint"), std::string::npos) << run.output;
  KvsimRun missing = Kvsim("run /nonexistent/x.toml --seed 1");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("cannot read scenario file '/nonexistent/x.toml'"), std::string::npos);
}

TEST(KvsimTest, RunWritesAPerfettoTimelineAndAJsonHistory) {
  const std::string trace = ::testing::TempDir() + "timeline.json";
  const std::string history = ::testing::TempDir() + "history.jsonl";
  KvsimRun run = Kvsim("run " + kScenarios + "rolling-restart.toml --seed 2 --trace " + trace +
                       " --history " + history);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  FILE* t = std::fopen(trace.c_str(), "r");
  ASSERT_NE(t, nullptr);
  std::string text(1 << 20, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), t));
  std::fclose(t);
  EXPECT_EQ(text.rfind("{\"traceEvents\":[", 0), 0u) << text.substr(0, 100);
  EXPECT_NE(text.find("\"crash\""), std::string::npos);
  FILE* h = std::fopen(history.c_str(), "r");
  ASSERT_NE(h, nullptr);
  char line[4096];
  ASSERT_NE(std::fgets(line, sizeof(line), h), nullptr);
  std::fclose(h);
  EXPECT_EQ(std::string(line).rfind("{\"index\":0,", 0), 0u) << line;
}

TEST(KvsimTest, SwarmRunsSeedsInParallelAndListsRarePathsNeverReached) {
  KvsimRun run = Kvsim("swarm " + kScenarios + "happy-path.toml --seeds 1..4 -j 2");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("4 run, 4 passed, 0 failed (fault knobs randomised per seed)"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("never reached: "), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("hinted_handoff.cc"), std::string::npos) << run.output;
  // A shard takes every n-th seed.
  KvsimRun shard = Kvsim("swarm " + kScenarios + "happy-path.toml --seeds 1..4 --shard 1/2 -j 2");
  EXPECT_NE(shard.output.find("shard 1/2: 2 run"), std::string::npos) << shard.output;
  EXPECT_EQ(Kvsim("swarm " + kScenarios + "happy-path.toml --seeds 5..1").exit_code, 2);
  EXPECT_EQ(Kvsim("swarm " + kScenarios + "happy-path.toml --shard 2/2").exit_code, 2);
}

TEST(KvsimTest, SwarmReportsAFailingSeedWithItsReproduceCommand) {
  // One replica per key, writes synced only once a second, and every node crashing again and
  // again: acknowledged writes are lost, as they would be on real machines.
  std::string text =
      "[cluster]\nnodes = 3\nn = 1\nr = 1\nw = 1\ndurability = \"interval\"\n"
      "[workload]\nduration = \"4s\"\nrate = 200\n";
  for (const char* at : {"0.5s", "1.2s", "1.9s", "2.6s", "3.3s"}) {
    for (int node = 1; node <= 3; ++node) {
      text += "[[faults.script]]\nat = \"" + std::string(at) + "\"\nkind = \"crash\"\nnode = " +
              std::to_string(node) + "\nduration = \"200ms\"\n";
    }
  }
  const std::string path = TempFile("lossy.toml", text);
  KvsimRun run = Kvsim("swarm " + path + " --seeds 1..2 -j 2 --as-written");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("FAIL seed 1"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("no-lost-writes: "), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("reproduce: kvsim run '" + path + "' --seed 1"), std::string::npos)
      << run.output;
}

TEST(KvsimTest, DiffFindsNoDifferenceBetweenRunsOfOneSeedAndNamesOneBetweenTraces) {
  if (testing::kSanitizerBuild) {
    GTEST_SKIP() << "whole simulations in child kvsim processes: the release build runs this; "
                    "the sanitizer build covers the same code in-process (KvWorldTest)";
  }
  KvsimRun same = Kvsim("diff " + kScenarios + "happy-path.toml --seed 9");
  EXPECT_EQ(same.exit_code, 0) << same.output;
  EXPECT_NE(same.output.find("identical"), std::string::npos) << same.output;
  const std::string a = ::testing::TempDir() + "a.trace", b = ::testing::TempDir() + "b.trace";
  ASSERT_EQ(Kvsim("run " + kScenarios + "happy-path.toml --seed 9 --trace-file " + a).exit_code, 0);
  ASSERT_EQ(Kvsim("run " + kScenarios + "happy-path.toml --seed 10 --trace-file " + b).exit_code, 0);
  KvsimRun differ = Kvsim("diff --traces " + a + " " + b);
  EXPECT_EQ(differ.exit_code, 3) << differ.output;
  EXPECT_NE(differ.output.find(a), std::string::npos) << differ.output;
}

}  // namespace
}  // namespace kv
