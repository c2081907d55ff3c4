// An in-memory ByteStream pair for tests and for simulated clients of the protocol front ends:
// what one end writes the other reads, in order, in chunks as written (so a test controls how a
// frame is split across reads). Unbounded buffers; no latency.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "net/byte_stream.h"

namespace kv {

class MemoryStream final : public ByteStream {
 public:
  // Two connected ends, named for their peer() strings.
  static std::pair<std::unique_ptr<MemoryStream>, std::unique_ptr<MemoryStream>> Pipe(
      std::string a_name = "a", std::string b_name = "b");
  ~MemoryStream() override;

  absl::StatusOr<size_t> ReadSome(char* buf, size_t n, MonoTime deadline) override;
  absl::Status WriteAll(absl::string_view data, MonoTime deadline) override;
  void Close() override;
  std::string peer() const override;

  // Ends this side's writing only (the peer reads end of stream after what was written), as
  // shutdown(SHUT_WR).
  void CloseWrite();

 private:
  struct Shared;
  MemoryStream(std::shared_ptr<Shared> shared, int side, std::string peer_name);
  std::shared_ptr<Shared> shared_;
  int side_;  // 0 or 1: this end reads shared_->pipes[side_]
  std::string peer_name_;
};

}  // namespace kv
