// Multi-process integration tests: real kvnode processes on loopback (3 nodes, N=3, R=2, W=2),
// driven over HTTP and the Redis protocol, with redis-cli and curl too; kill -9 under load,
// restart, anti-entropy, clean SIGTERM restarts. Real time and real processes: these tests wait
// for conditions with deadlines, never for fixed sleeps alone.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "support/real_cluster_util.h"
#include "support/shell.h"
#include "tools/kvctl/http_client.h"
#include "tools/realcluster/local_cluster.h"
#include "tools/realcluster/resp_client.h"

namespace kv::realcluster {
namespace {

std::pair<std::string, std::string> HostPort(const std::string& address) {
  const size_t colon = address.rfind(':');
  return {address.substr(0, colon), address.substr(colon + 1)};
}

TEST(RealClusterTest, ThreeNodesServeHttpRedisRedisCliAndCurl) {
  std::unique_ptr<LocalCluster> c = StartCluster("serve");
  ASSERT_NE(c, nullptr);
  // HTTP in, HTTP and RESP out, through different nodes.
  EXPECT_EQ(Http(*c, 1, "PUT", "/kv/greeting", "hello").status, 204);
  kvctl::HttpReply got = Http(*c, 2, "GET", "/kv/greeting");
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, "hello");
  EXPECT_FALSE(got.Header("X-Kv-Context").empty());
  std::unique_ptr<RespClient> redis = Redis(*c, 3);
  ASSERT_NE(redis, nullptr);
  EXPECT_EQ(redis->Call({"GET", "greeting"})->ToString(), "\"hello\"");
  // RESP in, HTTP out; pipelining.
  EXPECT_EQ(redis->Call({"SET", "counter", "41"})->ToString(), "OK");
  EXPECT_EQ(Http(*c, 1, "GET", "/kv/counter").body, "41");
  absl::StatusOr<std::vector<RespReply>> piped =
      redis->Pipeline({{"SET", "a", "1"}, {"SET", "b", "2"}, {"MGET", "a", "b", "nope"}});
  ASSERT_TRUE(piped.ok()) << piped.status();
  EXPECT_EQ((*piped)[2].ToString(), "[\"1\", \"2\", (nil)]");
  // Concurrent blind writes through two nodes: HTTP shows both siblings (300), Redis one (LWW).
  EXPECT_EQ(Http(*c, 1, "PUT", "/kv/sib", "left").status, 204);
  EXPECT_EQ(Http(*c, 2, "PUT", "/kv/sib", "right").status, 204);
  kvctl::HttpReply siblings = Http(*c, 3, "GET", "/kv/sib");
  EXPECT_EQ(siblings.status, 300);
  EXPECT_NE(siblings.body.find("left"), std::string::npos);
  EXPECT_NE(siblings.body.find("right"), std::string::npos);
  const std::string lww = redis->Call({"GET", "sib"})->ToString();
  EXPECT_TRUE(lww == "\"left\"" || lww == "\"right\"") << lww;
  // A write with the read's context resolves them.
  EXPECT_EQ(Http(*c, 3, "PUT", "/kv/sib", "merged", {{"X-Kv-Context", siblings.Header("X-Kv-Context")}}).status, 204);
  EXPECT_EQ(Http(*c, 1, "GET", "/kv/sib").body, "merged");
  // The real tools.
  auto [rhost, rport] = HostPort(c->redis_address(1));
  EXPECT_EQ(Shell(absl::StrCat("redis-cli -h ", rhost, " -p ", rport, " SET tool redis-cli")), "OK\n");
  EXPECT_EQ(Shell(absl::StrCat("redis-cli -h ", rhost, " -p ", rport, " GET tool")), "redis-cli\n");
  EXPECT_EQ(Shell(absl::StrCat("curl -s http://", c->http_address(2), "/kv/tool")), "redis-cli");
  EXPECT_EQ(Shell(absl::StrCat("curl -s -o /dev/null -w '%{http_code}' -X DELETE http://",
                               c->http_address(2), "/kv/tool")), "204");
  EXPECT_EQ(Shell(absl::StrCat("redis-cli -h ", rhost, " -p ", rport, " EXISTS tool")), "0\n");
}


TEST(RealClusterTest, KillNineUnderLoadLosesNoAcknowledgedWriteAndTheNodeCatchesUp) {
  std::unique_ptr<LocalCluster> c = StartCluster("kill9");
  ASSERT_NE(c, nullptr);
  std::atomic<bool> stop{false};
  std::vector<int> acked;
  std::thread writer([&] { acked = WriteUntil(*c, stop, 0); });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ASSERT_TRUE(c->Kill(3).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  stop = true;
  writer.join();
  ASSERT_GT(acked.size(), 20u) << "too few writes acknowledged to mean anything";
  // Every acknowledged write is readable with node 3 down (R=2 of the two left).
  std::unique_ptr<RespClient> reader = Redis(*c, 1);
  ASSERT_NE(reader, nullptr);
  int missing = 0;
  for (int i : acked) {
    absl::StatusOr<RespReply> r = reader->Call({"GET", absl::StrCat("w", i)});
    if (!r.ok() || r->text != absl::StrCat("v", i)) ++missing;
  }
  EXPECT_EQ(missing, 0) << "of " << acked.size() << " acknowledged writes";
  // Node 3 comes back; hints drain and anti-entropy gives it what it missed. Checked by pausing
  // the other two and reading node 3's own copies (R=1).
  ASSERT_TRUE(c->StartNode(3).ok()) << c->LogTail(3);
  ASSERT_TRUE(c->WaitForHintsDrained().ok());
  const int behind = KeysStillMissing(*c, 3, acked, absl::Seconds(60), absl::Seconds(2));
  EXPECT_EQ(behind, 0) << "keys node 3 still lacks after anti-entropy:\n" << c->LogTail(3);
}

TEST(RealClusterTest, SigtermAndRestartKeepEveryWrite) {
  std::unique_ptr<LocalCluster> c = StartCluster("sigterm", {"--durability", "interval"});
  ASSERT_NE(c, nullptr);
  std::unique_ptr<RespClient> redis = Redis(*c, 1);
  ASSERT_NE(redis, nullptr);
  std::vector<std::vector<std::string>> sets;
  for (int i = 0; i < 300; ++i) sets.push_back({"SET", absl::StrCat("k", i), absl::StrCat("v", i)});
  ASSERT_TRUE(redis->Pipeline(sets).ok());
  redis.reset();
  for (int node = 1; node <= 3; ++node) {
    absl::Status s = c->Terminate(node);
    EXPECT_TRUE(s.ok()) << s;
  }
  for (int node = 1; node <= 3; ++node) ASSERT_TRUE(c->StartNode(node).ok()) << c->LogTail(node);
  ASSERT_TRUE(c->WaitForRing().ok());
  redis = Redis(*c, 2);
  ASSERT_NE(redis, nullptr);
  int found = 0;
  for (int i = 0; i < 300; ++i) {
    absl::StatusOr<RespReply> r = redis->Call({"GET", absl::StrCat("k", i)});
    found += r.ok() && r->text == absl::StrCat("v", i);
  }
  EXPECT_EQ(found, 300);
}

TEST(RealClusterTest, AStartRefusesAnotherNodesDataDirectory) {
  std::unique_ptr<LocalCluster> c = StartCluster("identity");
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Terminate(2).ok());
  // Node 3's binary pointed at node 2's directory.
  const std::string out = Shell(absl::StrCat(KvnodeBinary(), " --id 3 --data-dir ", TestDir("identity"),
                                             "/n2 --peer 127.0.0.1:0 --http 127.0.0.1:0 --redis '' 2>&1; echo status=$?"));
  EXPECT_NE(out.find("belongs to node 2, not node 3"), std::string::npos) << out;
  EXPECT_NE(out.find("status=1\n"), std::string::npos) << out;
}

// Found by tools/bench/run.sh: a start whose client port was taken aborted (live fibers at exit)
// instead of saying why and exiting with status 1. Each listener kind in turn.
TEST(RealClusterTest, APortInUseFailsTheStartCleanly) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string taken = absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
  const std::string dir = TestDir("port-in-use");
  for (const std::string& flags : {absl::StrCat("--peer ", taken, " --http 127.0.0.1:0 --redis ''"),
                                  absl::StrCat("--peer 127.0.0.1:0 --http ", taken, " --redis ''"),
                                  absl::StrCat("--peer 127.0.0.1:0 --http '' --redis ", taken)}) {
    const std::string out = Shell(absl::StrCat(KvnodeBinary(), " --id 1 --data-dir ", dir, " ", flags,
                                               " 2>&1; echo status=$?"));
    EXPECT_NE(out.find("cannot start"), std::string::npos) << flags << "\n" << out;
    EXPECT_NE(out.find(taken), std::string::npos) << flags << "\n" << out;
    EXPECT_NE(out.find("status=1\n"), std::string::npos) << flags << "\n" << out;
  }
  close(fd);
}

