#include "net/tcp_transport.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "net/assert.h"
#include "net/channel.h"
#include "net/status_macros.h"
#include "net/tcp_stream.h"

namespace kv {

namespace {

// ---- frames and the handshake's encoding (see the header) ----

constexpr size_t kFrameHeaderBytes = 4;
// Longest handshake string (listen address, secret, reject reason).
constexpr size_t kHandshakeStringBytesMax = 1024;

enum class HandshakeKind : uint8_t { kHello = 1, kAccept = 2, kReject = 3 };

void AppendU16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}

void AppendU32(std::string& out, uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

uint32_t DecodeU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(p[i]);
  return v;
}

void AppendFrameHeader(std::string& out, size_t payload_bytes) {
  KV_ASSERT(payload_bytes <= Transport::kMessageBytesMax);
  AppendU32(out, static_cast<uint32_t>(payload_bytes));
}

std::string Framed(absl::string_view payload) {
  std::string out;
  out.reserve(kFrameHeaderBytes + payload.size());
  AppendFrameHeader(out, payload.size());
  out.append(payload.data(), payload.size());
  return out;
}

void AppendString(std::string& out, absl::string_view s) {
  KV_ASSERT(s.size() <= kHandshakeStringBytesMax);
  AppendU16(out, static_cast<uint16_t>(s.size()));
  out.append(s.data(), s.size());
}

std::string HandshakeHeader(HandshakeKind kind) {
  std::string out(TcpTransport::kMagic, sizeof TcpTransport::kMagic);
  AppendU16(out, TcpTransport::kWireVersion);
  out.push_back(static_cast<char>(kind));
  return out;
}

// Reads little-endian fields off a handshake payload; each returns false past the end.
class WireReader {
 public:
  explicit WireReader(absl::string_view data) : data_(data) {}
  bool Bytes(size_t n, absl::string_view* out) {
    if (data_.size() < n) return false;
    *out = data_.substr(0, n);
    data_.remove_prefix(n);
    return true;
  }
  bool U8(uint8_t* out) {
    absl::string_view b;
    if (!Bytes(1, &b)) return false;
    *out = static_cast<uint8_t>(b[0]);
    return true;
  }
  bool U16(uint16_t* out) {
    absl::string_view b;
    if (!Bytes(2, &b)) return false;
    *out = static_cast<uint16_t>(static_cast<uint8_t>(b[0]) | static_cast<uint8_t>(b[1]) << 8);
    return true;
  }
  bool U32(uint32_t* out) {
    absl::string_view b;
    if (!Bytes(4, &b)) return false;
    *out = DecodeU32(b.data());
    return true;
  }
  bool String(std::string* out) {
    uint16_t n = 0;
    absl::string_view b;
    if (!U16(&n) || !Bytes(n, &b)) return false;
    *out = std::string(b);
    return true;
  }
  bool done() const { return data_.empty(); }

