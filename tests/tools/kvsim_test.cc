// kvsim as a user runs it: real processes, exit codes and output. Includes the cross-process
// determinism check and proof that planted nondeterminism is caught.
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "gtest/gtest.h"

namespace kv {
namespace {

struct KvsimRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

KvsimRun Kvsim(const std::string& args) {
  const std::string command = std::string(KV_BINARY_DIR) + "/tools/kvsim " + args + " 2>&1";
  FILE* p = ::popen(command.c_str(), "r");
  KvsimRun run;
  if (p == nullptr) return run;
  char buffer[4096];
  while (std::fgets(buffer, sizeof(buffer), p) != nullptr) run.output += buffer;
  const int status = ::pclose(p);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
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
      {"cluster --clients 0", "clients must be 1..256"},
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

}  // namespace
}  // namespace kv
