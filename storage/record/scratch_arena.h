// Protobuf arenas for the temporary messages of one request (a parsed request, a decoded
// record): the dozen allocations of a decoded record become none or one, and all are freed at
// once. Strings longer than std::string's inline capacity still take the heap.
//
// ScratchArena<bytes> starts in a buffer of `bytes` inside itself: put it on the handling
// fiber's stack, where every message made on it dies with it (a request and its decoded record:
// 4 KiB; one causal context: 2 KiB, some thirty entries). SmallBlockArena is for state that outlives a stack
// frame (held by a shared_ptr): it takes 1 KiB blocks, which glibc serves from its per-thread
// cache (up to 1032 bytes); a 4 KiB buffer inside a heap object costs more to allocate than the
// allocations it saves.
#pragma once

#include <google/protobuf/arena.h>

#include <cstddef>

namespace kv::storage {

template <size_t kBufferBytes = 4096>
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
  static google::protobuf::ArenaOptions Options(char* buffer) {
    google::protobuf::ArenaOptions options;
    options.initial_block = buffer;
    options.initial_block_size = kBufferBytes;
    return options;
  }

  alignas(std::max_align_t) char buffer_[kBufferBytes];
  google::protobuf::Arena arena_;  // after buffer_, which it starts in
};

class SmallBlockArena {
 public:
  SmallBlockArena() : arena_(Options()) {}
  SmallBlockArena(const SmallBlockArena&) = delete;
  SmallBlockArena& operator=(const SmallBlockArena&) = delete;

  // A new, empty message on the arena.
  template <typename Message>
  Message* Make() {
    return google::protobuf::Arena::CreateMessage<Message>(&arena_);
  }

 private:
  static google::protobuf::ArenaOptions Options() {
    google::protobuf::ArenaOptions options;
    options.start_block_size = 1024;
    options.max_block_size = 1024;
    return options;
  }

  google::protobuf::Arena arena_;
};

}  // namespace kv::storage
