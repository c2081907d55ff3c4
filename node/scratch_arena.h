// A protobuf arena for the temporary messages of one request (a parsed request, a decoded
// record), starting in a buffer inside this object: messages that fit allocate nothing and are
// freed at once when it goes. Strings longer than std::string's inline capacity still take the
// heap. Put it on the handling fiber's stack; every message made on it dies with it.
#pragma once

#include <google/protobuf/arena.h>

#include <cstddef>

namespace kv::node {

class ScratchArena {
 public:
  ScratchArena() : arena_(Options(buffer_)) {}
  ScratchArena(const ScratchArena&) = delete;
  ScratchArena& operator=(const ScratchArena&) = delete;

  google::protobuf::Arena* get() { return &arena_; }

  // A new, empty message on the arena.
  template <typename Message>
  Message* Make() {
    return google::protobuf::Arena::CreateMessage<Message>(&arena_);
  }

 private:
  // A decoded record of a few siblings and context entries, with the request around it.
  static constexpr size_t kBufferBytes = 4096;

  static google::protobuf::ArenaOptions Options(char* buffer) {
    google::protobuf::ArenaOptions options;
    options.initial_block = buffer;
    options.initial_block_size = kBufferBytes;
    return options;
  }

  alignas(std::max_align_t) char buffer_[kBufferBytes];
  google::protobuf::Arena arena_;  // after buffer_, which it starts in
};

}  // namespace kv::node
