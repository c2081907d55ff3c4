// Runs a shell command from a test (redis-cli, curl, kvsim, a child of the test binary) and
// collects what it printed.
#pragma once

#include <stdio.h>
#include <sys/wait.h>

#include <string>

namespace kv::testing {

struct ShellRun {
  int exit_code = -1;  // -1: not run, or ended by a signal
  std::string output;  // stdout (append " 2>&1" to the command for stderr too)
};

// Runs `command` with /bin/sh and waits for it.
inline ShellRun RunShell(const std::string& command) {
  ShellRun run;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) {
    run.output = "popen failed";
    return run;
  }
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), p)) > 0) run.output.append(buffer, n);
  const int status = ::pclose(p);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

}  // namespace kv::testing
