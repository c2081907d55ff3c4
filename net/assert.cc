#include "net/assert.h"

#include <cstdio>
#include <cstdlib>

namespace kv {

void AssertFail(const char* file, int line, const char* expr, absl::string_view msg) {
  if (msg.empty()) {
    std::fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, expr);
  } else {
    std::fprintf(stderr, "%s:%d: assertion failed: %s (%.*s)\n", file, line, expr,
                 static_cast<int>(msg.size()), msg.data());
  }
  std::fflush(stderr);
  std::abort();
}

}  // namespace kv
