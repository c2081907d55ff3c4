// A cluster of real kvnode processes on loopback, for the multi-process integration tests and
// `kvsim run --real`: each node has its own data directory, log file and free ports, and can be
// started, killed (SIGKILL), terminated (SIGTERM), paused (SIGSTOP) and restarted on its data.
//
// Node 1 bootstraps the cluster; the others join through it. Ports are picked free by the OS
// (bind to port 0) when the cluster is created and kept for the nodes' lives, so a restarted node
// is where its peers expect it.
//
// Threading: one thread drives it. Real time, real processes: nothing here is deterministic.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace kv::realcluster {

struct LocalClusterOptions {
  int nodes = 3;
  // Node ids are first_id, first_id + 1, ...; the first bootstraps, the others join through it.
  int first_id = 1;
  std::string kvnode_binary;  // path of kvnode
  std::string dir;            // root; node i keeps dir/n<i>/ and dir/n<i>.log
  // Flags every node gets (e.g. {"--n", "3", "--w", "2", "--gossip-interval", "200ms"}).
  std::vector<std::string> flags;
  // The client token the nodes require (pass --token in `flags` too), for /cluster.
  std::string token;
  // Flags for one node only, after `flags`: node_flags[i] goes to node i + 1 (e.g. --weight).
  std::vector<std::vector<std::string>> node_flags;
  // Asked when the cluster is destroyed: the root directory `dir` is removed (after the nodes
  // are killed) unless this returns true. Unset: the directory is kept. Tests keep it only when
  // they failed, so passing runs leave nothing behind (a node killed with SIGKILL leaves its
  // preallocated WAL, ~70 MiB, on disk).
  std::function<bool()> keep_dir;
};

class LocalCluster {
 public:
  // Picks ports and starts every node; returns once each answers /health.
  static absl::StatusOr<std::unique_ptr<LocalCluster>> Start(LocalClusterOptions options,
                                                             absl::Duration timeout = absl::Seconds(30));
  // Kills every node still running (SIGKILL), then removes `dir` unless options.keep_dir says keep.
  ~LocalCluster();

  int size() const { return static_cast<int>(nodes_.size()); }
  const std::string& http_address(int node) const { return at(node).http; }
  const std::string& redis_address(int node) const { return at(node).redis; }
  const std::string& peer_address(int node) const { return at(node).peer; }
  const std::string& log_path(int node) const { return at(node).log; }
  bool running(int node) const { return at(node).pid > 0; }
  const std::string& data_dir(int node) const { return at(node).data_dir; }

  // Nodes are numbered 1..size() here whatever their ids; id(node) is the kvnode id.
  int id(int node) const { return at(node).id; }
  // Starts node `node` (1-based) on its data directory and waits for /health.
  absl::Status StartNode(int node, absl::Duration timeout = absl::Seconds(30));
  // Starts node `node` without waiting (fork and exec only): for drivers that must not block.
  absl::Status Spawn(int node);
  // Waits until node `node` answers /health; an error if it exits or `timeout` passes first.
  absl::Status WaitHealthy(int node, absl::Duration timeout = absl::Seconds(30));
  // Adds a node (the next id, fresh ports and directory, `flags` after the cluster's) and spawns
  // it; it joins through node 1. Returns its number. Does not wait.
  absl::StatusOr<int> AddNode(std::vector<std::string> flags = {});
  // Asks node `node` to leave the cluster (POST /admin/leave); it hands its data over and stays
  // up until stopped.
  absl::Status Leave(int node);
  // Asks node `node` for an online snapshot of itself under `root` (POST /admin/backup, as kvctl
  // backup); returns the snapshot's directory (`root`/node-<id>).
  absl::StatusOr<std::string> Backup(int node, const std::string& root);
  // Starts node `node` (not running) as an operator restores one that lost its disk: its database
  // is moved aside (db.lost-<k>) and it runs with --restore `snapshot`. Does not wait.
  absl::Status SpawnRestored(int node, const std::string& snapshot);
  // The cluster's root directory (options.dir).
  const std::string& dir() const { return options_.dir; }
  // GET `path` from node `node`'s HTTP API (with the cluster's token): the body of a 200 answer,
  // else UNAVAILABLE naming the status. Blocks for at most `timeout`.
  absl::StatusOr<std::string> HttpGet(int node, const std::string& path,
                                      absl::Duration timeout = absl::Seconds(2)) const;
  // Defines namespace `name` (PUT /ns/{name} with `json_body` to node 1, as kvctl ns create) and
  // waits until every running node knows it (gossip). An error naming the refusal or the node
  // still without it at `timeout`.
  absl::Status DefineNamespace(const std::string& name, const std::string& json_body,
                               absl::Duration timeout = absl::Seconds(20));
  // Notices nodes that exited by themselves (without Kill or Terminate); returns their numbers.
  // Does not block.
  std::vector<int> Reap();
  // SIGKILL and reap: a crash.
  absl::Status Kill(int node);
  // SIGTERM and wait for the exit; an error if it exits non-zero or not within `timeout`.
  absl::Status Terminate(int node, absl::Duration timeout = absl::Seconds(20));
  absl::Status Pause(int node);
  absl::Status Resume(int node);

  // Waits until every running node's /cluster shows `owners` nodes owning partitions (default:
  // this cluster's size) and at least as many members alive.
  absl::Status WaitForRing(absl::Duration timeout = absl::Seconds(60), int owners = 0);
  // Waits until no running node holds hints.
  absl::Status WaitForHintsDrained(absl::Duration timeout = absl::Seconds(60));

  // The last lines of a node's log (for failure messages).
  std::string LogTail(int node, int lines = 20) const;

 private:
  struct Node {
    int id = 0;
    std::string peer, http, redis, data_dir, log;
    std::vector<std::string> flags;  // this node's own, after the cluster's
    pid_t pid = -1;
  };
  absl::StatusOr<Node> NewNode(int id) const;
  // StartNode for a node of Start, which no other node knows yet: if another process took one of
  // its ports between FreePort and its bind, it gets new ports and starts again (a few times).
  absl::Status StartNewNode(int node, absl::Duration timeout);
  explicit LocalCluster(LocalClusterOptions options) : options_(std::move(options)) {}
  const Node& at(int node) const;
  Node& at(int node);
  std::vector<std::string> Argv(const Node& n) const;

  LocalClusterOptions options_;
  std::vector<Node> nodes_;
};

// A free TCP port on 127.0.0.1 (bound to port 0, then released).
absl::StatusOr<int> FreePort();

}  // namespace kv::realcluster