 private:
  absl::string_view data_;
};

absl::StatusOr<HandshakeKind> ReadHandshakeHeader(WireReader& r) {
  absl::string_view magic;
  if (!r.Bytes(sizeof TcpTransport::kMagic, &magic) ||
      magic != absl::string_view(TcpTransport::kMagic, sizeof TcpTransport::kMagic)) {
    return absl::InvalidArgumentError("not a dynkv handshake (bad magic)");
  }
  uint16_t version = 0;
  if (!r.U16(&version)) return absl::InvalidArgumentError("truncated handshake");
  if (version != TcpTransport::kWireVersion) {
    return absl::InvalidArgumentError(absl::StrCat("wire version ", version,
                                                   " is not supported (this node speaks ",
                                                   TcpTransport::kWireVersion, ")"));
  }
  uint8_t kind = 0;
  if (!r.U8(&kind) || kind < static_cast<uint8_t>(HandshakeKind::kHello) ||
      kind > static_cast<uint8_t>(HandshakeKind::kReject)) {
    return absl::InvalidArgumentError("unknown handshake kind");
  }
  return static_cast<HandshakeKind>(kind);
}

struct Hello {
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  std::string listen_address;
  std::string secret;
};

std::string EncodeHello(const Hello& hello) {
  std::string out = HandshakeHeader(HandshakeKind::kHello);
  AppendU32(out, hello.from);
  AppendU32(out, hello.to);
  AppendString(out, hello.listen_address);
  AppendString(out, hello.secret);
  return out;
}

absl::StatusOr<Hello> DecodeHello(absl::string_view payload) {
  WireReader r(payload);
  ASSIGN_OR_RETURN(const HandshakeKind kind, ReadHandshakeHeader(r));
  if (kind != HandshakeKind::kHello) return absl::InvalidArgumentError("expected a hello");
  Hello hello;
  if (!r.U32(&hello.from) || !r.U32(&hello.to) || !r.String(&hello.listen_address) ||
      !r.String(&hello.secret) || !r.done()) {
    return absl::InvalidArgumentError("malformed hello");
  }
  return hello;
}

// The acceptor's answer to a hello.
struct Answer {
  bool accepted = false;
  NodeId node = kNoNode;  // accepted only
  std::string reason;     // rejected only
};

std::string EncodeAccept(NodeId self) {
  std::string out = HandshakeHeader(HandshakeKind::kAccept);
  AppendU32(out, self);
  return out;
}

std::string EncodeReject(absl::string_view reason) {
  std::string out = HandshakeHeader(HandshakeKind::kReject);
  AppendString(out, reason.substr(0, kHandshakeStringBytesMax));
  return out;
}

absl::StatusOr<Answer> DecodeAnswer(absl::string_view payload) {
  WireReader r(payload);
  ASSIGN_OR_RETURN(const HandshakeKind kind, ReadHandshakeHeader(r));
  Answer answer;
  bool parsed = false;
  if (kind == HandshakeKind::kAccept) {
    answer.accepted = true;
    parsed = r.U32(&answer.node) && r.done();
  } else if (kind == HandshakeKind::kReject) {
    parsed = r.String(&answer.reason) && r.done();
  }
  if (!parsed) return absl::InvalidArgumentError("malformed answer to our hello");
  return answer;
}

// Equal strings? The time taken depends on the lengths only, never on where the bytes differ.
bool SecretsEqual(absl::string_view a, absl::string_view b) {
  unsigned diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned x = i < a.size() ? static_cast<uint8_t>(a[i]) : 0;
    const unsigned y = i < b.size() ? static_cast<uint8_t>(b[i]) : 0;
    diff |= x ^ y;
  }
  return diff == 0;
}

// Reads frames off a stream through a buffer; large payloads are read straight into place.
class FrameReader {
 public:
  explicit FrameReader(ByteStream* stream) : stream_(stream), buffer_(kBufferBytes, '\0') {}

  // The next frame's payload. Waits for its first byte until `first_byte_deadline`, then for the
  // rest up to `frame_timeout` after that. UNAVAILABLE when the stream ends or breaks between
  // frames; DATA_LOSS when it ends inside one; RESOURCE_EXHAUSTED for a length over `bytes_max`;
  // DEADLINE_EXCEEDED when either wait runs out. Throws FiberCancelled.
  absl::StatusOr<std::string> Next(size_t bytes_max, MonoTime first_byte_deadline,
                                   Duration frame_timeout) {
    if (begin_ == end_) {
      absl::StatusOr<size_t> got = Fill(first_byte_deadline);
      if (!got.ok()) return got.status();
      if (*got == 0) return absl::UnavailableError("the peer closed the connection");
    }
    const MonoTime deadline = FiberNow() + frame_timeout;
    char header[kFrameHeaderBytes];
    absl::Status read = ReadExact(header, sizeof header, deadline);
    const uint32_t length = read.ok() ? DecodeU32(header) : 0;
    if (length > bytes_max) {
      return absl::ResourceExhaustedError(
          absl::StrCat("a frame of ", length, " bytes exceeds the limit of ", bytes_max));
    }
    std::string payload;
    if (read.ok()) {
      payload.resize(length);
      read = ReadExact(payload.data(), length, deadline);
    }
    if (absl::IsDeadlineExceeded(read)) {
      return absl::DeadlineExceededError(
          absl::StrCat("a frame stayed unfinished for ", absl::FormatDuration(frame_timeout)));
    }
    RETURN_IF_ERROR(read);
    return payload;
  }

 private:
  static constexpr size_t kBufferBytes = 64 << 10;

  // Reads once into the (empty) buffer; returns the bytes read, 0 at end of stream.
  absl::StatusOr<size_t> Fill(MonoTime deadline) {
    KV_ASSERT(begin_ == end_);
    begin_ = end_ = 0;
    ASSIGN_OR_RETURN(const size_t got, stream_->ReadSome(buffer_.data(), buffer_.size(), deadline));
    end_ = got;
    return got;
  }