// Found while profiling: kvnode's storage.memtable_flush_bytes took effect only in the simulator;
// a real node kept RocksDB's 64 MiB memtables whatever it was set to.
TEST(RealClusterTest, TheMemtableSizeSettingBoundsARealNodesMemtables) {
  std::unique_ptr<LocalCluster> c = StartCluster("memtable", {"--memtable-flush-bytes", "1048576"});
  ASSERT_NE(c, nullptr);
  std::unique_ptr<RespClient> redis = Redis(*c, 1);
  ASSERT_NE(redis, nullptr);
  const std::string value(1024, 'm');
  for (int round = 0; round < 8; ++round) {  // 4,000 keys of 1 KiB: 4 MiB on every replica
    std::vector<std::vector<std::string>> sets;
    for (int i = 0; i < 500; ++i) sets.push_back({"SET", absl::StrCat("m", round, "-", i), value});
    ASSERT_TRUE(redis->Pipeline(sets).ok());
  }
  auto metric = [&](absl::string_view name) -> int64_t {
    const std::string body = Http(*c, 1, "GET", "/metrics").body;
    for (absl::string_view line : absl::StrSplit(body, '\n')) {
      if (!absl::ConsumePrefix(&line, name) || !absl::ConsumePrefix(&line, " ")) continue;
      int64_t v = 0;
      if (absl::SimpleAtoi(line, &v)) return v;
    }
    return -1;
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (metric("kv_storage_sst_bytes") <= 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(100));
  EXPECT_GT(metric("kv_storage_sst_bytes"), 0) << "nothing flushed to SST files";
  EXPECT_LT(metric("kv_storage_memtable_bytes"), 3 << 20) << "memtables larger than the setting allows";
}

// The operator's view: kvctl writes, shows siblings with their context, resolves them, and makes
// a node that runs alone join the cluster, which then shows four owners.
TEST(RealClusterTest, KvctlReadsWritesResolvesAndJoinsALoneNode) {
  std::unique_ptr<LocalCluster> c = StartCluster("kvctl");
  ASSERT_NE(c, nullptr);
  const std::string n1 = absl::StrCat("--node ", c->http_address(1));
  const std::string n2 = absl::StrCat("--node ", c->http_address(2));
  EXPECT_NE(Kvctl(absl::StrCat(n1, " put color red")).find("stored (acks: "), std::string::npos);
  EXPECT_NE(Kvctl(absl::StrCat(n2, " put color blue")).find("status=0"), std::string::npos);
  const std::string siblings = Kvctl(absl::StrCat(n1, " get color"));
  EXPECT_NE(siblings.find("2 siblings"), std::string::npos) << siblings;
  const size_t at = siblings.find("context: ");
  ASSERT_NE(at, std::string::npos) << siblings;
  const std::string context(absl::StripAsciiWhitespace(
      siblings.substr(at + 9, siblings.find('\n', at) - at - 9)));
  EXPECT_NE(Kvctl(absl::StrCat(n2, " put color purple --context ", context)).find("status=0"),
            std::string::npos);
  const std::string resolved = Kvctl(absl::StrCat(n1, " get color"));
  EXPECT_NE(resolved.find("value: purple"), std::string::npos) << resolved;
  EXPECT_NE(Kvctl(absl::StrCat(n1, " get nothing-here")).find("(not found)\nstatus=1"),
            std::string::npos);
  EXPECT_NE(Kvctl("--node 127.0.0.1:1 status").find("cannot reach node 127.0.0.1:1"),
            std::string::npos);

  // A fourth node, started alone (it bootstraps a cluster of itself), joins through node 1.
  std::unique_ptr<LocalCluster> alone = StartCluster("kvctl-alone", {}, "", 1, 4);
  ASSERT_NE(alone, nullptr);
  const std::string joined = Kvctl(absl::StrCat("--node ", alone->http_address(1), " join 1@",
                                                c->peer_address(1)));
  EXPECT_NE(joined.find("joining"), std::string::npos) << joined;
  absl::Status four = c->WaitForRing(absl::Seconds(60), 4);
  EXPECT_TRUE(four.ok()) << four << "\n" << alone->LogTail(1);
  // The members' own status (UP once each sees itself in the ring) follows by gossip.
  std::string status;
  int up = 0;
  for (const absl::Time deadline = absl::Now() + absl::Seconds(20); up < 4 && absl::Now() < deadline;) {
    status = Kvctl(absl::StrCat(n1, " status"));
    up = 0;
    for (size_t p = status.find(" UP "); p != std::string::npos; p = status.find(" UP ", p + 1)) ++up;
    if (up < 4) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(up, 4) << status;
  // The joined node serves the cluster's data, once it has its peers' addresses (by gossip: a
  // read coordinated a moment after the join may still find a replica unreachable from it).
  std::string color;
  for (const absl::Time deadline = absl::Now() + absl::Seconds(10);
       color != "purple" && absl::Now() < deadline;) {
    color = Http(*alone, 1, "GET", "/kv/color").body;
    if (color != "purple") std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(color, "purple");
}

// Client tokens and the cluster secret over real sockets: clients without the token are refused
// by HTTP (401) and Redis (NOAUTH); a node with the wrong secret cannot join.
TEST(RealClusterTest, TheTokenAndTheClusterSecretKeepOutsidersOut) {
  std::unique_ptr<LocalCluster> c =
      StartCluster("secure", {"--secret", "s3cret", "--token", "t0ken"}, "t0ken");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Http(*c, 1, "PUT", "/kv/k", "v").status, 401);
  EXPECT_EQ(Http(*c, 1, "PUT", "/kv/k", "v", {{"Authorization", "Bearer t0ken"}}).status, 204);
  EXPECT_EQ(Http(*c, 2, "GET", "/kv/k", "", {{"Authorization", "Bearer wrong"}}).status, 401);
  std::unique_ptr<RespClient> redis = Redis(*c, 3);
  ASSERT_NE(redis, nullptr);
  EXPECT_EQ(redis->Call({"GET", "k"})->ToString(), "(error) NOAUTH Authentication required.");
  EXPECT_EQ(redis->Call({"AUTH", "t0ken"})->ToString(), "OK");
  EXPECT_EQ(redis->Call({"GET", "k"})->ToString(), "\"v\"");

  std::unique_ptr<LocalCluster> alone =
      StartCluster("secure-intruder", {"--secret", "guess"}, "", 1, 4);
  ASSERT_NE(alone, nullptr);
  EXPECT_EQ(Http(*alone, 1, "POST", absl::StrCat("/admin/join?seed=1@", c->peer_address(1)), "",
                 {{"Authorization", "Bearer t0ken"}}).status,
            202);
  // It keeps knocking; the cluster never lets it in.
  absl::Status four = c->WaitForRing(absl::Seconds(4), 4);
  EXPECT_FALSE(four.ok());
  EXPECT_NE(alone->LogTail(1, 200).find("secret"), std::string::npos) << alone->LogTail(1);
}

// Namespaces over real sockets: kvctl defines them with their own tokens; curl (HTTP) and
// redis-cli (SELECT by number) use them; a tenant's token opens its namespace and nothing else.
TEST(RealClusterTest, NamespacesThroughKvctlCurlAndRedisCli) {
  std::unique_ptr<LocalCluster> c = StartCluster("ns", {"--token", "admin"}, "admin");
  ASSERT_NE(c, nullptr);
  const std::string n1 = absl::StrCat("--node ", c->http_address(1), " --token admin");
  const std::string created = Kvctl(absl::StrCat(n1, " ns create tenant --n 2 --r 1 --w 1 --ttl 1h "
                                                      "--ns-token tt"));
  EXPECT_NE(created.find("created namespace tenant"), std::string::npos) << created;
  EXPECT_NE(Kvctl(absl::StrCat(n1, " ns create 5 --ns-token t5")).find("status=0"), std::string::npos);
  EXPECT_NE(Kvctl(absl::StrCat(n1, " ns create tenant")).find("already exists"), std::string::npos);
  // Gossip takes both to nodes 2 and 3.
  for (int node : {2, 3}) {
    for (const char* ns : {"/ns/5", "/ns/tenant"}) {
      int seen = 0;
      for (const absl::Time deadline = absl::Now() + absl::Seconds(10);
           seen != 200 && absl::Now() < deadline;) {
        seen = Http(*c, node, "GET", ns, "", {{"Authorization", "Bearer admin"}}).status;
        if (seen != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      ASSERT_EQ(seen, 200) << "node " << node << " does not know " << ns;
    }
  }
  const std::string listed = Kvctl(absl::StrCat(n1, " ns list"));
  EXPECT_NE(listed.find("tenant               2   1   1   sloppy  1h         (node's)     yes"),
            std::string::npos) << listed;

  const std::string n3 = absl::StrCat("--node ", c->http_address(3));
  EXPECT_NE(Kvctl(absl::StrCat(n3, " --token tt --ns tenant put k mine")).find("status=0"),
            std::string::npos);
  EXPECT_NE(Kvctl(absl::StrCat(n3, " --token tt get k")).find("401"), std::string::npos)
      << "a tenant's token does not open the default namespace";
  // The put's W=1 returned after one copy; R=2 reads both of the namespace's N=2 replicas, so
  // this read sees it however late the second copy lands (R=1 could read that one first).
  EXPECT_EQ(Shell(absl::StrCat("curl -s -H 'Authorization: Bearer tt' http://", c->http_address(2),
                               "/ns/tenant/kv/k?r=2")),
            "mine");
  EXPECT_EQ(Shell(absl::StrCat("curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer "
                               "tt' http://", c->http_address(2), "/ns/5/kv/k")),
            "401");
  auto [rhost, rport] = HostPort(c->redis_address(2));
  const std::string cli = absl::StrCat("redis-cli --no-auth-warning -h ", rhost, " -p ", rport);
  EXPECT_EQ(Shell(absl::StrCat(cli, " -a t5 -n 5 SET k five")), "OK\n");
  EXPECT_EQ(Shell(absl::StrCat(cli, " -a t5 -n 5 GET k")), "five\n");
  EXPECT_NE(Shell(absl::StrCat(cli, " -a t5 GET k 2>&1")).find("NOPERM"), std::string::npos);
  EXPECT_EQ(Shell(absl::StrCat(cli, " -a admin -n 5 GET k")), "five\n");
  EXPECT_EQ(Shell(absl::StrCat(cli, " -a admin GET k")), "\n") << "the default namespace's k";
}

// A cache namespace over real sockets: each node keeps its share within the budget, INFO and
// /metrics show hits, misses and evictions.
TEST(RealClusterTest, ACacheNamespaceEvictsAndReportsHitsMissesAndEvictions) {
  std::unique_ptr<LocalCluster> c = StartCluster("cache");
  ASSERT_NE(c, nullptr);
  const std::string made = Kvctl(absl::StrCat("--node ", c->http_address(1),
                                              " ns create 7 --n 2 --r 1 --w 2 --cache-bytes 8KiB"));
  ASSERT_NE(made.find("created namespace 7"), std::string::npos) << made;
  std::unique_ptr<RespClient> redis;
  for (const absl::Time deadline = absl::Now() + absl::Seconds(10); absl::Now() < deadline;) {
    redis = Redis(*c, 2);
    ASSERT_NE(redis, nullptr);
    if (redis->Call({"SELECT", "7"})->ToString() == "OK") break;  // gossip reached node 2
    redis.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_NE(redis, nullptr);
  std::vector<std::vector<std::string>> sets;
  for (int i = 0; i < 400; ++i) sets.push_back({"SET", absl::StrCat("k", i), std::string(100, 'v')});
  ASSERT_TRUE(redis->Pipeline(sets).ok());
  EXPECT_EQ(redis->Call({"GET", "k399"})->ToString(), absl::StrCat("\"", std::string(100, 'v'), "\""));
  EXPECT_EQ(redis->Call({"GET", "never-written"})->ToString(), "(nil)");
  const std::string info = redis->Call({"INFO", "cache"})->text;
  EXPECT_NE(info.find("cache_7:hits=1,misses=1,evictions="), std::string::npos) << info;
  // Evictions run in the background: every node is within budget soon after the writes.
  uint64_t evictions = 0, over = 1;
  std::string metrics;
  for (const absl::Time deadline = absl::Now() + absl::Seconds(10);
       over > 0 && absl::Now() < deadline;) {
    evictions = 0;
    over = 0;
    for (int node = 1; node <= 3; ++node) {
      metrics = Http(*c, node, "GET", "/metrics").body;
      for (absl::string_view line : absl::StrSplit(metrics, '\n')) {
        uint64_t v = 0;
        if (absl::ConsumePrefix(&line, "kv_cache_evictions_total{namespace=\"7\"} ") &&
            absl::SimpleAtoi(line, &v)) {
          evictions += v;
        }
        if (absl::ConsumePrefix(&line, "kv_cache_bytes{namespace=\"7\"} ") &&
            absl::SimpleAtoi(line, &v) && v > (8u << 10)) {
          ++over;
        }
      }
    }
    if (over > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(over, 0u) << metrics;
  EXPECT_GT(evictions, 0u);
}

// Bad input over real sockets: a connection flood past connections_max is refused while the
// connections already open keep working; a malformed RESP frame and a malformed HTTP request
// close only their own connection.
TEST(RealClusterTest, FloodsAndMalformedFramesHurtOnlyTheirOwnConnections) {
  std::unique_ptr<LocalCluster> c = StartCluster("flood", {"--connections-max", "6"});
  ASSERT_NE(c, nullptr);
  std::vector<std::unique_ptr<RespClient>> open;
  for (int i = 0; i < 6; ++i) {
    open.push_back(Redis(*c, 1));
    ASSERT_NE(open.back(), nullptr);
    EXPECT_EQ(open.back()->Call({"PING"})->ToString(), "PONG");
  }
  std::unique_ptr<RespClient> refused = Redis(*c, 1);
  ASSERT_NE(refused, nullptr);
  absl::StatusOr<RespReply> answer = refused->Call({"PING"});
  EXPECT_TRUE(!answer.ok() || answer->ToString() == "(error) ERR max number of clients reached")
      << answer->ToString();
  EXPECT_EQ(open.front()->Call({"SET", "still", "here"})->ToString(), "OK");
  open.pop_back();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::unique_ptr<RespClient> again = Redis(*c, 1);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->Call({"GET", "still"})->ToString(), "\"here\"");
  // A broken frame gets Redis's error and its connection is closed.
  std::unique_ptr<RespClient> broken = Redis(*c, 2);
  ASSERT_NE(broken, nullptr);
  EXPECT_EQ(broken->CallRaw("*1\r\n$x\r\n")->ToString(),
            "(error) ERR Protocol error: invalid bulk length");
  EXPECT_FALSE(broken->Call({"PING"}).ok());
  // Oversized values are refused with a clear error; nothing is written.
  std::unique_ptr<RespClient> big = Redis(*c, 2);
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(big->Call({"SET", "big", std::string((1 << 20) + 1, 'x')})->ToString(),
            "(error) ERR value too large (1048577 bytes; the limit is 1048576)");
  EXPECT_EQ(big->Call({"EXISTS", "big"})->ToString(), "(integer) 0");
  // A malformed HTTP request is answered 400; the node keeps serving.
  const std::string garbage = Shell(absl::StrCat(
      "printf 'BLAH\\r\\n\\r\\n' | curl -s --max-time 5 telnet://", c->http_address(3)));
  EXPECT_NE(garbage.find("400"), std::string::npos) << garbage;
  EXPECT_EQ(Http(*c, 3, "GET", "/kv/still").body, "here");
  // Binary keys round-trip through HTTP (percent-encoded) and RESP.
  const std::string binary_key("a\0b\r\n/c", 7);
  EXPECT_EQ(big->Call({"SET", binary_key, "bin"})->ToString(), "OK");
  EXPECT_EQ(Http(*c, 2, "GET", "/kv/a%00b%0D%0A%2Fc").body, "bin");
}

}  // namespace
}  // namespace kv::realcluster
