// The hand-written RpcFrame codec against protobuf's: the same bytes out, the same frames in
// (accepted or refused alike, with the same field values), on generated and mangled frames.
#include "node/rpc_frame.h"

#include <string>

#include "gtest/gtest.h"
#include "net/random.h"
#include "node/rpc.pb.h"

namespace kv::node {
namespace {

std::string RandomBytes(Random& r, size_t max) {
  std::string s(r.Uniform(max + 1), '\0');
  for (char& c : s) c = static_cast<char>(r.Uniform(256));
  return s;
}

std::string RandomText(Random& r, size_t max) {
  std::string s(r.Uniform(max + 1), '\0');
  for (char& c : s) c = static_cast<char>('a' + r.Uniform(26));
  return s;
}

uint64_t RandomId(Random& r) {
  switch (r.Uniform(4)) {
    case 0:
      return 0;
    case 1:
      return r.Uniform(200);
    default:
      return r.Next64() >> r.Uniform(64);
  }
}

// Parses with both codecs and expects the same verdict and fields.
void ExpectSameParse(const std::string& bytes) {
  RpcFrame theirs;
  const bool theirs_ok = theirs.ParseFromString(bytes);
  RpcFrameView mine;
  const bool mine_ok = ParseRpcFrame(bytes, &mine);
  ASSERT_EQ(mine_ok, theirs_ok) << "bytes: " << ::testing::PrintToString(bytes);
  if (!mine_ok) return;
  EXPECT_EQ(mine.id, theirs.id());
  EXPECT_EQ(mine.kind, static_cast<int32_t>(theirs.kind()));
  EXPECT_EQ(mine.method, theirs.method());
  EXPECT_EQ(mine.body, theirs.body());
  EXPECT_EQ(mine.status_code, theirs.status_code());
  EXPECT_EQ(mine.status_message, theirs.status_message());
}

TEST(RpcFrameTest, EncodesTheBytesProtobufWrites) {
  Random r(1);
  for (int i = 0; i < 2000; ++i) {
    const uint64_t id = RandomId(r);
    const std::string method = RandomText(r, 20);
    const std::string body = RandomBytes(r, r.Bernoulli(0.1) ? 300 : 40);
    RpcFrame request;
    request.set_id(id);
    request.set_kind(RpcFrame::REQUEST);
    request.set_method(method);
    request.set_body(body);
    ASSERT_EQ(EncodeRpcRequest(id, method, body), request.SerializeAsString());

    RpcFrame reply;
    reply.set_id(id);
    reply.set_kind(RpcFrame::REPLY);
    absl::StatusOr<std::string> result = body;
    if (r.Bernoulli(0.4)) {
      result = absl::Status(static_cast<absl::StatusCode>(1 + r.Uniform(16)), RandomBytes(r, 30));
      reply.set_status_code(static_cast<int32_t>(result.status().code()));
      reply.set_status_message(std::string(result.status().message()));
    } else {
      reply.set_body(body);
    }
    ASSERT_EQ(EncodeRpcReply(id, result), reply.SerializeAsString());
  }
}

TEST(RpcFrameTest, ParsesWhatProtobufParsesAndRefusesWhatItRefuses) {
  Random r(2);
  for (int i = 0; i < 20000; ++i) {
    RpcFrame frame;
    frame.set_id(RandomId(r));
    frame.set_kind(static_cast<RpcFrame::Kind>(r.Uniform(3)));
    frame.set_method(r.Bernoulli(0.1) ? RandomBytes(r, 8) : RandomText(r, 20));  // maybe not UTF-8
    frame.set_body(RandomBytes(r, 40));
    frame.set_status_code(static_cast<int32_t>(r.Next64()));
    frame.set_status_message(RandomBytes(r, 10));
    std::string bytes = frame.SerializeAsString();
    if (r.Bernoulli(0.2)) {  // unknown fields of every wire type, and groups
      const std::string extra[] = {
          std::string("\x38\x05", 2),                 // 7: varint
          std::string("\x41") + std::string(8, 'x'),  // 8: fixed64
          std::string("\x4a\x02hi", 4),               // 9: bytes
          std::string("\x55") + std::string(4, 'y'),  // 10: fixed32
          std::string("\x5b\x08\x01\x5c", 4),         // 11: group with field 1 inside
          std::string("\x0a\x01z", 3),                // 1 with the wrong wire type
      };
      bytes.insert(r.Bernoulli(0.5) ? 0 : bytes.size(), extra[r.Uniform(6)]);
    }
    if (r.Bernoulli(0.2) && !bytes.empty()) bytes += bytes.substr(r.Uniform(bytes.size()));
    ExpectSameParse(bytes);
    // Mangled: truncated, bytes flipped, inserted or deleted.
    for (int j = 0; j < 4 && !bytes.empty(); ++j) {
      std::string bad = bytes;
      switch (r.Uniform(4)) {
        case 0:
          bad.resize(r.Uniform(bad.size()));
          break;
        case 1:
          bad[r.Uniform(bad.size())] = static_cast<char>(r.Uniform(256));
          break;
        case 2:
          bad.insert(r.Uniform(bad.size() + 1), 1, static_cast<char>(r.Uniform(256)));
          break;
        default:
          bad.erase(r.Uniform(bad.size()), 1);
      }
      ExpectSameParse(bad);
    }
  }
  for (int i = 0; i < 20000; ++i) ExpectSameParse(RandomBytes(r, 12));  // garbage
}

TEST(RpcFrameTest, EdgeCasesOfTheWireFormat) {
  const std::string cases[] = {
      "",                                            // the empty frame
      std::string("\x00", 1),                        // tag 0
      "\x0c",                                        // an end-group tag at top level
      "\x0b\x0c",                                    // an empty group (field 1, wrong type)
      "\x5b\x64",                                    // a group closed by another field's end
      "\x5b",                                        // an unterminated group
      "\x0e",                                        // wire type 6
      "\x08\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01",  // an 11-byte varint
      "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",  // a 10-byte varint, high bits past 64
      "\x22\x80\x80\x80\x80\x08",                    // a length of 2 GiB
      "\x22\x85\x80\x80\x80\x00hello",               // a non-minimal 5-byte length
      "\x88\x80\x80\x80\x00\x07",                    // a non-minimal 5-byte tag for field 1
      "\x1a\x02\xc3\x28",                            // a method that is not UTF-8
      "\x1a\x01\x61\x1a\x01\x62",                    // the last of a repeated field wins
      "\x10\xff\xff\xff\xff\x0f",                    // kind 0xffffffff
  };
  for (const std::string& bytes : cases) ExpectSameParse(bytes);
  std::string deep;
  for (int i = 0; i < 101; ++i) deep += "\x5b";
  for (int i = 0; i < 101; ++i) deep += "\x5c";
  ExpectSameParse(deep);  // past protobuf's recursion limit
  ExpectSameParse(deep.substr(1, 200));  // at it
}

}  // namespace
}  // namespace kv::node