  absl::Status ReadExact(char* dst, size_t n, MonoTime deadline) {
    size_t done = 0;
    while (done < n) {
      if (begin_ < end_) {
        const size_t take = std::min(n - done, end_ - begin_);
        std::memcpy(dst + done, buffer_.data() + begin_, take);
        begin_ += take;
        done += take;
        continue;
      }
      const bool direct = n - done >= buffer_.size();
      absl::StatusOr<size_t> got =
          direct ? stream_->ReadSome(dst + done, n - done, deadline) : Fill(deadline);
      if (!got.ok()) return got.status();
      if (*got == 0) return absl::DataLossError("the peer closed the connection inside a frame");
      if (direct) done += *got;
    }
    return absl::OkStatus();
  }

  ByteStream* stream_;
  std::string buffer_;
  size_t begin_ = 0;  // unread bytes are buffer_[begin_, end_)
  size_t end_ = 0;
};

// Counts an inbound connection for as long as the fiber serving it (or its unrun body) exists.
class InboundSlot {
 public:
  explicit InboundSlot(size_t* count) : count_(count) { ++*count_; }
  InboundSlot(InboundSlot&& other) noexcept : count_(std::exchange(other.count_, nullptr)) {}
  InboundSlot& operator=(InboundSlot&&) = delete;
  ~InboundSlot() {
    if (count_ != nullptr) --*count_;
  }

 private:
  size_t* count_;
};

}  // namespace

// ---- the transport ----

class TcpTransport::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(AsioExecutor& executor, FiberScheduler& fibers, Logger& logger, Random random,
       TcpTransportOptions options)
      : executor_(executor),
        fibers_(fibers),
        logger_(logger),
        random_(random),
        options_(std::move(options)),
        inbox_(kInboxEventsMax) {
    KV_ASSERT(options_.self != kNoNode);
    KV_ASSERT(fibers_.executor() == &executor_);
    KV_ASSERT(options_.reconnect_backoff_min > absl::ZeroDuration());
    KV_ASSERT(options_.reconnect_backoff_min <= options_.reconnect_backoff_max);
    KV_ASSERT(options_.inbound_connections_max > 0);
  }

  absl::Status Start();
  void Stop();
  absl::Status Send(NodeId to, std::string payload);
  void SetPeerAddress(NodeId id, std::string host_port);
  std::optional<std::string> PeerAddress(NodeId id) const;
  std::string listen_address() const { return listener_ ? listener_->address() : std::string(); }
  NodeId self() const { return options_.self; }
  Channel<TransportEvent>& inbox() { return inbox_; }
  const TcpTransportStats& stats() const { return stats_; }

 private:
  // Large payloads are written on their own, without copying; small ones are batched.
  static constexpr size_t kLargeMessageBytes = 64 << 10;
  static constexpr size_t kBatchBytes = 256 << 10;

  struct Queued {
    std::string payload;
    MonoTime enqueued;
  };

  // What this node knows about another one. Never erased (one per node id ever addressed or
  // accepted, so bounded by the cluster's membership).
  struct Peer {
    explicit Peer(NodeId peer_id) : id(peer_id) {}
    const NodeId id;
    std::string address;  // empty while unknown
    uint64_t address_generation = 0;
    WaitList address_changed;  // the writer backing off waits here
    std::deque<Queued> queue;
    size_t queued_bytes = 0;
    WaitList queue_nonempty;  // the idle writer waits here
    bool writer_running = false;
    bool dropping = false;  // dropped for a full queue since the queue last drained (log once)
    std::string last_connect_error;  // logged once per streak of equal failures
    std::shared_ptr<TcpStream> out;  // established outbound connection (we write)
    std::shared_ptr<TcpStream> in;   // established inbound connection (we read)
    bool connected = false;          // kConnected reported and no kDisconnected since
  };

  template <typename... Args>
  void Log(LogLevel level, const absl::FormatSpec<Args...>& format, const Args&... args) const {
    if (!logger_.Enabled(level)) return;
    logger_.Log(level,
                absl::StrCat("tcp node ", options_.self, ": ", absl::StrFormat(format, args...)));
  }

  MonoTime Now() const { return executor_.Now(); }
  Peer& GetPeer(NodeId id);
  // Spawns `body` on a fiber that keeps this Impl alive and that Stop cancels.
  void SpawnOwned(std::string name, absl::AnyInvocable<void()> body);

  // Connection events.
  void Established(Peer& p);
  void Deliver(Peer& p, std::string payload);
  void ConnectionLost(Peer& p);
  void LoseOutbound(Peer& p, const std::shared_ptr<TcpStream>& stream);
  void LoseInbound(Peer& p, const std::shared_ptr<TcpStream>& stream);

  // Sending side (fibers "tcp-out <id>" and "tcp-watch <id>").
  void WriterLoop(Peer& p);
  absl::Status ConnectOut(Peer& p);
  void WatchOutbound(Peer& p, std::shared_ptr<TcpStream> stream);
  void WriteQueued(Peer& p);
  std::string PopFront(Peer& p);
  void DropStale(Peer& p);
  void BackOff(Peer& p, Duration backoff);

  // Receiving side (fibers "tcp-accept" and "tcp-in <address>").
  void AcceptLoop();
  void ServeInbound(std::shared_ptr<TcpStream> stream);
  absl::StatusOr<Peer*> Handshake(const std::shared_ptr<TcpStream>& stream, FrameReader& reader);
  absl::Status CheckHello(const Hello& hello) const;
  void LearnAddress(Peer& p, absl::string_view advertised, absl::string_view source);
  void ReportInboundEnd(const Peer& p, const std::shared_ptr<TcpStream>& stream,
                        const absl::Status& why);

  AsioExecutor& executor_;
  FiberScheduler& fibers_;
  Logger& logger_;
  Random random_;
  const TcpTransportOptions options_;
  Channel<TransportEvent> inbox_;
  std::unique_ptr<TcpListener> listener_;
  bool started_ = false;
  bool stopped_ = false;
  absl::btree_map<NodeId, std::unique_ptr<Peer>> peers_;
  // The transport's live fibers, for Stop; each erases itself when it ends.
  absl::btree_map<uint64_t, FiberHandle> fiber_handles_;
  uint64_t next_fiber_ = 1;
  size_t inbound_count_ = 0;
  TcpTransportStats stats_;
};

