// Serves one HTTP/1.1 connection of a node's API: reads requests from a ByteStream (TCP in real
// mode, an in-memory pipe in tests and the simulator), hands each to HttpApi, writes the answers.
//
// Keep-alive: requests are answered in order on the same connection (pipelined ones included)
// until the client asks "Connection: close" (or speaks HTTP/1.0 without keep-alive), the
// connection has served requests_per_connection_max requests, or something goes wrong:
//   - no byte of a next request within idle_timeout: the connection is closed without an answer;
//   - a request started but not complete within request_timeout of its first byte: 408, closed;
//   - a malformed request: 400 (413 for a body over the limit, 431 for a header over the limit),
//     closed, since what follows cannot be framed;
//   - the peer closes, the stream breaks, or a write does not finish within write_timeout.
// "Expect: 100-continue" is answered with "100 Continue" once the header parsed (an over-limit
// body is refused with 413 before the client sends it).
//
// Every answered request is recorded in the api's ApiMetrics (api "http"; malformed requests as
// op "malformed", timeouts as "timeout"), and the connection counts as open while this runs.
#pragma once

#include <cstddef>

#include "net/byte_stream.h"
#include "net/http.h"
#include "net/runtime.h"
#include "node/api/http_api.h"

namespace kv::node {

struct HttpServerOptions {
  // Request limits. A body_bytes_max of 0 takes the api's value limit (HttpApi::value_bytes_max).
  http::ParserOptions parser = {.body_bytes_max = 0, .header_bytes_max = 16 << 10};
  // Zero means none, for each of the three timeouts.
  Duration idle_timeout = absl::Seconds(60);
  Duration request_timeout = absl::Seconds(10);
  Duration write_timeout = absl::Seconds(10);
  size_t requests_per_connection_max = 10000;
  size_t read_chunk_bytes = 16 << 10;
};

// Serves `stream` until the connection ends (see above), then closes it. Throws FiberCancelled
// if the fiber is cancelled (the stream is closed on the way out too).
// REQUIRES: on a fiber of `rt` (the node's process); `stream` and `api` outlive the call.
void ServeHttpConnection(Runtime& rt, ByteStream& stream, HttpApi& api,
                         const HttpServerOptions& options = {});

}  // namespace kv::node
