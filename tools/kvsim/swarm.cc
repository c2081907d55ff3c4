#include "tools/kvsim/swarm.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "tools/kvsim/coverage.h"
#include "tools/kvsim/determinism.h"

namespace kv::tools {
namespace {

struct Child {
  uint64_t seed = 0;
  std::string out_path, err_path;
};

struct Outcome {
  uint64_t seed = 0;
  bool passed = false;
  std::string problem;  // the first failing checker and its detail, or how the child died
  std::string knobs;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A new empty file named <tmp>/kvsim-swarm-XXXXXX<suffix>; the caller removes it.
std::string TempPath(const std::string& suffix) {
  std::string name =
      (std::filesystem::temp_directory_path() / absl::StrCat("kvsim-swarm-XXXXXX", suffix)).string();
  const int fd = mkstemps(name.data(), static_cast<int>(suffix.size()));
  if (fd >= 0) close(fd);
  return name;
}

pid_t Spawn(const SwarmOptions& o, Child& c) {
  c.out_path = TempPath(".out");
  c.err_path = TempPath(".err");
  std::vector<std::string> args = {o.self, "run", o.scenario_path, "--seed", absl::StrCat(c.seed),
                                   "--summary-json"};
  if (o.randomise_knobs) args.push_back("--swarm");
  const pid_t pid = fork();
  if (pid != 0) return pid;
  const int out = open(c.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int err = open(c.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  dup2(out, STDOUT_FILENO);
  dup2(err, STDERR_FILENO);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(o.self.c_str(), argv.data());
  _exit(127);
}

Outcome Collect(const Child& c, int status, CoverageTotals& coverage) {
  Outcome r;
  r.seed = c.seed;
  const std::string out = ReadFile(c.out_path);
  const std::string err = ReadFile(c.err_path);
  std::remove(c.out_path.c_str());
  std::remove(c.err_path.c_str());
  const bool exited = WIFEXITED(status);
  const int code = exited ? WEXITSTATUS(status) : -1;
  nlohmann::json summary = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  if ((code == 0 || code == 1) && summary.is_object()) {
    r.passed = summary.value("passed", false);
    r.knobs = summary.value("knobs", "");
    if (summary.contains("failures") && !summary["failures"].empty()) {
      r.problem = absl::StrCat(summary["failures"][0].value("checker", "?"), ": ",
                               summary["failures"][0].value("detail", ""));
    }
    if (summary.contains("sites")) coverage.Add(summary["sites"]);
    return r;
  }
  const std::string tail = err.size() > 600 ? err.substr(err.size() - 600) : err;
  r.problem = exited ? absl::StrCat("the run exited with status ", code, ": ", tail)
                     : absl::StrCat("the run died of signal ", WTERMSIG(status), ": ", tail);
  return r;
}

}  // namespace

absl::Status ParseSeedRange(const std::string& text, uint64_t* first, uint64_t* last) {
  std::vector<std::string> parts = absl::StrSplit(text, "..");
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], first) ||
      !absl::SimpleAtoi(parts[1], last) || *first > *last) {
    return absl::InvalidArgumentError(
        absl::StrCat("--seeds expects A..B with A <= B (e.g. 1..1000), got '", text, "'"));
  }
  return absl::OkStatus();
}

absl::Status ParseShard(const std::string& text, int* index, int* count) {
  std::vector<std::string> parts = absl::StrSplit(text, '/');
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], index) ||
      !absl::SimpleAtoi(parts[1], count) || *count < 1 || *index < 0 || *index >= *count) {
    return absl::InvalidArgumentError(
        absl::StrCat("--shard expects i/n with 0 <= i < n (e.g. 3/16), got '", text, "'"));
  }
  return absl::OkStatus();
}

int RunSwarm(const SwarmOptions& o, FILE* out) {
  std::vector<uint64_t> seeds;
  for (uint64_t s = o.first_seed;; ++s) {
    if ((s - o.first_seed) % o.shard_count == static_cast<uint64_t>(o.shard_index)) seeds.push_back(s);
    if (s == o.last_seed) break;
  }
  const bool progress = o.progress && isatty(STDERR_FILENO) == 1;
  std::map<pid_t, Child> running;
  std::vector<Outcome> outcomes;
  CoverageTotals coverage;
  size_t next = 0;
  while (next < seeds.size() || !running.empty()) {
    while (next < seeds.size() && running.size() < static_cast<size_t>(std::max(1, o.jobs))) {
      Child c;
      c.seed = seeds[next++];
      const pid_t pid = Spawn(o, c);
      if (pid < 0) {
        std::fprintf(out, "kvsim swarm: cannot start a child process\n");
        return 1;
      }
      running[pid] = c;
    }
    int status = 0;
    const pid_t done = waitpid(-1, &status, 0);
    auto it = running.find(done);
    if (it == running.end()) continue;
    outcomes.push_back(Collect(it->second, status, coverage));
    running.erase(it);
    if (progress) {
      size_t failed = 0;
      for (const Outcome& r : outcomes) failed += r.passed ? 0 : 1;
      std::fprintf(stderr, "\r\033[K  %zu/%zu seeds, %zu failed", outcomes.size(), seeds.size(), failed);
    }
  }
  if (progress) std::fprintf(stderr, "\r\033[K");
  std::sort(outcomes.begin(), outcomes.end(),
            [](const Outcome& a, const Outcome& b) { return a.seed < b.seed; });
  size_t failed = 0;
  for (const Outcome& r : outcomes) failed += r.passed ? 0 : 1;
  std::fprintf(out, "kvsim swarm %s: seeds %llu..%llu", o.scenario_path.c_str(),
               static_cast<unsigned long long>(o.first_seed),
               static_cast<unsigned long long>(o.last_seed));
  if (o.shard_count > 1) std::fprintf(out, " shard %d/%d", o.shard_index, o.shard_count);
  std::fprintf(out, ": %zu run, %zu passed, %zu failed%s\n", outcomes.size(),
               outcomes.size() - failed, failed,
               o.randomise_knobs ? " (fault knobs randomised per seed)" : "");
  for (const Outcome& r : outcomes) {
    if (r.passed) continue;
    std::fprintf(out, "\nFAIL seed %llu%s%s\n  %s\n  reproduce: kvsim run %s --seed %llu%s\n",
                 static_cast<unsigned long long>(r.seed),
                 o.randomise_knobs ? " with " : "", o.randomise_knobs ? r.knobs.c_str() : "", r.problem.c_str(), ShellQuote(o.scenario_path).c_str(),
                 static_cast<unsigned long long>(r.seed), o.randomise_knobs ? " --swarm" : "");
  }
  std::fprintf(out, "\n%s", coverage.Report().c_str());
  return failed == 0 ? 0 : 1;
}

}  // namespace kv::tools