// ---- lifecycle and the public calls ----

absl::Status TcpTransport::Impl::Start() {
  KV_ASSERT_MSG(!started_, "TcpTransport started twice");
  if (options_.cluster_secret.size() > kHandshakeStringBytesMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("the cluster secret is longer than ", kHandshakeStringBytesMax, " bytes"));
  }
  ASSIGN_OR_RETURN(listener_, TcpListener::Listen(executor_, options_.listen_address));
  if (listener_->address().size() > kHandshakeStringBytesMax) {
    return absl::InvalidArgumentError("the listen address is too long");
  }
  started_ = true;
  SpawnOwned("tcp-accept", [this] { AcceptLoop(); });
  Log(LogLevel::kInfo, "listening on %s", listener_->address());
  return absl::OkStatus();
}

void TcpTransport::Impl::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (listener_ != nullptr) listener_->Close();
  for (auto& [id, p] : peers_) {
    if (p->out != nullptr) p->out->Close();
    if (p->in != nullptr) p->in->Close();
    p->out = nullptr;
    p->in = nullptr;
    p->queue.clear();
    p->queued_bytes = 0;
  }
  // Cancel is asynchronous (the fibers unwind on their next turn), so the map is not changed
  // under this loop; copying the handles keeps that obvious.
  std::vector<FiberHandle> handles;
  for (const auto& [id, handle] : fiber_handles_) handles.push_back(handle);
  for (FiberHandle& handle : handles) handle.Cancel();
}

absl::Status TcpTransport::Impl::Send(NodeId to, std::string payload) {
  if (payload.size() > kMessageBytesMax) {
    return absl::InvalidArgumentError(absl::StrCat(
        "message of ", payload.size(), " bytes exceeds the limit of ", kMessageBytesMax));
  }
  if (to == options_.self) {
    return absl::InvalidArgumentError(absl::StrCat("node ", to, " cannot send to itself"));
  }
  if (to == kNoNode) return absl::InvalidArgumentError("node 0 is not a node");
  if (!started_ || stopped_) {
    return absl::FailedPreconditionError(started_ ? "transport stopped" : "transport not started");
  }
  auto it = peers_.find(to);
  if (it == peers_.end() || it->second->address.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no address for node ", to));
  }
  Peer& p = *it->second;
  if (p.queued_bytes + payload.size() > options_.peer_queue_bytes_max) {
    ++stats_.dropped_queue_full;
    if (!p.dropping) {
      p.dropping = true;
      Log(LogLevel::kWarn, "the queue for node %d is full (%d bytes); dropping messages", to,
          p.queued_bytes);
    }
    return absl::OkStatus();  // loss is part of the contract
  }
  p.queued_bytes += payload.size();
  p.queue.push_back(Queued{std::move(payload), Now()});
  p.queue_nonempty.WakeAll();
  if (!p.writer_running) {
    p.writer_running = true;
    SpawnOwned(absl::StrCat("tcp-out ", to), [this, &p] { WriterLoop(p); });
  }
  return absl::OkStatus();
}

