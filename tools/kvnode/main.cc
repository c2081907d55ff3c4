// kvnode: one node of a dynkv cluster. See tools/kvnode/README.md.
#include <cstdio>

#include "tools/kvnode/config.h"
#include "tools/kvnode/server.h"

int main(int argc, char** argv) {
  absl::StatusOr<kv::kvnode::Config> config = kv::kvnode::ParseConfig(argc, argv);
  if (!config.ok()) {
    if (absl::IsCancelled(config.status())) {  // --help
      std::fputs(std::string(config.status().message()).c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "kvnode: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  return kv::kvnode::RunServer(*config);
}
