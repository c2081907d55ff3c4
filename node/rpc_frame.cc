#include "node/rpc_frame.h"

#include <google/protobuf/stubs/common.h>

#include <climits>

#include "net/assert.h"

namespace kv::node {
namespace {

// Field tags (field number << 3 | wire type) of node/rpc.proto's RpcFrame.
constexpr uint32_t kIdTag = 1 << 3 | 0;
constexpr uint32_t kKindTag = 2 << 3 | 0;
constexpr uint32_t kMethodTag = 3 << 3 | 2;
constexpr uint32_t kBodyTag = 4 << 3 | 2;
constexpr uint32_t kStatusCodeTag = 5 << 3 | 0;
constexpr uint32_t kStatusMessageTag = 6 << 3 | 2;

// Wire types.
constexpr uint32_t kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kStartGroup = 3,
                   kEndGroup = 4, kFixed32 = 5;
// Groups nested deeper than protobuf's default recursion limit fail to parse.
constexpr int kDepthMax = 100;

size_t VarintBytes(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Sizes of fields as written (tags here are all one byte).
size_t VarintFieldBytes(uint64_t v) { return 1 + VarintBytes(v); }
size_t BytesFieldBytes(absl::string_view s) { return 1 + VarintBytes(s.size()) + s.size(); }

char* PutVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

char* PutVarintField(char* p, uint32_t tag, uint64_t v) {
  *p++ = static_cast<char>(tag);
  return PutVarint(p, v);
}

char* PutBytesField(char* p, uint32_t tag, absl::string_view s) {
  *p++ = static_cast<char>(tag);
  p = PutVarint(p, s.size());
  s.copy(p, s.size());
  return p + s.size();
}

// A reader over the frame bytes, with protobuf's limits on each kind of varint.
class Reader {
 public:
  explicit Reader(absl::string_view bytes) : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  bool done() const { return p_ == end_; }

  // A field value: at most 10 bytes (the bits past 64 dropped).
  bool Varint64(uint64_t* v) {
    uint64_t result = 0;
    for (int i = 0; i < 10; ++i) {
      if (p_ == end_) return false;
      const uint8_t byte = static_cast<uint8_t>(*p_++);
      result |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
      if (byte < 0x80) {
        *v = result;
        return true;
      }
    }
    return false;
  }

  // A tag: at most 5 bytes, kept to 32 bits.
  bool Tag(uint32_t* tag) {
    uint32_t result = 0;
    for (int i = 0; i < 5; ++i) {
      if (p_ == end_) return false;
      const uint8_t byte = static_cast<uint8_t>(*p_++);
      result += static_cast<uint32_t>(byte & 0x7f) << (7 * i);
      if (byte < 0x80) {
        *tag = result;
        return true;
      }
    }
    return false;
  }

  // A length-delimited field's bytes: a length of at most 5 bytes below 2 GiB, within the frame.
  bool Bytes(absl::string_view* out) {
    uint64_t size = 0;
    for (int i = 0; i < 5; ++i) {
      if (p_ == end_) return false;
      const uint8_t byte = static_cast<uint8_t>(*p_++);
      if (i == 4 && byte >= 8) return false;
      size |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
      if (byte < 0x80) {
        if (size > static_cast<uint64_t>(end_ - p_)) return false;
        *out = absl::string_view(p_, size);
        p_ += size;
        return true;
      }
    }
    return false;
  }

  bool Skip(size_t n) {
    if (n > static_cast<size_t>(end_ - p_)) return false;
    p_ += n;
    return true;
  }

 private:
  const char* p_;
  const char* end_;
};

// Skips an unknown field whose tag was just read; a group up to its matching end tag.
bool SkipField(Reader& in, uint32_t tag, int depth) {
  if (tag >> 3 == 0) return false;  // field number 0 is refused
  switch (tag & 7) {
    case kVarint: {
      uint64_t ignored;
      return in.Varint64(&ignored);
    }
    case kFixed64:
      return in.Skip(8);
    case kLengthDelimited: {
      absl::string_view ignored;
      return in.Bytes(&ignored);
    }
    case kFixed32:
      return in.Skip(4);
    case kStartGroup: {
      if (depth - 1 < 0) return false;
      while (!in.done()) {
        uint32_t inner;
        if (!in.Tag(&inner)) return false;
        if (inner == 0 || (inner & 7) == kEndGroup) return inner - 1 == tag;  // tag's own end
        if (!SkipField(in, inner, depth - 1)) return false;
      }
      return false;  // no end tag
    }
    default:  // an end tag outside a group, or wire types 6 and 7
      return false;
  }
}

}  // namespace

std::string EncodeRpcRequest(uint64_t id, absl::string_view method, absl::string_view body) {
  const size_t size = (id != 0 ? VarintFieldBytes(id) : 0) +
                      (method.empty() ? 0 : BytesFieldBytes(method)) +
                      (body.empty() ? 0 : BytesFieldBytes(body));
  std::string out(size, '\0');
  char* p = out.data();
  if (id != 0) p = PutVarintField(p, kIdTag, id);
  if (!method.empty()) p = PutBytesField(p, kMethodTag, method);
  if (!body.empty()) p = PutBytesField(p, kBodyTag, body);
  KV_ASSERT(p == out.data() + out.size());
  return out;
}

std::string EncodeRpcReply(uint64_t id, const absl::StatusOr<std::string>& result) {
  absl::string_view body;
  uint64_t code = 0;  // an int32 field: negative values would be sign-extended to 64 bits
  absl::string_view message;
  if (result.ok()) {
    body = *result;
  } else {
    code = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(result.status().code())));
    message = result.status().message();
  }
  const size_t size = (id != 0 ? VarintFieldBytes(id) : 0) + VarintFieldBytes(kRpcReply) +
                      (body.empty() ? 0 : BytesFieldBytes(body)) +
                      (code != 0 ? VarintFieldBytes(code) : 0) +
                      (message.empty() ? 0 : BytesFieldBytes(message));
  std::string out(size, '\0');
  char* p = out.data();
  if (id != 0) p = PutVarintField(p, kIdTag, id);
  p = PutVarintField(p, kKindTag, kRpcReply);
  if (!body.empty()) p = PutBytesField(p, kBodyTag, body);
  if (code != 0) p = PutVarintField(p, kStatusCodeTag, code);
  if (!message.empty()) p = PutBytesField(p, kStatusMessageTag, message);
  KV_ASSERT(p == out.data() + out.size());
  return out;
}

