// A blocking Redis-protocol (RESP2) client for tests and tools that drive real nodes: sends
// commands as multibulk arrays and reads replies of every RESP2 type. One connection, one thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace kv::realcluster {

struct RespReply {
  enum class Type { kSimple, kError, kInteger, kBulk, kNull, kArray } type = Type::kNull;
  std::string text;  // simple string, error (without '-'), bulk
  int64_t integer = 0;
  std::vector<RespReply> elements;

  // "OK", "(error) ERR ...", "(integer) 3", "\"value\"", "(nil)", or "[a, b]": for messages.
  std::string ToString() const;
};

class RespClient {
 public:
  // Connects to host:port. UNAVAILABLE if it cannot.
  static absl::StatusOr<std::unique_ptr<RespClient>> Connect(const std::string& address,
                                                             absl::Duration timeout = absl::Seconds(10));
  ~RespClient();

  // Sends one command and reads its reply. UNAVAILABLE if the connection fails or closes.
  absl::StatusOr<RespReply> Call(const std::vector<std::string>& args);
  // Sends raw bytes (for malformed-input tests) and reads one reply.
  absl::StatusOr<RespReply> CallRaw(const std::string& bytes);
  // Sends several commands at once (a pipeline) and reads their replies in order.
  absl::StatusOr<std::vector<RespReply>> Pipeline(const std::vector<std::vector<std::string>>& commands);

 private:
  struct Impl;
  explicit RespClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kv::realcluster
