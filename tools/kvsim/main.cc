// kvsim: the simulator's command-line front end.
//
//   kvsim run SCENARIO.toml [--seed S] [--trace-file F] [--check-determinism] [--fingerprint-only]
//       one seed of a scenario file (workloads/scenarios/), with its report
//   kvsim run SCENARIO.toml --real [--seed S] [--kvnode PATH] [--real-dir DIR] [--history F]
//       the same scenario against real kvnode processes (tools/realcluster/real_world.h)
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

#include <unistd.h>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "tools/kvsim/args.h"
#include "tools/kvsim/cluster_report.h"
#include "tools/kvsim/determinism.h"
#include "tools/kvsim/exit_codes.h"
#include "tools/kvsim/report.h"
#include "workloads/demo/demo_world.h"
#include "workloads/kv/kv_world.h"
#include "nlohmann/json.hpp"
#include "tools/kvsim/coverage.h"
#include "tools/kvsim/history_json.h"
#include "tools/kvsim/perfetto.h"
#include "tools/kvsim/progress.h"
#include "tools/kvsim/real_command.h"
#include "tools/kvsim/trace_diff.h"
#include "tools/kvsim/scenario_file.h"
#include "tools/kvsim/swarm.h"
#include "workloads/kv/scenario_toml.h"
#include "workloads/kv/shrink.h"
#include "workloads/kv/swarm.h"