bool ParseRpcFrame(absl::string_view bytes, RpcFrameView* frame) {
  KV_ASSERT(frame != nullptr);
  *frame = RpcFrameView();
  Reader in(bytes);
  while (!in.done()) {
    uint32_t tag;
    if (!in.Tag(&tag)) return false;
    if (tag == 0 || (tag & 7) == kEndGroup) return false;
    uint64_t v;
    switch (tag) {
      case kIdTag:
        if (!in.Varint64(&frame->id)) return false;
        break;
      case kKindTag:
        if (!in.Varint64(&v)) return false;
        frame->kind = static_cast<int32_t>(v);
        break;
      case kMethodTag:
        if (!in.Bytes(&frame->method)) return false;
        if (!google::protobuf::internal::IsStructurallyValidUTF8(
                frame->method.data(), static_cast<int>(frame->method.size()))) {
          return false;  // a proto3 string field
        }
        break;
      case kBodyTag:
        if (!in.Bytes(&frame->body)) return false;
        break;
      case kStatusCodeTag:
        if (!in.Varint64(&v)) return false;
        frame->status_code = static_cast<int32_t>(v);
        break;
      case kStatusMessageTag:
        if (!in.Bytes(&frame->status_message)) return false;
        break;
      default:
        if (!SkipField(in, tag, kDepthMax)) return false;
    }
  }
  return true;
}

}  // namespace kv::node
