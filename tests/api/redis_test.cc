// The Redis protocol front end on a simulated 3-node cluster (N=3, R=2, W=2): a client fiber
// writes raw RESP bytes into an in-memory pipe whose other end ServeRedisConnection serves on a
// node's process. What a redis-cli or redis-benchmark user would notice: round trips, pipelining,
// NX/XX, TTLs counting down in simulated time, last-writer-wins over concurrent writes, AUTH,
// Redis's error texts, partial frames, protocol errors closing the connection, binary safety.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "gtest/gtest.h"
#include "net/memory_stream.h"
#include "net/resp.h"
#include "node/api/redis_server.h"
#include "node/api/redis_session.h"
#include "sim/sim_network.h"
#include "workloads/kv/sim_cluster.h"

namespace kv::api {
namespace {

using workloads::SimCluster;
using Words = std::vector<std::string>;

// The end of the first complete RESP reply in `b` from `at`, or npos if it is incomplete.
size_t ReplyEnd(absl::string_view b, size_t at) {
  if (at >= b.size()) return absl::string_view::npos;
  const size_t line_end = b.find("\r\n", at);
  if (line_end == absl::string_view::npos) return line_end;
  const char type = b[at];
  int64_t n = 0;
  const size_t next = line_end + 2;
  if (type == '+' || type == '-' || type == ':') return next;
  EXPECT_TRUE(type == '$' || type == '*') << "not a reply: " << b.substr(at);
  EXPECT_TRUE(absl::SimpleAtoi(b.substr(at + 1, line_end - at - 1), &n));
  if (n < 0) return next;
  if (type == '$') {
    return b.size() >= next + n + 2 ? next + n + 2 : absl::string_view::npos;
  }
  size_t end = next;
  for (int64_t i = 0; i < n; ++i) {
    end = ReplyEnd(b, end);
    if (end == absl::string_view::npos) return end;
  }
  return end;
}

// The test cluster: 3 nodes, N=3, R=2, W=2, and each node's shared Redis counters.
struct Cluster {
  explicit Cluster(uint64_t seed)
      : c(seed, 3, [](node::NodeOptions& o) {
          o.coordinator.n = 3;
          o.coordinator.r = 2;
          o.coordinator.w = 2;
        }) {}
  SimCluster c;
  RedisStats stats[4];
};

// A client connection to one node's Redis front end. The server end of the pipe, the session
// and the outcome live in State, shared with the server fiber (which may outlive this object).
class RedisConnection {
 public:
  struct State {
    std::unique_ptr<MemoryStream> server_end;
    std::unique_ptr<RedisSession> session;
    RedisServerOptions options;
    bool ended = false;
    absl::Status end;
  };

  // REQUIRES: on a fiber (of a client process); node `id` serving.
  RedisConnection(Cluster& cluster, NodeId id, RedisSessionOptions session_options = {},
                  RedisServerOptions server_options = {})
      : state_(std::make_shared<State>()) {
    auto [client, server] = MemoryStream::Pipe("redis-client", "redis-server");
    client_ = std::move(client);
    state_->server_end = std::move(server);
    state_->options = server_options;
    Runtime& node_rt = cluster.c.sim.process(id).runtime();
    state_->session = std::make_unique<RedisSession>(node_rt, cluster.c.node(id), session_options,
                                                     &cluster.stats[id]);
    node_rt.Spawn("redis-connection", [state = state_, &node_rt] {
      state->end =
          ServeRedisConnection(node_rt, *state->server_end, *state->session, state->options);
      state->ended = true;
    });
  }

  void Send(absl::string_view bytes) { ASSERT_TRUE(client_->WriteAll(bytes, MonoTime::Max()).ok()); }

  // The next complete reply ("<eof>" if the server closed first, "<timeout>" after 10 s).
  std::string Reply() {
    const MonoTime deadline = FiberNow() + absl::Seconds(10);
    while (true) {
      const size_t end = ReplyEnd(buffer_, 0);
      if (end != absl::string_view::npos) {
        std::string reply = buffer_.substr(0, end);
        buffer_.erase(0, end);
        return reply;
      }
      char chunk[4096];
      absl::StatusOr<size_t> n = client_->ReadSome(chunk, sizeof(chunk), deadline);
      if (!n.ok()) return absl::IsDeadlineExceeded(n.status()) ? "<timeout>" : "<broken>";
      if (*n == 0) return "<eof>";
      buffer_.append(chunk, *n);
    }
  }

