// A bidirectional byte stream as a fiber sees it: a TCP connection in real mode (net/tcp_stream.h),
// an in-memory pipe in tests (net/memory_stream.h). Protocol front ends (node/api/) serve one
// connection through this interface, so they never touch sockets and run in the simulator too.
//
// Threading: the calling process's fibers; one reader and one writer at a time.
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "net/time.h"

namespace kv {

class ByteStream {
 public:
  virtual ~ByteStream() = default;

  // Suspends until at least one byte is available, then copies up to `n` bytes into `buf` and
  // returns how many. Returns 0 at end of stream (the peer closed its side). DEADLINE_EXCEEDED if
  // `deadline` passes first (nothing consumed); UNAVAILABLE if the connection broke or was closed.
  // Throws FiberCancelled if the fiber is cancelled. REQUIRES: on a fiber; n > 0.
  virtual absl::StatusOr<size_t> ReadSome(char* buf, size_t n, MonoTime deadline) = 0;

  // Suspends until all of `data` is handed to the connection (not necessarily received).
  // DEADLINE_EXCEEDED (some bytes may have gone) or UNAVAILABLE; after either the stream is
  // unusable for writing. REQUIRES: on a fiber.
  virtual absl::Status WriteAll(absl::string_view data, MonoTime deadline) = 0;

  // Closes both directions; pending and later reads and writes fail with UNAVAILABLE and the
  // peer sees end of stream. Idempotent.
  virtual void Close() = 0;

  // The peer's address for logs ("127.0.0.1:51234", or a test's name).
  virtual std::string peer() const = 0;
};

}  // namespace kv