void TcpTransport::Impl::SetPeerAddress(NodeId id, std::string host_port) {
  if (id == kNoNode || id == options_.self) return;
  absl::StatusOr<std::pair<std::string, uint16_t>> parsed = ParseHostPort(host_port);
  if (!parsed.ok()) {
    Log(LogLevel::kWarn, "ignoring the address of node %d: %s", id, parsed.status().message());
    return;
  }
  Peer& p = GetPeer(id);
  if (p.address == host_port) return;
  Log(LogLevel::kInfo, "node %d is at %s", id, host_port);
  p.address = std::move(host_port);
  ++p.address_generation;
  p.address_changed.WakeAll();
}

std::optional<std::string> TcpTransport::Impl::PeerAddress(NodeId id) const {
  auto it = peers_.find(id);
  if (it == peers_.end() || it->second->address.empty()) return std::nullopt;
  return it->second->address;
}

TcpTransport::Impl::Peer& TcpTransport::Impl::GetPeer(NodeId id) {
  KV_ASSERT(id != kNoNode);
  KV_ASSERT(id != options_.self);
  std::unique_ptr<Peer>& slot = peers_[id];
  if (slot == nullptr) slot = std::make_unique<Peer>(id);
  return *slot;
}

void TcpTransport::Impl::SpawnOwned(std::string name, absl::AnyInvocable<void()> body) {
  KV_ASSERT(!stopped_);
  // A struct, not a lambda: members die in reverse order of declaration (a closure's order is
  // unspecified), so `body` and what it captures (pointers into the Impl) die before `self`.
  struct Owned {
    std::shared_ptr<Impl> self;
    uint64_t id;
    absl::AnyInvocable<void()> body;
    void operator()() {
      struct Forget {
        Impl* impl;
        uint64_t id;
        ~Forget() { impl->fiber_handles_.erase(id); }
      } forget{self.get(), id};
      body();
    }
  };
  const uint64_t id = next_fiber_++;
  FiberHandle handle =
      fibers_.Spawn(std::move(name), Owned{shared_from_this(), id, std::move(body)});
  fiber_handles_.emplace(id, std::move(handle));
}

// ---- connection events ----

void TcpTransport::Impl::Established(Peer& p) {
  if (stopped_ || p.connected) return;
  // With the inbox full, Deliver reports the connection before the peer's next message instead.
  if (inbox_.TrySend(TransportEvent{TransportEvent::Kind::kConnected, p.id, {}})) {
    p.connected = true;
  }
}

void TcpTransport::Impl::Deliver(Peer& p, std::string payload) {
  if (stopped_) return;
  const bool needs_connect = !p.connected;
  if (inbox_.size() + (needs_connect ? 2 : 1) > inbox_.capacity()) {
    ++stats_.dropped_inbox_full;
    return;
  }
  if (needs_connect) Established(p);
  KV_ASSERT(p.connected);
  const bool queued =
      inbox_.TrySend(TransportEvent{TransportEvent::Kind::kMessage, p.id, std::move(payload)});
  KV_ASSERT(queued);
}

void TcpTransport::Impl::ConnectionLost(Peer& p) {
  if (stopped_ || !p.connected) return;
  p.connected = false;
  ++stats_.disconnects;
  if (!inbox_.TrySend(TransportEvent{TransportEvent::Kind::kDisconnected, p.id, {}})) {
    ++stats_.dropped_inbox_full;
  }
}

void TcpTransport::Impl::LoseOutbound(Peer& p, const std::shared_ptr<TcpStream>& stream) {
  stream->Close();
  if (p.out != stream) return;  // already lost
  p.out = nullptr;
  ConnectionLost(p);
}

void TcpTransport::Impl::LoseInbound(Peer& p, const std::shared_ptr<TcpStream>& stream) {
  stream->Close();
  if (p.in != stream) return;  // already lost or replaced
  p.in = nullptr;
  ConnectionLost(p);
}

