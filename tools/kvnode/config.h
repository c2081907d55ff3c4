// kvnode's configuration: defaults, then a TOML file (--config), then command-line flags, each
// overriding the one before. Every field can be set both ways; `kvnode --help` lists the flags and
// tools/kvnode/README.md the file's keys.
//
// Bad input is refused before anything starts: an unknown key or flag, a wrong type, an
// impossible setting (W > N, a seed without an id) gives an error naming the file and line or the
// flag, and kvnode exits with status 2.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "net/log.h"
#include "net/transport.h"
#include "node/node.h"

namespace kv::kvnode {

// A peer known at start: "3@127.0.0.1:7003".
struct SeedAddress {
  NodeId id = kNoNode;
  std::string address;  // host:port of its peer listener
};
absl::StatusOr<SeedAddress> ParseSeed(absl::string_view text);

struct Config {
  NodeId id = kNoNode;          // required, >= 1
  std::string data_dir;         // required
  uint32_t weight = 1;

  std::string peer_listen = "127.0.0.1:7000";   // node-to-node TCP
  std::string http_listen = "127.0.0.1:8000";   // "" = no HTTP API
  std::string redis_listen = "127.0.0.1:6379";  // "" = no Redis protocol

  std::vector<SeedAddress> seeds;  // empty: this node bootstraps a cluster of itself
  uint32_t partitions = 64;
  uint32_t n = 3, r = 2, w = 2;
  bool sloppy = true;
  std::string cluster_secret;  // node-to-node handshake; all nodes must agree
  std::string client_token;    // HTTP bearer token and Redis AUTH password; "" = none

  std::string durability = "sync";  // "sync" or "interval"
  Duration sync_interval = absl::Seconds(1);
  uint64_t key_bytes_max = 4 << 10;
  uint64_t value_bytes_max = 1 << 20;
  uint64_t block_cache_bytes = 64 << 20;
  uint64_t memtable_flush_bytes = 64 << 20;

  Duration gossip_interval = absl::Seconds(1);
  Duration anti_entropy_interval = absl::Seconds(1);
  Duration request_timeout = absl::Seconds(1);
  Duration handoff_interval = absl::Seconds(1);
  std::string resolution = "dvv";  // "dvv" or "lww"

  uint32_t connections_max = 10000;  // client connections (HTTP + Redis) at once
  Duration idle_timeout = absl::Minutes(5);  // a client connection silent this long is closed

  LogLevel log_level = LogLevel::kInfo;

  // --restore PATH (a flag only, never in the file: it acts once): before starting, restore the
  // data directory from the snapshot at PATH (tools/kvnode/backup.h). "" = no restore.
  std::string restore_from;
};

// Parses argv (flags, possibly --config FILE). Returns the config, or INVALID_ARGUMENT with a
// message for the user. `--help` returns CANCELLED with the help text as the message.
absl::StatusOr<Config> ParseConfig(int argc, const char* const* argv);

// Reads a TOML file's settings over `base` (errors: "FILE:LINE: key: reason").
absl::StatusOr<Config> ApplyTomlFile(const std::string& path, Config base);

// OK or INVALID_ARGUMENT naming the first bad setting.
absl::Status ValidateConfig(const Config& config);

// The node's options for this configuration.
node::NodeOptions ToNodeOptions(const Config& config);

}  // namespace kv::kvnode
