// Always-on assertions (TigerBeetle style): they stay in release builds, because a broken invariant
// in a simulated run must stop the run with the seed still on screen, not corrupt data silently.
#pragma once

#include "absl/strings/string_view.h"

namespace kv {

// Prints "file:line: assertion failed: expr (msg)" to stderr and aborts. Never returns.
[[noreturn]] void AssertFail(const char* file, int line, const char* expr, absl::string_view msg);

}  // namespace kv

#define KV_ASSERT(cond)                                              \
  do {                                                               \
    if (__builtin_expect(!(cond), 0)) {                              \
      ::kv::AssertFail(__FILE__, __LINE__, #cond, absl::string_view()); \
    }                                                                \
  } while (0)

#define KV_ASSERT_MSG(cond, msg)                          \
  do {                                                    \
    if (__builtin_expect(!(cond), 0)) {                   \
      ::kv::AssertFail(__FILE__, __LINE__, #cond, (msg)); \
    }                                                     \
  } while (0)

#define KV_UNREACHABLE(msg) ::kv::AssertFail(__FILE__, __LINE__, "unreachable", (msg))