namespace kv::tools {
namespace {


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

// One seed of a key-value scenario, as a World. `reproduce` is the command line that runs it.
// One run's summary as a JSON line (what `kvsim swarm` collects from its children).
std::string SummaryJson(const workloads::Scenario& scenario, const workloads::KvWorldResult& r,
                        double wall_seconds) {
  nlohmann::json failures = nlohmann::json::array();
  for (const workloads::Verdict& v : r.verdicts) {
    if (!v.passed && !v.expected_violation) {
      failures.push_back({{"checker", v.checker}, {"detail", v.detail}});
    }
  }
  nlohmann::json j = {{"seed", r.seed},
                      {"passed", r.passed()},
                      {"failures", failures},
                      {"knobs", workloads::DescribeSwarmKnobs(scenario)},
                      {"fingerprint", sim::FingerprintString(r.fingerprint)},
                      {"events", r.events_run},
                      {"wall_seconds", wall_seconds},
                      {"sites", SitesJson(r.sites)}};
  return j.dump() + "\n";
}

// Files a scenario run may write besides its report.
struct RunOutputs {
  std::string perfetto;  // --trace: Chrome/Perfetto trace-event JSON
  std::string history;   // --history: the client history as JSON Lines
};

World ScenarioWorld(const workloads::Scenario& scenario, uint64_t seed, bool progress,
                    std::string reproduce, bool summary_json = false, RunOutputs outputs = {}) {
  World world;
  world.validate = [&scenario] { return workloads::ValidateScenario(scenario); };
  world.run = [&scenario, seed, progress, summary_json, outputs](
                  sim::Trace::Sink sink, std::string* report, bool* passed, double) {
    const auto start = std::chrono::steady_clock::now();
    Progress line(progress && !summary_json);
    workloads::RunHooks hooks;
    std::unique_ptr<PerfettoWriter> perfetto;
    std::string output_errors;
    if (!outputs.perfetto.empty()) {
      // Process ids: the initial nodes, then the clients, then nodes that join.
      PerfettoOptions lanes;
      for (int i = 1; i <= scenario.workload.clients; ++i) {
        lanes.process_names[static_cast<uint64_t>(scenario.cluster.nodes + i)] = absl::StrCat("client ", i);
      }
      absl::StatusOr<std::unique_ptr<PerfettoWriter>> opened =
          PerfettoWriter::OpenFile(outputs.perfetto, lanes);
      if (opened.ok()) {
        perfetto = std::move(*opened);
      } else {
        absl::StrAppend(&output_errors, "kvsim: ", opened.status().message(), "\n");
      }
    }
    if (perfetto != nullptr) {
      sim::Trace::Sink timeline = perfetto->AsSink();
      hooks.sink = sink ? sim::Trace::Sink([sink, timeline](absl::string_view l) {
        sink(l);
        timeline(l);
      })
                        : timeline;
    } else {
      hooks.sink = std::move(sink);
    }
    hooks.progress = line.hook();
    const workloads::KvWorldResult r = workloads::RunKvWorld(seed, scenario, std::move(hooks));
    if (perfetto != nullptr) {
      perfetto->AddOperations(r.history);
      if (absl::Status st = perfetto->Finish(); !st.ok()) {
        absl::StrAppend(&output_errors, "kvsim: writing the timeline: ", st.message(), "\n");
      }
    }
    if (!outputs.history.empty()) {
      std::ofstream out(outputs.history);
      absl::Status st = out ? WriteHistoryJsonLines(r.history, out)
                            : absl::NotFoundError(absl::StrCat("cannot write '", outputs.history, "'"));
      if (!st.ok()) absl::StrAppend(&output_errors, "kvsim: writing the history: ", st.message(), "\n");
    }
    std::fputs(output_errors.c_str(), stderr);
    *report = summary_json ? SummaryJson(scenario, r, SecondsSince(start))
                           : FormatClusterReport(scenario, r, SecondsSince(start));
    *passed = r.passed();
    return r.fingerprint;
  };
  world.reproduce = std::move(reproduce);
  return world;
}

int RunClusterCommand(const CommonFlags& common, const ClusterFlags& flags,
                      const std::string& self) {
  absl::StatusOr<uint64_t> seed = common.seed.empty() ? RandomSeed() : ParseSeed(common.seed);
  if (!seed.ok()) return Usage(std::string(seed.status().message()));
  absl::StatusOr<absl::Duration> duration = ParsePositiveDuration(common.duration);
  if (!duration.ok()) return Usage(std::string(duration.status().message()));
  const workloads::Scenario scenario = workloads::BuiltinScenario(
      flags.nodes, flags.clients, *duration, flags.strict, !common.no_faults);
  std::string reproduce = absl::StrCat("cluster --seed ", *seed, " --nodes ", flags.nodes,
                                       " --clients ", flags.clients, " --duration ",
                                       ShellQuote(common.duration));
  if (flags.strict) absl::StrAppend(&reproduce, " --strict");
  if (common.no_faults) absl::StrAppend(&reproduce, " --no-faults");
  return RunWorld(common, *seed,
                  ScenarioWorld(scenario, *seed, !common.fingerprint_only, std::move(reproduce)),
                  self);
}

struct RunFlags {
  std::string path;
  bool swarm = false;
  bool summary_json = false;
  RunOutputs outputs;
  bool real = false;
  RealRunFlags real_flags;
};

int RunScenarioCommand(const CommonFlags& common, const RunFlags& flags, const std::string& self) {
  const std::string& path = flags.path;
  absl::StatusOr<uint64_t> seed = common.seed.empty() ? RandomSeed() : ParseSeed(common.seed);
  if (!seed.ok()) return Usage(std::string(seed.status().message()));
  absl::StatusOr<workloads::Scenario> scenario = LoadScenarioFile(path);
  if (!scenario.ok()) return Usage(std::string(scenario.status().message()));
  if (common.no_faults) {
    scenario->nemesis.enabled = false;
    scenario->script.clear();
    scenario->buggify = false;
  }
  if (flags.swarm) *scenario = workloads::SwarmVariant(*scenario, *seed);
  std::string reproduce = absl::StrCat("run ", ShellQuote(path), " --seed ", *seed);
  if (flags.swarm) absl::StrAppend(&reproduce, " --swarm");
  if (common.no_faults) absl::StrAppend(&reproduce, " --no-faults");
  if (flags.real) {
    // Simulator-only outputs have nothing to show for real processes: refuse them clearly.
    if (common.check_determinism || common.fingerprint_only || !common.trace_file.empty() ||
        !flags.outputs.perfetto.empty() || flags.summary_json) {
      return Usage("--real runs are not deterministic and have no trace: --check-determinism, "
                   "--fingerprint-only, --trace-file, --trace and --summary-json need the "
                   "simulator");
    }
    RealRunFlags real = flags.real_flags;
    real.history = flags.outputs.history;
    return RunRealScenario(*scenario, *seed, real, self, reproduce);
  }
  if (!flags.real_flags.kvnode.empty() || !flags.real_flags.dir.empty()) {
    return Usage("--kvnode and --real-dir go with --real");
  }
  if (flags.summary_json) {
    // One JSON line and the exit status; nothing else on stdout.
    World world = ScenarioWorld(*scenario, *seed, false, reproduce, /*summary_json=*/true);
    if (absl::Status valid = world.validate(); !valid.ok()) return Usage(std::string(valid.message()));
    std::string summary;
    bool passed = false;
    world.run(nullptr, &summary, &passed, 0);
    std::fputs(summary.c_str(), stdout);
    return passed ? 0 : kExitCheckerFailed;
  }
  return RunWorld(common, *seed,
                  ScenarioWorld(*scenario, *seed, !common.fingerprint_only, std::move(reproduce),
                                false, flags.outputs),
                  self);
}

struct DiffFlags {
  std::string path;
  std::string seed;
  bool swarm = false;
  std::vector<std::string> traces;
};

// `kvsim diff`: runs a seed twice in this process and names the first trace record where the
// runs differ, or compares two trace files (--traces A B, e.g. written by two builds with
// --trace-file). Exit 0: identical; 3: they differ.
int RunDiffCommand(const DiffFlags& flags) {
  if (!flags.traces.empty()) {
    std::ifstream a(flags.traces[0]), b(flags.traces[1]);
    if (!a || !b) return Usage("cannot read the trace files given to --traces");
    const TraceDifference d = FirstDifference(a, b);
    std::printf("%s\n", DescribeTraceDifference(d, flags.traces[0], flags.traces[1]).c_str());
    return d.identical ? 0 : kExitNondeterminism;
  }
  if (flags.path.empty()) return Usage("kvsim diff needs a scenario file or --traces A B");
  absl::StatusOr<uint64_t> seed = flags.seed.empty() ? RandomSeed() : ParseSeed(flags.seed);
  if (!seed.ok()) return Usage(std::string(seed.status().message()));
  absl::StatusOr<workloads::Scenario> scenario = LoadScenarioFile(flags.path);
  if (!scenario.ok()) return Usage(std::string(scenario.status().message()));
  if (flags.swarm) *scenario = workloads::SwarmVariant(*scenario, *seed);
  TraceRecorder first, second;
  const uint64_t a = workloads::RunKvWorld(*seed, *scenario, {.sink = first.AsSink()}).fingerprint;
  const uint64_t b = workloads::RunKvWorld(*seed, *scenario, {.sink = second.AsSink()}).fingerprint;
  const TraceDifference d = FirstDifference(first, second);
  std::printf("seed %llu: fingerprints %s and %s\n%s\n", static_cast<unsigned long long>(*seed),
              sim::FingerprintString(a).c_str(), sim::FingerprintString(b).c_str(),
              DescribeTraceDifference(d, "first run", "second run").c_str());
  return d.identical && a == b ? 0 : kExitNondeterminism;
}

struct ShrinkFlags {
  std::string path;
  std::string seed;
  bool swarm = false;
  std::string out;
};

// `kvsim shrink`: the smallest scenario that still fails the same checker on the same seed,
// written as TOML and checked by running it again from the file.
int RunShrinkCommand(const ShrinkFlags& flags) {
  absl::StatusOr<uint64_t> seed = ParseSeed(flags.seed);
  if (!seed.ok()) return Usage(std::string(seed.status().message()));
  absl::StatusOr<workloads::Scenario> scenario = LoadScenarioFile(flags.path);
  if (!scenario.ok()) return Usage(std::string(scenario.status().message()));
  if (flags.swarm) *scenario = workloads::SwarmVariant(*scenario, *seed);
  std::string detail;
  const std::string checker = workloads::FailingChecker(*scenario, *seed, &detail);
  if (checker.empty()) {
    std::printf("seed %llu passes every checker: nothing to shrink\n",
                static_cast<unsigned long long>(*seed));
    return kExitUsage;
  }
  std::printf("seed %llu fails %s: %s\nshrinking...\n", static_cast<unsigned long long>(*seed),
              checker.c_str(), detail.c_str());
  const workloads::ShrinkResult shrunk = workloads::Shrink(
      *scenario, *seed, checker, [](const std::string& step, bool kept) {
        std::printf("  %-44s %s\n", step.c_str(), kept ? "kept (still fails)" : "undone (passes)");
      });
  const std::string out =
      flags.out.empty() ? absl::StrCat(scenario->name, "-shrunk-seed", *seed, ".toml") : flags.out;
  {
    std::ofstream file(out);
    if (!file) return Usage(absl::StrCat("cannot write '", out, "'"));
    file << "# Written by kvsim shrink: the smallest scenario found that still fails " << checker
         << "\n# with seed " << *seed << " (from " << flags.path << ").\n"
         << workloads::ScenarioToToml(shrunk.scenario);
  }
  // The file must fail the same way when read back.
  absl::StatusOr<workloads::Scenario> back = LoadScenarioFile(out);
  const bool reproduces = back.ok() && workloads::FailingChecker(*back, *seed) == checker;
  std::printf("\n%d simulations, %d simplifications kept\n%s still fails: %s\nwrote %s (%s)\n"
              "reproduce: kvsim run %s --seed %llu\n",
              shrunk.runs, shrunk.steps_kept, checker.c_str(), shrunk.detail.c_str(), out.c_str(),
              reproduces ? "verified: it fails the same checker when read back"
                         : "WARNING: it does not fail the same way when read back",
              ShellQuote(out).c_str(), static_cast<unsigned long long>(*seed));
  return reproduces ? 0 : kExitNondeterminism;
}

struct SwarmFlags {
  std::string path;
  std::string seeds = "1..100";
  int jobs = 2;
  std::string shard = "0/1";
  bool as_written = false;
};

int RunSwarmCommand(const SwarmFlags& flags, const std::string& self) {
  SwarmOptions o;
  o.self = self;
  o.scenario_path = flags.path;
  o.jobs = flags.jobs;
  o.randomise_knobs = !flags.as_written;
  if (absl::Status st = ParseSeedRange(flags.seeds, &o.first_seed, &o.last_seed); !st.ok()) {
    return Usage(std::string(st.message()));
  }
  if (absl::Status st = ParseShard(flags.shard, &o.shard_index, &o.shard_count); !st.ok()) {
    return Usage(std::string(st.message()));
  }
  if (flags.jobs < 1 || flags.jobs > 1024) return Usage("-j expects 1..1024 parallel runs");
  // Reject a bad scenario once, before starting any child.
  absl::StatusOr<workloads::Scenario> scenario = LoadScenarioFile(flags.path);
  if (!scenario.ok()) return Usage(std::string(scenario.status().message()));
  return RunSwarm(o, stdout);
}

}  // namespace
}  // namespace kv::tools