// ---- sending ----

void TcpTransport::Impl::WriterLoop(Peer& p) {
  Duration backoff = options_.reconnect_backoff_min;
  while (true) {
    while (p.queue.empty()) {
      Waiter w;
      WaitRegistration registration(p.queue_nonempty, &w);
      w.Wait();
    }
    if (p.out == nullptr) {
      const absl::Status connected = ConnectOut(p);
      if (!connected.ok()) {
        ++stats_.connect_failures;
        if (connected.message() != p.last_connect_error) {
          p.last_connect_error = std::string(connected.message());
          Log(LogLevel::kWarn, "cannot reach node %d at %s: %s (retrying while messages wait)",
              p.id, p.address, connected.message());
        }
        DropStale(p);
        BackOff(p, backoff);
        backoff = std::min(backoff * 2, options_.reconnect_backoff_max);
        continue;
      }
      backoff = options_.reconnect_backoff_min;
    }
    WriteQueued(p);
  }
}

absl::Status TcpTransport::Impl::ConnectOut(Peer& p) {
  KV_ASSERT(p.out == nullptr);
  const std::string address = p.address;
  ASSIGN_OR_RETURN(std::shared_ptr<TcpStream> stream,
                   TcpStream::Connect(executor_, address, Now() + options_.connect_timeout));
  const MonoTime deadline = Now() + options_.handshake_timeout;
  const Hello hello{options_.self, p.id, listener_->address(), options_.cluster_secret};
  RETURN_IF_ERROR(stream->WriteAll(Framed(EncodeHello(hello)), deadline));
  FrameReader reader(stream.get());
  ASSIGN_OR_RETURN(const std::string frame,
                   reader.Next(kHandshakeBytesMax, deadline, options_.handshake_timeout));
  ASSIGN_OR_RETURN(const Answer answer, DecodeAnswer(frame));
  if (!answer.accepted) {
    return absl::PermissionDeniedError(absl::StrCat("it rejected our hello: ", answer.reason));
  }
  if (answer.node != p.id) {
    return absl::FailedPreconditionError(absl::StrCat("the node there is node ", answer.node));
  }
  KV_ASSERT(p.out == nullptr);  // only this fiber connects for p
  p.out = stream;
  ++stats_.connects;
  if (!p.last_connect_error.empty()) Log(LogLevel::kInfo, "reached node %d at %s", p.id, address);
  p.last_connect_error.clear();
  Established(p);
  SpawnOwned(absl::StrCat("tcp-watch ", p.id), [this, &p, stream] { WatchOutbound(p, stream); });
  return absl::OkStatus();
}

// The peer never writes on our outbound connection after its accept: a read ends only when the
// connection does, which tells a crashed or restarted peer fast, even while we have nothing to
// send.
void TcpTransport::Impl::WatchOutbound(Peer& p, std::shared_ptr<TcpStream> stream) {
  char scratch[256];
  const absl::StatusOr<size_t> got = stream->ReadSome(scratch, sizeof scratch, MonoTime::Max());
  if (p.out == stream) {
    const std::string why = !got.ok()   ? std::string(got.status().message())
                            : *got == 0 ? "closed by the peer"
                                        : "the peer wrote on it (protocol error)";
    Log(LogLevel::kInfo, "connection to node %d at %s ended: %s", p.id, stream->peer(), why);
  }
  LoseOutbound(p, stream);
}

std::string TcpTransport::Impl::PopFront(Peer& p) {
  KV_ASSERT(!p.queue.empty());
  std::string payload = std::move(p.queue.front().payload);
  p.queue.pop_front();
  KV_ASSERT(p.queued_bytes >= payload.size());
  p.queued_bytes -= payload.size();
  if (p.queue.empty()) p.dropping = false;
  return payload;
}

void TcpTransport::Impl::DropStale(Peer& p) {
  const MonoTime now = Now();
  while (!p.queue.empty() && now - p.queue.front().enqueued > options_.message_age_max) {
    PopFront(p);
    ++stats_.dropped_stale;
  }
}

