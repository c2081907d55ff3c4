// kvsim: the simulator's command-line front end.
//
//   kvsim cluster [--seed S] [--nodes N] [--clients C] [--duration D] [--strict] [--no-faults]
//                 [--trace-file F] [--check-determinism]
//       a simulated Dynamo cluster under faults, judged by the checkers
//   kvsim demo    [--seed S] [--nodes N] [--duration D] [--no-faults] [--trace-file F]
//                 [--check-determinism]
//       the simulator's own demo world (durable logs and pings)
//
// Exit status: 0 every checker passed; 1 a checker failed; 2 bad usage; 3 nondeterminism found.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "tools/kvsim/args.h"
#include "tools/kvsim/cluster_report.h"
#include "tools/kvsim/determinism.h"
#include "tools/kvsim/report.h"
#include "workloads/demo/demo_world.h"
#include "workloads/kv/kv_world.h"

namespace kv::tools {
namespace {

constexpr int kExitCheckerFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNondeterminism = 3;

// Flags every subcommand has.
struct CommonFlags {
  std::string seed;
  std::string duration = "60s";
  bool no_faults = false;
  std::string trace_file;
  bool check_determinism = false;
  bool fingerprint_only = false;
};

struct DemoFlags {
  int nodes = 5;
  std::string inject;
};

struct ClusterFlags {
  int nodes = 5;
  int clients = 3;
  bool strict = false;
};

int Usage(const std::string& message) {
  std::fprintf(stderr, "kvsim: %s\n", message.c_str());
  return kExitUsage;
}

uint64_t RandomSeed() {
  std::random_device device;  // tools may use real randomness; the simulation never does
  return (static_cast<uint64_t>(device()) << 32) | device();
}

void AddCommonFlags(CLI::App* cmd, CommonFlags* f) {
  cmd->add_option("--seed", f->seed, "64-bit root seed, decimal or 0x-hex (default: random)");
  cmd->add_option("--duration", f->duration, "simulated duration of the workload")
      ->capture_default_str();
  cmd->add_flag("--no-faults", f->no_faults, "no nemesis, no network or disk faults");
  cmd->add_option("--trace-file", f->trace_file, "write every trace record to this file");
  cmd->add_flag("--check-determinism", f->check_determinism,
                "run the seed again in this process and in a child process and compare "
                "fingerprints");
  cmd->add_flag("--fingerprint-only", f->fingerprint_only, "print only the fingerprint");
}

// Runs one seed of a world and reports: shared by every subcommand.
struct World {
  std::function<absl::Status()> validate;
  std::function<uint64_t(sim::Trace::Sink, std::string* report, bool* passed, double wall)> run;
  std::string reproduce;  // the command line, without the binary name
};

int RunWorld(const CommonFlags& common, uint64_t seed, const World& world,
             const std::string& self_path) {
  if (absl::Status valid = world.validate(); !valid.ok()) return Usage(std::string(valid.message()));
  std::ofstream trace_out;
  sim::Trace::Sink sink;
  if (!common.trace_file.empty()) {
    trace_out.open(common.trace_file);
    if (!trace_out) return Usage(absl::StrCat("cannot write trace file '", common.trace_file, "'"));
    sink = [&trace_out](absl::string_view line) { trace_out << line << '\n'; };
  }
  std::string report;
  bool passed = false;
  const uint64_t fingerprint = world.run(sink, &report, &passed, 0);
  if (common.fingerprint_only) {
    std::printf("%s\n", sim::FingerprintString(fingerprint).c_str());
    return passed ? 0 : kExitCheckerFailed;
  }
  std::fputs(report.c_str(), stdout);
  if (common.check_determinism) {
    const DeterminismVerdict verdict = CheckDeterminism(
        seed, fingerprint,
        [&world](sim::Trace::Sink s) {
          std::string ignored;
          bool ok = false;
          return world.run(std::move(s), &ignored, &ok, 0);
        },
        absl::StrCat(ShellQuote(self_path), " ", world.reproduce, " --fingerprint-only"));
    std::printf("%s\n", verdict.message.c_str());
    if (!verdict.deterministic) {
      std::printf("reproduce: kvsim %s --check-determinism\n", world.reproduce.c_str());
      return kExitNondeterminism;
    }
  }
  if (!passed) {
    std::printf("reproduce: kvsim %s\n", world.reproduce.c_str());
    return kExitCheckerFailed;
  }
  return 0;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int RunDemoCommand(const CommonFlags& common, const DemoFlags& flags, const std::string& self) {
  absl::StatusOr<uint64_t> seed = common.seed.empty() ? RandomSeed() : ParseSeed(common.seed);
  if (!seed.ok()) return Usage(std::string(seed.status().message()));
  absl::StatusOr<absl::Duration> duration = ParsePositiveDuration(common.duration);
  if (!duration.ok()) return Usage(std::string(duration.status().message()));
  demo::DemoOptions options;
  options.nodes = flags.nodes;
  options.duration = *duration;
  options.faults = !common.no_faults;
  if (flags.inject == "hash-order") {
    options.node.inject = demo::DemoNodeOptions::Nondeterminism::kHashOrder;
  } else if (flags.inject == "wall-clock") {
    options.node.inject = demo::DemoNodeOptions::Nondeterminism::kExternal;
    options.node.external_entropy = [] {
      return static_cast<uint64_t>(
          std::chrono::steady_clock::now().time_since_epoch().count() / 1000);
    };
  } else if (!flags.inject.empty()) {
    return Usage(absl::StrCat("unknown --inject-nondeterminism mode '", flags.inject,
                              "': expected hash-order or wall-clock"));
  }
  World world;
  world.validate = [&] { return demo::ValidateDemoOptions(options); };
  world.run = [&](sim::Trace::Sink sink, std::string* report, bool* passed, double) {
    const auto start = std::chrono::steady_clock::now();
    const demo::DemoResult r = demo::RunDemo(*seed, options, std::move(sink));
    *report = FormatDemoReport(options, r, SecondsSince(start));
    *passed = r.passed();
    return r.fingerprint;
  };
  world.reproduce = absl::StrCat("demo --seed ", *seed, " --nodes ", flags.nodes, " --duration ",
                                 ShellQuote(common.duration));
  if (common.no_faults) absl::StrAppend(&world.reproduce, " --no-faults");
  if (!flags.inject.empty()) {
    absl::StrAppend(&world.reproduce, " --inject-nondeterminism ", ShellQuote(flags.inject));
  }
  return RunWorld(common, *seed, world, self);
}

int RunClusterCommand(const CommonFlags& common, const ClusterFlags& flags,
                      const std::string& self) {
  absl::StatusOr<uint64_t> seed = common.seed.empty() ? RandomSeed() : ParseSeed(common.seed);
  if (!seed.ok()) return Usage(std::string(seed.status().message()));
  absl::StatusOr<absl::Duration> duration = ParsePositiveDuration(common.duration);
  if (!duration.ok()) return Usage(std::string(duration.status().message()));
  workloads::KvWorldOptions options;
  options.nodes = flags.nodes;
  options.clients = flags.clients;
  options.duration = *duration;
  options.faults = !common.no_faults;
  options.sloppy = !flags.strict;
  options.membership_changes = !flags.strict && options.faults;
  World world;
  world.validate = [&] { return workloads::ValidateKvWorldOptions(options); };
  world.run = [&](sim::Trace::Sink sink, std::string* report, bool* passed, double) {
    const auto start = std::chrono::steady_clock::now();
    const workloads::KvWorldResult r = workloads::RunKvWorld(*seed, options, std::move(sink));
    *report = FormatClusterReport(options, r, SecondsSince(start));
    *passed = r.passed();
    return r.fingerprint;
  };
  world.reproduce = absl::StrCat("cluster --seed ", *seed, " --nodes ", flags.nodes,
                                 " --clients ", flags.clients, " --duration ",
                                 ShellQuote(common.duration));
  if (flags.strict) absl::StrAppend(&world.reproduce, " --strict");
  if (common.no_faults) absl::StrAppend(&world.reproduce, " --no-faults");
  return RunWorld(common, *seed, world, self);
}

}  // namespace
}  // namespace kv::tools

int main(int argc, char** argv) {
  CLI::App app{"kvsim: deterministic simulation of a Dynamo-style key-value store"};
  app.require_subcommand(1);
  kv::tools::CommonFlags cluster_common, demo_common;
  kv::tools::ClusterFlags cluster;
  kv::tools::DemoFlags demo;
  demo_common.duration = "60s";
  cluster_common.duration = "30s";

  CLI::App* cluster_cmd = app.add_subcommand(
      "cluster", "Run a simulated Dynamo cluster under faults and judge it with the checkers");
  kv::tools::AddCommonFlags(cluster_cmd, &cluster_common);
  cluster_cmd->add_option("--nodes", cluster.nodes, "number of nodes")->capture_default_str();
  cluster_cmd->add_option("--clients", cluster.clients, "number of clients")->capture_default_str();
  cluster_cmd->add_flag("--strict", cluster.strict,
                        "strict quorums (default: sloppy, with a join and a leave under load)");

  CLI::App* demo_cmd = app.add_subcommand(
      "demo", "Run the simulator's demo world (durable logs and pings under a random nemesis)");
  kv::tools::AddCommonFlags(demo_cmd, &demo_common);
  demo_cmd->add_option("--nodes", demo.nodes, "number of simulated nodes")->capture_default_str();
  demo_cmd->add_option("--inject-nondeterminism", demo.inject,
                       "plant a determinism bug (hash-order | wall-clock), to test the checks");

  if (argc > 1 && argv[1][0] != '-' && std::string(argv[1]) != "demo" &&
      std::string(argv[1]) != "cluster") {
    std::fprintf(stderr, "kvsim: unknown command '%s'; commands: cluster, demo (see kvsim --help)\n",
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
  const std::string self_path = error ? std::string(argv[0]) : self;
  if (*cluster_cmd) return kv::tools::RunClusterCommand(cluster_common, cluster, self_path);
  return kv::tools::RunDemoCommand(demo_common, demo, self_path);
}