int main(int argc, char** argv) {
  CLI::App app{"kvsim: deterministic simulation of a Dynamo-style key-value store"};
  app.require_subcommand(1);
  kv::tools::CommonFlags cluster_common, demo_common, run_common;
  kv::tools::RunFlags run_flags;
  kv::tools::SwarmFlags swarm_flags;
  kv::tools::DiffFlags diff_flags;
  kv::tools::ShrinkFlags shrink_flags;
  kv::tools::ClusterFlags cluster;
  kv::tools::DemoFlags demo;
  demo_common.duration = "60s";
  cluster_common.duration = "30s";

  CLI::App* run_cmd =
      app.add_subcommand("run", "Run one seed of a scenario file and report (exit 0: every checker passed)");
  run_cmd->add_option("scenario", run_flags.path, "scenario file (TOML), e.g. workloads/scenarios/happy-path.toml")
      ->required();
  kv::tools::AddCommonFlags(run_cmd, &run_common);
  run_cmd->remove_option(run_cmd->get_option("--duration"));
  run_cmd->add_option("--trace", run_flags.outputs.perfetto,
                      "write a Chrome/Perfetto timeline (open it in ui.perfetto.dev)");
  run_cmd->add_option("--history", run_flags.outputs.history,
                      "write the client history as JSON Lines");
  run_cmd->add_flag("--swarm", run_flags.swarm,
                    "randomise the fault knobs from the seed, as `kvsim swarm` does");
  run_cmd->add_flag("--summary-json", run_flags.summary_json,
                    "print one JSON line (verdicts, fingerprint, rare paths) instead of the report");
  run_cmd->add_flag("--real", run_flags.real,
                    "run against real kvnode processes on loopback instead of the simulator "
                    "(crashes, restarts, pauses, joins and leaves only; not deterministic)");
  run_cmd->add_option("--kvnode", run_flags.real_flags.kvnode,
                      "with --real: the kvnode binary (default: next to kvsim)");
  run_cmd->add_option("--real-dir", run_flags.real_flags.dir,
                      "with --real: where the nodes keep data and logs (default: a new temporary "
                      "directory, removed when the run passes)");

  CLI::App* diff_cmd = app.add_subcommand(
      "diff", "Run a seed twice and name the first event where the runs differ (or compare two traces)");
  diff_cmd->add_option("scenario", diff_flags.path, "scenario file (TOML)");
  diff_cmd->add_option("--seed", diff_flags.seed, "the seed (default: random)");
  diff_cmd->add_flag("--swarm", diff_flags.swarm, "with the seed's swarm knobs");
  diff_cmd->add_option("--traces", diff_flags.traces, "two trace files (--trace-file) to compare")
      ->expected(2);

  CLI::App* shrink_cmd = app.add_subcommand(
      "shrink", "Shrink a failing seed's scenario to the smallest one that still fails the same checker");
  shrink_cmd->add_option("scenario", shrink_flags.path, "scenario file (TOML)")->required();
  shrink_cmd->add_option("--seed", shrink_flags.seed, "the failing seed")->required();
  shrink_cmd->add_flag("--swarm", shrink_flags.swarm, "the seed failed under `kvsim swarm` knobs");
  shrink_cmd->add_option("-o,--out", shrink_flags.out,
                         "where to write the shrunk scenario (default: <name>-shrunk-seed<S>.toml)");

  CLI::App* swarm_cmd = app.add_subcommand(
      "swarm", "Run many seeds of a scenario in parallel processes, fault knobs randomised per seed");
  swarm_cmd->add_option("scenario", swarm_flags.path, "scenario file (TOML)")->required();
  swarm_cmd->add_option("--seeds", swarm_flags.seeds, "inclusive seed range A..B")->capture_default_str();
  swarm_cmd->add_option("-j,--jobs", swarm_flags.jobs, "parallel runs")->capture_default_str();
  swarm_cmd->add_option("--shard", swarm_flags.shard,
                        "i/n: run only the seeds whose offset is i modulo n (split across machines)")
      ->capture_default_str();
  swarm_cmd->add_flag("--as-written", swarm_flags.as_written,
                      "run the scenario's own fault knobs on every seed (no swarm randomisation)");

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
      std::string(argv[1]) != "cluster" && std::string(argv[1]) != "run" &&
      std::string(argv[1]) != "swarm" && std::string(argv[1]) != "diff" &&
      std::string(argv[1]) != "shrink") {
    std::fprintf(stderr,
                 "kvsim: unknown command '%s'; commands: run, swarm, shrink, diff, cluster, demo (see kvsim --help)\n",
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
  if (*run_cmd) return kv::tools::RunScenarioCommand(run_common, run_flags, self_path);
  if (*swarm_cmd) return kv::tools::RunSwarmCommand(swarm_flags, self_path);
  if (*diff_cmd) return kv::tools::RunDiffCommand(diff_flags);
  if (*shrink_cmd) return kv::tools::RunShrinkCommand(shrink_flags);
  if (*cluster_cmd) return kv::tools::RunClusterCommand(cluster_common, cluster, self_path);
  return kv::tools::RunDemoCommand(demo_common, demo, self_path);
}
