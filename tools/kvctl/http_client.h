// kvctl's HTTP client: one blocking request to a node's HTTP API (Boost.Beast over a plain TCP
// socket). kvctl is a short-lived command-line tool, outside the simulation: it blocks its thread.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace kv::kvctl {

struct HttpReply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The first header named `name` (case-insensitive), or "".
  std::string Header(absl::string_view name) const;
};

struct HttpTarget {
  std::string host_port;  // the node's HTTP API, "127.0.0.1:7101"
  std::string token;      // sent as "Authorization: Bearer <token>" when not empty
  absl::Duration timeout = absl::Seconds(10);
};

// Sends one request and reads the reply. UNAVAILABLE (naming the address) when the node cannot
// be reached or the exchange fails; DEADLINE_EXCEEDED after `timeout`.
absl::StatusOr<HttpReply> Request(const HttpTarget& target, absl::string_view method,
                                  absl::string_view path_and_query,
                                  const std::vector<std::pair<std::string, std::string>>& headers,
                                  absl::string_view body = "");

// Percent-encodes a key for a path segment (every byte but unreserved characters).
std::string EncodePathSegment(absl::string_view key);

}  // namespace kv::kvctl
