// TCP for fibers, real mode only: TcpStream is a ByteStream over a connected socket, TcpListener
// accepts connections, ParseHostPort reads "host:port" addresses.
//
// Threading: everything lives on the process's AsioExecutor (one io_context run by one thread; no
// other thread ever). Calls that wait (Connect, ReadSome, WriteAll, Accept) suspend the calling
// fiber, which must belong to a FiberScheduler driven by that executor. Close, the destructors and
// the accessors never suspend and may be called outside fibers.
//
// How a fiber waits: reads, writes and accepts are tried non-blocking on the fiber's own stack;
// when the socket is not ready the fiber registers a readiness wait (asio async_wait) and suspends.
// The completion handler touches only a small shared state, never the fiber's stack or buffers, so
// a wait that ends by deadline or by FiberCancelled leaves nothing dangling, consumes no bytes, and
// the stream stays usable for reading. (A write interrupted by cancellation may have sent part of
// the data, so the stream is then unusable for writing, as after a write deadline.)
//
// Addresses: IPv4 ("127.0.0.1:7000"), IPv6 in brackets ("[::1]:7000") or a host name. IP literals
// and "localhost" need no lookup; other names are resolved with a blocking getaddrinfo, which
// stalls the whole process for the lookup: prefer IP literals in cluster configuration.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/ip/tcp.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "net/asio_executor.h"
#include "net/byte_stream.h"
#include "net/time.h"

namespace kv {

namespace internal {
struct Readiness;
}  // namespace internal

// Splits "host:port" or "[v6 host]:port". INVALID_ARGUMENT, naming the address, if the host is
// empty, the port is missing, not a number or over 65535 ("bad address 'x': expected host:port").
absl::StatusOr<std::pair<std::string, uint16_t>> ParseHostPort(absl::string_view host_port);

// "host:port", with brackets around an IPv6 host.
std::string FormatHostPort(absl::string_view host, uint16_t port);

class TcpStream final : public ByteStream {
 public:
  // Connects to `host_port`. UNAVAILABLE if the connection is refused or fails, DEADLINE_EXCEEDED
  // if `deadline` passes first, INVALID_ARGUMENT for an address that does not parse or resolve.
  // Throws FiberCancelled if the fiber is cancelled (the attempt is abandoned). REQUIRES: on a
  // fiber driven by `executor`.
  static absl::StatusOr<std::unique_ptr<TcpStream>> Connect(AsioExecutor& executor,
                                                            absl::string_view host_port,
                                                            MonoTime deadline);

  // Adopts a connected socket of the executor's io_context: makes it non-blocking and turns
  // TCP_NODELAY on. UNAVAILABLE if the socket is no longer connected.
  static absl::StatusOr<std::unique_ptr<TcpStream>> Adopt(boost::asio::ip::tcp::socket socket);

  // Closes the socket.
  ~TcpStream() override;
  TcpStream(const TcpStream&) = delete;
  TcpStream& operator=(const TcpStream&) = delete;

  // ByteStream. Returns 0 at end of stream; UNAVAILABLE ("connection reset by peer", "closed")
  // when the connection broke or Close was called (also while waiting); DEADLINE_EXCEEDED with
  // nothing consumed. A deadline already past still returns bytes that are already there.
  absl::StatusOr<size_t> ReadSome(char* buf, size_t n, MonoTime deadline) override;
  absl::Status WriteAll(absl::string_view data, MonoTime deadline) override;
  void Close() override;
  // "127.0.0.1:51234".
  std::string peer() const override { return peer_; }

  // Ends this side's writing (shutdown(SHUT_WR)): the peer reads end of stream after what was
  // written; reading goes on. Later writes fail with UNAVAILABLE.
  void CloseWrite();
  // This end's address ("127.0.0.1:40000").
  std::string local_address() const { return local_; }

 private:
  TcpStream(boost::asio::ip::tcp::socket socket, std::string peer, std::string local);

  boost::asio::ip::tcp::socket socket_;
  std::string peer_;
  std::string local_;
  bool closed_ = false;
  bool write_unusable_ = false;  // after a write error, deadline, cancellation or CloseWrite
  // One reader and one writer wait at a time; each direction has its own readiness state.
  std::shared_ptr<internal::Readiness> readable_;
  std::shared_ptr<internal::Readiness> writable_;
};

class TcpListener {
 public:
  // Binds `host_port` (port 0 picks a free port) with SO_REUSEADDR and listens. Errors name the
  // address: "cannot listen on 127.0.0.1:80: Permission denied" (PERMISSION_DENIED; UNAVAILABLE
  // for other socket errors such as an address in use; INVALID_ARGUMENT for a bad address).
  // Does not suspend.
  static absl::StatusOr<std::unique_ptr<TcpListener>> Listen(AsioExecutor& executor,
                                                             absl::string_view host_port);
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  // The bound port (the chosen one when listening on port 0).
  uint16_t port() const { return port_; }
  // The bound address, "127.0.0.1:12345".
  std::string address() const { return address_; }

  // Suspends until a connection arrives and returns it. CANCELLED once Close has been called (also
  // while waiting); UNAVAILABLE for an error the caller should back off from (out of file
  // descriptors, say). Connections aborted before they were accepted are skipped.
  // Throws FiberCancelled. REQUIRES: on a fiber of the executor; one fiber accepts at a time.
  absl::StatusOr<std::unique_ptr<TcpStream>> Accept();

  // Stops listening; a waiting Accept returns CANCELLED. Idempotent.
  void Close();

 private:
  TcpListener(boost::asio::ip::tcp::acceptor acceptor, std::string address, uint16_t port);

  boost::asio::ip::tcp::acceptor acceptor_;
  std::string address_;
  uint16_t port_;
  bool closed_ = false;
  std::shared_ptr<internal::Readiness> readable_;
};

}  // namespace kv
