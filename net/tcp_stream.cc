#include "net/tcp_stream.h"

#include <utility>

#include <boost/asio/ip/address.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "net/fiber.h"
#include "net/status_macros.h"

namespace kv {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace internal {

// One direction's readiness wait (or an acceptor's), shared with the asio handler, which may run
// after the stream and the waiting fiber are gone. At most one async_wait is outstanding per
// direction: a fiber that timed out leaves its wait registered and the next fiber reuses it, so
// reading with short deadlines in a loop never piles up operations.
struct Readiness {
  bool wait_pending = false;  // an async_wait is registered with the reactor
  Waiter* waiter = nullptr;   // the fiber suspended on this direction now, if any
};

}  // namespace internal

namespace {

using internal::Readiness;

bool WouldBlock(const error_code& ec) {
  return ec == asio::error::would_block || ec == asio::error::try_again;
}

// Suspends the calling fiber until `socket` (a socket or an acceptor) is ready for `type`, the
// readiness is woken by Close, or `deadline` passes. Returns false on deadline. The caller retries
// its non-blocking operation either way (wake-ups may be spurious).
template <typename Socket>
bool AwaitReady(Socket& socket, asio::socket_base::wait_type type,
                const std::shared_ptr<Readiness>& readiness, MonoTime deadline) {
  KV_ASSERT_MSG(readiness->waiter == nullptr, "two fibers wait on one socket direction");
  if (!readiness->wait_pending) {
    readiness->wait_pending = true;
    socket.async_wait(type, [readiness](const error_code&) {
      readiness->wait_pending = false;
      if (readiness->waiter != nullptr) readiness->waiter->Wake();
    });
  }
  Waiter w;
  readiness->waiter = &w;
  // Runs before `w` dies, also when FiberCancelled unwinds: the handler never sees a dead waiter.
  struct Detach {
    Readiness* r;
    ~Detach() { r->waiter = nullptr; }
  } detach{readiness.get()};
  return w.WaitUntil(deadline);
}

void WakeWaiter(const std::shared_ptr<Readiness>& readiness) {
  if (readiness->waiter != nullptr) readiness->waiter->Wake();
}

std::string EndpointString(const tcp::endpoint& endpoint) {
  return FormatHostPort(endpoint.address().to_string(), endpoint.port());
}

absl::StatusOr<tcp::endpoint> Resolve(asio::io_context& io, absl::string_view host_port) {
  ASSIGN_OR_RETURN(auto host_and_port, ParseHostPort(host_port));
  auto& [host, port] = host_and_port;
  if (host == "localhost") host = "127.0.0.1";
  error_code ec;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  if (!ec) return tcp::endpoint(address, port);
  // A host name: blocking lookup (see the header).
  tcp::resolver resolver(io);
  const auto results =
      resolver.resolve(host, std::to_string(port), tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot resolve '", host, "' (in '", host_port,
                                                   "'): ", ec ? ec.message() : "no address"));
  }
  return results.begin()->endpoint();
}

}  // namespace

// ---- addresses ----

absl::StatusOr<std::pair<std::string, uint16_t>> ParseHostPort(absl::string_view host_port) {
  auto bad = [host_port](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("bad address '", host_port, "': ", why));
  };
  absl::string_view host;
  absl::string_view port;
  if (absl::StartsWith(host_port, "[")) {
    const size_t close = host_port.find(']');
    if (close == absl::string_view::npos || host_port.substr(close + 1, 1) != ":") {
      return bad("expected [ipv6 host]:port");
    }
    host = host_port.substr(1, close - 1);
    port = host_port.substr(close + 2);
  } else {
    const size_t colon = host_port.rfind(':');
    if (colon == absl::string_view::npos) return bad("expected host:port");
    host = host_port.substr(0, colon);
    port = host_port.substr(colon + 1);
    if (absl::StrContains(host, ':')) return bad("an IPv6 host needs brackets, as in [::1]:7000");
  }
  if (host.empty()) return bad("expected host:port (the host is empty)");
  if (port.empty() || port.size() > 5) return bad("the port must be a number from 0 to 65535");
  uint32_t value = 0;
  for (char c : port) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return bad("the port must be a number from 0 to 65535");
    }
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value > 65535) return bad("the port must be a number from 0 to 65535");
  return std::make_pair(std::string(host), static_cast<uint16_t>(value));
}

