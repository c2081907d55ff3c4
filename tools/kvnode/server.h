// One kvnode process: the real runtime (Asio event loop, fibers, TCP transport, system clock,
// RocksDB on POSIX files), the Dynamo node, and the client listeners (HTTP, Redis protocol).
//
// Start-up order: data directory identity (refuses another node's or format's), listeners (a
// port in use fails start-up, before any data is touched), the node (storage, generation, ring),
// then accepting clients. A fatal start error is logged and Run returns 1.
//
// Shutdown on SIGTERM or SIGINT: listeners close, every fiber is cancelled (connections are
// dropped; a request in flight gets no answer, as in a crash), then the storage engine closes
// cleanly (under interval durability it syncs the WAL first), and Run returns 0. What was
// acknowledged is on disk either way; a clean stop also keeps the unacknowledged tail.
#pragma once

#include "tools/kvnode/config.h"

namespace kv::kvnode {

// Runs the node until a signal stops it. Returns the process exit status.
int RunServer(const Config& config);

}  // namespace kv::kvnode
