// TCP streams for fibers on the real executor: everything runs in this process, on one
// AsioExecutor and one FiberScheduler, over 127.0.0.1 with ephemeral ports.
#include "net/tcp_stream.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/real_process.h"
#include "net/asio_executor.h"
#include "net/fiber.h"
#include "net/future.h"

namespace kv {
namespace {

class TcpStreamTest : public ::testing::Test {
 protected:
  // Runs `body` on a fiber until it returns (at most `limit`), then cancels the fibers left.
  void RunFiber(absl::AnyInvocable<void()> body, Duration limit = absl::Seconds(4)) {
    EXPECT_TRUE(kv::testing::RunFiberFor(executor_, fibers_, std::move(body), limit))
        << "the test did not finish within " << limit;
  }

  std::unique_ptr<TcpListener> Listen() {
    absl::StatusOr<std::unique_ptr<TcpListener>> listener =
        TcpListener::Listen(executor_, "127.0.0.1:0");
    EXPECT_TRUE(listener.ok()) << listener.status();
    return listener.ok() ? std::move(*listener) : nullptr;
  }

  std::unique_ptr<TcpStream> Connect(const TcpListener& listener) {
    absl::StatusOr<std::unique_ptr<TcpStream>> stream =
        TcpStream::Connect(executor_, listener.address(), FiberNow() + absl::Seconds(2));
    EXPECT_TRUE(stream.ok()) << stream.status();
    return stream.ok() ? std::move(*stream) : nullptr;
  }

  // Reads until end of stream (or an error, which fails the test).
  static std::string ReadToEnd(TcpStream& stream) {
    std::string out;
    char buf[16384];
    while (true) {
      absl::StatusOr<size_t> n = stream.ReadSome(buf, sizeof buf, FiberNow() + absl::Seconds(2));
      EXPECT_TRUE(n.ok()) << n.status();
      if (!n.ok() || *n == 0) return out;
      out.append(buf, *n);
    }
  }

