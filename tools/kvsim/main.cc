// kvsim: the simulator's command-line front end.
//
//   kvsim demo [--seed S] [--nodes N] [--duration D] [--no-faults] [--trace-file F]
//              [--check-determinism]
//
// Exit status: 0 every checker passed; 1 a checker failed; 2 bad usage; 3 nondeterminism found.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "tools/kvsim/args.h"
#include "tools/kvsim/determinism.h"
#include "tools/kvsim/report.h"
#include "workloads/demo/demo_world.h"

namespace kv::tools {
namespace {

constexpr int kExitCheckerFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNondeterminism = 3;

struct DemoFlags {
  std::string seed;
  int nodes = 5;
  std::string duration = "60s";
  bool no_faults = false;
  std::string trace_file;
  bool check_determinism = false;
  bool fingerprint_only = false;
  std::string inject;
};

uint64_t RandomSeed() {
  std::random_device device;  // tools may use real randomness; the simulation never does
  return (static_cast<uint64_t>(device()) << 32) | device();
}

int Usage(const std::string& message) {
  std::fprintf(stderr, "kvsim: %s\n", message.c_str());
  return kExitUsage;
}

int RunDemoCommand(const DemoFlags& flags, const std::string& self_path) {
  uint64_t seed = 0;
  if (flags.seed.empty()) {
    seed = RandomSeed();
  } else {
    absl::StatusOr<uint64_t> parsed = ParseSeed(flags.seed);
    if (!parsed.ok()) return Usage(std::string(parsed.status().message()));
    seed = *parsed;
  }
  absl::StatusOr<absl::Duration> duration = ParsePositiveDuration(flags.duration);
  if (!duration.ok()) return Usage(std::string(duration.status().message()));

  demo::DemoOptions options;
  options.nodes = flags.nodes;
  options.duration = *duration;
  options.faults = !flags.no_faults;
  if (flags.inject == "hash-order") {
    options.node.inject = demo::DemoNodeOptions::Nondeterminism::kHashOrder;
  } else if (flags.inject == "wall-clock") {
    options.node.inject = demo::DemoNodeOptions::Nondeterminism::kExternal;
    options.node.external_entropy = [] {
      return static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count() / 1000);
    };
  } else if (!flags.inject.empty()) {
    return Usage(absl::StrCat("unknown --inject-nondeterminism mode '", flags.inject,
                              "': expected hash-order or wall-clock"));
  }
  if (absl::Status valid = demo::ValidateDemoOptions(options); !valid.ok()) {
    return Usage(std::string(valid.message()));
  }

  std::ofstream trace_out;
  sim::Trace::Sink sink;
  if (!flags.trace_file.empty()) {
    trace_out.open(flags.trace_file);
    if (!trace_out) return Usage(absl::StrCat("cannot write trace file '", flags.trace_file, "'"));
    sink = [&trace_out](absl::string_view line) { trace_out << line << '\n'; };
  }

  const auto wall_start = std::chrono::steady_clock::now();
  const demo::DemoResult result = demo::RunDemo(seed, options, sink);
  const double wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  if (flags.fingerprint_only) {
    std::printf("%s\n", sim::FingerprintString(result.fingerprint).c_str());
    return result.passed() ? 0 : kExitCheckerFailed;
  }
  std::fputs(FormatDemoReport(options, result, wall_seconds).c_str(), stdout);
  const std::string reproduce = DemoReproduceCommand(seed, flags.nodes, flags.duration,
                                                     flags.no_faults, flags.inject);
  if (flags.check_determinism) {
    const DeterminismVerdict verdict = CheckDemoDeterminism(seed, options, result.fingerprint,
                                                            self_path, flags.nodes, flags.duration,
                                                            flags.no_faults, flags.inject);
    std::printf("%s\n", verdict.message.c_str());
    if (!verdict.deterministic) {
      std::printf("reproduce: %s --check-determinism\n", reproduce.c_str());
      return kExitNondeterminism;
    }
  }
  if (!result.passed()) {
    std::printf("reproduce: %s\n", reproduce.c_str());
    return kExitCheckerFailed;
  }
  return 0;
}

}  // namespace
}  // namespace kv::tools

int main(int argc, char** argv) {
  CLI::App app{"kvsim: deterministic simulation of a Dynamo-style key-value store"};
  app.require_subcommand(1);
  kv::tools::DemoFlags demo;
  CLI::App* demo_cmd = app.add_subcommand(
      "demo", "Run the simulator's demo world (durable logs and pings under a random nemesis)");
  demo_cmd->add_option("--seed", demo.seed, "64-bit root seed, decimal or 0x-hex (default: random)");
  demo_cmd->add_option("--nodes", demo.nodes, "number of simulated nodes")->capture_default_str();
  demo_cmd->add_option("--duration", demo.duration, "simulated duration of the workload")
      ->capture_default_str();
  demo_cmd->add_flag("--no-faults", demo.no_faults, "no nemesis, no network or disk faults");
  demo_cmd->add_option("--trace-file", demo.trace_file, "write every trace record to this file");
  demo_cmd->add_flag("--check-determinism", demo.check_determinism,
                     "run the seed again in this process and in a child process and compare "
                     "fingerprints");
  demo_cmd->add_flag("--fingerprint-only", demo.fingerprint_only, "print only the fingerprint");
  demo_cmd->add_option("--inject-nondeterminism", demo.inject,
                       "plant a determinism bug (hash-order | wall-clock), to test the checks");
  if (argc > 1 && argv[1][0] != '-' && std::string(argv[1]) != "demo") {
    std::fprintf(stderr, "kvsim: unknown command '%s'; commands: demo (see kvsim --help)\n",
                 argv[1]);
    return kv::tools::kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kv::tools::kExitUsage;
  }
  std::error_code error;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe", error).string();
  if (*demo_cmd) return kv::tools::RunDemoCommand(demo, error ? std::string(argv[0]) : self);
  return kv::tools::kExitUsage;
}
