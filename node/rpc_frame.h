// The bytes of an RpcFrame (node/rpc.proto) written and read without building the protobuf
// message: a frame is encoded with one allocation, and read as views into the received bytes, so
// a request's body reaches its handler, and a reply's body its caller, without a copy.
//
// Contract (checked against protobuf by tests/node/rpc_frame_test.cc):
//  - Encode* return exactly the bytes RpcFrame::SerializeAsString returns for the same fields
//    (fields in number order, proto3 defaults omitted), so traces and fingerprints do not change.
//  - ParseRpcFrame accepts exactly the byte strings RpcFrame::ParseFromString accepts (unknown
//    fields skipped, the last of a repeated field wins, `method` must be UTF-8) and reads the same
//    field values from them.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kv::node {

// RpcFrame.Kind.
inline constexpr int32_t kRpcRequest = 0;
inline constexpr int32_t kRpcReply = 1;

// A request frame: id, kind REQUEST, method and body.
std::string EncodeRpcRequest(uint64_t id, absl::string_view method, absl::string_view body);

// A reply frame: the body of an OK result, or the status code and message of an error.
std::string EncodeRpcReply(uint64_t id, const absl::StatusOr<std::string>& result);

// The fields of a parsed frame, as views into the parsed bytes (which must outlive them).
struct RpcFrameView {
  uint64_t id = 0;
  int32_t kind = kRpcRequest;
  absl::string_view method;
  absl::string_view body;
  int32_t status_code = 0;
  absl::string_view status_message;
};

// Returns false if `bytes` is not an RpcFrame protobuf would parse.
bool ParseRpcFrame(absl::string_view bytes, RpcFrameView* frame);

}  // namespace kv::node