  std::string Call(const Words& words) {
    Send(RespCommand(words));
    return Reply();
  }

  // What one read returns (everything the server wrote in one piece, if it was all there).
  std::string ReadOnce() {
    std::string chunk(1 << 20, '\0');
    absl::StatusOr<size_t> n =
        client_->ReadSome(chunk.data(), chunk.size(), FiberNow() + absl::Seconds(10));
    if (!n.ok()) return "<error>";
    chunk.resize(*n);
    return chunk;
  }

  // True if the server closes the connection (end of stream) within `wait`, after any replies.
  bool ClosedWithin(Duration wait) {
    const MonoTime deadline = FiberNow() + wait;
    char chunk[4096];
    while (true) {
      absl::StatusOr<size_t> n = client_->ReadSome(chunk, sizeof(chunk), deadline);
      if (!n.ok()) return false;
      if (*n == 0) return true;
      buffer_.append(chunk, *n);
    }
  }

  MemoryStream& stream() { return *client_; }
  const State& state() const { return *state_; }

 private:
  std::unique_ptr<MemoryStream> client_;
  std::shared_ptr<State> state_;
  std::string buffer_;
};

std::string Bulk(absl::string_view s) {
  return RespWriter().Bulk(s).Take();
}
constexpr const char* kOk = "+OK\r\n";
constexpr const char* kNull = "$-1\r\n";

int64_t IntegerOf(const std::string& reply) {
  int64_t v = INT64_MIN;
  EXPECT_TRUE(reply.size() > 3 && reply[0] == ':') << reply;
  if (!absl::SimpleAtoi(absl::string_view(reply).substr(1, reply.size() - 3), &v)) return INT64_MIN;
  return v;
}

// Runs `body` on a client fiber once the ring has formed; fails the test if it did not finish.
void RunClient(Cluster& cluster, std::function<void(node::KvClient&)> body,
               Duration run_for = absl::Seconds(90)) {
  bool finished = false;
  cluster.c.AddClient([&](Runtime&, node::KvClient& client) {
    FiberSleep(absl::Seconds(20));  // the ring forms
    body(client);
    finished = true;
  });
  cluster.c.sim.RunFor(run_for);
  EXPECT_TRUE(finished) << "the client did not finish";
}

TEST(RedisTest, SetGetDelExistsRoundTrip) {
  Cluster cluster(1);
  RunClient(cluster, [&](node::KvClient&) {
    RedisConnection r(cluster, 1);
    EXPECT_EQ(r.Call({"SET", "k", "v"}), kOk);
    EXPECT_EQ(r.Call({"GET", "k"}), Bulk("v"));
    EXPECT_EQ(r.Call({"get", "missing"}), kNull);
    EXPECT_EQ(r.Call({"EXISTS", "k", "missing", "k"}), ":2\r\n");
    EXPECT_EQ(r.Call({"SET", "k", "v2"}), kOk);
    EXPECT_EQ(r.Call({"GET", "k"}), Bulk("v2"));
    EXPECT_EQ(r.Call({"DEL", "k", "missing"}), ":1\r\n");
    EXPECT_EQ(r.Call({"GET", "k"}), kNull);
    EXPECT_EQ(r.Call({"EXISTS", "k"}), ":0\r\n");
    EXPECT_EQ(r.Call({"DEL", "k"}), ":0\r\n");
    EXPECT_EQ(r.Call({"SET", "k", "back"}), kOk) << "a deleted key can be set again";
    EXPECT_EQ(r.Call({"GET", "k"}), Bulk("back"));
  });
}

TEST(RedisTest, ValuesWrittenThroughOneNodeAreReadThroughAnother) {
  Cluster cluster(2);
  RunClient(cluster, [&](node::KvClient&) {
    RedisConnection one(cluster, 1), three(cluster, 3);
    EXPECT_EQ(one.Call({"MSET", "a", "1", "b", "2", "c", "3"}), kOk);
    EXPECT_EQ(three.Call({"MGET", "a", "nope", "c", "b"}),
              "*4\r\n" + Bulk("1") + kNull + Bulk("3") + Bulk("2"));
    EXPECT_EQ(three.Call({"MSET", "a", "1", "b"}),
              "-ERR wrong number of arguments for 'mset' command\r\n");
  });
}

TEST(RedisTest, PipelinedCommandsAreAnsweredInOrderInOneWrite) {
  Cluster cluster(3);
  RunClient(cluster, [&](node::KvClient&) {
    RedisConnection r(cluster, 2);
    std::string requests, expected;
    for (int i = 0; i < 8; ++i) {
      const std::string key = "key:" + std::to_string(i);
      requests += RespCommand({"SET", key, "value" + std::to_string(i)});
      requests += RespCommand({"GET", key});
      expected += kOk + Bulk("value" + std::to_string(i));
    }
    r.Send(requests);  // 16 commands at once, as redis-benchmark -P 16
    EXPECT_EQ(r.ReadOnce(), expected) << "all 16 replies, in order, in one piece";
  });
}

// Pipelined SETs and GETs of distinct keys run at once: 32 of them take about as long as a few
// single SETs, not 32 (simulated time), and the replies still come in request order. A command
// on a key already in flight waits for it (SET then GET of one key sees the SET).
TEST(RedisTest, PipelinedCommandsOnDistinctKeysOverlap) {
  Cluster cluster(4);
  RunClient(cluster, [&](node::KvClient&) {
    RedisConnection r(cluster, 2);
    MonoTime start = FiberNow();
    EXPECT_EQ(r.Call({"SET", "warm", "up"}), kOk);
    const Duration one = FiberNow() - start;
    std::string requests, expected;
    for (int i = 0; i < 32; ++i) {
      requests += RespCommand({"SET", "p:" + std::to_string(i), "v" + std::to_string(i)});
      expected += kOk;
    }
    start = FiberNow();
    r.Send(requests);
    std::string replies;
    while (replies.size() < expected.size()) replies += r.ReadOnce();
    const Duration pipelined = FiberNow() - start;
    EXPECT_EQ(replies, expected);
    EXPECT_LT(pipelined, one * 8) << "32 pipelined SETs took " << pipelined << "; one took " << one;
    requests.clear();
    expected.clear();
    for (int i = 0; i < 32; ++i) {
      requests += RespCommand({"GET", "p:" + std::to_string(i)});
      requests += RespCommand({"SET", "p:" + std::to_string(i), "w" + std::to_string(i)});
      requests += RespCommand({"GET", "p:" + std::to_string(i)});
      expected += Bulk("v" + std::to_string(i)) + kOk + Bulk("w" + std::to_string(i));
    }
    r.Send(requests);
    replies.clear();
    while (replies.size() < expected.size()) replies += r.ReadOnce();
    EXPECT_EQ(replies, expected) << "per-key order as sent";
  });
}

TEST(RedisTest, SetNxXxAndGetOption) {
  Cluster cluster(4);
  RunClient(cluster, [&](node::KvClient&) {
    RedisConnection r(cluster, 1);
    EXPECT_EQ(r.Call({"SET", "k", "first", "NX"}), kOk);
    EXPECT_EQ(r.Call({"SET", "k", "second", "nx"}), kNull);
    EXPECT_EQ(r.Call({"GET", "k"}), Bulk("first"));
    EXPECT_EQ(r.Call({"SET", "absent", "v", "XX"}), kNull);
    EXPECT_EQ(r.Call({"EXISTS", "absent"}), ":0\r\n");
    EXPECT_EQ(r.Call({"SET", "k", "third", "XX"}), kOk);
    EXPECT_EQ(r.Call({"SET", "k", "fourth", "GET"}), Bulk("third"));
    EXPECT_EQ(r.Call({"SET", "new", "v", "GET"}), kNull);
    EXPECT_EQ(r.Call({"GET", "k"}), Bulk("fourth"));
    EXPECT_EQ(r.Call({"SET", "k", "v", "NX", "XX"}), "-ERR syntax error\r\n");
    EXPECT_EQ(r.Call({"SET", "k", "v", "EX"}), "-ERR syntax error\r\n");
    EXPECT_EQ(r.Call({"SET", "k", "v", "EX", "ten"}),
              "-ERR value is not an integer or out of range\r\n");
    EXPECT_EQ(r.Call({"SET", "k", "v", "EX", "0"}),
              "-ERR invalid expire time in 'set' command\r\n");
    EXPECT_EQ(r.Call({"GET", "k"}), Bulk("fourth")) << "refused SETs changed nothing";
  });
}

TEST(RedisTest, TtlsCountDownInSimulatedTimeAndKeysExpire) {
  Cluster cluster(5);
  RunClient(cluster, [&](node::KvClient&) {
    RedisConnection r(cluster, 1);
    EXPECT_EQ(r.Call({"SET", "k", "v", "EX", "10"}), kOk);
    EXPECT_EQ(r.Call({"TTL", "k"}), ":10\r\n");
    const int64_t pttl = IntegerOf(r.Call({"PTTL", "k"}));
    EXPECT_GT(pttl, 9800);
    EXPECT_LE(pttl, 10000);
    FiberSleep(absl::Seconds(4));
    EXPECT_EQ(r.Call({"TTL", "k"}), ":6\r\n");
    EXPECT_EQ(r.Call({"EXPIRE", "k", "2"}), ":1\r\n");
    EXPECT_EQ(r.Call({"TTL", "k"}), ":2\r\n");
    EXPECT_EQ(r.Call({"GET", "k"}), Bulk("v")) << "EXPIRE keeps the value";
    FiberSleep(absl::Milliseconds(2500));
    EXPECT_EQ(r.Call({"GET", "k"}), kNull);
    EXPECT_EQ(r.Call({"TTL", "k"}), ":-2\r\n");
    EXPECT_EQ(r.Call({"EXISTS", "k"}), ":0\r\n");
    EXPECT_EQ(r.Call({"EXPIRE", "k", "5"}), ":0\r\n") << "no key to expire";

    EXPECT_EQ(r.Call({"SET", "p", "v", "PX", "1800"}), kOk);
    EXPECT_EQ(r.Call({"TTL", "p"}), ":2\r\n") << "rounded to the nearest second";
    EXPECT_EQ(r.Call({"PEXPIRE", "p", "60000"}), ":1\r\n");
    EXPECT_EQ(r.Call({"TTL", "p"}), ":60\r\n");
    EXPECT_EQ(r.Call({"SET", "p", "w", "KEEPTTL"}), kOk);
    EXPECT_EQ(r.Call({"TTL", "p"}), ":60\r\n");
    EXPECT_EQ(r.Call({"GET", "p"}), Bulk("w"));
    EXPECT_EQ(r.Call({"EXPIRE", "p", "30", "GT"}), ":0\r\n");
    EXPECT_EQ(r.Call({"EXPIRE", "p", "30", "LT"}), ":1\r\n");
    EXPECT_EQ(r.Call({"SET", "p", "plain"}), kOk);
    EXPECT_EQ(r.Call({"TTL", "p"}), ":-1\r\n") << "a plain SET drops the TTL";
    EXPECT_EQ(r.Call({"TTL", "never-set"}), ":-2\r\n");
    EXPECT_EQ(r.Call({"EXPIRE", "p", "0"}), ":1\r\n");
    EXPECT_EQ(r.Call({"GET", "p"}), kNull) << "a TTL not in the future deletes";
  });
}

TEST(RedisTest, ConcurrentSetsThroughTwoNodesResolveToOneValue) {
  Cluster cluster(6);
  constexpr int kKeys = 10;
  std::vector<std::string> via1(kKeys), via2(kKeys);
  int with_siblings = 0;
  // Two clients write every key at the same simulated instant through nodes 1 and 2.
  for (int writer = 1; writer <= 2; ++writer) {
    cluster.c.AddClient([&, writer](Runtime&, node::KvClient& client) {
      FiberSleep(absl::Seconds(20));
      RedisConnection r(cluster, static_cast<NodeId>(writer));
      std::string pipeline;
      for (int i = 0; i < kKeys; ++i) {
        pipeline += RespCommand({"SET", "k" + std::to_string(i), "from" + std::to_string(writer)});
      }
      r.Send(pipeline);
      for (int i = 0; i < kKeys; ++i) EXPECT_EQ(r.Reply(), kOk);
      FiberSleep(absl::Seconds(2));  // every replica has both writes
      for (int i = 0; i < kKeys; ++i) {
        (writer == 1 ? via1 : via2)[i] = r.Call({"GET", "k" + std::to_string(i)});
        if (writer == 1) {
          absl::StatusOr<node::ClientGetReply> raw = client.Get(3, "k" + std::to_string(i));
          if (raw.ok() && raw->values_size() > 1) ++with_siblings;
        }
      }
    });
  }
  cluster.c.sim.RunFor(absl::Seconds(60));
  EXPECT_GT(with_siblings, 0) << "the writes were concurrent: the store kept siblings";
  for (int i = 0; i < kKeys; ++i) {
    EXPECT_EQ(via1[i], via2[i]) << "key " << i;
    EXPECT_TRUE(via1[i] == Bulk("from1") || via1[i] == Bulk("from2")) << via1[i];
  }
}

TEST(RedisTest, AuthIsRequiredWhenATokenIsSet) {
  Cluster cluster(7);
  RunClient(cluster, [&](node::KvClient&) {
    RedisSessionOptions secured;
    secured.auth_token = "s3cret";
    RedisConnection r(cluster, 1, secured);
    EXPECT_EQ(r.Call({"GET", "k"}), "-NOAUTH Authentication required.\r\n");
    EXPECT_EQ(r.Call({"PING"}), "-NOAUTH Authentication required.\r\n");
    EXPECT_EQ(r.Call({"AUTH", "wrong"}),
              "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    EXPECT_EQ(r.Call({"AUTH", "admin", "s3cret"}),
              "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    EXPECT_TRUE(absl::StartsWith(r.Call({"HELLO", "2"}), "-NOAUTH HELLO must be called"));
    EXPECT_EQ(r.Call({"AUTH", "s3cret"}), kOk);
    EXPECT_EQ(r.Call({"SET", "k", "v"}), kOk);
    EXPECT_EQ(r.Call({"GET", "k"}), Bulk("v"));

    RedisConnection h(cluster, 1, secured);
    EXPECT_EQ(h.Call({"HELLO", "3", "AUTH", "default", "s3cret"}),
              "-NOPROTO unsupported protocol version\r\n");
    EXPECT_TRUE(absl::StartsWith(h.Call({"HELLO", "2", "AUTH", "default", "s3cret"}), "*14\r\n"));
    EXPECT_EQ(h.Call({"GET", "k"}), Bulk("v"));

    RedisConnection open(cluster, 1);
    EXPECT_TRUE(absl::StartsWith(open.Call({"AUTH", "x"}),
                                 "-ERR AUTH <password> called without any password configured"));
  });
}

TEST(RedisTest, UnknownCommandsAndWrongArityGetRedisErrorText) {
  Cluster cluster(8);
  RunClient(cluster, [&](node::KvClient&) {
    RedisConnection r(cluster, 1);
    EXPECT_EQ(r.Call({"foo", "a", "b"}),
              "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n");
    EXPECT_EQ(r.Call({"FOO"}), "-ERR unknown command 'FOO', with args beginning with: \r\n");
    EXPECT_EQ(r.Call({"GET"}), "-ERR wrong number of arguments for 'get' command\r\n");
    EXPECT_EQ(r.Call({"get", "a", "b"}), "-ERR wrong number of arguments for 'get' command\r\n");
    EXPECT_EQ(r.Call({"PING", "a", "b"}), "-ERR wrong number of arguments for 'ping' command\r\n");
    EXPECT_EQ(r.Call({"CONFIG", "REWRITE"}),
              "-ERR unknown subcommand 'REWRITE'. Try CONFIG HELP.\r\n");
    EXPECT_EQ(r.Call({"PING"}), "+PONG\r\n") << "errors leave the connection usable";
  });
}

TEST(RedisTest, ConnectionAndServerCommands) {
  Cluster cluster(9);
  RunClient(cluster, [&](node::KvClient&) {
    RedisConnection r(cluster, 1);
    EXPECT_EQ(r.Call({"PING"}), "+PONG\r\n");
    EXPECT_EQ(r.Call({"ping", "hi"}), Bulk("hi"));
    EXPECT_EQ(r.Call({"ECHO", "hello"}), Bulk("hello"));
    EXPECT_EQ(r.Call({"SELECT", "0"}), kOk);
    EXPECT_EQ(r.Call({"SELECT", "1"}),
            "-ERR DB index is out of range: no namespace '1' (kvctl ns create 1)\r\n");
    EXPECT_EQ(r.Call({"CONFIG", "GET", "save"}), "*2\r\n" + Bulk("save") + Bulk(""));
    EXPECT_EQ(r.Call({"CONFIG", "GET", "appendonly"}), "*2\r\n" + Bulk("appendonly") + Bulk("no"));
    EXPECT_EQ(r.Call({"CONFIG", "GET", "nothing*"}), "*0\r\n");
    EXPECT_EQ(r.Call({"COMMAND"}), "*0\r\n");
    EXPECT_EQ(r.Call({"COMMAND", "DOCS"}), "*0\r\n");
    EXPECT_GT(IntegerOf(r.Call({"COMMAND", "COUNT"})), 20);
    EXPECT_EQ(r.Call({"CLIENT", "GETNAME"}), kNull);
    EXPECT_EQ(r.Call({"CLIENT", "SETNAME", "bench"}), kOk);
    EXPECT_EQ(r.Call({"CLIENT", "GETNAME"}), Bulk("bench"));
    EXPECT_EQ(r.Call({"CLIENT", "SETNAME", "a b"}),
              "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
    EXPECT_TRUE(absl::StartsWith(r.Call({"HELLO", "2"}), "*14\r\n$6\r\nserver\r\n"));
    EXPECT_EQ(r.Call({"HELLO", "3"}), "-NOPROTO unsupported protocol version\r\n");
    EXPECT_EQ(r.Call({"MSET", "x", "1", "y", "2", "z", "3"}), kOk);
    EXPECT_EQ(r.Call({"DBSIZE"}), ":3\r\n") << "3 nodes, N=3: node 1 holds every key";
    const std::string info = r.Call({"INFO"});
    for (const char* field : {"# Server", "node_id:1", "generation:", "role:dynamo", "n:3",
                              "r:2", "w:2", "connected_clients:1", "total_commands_processed:",
                              "db0:keys=3"}) {
      EXPECT_TRUE(absl::StrContains(info, field)) << field << " in " << info;
    }
    const std::string replication = r.Call({"INFO", "replication"});
    EXPECT_TRUE(absl::StrContains(replication, "role:dynamo"));
    EXPECT_FALSE(absl::StrContains(replication, "# Server"));
    EXPECT_EQ(r.Call({"QUIT"}), kOk);
    EXPECT_TRUE(r.ClosedWithin(absl::Seconds(1)));
    EXPECT_TRUE(r.state().ended);
    EXPECT_TRUE(r.state().end.ok()) << r.state().end;
  });
}

TEST(RedisTest, InlineCommandsAsTypedInTelnet) {
  Cluster cluster(10);
  RunClient(cluster, [&](node::KvClient&) {
    RedisConnection r(cluster, 3);
    r.Send("set greeting \"hello world\"\r\nget greeting\nPING\r\n");
    EXPECT_EQ(r.Reply(), kOk);
    EXPECT_EQ(r.Reply(), Bulk("hello world"));
    EXPECT_EQ(r.Reply(), "+PONG\r\n");
  });
}

TEST(RedisTest, FramesSplitAcrossManyWritesAreReassembled) {
  Cluster cluster(11);
  RunClient(cluster, [&](node::KvClient&) {
    RedisConnection r(cluster, 1);
    const std::string set = RespCommand({"SET", "split-key", std::string(3000, 'x')});
    for (char byte : set) {
      r.Send(std::string(1, byte));
      FiberSleep(absl::Microseconds(10));
    }
    EXPECT_EQ(r.Reply(), kOk);
    const std::string get = RespCommand({"GET", "split-key"}) + RespCommand({"PING"});
    r.Send(get.substr(0, 5));
    FiberSleep(absl::Milliseconds(50));
    r.Send(get.substr(5, 17));
    FiberSleep(absl::Milliseconds(50));
    r.Send(get.substr(22));
    EXPECT_EQ(r.Reply(), Bulk(std::string(3000, 'x')));
    EXPECT_EQ(r.Reply(), "+PONG\r\n");
  });
}

TEST(RedisTest, AProtocolErrorIsAnsweredAndClosesTheConnection) {
  Cluster cluster(12);
  RunClient(cluster, [&](node::KvClient&) {
    RedisConnection r(cluster, 1);
    r.Send("PING\r\n*1\r\n$x\r\nPING\r\n");
    EXPECT_EQ(r.Reply(), "+PONG\r\n") << "what came before the error is answered";
    EXPECT_EQ(r.Reply(), "-ERR Protocol error: invalid bulk length\r\n");
    EXPECT_EQ(r.Reply(), "<eof>");
    EXPECT_TRUE(absl::IsInvalidArgument(r.state().end)) << r.state().end;

    RedisConnection http(cluster, 1);
    http.Send("POST / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    EXPECT_EQ(http.Reply(), "<eof>") << "an HTTP request is dropped without a reply, as Redis";
    EXPECT_TRUE(absl::IsPermissionDenied(http.state().end)) << http.state().end;

    RedisConnection quotes(cluster, 1);
    quotes.Send("set \"unbalanced\r\n");
    EXPECT_EQ(quotes.Reply(), "-ERR Protocol error: unbalanced quotes in request\r\n");
    EXPECT_EQ(quotes.Reply(), "<eof>");
  });
}

TEST(RedisTest, KeysAndValuesAreBinarySafe) {
  Cluster cluster(13);
  RunClient(cluster, [&](node::KvClient&) {
    RedisConnection r(cluster, 2);
    const std::string key("key\r\nwith\0nul\r\n", 15);
    std::string value;
    for (int i = 0; i < 512; ++i) value += static_cast<char>(i % 256);
    EXPECT_EQ(r.Call({"SET", key, value}), kOk);
    EXPECT_EQ(r.Call({"GET", key}), Bulk(value));
    EXPECT_EQ(r.Call({"GET", std::string("key\r\nwith\0nul", 13)}), kNull);
    EXPECT_EQ(r.Call({"EXISTS", key}), ":1\r\n");
    EXPECT_EQ(r.Call({"SET", "empty-value", ""}), kOk);
    EXPECT_EQ(r.Call({"GET", "empty-value"}), Bulk(""));
  });
}

TEST(RedisTest, OversizedValuesAndEmptyKeysAreRefusedClearly) {
  Cluster cluster(14);
  RunClient(cluster, [&](node::KvClient&) {
    RedisConnection r(cluster, 1);
    const std::string big((1 << 20) + 1, 'v');
    EXPECT_EQ(r.Call({"SET", "big", big}),
              "-ERR value too large (1048577 bytes; the limit is 1048576)\r\n");
    EXPECT_EQ(r.Call({"MSET", "small", "ok", "big", big}),
              "-ERR value too large (1048577 bytes; the limit is 1048576)\r\n");
    EXPECT_EQ(r.Call({"EXISTS", "small", "big"}), ":0\r\n") << "MSET checks before writing";
    EXPECT_EQ(r.Call({"SET", "", "v"}), "-ERR empty keys are not supported\r\n");
    EXPECT_EQ(r.Call({"GET", ""}), kNull);
    EXPECT_EQ(r.Call({"SET", "fits", std::string(1 << 20, 'v')}), kOk);
  });
}

TEST(RedisTest, QuorumFailuresAnswerTryAgainAndTheConnectionSurvives) {
  Cluster cluster(15);
  RunClient(cluster, [&](node::KvClient&) {
    RedisConnection r(cluster, 1);
    EXPECT_EQ(r.Call({"SET", "k", "before"}), kOk);
    cluster.c.sim.network().Isolate(1);
    const std::string set = r.Call({"SET", "k", "v"});
    EXPECT_TRUE(absl::StartsWith(set, "-TRYAGAIN put of 'k': 1 of 2 required replicas")) << set;
    const std::string get = r.Call({"GET", "k"});
    EXPECT_TRUE(absl::StartsWith(get, "-TRYAGAIN get of 'k': 1 of 2 required replicas")) << get;
    cluster.c.sim.network().Heal();
    FiberSleep(absl::Seconds(10));
    EXPECT_EQ(r.Call({"PING"}), "+PONG\r\n");
    EXPECT_EQ(r.Call({"SET", "k", "after"}), kOk);
    EXPECT_EQ(r.Call({"GET", "k"}), Bulk("after"));
  });
}

TEST(RedisTest, IdleConnectionsAndOversizedRequestsAreClosed) {
  Cluster cluster(16);
  RunClient(cluster, [&](node::KvClient&) {
    RedisServerOptions idle;
    idle.idle_timeout = absl::Seconds(5);
    RedisConnection r(cluster, 1, {}, idle);
    EXPECT_EQ(r.Call({"PING"}), "+PONG\r\n");
    FiberSleep(absl::Seconds(4));
    EXPECT_EQ(r.Call({"PING"}), "+PONG\r\n") << "activity restarts the idle clock";
    EXPECT_FALSE(r.ClosedWithin(absl::Seconds(4)));
    EXPECT_TRUE(r.ClosedWithin(absl::Seconds(2)));
    EXPECT_TRUE(absl::IsDeadlineExceeded(r.state().end)) << r.state().end;

    RedisServerOptions small;
    small.query_buffer_bytes_max = 4096;
    RedisConnection q(cluster, 1, {}, small);
    q.Send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10000\r\n");
    q.Send(std::string(5000, 'x'));
    EXPECT_EQ(q.Reply(),
              "-ERR Protocol error: the request exceeds the query buffer limit of 4096 bytes\r\n");
    EXPECT_EQ(q.Reply(), "<eof>");
    EXPECT_TRUE(absl::IsResourceExhausted(q.state().end)) << q.state().end;
  });
}

TEST(RedisTest, ConnectionsAreCountedWhileTheyLast) {
  Cluster cluster(17);
  RunClient(cluster, [&](node::KvClient&) {
    {
      RedisConnection a(cluster, 1), b(cluster, 1);
      EXPECT_EQ(a.Call({"PING"}), "+PONG\r\n");
      EXPECT_EQ(b.Call({"PING"}), "+PONG\r\n");
      EXPECT_EQ(cluster.stats[1].connected_clients, 2u);
    }
    FiberSleep(absl::Milliseconds(10));
    EXPECT_EQ(cluster.stats[1].connected_clients, 0u) << "closing the client end ends them";
    EXPECT_EQ(cluster.stats[1].connections_received, 2u);
  });
}

// SELECT n uses namespace "n"; keys of equal names in two databases are apart; a namespace's
// password opens that namespace and nothing else.
TEST(RedisTest, SelectChoosesANamespaceAndItsPasswordOpensOnlyIt) {
  Cluster cluster(8);
  RunClient(cluster, [&](node::KvClient&) {
    node::Namespace one;
    one.set_name("1");
    one.set_n(3);
    one.set_r(2);
    one.set_w(2);
    ASSERT_TRUE(cluster.c.node(1).membership().DefineNamespace(one).ok());
    one.set_name("2");
    one.set_token("p2");
    ASSERT_TRUE(cluster.c.node(1).membership().DefineNamespace(one).ok());
    FiberSleep(absl::Seconds(5));  // gossip
    RedisSessionOptions secured;
    secured.auth_token = "admin";
    RedisConnection r(cluster, 2, secured);
    EXPECT_EQ(r.Call({"AUTH", "admin"}), kOk);
    EXPECT_EQ(r.Call({"SET", "k", "zero"}), kOk);
    EXPECT_EQ(r.Call({"SELECT", "1"}), kOk);
    EXPECT_EQ(r.Call({"GET", "k"}), kNull);
    EXPECT_EQ(r.Call({"SET", "k", "one"}), kOk);
    EXPECT_EQ(r.Call({"SELECT", "0"}), kOk);
    EXPECT_EQ(r.Call({"GET", "k"}), Bulk("zero"));
    EXPECT_EQ(r.Call({"SELECT", "-1"}), "-ERR DB index is out of range\r\n");

    RedisConnection tenant(cluster, 3, secured);
    EXPECT_EQ(tenant.Call({"AUTH", "p2"}), kOk);
    EXPECT_EQ(tenant.Call({"GET", "k"}),
              "-NOPERM this connection's password does not open namespace 'default' (AUTH with "
              "its token or the cluster's)\r\n");
    EXPECT_EQ(tenant.Call({"SELECT", "1"}),
              "-NOPERM this connection's password does not open namespace '1' (AUTH with its "
              "token or the cluster's)\r\n");
    EXPECT_EQ(tenant.Call({"SELECT", "2"}), kOk);
    EXPECT_EQ(tenant.Call({"SET", "k", "two"}), kOk);
    EXPECT_EQ(tenant.Call({"GET", "k"}), Bulk("two"));
    EXPECT_EQ(r.Call({"SELECT", "2"}), kOk) << "the cluster's password opens every namespace";
    EXPECT_EQ(r.Call({"GET", "k"}), Bulk("two"));

    // Without a cluster password, a namespace's password is still needed for its namespace.
    RedisConnection open(cluster, 1);
    EXPECT_EQ(open.Call({"SELECT", "2"}),
              "-NOPERM this connection's password does not open namespace '2' (AUTH with its "
              "token or the cluster's)\r\n");
    EXPECT_EQ(open.Call({"SELECT", "1"}), kOk);
    EXPECT_EQ(open.Call({"GET", "k"}), Bulk("one"));
    EXPECT_EQ(open.Call({"AUTH", "p2"}), kOk);
    EXPECT_EQ(open.Call({"SELECT", "2"}), kOk);
    EXPECT_EQ(open.Call({"GET", "k"}), Bulk("two"));
  });
}

}  // namespace
}  // namespace kv::api
