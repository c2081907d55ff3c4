// The TCP transport, as nodes (and misbehaving clients) see it: several transports in this
// process, on one AsioExecutor and one FiberScheduler, over 127.0.0.1 with ephemeral ports. Raw
// TcpStreams play broken or hostile peers, speaking the wire format documented in
// net/tcp_transport.h byte by byte.
#include "net/tcp_transport.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/support/real_process.h"
#include "net/asio_executor.h"
#include "net/fiber.h"
#include "net/log.h"
#include "net/random.h"
#include "net/tcp_stream.h"

namespace kv {
namespace {

using Kind = TransportEvent::Kind;

// Keeps log lines for assertions (and prints warnings, which a passing test has few of).
class RecordingLogger final : public Logger {
 public:
  void Log(LogLevel level, absl::string_view message) override {
    lines_.push_back(absl::StrCat(LogLevelName(level), " ", message));
  }
  bool Enabled(LogLevel level) const override { return true; }
  bool Contains(absl::string_view needle) const {
    for (const std::string& line : lines_) {
      if (absl::StrContains(line, needle)) return true;
    }
    return false;
  }

 private:
  std::vector<std::string> lines_;
};

// ---- the wire format, spelled out independently of the implementation ----

void PutU16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}

void PutU32(std::string& out, uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>(v >> shift));
}

uint32_t GetU32(absl::string_view b) {
  return static_cast<uint8_t>(b[0]) | static_cast<uint8_t>(b[1]) << 8 |
         static_cast<uint8_t>(b[2]) << 16 | static_cast<uint32_t>(static_cast<uint8_t>(b[3])) << 24;
}

std::string Frame(absl::string_view payload) {
  std::string out;
  PutU32(out, static_cast<uint32_t>(payload.size()));
  out.append(payload.data(), payload.size());
  return out;
}

std::string HelloPayload(NodeId from, NodeId to, absl::string_view listen_address,
                         absl::string_view secret) {
  std::string out = "DKV1";
  PutU16(out, 1);
  out.push_back(1);
  PutU32(out, from);
  PutU32(out, to);
  PutU16(out, static_cast<uint16_t>(listen_address.size()));
  out.append(listen_address.data(), listen_address.size());
  PutU16(out, static_cast<uint16_t>(secret.size()));
  out.append(secret.data(), secret.size());
  return out;
}

std::string AcceptPayload(NodeId self) {
  std::string out = "DKV1";
  PutU16(out, 1);
  out.push_back(2);
  PutU32(out, self);
  return out;
}