// Writes one batch: small queued messages copied into one buffer, or one large message alone.
void TcpTransport::Impl::WriteQueued(Peer& p) {
  std::shared_ptr<TcpStream> stream = p.out;
  KV_ASSERT(stream != nullptr);
  DropStale(p);
  std::string head;
  std::string large;
  size_t frames = 0;
  size_t payload_bytes = 0;
  while (!p.queue.empty() && head.size() < kBatchBytes) {
    const bool is_large = p.queue.front().payload.size() >= kLargeMessageBytes;
    if (is_large && frames > 0) break;
    std::string payload = PopFront(p);
    AppendFrameHeader(head, payload.size());
    ++frames;
    payload_bytes += payload.size();
    if (is_large) {
      large = std::move(payload);
      break;
    }
    head.append(payload);
  }
  if (frames == 0) return;
  const MonoTime deadline = Now() + options_.write_timeout;
  absl::Status written = stream->WriteAll(head, deadline);
  if (written.ok() && !large.empty()) written = stream->WriteAll(large, deadline);
  if (!written.ok()) {
    stats_.dropped_connection_lost += frames;
    if (p.out == stream) {
      Log(LogLevel::kInfo, "connection to node %d at %s broke: %s (%d messages lost)", p.id,
          stream->peer(), written.message(), frames);
    }
    LoseOutbound(p, stream);
    return;
  }
  stats_.frames_sent += frames;
  stats_.bytes_sent += payload_bytes;
  if (!p.queue.empty()) Yield();  // a long queue must not starve the other fibers
}

void TcpTransport::Impl::BackOff(Peer& p, Duration backoff) {
  const MonoTime until = Now() + random_.UniformDuration(backoff / 2, backoff);
  const uint64_t generation = p.address_generation;
  while (p.address_generation == generation) {
    Waiter w;
    WaitRegistration registration(p.address_changed, &w);
    if (!w.WaitUntil(until)) return;
  }
}

// ---- receiving ----

void TcpTransport::Impl::AcceptLoop() {
  while (true) {
    absl::StatusOr<std::unique_ptr<TcpStream>> accepted = listener_->Accept();
    if (absl::IsCancelled(accepted.status())) return;
    if (!accepted.ok()) {
      Log(LogLevel::kWarn, "%s; accepting again in 100ms", accepted.status().message());
      FiberSleep(absl::Milliseconds(100));
      continue;
    }
    std::shared_ptr<TcpStream> stream = std::move(*accepted);
    if (inbound_count_ >= options_.inbound_connections_max) {
      ++stats_.inbound_refused;
      Log(LogLevel::kWarn, "refusing a connection from %s: %d inbound connections already open",
          stream->peer(), inbound_count_);
      stream->Close();
      continue;
    }
    SpawnOwned(absl::StrCat("tcp-in ", stream->peer()),
               [this, stream, slot = InboundSlot(&inbound_count_)] { ServeInbound(stream); });
  }
}

void TcpTransport::Impl::ServeInbound(std::shared_ptr<TcpStream> stream) {
  FrameReader reader(stream.get());
  const absl::StatusOr<Peer*> peer = Handshake(stream, reader);
  if (!peer.ok()) {
    stream->Close();
    return;
  }
  Peer& p = **peer;
  // Also when FiberCancelled unwinds.
  struct Leave {
    Impl* impl;
    Peer& p;
    const std::shared_ptr<TcpStream>& stream;
    ~Leave() { impl->LoseInbound(p, stream); }
  } leave{this, p, stream};
  while (true) {
    absl::StatusOr<std::string> frame =
        reader.Next(kMessageBytesMax, MonoTime::Max(), options_.idle_timeout);
    if (!frame.ok()) {
      ReportInboundEnd(p, stream, frame.status());
      return;
    }
    ++stats_.frames_received;
    stats_.bytes_received += frame->size();
    Deliver(p, std::move(*frame));
  }
}

absl::StatusOr<TcpTransport::Impl::Peer*> TcpTransport::Impl::Handshake(
    const std::shared_ptr<TcpStream>& stream, FrameReader& reader) {
  const absl::StatusOr<std::string> frame = reader.Next(
      kHandshakeBytesMax, Now() + options_.handshake_timeout, options_.handshake_timeout);
  absl::StatusOr<Hello> hello = frame.ok() ? DecodeHello(*frame) : frame.status();
  const absl::Status verdict = hello.ok() ? CheckHello(*hello) : hello.status();
  if (!verdict.ok()) {
    ++stats_.handshakes_rejected;
    Log(LogLevel::kWarn, "rejected a connection from %s: %s", stream->peer(), verdict.message());
    // A peer that sent a well-framed handshake learns why; anything else is just closed.
    if (frame.ok()) {
      (void)stream->WriteAll(Framed(EncodeReject(verdict.message())),
                             Now() + options_.handshake_timeout);
    }
    return verdict;
  }
  RETURN_IF_ERROR(
      stream->WriteAll(Framed(EncodeAccept(options_.self)), Now() + options_.handshake_timeout));
  Peer& p = GetPeer(hello->from);
  LearnAddress(p, hello->listen_address, stream->peer());
  if (p.in != nullptr) {
    // The node reconnected (it restarted, or its old connection failed on its side): the old
    // connection is dead or about to be; what is still buffered on it is lost.
    Log(LogLevel::kInfo, "node %d connected again from %s; closing its older connection", p.id,
        stream->peer());
    LoseInbound(p, std::shared_ptr<TcpStream>(p.in));
  }
  p.in = stream;
  ++stats_.accepts;
  Established(p);
  return &p;
}

