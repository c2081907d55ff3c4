// The Redis protocol (RESP2) front end of a node: serves one client connection, a ByteStream
// (TCP in real mode, an in-memory pipe in tests and the simulator), until it ends.
//
// Loop: read what is available (up to read_chunk_bytes), feed the parser (net/resp.h), execute
// every complete command in order through the session, then write all of their replies with one
// WriteAll (pipelining: a client that sends 16 commands at once gets 16 replies in one write).
// A batch whose replies grow past reply_flush_bytes is written in several pieces, in order.
//
// The connection ends, and the stream is closed, when:
//   - the client closes its side (after what it sent is answered)        -> OK
//   - QUIT (answered +OK)                                                -> OK
//   - a protocol error: commands before it are answered, then
//     "-ERR Protocol error: ..."                                         -> INVALID_ARGUMENT
//   - a partial request holds more than query_buffer_bytes_max bytes:
//     "-ERR Protocol error: ..." naming the limit                        -> RESOURCE_EXHAUSTED
//   - a command named POST or "Host:" (an HTTP request, as a browser tricked into
//     cross-protocol scripting sends): closed without a reply, as Redis  -> PERMISSION_DENIED
//   - nothing arrives for idle_timeout (if not zero; no reply, as Redis) -> DEADLINE_EXCEEDED
//   - a read or write fails or a write takes longer than write_timeout   -> that error
// Replies are written before the stream is closed in every case that has one.
//
// Threading: call on a fiber of the node's process (the session suspends it while the coordinator
// works); one call per connection. Cancelling the fiber (a crash) unwinds it at once.
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "net/byte_stream.h"
#include "net/resp.h"
#include "net/runtime.h"
#include "node/api/redis_session.h"

namespace kv::api {

struct RedisServerOptions {
  // Request limits (bulk length, multibulk count, inline line); Redis's defaults.
  RespParserOptions parser;
  // Most bytes one partial request may hold (Redis's client-query-buffer-limit, 1 GiB). A
  // request that needs more is refused and the connection closed.
  size_t query_buffer_bytes_max = size_t{1} << 30;
  // A connection that sends nothing for this long is closed. Zero: never (Redis's timeout 0).
  Duration idle_timeout = absl::ZeroDuration();
  // The longest one write of replies may take before the connection is given up.
  Duration write_timeout = absl::Seconds(30);
  // Bytes asked of the stream per read (Redis reads 16 KiB at a time).
  size_t read_chunk_bytes = 16 << 10;
  // Replies of one batch are written early once they hold this many bytes (bounds memory when
  // a pipeline of large GETs arrives at once).
  size_t reply_flush_bytes = 1 << 20;
};

// Serves `stream` until the connection ends (see above); closes it; returns why it ended.
// Counts the connection in session.stats() (connections_received, connected_clients while it
// runs). REQUIRES: on a fiber of the session's node process; `stream` and `session` outlive the
// call.
absl::Status ServeRedisConnection(Runtime& rt, ByteStream& stream, RedisSession& session,
                                  const RedisServerOptions& options);

}  // namespace kv::api
