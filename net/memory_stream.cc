#include "net/memory_stream.h"

#include <algorithm>
#include <cstring>
#include <deque>

#include "net/assert.h"
#include "net/fiber.h"

namespace kv {

// One direction: chunks written and not yet read.
struct MemoryStream::Shared {
  struct Direction {
    std::deque<std::string> chunks;
    size_t offset = 0;        // consumed bytes of chunks.front()
    bool write_closed = false;  // writer sent end of stream
    bool broken = false;        // Close() on either end
    WaitList readers;
  };
  Direction pipes[2];  // pipes[i] is read by side i, written by side 1 - i
};

std::pair<std::unique_ptr<MemoryStream>, std::unique_ptr<MemoryStream>> MemoryStream::Pipe(
    std::string a_name, std::string b_name) {
  auto shared = std::make_shared<Shared>();
  // Side 0's peer is b; side 1's peer is a.
  std::unique_ptr<MemoryStream> a(new MemoryStream(shared, 0, std::move(b_name)));
  std::unique_ptr<MemoryStream> b(new MemoryStream(shared, 1, std::move(a_name)));
  return {std::move(a), std::move(b)};
}

MemoryStream::MemoryStream(std::shared_ptr<Shared> shared, int side, std::string peer_name)
    : shared_(std::move(shared)), side_(side), peer_name_(std::move(peer_name)) {}

MemoryStream::~MemoryStream() { Close(); }

absl::StatusOr<size_t> MemoryStream::ReadSome(char* buf, size_t n, MonoTime deadline) {
  KV_ASSERT(n > 0);
  Shared::Direction& in = shared_->pipes[side_];
  while (in.chunks.empty()) {
    if (in.broken) return absl::UnavailableError("stream closed");
    if (in.write_closed) return 0;
    Waiter w;
    WaitRegistration registration(in.readers, &w);
    if (!w.WaitUntil(deadline) && in.chunks.empty() && !in.broken && !in.write_closed) {
      return absl::DeadlineExceededError("read timed out");
    }
  }
  if (in.broken) return absl::UnavailableError("stream closed");
  const std::string& front = in.chunks.front();
  size_t take = std::min(n, front.size() - in.offset);
  std::memcpy(buf, front.data() + in.offset, take);
  in.offset += take;
  if (in.offset == front.size()) {
    in.chunks.pop_front();
    in.offset = 0;
  }
  return take;
}

absl::Status MemoryStream::WriteAll(absl::string_view data, MonoTime deadline) {
  Shared::Direction& out = shared_->pipes[1 - side_];
  if (out.broken || out.write_closed) return absl::UnavailableError("stream closed");
  if (!data.empty()) out.chunks.emplace_back(data);
  out.readers.WakeAll();
  return absl::OkStatus();
}

void MemoryStream::Close() {
  Shared::Direction& in = shared_->pipes[side_];
  in.broken = true;  // this end's reads fail; the peer's writes fail
  in.chunks.clear();
  in.readers.WakeAll();
  CloseWrite();  // the peer reads what was written, then end of stream
}

void MemoryStream::CloseWrite() {
  Shared::Direction& out = shared_->pipes[1 - side_];
  out.write_closed = true;
  out.readers.WakeAll();
}

std::string MemoryStream::peer() const { return peer_name_; }

}  // namespace kv