std::string FormatHostPort(absl::string_view host, uint16_t port) {
  if (absl::StrContains(host, ':')) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

// ---- TcpStream ----

absl::StatusOr<std::unique_ptr<TcpStream>> TcpStream::Connect(AsioExecutor& executor,
                                                              absl::string_view host_port,
                                                              MonoTime deadline) {
  ASSIGN_OR_RETURN(const tcp::endpoint endpoint, Resolve(executor.io(), host_port));
  // The handler shares only this with the fiber; the socket is the fiber's, and unwinding closes
  // it, which aborts the operation.
  struct Completion {
    bool done = false;
    error_code ec;
    Waiter* waiter = nullptr;
  };
  auto completion = std::make_shared<Completion>();
  tcp::socket socket(executor.io());
  socket.async_connect(endpoint, [completion](const error_code& ec) {
    completion->done = true;
    completion->ec = ec;
    if (completion->waiter != nullptr) completion->waiter->Wake();
  });
  {
    Waiter w;
    completion->waiter = &w;
    struct Detach {
      Completion* c;
      ~Detach() { c->waiter = nullptr; }
    } detach{completion.get()};
    w.WaitUntil(deadline);
  }
  if (!completion->done) {
    error_code ignored;
    socket.close(ignored);
    return absl::DeadlineExceededError(absl::StrCat("connect to ", host_port, " timed out"));
  }
  if (completion->ec) {
    return absl::UnavailableError(
        absl::StrCat("connect to ", host_port, " failed: ", completion->ec.message()));
  }
  return Adopt(std::move(socket));
}

absl::StatusOr<std::unique_ptr<TcpStream>> TcpStream::Adopt(tcp::socket socket) {
  KV_ASSERT(socket.is_open());
  error_code ec;
  socket.non_blocking(true, ec);
  if (!ec) socket.set_option(tcp::no_delay(true), ec);
  const tcp::endpoint remote = ec ? tcp::endpoint() : socket.remote_endpoint(ec);
  const tcp::endpoint local = ec ? tcp::endpoint() : socket.local_endpoint(ec);
  if (ec) return absl::UnavailableError(absl::StrCat("socket unusable: ", ec.message()));
  return std::unique_ptr<TcpStream>(
      new TcpStream(std::move(socket), EndpointString(remote), EndpointString(local)));
}

TcpStream::TcpStream(tcp::socket socket, std::string peer, std::string local)
    : socket_(std::move(socket)),
      peer_(std::move(peer)),
      local_(std::move(local)),
      readable_(std::make_shared<Readiness>()),
      writable_(std::make_shared<Readiness>()) {}

TcpStream::~TcpStream() {
  Close();
  // A fiber still waiting here would wait on a dead stream.
  KV_ASSERT(readable_->waiter == nullptr);
  KV_ASSERT(writable_->waiter == nullptr);
}

absl::StatusOr<size_t> TcpStream::ReadSome(char* buf, size_t n, MonoTime deadline) {
  KV_ASSERT(n > 0);
  while (true) {
    if (closed_) return absl::UnavailableError(absl::StrCat("connection to ", peer_, " closed"));
    error_code ec;
    const size_t got = socket_.read_some(asio::buffer(buf, n), ec);
    if (!ec) {
      KV_ASSERT(got > 0);
      return got;
    }
    if (ec == asio::error::eof) return 0;
    if (!WouldBlock(ec)) {
      return absl::UnavailableError(absl::StrCat("read from ", peer_, " failed: ", ec.message()));
    }
    if (!AwaitReady(socket_, asio::socket_base::wait_read, readable_, deadline)) {
      if (closed_) continue;
      return absl::DeadlineExceededError(absl::StrCat("read from ", peer_, " timed out"));
    }
  }
}

absl::Status TcpStream::WriteAll(absl::string_view data, MonoTime deadline) {
  if (closed_ || write_unusable_) {
    return absl::UnavailableError(absl::StrCat("connection to ", peer_, " closed for writing"));
  }
  // Anything but finishing (an error, a deadline, FiberCancelled) may leave part of `data` sent.
  bool finished = false;
  struct MarkUnusable {
    bool& finished;
    bool& unusable;
    ~MarkUnusable() {
      if (!finished) unusable = true;
    }
  } mark{finished, write_unusable_};
  size_t done = 0;
  while (done < data.size()) {
    if (closed_) return absl::UnavailableError(absl::StrCat("connection to ", peer_, " closed"));
    error_code ec;
    done += socket_.write_some(asio::buffer(data.data() + done, data.size() - done), ec);
    if (!ec) continue;
    if (!WouldBlock(ec)) {
      return absl::UnavailableError(absl::StrCat("write to ", peer_, " failed: ", ec.message()));
    }
    if (!AwaitReady(socket_, asio::socket_base::wait_write, writable_, deadline) && !closed_) {
      return absl::DeadlineExceededError(absl::StrCat("write to ", peer_, " timed out"));
    }
  }
  finished = true;
  return absl::OkStatus();
}

void TcpStream::Close() {
  if (closed_) return;
  closed_ = true;
  write_unusable_ = true;
  error_code ignored;
  socket_.close(ignored);  // aborts registered waits; their handlers run later, harmlessly
  WakeWaiter(readable_);
  WakeWaiter(writable_);
}

void TcpStream::CloseWrite() {
  if (closed_ || write_unusable_) return;
  write_unusable_ = true;
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
}

// ---- TcpListener ----

absl::StatusOr<std::unique_ptr<TcpListener>> TcpListener::Listen(AsioExecutor& executor,
                                                                 absl::string_view host_port) {
  ASSIGN_OR_RETURN(const tcp::endpoint endpoint, Resolve(executor.io(), host_port));
  tcp::acceptor acceptor(executor.io());
  error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) acceptor.non_blocking(true, ec);
  const tcp::endpoint bound = ec ? tcp::endpoint() : acceptor.local_endpoint(ec);
  if (ec) {
    const absl::StatusCode code = ec == asio::error::access_denied
                                      ? absl::StatusCode::kPermissionDenied
                                      : absl::StatusCode::kUnavailable;
    return absl::Status(code, absl::StrCat("cannot listen on ", host_port, ": ", ec.message()));
  }
  return std::unique_ptr<TcpListener>(
      new TcpListener(std::move(acceptor), EndpointString(bound), bound.port()));
}

