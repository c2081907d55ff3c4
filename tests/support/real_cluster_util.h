// Helpers for the multi-process integration tests: a LocalCluster of real kvnode processes with
// the tests' usual settings, HTTP and RESP clients to its nodes, kvctl, and a writer under load.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "support/shell.h"
#include "tools/kvctl/http_client.h"
#include "tools/realcluster/local_cluster.h"
#include "tools/realcluster/resp_client.h"

namespace kv::realcluster {

inline std::string KvnodeBinary() { return std::string(KV_BINARY_DIR) + "/tools/kvnode"; }

inline std::string TestDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return absl::StrCat(tmp ? tmp : "/tmp", "/dynkv-it-", name, "-", ::getpid());
}

// Nodes first_id.. first_id + nodes - 1 (N=3 R=2 W=2, fast gossip and anti-entropy, unless
// `extra` flags say otherwise), up with a ring; nullptr (and a test failure) if not. A single
// node bootstraps a cluster of itself.
inline std::unique_ptr<LocalCluster> StartCluster(const std::string& name,
                                                  std::vector<std::string> extra = {},
                                                  std::string token = "", int nodes = 3,
                                                  int first_id = 1) {
  LocalClusterOptions options;
  options.nodes = nodes;
  options.first_id = first_id;
  options.kvnode_binary = KvnodeBinary();
  options.dir = TestDir(name);
  std::filesystem::remove_all(options.dir);
  const std::vector<std::pair<std::string, std::string>> defaults = {
      {"--n", "3"}, {"--r", "2"}, {"--w", "2"}, {"--partitions", "16"},
      {"--gossip-interval", "100ms"}, {"--anti-entropy-interval", "50ms"}, {"--log-level", "info"}};
  for (const auto& [flag, value] : defaults) {
    if (std::find(extra.begin(), extra.end(), flag) != extra.end()) continue;  // overridden
    options.flags.push_back(flag);
    options.flags.push_back(value);
  }
  options.flags.insert(options.flags.end(), extra.begin(), extra.end());
  options.token = token;
  options.keep_dir = [] { return ::testing::Test::HasFailure(); };  // kept for diagnosis only
  absl::StatusOr<std::unique_ptr<LocalCluster>> cluster = LocalCluster::Start(options);
  EXPECT_TRUE(cluster.ok()) << cluster.status();
  if (!cluster.ok()) return nullptr;
  absl::Status ring = (*cluster)->WaitForRing();
  EXPECT_TRUE(ring.ok()) << ring << "\n" << (*cluster)->LogTail(1);
  return ring.ok() ? std::move(*cluster) : nullptr;
}

inline kvctl::HttpReply Http(const LocalCluster& c, int node, const std::string& method,
                      const std::string& path, const std::string& body = "",
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
  absl::StatusOr<kvctl::HttpReply> reply =
      kvctl::Request({.host_port = c.http_address(node)}, method, path, headers, body);
  EXPECT_TRUE(reply.ok()) << reply.status();
  return reply.ok() ? *reply : kvctl::HttpReply{};
}

inline std::unique_ptr<RespClient> Redis(const LocalCluster& c, int node) {
  absl::StatusOr<std::unique_ptr<RespClient>> client = RespClient::Connect(c.redis_address(node));
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? std::move(*client) : nullptr;
}

// Output of a shell command (stdout), for redis-cli and curl.
inline std::string Shell(const std::string& command) { return kv::testing::RunShell(command).output; }


// Writes keys w<i> = v<i> through nodes 1 and 2 until `stop`; returns the acknowledged ones.
inline std::vector<int> WriteUntil(const LocalCluster& c, std::atomic<bool>& stop, int first) {
  std::vector<int> acked;
  std::unique_ptr<RespClient> clients[2] = {Redis(c, 1), Redis(c, 2)};
  for (int i = first; !stop.load(); ++i) {
    RespClient* client = clients[i % 2].get();
    if (client == nullptr) break;
    absl::StatusOr<RespReply> r = client->Call({"SET", absl::StrCat("w", i), absl::StrCat("v", i)});
    if (r.ok() && r->type == RespReply::Type::kSimple) acked.push_back(i);
  }
  return acked;
}

// How many of the writes w<i> = v<i> (i in `acked`) node `node` still lacks in its own copies,
// checked every `period` (reading with R=1 while every other node is paused, so only its copy
// answers) until none or `timeout`. -1 if a pause or resume failed.
inline int KeysStillMissing(LocalCluster& c, int node, const std::vector<int>& acked,
                            absl::Duration timeout = absl::Seconds(60),
                            absl::Duration period = absl::Seconds(1)) {
  const absl::Time deadline = absl::Now() + timeout;
  int behind = -1;
  while (absl::Now() < deadline && behind != 0) {
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(period));
    for (int other = 1; other <= c.size(); ++other) {
      if (other != node && c.running(other) && !c.Pause(other).ok()) return -1;
    }
    behind = 0;
    for (int i : acked) {
      kvctl::HttpReply r = Http(c, node, "GET", absl::StrCat("/kv/w", i, "?r=1"));
      if (r.body != absl::StrCat("v", i)) ++behind;
    }
    for (int other = 1; other <= c.size(); ++other) {
      if (other != node && c.running(other) && !c.Resume(other).ok()) return -1;
    }
  }
  return behind;
}

inline std::string Kvctl(const std::string& args) {
  return Shell(absl::StrCat(KV_BINARY_DIR, "/tools/kvctl ", args, " 2>&1; echo status=$?"));
}

}  // namespace kv::realcluster
