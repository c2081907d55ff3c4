#include "tools/kvsim/real_command.h"

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "tools/kvsim/cluster_report.h"
#include "tools/kvsim/exit_codes.h"
#include "tools/kvsim/history_json.h"
#include "tools/kvsim/progress.h"
#include "tools/realcluster/real_world.h"

namespace kv::tools {
namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "kvsim: %s\n", message.c_str());
  return kExitUsage;
}

}  // namespace

int RunRealScenario(const workloads::Scenario& scenario, uint64_t seed, const RealRunFlags& flags,
                    const std::string& self_path, const std::string& reproduce) {
  if (absl::Status valid = workloads::ValidateScenario(scenario); !valid.ok()) {
    return Fail(std::string(valid.message()));
  }
  realcluster::RealWorldOptions options;
  options.kvnode_binary = flags.kvnode.empty()
                              ? (std::filesystem::path(self_path).parent_path() / "kvnode").string()
                              : flags.kvnode;
  if (::access(options.kvnode_binary.c_str(), X_OK) != 0) {
    return Fail(absl::StrCat("no kvnode binary at ", options.kvnode_binary,
                             " (build it, or name it with --kvnode)"));
  }
  const bool own_dir = flags.dir.empty();
  if (own_dir) {
    std::string pattern = (std::filesystem::temp_directory_path() / "kvsim-real-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) return Fail("cannot create a directory under $TMPDIR");
    options.dir = pattern;
  } else {
    options.dir = flags.dir;
  }
  Progress progress(flags.progress, "ran");
  options.progress = progress.hook();
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<realcluster::RealWorldResult> result =
      realcluster::RunRealWorld(seed, scenario, options);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!result.ok()) {
    return Fail(absl::StrCat("the real cluster could not be run: ", result.status().message(),
                             "\n(data and logs in ", options.dir, ")"));
  }
  if (!flags.history.empty()) {
    std::ofstream out(flags.history);
    absl::Status st = out ? WriteHistoryJsonLines(result->world.history, out)
                          : absl::NotFoundError(absl::StrCat("cannot write '", flags.history, "'"));
    if (!st.ok()) std::fprintf(stderr, "kvsim: writing the history: %s\n", std::string(st.message()).c_str());
  }
  const bool passed = result->world.passed() && result->unexpected_exits.empty();
  if (passed && own_dir) {
    std::error_code ignored;
    std::filesystem::remove_all(options.dir, ignored);
  }
  const RealRunNotes notes{.not_injected = result->not_injected,
                           .unexpected_exits = result->unexpected_exits,
                           .dir = passed && own_dir ? "(removed: the run passed)" : options.dir};
  std::fputs(FormatClusterReport(scenario, result->world, wall, &notes).c_str(), stdout);
  if (!passed) {
    std::printf("run again (real runs differ each time): kvsim %s\n"
                "the same seed in the simulator (deterministic): kvsim %s\n",
                absl::StrCat(reproduce, " --real").c_str(), reproduce.c_str());
    return kExitCheckerFailed;
  }
  return 0;
}

}  // namespace kv::tools