absl::Status TcpTransport::Impl::CheckHello(const Hello& hello) const {
  if (!SecretsEqual(hello.secret, options_.cluster_secret)) {
    return absl::PermissionDeniedError("wrong cluster secret");
  }
  if (hello.from == kNoNode) return absl::InvalidArgumentError("node id 0 is not a node");
  if (hello.from == options_.self) {
    return absl::InvalidArgumentError(
        absl::StrCat("the hello comes from this node's own id ", options_.self));
  }
  if (hello.to != options_.self) {
    return absl::FailedPreconditionError(
        absl::StrCat("this is node ", options_.self, ", not node ", hello.to));
  }
  return absl::OkStatus();
}

void TcpTransport::Impl::LearnAddress(Peer& p, absl::string_view advertised,
                                      absl::string_view source) {
  if (!p.address.empty()) return;
  absl::StatusOr<std::pair<std::string, uint16_t>> parsed = ParseHostPort(advertised);
  if (!parsed.ok()) {
    Log(LogLevel::kWarn, "node %d advertises an address that does not parse: %s", p.id,
        parsed.status().message());
    return;
  }
  std::string host = parsed->first;
  if (host == "0.0.0.0" || host == "::") {
    // It listens on every interface: it is reachable where its connection came from.
    absl::StatusOr<std::pair<std::string, uint16_t>> from = ParseHostPort(source);
    if (from.ok()) host = from->first;
  }
  SetPeerAddress(p.id, FormatHostPort(host, parsed->second));
}

void TcpTransport::Impl::ReportInboundEnd(const Peer& p, const std::shared_ptr<TcpStream>& stream,
                                          const absl::Status& why) {
  if (absl::IsResourceExhausted(why)) {
    ++stats_.frames_oversized;
  } else if (absl::IsDeadlineExceeded(why)) {
    ++stats_.frames_incomplete;
  } else {
    if (p.in == stream) {
      Log(LogLevel::kInfo, "connection from node %d (%s) ended: %s", p.id, stream->peer(),
          why.message());
    }
    return;
  }
  Log(LogLevel::kWarn, "closing the connection from node %d (%s): %s", p.id, stream->peer(),
      why.message());
}

// ---- TcpTransport ----

TcpTransport::TcpTransport(AsioExecutor& executor, FiberScheduler& fibers, Logger& logger,
                           Random random, TcpTransportOptions options)
    : impl_(std::make_shared<Impl>(executor, fibers, logger, random, std::move(options))) {}

TcpTransport::~TcpTransport() { impl_->Stop(); }

absl::Status TcpTransport::Start() { return impl_->Start(); }
void TcpTransport::Stop() { impl_->Stop(); }
std::string TcpTransport::listen_address() const { return impl_->listen_address(); }

void TcpTransport::SetPeerAddress(NodeId peer, std::string host_port) {
  impl_->SetPeerAddress(peer, std::move(host_port));
}

std::optional<std::string> TcpTransport::PeerAddress(NodeId peer) const {
  return impl_->PeerAddress(peer);
}

const TcpTransportStats& TcpTransport::stats() const { return impl_->stats(); }
NodeId TcpTransport::self() const { return impl_->self(); }

absl::Status TcpTransport::Send(NodeId to, std::string payload) {
  return impl_->Send(to, std::move(payload));
}

absl::StatusOr<TransportEvent> TcpTransport::ReceiveUntil(MonoTime deadline) {
  // Keeps the internals alive while this fiber waits, even if the transport is destroyed.
  const std::shared_ptr<Impl> impl = impl_;
  return impl->inbox().ReceiveUntil(deadline);
}

}  // namespace kv