absl::Status ReadExactly(TcpStream& stream, char* buf, size_t n, MonoTime deadline) {
  for (size_t done = 0; done < n;) {
    absl::StatusOr<size_t> got = stream.ReadSome(buf + done, n - done, deadline);
    if (!got.ok()) return got.status();
    if (*got == 0) return absl::UnavailableError("end of stream");
    done += *got;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFrame(TcpStream& stream, MonoTime deadline) {
  char header[4];
  absl::Status s = ReadExactly(stream, header, 4, deadline);
  if (!s.ok()) return s;
  std::string payload(GetU32(absl::string_view(header, 4)), '\0');
  s = ReadExactly(stream, payload.data(), payload.size(), deadline);
  if (!s.ok()) return s;
  return payload;
}

// The reason in a reject payload ("DKV1", version, 3, u16 length, reason), or "" if it is not one.
std::string RejectReason(absl::string_view payload) {
  if (payload.size() < 9 || payload.substr(0, 4) != "DKV1" || payload[6] != 3) return "";
  return std::string(payload.substr(9));
}

// Waits until the peer closes `stream` (end of stream or reset): true, or false at `deadline`.
bool ClosedByPeer(TcpStream& stream, MonoTime deadline) {
  char buf[4096];
  while (true) {
    absl::StatusOr<size_t> n = stream.ReadSome(buf, sizeof buf, deadline);
    if (absl::IsDeadlineExceeded(n.status())) return false;
    if (!n.ok() || *n == 0) return true;
  }
}

// ---- fixture ----

class TcpTransportTest : public ::testing::Test {
 protected:
  // Runs `body` on a fiber until it returns (at most `limit`), then cancels the fibers left.
  void RunFiber(absl::AnyInvocable<void()> body, Duration limit = absl::Seconds(4)) {
    EXPECT_TRUE(kv::testing::RunFiberFor(executor_, fibers_, std::move(body), limit))
        << "the test did not finish within " << limit;
  }

  // A started transport and the events a receiver fiber collects from it.
  struct Node {
    std::unique_ptr<TcpTransport> transport;
    std::vector<TransportEvent> events;
    FiberHandle receiver;

    TcpTransport* operator->() { return transport.get(); }
    std::vector<std::string> MessagesFrom(NodeId peer) const {
      std::vector<std::string> out;
      for (const TransportEvent& e : events) {
        if (e.kind == Kind::kMessage && e.peer == peer) out.push_back(e.payload);
      }
      return out;
    }
    size_t Count(Kind kind, NodeId peer) const {
      size_t n = 0;
      for (const TransportEvent& e : events) n += e.kind == kind && e.peer == peer;
      return n;
    }
    // Stops the receiver and the transport (a process shutting down).
    void Stop() {
      receiver.Cancel();
      receiver.Join();
      transport.reset();
    }
  };

  static TcpTransportOptions Options(NodeId self) {
    TcpTransportOptions options;
    options.self = self;
    options.reconnect_backoff_min = absl::Milliseconds(5);
    options.reconnect_backoff_max = absl::Milliseconds(50);
    options.connect_timeout = absl::Seconds(1);
    options.handshake_timeout = absl::Seconds(1);
    return options;
  }

  // REQUIRES: on a fiber. `node` must stay where it is (the receiver writes into it).
  void Start(Node& node, TcpTransportOptions options) {
    node.transport =
        std::make_unique<TcpTransport>(executor_, fibers_, logger_, Random(options.self), options);
    const absl::Status started = node.transport->Start();
    ASSERT_TRUE(started.ok()) << started;
    node.receiver = fibers_.Spawn("receiver", [&node, transport = node.transport.get()] {
      while (true) {
        absl::StatusOr<TransportEvent> e = transport->ReceiveUntil(MonoTime::Max());
        if (e.ok()) node.events.push_back(std::move(*e));
      }
    });
  }

  // Polls `done` until it holds (true) or `timeout` passes (false).
  static bool Eventually(const std::function<bool()>& done, Duration timeout = absl::Seconds(3)) {
    const MonoTime deadline = FiberNow() + timeout;
    while (!done()) {
      if (FiberNow() > deadline) return false;
      FiberSleep(absl::Milliseconds(2));
    }
    return true;
  }

  // Connects to `address`, says hello as node `from` to node `to`, and returns the stream if the
  // answer is an accept from `to`.
  absl::StatusOr<std::unique_ptr<TcpStream>> RawHandshake(const std::string& address, NodeId from,
                                                          NodeId to,
                                                          absl::string_view secret = "") {
    absl::StatusOr<std::unique_ptr<TcpStream>> stream =
        TcpStream::Connect(executor_, address, FiberNow() + absl::Seconds(1));
    if (!stream.ok()) return stream.status();
    absl::Status s = (*stream)->WriteAll(Frame(HelloPayload(from, to, "127.0.0.1:1", secret)),
                                         FiberNow() + absl::Seconds(1));
    if (!s.ok()) return s;
    absl::StatusOr<std::string> answer = ReadFrame(**stream, FiberNow() + absl::Seconds(1));
    if (!answer.ok()) return answer.status();
    if (*answer != AcceptPayload(to)) {
      return absl::PermissionDeniedError(absl::StrCat("not accepted: ", RejectReason(*answer)));
    }
    return stream;
  }

  AsioExecutor executor_;
  FiberScheduler fibers_{&executor_};
  RecordingLogger logger_;
};

// Connection events for each peer alternate, kConnected first, and messages come only while
// connected.
void ExpectWellFormedEvents(const std::vector<TransportEvent>& events) {
  std::map<NodeId, bool> connected;
  for (size_t i = 0; i < events.size(); ++i) {
    const TransportEvent& e = events[i];
    bool& up = connected[e.peer];
    switch (e.kind) {
      case Kind::kConnected:
        EXPECT_FALSE(up) << "event " << i << ": kConnected twice for node " << e.peer;
        up = true;
        break;
      case Kind::kDisconnected:
        EXPECT_TRUE(up) << "event " << i << ": kDisconnected without kConnected for " << e.peer;
        up = false;
        break;
      case Kind::kMessage:
        EXPECT_TRUE(up) << "event " << i << ": a message from node " << e.peer
                        << " before kConnected";
        break;
    }
  }
}

TEST_F(TcpTransportTest, ThreeNodesExchangeThousandsOfMessagesInOrder) {
  RunFiber(
      [&] {
        constexpr int kMessages = 2000;
        const std::string big(5 << 20, 'b');
        Node nodes[3];
        for (NodeId id = 1; id <= 3; ++id) Start(nodes[id - 1], Options(id));
        for (Node& a : nodes) {
          for (Node& b : nodes) {
            if (&a != &b) a->SetPeerAddress(b->self(), b->listen_address());
          }
        }
        for (int seq = 0; seq < kMessages; ++seq) {
          for (Node& a : nodes) {
            for (Node& b : nodes) {
              if (&a == &b) continue;
              ASSERT_TRUE(a->Send(b->self(), absl::StrCat(a->self(), ":", seq)).ok());
              // One message of several MiB in the middle of node 1's stream to node 2.
              if (seq == kMessages / 2 && a->self() == 1 && b->self() == 2) {
                ASSERT_TRUE(a->Send(2, big).ok());
              }
            }
          }
          if (seq % 100 == 0) Yield();
        }
        for (Node& b : nodes) {
          for (Node& a : nodes) {
            if (&a == &b) continue;
            const size_t expected = kMessages + (a->self() == 1 && b->self() == 2 ? 1 : 0);
            ASSERT_TRUE(Eventually([&] { return b.MessagesFrom(a->self()).size() >= expected; }))
                << "node " << b->self() << " got " << b.MessagesFrom(a->self()).size() << " of "
                << expected << " messages from node " << a->self();
            std::vector<std::string> got = b.MessagesFrom(a->self());
            EXPECT_EQ(got.size(), expected);
            int next = 0;
            for (size_t i = 0; i < got.size(); ++i) {
              if (got[i].size() == big.size()) {
                EXPECT_TRUE(got[i] == big);
                EXPECT_EQ(next, kMessages / 2 + 1) << "the large message arrived out of order";
                continue;
              }
              EXPECT_EQ(got[i], absl::StrCat(a->self(), ":", next)) << "at " << i;
              ++next;
            }
          }
          ExpectWellFormedEvents(b.events);
          EXPECT_EQ(b.Count(Kind::kConnected, 1) + b.Count(Kind::kConnected, 2) +
                        b.Count(Kind::kConnected, 3),
                    2u);
          EXPECT_EQ(b->stats().dropped_queue_full, 0u);
          EXPECT_EQ(b->stats().dropped_inbox_full, 0u);
          EXPECT_EQ(b->stats().connects, 2u);
          EXPECT_EQ(b->stats().accepts, 2u);
        }
        // A writer counts a write once it has finished, which may be after the peer read it.
        for (Node& a : nodes) {
          const uint64_t expected = 2u * kMessages + (a->self() == 1 ? 1 : 0);
          EXPECT_TRUE(Eventually([&] { return a->stats().frames_sent == expected; }))
              << "node " << a->self() << " counted " << a->stats().frames_sent << " frames sent";
        }
        EXPECT_EQ(nodes[1]->stats().frames_received, 2u * kMessages + 1);
        EXPECT_GT(nodes[1]->stats().bytes_received, big.size());
      },
      absl::Seconds(8));
}

TEST_F(TcpTransportTest, APeerLearntFromItsHandshakeCanBeAnswered) {
  RunFiber([&] {
    Node a, b;
    Start(a, Options(1));
    Start(b, Options(2));
    a->SetPeerAddress(2, b->listen_address());
    EXPECT_EQ(b->PeerAddress(1), std::nullopt);
    const absl::Status unknown = b->Send(1, "too early");
    EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(unknown.message(), "no address for node 1");

    ASSERT_TRUE(a->Send(2, "ping").ok());
    ASSERT_TRUE(Eventually([&] { return b.MessagesFrom(1).size() == 1; }));
    EXPECT_EQ(b.MessagesFrom(1)[0], "ping");
    EXPECT_EQ(b->PeerAddress(1), a->listen_address());
    ASSERT_TRUE(b->Send(1, "pong").ok());
    ASSERT_TRUE(Eventually([&] { return a.MessagesFrom(2).size() == 1; }));
    EXPECT_EQ(a.MessagesFrom(2)[0], "pong");
    ExpectWellFormedEvents(a.events);
    ExpectWellFormedEvents(b.events);
    // Each side reported the connection before the message.
    ASSERT_GE(b.events.size(), 2u);
    EXPECT_EQ(b.events[0].kind, Kind::kConnected);
    EXPECT_EQ(b.events[0].peer, 1u);
  });
}

TEST_F(TcpTransportTest, SendRefusesWhatCanNeverBeDelivered) {
  RunFiber([&] {
    Node a;
    TcpTransport unstarted(executor_, fibers_, logger_, Random(7), Options(7));
    unstarted.SetPeerAddress(8, "127.0.0.1:1");
    EXPECT_EQ(unstarted.Send(8, "x").code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(unstarted.listen_address(), "");

    Start(a, Options(1));
    a->SetPeerAddress(2, "127.0.0.1:1");
    EXPECT_EQ(a->Send(1, "x").code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(a->Send(kNoNode, "x").code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(a->Send(7, "x").message(), "no address for node 7");
    EXPECT_EQ(a->Send(2, std::string(Transport::kMessageBytesMax + 1, 'x')).code(),
              absl::StatusCode::kInvalidArgument);
    // Addresses that do not parse are ignored; a node cannot be given its own address.
    a->SetPeerAddress(3, "nonsense");
    EXPECT_EQ(a->PeerAddress(3), std::nullopt);
    EXPECT_TRUE(logger_.Contains("bad address 'nonsense'"));
    a->SetPeerAddress(1, "127.0.0.1:2");
    EXPECT_EQ(a->PeerAddress(1), std::nullopt);
    // Nobody listens on port 1: the message is accepted, then lost, and the failures counted.
    EXPECT_TRUE(a->Send(2, "x").ok());
    ASSERT_TRUE(Eventually([&] { return a->stats().connect_failures >= 2; }));
    EXPECT_TRUE(logger_.Contains("cannot reach node 2 at 127.0.0.1:1")) << "no failure logged";
    a->Stop();
    EXPECT_EQ(a->Send(2, "x").code(), absl::StatusCode::kFailedPrecondition);
  });
}

TEST_F(TcpTransportTest, APeerRestartedOnTheSamePortIsReconnected) {
  RunFiber([&] {
    Node a, b;
    Start(a, Options(1));
    Start(b, Options(2));
    const std::string b_address = b->listen_address();
    a->SetPeerAddress(2, b_address);
    ASSERT_TRUE(a->Send(2, "before").ok());
    ASSERT_TRUE(Eventually([&] { return b.MessagesFrom(1).size() == 1; }));
    ASSERT_TRUE(b->Send(1, "ack").ok());
    ASSERT_TRUE(Eventually([&] { return a.MessagesFrom(2).size() == 1; }));

    b.Stop();
    ASSERT_TRUE(Eventually([&] { return a.Count(Kind::kDisconnected, 2) == 1; }))
        << "node 1 did not notice node 2 stopping";

    TcpTransportOptions again = Options(2);
    again.listen_address = b_address;
    Node b2;
    Start(b2, again);
    ASSERT_EQ(b2->listen_address(), b_address);
    ASSERT_TRUE(a->Send(2, "after").ok());
    ASSERT_TRUE(Eventually([&] { return b2.MessagesFrom(1).size() == 1; }));
    EXPECT_EQ(b2.MessagesFrom(1)[0], "after");
    ASSERT_TRUE(b2->Send(1, "ack again").ok());
    ASSERT_TRUE(Eventually([&] { return a.MessagesFrom(2).size() == 2; }));
    EXPECT_EQ(a.MessagesFrom(2)[1], "ack again");

    // Node 1 saw node 2 connect, go, and come back, in that order.
    ExpectWellFormedEvents(a.events);
    std::vector<Kind> kinds;
    for (const TransportEvent& e : a.events) {
      if (e.peer == 2 && e.kind != Kind::kMessage) kinds.push_back(e.kind);
    }
    EXPECT_EQ(kinds, (std::vector<Kind>{Kind::kConnected, Kind::kDisconnected, Kind::kConnected}));
    EXPECT_EQ(a->stats().connects, 2u);
  });
}

TEST_F(TcpTransportTest, AWrongSecretIsRejectedAndNothingIsDelivered) {
  RunFiber([&] {
    Node a, b, c;
    TcpTransportOptions options_a = Options(1);
    options_a.cluster_secret = "alpha";
    TcpTransportOptions options_b = Options(2);
    options_b.cluster_secret = "beta";
    TcpTransportOptions options_c = Options(3);
    options_c.cluster_secret = "beta";
    Start(a, options_a);
    Start(b, options_b);
    Start(c, options_c);
    a->SetPeerAddress(2, b->listen_address());
    c->SetPeerAddress(2, b->listen_address());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(a->Send(2, "intruder").ok());
    ASSERT_TRUE(Eventually(
        [&] { return a->stats().connect_failures >= 2 && b->stats().handshakes_rejected >= 2; }));
    EXPECT_TRUE(logger_.Contains("rejected our hello: wrong cluster secret"));
    // A node with the right secret is served meanwhile.
    ASSERT_TRUE(c->Send(2, "member").ok());
    ASSERT_TRUE(Eventually([&] { return b.MessagesFrom(3).size() == 1; }));
    FiberSleep(absl::Milliseconds(20));
    EXPECT_EQ(b.MessagesFrom(1).size(), 0u);
    EXPECT_EQ(b.Count(Kind::kConnected, 1), 0u);
    EXPECT_EQ(b->stats().accepts, 1u);
    EXPECT_EQ(a->stats().connects, 0u);
    EXPECT_EQ(b->PeerAddress(1), std::nullopt) << "a rejected hello taught an address";
  });
}

TEST_F(TcpTransportTest, HellosFromNodeZeroOrItselfOrForAnotherNodeAreRejected) {
  RunFiber([&] {
    Node a;
    Start(a, Options(1));
    struct Case {
      NodeId from;
      NodeId to;
      const char* reason;
    };
    for (const Case& c : {Case{0, 1, "node id 0 is not a node"},
                          Case{1, 1, "the hello comes from this node's own id 1"},
                          Case{5, 4, "this is node 1, not node 4"}}) {
      absl::StatusOr<std::unique_ptr<TcpStream>> raw =
          RawHandshake(a->listen_address(), c.from, c.to);
      EXPECT_EQ(raw.status().message(), absl::StrCat("not accepted: ", c.reason));
    }
    EXPECT_EQ(a->stats().handshakes_rejected, 3u);
    EXPECT_EQ(a->stats().accepts, 0u);
    EXPECT_TRUE(a.events.empty());
  });
}

TEST_F(TcpTransportTest, GarbageAndOversizedFramesCloseOnlyThatConnection) {
  RunFiber([&] {
    Node a, b;
    Start(a, Options(1));
    Start(b, Options(2));
    b->SetPeerAddress(1, a->listen_address());
    const MonoTime deadline = FiberNow() + absl::Seconds(2);

    // Not our protocol at all: its first four bytes read as a length far over the hello limit.
    absl::StatusOr<std::unique_ptr<TcpStream>> http =
        TcpStream::Connect(executor_, a->listen_address(), deadline);
    ASSERT_TRUE(http.ok());
    ASSERT_TRUE((*http)->WriteAll("GET / HTTP/1.1\r\nHost: x\r\n\r\n", deadline).ok());
    EXPECT_TRUE(ClosedByPeer(**http, deadline));

    // A well-framed hello with the wrong magic is answered with a reason, then closed.
    absl::StatusOr<std::unique_ptr<TcpStream>> bad_magic =
        TcpStream::Connect(executor_, a->listen_address(), deadline);
    ASSERT_TRUE(bad_magic.ok());
    ASSERT_TRUE((*bad_magic)->WriteAll(Frame("HELO and some more bytes"), deadline).ok());
    absl::StatusOr<std::string> answer = ReadFrame(**bad_magic, deadline);
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ(RejectReason(*answer), "not a dynkv handshake (bad magic)");
    EXPECT_TRUE(ClosedByPeer(**bad_magic, deadline));
    EXPECT_EQ(a->stats().handshakes_rejected, 2u);

    // A member that then announces a frame over the limit is cut off.
    absl::StatusOr<std::unique_ptr<TcpStream>> member = RawHandshake(a->listen_address(), 9, 1);
    ASSERT_TRUE(member.ok()) << member.status();
    std::string huge_header;
    PutU32(huge_header, Transport::kMessageBytesMax + 1);
    ASSERT_TRUE((*member)->WriteAll(huge_header, deadline).ok());
    EXPECT_TRUE(ClosedByPeer(**member, deadline));
    EXPECT_EQ(a->stats().frames_oversized, 1u);
    EXPECT_TRUE(logger_.Contains("exceeds the limit of 16777216"));
    ASSERT_TRUE(Eventually([&] { return a.Count(Kind::kDisconnected, 9) == 1; }));
    EXPECT_EQ(a.MessagesFrom(9).size(), 0u);

    // Meanwhile the transport serves its real peers.
    ASSERT_TRUE(b->Send(1, "still here").ok());
    ASSERT_TRUE(Eventually([&] { return a.MessagesFrom(2).size() == 1; }));
    ExpectWellFormedEvents(a.events);
  });
}

TEST_F(TcpTransportTest, ASlowPeersFullQueueDropsAndCounts) {
  RunFiber([&] {
    Node a;
    TcpTransportOptions options = Options(1);
    options.peer_queue_bytes_max = 1 << 20;
    Start(a, options);
    // Node 5 completes the handshake, then never reads.
    absl::StatusOr<std::unique_ptr<TcpListener>> listener =
        TcpListener::Listen(executor_, "127.0.0.1:0");
    ASSERT_TRUE(listener.ok());
    std::unique_ptr<TcpStream> slow;
    fibers_.Spawn("slow peer", [&] {
      absl::StatusOr<std::unique_ptr<TcpStream>> conn = (*listener)->Accept();
      ASSERT_TRUE(conn.ok());
      ASSERT_TRUE(ReadFrame(**conn, FiberNow() + absl::Seconds(1)).ok());
      ASSERT_TRUE((*conn)->WriteAll(Frame(AcceptPayload(5)), MonoTime::Max()).ok());
      slow = std::move(*conn);
    });
    a->SetPeerAddress(5, (*listener)->address());
    constexpr int kMessages = 1000;
    const std::string message(64 << 10, 'm');  // 64 MiB in all: more than any socket buffers
    for (int i = 0; i < kMessages; ++i) {
      ASSERT_TRUE(a->Send(5, message).ok());  // loss is not an error
      if (i % 10 == 0) FiberSleep(absl::Milliseconds(1));
    }
    const TcpTransportStats& stats = a->stats();
    EXPECT_GT(stats.dropped_queue_full, kMessages / 2u);
    EXPECT_LT(stats.frames_sent, kMessages / 2u);
    EXPECT_TRUE(logger_.Contains("the queue for node 5 is full"));
    EXPECT_NE(slow, nullptr);
  });
}

TEST_F(TcpTransportTest, AFrameThatNeverFinishesIsClosedAfterTheIdleTimeout) {
  RunFiber([&] {
    Node a;
    TcpTransportOptions options = Options(1);
    options.idle_timeout = absl::Milliseconds(200);
    Start(a, options);
    absl::StatusOr<std::unique_ptr<TcpStream>> quiet = RawHandshake(a->listen_address(), 8, 1);
    absl::StatusOr<std::unique_ptr<TcpStream>> stuck = RawHandshake(a->listen_address(), 9, 1);
    ASSERT_TRUE(quiet.ok()) << quiet.status();
    ASSERT_TRUE(stuck.ok()) << stuck.status();
    ASSERT_TRUE((*quiet)->WriteAll(Frame("one whole frame"), MonoTime::Max()).ok());
    const MonoTime start = FiberNow();
    std::string half;
    PutU32(half, 100);
    half += "ten bytes.";
    ASSERT_TRUE((*stuck)->WriteAll(half, MonoTime::Max()).ok());

    EXPECT_TRUE(ClosedByPeer(**stuck, start + absl::Seconds(2)));
    EXPECT_GE(FiberNow() - start, absl::Milliseconds(200));
    EXPECT_EQ(a->stats().frames_incomplete, 1u);
    ASSERT_TRUE(Eventually([&] { return a.Count(Kind::kDisconnected, 9) == 1; }));
    EXPECT_EQ(a.MessagesFrom(9).size(), 0u);
    // A connection that is quiet between frames stays open.
    EXPECT_FALSE(ClosedByPeer(**quiet, FiberNow() + absl::Milliseconds(100)));
    EXPECT_EQ(a.MessagesFrom(8), std::vector<std::string>{"one whole frame"});
    EXPECT_EQ(a.Count(Kind::kDisconnected, 8), 0u);
    ExpectWellFormedEvents(a.events);
  });
}

}  // namespace
}  // namespace kv
