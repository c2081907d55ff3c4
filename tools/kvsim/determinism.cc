#include "tools/kvsim/determinism.h"

#include <cstdio>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kv::tools {
namespace {

constexpr size_t kTraceLinesKeptMax = 20'000'000;

// Runs the seed twice with trace sinks and names the first record where the runs differ.
std::string FirstDivergence(const SeedRun& run) {
  std::vector<std::string> first;
  run([&first](absl::string_view line) {
    if (first.size() < kTraceLinesKeptMax) first.emplace_back(line);
  });
  size_t index = 0;
  std::string mine, theirs;
  bool found = false;
  run([&](absl::string_view line) {
    if (found) return;
    if (index >= first.size()) {
      found = true;
      mine = "(end of trace)";
      theirs = std::string(line);
    } else if (first[index] != line) {
      found = true;
      mine = first[index];
      theirs = std::string(line);
    }
    if (!found) ++index;
  });
  if (!found) return "the traced re-runs did not diverge (the difference is intermittent)";
  return absl::StrFormat("first divergence at trace record #%d:\n  run A: %s\n  run B: %s", index,
                         mine, theirs);
}

}  // namespace

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

DeterminismVerdict CheckDeterminism(uint64_t seed, uint64_t fingerprint, const SeedRun& run,
                                    const std::string& child_command) {
  const uint64_t again = run(nullptr);
  if (again != fingerprint) {
    return {false, absl::StrFormat(
                       "NONDETERMINISM: seed %d gave fingerprints %s and %s in one process; %s",
                       seed, sim::FingerprintString(fingerprint), sim::FingerprintString(again),
                       FirstDivergence(run))};
  }
  FILE* child = ::popen(child_command.c_str(), "r");
  if (child == nullptr) return {false, absl::StrCat("could not start '", child_command, "'")};
  std::string output;
  char buffer[256];
  while (std::fgets(buffer, sizeof(buffer), child) != nullptr) output += buffer;
  const int status = ::pclose(child);
  const std::string theirs(absl::StripAsciiWhitespace(output));
  if (theirs.size() != 16) {
    return {false, absl::StrFormat("determinism check: the child run failed (status %d): %s",
                                   status, output)};
  }
  if (theirs != sim::FingerprintString(fingerprint)) {
    return {false, absl::StrFormat(
                       "NONDETERMINISM: seed %d gave fingerprint %s here and %s in a separate "
                       "process (behaviour depends on per-process state: hashed-container order, "
                       "pointer values, the environment)",
                       seed, sim::FingerprintString(fingerprint), theirs)};
  }
  return {true, absl::StrFormat("determinism: OK (fingerprint %s again in this process and in a "
                                "separate process)",
                                sim::FingerprintString(fingerprint))};
}

}  // namespace kv::tools