  AsioExecutor executor_;
  FiberScheduler fibers_{&executor_};
};

TEST_F(TcpStreamTest, EchoesBytesBothWaysAndReportsEndOfStream) {
  RunFiber([&] {
    std::unique_ptr<TcpListener> listener = Listen();
    ASSERT_NE(listener, nullptr);
    EXPECT_NE(listener->port(), 0);
    EXPECT_EQ(listener->address(), absl::StrCat("127.0.0.1:", listener->port()));
    // Echoes until end of stream, then closes.
    FiberHandle server = fibers_.Spawn("echo", [&] {
      absl::StatusOr<std::unique_ptr<TcpStream>> conn = listener->Accept();
      ASSERT_TRUE(conn.ok()) << conn.status();
      char buf[4096];
      while (true) {
        absl::StatusOr<size_t> n = (*conn)->ReadSome(buf, sizeof buf, MonoTime::Max());
        ASSERT_TRUE(n.ok()) << n.status();
        if (*n == 0) break;
        ASSERT_TRUE((*conn)->WriteAll(absl::string_view(buf, *n), MonoTime::Max()).ok());
      }
      (*conn)->Close();
    });
    std::unique_ptr<TcpStream> client = Connect(*listener);
    ASSERT_NE(client, nullptr);
    EXPECT_TRUE(absl::StartsWith(client->peer(), "127.0.0.1:")) << client->peer();
    // More than the socket buffers hold, so both sides really wait for each other.
    std::string sent = "hello";
    for (int i = 0; sent.size() < (8 << 20); ++i) absl::StrAppend(&sent, i, ",");
    FiberHandle writer = fibers_.Spawn("writer", [&] {
      EXPECT_TRUE(client->WriteAll(sent, FiberNow() + absl::Seconds(3)).ok());
      client->CloseWrite();
    });
    const std::string received = ReadToEnd(*client);
    EXPECT_EQ(received.size(), sent.size());
    EXPECT_TRUE(received == sent);
    // End of stream stays end of stream; writing after CloseWrite fails.
    char c;
    EXPECT_EQ(*client->ReadSome(&c, 1, FiberNow() + absl::Seconds(1)), 0u);
    EXPECT_EQ(client->WriteAll("x", MonoTime::Max()).code(), absl::StatusCode::kUnavailable);
    writer.Join();
    server.Join();
  });
}

TEST_F(TcpStreamTest, ReadDeadlinePassesWithNothingConsumedAndTheStreamStillWorks) {
  RunFiber([&] {
    std::unique_ptr<TcpListener> listener = Listen();
    ASSERT_NE(listener, nullptr);
    Promise<Unit> go;
    Future<Unit> go_future = go.GetFuture();
    fibers_.Spawn("server", [&] {
      absl::StatusOr<std::unique_ptr<TcpStream>> conn = listener->Accept();
      ASSERT_TRUE(conn.ok());
      ASSERT_TRUE(go_future.Get().ok());
      EXPECT_TRUE((*conn)->WriteAll("late", MonoTime::Max()).ok());
      FiberSleep(absl::Seconds(10));  // keeps the connection open; cancelled at the end
    });
    std::unique_ptr<TcpStream> client = Connect(*listener);
    ASSERT_NE(client, nullptr);
    char buf[16];
    const MonoTime start = FiberNow();
    absl::StatusOr<size_t> n = client->ReadSome(buf, sizeof buf, start + absl::Milliseconds(50));
    EXPECT_EQ(n.status().code(), absl::StatusCode::kDeadlineExceeded) << n.status();
    EXPECT_GE(FiberNow() - start, absl::Milliseconds(50));
    EXPECT_LT(FiberNow() - start, absl::Seconds(1));
    // Many short deadlines in a row pile nothing up.
    for (int i = 0; i < 20; ++i) {
      EXPECT_TRUE(absl::IsDeadlineExceeded(
          client->ReadSome(buf, sizeof buf, FiberNow() + absl::Milliseconds(1)).status()));
    }
    go.Set(Unit{});
    n = client->ReadSome(buf, sizeof buf, FiberNow() + absl::Seconds(2));
    ASSERT_TRUE(n.ok()) << n.status();
    EXPECT_EQ(absl::string_view(buf, *n), "late");
  });
}

TEST_F(TcpStreamTest, AFiberCancelledWhileReadingLeavesTheStreamUsable) {
  RunFiber([&] {
    std::unique_ptr<TcpListener> listener = Listen();
    ASSERT_NE(listener, nullptr);
    std::unique_ptr<TcpStream> server_side;
    fibers_.Spawn("server", [&] {
      absl::StatusOr<std::unique_ptr<TcpStream>> conn = listener->Accept();
      ASSERT_TRUE(conn.ok());
      server_side = std::move(*conn);
    });
    std::unique_ptr<TcpStream> client = Connect(*listener);
    ASSERT_NE(client, nullptr);
    bool unwound = false;
    FiberHandle reader = fibers_.Spawn("reader", [&] {
      struct Flag {
        bool& set;
        ~Flag() { set = true; }
      } flag{unwound};
      char on_this_stack[64];
      (void)client->ReadSome(on_this_stack, sizeof on_this_stack, MonoTime::Max());
      ADD_FAILURE() << "the read returned instead of being cancelled";
    });
    FiberSleep(absl::Milliseconds(10));
    reader.Cancel();
    reader.Join();
    EXPECT_TRUE(unwound);
    // The abandoned wait consumed nothing: bytes written now reach the next reader.
    while (server_side == nullptr) FiberSleep(absl::Milliseconds(1));
    ASSERT_TRUE(server_side->WriteAll("after", MonoTime::Max()).ok());
    char buf[16];
    absl::StatusOr<size_t> n = client->ReadSome(buf, sizeof buf, FiberNow() + absl::Seconds(2));
    ASSERT_TRUE(n.ok()) << n.status();
    EXPECT_EQ(absl::string_view(buf, *n), "after");
  });
}

TEST_F(TcpStreamTest, CloseWakesAWaitingReaderWithUnavailable) {
  RunFiber([&] {
    std::unique_ptr<TcpListener> listener = Listen();
    ASSERT_NE(listener, nullptr);
    fibers_.Spawn("server", [&] {
      absl::StatusOr<std::unique_ptr<TcpStream>> conn = listener->Accept();
      FiberSleep(absl::Seconds(10));
    });
    std::unique_ptr<TcpStream> client = Connect(*listener);
    ASSERT_NE(client, nullptr);
    absl::Status read_status;
    FiberHandle reader = fibers_.Spawn("reader", [&] {
      char buf[8];
      read_status = client->ReadSome(buf, sizeof buf, MonoTime::Max()).status();
    });
    FiberSleep(absl::Milliseconds(10));
    client->Close();
    reader.Join();
    EXPECT_EQ(read_status.code(), absl::StatusCode::kUnavailable) << read_status;
    EXPECT_EQ(client->WriteAll("x", MonoTime::Max()).code(), absl::StatusCode::kUnavailable);
    client->Close();  // idempotent
  });
}

TEST_F(TcpStreamTest, WritingToAPeerThatClosedFailsWithUnavailable) {
  RunFiber([&] {
    std::unique_ptr<TcpListener> listener = Listen();
    ASSERT_NE(listener, nullptr);
    fibers_.Spawn("server", [&] {
      absl::StatusOr<std::unique_ptr<TcpStream>> conn = listener->Accept();
      ASSERT_TRUE(conn.ok());
      (*conn)->Close();
    });
    std::unique_ptr<TcpStream> client = Connect(*listener);
    ASSERT_NE(client, nullptr);
    char c;
    absl::StatusOr<size_t> n = client->ReadSome(&c, 1, FiberNow() + absl::Seconds(2));
    ASSERT_TRUE(n.ok()) << n.status();
    EXPECT_EQ(*n, 0u);
    // The first write may still fit in the socket buffer; the peer's reset fails a later one.
    absl::Status written;
    const std::string chunk(64 << 10, 'x');
    for (int i = 0; i < 100 && written.ok(); ++i) {
      written = client->WriteAll(chunk, FiberNow() + absl::Seconds(1));
      if (written.ok()) FiberSleep(absl::Milliseconds(1));
    }
    EXPECT_EQ(written.code(), absl::StatusCode::kUnavailable) << written;
  });
}

TEST_F(TcpStreamTest, ConnectingToAClosedPortFailsWithUnavailable) {
  RunFiber([&] {
    std::unique_ptr<TcpListener> listener = Listen();
    ASSERT_NE(listener, nullptr);
    const std::string address = listener->address();
    listener.reset();
    absl::StatusOr<std::unique_ptr<TcpStream>> stream =
        TcpStream::Connect(executor_, address, FiberNow() + absl::Seconds(2));
    EXPECT_EQ(stream.status().code(), absl::StatusCode::kUnavailable) << stream.status();
    EXPECT_TRUE(absl::StrContains(stream.status().message(), address)) << stream.status();
    EXPECT_TRUE(absl::StrContains(stream.status().message(), "refused")) << stream.status();
  });
}

TEST_F(TcpStreamTest, ConnectGivesUpAtItsDeadline) {
  RunFiber([&] {
    std::unique_ptr<TcpListener> listener = Listen();
    ASSERT_NE(listener, nullptr);
    // A deadline already past: the attempt is abandoned before it can complete.
    absl::StatusOr<std::unique_ptr<TcpStream>> stream =
        TcpStream::Connect(executor_, listener->address(), FiberNow());
    EXPECT_EQ(stream.status().code(), absl::StatusCode::kDeadlineExceeded) << stream.status();
    // The listener still serves the next one.
    EXPECT_NE(Connect(*listener), nullptr);
  });
}

TEST_F(TcpStreamTest, AcceptReturnsCancelledAfterClose) {
  RunFiber([&] {
    std::unique_ptr<TcpListener> listener = Listen();
    ASSERT_NE(listener, nullptr);
    absl::Status waiting_status;
    FiberHandle acceptor =
        fibers_.Spawn("acceptor", [&] { waiting_status = listener->Accept().status(); });
    FiberSleep(absl::Milliseconds(10));
    listener->Close();
    acceptor.Join();
    EXPECT_EQ(waiting_status.code(), absl::StatusCode::kCancelled) << waiting_status;
    EXPECT_EQ(listener->Accept().status().code(), absl::StatusCode::kCancelled);
    listener->Close();  // idempotent
  });
}

TEST_F(TcpStreamTest, ListenErrorsNameTheAddress) {
  RunFiber([&] {
    std::unique_ptr<TcpListener> listener = Listen();
    ASSERT_NE(listener, nullptr);
    absl::StatusOr<std::unique_ptr<TcpListener>> again =
        TcpListener::Listen(executor_, listener->address());
    EXPECT_EQ(again.status().code(), absl::StatusCode::kUnavailable) << again.status();
    EXPECT_EQ(again.status().message(),
              absl::StrCat("cannot listen on ", listener->address(), ": Address already in use"));
    absl::StatusOr<std::unique_ptr<TcpListener>> bad = TcpListener::Listen(executor_, "nonsense");
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(bad.status().message(), "bad address 'nonsense': expected host:port");
  });
}

TEST_F(TcpStreamTest, ListeningOnAPrivilegedPortSaysPermissionDenied) {
  absl::StatusOr<std::unique_ptr<TcpListener>> listener =
      TcpListener::Listen(executor_, "127.0.0.1:1");
  if (listener.ok()) GTEST_SKIP() << "this process may bind privileged ports";
  EXPECT_EQ(listener.status().code(), absl::StatusCode::kPermissionDenied) << listener.status();
  EXPECT_EQ(listener.status().message(), "cannot listen on 127.0.0.1:1: Permission denied");
}

TEST(TcpParseHostPortTest, AcceptsHostsAndPortsAndExplainsBadOnes) {
  using HostPort = std::pair<std::string, uint16_t>;
  EXPECT_EQ(*ParseHostPort("127.0.0.1:7000"), (HostPort{"127.0.0.1", 7000}));
  EXPECT_EQ(*ParseHostPort("db-1.example:0"), (HostPort{"db-1.example", 0}));
  EXPECT_EQ(*ParseHostPort("[::1]:65535"), (HostPort{"::1", 65535}));
  EXPECT_EQ(FormatHostPort("::1", 80), "[::1]:80");
  EXPECT_EQ(FormatHostPort("10.0.0.1", 80), "10.0.0.1:80");
  EXPECT_EQ(ParseHostPort("x").status().message(), "bad address 'x': expected host:port");
  for (const char* bad : {"x", ":80", "host:", "host:65536", "host:+80", "host:8o", "::1:80",
                          "[::1]80", "[::1", "host:123456"}) {
    absl::StatusOr<HostPort> parsed = ParseHostPort(bad);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(absl::StartsWith(parsed.status().message(), absl::StrCat("bad address '", bad)))
        << parsed.status();
  }
}

}  // namespace
}  // namespace kv