TcpListener::TcpListener(tcp::acceptor acceptor, std::string address, uint16_t port)
    : acceptor_(std::move(acceptor)),
      address_(std::move(address)),
      port_(port),
      readable_(std::make_shared<Readiness>()) {}

TcpListener::~TcpListener() {
  Close();
  KV_ASSERT(readable_->waiter == nullptr);
}

absl::StatusOr<std::unique_ptr<TcpStream>> TcpListener::Accept() {
  while (true) {
    if (closed_) return absl::CancelledError(absl::StrCat("listener on ", address_, " closed"));
    tcp::socket socket(acceptor_.get_executor());
    error_code ec;
    acceptor_.accept(socket, ec);
    if (!ec) {
      absl::StatusOr<std::unique_ptr<TcpStream>> stream = TcpStream::Adopt(std::move(socket));
      if (stream.ok()) return stream;
      continue;  // reset before we got to it
    }
    if (ec == asio::error::connection_aborted || ec == asio::error::interrupted) continue;
    if (!WouldBlock(ec)) {
      return absl::UnavailableError(
          absl::StrCat("accept on ", address_, " failed: ", ec.message()));
    }
    AwaitReady(acceptor_, asio::socket_base::wait_read, readable_, MonoTime::Max());
  }
}

void TcpListener::Close() {
  if (closed_) return;
  closed_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  WakeWaiter(readable_);
}

}  // namespace kv
